# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.model import (
    RelationGuardMixin, SequenceNumberMixin, WorkflowGuardMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id, If
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import FeeModificationError, InvoiceRequestError
from .voucher import to_csv, to_xlsx, voucher_rows

_states = {
    'readonly': Eval('state') != 'draft',
    }


class InvoiceRequest(
        WorkflowGuardMixin, SequenceNumberMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.invoice.request'
    _number_sequence = 'invoice_request_sequence'
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
    bills = fields.Many2Many(
        'reguarantee.invoice.request-reguarantee.fee.bill', 'request',
        'bill', "Bills", states=_states,
        domain=[
            ('institution', '=', Eval('institution', -1)),
            ('state', '=', 'confirmed'),
            ],
        help="The confirmed bills to issue the tax invoice for.")
    invoice_kind = fields.Selection([
            ('normal', "Normal VAT Invoice"),
            ('special', "Special VAT Invoice"),
            ], "Invoice Kind", required=True, states=_states)
    invoice_kind_string = invoice_kind.translated('invoice_kind')
    title = fields.Char(
        "Invoice Title", required=True, strip=True, states=_states,
        help="The name the tax invoice is made out to.")
    tax_identifier = fields.Char(
        "Taxpayer Identifier", required=True, strip=True, states=_states)
    address_phone = fields.Char(
        "Address and Phone", strip=True, states=_states)
    bank_account = fields.Char(
        "Bank and Account", strip=True, states=_states)
    remarks = fields.Text("Remarks", states=_states)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency',
            help="The total of the bills' invoices."),
        'get_amount')
    request_date = fields.Date("Request Date", readonly=True)
    requested_by = fields.Many2One('res.user', "Requested by", readonly=True)
    approval_date = fields.Date("Approval Date", readonly=True)
    export_date = fields.Date(
        "Export Date", readonly=True,
        help="When the voucher file was last exported.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('finance_approved', "Approved by Finance"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        manager = Id('account', 'group_account_admin').in_(
            Eval('context', {}).get('groups', []))
        cls._order = [('number', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'requested'),
            ('draft', 'cancelled'),
            ('requested', 'finance_approved'),
            ('finance_approved', 'approved'),
            ('requested', 'rejected'),
            ('finance_approved', 'rejected'),
            ('rejected', 'draft'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': ~Eval('state').in_(
                        ['requested', 'finance_approved']),
                    # finance approves first, then the finance manager
                    'readonly': If(Eval('state') == 'requested',
                        manager, ~manager),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['requested', 'finance_approved']),
                    'readonly': (
                        (Eval('state') == 'finance_approved') & ~manager),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(['rejected', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'export': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-export',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_invoice_kind(cls):
        return 'normal'

    @classmethod
    def default_institution(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.get_default_reguarantee_institution()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('institution', 'title', 'tax_identifier')
    def on_change_institution(self):
        if self.institution:
            self.title = self.title or self.institution.name
            self.tax_identifier = (
                self.tax_identifier or self.institution.uscc)

    def get_rec_name(self, name):
        return self.number or str(self.id)

    def get_amount(self, name):
        return sum(
            (b.invoice.total_amount for b in self.bills if b.invoice),
            Decimal(0))

    @classmethod
    def check_modification(cls, mode, requests, values=None, external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if mode == 'delete':
            for request in requests:
                if request.state not in {'draft', 'cancelled'}:
                    raise FeeModificationError(gettext(
                            'reguarantee_fees.msg_invoice_request_delete',
                            request=request.rec_name))

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'bills', 'request_date', 'requested_by',
                'approval_date', 'export_date']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(requests, default=default)

    def check_request(self):
        "Raise if the request cannot be submitted"
        pool = Pool()
        Request = pool.get('reguarantee.invoice.request')
        if not self.bills:
            raise InvoiceRequestError(gettext(
                    'reguarantee_fees.msg_invoice_request_no_bill',
                    request=self.rec_name))
        for bill in self.bills:
            if (bill.institution != self.institution
                    or bill.state != 'confirmed'):
                raise InvoiceRequestError(gettext(
                        'reguarantee_fees.msg_invoice_request_bill',
                        request=self.rec_name, bill=bill.rec_name))
        others = Request.search([
                ('id', '!=', self.id),
                ('bills', 'in', [b.id for b in self.bills]),
                ('state', 'in', ['requested', 'finance_approved', 'approved']),
                ], limit=1)
        if others:
            other, = others
            raise InvoiceRequestError(gettext(
                    'reguarantee_fees.msg_invoice_request_duplicate',
                    request=self.rec_name, other=other.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def request(cls, requests):
        pool = Pool()
        Date = pool.get('ir.date')
        for request in requests:
            request.check_request()
        cls.write(requests, {
                'request_date': Date.today(),
                'requested_by': Transaction().user,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        pass

    @classmethod
    @ModelView.button
    def approve(cls, requests):
        """A finance user approves the requested ones, then a finance
        manager approves them (button rules conditioned by the state)"""
        requested = [r for r in requests if r.state == 'requested']
        finance_approved = [
            r for r in requests if r.state == 'finance_approved']
        cls.approve_by_finance(requested)
        cls.approve_by_manager(finance_approved)

    @classmethod
    @Workflow.transition('finance_approved')
    def approve_by_finance(cls, requests):
        pass

    @classmethod
    @Workflow.transition('approved')
    def approve_by_manager(cls, requests):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(requests, {'approval_date': Date.today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, requests):
        cls.write(requests, {
                'request_date': None,
                'requested_by': None,
                'approval_date': None,
                })

    @classmethod
    @ModelView.button_action('reguarantee_fees.wizard_invoice_request_export')
    def export(cls, requests):
        pass


class InvoiceRequestBill(RelationGuardMixin, ModelSQL):
    __name__ = 'reguarantee.invoice.request-reguarantee.fee.bill'
    _guarded_relation = ('request', 'bills')

    request = fields.Many2One(
        'reguarantee.invoice.request', "Request", required=True,
        ondelete='CASCADE')
    bill = fields.Many2One(
        'reguarantee.fee.bill', "Bill", required=True, ondelete='RESTRICT')


class InvoiceRequestReport(Report):
    __name__ = 'reguarantee.invoice.request'


class InvoiceRequestExport(Wizard):
    __name__ = 'reguarantee.invoice.request.export'

    start = StateView(
        'reguarantee.invoice.request.export.start',
        'reguarantee_fees.invoice_request_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-ok', default=True),
            ])
    export = StateTransition()
    result = StateView(
        'reguarantee.invoice.request.export.result',
        'reguarantee_fees.invoice_request_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_export(self):
        pool = Pool()
        Date = pool.get('ir.date')
        Request = pool.get('reguarantee.invoice.request')
        requests = sorted(self.records, key=lambda r: r.number or '')
        for request in requests:
            if request.state != 'approved':
                raise InvoiceRequestError(gettext(
                        'reguarantee_fees.msg_invoice_request_export_state',
                        request=request.rec_name))
        rows = [row for r in requests for row in voucher_rows(r)]
        format_ = self.start.format
        self.result.file = (
            to_xlsx(rows) if format_ == 'xlsx' else to_csv(rows))
        name = requests[0].number if len(requests) == 1 else 'vouchers'
        self.result.filename = f'{name}.{format_}'
        today = Date.today()
        Request.write(requests, {'export_date': today})
        self.result.summary = gettext(
            'reguarantee_fees.msg_invoice_request_export_summary',
            requests=len(requests), lines=len(rows),
            filename=self.result.filename,
            date=Pool().get('ir.lang').get().strftime(today))
        return 'result'

    def default_result(self, fields):
        return {
            'file': self.result.file,
            'filename': self.result.filename,
            'summary': self.result.summary,
            }


class InvoiceRequestExportStart(ModelView):
    __name__ = 'reguarantee.invoice.request.export.start'

    format = fields.Selection([
            ('xlsx', "Excel Workbook (.xlsx)"),
            ('csv', "CSV (.csv)"),
            ], "Format", required=True)

    @classmethod
    def default_format(cls):
        return 'xlsx'


class InvoiceRequestExportResult(ModelView):
    __name__ = 'reguarantee.invoice.request.export.result'

    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)
    summary = fields.Text("Summary", readonly=True)
