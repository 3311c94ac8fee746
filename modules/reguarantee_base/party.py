# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    reguarantee_institutions = fields.One2Many(
        'reguarantee.institution', 'party', "Re-guarantee Institutions",
        readonly=True,
        help="The guarantee institutions whose accounting counterpart the "
        "party is.")
