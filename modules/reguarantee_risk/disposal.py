# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.compensation import (
    CompensationRecordMixin)
from trytond.modules.reguarantee_base.model import (
    DraftComputedMixin, OneOpenMixin, WorkflowGuardMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import DisposalError

_states = {
    'readonly': Eval('state') != 'draft',
    }
#: States of a disposal still to be decided
OPEN_STATES = ['draft', 'submitted', 'reviewed', 'endorsed']


class Disposal(
        CompensationRecordMixin, DraftComputedMixin, OneOpenMixin,
        WorkflowGuardMixin, ApprovalHistoryMixin, Workflow, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.npa.disposal'
    _deletable_states = {'draft'}
    _draft_computed = {
        'book_amount': (
            'compute_book_amount', {'compensation', 'proceeds'}),
        'loss_amount': (
            'on_change_with_loss_amount', {'compensation', 'proceeds'}),
        }
    _open_parent = 'compensation'
    _open_states = OPEN_STATES

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
        help="The paid compensation whose claim on the borrower is the "
        "non-performing asset.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    method = fields.Selection([
            ('write_off', "Write-off"),
            ('transfer', "Transfer"),
            ('settlement', "Settlement"),
            ], "Method", required=True, states=_states,
        help="Write-off: the claim is given up; transfer: it is sold; "
        "settlement: the borrower pays a part of it for the rest.")
    date = fields.Date("Date", required=True, states=_states)
    counterparty = fields.Many2One(
        'party.party', "Counterparty", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'required': Eval('method') == 'transfer',
            'invisible': Eval('method') == 'write_off',
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The buyer of a transferred claim.")
    book_amount = Monetary(
        "Book Amount", currency='currency', digits='currency', readonly=True,
        help="The re-guarantor's claim not yet recovered: the claim amount "
        "of the compensation less the re-guarantor's part of its confirmed "
        "recoveries.")
    proceeds = Monetary(
        "Proceeds", currency='currency', digits='currency', required=True,
        states={
            'readonly': (
                _states['readonly'] | (Eval('method') == 'write_off')),
            },
        help="The re-guarantor's part of what the disposal brings in.")
    loss_amount = Monetary(
        "Loss", currency='currency', digits='currency', readonly=True,
        help="The book amount less the proceeds.")
    description = fields.Text("Description", states=_states)
    approval_level = fields.Function(
        fields.Integer(
            "Approval Level",
            help="2 when the book amount is above the amount of the "
            "configuration that needs an administrator's approval."),
        'get_approval_level')
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('reviewed', "Reviewed"),
            ('endorsed', "Endorsed"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'reviewed'),
            ('reviewed', 'endorsed'),
            ('reviewed', 'approved'),
            ('endorsed', 'approved'),
            ('submitted', 'rejected'),
            ('reviewed', 'rejected'),
            ('endorsed', 'rejected'),
            ('rejected', 'draft'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'review': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'endorse': {
                    'invisible': Eval('state') != 'reviewed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'endorsed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'reviewed', 'endorsed']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'rejected',
                    'icon': 'tryton-back',
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
    def default_method(cls):
        return 'write_off'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('method', 'proceeds')
    def on_change_method(self):
        if self.method == 'write_off':
            self.proceeds = 0

    @fields.depends(
        'compensation', '_parent_compensation.claim_amount',
        '_parent_compensation.recovered_reguarantor_amount')
    def compute_book_amount(self):
        "Return the re-guarantor's claim of the compensation not recovered"
        if self.compensation and self.compensation.claim_amount is not None:
            return (
                self.compensation.claim_amount
                - self.compensation.recovered_reguarantor_amount)

    @fields.depends(methods=['compute_book_amount'])
    def on_change_with_book_amount(self):
        return self.compute_book_amount()

    @fields.depends('proceeds', methods=['compute_book_amount'])
    def on_change_with_loss_amount(self):
        book_amount = self.compute_book_amount()
        if book_amount is not None and self.proceeds is not None:
            return book_amount - self.proceeds

    @classmethod
    def get_approval_level(cls, disposals, name):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        return {
            d.id: configuration.get_approval_level(
                d.book_amount, ['npa_admin_amount'], d.company.id)
            for d in disposals}

    @classmethod
    def copy(cls, disposals, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('book_amount', None)
        default.setdefault('loss_amount', None)
        return super().copy(disposals, default=default)

    @classmethod
    def validate_fields(cls, disposals, field_names):
        super().validate_fields(disposals, field_names)
        cls.check_proceeds(disposals, field_names)

    @classmethod
    def check_proceeds(cls, disposals, field_names=None):
        names = {'method', 'proceeds', 'book_amount'}
        if field_names and not (names & set(field_names)):
            return
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for disposal in disposals:
            if disposal.method == 'write_off' and disposal.proceeds:
                raise DisposalError(gettext(
                        'reguarantee_risk.msg_disposal_write_off_proceeds',
                        disposal=disposal.rec_name))
            if disposal.proceeds < 0 or (
                    disposal.book_amount is not None
                    and disposal.proceeds > disposal.book_amount):
                raise DisposalError(gettext(
                        'reguarantee_risk.msg_disposal_proceeds',
                        disposal=disposal.rec_name,
                        proceeds=lang.currency(
                            disposal.proceeds, disposal.currency),
                        book_amount=lang.currency(
                            disposal.book_amount or 0, disposal.currency)))

    @classmethod
    def _open_error(cls, disposal, other):
        return DisposalError(gettext(
                'reguarantee_risk.msg_disposal_open_unique',
                disposal=disposal.rec_name,
                compensation=disposal.compensation.rec_name,
                other=other.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, disposals):
        for disposal in disposals:
            disposal.book_amount = disposal.compute_book_amount()
            if disposal.book_amount is not None:
                disposal.loss_amount = (
                    disposal.book_amount - disposal.proceeds)
            if disposal.compensation.state != 'paid':
                raise DisposalError(gettext(
                        'reguarantee_risk.msg_disposal_compensation_paid',
                        disposal=disposal.rec_name,
                        compensation=disposal.compensation.rec_name))
            if not disposal.book_amount or disposal.book_amount <= 0:
                raise DisposalError(gettext(
                        'reguarantee_risk.msg_disposal_nothing',
                        disposal=disposal.rec_name,
                        compensation=disposal.compensation.rec_name))
        cls.save(disposals)

    @classmethod
    @ModelView.button
    @Workflow.transition('reviewed')
    def review(cls, disposals):
        pass

    @classmethod
    @ModelView.button
    def endorse(cls, disposals):
        "The risk committee approves; above the amount, an administrator too"
        disposals = [d for d in disposals if d.state == 'reviewed']
        cls._endorse([d for d in disposals if d.approval_level >= 2])
        cls.dispose([d for d in disposals if d.approval_level < 2])

    @classmethod
    @Workflow.transition('endorsed')
    def _endorse(cls, disposals):
        pass

    @classmethod
    @ModelView.button
    def approve(cls, disposals):
        cls.dispose([d for d in disposals if d.state == 'endorsed'])

    @classmethod
    @Workflow.transition('approved')
    def dispose(cls, disposals):
        """Dispose of the assets: the compensations written off are
        written off, the projects closed"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        written_off = [
            d.compensation for d in disposals if d.method == 'write_off']
        Compensation.write_off(written_off)
        Compensation.close_origins([
                d.compensation for d in disposals
                if d.method != 'write_off'])

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, disposals):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, disposals):
        pass
