# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The compensation of the bank when a direct guarantee's borrower defaults,
and the recoveries from the borrower and the counter-guarantees

They reuse reguarantee.compensation and reguarantee.recovery with a direct
application as origin: the company pays the bank the principal and the
interest in default within the guarantee amount and bears all of it (no
institution shares it), and keeps all it recovers."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.compensation import OPEN_STATES
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import without_check_access

from .exceptions import ApplicationError, DirectRecoveryError

#: The states of a compensation that pay the bank
PAID_STATES = {'paid', 'written_off'}


class Compensation(metaclass=PoolMeta):
    __name__ = 'reguarantee.compensation'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.origin.domain = {
            **cls.origin.domain,
            'reguarantee.direct.application': [
                ('company', '=', Eval('company', -1)),
                If(Eval('state') == 'draft',
                    ('state', '=', 'in_force'),
                    ()),
                ],
            }

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['reguarantee.direct.application']

    @fields.depends('origin')
    def get_direct_application(self):
        "Return the direct application of the origin, if it is one"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        if isinstance(self.origin, Application) and self.origin.id >= 0:
            return self.origin

    @fields.depends(methods=['get_direct_application'])
    def compute_share(self):
        "The company bears all of a direct guarantee"
        if self.get_direct_application():
            return Decimal(1)
        return super().compute_share()

    @fields.depends(
        'principal', 'interest', 'currency',
        methods=['get_direct_application'])
    def compute_claim_amount(self):
        """Return what the company pays the bank for a direct guarantee: the
        principal and the interest in default within the guarantee
        amount"""
        application = self.get_direct_application()
        if not application:
            return super().compute_claim_amount()
        if (self.principal is not None and self.interest is not None
                and self.currency):
            return self.currency.round(
                min(self.principal + self.interest, application.amount))

    def get_recoverable_amount(self):
        "The recoveries of a direct guarantee repay at most the claim"
        if self.get_direct_application():
            return self.claim_amount
        return super().get_recoverable_amount()

    @property
    def is_settled(self):
        """Whether nothing more is to be recovered: written off, or paid and
        fully recovered"""
        return (self.state == 'written_off'
            or (self.state == 'paid'
                and self.recovered_amount >= self.get_recoverable_amount()))

    def check_submit(self):
        super().check_submit()
        if self.get_direct_application() and not (
                self.claim_amount or 0) > 0:
            raise ApplicationError(gettext(
                    'reguarantee_direct.msg_compensation_claim_not_positive',
                    compensation=self.rec_name))

    @classmethod
    def _direct_applications(cls, compensations):
        "Return the direct applications of the compensations"
        return list({
                c.get_direct_application() for c in compensations
                if c.get_direct_application()})

    @classmethod
    def pay(cls, compensations):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        super().pay(compensations)
        # the guarantee follows its compensation, paid by the finance staff
        # who do not manage the direct guarantees
        with without_check_access():
            Application.compensate(cls._direct_applications(compensations))


class Recovery(metaclass=PoolMeta):
    __name__ = 'reguarantee.recovery'

    direct_application = fields.Function(
        fields.Many2One('reguarantee.direct.application', "Direct Guarantee"),
        'on_change_with_direct_application')
    counter_guarantee = fields.Many2One(
        'reguarantee.counter.guarantee', "Counter-guarantee",
        ondelete='RESTRICT',
        domain=[
            ('application', '=', Eval('direct_application', -1)),
            ],
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('direct_application'),
            },
        help="The counter-guarantee whose realisation the amount comes "
        "from; empty when the borrower repays.")
    realisation_method = fields.Selection([
            (None, ""),
            ('auction', "Auction"),
            ('sale', "Sale"),
            ('offset', "Offset"),
            ('deposit_deduction', "Deposit Deduction"),
            ('guarantor_payment', "Guarantor's Payment"),
            ], "Realisation Method",
        states={
            'readonly': Eval('state') != 'draft',
            'required': Bool(Eval('counter_guarantee')),
            'invisible': ~Eval('counter_guarantee'),
            })
    realisation_method_string = realisation_method.translated(
        'realisation_method')
    realised_amount = Monetary(
        "Realised Amount", currency='currency', digits='currency',
        states={
            'readonly': Eval('state') != 'draft',
            'required': Bool(Eval('counter_guarantee')),
            'invisible': ~Eval('counter_guarantee'),
            },
        help="What the realisation of the counter-guarantee brought: the "
        "price of the auction or the sale, the amount offset or deducted.")

    @fields.depends('compensation', '_parent_compensation.origin')
    def on_change_with_direct_application(self, name=None):
        if self.compensation:
            return self.compensation.get_direct_application()

    @fields.depends(
        'counter_guarantee', 'amount', 'realised_amount',
        'realisation_method')
    def on_change_counter_guarantee(self):
        if self.counter_guarantee:
            if self.realised_amount is None:
                self.realised_amount = self.amount
            if (self.counter_guarantee.kind == 'deposit'
                    and not self.realisation_method):
                self.realisation_method = 'deposit_deduction'

    @classmethod
    def copy(cls, recoveries, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('counter_guarantee', None)
        default.setdefault('realisation_method', None)
        default.setdefault('realised_amount', None)
        return super().copy(recoveries, default=default)

    @classmethod
    def validate_fields(cls, recoveries, field_names):
        super().validate_fields(recoveries, field_names)
        cls.check_realisation(recoveries, field_names)

    @classmethod
    def check_realisation(cls, recoveries, field_names=None):
        """Check that a counter-guarantee is realised at least for the amount
        recovered from it, and only for its direct guarantee"""
        names = {
            'compensation', 'amount', 'counter_guarantee', 'realised_amount'}
        if field_names and not (names & set(field_names)):
            return
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for recovery in recoveries:
            counter_guarantee = recovery.counter_guarantee
            if not counter_guarantee:
                continue
            application = recovery.compensation.get_direct_application()
            if counter_guarantee.application != application:
                raise DirectRecoveryError(gettext(
                        'reguarantee_direct'
                        '.msg_recovery_counter_guarantee_application',
                        recovery=recovery.rec_name,
                        counter_guarantee=counter_guarantee.rec_name,
                        application=counter_guarantee.application.rec_name))
            if (recovery.realised_amount is not None
                    and recovery.amount > recovery.realised_amount):
                raise DirectRecoveryError(gettext(
                        'reguarantee_direct.msg_recovery_above_realised',
                        recovery=recovery.rec_name,
                        amount=lang.currency(
                            recovery.amount, recovery.currency),
                        realised_amount=lang.currency(
                            recovery.realised_amount, recovery.currency),
                        counter_guarantee=counter_guarantee.rec_name))


class CounterGuarantee(metaclass=PoolMeta):
    __name__ = 'reguarantee.counter.guarantee'

    recoveries = fields.One2Many(
        'reguarantee.recovery', 'counter_guarantee', "Realisations",
        readonly=True,
        states={
            'invisible': ~Eval('application_state').in_(
                ['compensated', 'closed']),
            },
        help="The recoveries that record the realisation of the "
        "counter-guarantee.")
    realised_amount = fields.Function(Monetary(
            "Realised Amount", currency='currency', digits='currency',
            help="What the confirmed realisations brought."),
        'get_realisation')
    recovered_amount = fields.Function(Monetary(
            "Recovered Amount", currency='currency', digits='currency',
            help="The part of the realisations the company recovered."),
        'get_realisation')
    realisation_date = fields.Function(
        fields.Date(
            "Realisation Date",
            help="The date of the last confirmed realisation."),
        'get_realisation')

    @classmethod
    def get_realisation(cls, counter_guarantees, names):
        result = {name: {} for name in names}
        for counter_guarantee in counter_guarantees:
            confirmed = [
                r for r in counter_guarantee.recoveries
                if r.state == 'confirmed']
            for name in names:
                if name == 'realisation_date':
                    value = max((r.date for r in confirmed), default=None)
                elif confirmed:
                    field = (
                        'amount' if name == 'recovered_amount' else name)
                    value = sum(
                        (getattr(r, field) or 0 for r in confirmed),
                        Decimal(0))
                else:
                    value = None
                result[name][counter_guarantee.id] = value
        return result


class Application(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'

    compensations = fields.One2Many(
        'reguarantee.compensation', 'origin', "Compensations", readonly=True,
        states={
            'invisible': ~Eval('state').in_(
                ['in_force', 'compensated', 'closed']),
            })
    recoveries = fields.Function(
        fields.Many2Many(
            'reguarantee.recovery', None, None, "Recoveries",
            states={
                'invisible': ~Eval('state').in_(['compensated', 'closed']),
                }),
        'get_recoveries')
    close_date = fields.Date("Close Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'close': {
                    'invisible': Eval('state') != 'compensated',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="compensation"]', 'states', {
                    'invisible': ~Eval('state').in_(
                        ['in_force', 'compensated', 'closed']),
                    }),
            ]

    @classmethod
    def get_recoveries(cls, applications, name):
        pool = Pool()
        Recovery = pool.get('reguarantee.recovery')
        result = {a.id: [] for a in applications}
        for recovery in Recovery.search([
                    ('compensation.origin', 'in',
                        [str(a) for a in applications]),
                    ], order=[('date', 'ASC'), ('id', 'ASC')]):
            result[recovery.compensation.origin.id].append(recovery.id)
        return result

    @classmethod
    def copy(cls, applications, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('compensations', None)
        default.setdefault('close_date', None)
        return super().copy(applications, default=default)

    @classmethod
    def check_no_open_compensation(cls, applications):
        "Raise if an application has a compensation to decide or to pay"
        for application in applications:
            for compensation in application.compensations:
                if compensation.state in OPEN_STATES:
                    raise ApplicationError(gettext(
                            'reguarantee_direct'
                            '.msg_application_open_compensation',
                            application=application.rec_name,
                            compensation=compensation.rec_name))

    @classmethod
    def release(cls, applications):
        cls.check_no_open_compensation(applications)
        super().release(applications)

    @classmethod
    @Workflow.transition('compensated')
    def compensate(cls, applications):
        """The bank is paid for the applications: the company's liability
        ends (the fees stop, see the state) and the recovery starts"""
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, applications):
        "Close the compensated applications once nothing more is recovered"
        pool = Pool()
        Date = pool.get('ir.date')
        cls.check_no_open_compensation(applications)
        for application in applications:
            for compensation in application.compensations:
                if (compensation.state in PAID_STATES
                        and not compensation.is_settled):
                    raise ApplicationError(gettext(
                            'reguarantee_direct'
                            '.msg_application_close_unrecovered',
                            application=application.rec_name,
                            compensation=compensation.rec_name))
        cls.write(applications, {'close_date': Date.today()})
