# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.model import (
    SequenceNumberMixin, WorkflowGuardMixin)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import BillError, FeeModificationError
from .fee_run import LastMonthStartMixin
from .invoice import new_customer_invoice, new_invoice_line, post_new_invoices

_states = {
    'readonly': Eval('state') != 'draft',
    }


class Bill(
        WorkflowGuardMixin, SequenceNumberMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.fee.bill'
    _number_sequence = 'fee_bill_sequence'
    _rec_name = 'number'

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    period_start = fields.Date("Period Start", required=True, states=_states)
    period_end = fields.Date(
        "Period End", required=True, states=_states,
        help="The bill holds the fees not yet billed that start on or "
        "before this date.")
    fees = fields.One2Many(
        'reguarantee.fee', 'bill', "Fees", readonly=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency',
            help="The total of the fees."),
        'get_amount')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT',
        help="The customer invoice posted when the bill is confirmed.")
    amount_to_pay = fields.Function(Monetary(
            "Amount to Pay", currency='currency', digits='currency',
            help="What the institution still owes on the invoice, from "
            "the accounting."),
        'get_invoice_amounts')
    paid = fields.Function(
        fields.Boolean("Paid", help="The invoice is paid."),
        'get_invoice_amounts', searcher='search_paid')
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('period_end', 'DESC'), ('number', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'draft'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', Eval('paid', False) & 'success'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def get_amount(cls, bills, name):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        fee = Fee.__table__()
        cursor = Transaction().connection.cursor()
        amounts = {b.id: Decimal(0) for b in bills}
        for sub_ids in grouped_slice(
                [b.id for b in bills], backend.MAX_QUERY_PARAMS):
            cursor.execute(*fee.select(
                    fee.bill, Sum(fee.amount),
                    where=fee.bill.in_(list(sub_ids)),
                    group_by=[fee.bill]))
            for bill_id, amount in cursor:
                amounts[bill_id] = Decimal(amount or 0)
        return {
            b.id: b.currency.round(amounts[b.id]) if b.currency else None
            for b in bills}

    @classmethod
    def get_invoice_amounts(cls, bills, names):
        result = {name: {} for name in names}
        for bill in bills:
            invoice = bill.invoice
            if 'amount_to_pay' in result:
                result['amount_to_pay'][bill.id] = (
                    bill.currency.round(invoice.amount_to_pay)
                    if invoice else None)
            if 'paid' in result:
                result['paid'][bill.id] = bool(
                    invoice and invoice.state == 'paid')
        return result

    @classmethod
    def search_paid(cls, name, clause):
        _, operator, value = clause[:3]
        if (operator == '=') == bool(value):
            return [('invoice.state', '=', 'paid')]
        return ['OR',
            ('invoice', '=', None),
            ('invoice.state', '!=', 'paid'),
            ]

    @classmethod
    def check_modification(cls, mode, bills, values=None, external=False):
        super().check_modification(
            mode, bills, values=values, external=external)
        if mode == 'delete':
            for bill in bills:
                if bill.state == 'confirmed':
                    raise FeeModificationError(gettext(
                            'reguarantee_fees.msg_bill_delete',
                            bill=bill.rec_name))

    @classmethod
    def copy(cls, bills, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'fees', 'invoice']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(bills, default=default)

    @classmethod
    def create_bills(cls, company, period_start, period_end,
            institutions=None):
        """Put the billable fees of the company starting by period_end on a
        draft bill per institution for the period, reusing the draft bills
        of the period; return the bills that received fees"""
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        domain = Fee.billable_domain() + [
            ('company', '=', company.id),
            ('period_start', '<=', period_end),
            ]
        if institutions is not None:
            domain.append(('institution', 'in', [i.id for i in institutions]))
        fee = Fee.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*fee.select(
                fee.institution, fee.id,
                where=fee.id.in_(Fee.search(domain, query=True))))
        fees = defaultdict(list)
        for institution_id, fee_id in cursor:
            fees[institution_id].append(fee_id)
        if not fees:
            return []
        bills = {
            b.institution.id: b for b in cls.search([
                    ('company', '=', company.id),
                    ('institution', 'in', list(fees)),
                    ('period_start', '=', period_start),
                    ('period_end', '=', period_end),
                    ('state', '=', 'draft'),
                    ])}
        new = [
            cls(company=company, institution=i, period_start=period_start,
                period_end=period_end)
            for i in fees if i not in bills]
        cls.save(new)
        bills.update({b.institution.id: b for b in new})
        to_write = []
        for institution_id, fee_ids in fees.items():
            to_write.extend([
                    Fee.browse(fee_ids), {'bill': bills[institution_id].id}])
        Fee.write(*to_write)
        return sorted(bills[i] for i in fees)

    def check_confirm(self):
        "Raise if the bill cannot be invoiced"
        if not self.fees:
            raise BillError(gettext(
                    'reguarantee_fees.msg_bill_empty', bill=self.rec_name))
        party = self.institution.party
        if not party or not party.address_get(type='invoice'):
            raise BillError(gettext(
                    'reguarantee_fees.msg_bill_no_party',
                    bill=self.rec_name,
                    institution=self.institution.rec_name))
        for fee in self.fees:
            if fee.state != 'draft' or (
                    fee.kind == 'special' and not fee.approved_by):
                raise BillError(gettext(
                        'reguarantee_fees.msg_bill_fee_not_approved',
                        bill=self.rec_name, fee=fee.rec_name))
            if not fee.product.invoice_product:
                raise BillError(gettext(
                        'reguarantee_fees.msg_bill_no_invoice_product',
                        bill=self.rec_name, product=fee.product.rec_name))

    def _get_invoice(self):
        "Return the unsaved customer invoice of the bill"
        invoice = new_customer_invoice(
            self.company, self.institution.party, self.currency, self.number)
        invoice.lines = self.get_invoice_lines()
        return invoice

    def get_invoice_lines(self):
        "Return the unsaved invoice lines of the fees, grouped"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        grouping = Configuration(1).fee_invoice_grouping
        groups = defaultdict(list)
        for fee in self.fees:
            groups[self._invoice_line_key(fee, grouping)].append(fee)
        return [
            self._get_invoice_line(key, fees)
            for key, fees in sorted(groups.items(), key=lambda i: i[0])]

    @classmethod
    def _invoice_line_key(cls, fee, grouping):
        "Return the key of the invoice line of the fee as a sortable tuple"
        special = fee.description if fee.kind == 'special' else ''
        if grouping == 'project':
            return (fee.project.rec_name, special, fee.product.id)
        return (fee.product.rec_name, special, fee.product.id)

    def _get_invoice_line(self, key, fees):
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        name, special, _ = key
        if special:
            description = gettext(
                'reguarantee_fees.msg_bill_line_special',
                description=special, name=name)
        else:
            description = gettext(
                'reguarantee_fees.msg_bill_line_standard', name=name,
                start=lang.strftime(min(f.period_start for f in fees)),
                end=lang.strftime(max(f.period_end for f in fees)),
                count=len(fees))
        return new_invoice_line(
            self.company, self.currency, fees[0].product.invoice_product,
            sum((f.amount for f in fees), Decimal(0)), description, self)

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, bills):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        for bill in bills:
            bill.check_confirm()
        # Pressing Confirm (finance) is what allows to invoice the fees
        with without_check_access():
            invoices = [b._get_invoice() for b in bills]
        post_new_invoices(invoices)
        for bill, invoice in zip(bills, invoices):
            bill.invoice = invoice
        cls.save(bills)
        Fee.bill_fees([f for b in bills for f in b.fees])
        cls.notify_institutions(bills)

    @classmethod
    def notify_institutions(cls, bills):
        "Notify the users of the bills' institutions, in their language"
        pool = Pool()
        Lang = pool.get('ir.lang')
        for bill in bills:
            for user in bill.institution.users:
                language = user.language.code if user.language else None
                with Transaction().set_context(language=language):
                    lang = Lang.get()
                    label = gettext(
                        'reguarantee_fees.msg_bill_notification',
                        bill=bill.rec_name,
                        amount=lang.currency(bill.amount, bill.currency))
                    description = gettext(
                        'reguarantee_fees.msg_bill_notification_description',
                        invoice=bill.invoice.rec_name,
                        start=lang.strftime(bill.period_start),
                        end=lang.strftime(bill.period_end))
                cls.notify_user(
                    [bill], 'tryton-account', label,
                    description=description, user=user.id)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, bills):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        Fee.write([f for b in bills for f in b.fees], {'bill': None})

    @classmethod
    @Workflow.transition('draft')
    def reopen(cls, bills):
        """The invoice of the bills is cancelled: their fees are billable
        again (by Create Bills, which reuses the draft bill of the
        period)"""
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        Fee.unbill([f for b in bills for f in b.fees])
        cls.write(bills, {'invoice': None})


class BillCreate(Wizard):
    __name__ = 'reguarantee.fee.bill.create'

    start = StateView(
        'reguarantee.fee.bill.create.start',
        'reguarantee_fees.bill_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()
    done = StateView(
        'reguarantee.fee.bill.create.done',
        'reguarantee_fees.bill_create_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open Bills", 'open_', 'tryton-forward', default=True,
                states={
                    'invisible': ~Eval('bills', []),
                    }),
            ])
    open_ = StateAction('reguarantee_fees.act_bill_form')

    def transition_create_(self):
        pool = Pool()
        Bill = pool.get('reguarantee.fee.bill')
        bills = Bill.create_bills(
            self.start.company, self.start.period_start,
            self.start.period_end, self.start.institutions or None)
        self.done.bills = bills
        self.done.summary = self.get_summary(bills)
        return 'done'

    def get_summary(self, bills):
        "Return the text that says which bills received which fees"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        period = {
            'start': lang.strftime(self.start.period_start),
            'end': lang.strftime(self.start.period_end),
            }
        if not bills:
            return gettext(
                'reguarantee_fees.msg_bill_create_summary_none', **period)
        currency = self.start.company.currency
        lines = [gettext(
                'reguarantee_fees.msg_bill_create_summary',
                bills=len(bills),
                fees=sum(len(b.fees) for b in bills),
                amount=lang.currency(
                    sum(b.amount for b in bills), currency, grouping=True),
                **period)]
        for bill in bills:
            lines.append(gettext(
                    'reguarantee_fees.msg_bill_create_summary_bill',
                    bill=bill.rec_name,
                    institution=bill.institution.rec_name,
                    fees=len(bill.fees),
                    amount=lang.currency(
                        bill.amount, bill.currency, grouping=True)))
        return '\n'.join(lines)

    def default_done(self, fields):
        return {
            'summary': self.done.summary,
            'bills': [b.id for b in self.done.bills],
            }

    def do_open_(self, action):
        action['domains'] = []
        return action, {'res_id': [b.id for b in self.done.bills]}


class BillCreateStart(LastMonthStartMixin, ModelView):
    __name__ = 'reguarantee.fee.bill.create.start'

    institutions = fields.Many2Many(
        'reguarantee.institution', None, None, "Institutions",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="Leave empty for every institution.")


class BillCreateDone(ModelView):
    __name__ = 'reguarantee.fee.bill.create.done'

    summary = fields.Text("Summary", readonly=True)
    bills = fields.Many2Many(
        'reguarantee.fee.bill', None, None, "Bills", readonly=True)
