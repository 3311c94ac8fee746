# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import functools
from collections import defaultdict
from decimal import Decimal
from email.message import EmailMessage
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from sql import Literal, Select
from sql.functions import CurrentTimestamp
from sql.operators import Concat

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext, ngettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.modelstorage import local_cache
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .approval import ApprovalHistoryMixin
from .borrower import is_valid_borrower_id
from .exceptions import ProjectDuplicateError, ProjectValidationError
from .model import (
    NullEmptyTextMixin, PrevalidatedMixin, RecNamesSearchMixin,
    SequenceNumberMixin, WorkflowGuardMixin, create_in_bulk, currency_rounder)

_states = {
    'readonly': Eval('state') != 'draft',
    }
#: The fields of the duplicate key of a project
DUPLICATE_KEY_FIELDS = {
    'institution', 'borrower', 'bank', 'loan_contract_number'}
#: Most projects or borrowers created by one INSERT (enter_submitted)
CREATE_BATCH_SIZE = 2000
#: The states of the projects whose duplicate key may be shared: the
#: submission refuses a draft duplicating another project
DUPLICATE_STATES = ['draft', 'cancelled', 'rejected']


@functools.lru_cache(maxsize=4096)
def term_months(start_date, end_date):
    "Return the number of months from start to end date, a started one counts"
    delta = relativedelta(end_date, start_date)
    return delta.years * 12 + delta.months + bool(delta.days)


class SubmissionError(str):
    "A reason why a project cannot be submitted, with the field it is about"

    def __new__(cls, message, field=None):
        error = super().__new__(cls, message)
        error.field = field
        return error


class EligibilityValues(NamedTuple):
    "The values of a project that the terms of a product test"
    start_date: dt.date
    end_date: dt.date
    loan_amount: Decimal
    borrower_kind: str
    #: the industry of the project or of its borrower
    industry: str


class ProductTerms:
    "The eligibility terms of a product under a contract, read once"
    __slots__ = (
        'contract', 'product', 'signed', 'contract_start', 'contract_end',
        'product_active', 'borrower_kinds', 'industries', 'max_loan_amount',
        'max_term_months', '_valid_on')

    def __init__(self, contract, product):
        self.contract = contract
        self.product = product
        self.signed = contract.state == 'signed'
        self.contract_start = contract.start_date
        self.contract_end = contract.end_date
        self.product_active = product.active
        self.borrower_kinds = frozenset(product.borrower_kinds or ())
        self.industries = frozenset(product.industries or ())
        self.max_loan_amount = product.max_loan_amount
        self.max_term_months = product.max_term_months
        self._valid_on = {}

    def product_valid_on(self, date):
        "Return whether the product can be used on the date"
        if date not in self._valid_on:
            self._valid_on[date] = self.product.is_valid_on(date, date)
        return self._valid_on[date]


class Project(
        WorkflowGuardMixin, NullEmptyTextMixin, PrevalidatedMixin,
        SequenceNumberMixin, RecNamesSearchMixin, ApprovalHistoryMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.project'
    _number_sequence = 'project_sequence'
    _deletable_states = {'draft', 'cancelled'}
    _rec_names_search = [
        'number', 'loan_contract_number', 'borrower.rec_name']
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
                ('state', '=', 'active'),
                ()),
            ])
    contract = fields.Many2One(
        'reguarantee.contract', "Contract", ondelete='RESTRICT',
        states=_states,
        domain=[
            ('institution', '=', Eval('institution', -1)),
            If(Eval('state') == 'draft',
                ('state', '=', 'signed'),
                ()),
            ],
        help="Leave empty to match a signed contract of the institution "
        "on submission.")
    product = fields.Many2One(
        'reguarantee.product', "Product", readonly=True,
        ondelete='RESTRICT',
        help="Matched from the institution's signed contracts on "
        "submission.")
    borrower = fields.Many2One(
        'reguarantee.borrower', "Borrower", required=True,
        ondelete='RESTRICT', states=_states)
    industry = fields.Char(
        "Industry", strip=True, states=_states,
        help="The industry code (GB/T 4754) of the guaranteed activity; "
        "the borrower's industry when empty.")
    region = fields.Char(
        "Region", strip=True, states=_states,
        help="Administrative division code (GB/T 2260).")
    bank = fields.Many2One(
        'party.party', "Bank", required=True, ondelete='RESTRICT',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    loan_contract_number = fields.Char(
        "Loan Contract Number", required=True, strip=True, states=_states)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    loan_amount = Monetary(
        "Loan Amount", currency='currency', digits='currency',
        required=True, states=_states)
    guarantee_amount = Monetary(
        "Guarantee Amount", currency='currency', digits='currency',
        required=True, states=_states)
    reguaranteed_amount = Monetary(
        "Re-guaranteed Amount", currency='currency', digits='currency',
        readonly=True,
        help="The guarantee amount times the re-guarantor's share of the "
        "product.")
    start_date = fields.Date(
        "Start Date", required=True, states=_states)
    end_date = fields.Date("End Date", required=True, states=_states)
    term_months = fields.Function(
        fields.Integer("Term (months)"), 'on_change_with_term_months')
    approval_level = fields.Function(
        fields.Integer(
            "Approval Level",
            help="2 when the guarantee amount is above the amount that "
            "needs a risk approver to file the project."),
        'get_approval_level', searcher='search_approval_level')
    rejection_reason = fields.Text(
        "Rejection Reason",
        states={
            'readonly': Eval('state') != 'submitted',
            'invisible': ~Eval('state').in_(['submitted', 'rejected']),
            })
    filing_date = fields.Date("Filing Date", readonly=True)
    release_date = fields.Date("Release Date", readonly=True)
    release_type = fields.Selection([
            (None, ""),
            ('normal', "Normal Repayment"),
            ('early', "Early Repayment"),
            ], "Release Type", readonly=True)
    release_due = fields.Function(
        fields.Boolean(
            "Due for Release",
            help="Filed and ending within the reminder days of the "
            "configuration."),
        'get_release_due', searcher='search_release_due')
    release_overdue = fields.Function(
        fields.Boolean(
            "Overdue", help="Filed and past its end date."),
        'get_release_due', searcher='search_release_due')
    release_reminder_date = fields.Date(
        "Release Reminder Date", readonly=True,
        help="When the release reminder was sent.")
    overdue_notice_date = fields.Date(
        "Overdue Notice Date", readonly=True,
        help="When the project was reported overdue.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('filed', "Filed"),
            ('released', "Released"),
            ('compensating', "Compensating"),
            ('compensated', "Compensated"),
            ('closed', "Closed"),
            ('rejected', "Rejected"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.company, t.number),
                'reguarantee_base.msg_project_number_unique'),
            ]
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        # The list of the projects (its default order, alone, by state
        # for the tabs, by institution for the operators' record rule) and
        # its searches by text (trigram indexes when PostgreSQL has
        # pg_trgm).  The state and end date after the order let the
        # release tabs (see search_release_due) test each entry in the
        # index, without reading the table, while they walk the order
        # past the projects that are not due.  The company and the
        # institution included in the index of the order do the same for
        # the record rules: an operator's `institution IN (...)` cannot
        # walk the institution's index in order (PostgreSQL before 17
        # does not order a scan of a list of values), so the first page
        # is an index-only scan of the order, filtered in the index.
        order = [
            (t.start_date, Index.Range(order='DESC')),
            (t.id, Index.Range(order='DESC')),
            ]
        state = (t.state, Index.Equality(cardinality='low'))
        end_date = (t.end_date, Index.Range())
        cls._sql_indexes.update({
                Index(t, *order, include=[t.company, t.institution]),
                Index(t, state, *order, end_date),
                Index(t, (t.institution, Index.Equality()), *order,
                    state, end_date),
                Index(t,
                    (t.state, Index.Equality(cardinality='low')),
                    (t.end_date, Index.Range())),
                Index(t, (t.number, Index.Similarity())),
                Index(t, (t.loan_contract_number, Index.Similarity())),
                })
        cls._transitions |= {
            ('draft', 'submitted'),
            ('draft', 'cancelled'),
            ('submitted', 'draft'),
            ('submitted', 'filed'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            ('cancelled', 'draft'),
            ('filed', 'released'),
            ('filed', 'compensating'),
            ('compensating', 'filed'),
            ('compensating', 'compensated'),
            ('compensated', 'closed'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'rejected', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'file': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'release': {
                    'invisible': Eval('state') != 'filed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('release_overdue', False), 'danger',
                    If(Eval('release_due', False), 'warning', ''))),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_institution(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.get_default_reguarantee_institution()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('start_date', 'end_date')
    def on_change_with_term_months(self, name=None):
        if self.start_date and self.end_date:
            return term_months(self.start_date, self.end_date)

    @fields.depends('borrower', 'industry', 'region')
    def on_change_borrower(self):
        if self.borrower:
            self.industry = self.industry or self.borrower.industry
            self.region = self.region or self.borrower.region

    @classmethod
    def get_approval_level(cls, projects, name):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        return {
            p.id: configuration.get_approval_level(
                p.guarantee_amount, ['project_file_approval_amount'],
                p.company.id)
            for p in projects}

    @classmethod
    def search_approval_level(cls, name, clause):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        table = cls.__table__()
        _, operator, value = clause
        level = Configuration(1).get_approval_level_sql(
            table.guarantee_amount, ['project_file_approval_amount'],
            table.company)
        return [('id', 'in', table.select(
                    table.id, where=fields.SQL_OPERATORS[operator](
                        level, value)))]

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def copy(cls, projects, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'product', 'reguaranteed_amount',
                'rejection_reason', 'filing_date', 'release_date',
                'release_type']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(projects, default=default)

    @property
    def industry_code(self):
        return self.industry or (self.borrower.industry if self.borrower
            else None)

    @property
    def duplicate_key(self):
        "The key under which a project must be unique"
        return (
            self.institution.id, self.borrower.id_number, self.bank.id,
            self.loan_contract_number)

    def get_errors(self, cache=None):
        """Return the reasons, as messages, why the project cannot be filed

        Each message is a SubmissionError naming the field it is about.
        When a product covers the project, it is set on the project.  cache
        keeps the contracts and products read across the projects of one
        validation (see candidate_products)."""
        errors = []

        def error(field, msg_id, **kwargs):
            errors.append(SubmissionError(gettext(
                        'reguarantee_base.' + msg_id, project=self.rec_name,
                        **kwargs), field))

        # The fields are read once (a read of a field costs a microsecond):
        # this runs for every row of an import
        values = self.get_eligibility_values()
        start_date, end_date = values.start_date, values.end_date
        loan_amount = values.loan_amount
        borrower, guarantee_amount = self.borrower, self.guarantee_amount
        if cache is None:
            cache = {}
        institution = self.institution
        # A read of a saved record's field costs more than a look-up
        state_key = ('institution state', institution.id)
        if state_key not in cache:
            cache[state_key] = institution.state
        if cache[state_key] != 'active':
            error('institution', 'msg_project_institution_not_active',
                institution=institution.rec_name)
        if not is_valid_borrower_id(values.borrower_kind, borrower.id_number):
            error('borrower', 'msg_project_borrower_id_invalid',
                id_number=borrower.id_number)
        if end_date <= start_date:
            error('end_date', 'msg_project_dates',
                start_date=start_date, end_date=end_date)
        if loan_amount <= 0 or guarantee_amount <= 0:
            error('loan_amount' if loan_amount <= 0
                else 'guarantee_amount', 'msg_project_amount_not_positive')
        elif guarantee_amount > loan_amount:
            error('guarantee_amount', 'msg_project_guarantee_above_loan',
                guarantee_amount=guarantee_amount, loan_amount=loan_amount)
        if not errors:
            contract, product, reasons = self.match_product(cache, values)
            if product:
                self.set_product(contract, product, cache)
            else:
                error('product', 'msg_project_no_product',
                    reasons='\n'.join(reasons))
        return errors

    def get_eligibility_values(self):
        """Return the values of the project that the terms of a product
        test (see get_ineligibility), read once"""
        borrower = self.borrower
        return EligibilityValues(
            self.start_date, self.end_date, self.loan_amount,
            borrower.kind if borrower else None,
            self.industry or (borrower.industry if borrower else None))

    def candidate_products(self, cache=None):
        """Return the terms of the products that may cover the project,
        under their contract, in the order they are tried

        The terms are read once per contract or institution into cache, a
        dictionary shared by the projects of one validation."""
        if cache is None:
            cache = {}
        project_contract = self.contract
        if project_contract:
            key = ('contract', project_contract.id)
        else:
            institution = self.institution
            key = ('institution', institution.id)
        if key not in cache:
            if project_contract:
                contracts = [project_contract]
            else:
                contracts = sorted(
                    (c for c in institution.contracts
                        if c.state == 'signed'),
                    key=lambda c: (c.start_date, c.id), reverse=True)
            cache[key] = [
                ProductTerms(contract, product)
                for contract in contracts
                for product in sorted(
                    contract.products, key=lambda p: p.code)]
        return cache[key]

    def get_ineligibility(self, terms, values=None):
        """Return the reasons why the product of the terms does not cover it

        values are those of get_eligibility_values when the caller has
        them."""
        if values is None:
            values = self.get_eligibility_values()
        reasons = []
        start_date = values.start_date
        if not terms.signed or not (
                terms.contract_start <= start_date <= terms.contract_end):
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_contract_dates',
                    start_date=terms.contract_start,
                    end_date=terms.contract_end))
        if not terms.product_active or not terms.product_valid_on(
                start_date):
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_product_dates'))
        if (terms.borrower_kinds
                and values.borrower_kind not in terms.borrower_kinds):
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_borrower_kind',
                    kind=self.borrower.kind_string))
        industry = values.industry
        if terms.industries and (
                not industry or industry[0] not in terms.industries):
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_industry',
                    industry=industry or ''))
        if (terms.max_loan_amount is not None
                and values.loan_amount > terms.max_loan_amount):
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_loan_amount',
                    loan_amount=values.loan_amount,
                    max_loan_amount=terms.max_loan_amount))
        if terms.max_term_months is not None:
            term = term_months(start_date, values.end_date)
            if term > terms.max_term_months:
                reasons.append(gettext(
                        'reguarantee_base.msg_eligibility_term',
                        term=term, max_term=terms.max_term_months))
        return reasons

    def match_product(self, cache=None, values=None):
        """Return the first contract and product covering the project
        and the reasons why each other candidate does not

        values are those of get_eligibility_values when the caller has
        them."""
        if values is None:
            values = self.get_eligibility_values()
        reasons = []
        for terms in self.candidate_products(cache):
            ineligibility = self.get_ineligibility(terms, values)
            if not ineligibility:
                return terms.contract, terms.product, reasons
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_candidate',
                    contract=terms.contract.rec_name,
                    product=terms.product.rec_name,
                    reasons='; '.join(ineligibility)))
        if not reasons:
            reasons.append(gettext(
                    'reguarantee_base.msg_eligibility_no_contract',
                    institution=self.institution.rec_name))
        return None, None, reasons

    @classmethod
    def find_duplicates(cls, projects, keys=None):
        """Return the projects whose duplicate key is already used by
        another project or by an earlier one of the list, with it

        keys are the duplicate keys of the projects when the caller has
        them.  The keys of the other projects are read by one query per
        slice of projects, without instantiating them: an import checks
        thousands of new projects that duplicate none."""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        if keys is None:
            keys = [p.duplicate_key for p in projects]
        same_key = defaultdict(list)
        for project, key in zip(projects, keys):
            same_key[key].append(project)
        ids = {p.id for p in projects if p.id is not None and p.id >= 0}
        project, borrower = cls.__table__(), Borrower.__table__()
        cursor = Transaction().connection.cursor()
        existing = {}
        for sub_keys in grouped_slice(
                list(same_key), backend.MAX_QUERY_PARAMS // 2):
            sub_keys = list(sub_keys)
            cursor.execute(*project.join(borrower,
                    condition=project.borrower == borrower.id).select(
                    project.id, project.institution, borrower.id_number,
                    project.bank, project.loan_contract_number,
                    where=project.loan_contract_number.in_(
                        list({k[3] for k in sub_keys}))
                    & borrower.id_number.in_(list({k[1] for k in sub_keys}))
                    & ~project.state.in_(['cancelled', 'rejected'])))
            for id_, *key in cursor:
                key = tuple(key)
                if id_ not in ids and key in same_key:
                    existing[id_] = key
        for other in cls.browse(sorted(existing, reverse=True)):
            same_key[existing[other.id]].insert(0, other)
        # Unsaved projects are equal only to themselves
        listed = {id(p) for p in projects}
        duplicates = []
        for same in same_key.values():
            for project in same[1:]:
                if id(project) in listed:
                    duplicates.append((project, same[0]))
        return duplicates

    @classmethod
    def get_submission_errors(cls, projects, pending=None):
        """Return for each project the list of reasons why it cannot be
        submitted (SubmissionError messages), duplicates included

        The submission and the import both validate through this method: it
        may be given unsaved projects, which must have their rec_name set.
        pending is a dict that a caller validating one batch in several
        calls (the import, chunk by chunk) keeps from call to call: each
        check keeps there, under its module's name, what the projects of
        the earlier calls take (here the first project of each duplicate
        key; reguarantee_risk adds the quotas they use)."""
        cache = {}
        errors = [project.get_errors(cache) for project in projects]
        index = {id(p): i for i, p in enumerate(projects)}
        keys = [p.duplicate_key for p in projects]
        for project, other in cls.find_duplicates(projects, keys):
            errors[index[id(project)]].append(
                project.get_duplicate_error(other))
        if pending is not None:
            earlier = pending.setdefault('reguarantee_base.duplicates', {})
            firsts = {}
            for project, project_errors, key in zip(projects, errors, keys):
                if key not in firsts:
                    firsts[key] = project
                    if key in earlier:
                        project_errors.append(
                            project.get_duplicate_error(earlier[key]))
            for key, project in firsts.items():
                earlier.setdefault(key, project)
        return errors

    @classmethod
    def validate_fields(cls, projects, field_names):
        super().validate_fields(projects, field_names)
        cls.check_duplicate_key(projects, field_names)

    @classmethod
    def check_duplicate_key(cls, projects, field_names=None):
        """Check that no two projects past their draft share the duplicate
        key, whatever changed it (e.g. a correction after a rejection by
        the National Fund)"""
        if field_names and not (
                (DUPLICATE_KEY_FIELDS | {'state'}) & set(field_names)):
            return
        projects = [p for p in projects if p.state not in DUPLICATE_STATES]
        firsts = {}
        for project in projects:
            other = firsts.setdefault(project.duplicate_key, project)
            if other != project:
                raise ProjectDuplicateError(
                    project.get_duplicate_error(other))
        for sub_projects in grouped_slice(
                projects, backend.MAX_QUERY_PARAMS // 2):
            sub_projects = list(sub_projects)
            others = cls.search([
                    ('loan_contract_number', 'in', list(
                            {p.loan_contract_number for p in sub_projects})),
                    ('borrower.id_number', 'in', list(
                            {p.borrower.id_number for p in sub_projects})),
                    ('state', 'not in', DUPLICATE_STATES),
                    ], order=[('id', 'ASC')])
            for other in others:
                project = firsts.get(other.duplicate_key)
                if project is not None and project.id != other.id:
                    raise ProjectDuplicateError(
                        project.get_duplicate_error(other))

    def get_duplicate_error(self, other):
        "Return the error of the project duplicating the other"
        return SubmissionError(gettext(
                'reguarantee_base.msg_project_duplicate',
                project=self.rec_name, other=other.rec_name,
                borrower=self.borrower.id_number,
                loan_contract_number=self.loan_contract_number),
            'loan_contract_number')

    @classmethod
    def check_submission(cls, projects, errors=None):
        """Raise with every reason why the projects cannot be submitted

        errors is the result of get_submission_errors for the projects, when
        the caller already has it."""
        if errors is None:
            errors = cls.get_submission_errors(projects)
        messages = [e for project_errors in errors for e in project_errors]
        if messages:
            raise ProjectValidationError('\n'.join(messages))

    def set_product(self, contract, product, cache=None):
        """Set the contract and the product matched and the re-guaranteed
        amount; cache is that of get_errors"""
        if cache is None:
            cache = {}
        share_key = ('product share', product.id)
        if share_key not in cache:
            cache[share_key] = product.share_reguarantor
        round_key = ('currency round', self.company.id)
        if round_key not in cache:
            cache[round_key] = currency_rounder(self.currency)
        self.contract, self.product = contract, product
        self.reguaranteed_amount = cache[round_key](
            self.guarantee_amount * cache[share_key])

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, projects):
        cls.enter_submitted(projects)

    @classmethod
    def new_drafts(cls, vlist):
        """Return new unsaved draft projects of the values, to validate with
        get_submission_errors and submit with enter_submitted

        Part of enter_submitted, which builds with it the projects it is
        given as values; the import builds its rows' projects with it to
        validate them chunk by chunk before it submits them (also when it
        only checks a file).  The values are those of a project's stored
        fields (and its rec_name, the name its errors give it), a Many2One
        given as a record; the borrower may be the dictionary of the values
        of a new borrower, the same borrower for the projects given the
        same dictionary."""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        # The fast path of the new projects of an import of up to hundreds
        # of thousands of rows (with enter_submitted's, and nowhere else, on
        # purpose): Project(**values) costs 35 µs a row, mostly
        # ModelStorage.__init__ looking the transaction's caches up for each
        # record and Field.__set__ converting values that are already of
        # their type.  The records are built as ModelStorage.browse builds
        # them, sharing the caches, with their values set as Field.__set__
        # would set them: a value of its field's type is set as it is (a
        # Char stripped as the field says), any other through the field.
        transaction = Transaction()
        caches = {
            '_transaction': transaction,
            '_transaction_cache': transaction.get_cache(),
            }
        # what a setter returns for a value that Field.__set__ converts
        convert = object()
        strips = {
            True: str.strip, 'leading': str.lstrip, 'trailing': str.rstrip}

        def plain(type_):
            return lambda value: value if type(value) is type_ else convert

        def instance(target):
            return lambda value: (
                value if isinstance(value, target) else convert)

        def stripped(strip):
            return lambda value: (
                convert if not isinstance(value, str)
                else strip(value) if strip else value)

        def get_setters(Model):
            """Return the function of each field of Model that returns a
            value as Field.__set__ stores it, or convert; with the local
            cache the records share"""
            setters = {'_local_cache': local_cache(Model, transaction)}
            for name, field in Model._fields.items():
                if isinstance(field, fields.Function):
                    # Function.__set__ sets the value through its field's
                    field = field._field
                type_ = type(field)
                if type_.__set__ is fields.Many2One.__set__:
                    setters[name] = instance(field.get_target())
                elif type_.__set__ is fields.Char.__set__:
                    setters[name] = stripped(strips.get(field.strip))
                elif field._py_type and type_.__set__ in {
                        fields.Field.__set__, fields.Date.__set__}:
                    # a value of the exact type (a date, not a datetime)
                    setters[name] = plain(field._py_type)
            return setters

        def new(Model, values, setters):
            record = Model(_local_cache=setters['_local_cache'], **caches)
            record._values = Model._record()
            record_values = record._values
            for name, value in values.items():
                setter = setters.get(name)
                if setter is None:
                    setattr(record, name, value)
                elif value is None:
                    setattr(record_values, name, None)
                else:
                    value = setter(value)
                    if value is convert:
                        setattr(record, name, values[name])
                    else:
                        setattr(record_values, name, value)
            return record

        project_setters = get_setters(cls)
        borrower_setters = get_setters(Borrower)
        borrowers = {}
        projects = []
        for values in vlist:
            borrower = values.get('borrower')
            if isinstance(borrower, dict):
                if id(borrower) not in borrowers:
                    borrowers[id(borrower)] = new(
                        Borrower, borrower, borrower_setters)
                values = {**values, 'borrower': borrowers[id(borrower)]}
            projects.append(new(cls, values, project_setters))
        return projects

    @classmethod
    def enter_submitted(cls, projects, errors=None):
        """Submit the projects and return them: the one way a project
        enters the state submitted

        The projects are saved drafts (the Submit button) or new projects,
        whose borrowers may be new too, given as the dictionaries of their
        values (see new_drafts) or as the unsaved projects that new_drafts
        built (the Import Projects wizard, the reguarantee-import command
        and the REST API, through ProjectImport).  This method:

        - validates them with get_submission_errors and raises a
          ProjectValidationError with every reason when one may not be
          submitted.  errors is the result of get_submission_errors for
          these projects when the caller has just computed it: the import
          validates its rows chunk by chunk as it reads them, with a
          pending shared by the chunks, and keeps the valid projects;
        - numbers the new projects from the project sequence, by batch;
        - saves the drafts, with the product matched, and creates the new
          projects, submitted, and their new borrowers, by batch;
        - logs the transition in ir.model.log as @Workflow.transition does
          for the button, so that the history is the same.

        Modules extend this method, the same for every way in, to check or
        warn once the projects are submitted (e.g. reguarantee_risk's
        industry concentration warning) or to act on them.  A reason to
        refuse one project belongs to get_submission_errors: the import
        lists it with the row, also when it only checks the file."""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Log = pool.get('ir.model.log')
        if any(isinstance(p, dict) for p in projects):
            built = iter(cls.new_drafts(
                    [p for p in projects if isinstance(p, dict)]))
            projects = [
                next(built) if isinstance(p, dict) else p for p in projects]
        cls.check_submission(projects, errors)
        drafts, new = [], []
        for project in projects:
            if project.id is None or project.id < 0:
                new.append(project)
            elif (project.state, 'submitted') in cls._transitions:
                drafts.append(project)
        if drafts:
            # get_submission_errors matched the product of each project
            cls.save(drafts)
            cls.write(drafts, {'state': 'submitted'})
            cls.log(drafts, 'transition', 'state:submitted')
        if not new:
            return drafts

        # The fast path of the new projects, an import of up to hundreds of
        # thousands, measured in docs/benchmarks.md; it is here (and in
        # new_drafts, which builds them) and nowhere else on purpose.
        # Model.create inserts the rows one by one on SQLite and checks again
        # with Tryton's field checks what get_submission_errors has just
        # checked (≈ 500 µs a row):
        # create_in_bulk inserts each batch at once, from the values of the
        # unsaved records (Tryton's private _save_values), under
        # _reguarantee_prevalidated (PrevalidatedMixin, WorkflowGuardMixin);
        # preprocess_values and the create hooks (check_modification,
        # on_modification, triggers) run as with Model.create.  Model.log
        # keeps one ir.model.log record per project until the commit: the
        # same rows are inserted by one INSERT … SELECT per batch.
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        log, table = Log.__table__(), cls.__table__()
        log_columns = [
            log.resource, log.event, log.target, log.user, log.create_uid,
            log.create_date]
        user = transaction.user

        def save_values(Model):
            """Return the function returning the values to create of an
            unsaved record, those of Tryton's _save_values: a record of an
            import has only stored fields, Many2One and the Function fields
            without setter it skips (rec_name, currency), which this
            converts at a third of the cost"""
            skipped, relations, others = set(), set(), set()
            for name, field in Model._fields.items():
                if isinstance(field, fields.Function) and not field.setter:
                    skipped.add(name)
                elif field._type in {'many2one', 'one2one'}:
                    relations.add(name)
                elif field._type in {
                        'reference', 'one2many', 'many2many'} or isinstance(
                        field, fields.Function):
                    others.add(name)

            names = [n for n in Model._record.__slots__ if n not in skipped]
            missing = object()

            def values_of(record):
                values = {}
                record_values = record._values
                for name in names:
                    value = getattr(record_values, name, missing)
                    if value is missing:
                        continue
                    elif name in others:
                        return record._save_values()
                    if name in relations and value is not None:
                        value_id = value.id
                        if value_id is None or value_id < 0:
                            # a new borrower, created before its projects
                            value_id = created_ids.get(id(value))
                            if value_id is None:
                                raise ValueError(
                                    "unsaved %s of %s" % (name, record))
                        value = value_id
                    values[name] = value
                return values
            return values_of

        def create(Model, records):
            """Create the records, those of the same fields at once; return
            (unsaved record, created record)"""
            by_names = defaultdict(list)
            values_of = save_values(Model)
            for record in records:
                values = values_of(record)
                # in the order of the fields of the record (no need to sort)
                by_names[tuple(values)].append((record, values))
            result = []
            for same in by_names.values():
                vlist = [v for _, v in same]
                if Model == cls:
                    cls.set_numbers(vlist)
                with transaction.set_context(_reguarantee_prevalidated=True):
                    result.extend(zip(
                            (r for r, _ in same),
                            create_in_bulk(Model, vlist)))
            return result

        # The id each new borrower is created with, by id() of its unsaved
        # record: the values of its projects take it
        created_ids = {}
        new_borrowers = {}
        for project in new:
            project.state = 'submitted'
            borrower = project.borrower
            if borrower.id is None or borrower.id < 0:
                new_borrowers.setdefault(id(borrower), borrower)
        for sub_borrowers in grouped_slice(
                list(new_borrowers.values()), CREATE_BATCH_SIZE):
            for borrower, record in create(Borrower, sub_borrowers):
                created_ids[id(borrower)] = record.id
        # The timestamp of the transaction, read once: SQLite's is a Python
        # function called for each row
        cursor.execute(*Select([CurrentTimestamp()]))
        now, = cursor.fetchone()
        created = []
        for sub_projects in grouped_slice(new, CREATE_BATCH_SIZE):
            records = [r for _, r in create(cls, list(sub_projects))]
            created.extend(records)
            if not cls._log:
                continue
            for sub_ids in grouped_slice(
                    [r.id for r in records], backend.MAX_QUERY_PARAMS):
                cursor.execute(*log.insert(log_columns, table.select(
                            Concat(cls.__name__ + ',', table.id),
                            Literal('transition'), Literal('state:submitted'),
                            Literal(user), Literal(user), Literal(now),
                            where=fields.SQL_OPERATORS['in'](
                                table.id, list(sub_ids)))))
        return drafts + created

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, projects):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, projects):
        cls.write(projects, {
                'product': None,
                'reguaranteed_amount': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('filed')
    def file(cls, projects):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(projects, {'filing_date': Date.today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, projects):
        pass

    @classmethod
    @ModelView.button_action('reguarantee_base.wizard_project_release')
    def release(cls, projects):
        pass

    @classmethod
    def _release_dates(cls):
        "Return today and the last end date of the projects due for release"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Date = pool.get('ir.date')
        today = Date.today()
        days = Configuration(1).release_reminder_days or 0
        return today, today + relativedelta(days=days)

    @classmethod
    def get_release_due(cls, projects, names):
        today, limit = cls._release_dates()
        result = {name: {} for name in names}
        for project in projects:
            filed = project.state == 'filed'
            if 'release_due' in result:
                result['release_due'][project.id] = (
                    filed and today <= project.end_date <= limit)
            if 'release_overdue' in result:
                result['release_overdue'][project.id] = (
                    filed and project.end_date < today)
        return result

    @classmethod
    def search_release_due(cls, name, clause):
        today, limit = cls._release_dates()
        if name == 'release_due':
            domain = [
                ('state', '=', 'filed'),
                ('end_date', '>=', today),
                ('end_date', '<=', limit),
                ]
        else:
            domain = [
                ('state', '=', 'filed'),
                ('end_date', '<', today),
                ]
        _, operator, value = clause[:3]
        if (operator == '=') != bool(value):
            return [('id', 'not in', cls.search(domain, order=[], query=True))]
        return domain

    @classmethod
    def remind_releases(cls):
        """Notify the institutions' users and the business staff of the
        projects due for release and of the overdue ones (cron)"""
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        due = cls.search([
                ('release_due', '=', True),
                ('release_reminder_date', '=', None),
                ])
        overdue = cls.search([
                ('release_overdue', '=', True),
                ('overdue_notice_date', '=', None),
                ])
        cls._notify_release(due, 'msg_project_release_due')
        cls._notify_release(overdue, 'msg_project_release_overdue')
        to_write = []
        if due:
            to_write.extend([due, {'release_reminder_date': today}])
        if overdue:
            to_write.extend([overdue, {'overdue_notice_date': today}])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def _notify_release(cls, projects, msg_id):
        """Send one notification per user listing the projects, and an
        e-mail to those with an address when the configuration says so"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        if not projects:
            return
        email = Configuration(1).release_reminder_email
        staff = User.search([
                ('groups', '=', ModelData.get_id(
                        'reguarantee_base', 'group_business')),
                ])
        recipients = defaultdict(set)
        for project in projects:
            for user in set(project.institution.users) | set(staff):
                recipients[user].add(project)
        for user, user_projects in recipients.items():
            user_projects = sorted(
                user_projects, key=lambda p: (p.end_date, p.number or ''))
            with Transaction().set_context(language=user.language.code
                    if user.language else None):
                label = ngettext(
                    'reguarantee_base.' + msg_id, len(user_projects),
                    count=len(user_projects))
                if email and user.email:
                    send_message_transactional(cls._get_release_email(
                            user, user_projects, label))
            cls.notify_user(
                user_projects, 'tryton-calendar', label,
                description=', '.join(p.rec_name for p in user_projects),
                user=user.id)

    @classmethod
    def _get_release_email(cls, user, projects, subject):
        "Return the e-mail to user listing the projects (context language)"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        lines = [subject, '']
        for project in projects:
            lines.append(gettext(
                    'reguarantee_base.msg_project_release_email_line',
                    number=project.rec_name, borrower=project.borrower.name,
                    end_date=lang.strftime(project.end_date)))
        lines += ['', gettext(
                'reguarantee_base.msg_project_release_email_footer')]
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = user.email
        msg['Subject'] = subject
        msg.set_content('\n'.join(lines))
        return msg

    @classmethod
    @Workflow.transition('released')
    def do_release(cls, projects, date, type_):
        "Release the guarantee of the projects"
        for project in projects:
            if date < project.start_date:
                raise ProjectValidationError(gettext(
                        'reguarantee_base.msg_project_release_date',
                        project=project.rec_name, date=date,
                        start_date=project.start_date))
        cls.write(projects, {
                'release_date': date,
                'release_type': type_,
                })

    @classmethod
    @Workflow.transition('compensating')
    def start_compensation(cls, projects):
        "A compensation of the projects is submitted"
        pass

    @classmethod
    @Workflow.transition('filed')
    def revert_compensation(cls, projects):
        "The compensation of the projects is rejected"
        pass

    @classmethod
    @Workflow.transition('compensated')
    def compensate(cls, projects):
        "The compensation of the projects is paid"
        pass

    @classmethod
    @Workflow.transition('closed')
    def close(cls, projects):
        "The compensated projects are fully recovered or written off"
        pass


class ProjectRelease(Wizard):
    __name__ = 'reguarantee.project.release'

    start = StateView(
        'reguarantee.project.release.start',
        'reguarantee_base.project_release_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Release", 'release', 'tryton-ok', default=True),
            ])
    release = StateTransition()
    done = StateView(
        'reguarantee.project.release.done',
        'reguarantee_base.project_release_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_release(self):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Lang = pool.get('ir.lang')
        projects = [r for r in self.records if r.state == 'filed']
        Project.do_release(projects, self.start.date, self.start.type)
        self.done.summary = gettext(
            'reguarantee_base.msg_project_release_summary',
            count=len(projects),
            projects=', '.join(p.rec_name for p in projects[:20]),
            date=Lang.get().strftime(self.start.date))
        return 'done'

    def default_done(self, fields):
        return {
            'summary': self.done.summary,
            }


class ProjectReleaseStart(ModelView):
    __name__ = 'reguarantee.project.release.start'

    date = fields.Date("Date", required=True)
    type = fields.Selection([
            ('normal', "Normal Repayment"),
            ('early', "Early Repayment"),
            ], "Type", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_type(cls):
        return 'normal'


class ProjectReleaseDone(ModelView):
    __name__ = 'reguarantee.project.release.done'

    summary = fields.Text("Summary", readonly=True)
