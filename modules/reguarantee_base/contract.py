# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .approval import ApprovalHistoryMixin
from .exceptions import (
    AmountError, ContractSignError, DateOrderError, InvalidationError)
from .model import RelationGuardMixin, SequenceNumberMixin, WorkflowGuardMixin

_states = {
    'readonly': Eval('state') != 'draft',
    }


class Contract(
        WorkflowGuardMixin, SequenceNumberMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.contract'
    _number_sequence = 'contract_sequence'
    _deletable_states = {'draft'}
    _rec_name = 'number'

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'draft',
                ('state', 'in', ['submitted', 'active']),
                ()),
            ])
    products = fields.Many2Many(
        'reguarantee.contract-reguarantee.product', 'contract', 'product',
        "Products", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    quota_amount = Monetary(
        "Quota", currency='currency', digits='currency', states=_states,
        help="The maximum re-guarantee balance under the contract.")
    start_date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date("End Date", required=True, states=_states)
    sign_date = fields.Date("Sign Date", readonly=True)
    signed_by = fields.Many2One('res.user', "Signed By", readonly=True)
    invalidation_date = fields.Date("Invalidation Date", readonly=True)
    invalidation_reason = fields.Text("Invalidation Reason", readonly=True)
    invalidated_by = fields.Many2One(
        'res.user', "Invalidated By", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('approving', "Approving"),
            ('signed', "Signed"),
            ('expired', "Expired"),
            ('invalidated', "Invalidated"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.company, t.number),
                'reguarantee_base.msg_contract_number_unique'),
            ]
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'approving'),
            ('approving', 'draft'),
            ('approving', 'signed'),
            ('signed', 'expired'),
            ('signed', 'invalidated'),
            }
        cls._buttons.update({
                'request_approval': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'approving',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'sign': {
                    'invisible': Eval('state') != 'approving',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'invalidate': {
                    'invisible': Eval('state') != 'signed',
                    'icon': 'tryton-cancel',
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

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def copy(cls, contracts, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'sign_date', 'signed_by', 'invalidation_date',
                'invalidation_reason', 'invalidated_by']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(contracts, default=default)

    @classmethod
    def validate_fields(cls, contracts, field_names):
        super().validate_fields(contracts, field_names)
        cls.check_dates(contracts, field_names)
        cls.check_quota(contracts, field_names)

    @classmethod
    def check_dates(cls, contracts, field_names=None):
        if field_names and not ({'start_date', 'end_date'} & set(field_names)):
            return
        for contract in contracts:
            if contract.end_date < contract.start_date:
                raise DateOrderError(gettext(
                        'reguarantee_base.msg_contract_dates',
                        contract=contract.rec_name,
                        start_date=contract.start_date,
                        end_date=contract.end_date))

    @classmethod
    def check_quota(cls, contracts, field_names=None):
        if field_names and 'quota_amount' not in field_names:
            return
        for contract in contracts:
            if contract.quota_amount is not None and contract.quota_amount < 0:
                raise AmountError(gettext(
                        'reguarantee_base.msg_contract_quota_negative',
                        contract=contract.rec_name))

    def check_signable(self):
        if self.institution.state != 'active':
            raise ContractSignError(gettext(
                    'reguarantee_base.msg_contract_institution_not_active',
                    contract=self.rec_name,
                    institution=self.institution.rec_name))
        if not any(p.active and p.is_valid_on(self.start_date, self.end_date)
                for p in self.products):
            raise ContractSignError(gettext(
                    'reguarantee_base.msg_contract_no_valid_product',
                    contract=self.rec_name,
                    start_date=self.start_date,
                    end_date=self.end_date))

    @classmethod
    @ModelView.button
    @Workflow.transition('approving')
    def request_approval(cls, contracts):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, contracts):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('signed')
    def sign(cls, contracts):
        pool = Pool()
        Date = pool.get('ir.date')
        for contract in contracts:
            contract.check_signable()
        cls.write(contracts, {
                'sign_date': Date.today(),
                'signed_by': Transaction().user,
                })

    @classmethod
    @ModelView.button_action('reguarantee_base.wizard_contract_invalidate')
    def invalidate(cls, contracts):
        pass

    @classmethod
    @Workflow.transition('invalidated')
    def do_invalidate(cls, contracts, reason, date):
        "Invalidate the contracts, keeping the reason, the date and the user"
        if not reason or not reason.strip():
            raise InvalidationError(gettext(
                    'reguarantee_base.msg_contract_invalidation_reason',
                    contracts=', '.join(c.rec_name for c in contracts)))
        cls.write(contracts, {
                'invalidation_reason': reason.strip(),
                'invalidation_date': date,
                'invalidated_by': Transaction().user,
                })

    @classmethod
    @Workflow.transition('expired')
    def expire(cls, contracts):
        pass

    @classmethod
    def expire_contracts(cls, date=None):
        "Expire the signed contracts past their end date (cron)"
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        contracts = cls.search([
                ('state', '=', 'signed'),
                ('end_date', '<', date),
                ])
        cls.expire(contracts)


class ContractProduct(RelationGuardMixin, ModelSQL):
    __name__ = 'reguarantee.contract-reguarantee.product'
    _guarded_relation = ('contract', 'products')

    contract = fields.Many2One(
        'reguarantee.contract', "Contract", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'reguarantee.product', "Product", required=True, ondelete='RESTRICT')


class ContractInvalidate(Wizard):
    __name__ = 'reguarantee.contract.invalidate'

    start = StateView(
        'reguarantee.contract.invalidate.start',
        'reguarantee_base.contract_invalidate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Invalidate", 'invalidate', 'tryton-ok', default=True),
            ])
    invalidate = StateTransition()
    done = StateView(
        'reguarantee.contract.invalidate.done',
        'reguarantee_base.contract_invalidate_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_invalidate(self):
        pool = Pool()
        Contract = pool.get('reguarantee.contract')
        Lang = pool.get('ir.lang')
        contracts = [r for r in self.records if r.state == 'signed']
        Contract.do_invalidate(
            contracts, self.start.reason, self.start.date)
        self.done.summary = gettext(
            'reguarantee_base.msg_contract_invalidate_summary',
            count=len(contracts),
            contracts=', '.join(c.rec_name for c in contracts),
            date=Lang.get().strftime(self.start.date))
        return 'done'

    def default_done(self, fields):
        return {
            'summary': self.done.summary,
            }


class ContractInvalidateStart(ModelView):
    __name__ = 'reguarantee.contract.invalidate.start'

    reason = fields.Text("Reason", required=True)
    date = fields.Date("Date", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class ContractInvalidateDone(ModelView):
    __name__ = 'reguarantee.contract.invalidate.done'

    summary = fields.Text("Summary", readonly=True)
