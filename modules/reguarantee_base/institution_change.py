# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .approval import ApprovalHistoryMixin
from .exceptions import ChangeRequestError
from .institution import CHANGEABLE_FIELDS
from .model import NullEmptyTextMixin, WorkflowGuardMixin

_states = {
    'readonly': Eval('state') != 'draft',
    }


class InstitutionChange(
        WorkflowGuardMixin, NullEmptyTextMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    "A request to change the registered data of an institution"
    __name__ = 'reguarantee.institution.change'
    _deletable_states = {'draft', 'rejected'}

    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='CASCADE', states=_states,
        domain=[
            ('state', 'in', ['active', 'suspended']),
            ])
    reason = fields.Text("Reason", states=_states)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    name = fields.Char("Name", strip=True, states=_states)
    license_number = fields.Char("License Number", strip=True, states=_states)
    license_expiry = fields.Date("License Expiry", states=_states)
    registered_capital = Monetary(
        "Registered Capital", currency='currency', digits='currency',
        states=_states)
    net_assets = Monetary(
        "Net Assets", currency='currency', digits='currency', states=_states)
    region = fields.Char("Region", strip=True, states=_states)
    small_micro_agriculture = fields.Selection([
            (None, ""),
            ('yes', "Yes"),
            ('no', "No"),
            ], "Small/Micro and Agriculture", states=_states)

    previous_name = fields.Char("Previous Name", readonly=True)
    previous_license_number = fields.Char(
        "Previous License Number", readonly=True)
    previous_license_expiry = fields.Date(
        "Previous License Expiry", readonly=True)
    previous_registered_capital = Monetary(
        "Previous Registered Capital", currency='currency',
        digits='currency', readonly=True)
    previous_net_assets = Monetary(
        "Previous Net Assets", currency='currency', digits='currency',
        readonly=True)
    previous_region = fields.Char("Previous Region", readonly=True)
    previous_small_micro_agriculture = fields.Boolean(
        "Previous Small/Micro and Agriculture", readonly=True)

    approved_by = fields.Many2One('res.user', "Approved By", readonly=True)
    approval_date = fields.Date("Approval Date", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('submitted', 'rejected'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-back',
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
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('institution')
    def on_change_with_currency(self, name=None):
        return self.institution.currency if self.institution else None

    @fields.depends(
        'institution', *('previous_' + f for f in CHANGEABLE_FIELDS))
    def on_change_institution(self):
        self.set_previous_values()

    def set_previous_values(self):
        for name in CHANGEABLE_FIELDS:
            value = getattr(self.institution, name, None)
            setattr(self, 'previous_' + name, value)

    def get_rec_name(self, name):
        return f'{self.institution.rec_name} #{self.id}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('institution.rec_name', *clause[1:])]

    def get_institution_values(self):
        "Return the values to write on the institution"
        values = {}
        for name in CHANGEABLE_FIELDS:
            value = getattr(self, name)
            if name == 'small_micro_agriculture':
                value = {'yes': True, 'no': False}.get(value)
            if value is not None and value != '':
                values[name] = value
        return values

    @classmethod
    def copy(cls, changes, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('approved_by', None)
        default.setdefault('approval_date', None)
        default.setdefault('state', 'draft')
        return super().copy(changes, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, changes):
        for change in changes:
            if not change.get_institution_values():
                raise ChangeRequestError(gettext(
                        'reguarantee_base.msg_institution_change_empty',
                        change=change.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, changes):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, changes):
        pool = Pool()
        Date = pool.get('ir.date')
        Institution = pool.get('reguarantee.institution')
        for change in changes:
            if change.institution.state not in {'active', 'suspended'}:
                raise ChangeRequestError(gettext(
                        'reguarantee_base.msg_institution_change_state',
                        change=change.rec_name,
                        institution=change.institution.rec_name))
            change.set_previous_values()
            change.approved_by = Transaction().user
            change.approval_date = Date.today()
        cls.save(changes)
        for change in changes:
            Institution.write(
                [change.institution], change.get_institution_values())

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, changes):
        pass
