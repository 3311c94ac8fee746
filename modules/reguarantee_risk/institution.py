# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.modules.currency.fields import Monetary
from trytond.pool import PoolMeta


class Institution(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution'

    quota_amount = Monetary(
        "Quota", currency='currency', digits='currency',
        help="The maximum re-guarantee balance of the institution's "
        "projects; leave empty for no quota.")
