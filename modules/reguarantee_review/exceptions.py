# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class ReviewRequiredError(UserError):
    pass


class MeetingError(ValidationError):
    pass


class VoteError(AccessError):
    pass


class VoteValidationError(ValidationError):
    pass
