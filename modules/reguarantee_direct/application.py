# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Null
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.model import (
    NullEmptyTextMixin, RecNamesSearchMixin, SequenceNumberMixin,
    WorkflowGuardMixin)
from trytond.modules.reguarantee_review.project import ReviewMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access

from .exceptions import ApplicationError, EligibilityError
from .product import KINDS, LETTER_KINDS

#: The fields of the due-diligence report needed to send it to the committee
DUE_DILIGENCE_FIELDS = [
    'dd_operations', 'dd_finances', 'dd_repayment_source', 'dd_conclusion']
#: The states of the guarantees the company is liable for
IN_FORCE_STATES = ['in_force']

_states = {
    'readonly': Eval('state') != 'draft',
    }
_dd_states = {
    'readonly': Eval('state') != 'investigating',
    'invisible': Eval('state') == 'draft',
    }
_loan_states = {
    'readonly': Eval('state') != 'contracted',
    'invisible': ((Eval('kind') != 'financing')
        | ~Eval('state').in_(
            ['contracted', 'in_force', 'released', 'compensated',
                'closed'])),
    }


class Application(
        ReviewMixin, WorkflowGuardMixin, NullEmptyTextMixin,
        SequenceNumberMixin, RecNamesSearchMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.direct.application'
    _number_sequence = 'direct_application_sequence'
    _deletable_states = {'draft'}
    _rec_names_search = [
        'number', 'contract_number', 'letter_number', 'applicant.rec_name']
    _review_state = 'reviewing'

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    application_date = fields.Date(
        "Application Date", required=True, states=_states)
    applicant = fields.Many2One(
        'reguarantee.borrower', "Applicant", required=True,
        ondelete='RESTRICT', states=_states,
        help="The enterprise or person whose obligation is guaranteed.")
    kind = fields.Selection(KINDS, "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    bank = fields.Many2One(
        'party.party', "Bank", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'required': Eval('kind') == 'financing',
            'invisible': Eval('kind') != 'financing',
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The bank lending the guaranteed loan.")
    beneficiary = fields.Many2One(
        'party.party', "Beneficiary", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'required': Eval('kind').in_(sorted(LETTER_KINDS)),
            'invisible': ~Eval('kind').in_(sorted(LETTER_KINDS)),
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="To whom the letter of guarantee is issued: the tenderer, "
        "the employer or the buyer.")
    product = fields.Many2One(
        'reguarantee.direct.product', "Product", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        states=_states, domain=[('amount', '>', 0)],
        help="The amount guaranteed.")
    term_months = fields.Integer(
        "Term (months)", required=True, states=_states,
        domain=[('term_months', '>', 0)])
    purpose = fields.Text(
        "Purpose", required=True, states=_states,
        help="What the loan finances, or the tender or contract the letter "
        "covers.")
    counter_guarantees = fields.One2Many(
        'reguarantee.counter.guarantee', 'application',
        "Counter-guarantees",
        states={
            'readonly': ~Eval('state').in_(
                ['draft', 'investigating', 'reviewing', 'approved',
                    'contracted']),
            })
    secured_value = fields.Function(Monetary(
            "Secured Value", currency='currency', digits='currency',
            help="The total secured value of the counter-guarantees."),
        'on_change_with_secured_value')
    coverage = fields.Function(fields.Numeric(
            "Coverage", digits=(16, 4),
            help="The secured value as a fraction of the amount."),
        'on_change_with_coverage')
    fee_amount = fields.Function(Monetary(
            "Guarantee Fee", currency='currency', digits='currency',
            help="The fee of the whole term: the amount times the annual "
            "fee rate of the product times the term in years."),
        'on_change_with_fee_amount')
    approval_level = fields.Function(
        fields.Integer(
            "Approval Level",
            help="1, 2 or 3 as the amount is above the approval amounts of "
            "the product that need higher approvals."),
        'get_approval_level', searcher='search_approval_level')

    investigator = fields.Many2One(
        'res.user', "Investigator", readonly=True,
        states={
            'invisible': Eval('state') == 'draft',
            },
        help="Who investigated the applicant.")
    dd_operations = fields.Text(
        "Operations", states=_dd_states,
        help="The applicant's business, management and market.")
    dd_finances = fields.Text(
        "Finances", states=_dd_states,
        help="The applicant's financial position, debts and credit record.")
    dd_repayment_source = fields.Text(
        "Repayment Source", states=_dd_states,
        help="Where the repayment comes from, first and second sources.")
    dd_conclusion = fields.Selection([
            (None, ""),
            ('recommended', "Recommended"),
            ('conditional', "Recommended with Conditions"),
            ('not_recommended', "Not Recommended"),
            ], "Conclusion", states=_dd_states)
    dd_opinion = fields.Text(
        "Opinion", states=_dd_states,
        help="The investigator's opinion and the conditions proposed.")
    rejection_reason = fields.Text(
        "Rejection Reason",
        states={
            'readonly': ~Eval('state').in_(['investigating', 'reviewing']),
            'invisible': ~Eval('state').in_(
                ['investigating', 'reviewing', 'rejected']),
            })

    contract_number = fields.Char("Contract Number", readonly=True)
    contract_date = fields.Date("Contract Date", readonly=True)
    letter_number = fields.Char(
        "Letter Number", readonly=True,
        states={
            'invisible': ~Eval('kind').in_(sorted(LETTER_KINDS)),
            },
        help="The number of the letter of guarantee (保函).")
    letter_date = fields.Date(
        "Letter Date", readonly=True,
        states={
            'invisible': ~Eval('kind').in_(sorted(LETTER_KINDS)),
            })
    loan_number = fields.Char(
        "Loan Contract Number", strip=True, states=_loan_states,
        help="The number of the loan contract the bank confirmed.")
    loan_date = fields.Date(
        "Loan Date", states=_loan_states,
        help="When the bank granted the loan.")
    loan_amount = Monetary(
        "Loan Amount", currency='currency', digits='currency',
        states=_loan_states, help="The amount the bank lent.")
    start_date = fields.Date("Start Date", readonly=True)
    end_date = fields.Date("End Date", readonly=True)
    release_date = fields.Date("Release Date", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('investigating', "Investigating"),
            ('reviewing', "Reviewing"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('contracted', "Contracted"),
            ('in_force', "In Force"),
            ('released', "Released"),
            ('compensated', "Compensated"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.company, t.number),
                'reguarantee_direct.msg_application_number_unique'),
            ]
        cls._order = [('application_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.applicant, Index.Equality())),
                Index(t, (t.number, Index.Similarity())),
                })
        cls._transitions |= {
            ('draft', 'investigating'),
            ('investigating', 'reviewing'),
            ('investigating', 'rejected'),
            ('reviewing', 'approved'),
            ('reviewing', 'rejected'),
            ('approved', 'contracted'),
            ('contracted', 'in_force'),
            ('in_force', 'released'),
            ('in_force', 'compensated'),
            ('compensated', 'closed'),
            }
        cls._buttons.update({
                'investigate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'review': {
                    'invisible': Eval('state') != 'investigating',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'reviewing',
                    # the committee decides first: no click is registered
                    # towards the approval tiers before
                    'readonly': Eval('review_decision') != 'approved',
                    'icon': 'tryton-ok',
                    'depends': ['state', 'review_decision'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['investigating', 'reviewing']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'contract': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'confirm_loan': {
                    'invisible': ((Eval('state') != 'contracted')
                        | (Eval('kind') != 'financing')),
                    'icon': 'tryton-ok',
                    'depends': ['state', 'kind'],
                    },
                'release': {
                    'invisible': Eval('state') != 'in_force',
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
    def default_kind(cls):
        return 'financing'

    @classmethod
    def default_application_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Date.today()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('counter_guarantees', 'company')
    def on_change_with_secured_value(self, name=None):
        currency = self.company.currency if self.company else None
        return sum(
            (c.compute_secured_value(currency)
                for c in self.counter_guarantees or []),
            Decimal(0))

    @fields.depends('amount', methods=['on_change_with_secured_value'])
    def on_change_with_coverage(self, name=None):
        if self.amount:
            return (
                self.on_change_with_secured_value() / self.amount).quantize(
                Decimal('0.0001'))

    @fields.depends('amount', 'term_months', 'product', 'company')
    def on_change_with_fee_amount(self, name=None):
        return self.compute_fee_amount()

    def compute_fee_amount(self):
        """Return the fee of the whole term: amount × annual rate × months
        ÷ 12, rounded to the currency"""
        if not (self.amount and self.term_months and self.product):
            return None
        fee = (self.amount * self.product.fee_rate * self.term_months
            / 12)
        if self.company:
            return self.company.currency.round(fee)
        return fee.quantize(Decimal('0.01'))

    @classmethod
    def get_approval_level(cls, applications, name):
        return {
            a.id: a.product.get_approval_level(a.amount)
            for a in applications}

    @classmethod
    def search_approval_level(cls, name, clause):
        pool = Pool()
        Product = pool.get('reguarantee.direct.product')
        table = cls.__table__()
        product = Product.__table__()
        _, operator, value = clause
        level = Case(
            ((product.approval_level3_amount != Null)
                & (table.amount > product.approval_level3_amount), 3),
            ((product.approval_level2_amount != Null)
                & (table.amount > product.approval_level2_amount), 2),
            else_=1)
        query = table.join(
            product, condition=table.product == product.id).select(
            table.id, where=fields.SQL_OPERATORS[operator](level, value))
        return [('id', 'in', query)]

    @classmethod
    def get_review(cls, applications, names):
        "Every direct guarantee goes to the review committee"
        required = 'review_required' in names
        names = [n for n in names if n != 'review_required']
        result = super().get_review(applications, names) if names else {}
        if required:
            result['review_required'] = {a.id: True for a in applications}
        return result

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def copy(cls, applications, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'investigator', 'rejection_reason',
                'contract_number', 'contract_date', 'letter_number',
                'letter_date', 'loan_number', 'loan_date', 'loan_amount',
                'start_date', 'end_date', 'release_date', 'history']:
            default.setdefault(name, None)
        default.setdefault('application_date', cls.default_application_date())
        default.setdefault('state', 'draft')
        return super().copy(applications, default=default)

    @property
    def is_letter(self):
        "Whether the guarantee is a non-financing letter of guarantee"
        return self.kind in LETTER_KINDS

    def get_ineligibility(self):
        "Return the reasons why the product does not cover the application"
        return self.product.get_ineligibility(self)

    @classmethod
    def check_eligibility(cls, applications):
        "Raise with the reasons why the product does not cover them"
        for application in applications:
            reasons = application.get_ineligibility()
            if reasons:
                raise EligibilityError(gettext(
                        'reguarantee_direct.msg_application_ineligible',
                        application=application.rec_name,
                        product=application.product.rec_name,
                        reasons='; '.join(reasons)))

    @classmethod
    def check_due_diligence(cls, applications):
        "Raise if a field of the due-diligence report is empty"
        for application in applications:
            for name in DUE_DILIGENCE_FIELDS:
                if not getattr(application, name):
                    raise ApplicationError(gettext(
                            'reguarantee_direct'
                            '.msg_application_due_diligence_missing',
                            **cls.__names__(name, application)))

    @classmethod
    def check_coverage(cls, applications):
        """Raise if the counter-guarantees secure less than the minimum
        coverage of the product"""
        for application in applications:
            product = application.product
            needed = application.currency.round(
                application.amount * product.min_coverage)
            if application.secured_value < needed:
                raise ApplicationError(gettext(
                        'reguarantee_direct.msg_application_coverage',
                        application=application.rec_name,
                        secured_value=application.secured_value,
                        needed=needed,
                        coverage=f'{product.min_coverage * 100:.2f}'))

    @classmethod
    def check_loan(cls, applications):
        "Raise if the loan confirmed by the bank is incomplete or too large"
        for application in applications:
            for name in ['loan_number', 'loan_date', 'loan_amount']:
                if not getattr(application, name):
                    raise ApplicationError(gettext(
                            'reguarantee_direct.msg_application_loan_missing',
                            **cls.__names__(name, application)))
            if not (0 < application.loan_amount <= application.amount):
                raise ApplicationError(gettext(
                        'reguarantee_direct.msg_application_loan_amount',
                        application=application.rec_name,
                        loan_amount=application.loan_amount,
                        amount=application.amount))
            if application.loan_date < application.contract_date:
                raise ApplicationError(gettext(
                        'reguarantee_direct.msg_application_loan_date',
                        application=application.rec_name,
                        loan_date=application.loan_date,
                        contract_date=application.contract_date))

    @classmethod
    @ModelView.button
    @Workflow.transition('investigating')
    def investigate(cls, applications):
        cls.check_eligibility(applications)
        cls.write(applications, {'investigator': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('reviewing')
    def review(cls, applications):
        cls.check_eligibility(applications)
        cls.check_due_diligence(applications)
        cls.check_coverage(applications)
        cls.put_on_agenda(applications)

    @classmethod
    def put_on_agenda(cls, applications):
        """Add the applications to the agenda of the next meeting in draft
        of their company, when there is one and they are not on it yet"""
        pool = Pool()
        Date = pool.get('ir.date')
        Item = pool.get('reguarantee.review.item')
        Meeting = pool.get('reguarantee.review.meeting')
        today = Date.today()
        items = []
        # the committee's agenda is not the business staff's to write
        with without_check_access():
            for application in applications:
                meetings = Meeting.search([
                        ('company', '=', application.company.id),
                        ('state', '=', 'draft'),
                        ('date', '>=', today),
                        ], order=[('date', 'ASC'), ('id', 'ASC')], limit=1)
                if not meetings:
                    continue
                meeting, = meetings
                if any(i.origin == application for i in meeting.items):
                    continue
                items.append(Item(
                        meeting=meeting, origin=application,
                        presenter=application.investigator,
                        description=application.purpose))
            Item.save(items)

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, applications):
        cls.check_review(applications)

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, applications):
        for application in applications:
            if not application.rejection_reason:
                raise ApplicationError(gettext(
                        'reguarantee_direct.msg_application_rejection_reason',
                        application=application.rec_name))

    @classmethod
    @ModelView.button
    def contract(cls, applications):
        """Sign the guarantee contracts; issue the letters of guarantee,
        which are in force once issued"""
        cls.enter_contracted(applications)
        letters = [
            a for a in cls.browse([a.id for a in applications])
            if a.state == 'contracted' and a.is_letter]
        cls.issue(letters)

    @classmethod
    @Workflow.transition('contracted')
    def enter_contracted(cls, applications):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for application in applications:
            for counter_guarantee in application.counter_guarantees:
                counter_guarantee.check_registered()
        cls.set_applicant_parties(applications)
        for application in applications:
            application.contract_number = cls.get_next_number(
                'direct_contract_sequence', application.company)
            application.contract_date = today
        cls.save(applications)

    @classmethod
    def get_next_number(cls, field, company):
        "Return the next number of the company sequence of the field"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        sequence = Configuration(1).get_multivalue(field, company=company.id)
        return sequence.get()

    @classmethod
    def set_applicant_parties(cls, applications):
        """Give the applicants a party, as the customer invoiced for the
        guarantee fee (the re-guarantee borrowers have none)"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Party = pool.get('party.party')
        borrowers = sorted(
            {a.applicant for a in applications if not a.applicant.party},
            key=lambda b: b.id)
        if not borrowers:
            return
        with without_check_access():
            parties = Party.create([
                    b.get_party_values() for b in borrowers])
            for borrower, party in zip(borrowers, parties):
                borrower.party = party
            Borrower.save(borrowers)

    @classmethod
    @Workflow.transition('in_force')
    def issue(cls, letters):
        "Issue the letters of guarantee: they are in force from today"
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for letter in letters:
            letter.letter_number = cls.get_next_number(
                'direct_letter_sequence', letter.company)
            letter.letter_date = today
            letter.set_term(today)
        cls.save(letters)

    def set_term(self, start_date):
        "Set the start and end dates of the guarantee from start_date"
        self.start_date = start_date
        self.end_date = start_date + relativedelta(months=self.term_months)

    @classmethod
    @ModelView.button
    @Workflow.transition('in_force')
    def confirm_loan(cls, applications):
        applications = [a for a in applications if not a.is_letter]
        cls.check_loan(applications)
        for application in applications:
            application.set_term(application.loan_date)
        cls.save(applications)

    @classmethod
    @ModelView.button
    @Workflow.transition('released')
    def release(cls, applications):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(applications, {'release_date': Date.today()})

    @property
    def balance(self):
        "The amount the company is liable for while it is in force"
        if self.state not in IN_FORCE_STATES:
            return Decimal(0)
        return self.loan_amount if not self.is_letter else self.amount


del _states, _dd_states, _loan_states


class ReviewItem(metaclass=PoolMeta):
    __name__ = 'reguarantee.review.item'

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['reguarantee.direct.application']

    def get_project_value(self, name):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Compensation = pool.get('reguarantee.compensation')
        origin = self.origin
        if isinstance(origin, Compensation):
            # the compensation of a direct guarantee
            origin = origin.get_direct_application() or origin
        if isinstance(origin, Application):
            if name == 'borrower':
                return origin.applicant.id
            elif name == 'guarantee_amount':
                return origin.amount
            return None
        return super().get_project_value(name)


class ApplicationReport(Report):

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        context['lang'] = Lang.get()
        return context


class GuaranteeContract(ApplicationReport):
    __name__ = 'reguarantee.direct.application.contract'


class GuaranteeLetter(ApplicationReport):
    __name__ = 'reguarantee.direct.application.letter'
