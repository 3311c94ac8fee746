# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class DirectProductError(ValidationError):
    pass


class EligibilityError(UserError):
    pass


class ApplicationError(UserError):
    pass


class DirectRecoveryError(ValidationError):
    pass


class CounterGuaranteeError(UserError):
    pass


class CounterGuaranteeModificationError(AccessError):
    pass


class BatchError(UserError):
    pass


class DirectFeeError(UserError):
    pass


class DirectDepositError(UserError):
    pass
