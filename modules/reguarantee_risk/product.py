# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

from .configuration import RATE_DIGITS


class Product(metaclass=PoolMeta):
    __name__ = 'reguarantee.product'

    liability_class = fields.Selection([
            ('small_micro', "Small/Micro and Agriculture"),
            ('housing', "Housing"),
            ('other', "Other"),
            ], "Liability Class", required=True,
        help="How the projects of the product weigh in the liability "
        "balance: small/micro enterprise loans under 5 million and farmer "
        "loans under 2 million 75 %, housing guarantees 30 %, the others "
        "100 %.")
    industry_limit = fields.Numeric(
        "Industry Concentration Limit", digits=RATE_DIGITS,
        domain=['OR',
            ('industry_limit', '=', None),
            [
                ('industry_limit', '>', 0),
                ('industry_limit', '<=', 1),
                ],
            ],
        help="The largest share of the product's re-guarantee balance one "
        "industry section should have; a submission above it is warned. "
        "Leave empty for no limit.")

    @classmethod
    def default_liability_class(cls):
        return 'small_micro'
