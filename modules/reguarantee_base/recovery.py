# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .approval import ApprovalHistoryMixin
from .compensation import CompensationRecordMixin
from .exceptions import AmountError, DateOrderError, RecoveryError
from .model import DraftComputedMixin, WorkflowGuardMixin

_states = {
    'readonly': Eval('state') != 'draft',
    }


class Recovery(
        CompensationRecordMixin, DraftComputedMixin, WorkflowGuardMixin,
        ApprovalHistoryMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.recovery'
    _deletable_states = {'draft'}
    _draft_computed = {
        'reguarantor_amount': (
            'compute_reguarantor_amount', {'compensation', 'amount'}),
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    compensation = fields.Many2One(
        'reguarantee.compensation', "Compensation", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'draft',
                ('state', '=', 'paid'),
                ()),
            ],
        help="The paid compensation of the guarantee.")
    origin = fields.Function(
        fields.Reference("Origin", selection='get_origins'),
        'on_change_with_origin', searcher='search_compensation')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    date = fields.Date("Date", required=True, states=_states)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        states=_states,
        help="The amount recovered from the borrower: by the institution "
        "for a project.")
    reguarantor_amount = Monetary(
        "Re-guarantor Amount", currency='currency', digits='currency',
        readonly=True,
        help="The amount times the re-guarantor's share of the "
        "compensation: the company's part, due from the institution for a "
        "project.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
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
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_origins(cls):
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        return Compensation.get_origins()

    @fields.depends('compensation', '_parent_compensation.origin')
    def on_change_with_origin(self, name=None):
        if self.compensation and self.compensation.origin:
            return str(self.compensation.origin)

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends(
        'amount', 'currency', 'compensation', '_parent_compensation.share')
    def compute_reguarantor_amount(self):
        "Return the amount times the share of the compensation"
        if (self.amount is not None and self.currency
                and self.compensation
                and self.compensation.share is not None):
            return self.currency.round(self.amount * self.compensation.share)

    @fields.depends(methods=['compute_reguarantor_amount'])
    def on_change_with_reguarantor_amount(self):
        return self.compute_reguarantor_amount()

    @classmethod
    def copy(cls, recoveries, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('reguarantor_amount', None)
        return super().copy(recoveries, default=default)

    @classmethod
    def validate_fields(cls, recoveries, field_names):
        super().validate_fields(recoveries, field_names)
        cls.check_amount(recoveries, field_names)
        cls.check_date(recoveries, field_names)

    @classmethod
    def check_amount(cls, recoveries, field_names=None):
        if field_names and 'amount' not in field_names:
            return
        for recovery in recoveries:
            if recovery.amount <= 0:
                raise AmountError(gettext(
                        'reguarantee_base.msg_recovery_amount_not_positive',
                        recovery=recovery.rec_name))

    @classmethod
    def check_date(cls, recoveries, field_names=None):
        if field_names and not ({'compensation', 'date'} & set(field_names)):
            return
        for recovery in recoveries:
            compensation = recovery.compensation
            if recovery.date < compensation.default_date:
                raise DateOrderError(gettext(
                        'reguarantee_base.msg_recovery_date',
                        recovery=recovery.rec_name,
                        date=recovery.date,
                        compensation=compensation.rec_name,
                        default_date=compensation.default_date))

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, recoveries):
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for recovery in recoveries:
            recovery.reguarantor_amount = (
                recovery.compute_reguarantor_amount())
        cls.save(recoveries)

        new = defaultdict(list)
        for recovery in recoveries:
            new[recovery.compensation].append(recovery)
        recovered = []
        for compensation, confirmed in new.items():
            total = compensation.recovered_amount + sum(
                r.amount for r in confirmed)
            recoverable = compensation.get_recoverable_amount()
            if total > recoverable:
                raise RecoveryError(gettext(
                        'reguarantee_base.msg_recovery_above_paid',
                        compensation=compensation.rec_name,
                        total=lang.currency(total, compensation.currency),
                        amount_paid=lang.currency(
                            recoverable, compensation.currency)))
            if total >= recoverable:
                recovered.append(compensation)
        Compensation.close_origins(recovered)
