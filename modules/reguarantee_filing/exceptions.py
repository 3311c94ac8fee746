# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class MappingError(ValidationError):
    pass


class FilingValidationError(UserError):
    pass


class FilingConfigurationError(UserError):
    pass


class BatchDeleteError(AccessError):
    pass
