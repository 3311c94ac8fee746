# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError


class CreditConfigurationError(UserError):
    pass


class LookupAccessError(AccessError):
    pass


class ScreeningError(UserError):
    pass


class ScreeningFileError(ValidationError):
    pass


class ReviewReportError(UserError):
    pass


class ReviewReportWarning(UserWarning):
    pass


class ReportError(UserError):
    pass


class ReportValidationError(ValidationError):
    pass
