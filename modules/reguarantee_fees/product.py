# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Product(metaclass=PoolMeta):
    __name__ = 'reguarantee.product'

    fee_schedule = fields.Selection([
            ('upfront', "Upfront on Filing"),
            ('monthly', "Monthly"),
            ('quarterly', "Quarterly"),
            ('yearly', "Yearly"),
            ], "Fee Schedule", required=True,
        help="Upfront: one fee for the whole term once the project is "
        "filed; otherwise one fee per calendar month, quarter or year of "
        "cover, after the period.")
    fee_early_release = fields.Selection([
            ('credit', "Credit the Unused Fee"),
            ('keep', "Keep the Fee"),
            ], "Upfront Fee on Early Release", required=True,
        help="What happens to the part of an upfront fee after the end of "
        "the cover when it ends before the end date: an early release, or "
        "the default date of a paid compensation.")
    invoice_product = fields.Many2One(
        'product.product', "Invoice Product", ondelete='RESTRICT',
        domain=[
            ('type', '=', 'service'),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The service invoiced for the fees of the product: its revenue "
        "account and customer taxes are used.")

    @classmethod
    def default_fee_schedule(cls):
        return 'monthly'

    @classmethod
    def default_fee_early_release(cls):
        return 'credit'
