# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext, ngettext
from trytond.model import (
    DeactivableMixin, MatchMixin, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.modules.reguarantee_base.model import WorkflowGuardMixin
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .classification import CLASSIFICATIONS
from .exceptions import InspectionError
from .signal import SIGNAL_KINDS


def spot_checked(number, share):
    """Return whether the report number (1 for the first) of a project is
    spot-checked for the share: the spot checks are spread evenly, report n
    being checked when ⌊n × share⌋ > ⌊(n − 1) × share⌋ (with 25 %: the 4th,
    8th, 12th...; with 50 %: the 2nd, 4th...)"""
    share = share or Decimal(0)
    return int(number * share) > int((number - 1) * share)


class PlanRule(
        DeactivableMixin, sequence_ordered(), MatchMixin, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.inspection.plan.rule'

    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    product = fields.Many2One(
        'reguarantee.product', "Product", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        help="The product of the projects; empty for any product.")
    mode = fields.Selection([
            (None, ""),
            ('batch', "Small-micro Batch"),
            ('individual', "Individual Project"),
            ], "Business Kind",
        help="The business kind (the mode of the product) of the "
        "projects; empty for any kind.")
    first_days = fields.Integer(
        "First Inspection Days", required=True,
        domain=[('first_days', '>=', 0)],
        help="The first inspection is due this many days after the start "
        "of the loan.")
    period_months = fields.Integer(
        "Period Months",
        domain=['OR',
            ('period_months', '=', None),
            ('period_months', '>', 0),
            ],
        help="Then an inspection every this many months, counted from the "
        "first inspection's due date; empty for none.")
    onsite_months = fields.Integer(
        "On-site Visit Months",
        domain=['OR',
            ('onsite_months', '=', None),
            ('onsite_months', '>', 0),
            ],
        help="An on-site visit due when this many months are left before "
        "the maturity of the loan (in its last months); empty for none.")
    spot_check_rate = fields.Numeric(
        "Spot Check Share", digits=(16, 4), required=True,
        domain=[
            ('spot_check_rate', '>=', 0),
            ('spot_check_rate', '<=', 1),
            ],
        help="The share of the institution's reports the re-guarantor "
        "checks itself off-site, on the same due dates, spread evenly "
        "(25 %: the 4th, 8th... report of each project).")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_first_days(cls):
        return 30

    @classmethod
    def default_period_months(cls):
        return 3

    @classmethod
    def default_onsite_months(cls):
        return 3

    @classmethod
    def default_spot_check_rate(cls):
        return Decimal('0.2')

    @classmethod
    def get_rule(cls, project, rules=None):
        "Return the first rule that matches the project, or None"
        if rules is None:
            rules = cls.search([('company', '=', project.company.id)])
        pattern = project.get_inspection_pattern()
        for rule in rules:
            if rule.company == project.company and rule.match(pattern):
                return rule

    def get_plan(self, start_date, end_date):
        """Return the sorted (kind, due date) of the inspections of a loan
        from start_date to end_date

        The first institution report is due first_days after the start,
        the next ones every period_months after the first's due date while
        they are due before the on-site visit and the maturity; the on-site
        visit is due onsite_months before the maturity; the spot-checked
        reports get an off-site inspection on their due dates."""
        first = start_date + dt.timedelta(days=self.first_days)
        onsite = None
        if self.onsite_months:
            onsite = end_date - relativedelta(months=self.onsite_months)
            if onsite <= start_date:
                onsite = None
        limit = min(d for d in [onsite, end_date] if d)
        reports = []
        if first < end_date:
            reports.append(first)
            if self.period_months:
                n = 1
                while True:
                    date = first + relativedelta(
                        months=n * self.period_months)
                    if date >= limit:
                        break
                    reports.append(date)
                    n += 1
        plan = [('institution_report', d) for d in reports]
        plan.extend(
            ('offsite', d) for n, d in enumerate(reports, 1)
            if spot_checked(n, self.spot_check_rate))
        if onsite:
            plan.append(('onsite', onsite))
        return sorted(plan, key=lambda p: (p[1], p[0]))


_states = {
    'readonly': Eval('state') == 'done',
    }


class Inspection(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.inspection'
    _deletable_states = {'planned'}

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={'readonly': Eval('state') != 'planned'})
    origin = fields.Reference(
        "Origin", selection='get_origin', required=True,
        states={'readonly': Eval('state') != 'planned'},
        help="The guarantee inspected.")
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", readonly=True,
        ondelete='CASCADE',
        help="The institution of the guarantee, whose users fill in its "
        "reports.")
    borrower = fields.Many2One(
        'reguarantee.borrower', "Borrower", readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection([
            ('institution_report', "Institution Report"),
            ('offsite', "Off-site"),
            ('onsite', "On-site"),
            ], "Kind", required=True, sort=False,
        states={'readonly': Eval('state') != 'planned'},
        help="Institution report: filled in by the institution; off-site "
        "and on-site: by the re-guarantor.")
    kind_string = kind.translated('kind')
    due_date = fields.Date(
        "Due Date", required=True,
        states={'readonly': Eval('state') != 'planned'})
    done_date = fields.Date(
        "Done Date", states=_states,
        help="Today when empty at completion.")
    inspector = fields.Many2One(
        'res.user', "Inspector", ondelete='RESTRICT', states=_states,
        help="Who does the inspection; the user who completes it when "
        "empty.")
    findings = fields.Text("Findings", states=_states)
    signal_kinds = fields.MultiSelection(
        SIGNAL_KINDS, "Signals", states=_states, sort=False,
        help="The warning signs found: a risk signal is recorded for each "
        "when the inspection is completed.")
    proposed_classification = fields.Selection(
        [(None, "")] + CLASSIFICATIONS, "Proposed Classification",
        sort=False, states=_states,
        help="A worse classification than the project's is proposed to "
        "the risk department when the inspection is completed.")
    signals = fields.One2Many(
        'reguarantee.risk.signal', 'origin', "Risk Signals", readonly=True)
    reminder_date = fields.Date(
        "Reminder Date", readonly=True,
        help="When the users were reminded of the due date.")
    overdue_date = fields.Date(
        "Overdue Date", readonly=True,
        help="When the inspection became overdue.")
    due_soon = fields.Function(
        fields.Boolean(
            "Due Soon",
            help="Planned and due within the reminder days of the "
            "configuration."),
        'get_due_soon', searcher='search_due_soon')
    to_do = fields.Function(
        fields.Boolean(
            "To Do", help="Not done, and yours or nobody's."),
        'get_to_do', searcher='search_to_do')
    state = fields.Selection([
            ('planned', "Planned"),
            ('overdue', "Overdue"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('due_date', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'overdue'),
            ('overdue', 'done'),
            }
        cls._buttons.update({
                'complete': {
                    'invisible': Eval('state') == 'done',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('state') == 'overdue', 'danger',
                    If(Eval('due_soon', False), 'warning', ''))),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_kind(cls):
        return 'offsite'

    @classmethod
    def _get_origin(cls):
        """Return the models of the guarantees inspected: the hook of the
        modules that add some (e.g. direct guarantees)"""
        return ['reguarantee.project']

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origin()]

    @fields.depends('origin')
    def on_change_origin(self):
        if self.origin and getattr(self.origin, 'id', -1) >= 0:
            for name, value in self._get_origin_values(self.origin).items():
                setattr(self, name, value)

    @classmethod
    def _get_origin_values(cls, origin):
        """Return the values of the fields that follow the origin: the hook
        of the modules whose origins name them otherwise"""
        institution = getattr(origin, 'institution', None)
        borrower = getattr(origin, 'borrower', None)
        return {
            'institution': institution.id if institution else None,
            'borrower': borrower.id if borrower else None,
            }

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        values = super().preprocess_values(mode, values)
        origin = values.get('origin')
        if origin:
            if isinstance(origin, str):
                model, id_ = origin.split(',')
                origin = pool.get(model)(int(id_))
            else:
                model, id_ = origin
                origin = pool.get(model)(id_)
            values.update(cls._get_origin_values(origin))
        return values

    def get_rec_name(self, name):
        origin = self.origin.rec_name if self.origin else ''
        return f'{origin} {self.kind_string} @ {self.due_date}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('institution.rec_name', *clause[1:]),
            ('borrower.rec_name', *clause[1:]),
            ]

    @classmethod
    def _reminder_dates(cls):
        "Return today and the last due date of the inspections due soon"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Date = pool.get('ir.date')
        today = Date.today()
        days = Configuration(1).inspection_reminder_days or 0
        return today, today + dt.timedelta(days=days)

    @classmethod
    def get_due_soon(cls, inspections, name):
        today, limit = cls._reminder_dates()
        return {
            i.id: i.state == 'planned' and today <= i.due_date <= limit
            for i in inspections}

    @classmethod
    def search_due_soon(cls, name, clause):
        today, limit = cls._reminder_dates()
        domain = [
            ('state', '=', 'planned'),
            ('due_date', '>=', today),
            ('due_date', '<=', limit),
            ]
        _, operator, value = clause[:3]
        if (operator == '=') != bool(value):
            domain = ['NOT', domain]
        return domain

    @classmethod
    def get_to_do(cls, inspections, name):
        user = Transaction().user
        return {
            i.id: i.state != 'done' and (
                not i.inspector or i.inspector.id == user)
            for i in inspections}

    @classmethod
    def search_to_do(cls, name, clause):
        domain = [
            ('state', '!=', 'done'),
            ['OR',
                ('inspector', '=', None),
                ('inspector', '=', Transaction().user),
                ],
            ]
        _, operator, value = clause[:3]
        if (operator == '=') != bool(value):
            domain = ['NOT', domain]
        return domain

    @classmethod
    def copy(cls, inspections, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'done_date', 'signals', 'reminder_date', 'overdue_date',
                'findings', 'signal_kinds', 'proposed_classification']:
            default.setdefault(name, None)
        return super().copy(inspections, default=default)

    @classmethod
    def check_complete(cls, inspections):
        "Raise if an inspection cannot be completed"
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for inspection in inspections:
            if not inspection.findings:
                raise InspectionError(gettext(
                        'reguarantee_monitoring.msg_inspection_findings',
                        inspection=inspection.rec_name))
            if inspection.done_date and inspection.done_date > today:
                raise InspectionError(gettext(
                        'reguarantee_monitoring.msg_inspection_done_future',
                        inspection=inspection.rec_name,
                        date=inspection.done_date))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, inspections):
        pool = Pool()
        Date = pool.get('ir.date')
        Change = pool.get('reguarantee.classification.change')
        Signal = pool.get('reguarantee.risk.signal')
        cls.check_complete(inspections)
        today = Date.today()
        user = Transaction().user
        to_write = []
        for inspection in inspections:
            values = {}
            if not inspection.done_date:
                values['done_date'] = today
            if not inspection.inspector:
                values['inspector'] = user
            if values:
                to_write.extend([[inspection], values])
        if to_write:
            cls.write(*to_write)
        # the proposal of the inspection first: the signals' proposals of
        # the same or a better level are then pending already
        Change.propose_downgrades([
                (i.get_classified(), i.proposed_classification, i.findings,
                    i)
                for i in inspections
                if i.proposed_classification and i.get_classified()])
        Signal.save([
                s for i in inspections for s in i.get_signals()])

    def get_project(self):
        "Return the project of the origin or None"
        Project = Pool().get('reguarantee.project')
        if isinstance(self.origin, Project):
            return self.origin

    def get_classified(self):
        """Return the guarantee of the origin whose classification the
        inspection may propose to change, or None: the hook of the modules
        that classify other guarantees"""
        return self.get_project()

    def get_signals(self):
        "Return the unsaved risk signals of the inspection's signal kinds"
        Signal = Pool().get('reguarantee.risk.signal')
        existing = {s.kind for s in self.signals}
        return [
            Signal(
                date=self.done_date, kind=kind, source='inspection',
                borrower=self.borrower, project=self.get_project(),
                origin=self, description=self.findings)
            for kind in (self.signal_kinds or [])
            if kind not in existing and self.borrower]

    @classmethod
    def plan(cls, projects):
        """Create the missing inspections of the projects' plans (those of
        the same kind and due date are kept), and return them

        The projects may be other guarantees of _get_origin that have a
        company, start_date, end_date and get_inspection_pattern."""
        pool = Pool()
        Rule = pool.get('reguarantee.inspection.plan.rule')
        rules = Rule.search([])
        existing = defaultdict(set)
        for sub_projects in _chunks(projects, 1000):
            for inspection in cls.search([
                        ('origin', 'in', [str(p) for p in sub_projects]),
                        ], order=[]):
                # keyed by record: the origins may be of several models
                existing[inspection.origin].add(
                    (inspection.kind, inspection.due_date))
        to_create = []
        for project in projects:
            rule = Rule.get_rule(project, rules)
            if not rule or not project.start_date or not project.end_date:
                continue
            for kind, due_date in rule.get_plan(
                    project.start_date, project.end_date):
                if (kind, due_date) in existing[project]:
                    continue
                to_create.append({
                        'company': project.company.id,
                        'origin': str(project),
                        'kind': kind,
                        'due_date': due_date,
                        })
        return cls.create(to_create)

    @classmethod
    def generate_plans(cls):
        "Plan the inspections of the projects in force (cron)"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        return cls.plan(Project.search([('state', '=', 'filed')]))

    @classmethod
    def check_due(cls):
        """Set overdue the planned inspections past their due date and
        notify their users of them and of those due soon, once (cron)"""
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        overdue = cls.search([
                ('state', '=', 'planned'),
                ('due_date', '<', today),
                ])
        if overdue:
            cls.set_overdue(overdue)
        due = cls.search([
                ('due_soon', '=', True),
                ('reminder_date', '=', None),
                ])
        cls._notify(due, 'msg_inspection_due_notification')
        cls._notify(overdue, 'msg_inspection_overdue_notification')
        if due:
            cls.write(due, {'reminder_date': today})

    @classmethod
    @Workflow.transition('overdue')
    def set_overdue(cls, inspections):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(inspections, {'overdue_date': Date.today()})

    def get_reminder_users(self):
        """Return the users to remind of the inspection: the inspector, the
        institution's users for its reports, else the business staff"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        if self.inspector:
            return {self.inspector}
        if self.kind == 'institution_report' and self.institution:
            return set(self.institution.users)
        return set(User.search([
                    ('groups', '=', ModelData.get_id(
                            'reguarantee_base', 'group_business')),
                    ]))

    @classmethod
    def _notify(cls, inspections, msg_id):
        "Send one notification per user listing the inspections"
        recipients = defaultdict(set)
        for inspection in inspections:
            for user in inspection.get_reminder_users():
                recipients[user].add(inspection)
        for user, user_inspections in recipients.items():
            user_inspections = sorted(
                user_inspections, key=lambda i: (i.due_date, i.id))
            with Transaction().set_context(language=user.language.code
                    if user.language else None):
                label = ngettext(
                    'reguarantee_monitoring.' + msg_id,
                    len(user_inspections), count=len(user_inspections))
            cls.notify_user(
                user_inspections, 'tryton-calendar', label,
                description=', '.join(
                    i.rec_name for i in user_inspections),
                user=user.id)


def _chunks(records, size):
    for i in range(0, len(records), size):
        yield records[i:i + size]


class PlanGenerateStart(ModelView):
    __name__ = 'reguarantee.inspection.plan.generate.start'

    projects = fields.Many2Many(
        'reguarantee.project', None, None, "Projects",
        domain=[('state', '=', 'filed')],
        help="The projects to plan; empty for every project in force.")


class PlanGenerate(Wizard):
    __name__ = 'reguarantee.inspection.plan.generate'

    start = StateView(
        'reguarantee.inspection.plan.generate.start',
        'reguarantee_monitoring.plan_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        if self.model and self.model.__name__ == Project.__name__:
            return {'projects': [
                    r.id for r in self.records if r.state == 'filed']}
        return {}

    def transition_generate(self):
        pool = Pool()
        Inspection = pool.get('reguarantee.inspection')
        Project = pool.get('reguarantee.project')
        projects = list(self.start.projects) or Project.search([
                ('state', '=', 'filed'),
                ])
        Inspection.plan([p for p in projects if p.state == 'filed'])
        return 'end'
