# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .approval import ApprovalHistoryMixin
from .exceptions import AmountError, IdentityNumberError, OnboardingError
from .identity import is_valid_uscc
from .model import NullEmptyTextMixin, RecNamesSearchMixin, WorkflowGuardMixin

_states = {
    'readonly': Eval('state') != 'draft',
    }
_required = {
    'readonly': Eval('state') != 'draft',
    'required': Eval('state') != 'draft',
    }

#: Institution fields an approved change request may update
CHANGEABLE_FIELDS = [
    'name', 'license_number', 'license_expiry', 'registered_capital',
    'net_assets', 'region', 'small_micro_agriculture']


class Institution(
        WorkflowGuardMixin, NullEmptyTextMixin, RecNamesSearchMixin,
        ApprovalHistoryMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.institution'
    _deletable_states = {'draft', 'rejected'}
    _rec_names_search = ['code', 'name', 'uscc']
    _rec_name = 'name'

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | Eval('code', False),
            })
    code = fields.Char(
        "Code", required=True, strip=True, states=_states,
        help="The code the re-guarantor gives to the institution.")
    name = fields.Char("Name", required=True, strip=True, states=_states)
    uscc = fields.Char(
        "USCC", size=18, required=True, strip=True, states=_states,
        help="Unified social credit code (统一社会信用代码).")
    license_number = fields.Char(
        "License Number", strip=True, states=_required,
        help="Number of the financing guarantee business license.")
    license_expiry = fields.Date(
        "License Expiry", states=_required,
        help="The license must not be expired to onboard the institution.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    registered_capital = Monetary(
        "Registered Capital", currency='currency', digits='currency',
        states=_states)
    net_assets = Monetary(
        "Net Assets", currency='currency', digits='currency',
        states=_required)
    region = fields.Char(
        "Region", strip=True, states=_states,
        help="Administrative division code (GB/T 2260), e.g. 340100.")
    small_micro_agriculture = fields.Boolean(
        "Small/Micro and Agriculture", states=_states,
        help="Check if the institution mainly serves small and micro "
        "enterprises and agriculture (leverage limit 15× instead of 10×).")
    users = fields.Many2Many(
        'reguarantee.institution-res.user', 'institution', 'user', "Users",
        help="The users who act for the institution.")
    party = fields.Many2One(
        'party.party', "Party", readonly=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The accounting counterpart, created on approval.")
    contracts = fields.One2Many(
        'reguarantee.contract', 'institution', "Contracts", readonly=True)
    changes = fields.One2Many(
        'reguarantee.institution.change', 'institution', "Change Requests",
        readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('active', "Active"),
            ('suspended', "Suspended"),
            ('deregistered', "Deregistered"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'reguarantee_base.msg_institution_code_unique'),
            ('uscc_unique', Unique(t, t.company, t.uscc),
                'reguarantee_base.msg_institution_uscc_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'active'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            ('active', 'suspended'),
            ('suspended', 'active'),
            ('active', 'deregistered'),
            ('suspended', 'deregistered'),
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
                'suspend': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'reactivate': {
                    'invisible': Eval('state') != 'suspended',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'deregister': {
                    'invisible': ~Eval('state').in_(['active', 'suspended']),
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

    @classmethod
    def default_small_micro_agriculture(cls):
        return False

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}' if self.code else self.name

    @classmethod
    def validate_fields(cls, institutions, field_names):
        super().validate_fields(institutions, field_names)
        cls.check_uscc(institutions, field_names)
        cls.check_amounts(institutions, field_names)

    @classmethod
    def check_uscc(cls, institutions, field_names=None):
        if field_names and 'uscc' not in field_names:
            return
        for institution in institutions:
            if not is_valid_uscc(institution.uscc):
                raise IdentityNumberError(gettext(
                        'reguarantee_base.msg_institution_uscc_invalid',
                        institution=institution.rec_name,
                        uscc=institution.uscc))

    @classmethod
    def check_amounts(cls, institutions, field_names=None):
        names = {'registered_capital', 'net_assets'}
        if field_names and not (names & set(field_names)):
            return
        for institution in institutions:
            for name in sorted(names):
                value = getattr(institution, name)
                if value is not None and value < 0:
                    raise AmountError(gettext(
                            'reguarantee_base.msg_institution_amount_negative',
                            institution=institution.rec_name,
                            field=cls.__names__(name)['field']))

    def check_onboarding(self):
        "Check the qualifications required to onboard the institution"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Configuration = pool.get('reguarantee.configuration')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        with Transaction().set_context(company=self.company.id):
            today = Date.today()
            floor = Configuration(1).get_multivalue(
                'institution_min_net_assets', company=self.company.id)
        if not self.license_expiry or self.license_expiry < today:
            raise OnboardingError(gettext(
                    'reguarantee_base.msg_institution_license_expired',
                    institution=self.rec_name,
                    expiry=self.license_expiry or ''))
        if floor and (self.net_assets or 0) < floor:
            lang = Lang.get()
            raise OnboardingError(gettext(
                    'reguarantee_base.msg_institution_net_assets_floor',
                    institution=self.rec_name,
                    net_assets=lang.currency(
                        self.net_assets or 0, self.currency),
                    floor=lang.currency(floor, self.currency)))
        if not Attachment.search(
                [('resource', '=', str(self))], limit=1, count=True):
            raise OnboardingError(gettext(
                    'reguarantee_base.msg_institution_no_document',
                    institution=self.rec_name))

    def get_party(self):
        "Return the party of the institution, an unsaved one when new"
        pool = Pool()
        Party = pool.get('party.party')
        Identifier = pool.get('party.identifier')
        if self.party:
            return self.party
        identifiers = Identifier.search([
                ('type', '=', 'cn_vat'),
                ('code', '=', self.uscc),
                ], limit=1)
        if identifiers:
            identifier, = identifiers
            return identifier.party
        return Party(
            name=self.name,
            identifiers=[Identifier(type='cn_vat', code=self.uscc)])

    @classmethod
    def copy(cls, institutions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('party', None)
        default.setdefault('users', None)
        default.setdefault('contracts', None)
        default.setdefault('changes', None)
        return super().copy(institutions, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, institutions):
        for institution in institutions:
            institution.check_onboarding()

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def approve(cls, institutions):
        pool = Pool()
        Party = pool.get('party.party')
        for institution in institutions:
            institution.check_onboarding()
        parties = [i.get_party() for i in institutions]
        Party.save(parties)
        for institution, party in zip(institutions, parties):
            institution.party = party
        cls.save(institutions)

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, institutions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, institutions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, institutions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def reactivate(cls, institutions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('deregistered')
    def deregister(cls, institutions):
        pass


class InstitutionUser(ModelSQL):
    __name__ = 'reguarantee.institution-res.user'

    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('institution_user_unique', Unique(t, t.institution, t.user),
                'reguarantee_base.msg_institution_user_unique'),
            ]

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        User = pool.get('res.user')
        super().on_modification(mode, records, field_names=field_names)
        User._get_institutions_cache.clear()


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    reguarantee_institutions = fields.Many2Many(
        'reguarantee.institution-res.user', 'user', 'institution',
        "Re-guarantee Institutions",
        help="The guarantee institutions the user acts for.")
    _get_institutions_cache = Cache(
        'res_user.get_reguarantee_institutions', context=False)

    @classmethod
    def get_default_reguarantee_institution(cls):
        "Return the id of the current user's institution if it is the only one"
        institutions = cls.get_reguarantee_institutions()
        if len(institutions) == 1:
            return institutions[0]

    @classmethod
    def get_reguarantee_institutions(cls):
        "Return a tuple of the ids of the current user's institutions"
        pool = Pool()
        InstitutionUser = pool.get('reguarantee.institution-res.user')
        user_id = Transaction().user
        institutions = cls._get_institutions_cache.get(user_id)
        if institutions is not None:
            return institutions
        with without_check_access():
            links = InstitutionUser.search([('user', '=', user_id)])
            institutions = tuple(sorted({l.institution.id for l in links}))
        return cls._get_institutions_cache.set(user_id, institutions)
