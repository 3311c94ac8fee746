# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.exceptions import UserError, UserWarning


class CMSUnavailableError(UserError):
    pass


class CMSDuplicateError(UserError):
    pass


class CMSWarning(UserWarning):
    pass
