# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Borrower(metaclass=PoolMeta):
    __name__ = 'reguarantee.borrower'

    party = fields.Many2One(
        'party.party', "Party", ondelete='RESTRICT',
        help="The party invoiced for the direct guarantees of the borrower; "
        "created when its first direct guarantee is contracted.")

    def get_party_values(self):
        "Return the values of the party of the borrower to create"
        return {'name': self.name}
