# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The guarantee fees of the direct guarantees, invoiced to the applicants

The fee of a guarantee is its amount × the annual rate of its product ×
the covered days ÷ 365, rounded once to the currency, as the re-guarantee
fees (reguarantee_fees.fee_calculation): an upfront fee covers the whole
term from the start date, a periodic fee covers a calendar month, the first
and last months pro rata of their days."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.model import WorkflowGuardMixin
from trytond.modules.reguarantee_fees.fee_calculation import (
    covered_periods, days_between, fee_amount)
from trytond.modules.reguarantee_fees.invoice import (
    new_customer_invoice, new_invoice_line, post_new_invoices)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import DirectFeeError

#: The day count of the direct guarantee fees
DAY_COUNT = 'act365'
#: The period of the periodic fees
PERIOD = 'monthly'
#: The states of the guarantees that accrue fees
FEE_STATES = {'contracted', 'in_force'}


class Product(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.product'

    invoice_product = fields.Many2One(
        'product.product', "Invoice Product", ondelete='RESTRICT',
        domain=[
            ('type', '=', 'service'),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The service invoiced to the applicants for the guarantee "
        "fees: its revenue account and customer taxes are used.")


class Fee(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.direct.fee'
    _deletable_states = {'draft', 'cancelled'}

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    application = fields.Many2One(
        'reguarantee.direct.application', "Guarantee", required=True,
        ondelete='RESTRICT', readonly=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    kind = fields.Selection([
            ('upfront', "Upfront"),
            ('periodic', "Periodic"),
            ], "Kind", required=True, readonly=True)
    period_start = fields.Date("Period Start", required=True, readonly=True)
    period_end = fields.Date(
        "Period End", required=True, readonly=True,
        help="The last day covered, included.")
    days = fields.Integer("Days", required=True, readonly=True)
    base = Monetary(
        "Base", currency='currency', digits='currency', required=True,
        readonly=True, help="The amount guaranteed.")
    rate = fields.Numeric("Annual Rate", digits=(16, 6), required=True,
        readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        readonly=True)
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT',
        help="The customer invoice posted for the fee.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('invoiced', "Invoiced"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.application, Index.Range()),
                    (t.period_start, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })
        cls._order = [('period_start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'invoiced'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'invoice_': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-account',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        return '%s %s..%s' % (
            self.application.rec_name, self.period_start, self.period_end)

    @classmethod
    def _fee(cls, application, first, last, kind):
        "Return the unsaved fee of application covering first to last"
        currency = application.company.currency
        days = days_between(first, last)
        rate = application.product.fee_rate
        return cls(
            company=application.company, application=application,
            party=application.applicant.party, kind=kind,
            period_start=first, period_end=last, days=days,
            base=application.amount, rate=rate, currency=currency,
            amount=fee_amount(
                application.amount, rate, days, DAY_COUNT, currency.round))

    @classmethod
    def compute_fees(cls, applications, until):
        """Return the unsaved fees due on until of the applications
        accruing fees that are not yet created"""
        fees = []
        existing = {}
        for fee in cls.search([
                    ('application', 'in', [a.id for a in applications]),
                    ('state', '!=', 'cancelled'),
                    ]):
            existing.setdefault(fee.application.id, set()).add(
                fee.period_start)
        for application in applications:
            if (application.state not in FEE_STATES
                    or not application.start_date
                    or not application.applicant.party
                    or application.start_date > until):
                continue
            done = existing.get(application.id, set())
            if application.product.fee_schedule == 'upfront':
                if not done:
                    fees.append(cls._fee(
                            application, application.start_date,
                            application.end_date - dt.timedelta(days=1),
                            'upfront'))
                continue
            for first, last in covered_periods(
                    PERIOD, application.start_date, application.end_date,
                    until):
                if first not in done:
                    fees.append(cls._fee(application, first, last, 'periodic'))
        return fees

    @classmethod
    def create_fees(cls, applications=None, until=None):
        "Create the fees due on until (today) and return them"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Date = pool.get('ir.date')
        if until is None:
            until = Date.today()
        if applications is None:
            applications = Application.search([
                    ('state', 'in', sorted(FEE_STATES)),
                    ])
        fees = cls.compute_fees(applications, until)
        cls.save(fees)
        return fees

    @classmethod
    def cancel_unbilled(cls, applications):
        "Cancel the fees not invoiced of the released applications"
        # the release (business) is what stops the fees
        with without_check_access():
            fees = cls.search([
                    ('application', 'in', [a.id for a in applications]),
                    ('state', '=', 'draft'),
                    ])
            cls.cancel(fees)

    def check_invoice(self):
        if self.application.state not in FEE_STATES:
            raise DirectFeeError(gettext(
                    'reguarantee_direct.msg_direct_fee_not_in_force',
                    fee=self.rec_name,
                    state=self.application.state_string))
        product = self.application.product
        if not product.invoice_product:
            raise DirectFeeError(gettext(
                    'reguarantee_direct.msg_direct_fee_no_invoice_product',
                    fee=self.rec_name, product=product.rec_name))
        if not self.party.address_get(type='invoice'):
            raise DirectFeeError(gettext(
                    'reguarantee_direct.msg_direct_fee_no_address',
                    fee=self.rec_name, party=self.party.rec_name))

    def _get_invoice(self):
        "Return the unsaved customer invoice of the fee"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        invoice = new_customer_invoice(
            self.company, self.party, self.currency,
            self.application.contract_number or self.application.number)
        invoice.lines = [new_invoice_line(
                self.company, self.currency,
                self.application.product.invoice_product, self.amount,
                gettext(
                    'reguarantee_direct.msg_direct_fee_invoice_line',
                    application=self.application.rec_name,
                    start=lang.strftime(self.period_start),
                    end=lang.strftime(self.period_end)),
                self)]
        return invoice

    @classmethod
    @ModelView.button
    @Workflow.transition('invoiced')
    def invoice_(cls, fees):
        for fee in fees:
            fee.check_invoice()
        # Pressing Invoice (finance) is what allows to invoice the fee
        with without_check_access():
            invoices = [f._get_invoice() for f in fees]
        post_new_invoices(invoices)
        for fee, invoice in zip(fees, invoices):
            fee.invoice = invoice
        cls.save(fees)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, fees):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, fees):
        pass


class Application(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'

    fees = fields.One2Many(
        'reguarantee.direct.fee', 'application', "Fees", readonly=True)
    deposits = fields.One2Many(
        'reguarantee.direct.deposit', 'application', "Deposits",
        readonly=True)

    @classmethod
    def release(cls, applications):
        pool = Pool()
        Fee = pool.get('reguarantee.direct.fee')
        super().release(applications)
        # a fee not yet invoiced is not billed after the release
        Fee.cancel_unbilled(
            [a for a in applications if a.state == 'released'])


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['reguarantee.direct.fee']


class FeeCreateStart(ModelView):
    __name__ = 'reguarantee.direct.fee.create.start'

    until = fields.Date("Until", required=True,
        help="The periodic fees of the months over on this date and the "
        "upfront fees of the guarantees started by it are created.")

    @classmethod
    def default_until(cls):
        return Pool().get('ir.date').today()


class FeeCreate(Wizard):
    __name__ = 'reguarantee.direct.fee.create'

    start = StateView(
        'reguarantee.direct.fee.create.start',
        'reguarantee_direct.fee_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateAction('reguarantee_direct.act_fee_form')

    def do_create_(self, action):
        pool = Pool()
        Fee = pool.get('reguarantee.direct.fee')
        fees = Fee.create_fees(until=self.start.until)
        action['domains'] = []
        return action, {'res_id': [f.id for f in fees]}


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('reguarantee.direct.fee|create_fees',
                "Create Direct Guarantee Fees"))
