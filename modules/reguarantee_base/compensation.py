# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .approval import ApprovalHistoryMixin
from .exceptions import (
    AmountError, CompensationError, CompensationOpenError, DateOrderError)
from .model import DraftComputedMixin, OneOpenMixin, WorkflowGuardMixin
from .product import RATE_DIGITS

_states = {
    'readonly': Eval('state') != 'draft',
    }
#: States of a compensation still to be decided or paid
OPEN_STATES = ['draft', 'submitted', 'approved']


class Compensation(
        DraftComputedMixin, OneOpenMixin, WorkflowGuardMixin,
        ApprovalHistoryMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.compensation'
    _deletable_states = {'draft'}
    _draft_computed = {
        'claim_amount': (
            'compute_claim_amount', {'project', 'amount_paid_by_institution'}),
        }
    _open_parent = 'project'
    _open_states = OPEN_STATES

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    project = fields.Many2One(
        'reguarantee.project', "Project", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'draft',
                ('state', '=', 'filed'),
                ()),
            ],
        help="The filed project whose borrower defaulted.")
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_institution')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    default_date = fields.Date(
        "Default Date", required=True, states=_states,
        help="The date the borrower defaulted.")
    principal = Monetary(
        "Principal", currency='currency', digits='currency', required=True,
        states=_states, help="The principal of the loan in default.")
    interest = Monetary(
        "Interest", currency='currency', digits='currency', required=True,
        states=_states, help="The interest of the loan in default.")
    amount_paid_by_institution = Monetary(
        "Amount Paid by Institution", currency='currency',
        digits='currency', required=True, states=_states,
        help="The amount the institution paid to the bank for the borrower.")
    share = fields.Numeric(
        "Re-guarantor Share", digits=RATE_DIGITS, readonly=True,
        help="The re-guarantor's share of the project's product, "
        "kept on submission.")
    claim_amount = Monetary(
        "Claim Amount", currency='currency', digits='currency',
        readonly=True,
        help="The amount paid by the institution times the re-guarantor's "
        "share: what the re-guarantor pays.")
    approval_level = fields.Function(
        fields.Integer(
            "Approval Level",
            help="1, 2 or 3 as the claim amount is above the amounts of "
            "the configuration that need higher approvals."),
        'get_approval_level', searcher='search_approval_level')
    payment_date = fields.Date("Payment Date", readonly=True)
    write_off_date = fields.Date("Write-off Date", readonly=True)
    written_off_by = fields.Many2One(
        'res.user', "Written off By", readonly=True)
    recoveries = fields.One2Many(
        'reguarantee.recovery', 'compensation', "Recoveries", readonly=True)
    recovered_amount = fields.Function(Monetary(
            "Recovered Amount", currency='currency', digits='currency',
            help="The total of the confirmed recoveries."),
        'get_recovered_amounts')
    recovered_reguarantor_amount = fields.Function(Monetary(
            "Re-guarantor's Recovered Amount", currency='currency',
            digits='currency',
            help="The re-guarantor's part of the confirmed recoveries, due "
            "from the institution."),
        'get_recovered_amounts')
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('paid', "Paid"),
            ('written_off', "Written off"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('default_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'approved'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            ('approved', 'paid'),
            ('paid', 'written_off'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'rejected',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'pay': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'write_off': {
                    'invisible': Eval('state') != 'paid',
                    'icon': 'tryton-delete',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('project', '_parent_project.institution')
    def on_change_with_institution(self, name=None):
        return self.project.institution if self.project else None

    @classmethod
    def search_institution(cls, name, clause):
        return [('project.' + clause[0], *clause[1:])]

    @fields.depends('share', 'project', '_parent_project.product')
    def get_reguarantor_share(self):
        "Return the kept share or else the share of the project's product"
        if self.share is not None:
            return self.share
        if self.project and self.project.product:
            return self.project.product.share_reguarantor

    @fields.depends(
        'amount_paid_by_institution', 'currency',
        methods=['get_reguarantor_share'])
    def compute_claim_amount(self):
        "Return the amount paid by the institution times the share"
        share = self.get_reguarantor_share()
        if (self.amount_paid_by_institution is not None
                and share is not None and self.currency):
            return self.currency.round(
                self.amount_paid_by_institution * share)

    @fields.depends(methods=['compute_claim_amount'])
    def on_change_with_claim_amount(self):
        return self.compute_claim_amount()

    @classmethod
    def get_approval_level(cls, compensations, name):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        return {
            c.id: configuration.get_approval_level(
                c.claim_amount,
                ['compensation_level2_amount', 'compensation_level3_amount'],
                c.company.id)
            for c in compensations}

    @classmethod
    def search_approval_level(cls, name, clause):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        table = cls.__table__()
        _, operator, value = clause
        level = Configuration(1).get_approval_level_sql(
            table.claim_amount,
            ['compensation_level2_amount', 'compensation_level3_amount'],
            table.company)
        return [('id', 'in', table.select(
                    table.id, where=fields.SQL_OPERATORS[operator](
                        level, value)))]

    @classmethod
    def get_recovered_amounts(cls, compensations, names):
        amounts = {name: {} for name in names}
        for compensation in compensations:
            confirmed = [
                r for r in compensation.recoveries if r.state == 'confirmed']
            for name, field in [
                    ('recovered_amount', 'amount'),
                    ('recovered_reguarantor_amount', 'reguarantor_amount')]:
                if name in names:
                    amounts[name][compensation.id] = sum(
                        (getattr(r, field) or 0 for r in confirmed),
                        compensation.currency.round(Decimal(0)))
        return amounts

    def get_rec_name(self, name):
        if self.project:
            return f'{self.project.rec_name} ({self.default_date})'
        return str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('project.rec_name', *clause[1:])]

    @classmethod
    def copy(cls, compensations, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'share', 'claim_amount', 'payment_date', 'write_off_date',
                'written_off_by', 'recoveries']:
            default.setdefault(name, None)
        return super().copy(compensations, default=default)

    @classmethod
    def validate_fields(cls, compensations, field_names):
        super().validate_fields(compensations, field_names)
        cls.check_amounts(compensations, field_names)
        cls.check_default_date(compensations, field_names)

    @classmethod
    def check_amounts(cls, compensations, field_names=None):
        names = {'principal', 'interest', 'amount_paid_by_institution'}
        if field_names and not (names & set(field_names)):
            return
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for compensation in compensations:
            for name in sorted(names):
                if getattr(compensation, name) < 0:
                    raise AmountError(gettext(
                            'reguarantee_base.msg_compensation_negative',
                            compensation=compensation.rec_name,
                            field=cls.__names__(name)['field']))
            debt = compensation.principal + compensation.interest
            if compensation.amount_paid_by_institution > debt:
                raise AmountError(gettext(
                        'reguarantee_base.msg_compensation_paid_above_debt',
                        compensation=compensation.rec_name,
                        amount_paid=lang.currency(
                            compensation.amount_paid_by_institution,
                            compensation.currency),
                        debt=lang.currency(debt, compensation.currency)))

    @classmethod
    def check_default_date(cls, compensations, field_names=None):
        names = {'project', 'default_date'}
        if field_names and not (names & set(field_names)):
            return
        for compensation in compensations:
            project = compensation.project
            if compensation.default_date < project.start_date:
                raise DateOrderError(gettext(
                        'reguarantee_base.msg_compensation_default_date',
                        compensation=compensation.rec_name,
                        default_date=compensation.default_date,
                        project=project.rec_name,
                        start_date=project.start_date))

    @classmethod
    def _open_error(cls, compensation, other):
        return CompensationOpenError(gettext(
                'reguarantee_base.msg_compensation_open_unique',
                compensation=compensation.rec_name,
                project=compensation.project.rec_name,
                other=other.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, compensations):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        for compensation in compensations:
            if compensation.amount_paid_by_institution <= 0:
                raise CompensationError(gettext(
                        'reguarantee_base.msg_compensation_paid_not_positive',
                        compensation=compensation.rec_name))
            compensation.share = compensation.project.product.share_reguarantor
            compensation.claim_amount = compensation.compute_claim_amount()
        cls.save(compensations)
        Project.start_compensation(list({c.project for c in compensations}))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, compensations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, compensations):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Project.revert_compensation(list({c.project for c in compensations}))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, compensations):
        cls.write(compensations, {'share': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('paid')
    def pay(cls, compensations):
        pool = Pool()
        Date = pool.get('ir.date')
        Project = pool.get('reguarantee.project')
        cls.write(compensations, {'payment_date': Date.today()})
        Project.compensate(list({c.project for c in compensations}))

    @classmethod
    @ModelView.button
    @Workflow.transition('written_off')
    def write_off(cls, compensations):
        pool = Pool()
        Date = pool.get('ir.date')
        Project = pool.get('reguarantee.project')
        cls.write(compensations, {
                'write_off_date': Date.today(),
                'written_off_by': Transaction().user,
                })
        Project.close(list({c.project for c in compensations}))


class CompensationRecordMixin:
    """A record of a paid compensation (a recovery, a disposal): the
    project and the institution of its compensation, its name

    The model defines its compensation Many2One (its own help and domain)
    and its date."""
    __slots__ = ()

    project = fields.Function(
        fields.Many2One('reguarantee.project', "Project"),
        'on_change_with_project', searcher='search_compensation')
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_compensation')

    @fields.depends('compensation', '_parent_compensation.project')
    def on_change_with_project(self, name=None):
        return self.compensation.project if self.compensation else None

    @fields.depends(
        'compensation', '_parent_compensation.project',
        '_parent_compensation.institution')
    def on_change_with_institution(self, name=None):
        return self.compensation.institution if self.compensation else None

    @classmethod
    def search_compensation(cls, name, clause):
        return [('compensation.' + clause[0], *clause[1:])]

    def get_rec_name(self, name):
        if self.compensation:
            return f'{self.compensation.project.rec_name} ({self.date})'
        return str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('compensation.project.rec_name', *clause[1:])]
