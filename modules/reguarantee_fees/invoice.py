# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.model import fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access


def new_customer_invoice(company, party, currency, reference):
    "Return an unsaved customer invoice of today of the company to party"
    pool = Pool()
    Date = pool.get('ir.date')
    Invoice = pool.get('account.invoice')
    with Transaction().set_context(company=company.id):
        today = Date.today()
    invoice = Invoice(
        company=company, type='out', party=party, currency=currency,
        invoice_date=today, description=reference, reference=reference)
    invoice.on_change_party()
    invoice.set_journal()
    return invoice


def new_invoice_line(company, currency, product, amount, description,
        origin):
    """Return an unsaved invoice line of one product for amount, with the
    product's revenue account and customer taxes in the company"""
    pool = Pool()
    InvoiceLine = pool.get('account.invoice.line')
    with Transaction().set_context(company=company.id):
        account = product.account_revenue_used
        taxes = list(product.customer_taxes_used)
    return InvoiceLine(
        type='line', company=company, currency=currency, product=product,
        unit=product.default_uom, quantity=1, unit_price=amount,
        account=account, taxes=taxes, description=description,
        origin=origin)


def post_new_invoices(invoices):
    """Save and post the invoices: pressing the button that invoices is
    what allows it, not access to the invoices"""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    with without_check_access():
        Invoice.save(invoices)
        Invoice.post(invoices)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def cancel(cls, invoices):
        pool = Pool()
        Bill = pool.get('reguarantee.fee.bill')
        super().cancel(invoices)
        # a posted invoice is cancelled by a credit note with refund (or
        # directly if the company allows it): its bill is to bill again
        with without_check_access():
            bills = Bill.search([
                    ('invoice', 'in', [i.id for i in invoices]),
                    ('invoice.state', '=', 'cancelled'),
                    ('state', '=', 'confirmed'),
                    ])
            Bill.reopen(bills)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['reguarantee.fee.bill']


class Institution(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution'

    fee_bills = fields.One2Many(
        'reguarantee.fee.bill', 'institution', "Fee Bills", readonly=True)
    receivable = fields.Function(Monetary(
            "Receivable", currency='currency', digits='currency',
            help="What the institution owes, from the accounting (the "
            "balance of its party's receivable account lines)."),
        'get_receivable')

    @classmethod
    def get_receivable(cls, institutions, name):
        pool = Pool()
        Party = pool.get('party.party')
        parties = [i.party for i in institutions if i.party]
        amounts = Party.get_receivable_payable(
            parties, ['receivable'])['receivable']
        return {
            i.id: i.currency.round(amounts.get(i.party.id, Decimal(0)))
            if i.party else None
            for i in institutions}

    @classmethod
    def copy(cls, institutions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('fee_bills', None)
        return super().copy(institutions, default=default)
