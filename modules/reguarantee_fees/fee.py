# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.model import (
    PrevalidatedMixin, WorkflowGuardMixin)
from trytond.modules.reguarantee_base.product import RATE_DIGITS
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from .exceptions import FeeError, FeeModificationError
from .fee_run import FeeRunMixin

_states = {
    'readonly': ((Eval('state') != 'draft')
        | Bool(Eval('approved_by'))
        | (Eval('kind') != 'special')),
    }
#: Fields a billed, approved or computed fee keeps
LOCKED_FIELDS = {
    'company', 'project', 'institution', 'product', 'kind', 'credit',
    'description', 'period_start', 'period_end', 'days', 'base_amount',
    'rate', 'amount'}


class Fee(
        WorkflowGuardMixin, FeeRunMixin, PrevalidatedMixin,
        ApprovalHistoryMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.fee'
    _modification_error = FeeModificationError

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    project = fields.Many2One(
        'reguarantee.project', "Project", required=True, ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('state', 'in', ['filed', 'released', 'compensating',
                    'compensated', 'closed']),
            ],
        states=_states)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        readonly=True, ondelete='RESTRICT')
    product = fields.Many2One(
        'reguarantee.product', "Product", required=True, readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection([
            ('standard', "Standard"),
            ('special', "Special"),
            ], "Kind", required=True, readonly=True,
        help="Standard fees are computed by the fee run from the product; "
        "special fees (review fee, penalty…) are entered and approved.")
    credit = fields.Boolean(
        "Credit", readonly=True,
        help="A negative fee: the part of a billed fee after the end of the "
        "cover (release or paid compensation), credited on the next bill.")
    description = fields.Char(
        "Description", states={
            'readonly': _states['readonly'],
            'required': Eval('kind') == 'special',
            })
    period_start = fields.Date("Period Start", required=True, states=_states)
    period_end = fields.Date("Period End", required=True, states=_states)
    days = fields.Integer(
        "Days", readonly=True, help="The days of cover charged.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    base_amount = Monetary(
        "Base Amount", currency='currency', digits='currency', readonly=True,
        help="The loan, guarantee or re-guaranteed amount of the project, "
        "as the product's fee basis says.")
    rate = fields.Numeric(
        "Annual Rate", digits=RATE_DIGITS, readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        states=_states)
    approved_by = fields.Many2One(
        'res.user', "Approved by", readonly=True,
        states={
            'invisible': Eval('kind') != 'special',
            },
        help="Special fees are billed only once approved.")
    bill = fields.Many2One(
        'reguarantee.fee.bill', "Bill", readonly=True, ondelete='SET NULL')
    state = fields.Selection([
            ('draft', "Draft"),
            ('billed', "Billed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.project, Index.Range()),
                    (t.kind, Index.Equality()),
                    (t.period_start, Index.Range())),
                Index(t,
                    (t.institution, Index.Range()),
                    (t.state, Index.Equality())),
                Index(t, (t.bill, Index.Range())),
                })
        cls._order = [
            ('period_start', 'DESC'), ('project', 'ASC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            ('draft', 'billed'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': ((Eval('kind') != 'special')
                        | (Eval('state') != 'draft')
                        | Bool(Eval('approved_by'))),
                    'icon': 'tryton-ok',
                    'depends': ['kind', 'state', 'approved_by'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'special'

    @classmethod
    def default_credit(cls):
        return False

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_period_start(cls):
        return Pool().get('ir.date').today()

    default_period_end = default_period_start

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('project')
    def on_change_project(self):
        if self.project:
            self.institution = self.project.institution
            self.product = self.project.product

    def get_rec_name(self, name):
        project = self.project.rec_name if self.project else ''
        return f'{project} {self.period_start}–{self.period_end}'

    @classmethod
    def billable_domain(cls):
        "Return the domain of the fees that may be put on a bill"
        return [
            ('state', '=', 'draft'),
            ('bill', '=', None),
            ['OR',
                ('kind', '=', 'standard'),
                ('approved_by', '!=', None),
                ],
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('project') is not None:
            if not values.get('institution') or not values.get('product'):
                # the pool only when needed: Pool() costs more than the rest
                # of a fee of the fee run, which gives both
                Project = Pool().get('reguarantee.project')
                project = Project(values['project'])
                values.setdefault('company', project.company.id)
                values['institution'] = project.institution.id
                values['product'] = (
                    project.product.id if project.product else None)
        return values

    @classmethod
    def check_modification(cls, mode, fees, values=None, external=False):
        super().check_modification(
            mode, fees, values=values, external=external)
        if mode == 'delete' or (
                mode == 'write' and values.keys() & LOCKED_FIELDS):
            for fee in fees:
                if (fee.state != 'draft' or fee.bill
                        or (mode == 'write' and (
                                fee.approved_by or fee.kind == 'standard'))):
                    raise FeeModificationError(gettext(
                            'reguarantee_fees.msg_fee_modify',
                            fee=fee.rec_name))

    @classmethod
    def validate_fields(cls, fees, field_names):
        super().validate_fields(fees, field_names)
        cls.check_special(fees, field_names)

    @classmethod
    def check_special(cls, fees, field_names=None):
        if field_names and not (
                {'amount', 'period_start', 'period_end'} & field_names):
            return
        for fee in fees:
            if fee.period_end < fee.period_start:
                raise FeeError(gettext(
                        'reguarantee_fees.msg_fee_period',
                        fee=fee.rec_name))
            if fee.kind == 'special' and fee.amount <= 0:
                raise FeeError(gettext(
                        'reguarantee_fees.msg_fee_special_amount',
                        fee=fee.rec_name))

    @classmethod
    def copy(cls, fees, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('bill', None)
        default.setdefault('approved_by', None)
        default.setdefault('state', 'draft')
        return super().copy(fees, default=default)

    @classmethod
    @ModelView.button
    def approve(cls, fees):
        cls.write(
            [f for f in fees if f.kind == 'special' and f.state == 'draft'],
            {'approved_by': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, fees):
        for fee in fees:
            if fee.bill:
                raise FeeModificationError(gettext(
                        'reguarantee_fees.msg_fee_cancel_billed',
                        fee=fee.rec_name, bill=fee.bill.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, fees):
        cls.check_replaced(fees)

    @classmethod
    def check_replaced(cls, fees):
        """Raise if a standard fee has another fee of the same project,
        first day and credit flag not cancelled (the fee that replaced it
        when the cover ended)"""
        standard = [f for f in fees if f.kind == 'standard']
        if not standard:
            return
        others = {
            (f.project.id, f.period_start, f.credit): f
            for f in cls.search([
                    ('project', 'in', list({f.project.id for f in standard})),
                    ('kind', '=', 'standard'),
                    ('state', '!=', 'cancelled'),
                    ('id', 'not in', [f.id for f in standard]),
                    ])}
        for fee in standard:
            other = others.get((fee.project.id, fee.period_start, fee.credit))
            if other:
                raise FeeModificationError(gettext(
                        'reguarantee_fees.msg_fee_draft_replaced',
                        fee=fee.rec_name, other=other.rec_name))

    @classmethod
    @Workflow.transition('billed')
    def bill_fees(cls, fees):
        "The fees are on a confirmed bill"
        pass

    @classmethod
    def unbill(cls, fees):
        """The invoice of the fees' bill is cancelled: they are billable
        again

        Not a transition: the Draft button must not apply to billed
        fees."""
        cls.write(
            [f for f in fees if f.state == 'billed'],
            {'state': 'draft', 'bill': None})
