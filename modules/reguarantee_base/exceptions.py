# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class IdentityNumberError(ValidationError):
    pass


class BorrowerAccessError(AccessError):
    pass


class AmountError(ValidationError):
    pass


class DateOrderError(ValidationError):
    pass


class ShareError(ValidationError):
    pass


class OnboardingError(UserError):
    pass


class ChangeRequestError(UserError):
    pass


class ContractSignError(UserError):
    pass


class InvalidationError(UserError):
    pass


class ProjectValidationError(UserError):
    pass


class ProjectDuplicateError(ValidationError):
    pass


class CompensationOpenError(ValidationError):
    pass


class CompensationError(UserError):
    pass


class RecoveryError(UserError):
    pass


class ModificationError(AccessError):
    pass


class ProjectImportError(UserError):
    pass


class ExchangeLogAccessError(AccessError):
    pass


class WorkDomainError(ValidationError):
    pass
