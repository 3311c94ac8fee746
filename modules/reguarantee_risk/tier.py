# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Sum
from sql.operators import Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.reguarantee_base.approval import ApprovalHistoryMixin
from trytond.modules.reguarantee_base.model import WorkflowGuardMixin
from trytond.modules.reguarantee_base.project import SubmissionError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .configuration import RATE_DIGITS
from .exceptions import TierError
from .indicator import loss_figures, ratio

#: Most values in one SQL IN list
MAX_PARAMS = backend.MAX_QUERY_PARAMS
SCOPES = [
    ('institution', "Institution"),
    ('product', "Product"),
    ]


def format_rate(rate):
    "Return the rate as a percentage with two decimals"
    return '%.2f %%' % (rate * 100) if rate is not None else ''


class Tier(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'reguarantee.risk.tier'

    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    scope = fields.Selection(
        SCOPES, "Scope", required=True,
        help="Whose cumulative compensation rate the band applies to.")
    min_rate = fields.Numeric(
        "From Rate", digits=RATE_DIGITS, required=True,
        domain=[('min_rate', '>=', 0)],
        help="The compensation rate from which the tier applies.")
    max_rate = fields.Numeric(
        "To Rate", digits=RATE_DIGITS,
        domain=[
            If(Eval('max_rate', None) != None,  # noqa: E711
                ('max_rate', '>', Eval('min_rate', 0)),
                ()),
            ],
        help="The compensation rate from which the tier no longer "
        "applies; leave empty for no upper bound.")
    action = fields.Selection([
            ('adjust', "Fee Adjustment"),
            ('warning', "Warning"),
            ('breaker', "Circuit Breaker"),
            ], "Action", required=True,
        help="Fee adjustment: only the fee rate changes; warning: the risk "
        "staff and the institution are notified too; circuit breaker: "
        "new submissions and imports are refused until two risk committee "
        "users lift it.")
    fee_rate_adjustment = fields.Numeric(
        "Fee Rate Adjustment", digits=RATE_DIGITS, required=True,
        help="Added to the annual fee rate of the projects of the "
        "institution or product from the date the tier applies "
        "(negative for a discount).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('min_rate', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_scope(cls):
        return 'institution'

    @classmethod
    def default_action(cls):
        return 'adjust'

    @classmethod
    def default_fee_rate_adjustment(cls):
        return Decimal(0)

    def covers(self, rate):
        "Return whether the compensation rate is in the band"
        return rate is not None and self.min_rate <= rate and (
            self.max_rate is None or rate < self.max_rate)

    @classmethod
    def validate_fields(cls, tiers, field_names):
        super().validate_fields(tiers, field_names)
        cls.check_overlap(tiers, field_names)

    @classmethod
    def check_overlap(cls, tiers, field_names=None):
        "Check that the bands of a scope do not overlap"
        names = {'company', 'scope', 'min_rate', 'max_rate', 'active'}
        if field_names and not (names & set(field_names)):
            return
        for tier in tiers:
            if not tier.active:
                continue
            for other in cls.search([
                        ('company', '=', tier.company.id),
                        ('scope', '=', tier.scope),
                        ('id', '!=', tier.id),
                        ]):
                if tier.covers(other.min_rate) or other.covers(tier.min_rate):
                    raise TierError(gettext(
                            'reguarantee_risk.msg_tier_overlap',
                            tier=tier.rec_name, other=other.rec_name))

    @classmethod
    def find(cls, tiers, rate):
        "Return the tier of tiers whose band covers the rate"
        for tier in tiers:
            if tier.covers(rate):
                return tier


class TierAssignment(
        WorkflowGuardMixin, ApprovalHistoryMixin, Workflow, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.risk.tier.assignment'
    # only the tier updates end an assignment, a breaker is lifted by two
    # committee users
    _deletable_states = set()

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    tier = fields.Many2One(
        'reguarantee.risk.tier', "Tier", required=True, readonly=True,
        ondelete='RESTRICT')
    action = fields.Selection(
        'get_actions', "Action", readonly=True, required=True)
    action_string = action.translated('action')
    scope = fields.Selection(SCOPES, "Scope", readonly=True, required=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", readonly=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'reguarantee.product', "Product", readonly=True, ondelete='CASCADE')
    compensation_rate = fields.Numeric(
        "Compensation Rate", digits=RATE_DIGITS, readonly=True,
        help="The cumulative compensation rate when the tier was assigned.")
    fee_rate_adjustment = fields.Numeric(
        "Fee Rate Adjustment", digits=RATE_DIGITS, readonly=True,
        help="The tier's adjustment when it was assigned.")
    effective_date = fields.Date("Effective Date", readonly=True)
    end_date = fields.Date(
        "End Date", readonly=True,
        help="The day the rate left the band; empty while it applies.")
    lift_date = fields.Date("Lift Date", readonly=True)
    state = fields.Selection([
            ('active', "Active"),
            ('lifted', "Lifted"),
            ('ended', "Ended"),
            ], "State", readonly=True, required=True, sort=False,
        help="A circuit breaker blocks new submissions while active.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('effective_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('active', 'lifted'),
            ('active', 'ended'),
            ('lifted', 'ended'),
            }
        cls._buttons.update({
                'lift': {
                    'invisible': (
                        (Eval('state') != 'active')
                        | (Eval('action') != 'breaker')),
                    'icon': 'tryton-ok',
                    'depends': ['state', 'action'],
                    },
                })

    @classmethod
    def get_actions(cls):
        pool = Pool()
        Tier = pool.get('reguarantee.risk.tier')
        return Tier.fields_get(['action'])['action']['selection']

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') != 'active', 'muted',
                    If(Eval('action') == 'breaker', 'danger',
                        If(Eval('action') == 'warning', 'warning', '')))),
            ]

    @classmethod
    def default_state(cls):
        return 'active'

    @property
    def subject(self):
        return self.institution if self.scope == 'institution' else (
            self.product)

    def get_rec_name(self, name):
        return f'{self.tier.rec_name} - {self.subject.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('tier.rec_name', *clause[1:]),
            ('institution.rec_name', *clause[1:]),
            ('product.rec_name', *clause[1:]),
            ]

    @classmethod
    @ModelView.button
    @Workflow.transition('lifted')
    def lift(cls, assignments):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(assignments, {'lift_date': Date.today()})

    @classmethod
    @Workflow.transition('ended')
    def end(cls, assignments, date):
        cls.write(assignments, {'end_date': date})

    @classmethod
    def update(cls, date, companies=None):
        """Assign to each institution and product of the companies the tier
        of its cumulative compensation rate on the date

        A new tier applies from the date; an active circuit breaker stays
        until it is lifted.  The current tiers are kept on the dates up to
        the day they took effect."""
        pool = Pool()
        Company = pool.get('company.company')
        Tier = pool.get('reguarantee.risk.tier')
        if companies is None:
            companies = Company.search([])
        to_end, vlist = [], []
        for company in companies:
            tiers = defaultdict(list)
            for tier in Tier.search([('company', '=', company.id)]):
                tiers[tier.scope].append(tier)
            current = {
                (a.scope, a.subject.id): a for a in cls.search([
                        ('company', '=', company.id),
                        ('end_date', '=', None),
                        ])}
            for scope, _ in SCOPES:
                figures = loss_figures(
                    company.id, date, date.replace(month=1, day=1), scope)
                rates = {
                    i: ratio(f['compensation'], f['released'])
                    for i, f in figures.items() if i is not None}
                subjects = set(rates) | {
                    i for s, i in current if s == scope}
                for subject in sorted(subjects):
                    rate = rates.get(subject)
                    tier = Tier.find(tiers[scope], rate)
                    assignment = current.get((scope, subject))
                    if assignment:
                        if (assignment.tier == tier
                                or date <= assignment.effective_date
                                or (assignment.action == 'breaker'
                                    and assignment.state == 'active')):
                            continue
                        to_end.append(assignment)
                    if tier:
                        vlist.append({
                                'company': company.id,
                                'tier': tier.id,
                                'action': tier.action,
                                'scope': scope,
                                scope: subject,
                                'compensation_rate': rate,
                                'fee_rate_adjustment': (
                                    tier.fee_rate_adjustment),
                                'effective_date': date,
                                })
        if to_end:
            cls.end(to_end, date)
        assignments = cls.create(vlist)
        cls.notify([a for a in assignments if a.action != 'adjust'])
        return assignments

    @classmethod
    def notify(cls, assignments):
        """Notify the risk staff and the users of the institution of the
        warnings and circuit breakers assigned"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        staff = User.search([
                ('groups', 'in', [
                        ModelData.get_id('reguarantee_base', xml_id)
                        for xml_id in ['group_risk', 'group_risk_committee']]),
                ])
        for assignment in assignments:
            users = set(staff)
            if assignment.institution:
                users.update(assignment.institution.users)
            for user in users:
                with Transaction().set_context(language=user.language.code
                        if user.language else None):
                    label = gettext(
                        'reguarantee_risk.msg_tier_assigned',
                        subject=assignment.subject.rec_name,
                        tier=assignment.tier.name,
                        action=assignment.action_string,
                        rate=format_rate(assignment.compensation_rate))
                cls.notify_user(
                    [assignment],
                    'tryton-warning' if assignment.action == 'warning'
                    else 'tryton-cancel',
                    label, user=user.id)

    @classmethod
    def get_fee_adjustments(cls, projects, date):
        """Return the fee rate adjustment of each project on the date:
        the sum of the adjustments of the tiers of its institution and of
        its product in effect then (one query for all the projects)"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        assignment = cls.__table__()
        cursor = Transaction().connection.cursor()
        adjustments = {p.id: Decimal(0) for p in projects}
        query = project.join(assignment, condition=Or([
                    assignment.institution == project.institution,
                    assignment.product == project.product]))
        for sub_ids in grouped_slice(list(adjustments), MAX_PARAMS):
            cursor.execute(*query.select(
                    project.id, Sum(assignment.fee_rate_adjustment),
                    where=SQL_OPERATORS['in'](project.id, sub_ids)
                    & (assignment.effective_date <= date)
                    & ((assignment.end_date == Null)
                        | (assignment.end_date > date)),
                    group_by=[project.id]))
            for project_id, adjustment in cursor:
                adjustments[project_id] = Decimal(str(adjustment)).quantize(
                    Decimal(1).scaleb(-RATE_DIGITS[1]))
        return adjustments

    @classmethod
    def get_breaker_errors(cls, projects):
        """Yield (project, error) for the projects whose institution or
        product is stopped by an active circuit breaker (one search)"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        if not projects:
            return
        lang = Lang.get()
        breakers = {
            (a.scope, a.subject.id): a for a in cls.search([
                    ('state', '=', 'active'),
                    ('action', '=', 'breaker'),
                    ['OR',
                        ('institution', 'in', list(
                                {p.institution.id for p in projects})),
                        ('product', 'in', list(
                                {p.product.id for p in projects
                                    if p.product})),
                        ],
                    ])}
        if not breakers:
            return
        for project in projects:
            for scope, subject in [
                    ('institution', project.institution),
                    ('product', project.product)]:
                breaker = subject and breakers.get((scope, subject.id))
                if breaker:
                    yield project, SubmissionError(gettext(
                            'reguarantee_risk.msg_breaker_submission',
                            project=project.rec_name,
                            subject=subject.rec_name,
                            tier=breaker.tier.name,
                            rate=format_rate(breaker.compensation_rate),
                            date=lang.strftime(breaker.effective_date)),
                        scope)
