# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.model import (
    NullEmptyTextMixin, RecNamesSearchMixin)
from trytond.modules.reguarantee_base.product import RATE_DIGITS
from trytond.pool import Pool
from trytond.pyson import Bool, Eval

from .exceptions import (
    CounterGuaranteeError, CounterGuaranteeModificationError)

#: The kinds of counter-guarantee whose value is appraised, and those
#: registered with an authority (mortgage and pledge registrations)
VALUED_KINDS = {'mortgage', 'pledge', 'deposit'}
REGISTERED_KINDS = {'mortgage', 'pledge'}

#: The states of the application in which its counter-guarantees change
EDITABLE_STATES = {'draft', 'investigating'}
#: The states in which their registration is still recorded
REGISTRATION_STATES = EDITABLE_STATES | {'reviewing', 'approved', 'contracted'}
#: The fields recorded while the registration is
REGISTRATION_FIELDS = {'registration_number', 'registration_date', 'notes'}

_states = {
    'readonly': ~Eval('application_state', 'draft').in_(
        sorted(EDITABLE_STATES)),
    }
_registration_readonly = ~Eval('application_state', 'draft').in_(
    sorted(REGISTRATION_STATES))


class CounterGuarantee(
        sequence_ordered(), NullEmptyTextMixin, RecNamesSearchMixin,
        ModelSQL, ModelView):
    __name__ = 'reguarantee.counter.guarantee'
    _rec_names_search = ['owner', 'description', 'registration_number']

    application = fields.Many2One(
        'reguarantee.direct.application', "Application", required=True,
        ondelete='CASCADE', states=_states)
    application_state = fields.Function(
        fields.Selection('get_application_states', "Application State"),
        'on_change_with_application_state')
    kind = fields.Selection([
            ('mortgage', "Mortgage"),
            ('pledge', "Pledge"),
            ('personal', "Personal Guarantee"),
            ('corporate', "Corporate Guarantee"),
            ('deposit', "Deposit"),
            ], "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    owner = fields.Char(
        "Owner", required=True, strip=True, states=_states,
        help="Who gives the counter-guarantee: the owner of the asset or "
        "the guarantor.")
    owner_id_number = fields.Char(
        "Owner ID Number", strip=True, states=_states,
        help="The unified social credit code or resident ID of the owner.")
    description = fields.Char(
        "Description", strip=True, states=_states,
        help="The asset (address of a property, pledged receivables…) or "
        "the guarantee given.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    appraised_value = Monetary(
        "Appraised Value", currency='currency', digits='currency',
        states={
            'readonly': _states['readonly'],
            'required': Eval('kind').in_(list(VALUED_KINDS)),
            },
        domain=['OR',
            ('appraised_value', '=', None),
            ('appraised_value', '>=', 0),
            ],
        help="The value of the asset as appraised, or the deposit.")
    pledge_rate = fields.Numeric(
        "Pledge Rate", digits=RATE_DIGITS,
        states={
            'readonly': _states['readonly'],
            'required': Eval('kind').in_(list(VALUED_KINDS)),
            },
        domain=['OR',
            ('pledge_rate', '=', None),
            [('pledge_rate', '>=', 0), ('pledge_rate', '<=', 1)],
            ],
        help="The part of the appraised value that secures the guarantee "
        "(抵质押率).")
    secured_value = fields.Function(Monetary(
            "Secured Value", currency='currency', digits='currency',
            help="The appraised value times the pledge rate."),
        'on_change_with_secured_value')
    registration_number = fields.Char(
        "Registration Number", strip=True,
        states={
            'readonly': _registration_readonly,
            'invisible': ~Eval('kind').in_(list(REGISTERED_KINDS)),
            },
        help="The number of the mortgage or pledge registration; needed "
        "to contract the guarantee.")
    registration_date = fields.Date(
        "Registration Date",
        states={
            'readonly': _registration_readonly,
            'invisible': ~Eval('kind').in_(list(REGISTERED_KINDS)),
            'required': Bool(Eval('registration_number')),
            })
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('application')

    @classmethod
    def get_application_states(cls):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        return Application.fields_get(['state'])['state']['selection']

    @fields.depends('application', '_parent_application.state')
    def on_change_with_application_state(self, name=None):
        return self.application.state if self.application else 'draft'

    @fields.depends('application', '_parent_application.company')
    def on_change_with_currency(self, name=None):
        if self.application and self.application.company:
            return self.application.company.currency

    @fields.depends('kind', 'pledge_rate')
    def on_change_kind(self):
        if self.kind == 'deposit' and self.pledge_rate is None:
            self.pledge_rate = Decimal(1)

    @fields.depends(
        'kind', 'appraised_value', 'pledge_rate',
        methods=['on_change_with_currency'])
    def on_change_with_secured_value(self, name=None):
        return self.compute_secured_value(self.on_change_with_currency())

    def compute_secured_value(self, currency=None):
        """Return the appraised value times the pledge rate, rounded to the
        currency: 0 for a personal or corporate guarantee, which secures
        nothing that can be realised beforehand"""
        if (self.kind not in VALUED_KINDS
                or self.appraised_value is None
                or self.pledge_rate is None):
            return Decimal(0)
        value = self.appraised_value * self.pledge_rate
        if currency:
            return currency.round(value)
        return value.quantize(Decimal('0.01'))

    def get_rec_name(self, name):
        return f'{self.kind_string} {self.owner}'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        """Refuse the external changes once the application went to the
        committee, but the registration until the guarantee is contracted
        (sao's read-only states are no guard)"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        super().check_modification(
            mode, records, values=values, external=external)
        if not external:
            return
        applications = {r.application for r in records}
        if values and values.get('application') is not None:
            applications.add(Application(values['application']))
        if mode == 'write' and set(values) <= REGISTRATION_FIELDS:
            states = REGISTRATION_STATES
        else:
            states = EDITABLE_STATES
        for application in applications:
            if application.state not in states:
                raise CounterGuaranteeModificationError(gettext(
                        'reguarantee_direct.msg_counter_guarantee_locked',
                        application=application.rec_name,
                        state=application.state_string))

    def check_registered(self):
        "Raise if a mortgage or pledge is not registered"
        if self.kind in REGISTERED_KINDS and not (
                self.registration_number and self.registration_date):
            raise CounterGuaranteeError(gettext(
                    'reguarantee_direct.msg_counter_guarantee_not_registered',
                    counter_guarantee=self.rec_name,
                    application=self.application.rec_name))


del _states, _registration_readonly
