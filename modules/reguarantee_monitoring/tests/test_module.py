# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_monitoring.exceptions import (
    ClassificationError, InspectionError)
from trytond.modules.reguarantee_monitoring.inspection import spot_checked
from trytond.modules.reguarantee_review.exceptions import ReviewRequiredError
from trytond.modules.reguarantee_risk.tests.portfolio import (
    DATE, create_portfolio)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, check_access

# The plan rules of the tests (create_rules):
# - "P2": product P2: first inspection 15 days after the start, then every
#   12 months, the on-site visit 6 months before maturity, no spot check;
# - "Any": any product: 30 days, every 6 months, on-site 3 months before,
#   25 % of the reports spot-checked.
#
# The filed projects of the portfolio of reguarantee_risk (its tests'
# portfolio.py) end on 2028-07-01; a1, a2, a3, b1, b2, b3 (product P1)
# start on 2025-07-01, a7 (P1) on 2026-07-15, a4 (P2) on 2025-07-01.
#
# a1 (rule "Any"): first report 2025-07-01 + 30 days = 2025-07-31; then
# every 6 months from it while before the on-site visit, due on
# 2028-07-01 - 3 months = 2028-04-01: 2026-01-31, 2026-07-31, 2027-01-31,
# 2027-07-31, 2028-01-31 (2028-07-31 is past it): 6 reports; 25 %:
# ⌊n × 0.25⌋ grows at n = 4 only, the 4th report (2027-01-31) gets an
# off-site check; 6 + 1 + 1 on-site = 8 inspections.
A1_PLAN = [
    ('institution_report', dt.date(2025, 7, 31)),
    ('institution_report', dt.date(2026, 1, 31)),
    ('institution_report', dt.date(2026, 7, 31)),
    ('institution_report', dt.date(2027, 1, 31)),
    ('offsite', dt.date(2027, 1, 31)),
    ('institution_report', dt.date(2027, 7, 31)),
    ('institution_report', dt.date(2028, 1, 31)),
    ('onsite', dt.date(2028, 4, 1)),
    ]
# a7 (rule "Any"): 2026-07-15 + 30 days = 2026-08-14, then 2027-02-14,
# 2027-08-14, 2028-02-14 (before 2028-04-01): 4 reports, the 4th
# spot-checked; 4 + 1 + 1 = 6 inspections.
A7_PLAN = [
    ('institution_report', dt.date(2026, 8, 14)),
    ('institution_report', dt.date(2027, 2, 14)),
    ('institution_report', dt.date(2027, 8, 14)),
    ('institution_report', dt.date(2028, 2, 14)),
    ('offsite', dt.date(2028, 2, 14)),
    ('onsite', dt.date(2028, 4, 1)),
    ]
# a4 (rule "P2"): 2025-07-01 + 15 days = 2025-07-16, then every 12 months:
# 2026-07-16, 2027-07-16, before the on-site visit on 2028-07-01 - 6
# months = 2028-01-01: 3 reports + 1 on-site = 4 inspections.
A4_PLAN = [
    ('institution_report', dt.date(2025, 7, 16)),
    ('institution_report', dt.date(2026, 7, 16)),
    ('institution_report', dt.date(2027, 7, 16)),
    ('onsite', dt.date(2028, 1, 1)),
    ]
# The portfolio: 6 projects like a1, a7 and a4: 6 × 8 + 6 + 4 = 58.
PORTFOLIO_INSPECTIONS = 58


class SpotCheckTestCase(unittest.TestCase):
    "Test the even spread of the spot checks"

    def checked(self, share, count=12):
        return [n for n in range(1, count + 1) if spot_checked(n, share)]

    def test_spread(self):
        "Test the spot-checked reports of some shares"
        # ⌊n × s⌋ > ⌊(n − 1) × s⌋
        self.assertEqual(self.checked(Decimal('0.25')), [4, 8, 12])
        self.assertEqual(self.checked(Decimal('0.5')), [2, 4, 6, 8, 10, 12])
        # 0.3: ⌊1.2⌋ = 1 at 4, ⌊2.1⌋ = 2 at 7, ⌊3.0⌋ = 3 at 10
        self.assertEqual(self.checked(Decimal('0.3')), [4, 7, 10])
        self.assertEqual(self.checked(Decimal(1)), list(range(1, 13)))
        self.assertEqual(self.checked(Decimal(0)), [])
        self.assertEqual(self.checked(None), [])


class ReguaranteeMonitoringTestCase(
        WorkTestMixin, WorkflowGuardTestMixin, ZhCNTranslationTestMixin,
        CompanyTestMixin, ModuleTestCase):
    "Test Re-guarantee Monitoring module"
    module = 'reguarantee_monitoring'

    def create_rules(self, company, records):
        pool = Pool()
        Rule = pool.get('reguarantee.inspection.plan.rule')
        return Rule.create([{
                    'company': company.id, 'name': "P2", 'sequence': 10,
                    'product': records['P2'].id,
                    'first_days': 15, 'period_months': 12,
                    'onsite_months': 6, 'spot_check_rate': Decimal(0),
                    }, {
                    'company': company.id, 'name': "Any", 'sequence': 20,
                    'first_days': 30, 'period_months': 6,
                    'onsite_months': 3, 'spot_check_rate': Decimal('0.25'),
                    }])

    def plan_of(self, project):
        return [(i.kind, i.due_date) for i in sorted(
                project.inspections,
                key=lambda i: (i.due_date, i.kind != 'institution_report'))]

    def create_user(self, company, login, groups, institution=None):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [
                                ModelData.get_id(*g.split('.'))
                                for g in groups])],
                    }])
        if institution:
            institution.users += (user,)
            institution.save()
        return user

    @with_transaction()
    def test_signal_interface(self):
        "Test the published names of the risk signal other modules use"
        pool = Pool()
        Signal = pool.get('reguarantee.risk.signal')
        fields = Signal.fields_get([
                'date', 'kind', 'source', 'borrower', 'project', 'origin',
                'description'])
        self.assertEqual(
            {n: f['type'] for n, f in fields.items()}, {
                'date': 'date', 'kind': 'selection', 'source': 'selection',
                'borrower': 'many2one', 'project': 'many2one',
                'origin': 'reference', 'description': 'text'})
        self.assertEqual(
            [k for k, _ in fields['kind']['selection']], [
                'overdue_payment', 'lawsuit', 'enforcement',
                'abnormal_operation', 'controller_change',
                'collateral_loss', 'other'])
        self.assertEqual(
            [k for k, _ in fields['source']['selection']],
            ['inspection', 'credit_lookup', 'payment', 'manual'])
        self.assertTrue(fields['borrower']['required'])
        self.assertFalse(fields['project']['required'])
        self.assertEqual(
            fields['borrower']['relation'], 'reguarantee.borrower')
        self.assertEqual(fields['project']['relation'], 'reguarantee.project')
        self.assertEqual(Signal._get_origin(), ['reguarantee.inspection'])
        self.assertEqual(
            [m for m, _ in Signal.get_origin()],
            [None, 'reguarantee.inspection'])

    @with_transaction()
    def test_plan_portfolio(self):
        "Test the plans of a portfolio, worked out by hand, idempotent"
        pool = Pool()
        Inspection = pool.get('reguarantee.inspection')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.create_rules(company, records)

            inspections = Inspection.generate_plans()

            self.assertEqual(len(inspections), PORTFOLIO_INSPECTIONS)
            a1, a4, a7 = Project.browse([
                    records['project_a1'], records['project_a4'],
                    records['project_a7']])
            self.assertEqual(self.plan_of(a1), A1_PLAN)
            self.assertEqual(self.plan_of(a7), A7_PLAN)
            self.assertEqual(self.plan_of(a4), A4_PLAN)
            # the projects not in force have none
            for name in ['a5', 'a6', 'a8', 'b4', 'b5']:
                self.assertEqual(
                    Project(records['project_' + name].id).inspections, ())
            inspection = a1.inspections[0]
            self.assertEqual(inspection.institution, records['HF01'])
            self.assertEqual(inspection.borrower, records['b1'])
            self.assertEqual(inspection.state, 'planned')

            # again: nothing new
            self.assertEqual(Inspection.generate_plans(), [])
            # a deleted planned inspection is planned again
            Inspection.delete([a1.inspections[0]])
            again, = Inspection.generate_plans()
            self.assertEqual(
                (again.kind, again.due_date), A1_PLAN[0])

    @with_transaction()
    def test_plan_generate_wizard(self):
        "Test the wizard plans the projects chosen"
        pool = Pool()
        PlanGenerate = pool.get(
            'reguarantee.inspection.plan.generate', type='wizard')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.create_rules(company, records)
            a1 = Project(records['project_a1'].id)
            session_id, _, _ = PlanGenerate.create()
            with Transaction().set_context(
                    active_model='reguarantee.project', active_id=a1.id,
                    active_ids=[a1.id]):
                wizard = PlanGenerate(session_id)
                wizard.start.projects = [a1]
                wizard.transition_generate()
            self.assertEqual(self.plan_of(Project(a1.id)), A1_PLAN)
            self.assertEqual(
                Project(records['project_a2'].id).inspections, ())

    @with_transaction()
    def test_complete_signals_downgrades(self):
        "Test a completed inspection records signals and proposes downgrades"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Inspection = pool.get('reguarantee.inspection')
        Signal = pool.get('reguarantee.risk.signal')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            a1 = records['project_a1']
            inspection, = Inspection.create([{
                        'company': company.id,
                        'origin': str(a1),
                        'kind': 'onsite',
                        'due_date': dt.date(2026, 6, 30),
                        'signal_kinds': ['lawsuit', 'collateral_loss'],
                        'proposed_classification': 'special_mention',
                        }])

            with self.assertRaises(InspectionError):
                Inspection.complete([inspection])

            inspection.findings = "Sued by a supplier; warehouse flooded."
            inspection.save()
            Inspection.complete([inspection])

            self.assertEqual(inspection.state, 'done')
            self.assertEqual(inspection.done_date, dt.date.today())
            self.assertEqual(inspection.inspector.id, Transaction().user)
            signals = sorted(Signal.search([]), key=lambda s: s.kind)
            self.assertEqual(
                [(s.kind, s.source, s.borrower, s.project, s.origin)
                    for s in signals], [
                    ('collateral_loss', 'inspection', records['b1'], a1,
                        inspection),
                    ('lawsuit', 'inspection', records['b1'], a1,
                        inspection),
                    ])
            # the inspection proposes special mention; the lawsuit
            # (special mention) finds it pending, the collateral loss
            # (substandard) is worse: a second proposal
            changes = Change.search([], order=[('id', 'ASC')])
            self.assertEqual(
                [(c.from_level, c.to_level, c.origin, c.state)
                    for c in changes], [
                    ('normal', 'special_mention', inspection, 'proposed'),
                    ('normal', 'substandard', signals[0], 'proposed'),
                    ])
            self.assertEqual(changes[0].direction, 'downgrade')
            self.assertFalse(changes[0].review_required)

            # a signal of the credit look-ups (another module) on a
            # substandard proposal pending: nothing new
            Signal.create([{
                        'date': dt.date(2026, 7, 1),
                        'kind': 'enforcement', 'source': 'credit_lookup',
                        'borrower': records['b1'].id, 'project': a1.id,
                        }])
            self.assertEqual(Change.search([], count=True), 2)

    @with_transaction()
    def test_classification_history(self):
        "Test downgrades by risk and an upgrade by the review committee"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Item = pool.get('reguarantee.review.item')
        Meeting = pool.get('reguarantee.review.meeting')
        Project = pool.get('reguarantee.project')
        Rule = pool.get('reguarantee.review.rule')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            business = self.create_user(
                company, 'business', ['reguarantee_base.group_business'])
            risk = self.create_user(
                company, 'risk', ['reguarantee_base.group_risk'])
            a2 = Project(records['project_a2'].id)

            def propose(to_level, reason):
                with Transaction().set_user(business.id), check_access():
                    change, = Change.create([{
                                'project': a2.id, 'to_level': to_level,
                                'reason': reason,
                                }])
                return Change(change.id)

            # the from level is the project's, a client cannot give it
            with Transaction().set_user(business.id), check_access():
                with self.assertRaises(Change._modification_error) as cm:
                    Change.create([{
                                'project': a2.id, 'to_level': 'doubtful',
                                'reason': "Forged.", 'from_level': 'loss',
                                }])
                self.assertIn(
                    Change.__names__('from_level')['field'],
                    cm.exception.message)

            # normal → special mention, proposed by business
            first = propose('special_mention', "Late interest payments.")
            self.assertEqual(first.from_level, 'normal')
            self.assertEqual(first.proposed_by, business)
            with Transaction().set_user(business.id), check_access():
                with self.assertRaises(AccessButtonError):
                    Change.approve([Change(first.id)])
            with Transaction().set_user(risk.id), check_access():
                Change.approve([Change(first.id)])
            first = Change(first.id)
            self.assertEqual(
                (first.state, first.approved_by, first.approval_date),
                ('approved', risk, dt.date.today()))
            self.assertEqual(Project(a2.id).classification, 'special_mention')

            # special mention → substandard, then rejected loss
            second = propose('substandard', "Overdue 95 days.")
            with Transaction().set_user(risk.id), check_access():
                Change.approve([Change(second.id)])
            rejected = propose('loss', "Fraud suspected.")
            with Transaction().set_user(risk.id), check_access():
                Change.reject([Change(rejected.id)])
            self.assertEqual(Project(a2.id).classification, 'substandard')

            # substandard → special mention is an upgrade from substandard:
            # the committee first
            upgrade = propose('special_mention', "Arrears paid.")
            self.assertEqual(upgrade.direction, 'upgrade')
            self.assertTrue(upgrade.review_required)
            with Transaction().set_user(risk.id), check_access():
                with self.assertRaises(ReviewRequiredError):
                    Change.approve([Change(upgrade.id)])
            meeting, = Meeting.create([{
                        'company': company.id, 'name': "Meeting",
                        'date': dt.date.today(), 'chair': risk.id,
                        'rule': Rule.search([], limit=1)[0].id,
                        }])
            item, = Item.create([{
                        'meeting': meeting.id, 'origin': str(upgrade),
                        }])
            self.assertEqual(item.project, a2)
            self.assertEqual(Change(upgrade.id).review_decision, 'pending')
            Item.write([item], {'decision': 'approved'})
            with Transaction().set_user(risk.id), check_access():
                Change.approve([Change(upgrade.id)])
            self.assertEqual(Project(a2.id).classification, 'special_mention')

            # the history of the project, newest first
            self.assertEqual(
                [(c.from_level, c.to_level, c.state)
                    for c in Project(a2.id).classification_changes], [
                    ('substandard', 'special_mention', 'approved'),
                    ('substandard', 'loss', 'rejected'),
                    ('special_mention', 'substandard', 'approved'),
                    ('normal', 'special_mention', 'approved'),
                    ])

            # a change proposed before another was approved is stale
            stale = propose('doubtful', "Stale.")
            newer = propose('substandard', "Newer.")
            with Transaction().set_user(risk.id), check_access():
                Change.approve([Change(newer.id)])
                with self.assertRaises(ClassificationError):
                    Change.approve([Change(stale.id)])

            # a change to the same level is refused
            with self.assertRaises(ClassificationError):
                propose('substandard', "Again.")

    @with_transaction()
    def test_snapshot_classification(self):
        "Test the snapshot's balances per level and ratios, by hand"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Inspection = pool.get('reguarantee.inspection')
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            # In force on 2026-06-30 (guarantee / re-guaranteed):
            # HF01 a1 3,000,000 / 900,000, a2 5,000,000 / 1,500,000,
            # a3 800,000 / 240,000, a4 2,000,000 / 1,000,000;
            # WH01 b1 3,000,000 / 900,000, b2 1,500,000 / 450,000,
            # b3 1,000,000 / 300,000 (a7 starts in July).
            Change.create([{
                        'company': company.id,
                        'project': records['project_' + name].id,
                        'date': date, 'approval_date': date,
                        'to_level': level, 'reason': "Test",
                        'state': state,
                        } for name, level, date, state in [
                        ('a2', 'special_mention', dt.date(2026, 2, 1),
                            'approved'),
                        ('a2', 'substandard', dt.date(2026, 5, 1),
                            'approved'),
                        ('a3', 'doubtful', dt.date(2026, 6, 30),
                            'approved'),
                        # approved after the date: normal on the date
                        ('a4', 'substandard', dt.date(2026, 7, 10),
                            'approved'),
                        ('a1', 'loss', dt.date(2026, 3, 1), 'rejected'),
                        ('b1', 'special_mention', dt.date(2026, 4, 1),
                            'approved'),
                        ('b3', 'loss', dt.date(2026, 6, 1), 'approved'),
                        ]])
            # The inspections due in 2026 up to 2026-06-30: the reports of
            # 2026-01-31 of a1, a2, a3, b1, b2, b3; done by the date: a1's,
            # b1's, b2's (a2's was done after it)
            self.create_rules(company, records)
            Inspection.generate_plans()
            due = {
                i.origin.loan_contract_number: i
                for i in Inspection.search([
                        ('due_date', '=', dt.date(2026, 1, 31)),
                        ('kind', '=', 'institution_report'),
                        ])}
            self.assertEqual(len(due), 6)
            for name, done_date in [
                    ('a1', dt.date(2026, 2, 10)),
                    ('a2', dt.date(2026, 7, 5)),
                    ('b1', dt.date(2026, 2, 20)),
                    ('b2', dt.date(2026, 2, 20))]:
                Inspection.write([due[name]], {
                        'state': 'done', 'done_date': done_date,
                        'findings': "OK"})

            snapshots = {
                s.institution.code if s.institution else None: s
                for s in Snapshot.compute(DATE, [company])}

            hf01 = snapshots['HF01']
            # normal a1 + a4, substandard a2, doubtful a3
            self.assertEqual(
                [hf01.balance_normal, hf01.balance_special_mention,
                    hf01.balance_substandard, hf01.balance_doubtful,
                    hf01.balance_loss],
                [Decimal('5000000.00'), Decimal(0), Decimal('5000000.00'),
                    Decimal('800000.00'), Decimal(0)])
            self.assertEqual(hf01.guarantee_balance, Decimal('10800000.00'))
            # (5,000,000 + 800,000) ÷ 10,800,000 = 0.537037…
            self.assertEqual(hf01.npl_ratio, Decimal('0.537037'))
            # 1 done of 3 due
            self.assertEqual(hf01.inspection_completion, Decimal('0.333333'))

            wh01 = snapshots['WH01']
            # normal b2, special mention b1, loss b3
            self.assertEqual(
                [wh01.balance_normal, wh01.balance_special_mention,
                    wh01.balance_substandard, wh01.balance_doubtful,
                    wh01.balance_loss],
                [Decimal('1500000.00'), Decimal('3000000.00'), Decimal(0),
                    Decimal(0), Decimal('1000000.00')])
            # 1,000,000 ÷ 5,500,000 = 0.181818…
            self.assertEqual(wh01.npl_ratio, Decimal('0.181818'))
            # 2 done of 3 due: 0.666666… rounded
            self.assertEqual(wh01.inspection_completion, Decimal('0.666667'))

            company_snapshot = snapshots[None]
            # re-guaranteed amounts: normal a1 900,000 + a4 1,000,000 + b2
            # 450,000; special mention b1 900,000; substandard a2
            # 1,500,000; doubtful a3 240,000; loss b3 300,000
            self.assertEqual(
                [company_snapshot.balance_normal,
                    company_snapshot.balance_special_mention,
                    company_snapshot.balance_substandard,
                    company_snapshot.balance_doubtful,
                    company_snapshot.balance_loss],
                [Decimal('2350000.00'), Decimal('900000.00'),
                    Decimal('1500000.00'), Decimal('240000.00'),
                    Decimal('300000.00')])
            self.assertEqual(
                company_snapshot.reguarantee_balance, Decimal('5290000.00'))
            # (1,500,000 + 240,000 + 300,000) ÷ 5,290,000 = 0.385633…
            self.assertEqual(
                company_snapshot.npl_ratio, Decimal('0.385633'))
            # 3 done of 6 due
            self.assertEqual(
                company_snapshot.inspection_completion, Decimal('0.5'))

    @with_transaction()
    def test_check_due(self):
        "Test the cron sets overdue and reminds, once"
        pool = Pool()
        Date = pool.get('ir.date')
        Inspection = pool.get('reguarantee.inspection')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            hf01 = records['HF01']
            operator = self.create_user(
                company, 'operator',
                ['reguarantee_base.group_institution_operator'], hf01)
            business = self.create_user(
                company, 'business', ['reguarantee_base.group_business'])
            today = Date.today()
            late, soon, later = Inspection.create([{
                        'company': company.id,
                        'origin': str(records['project_a1']),
                        'kind': kind,
                        'due_date': today + dt.timedelta(days=days),
                        } for kind, days in [
                        ('institution_report', -1),
                        ('offsite', 3),
                        ('offsite', 30)]])

            Inspection.check_due()

            self.assertEqual(
                [i.state for i in [late, soon, later]],
                ['overdue', 'planned', 'planned'])
            self.assertEqual(late.overdue_date, today)
            self.assertEqual(soon.reminder_date, today)
            self.assertIsNone(later.reminder_date)
            self.assertTrue(soon.due_soon)
            # the report to the institution's operator, the off-site
            # inspection without inspector to the business staff
            notified = sorted(
                (n.user.id, n.records)
                for n in Transaction().user_notifications)
            self.assertEqual(notified, sorted([
                        (operator.id, '[%s]' % late.id),
                        (business.id, '[%s]' % soon.id),
                        ]))

            Inspection.check_due()
            self.assertEqual(len(Transaction().user_notifications), 2)

            # the operator's start page: his overdue report
            with Transaction().set_user(operator.id), check_access():
                self.assertEqual(
                    Inspection.search([
                            ('state', '=', 'overdue'),
                            ('to_do', '=', True)]), [late])

    @with_transaction()
    def test_operator_rules(self):
        "Test an operator reads and completes his institution's reports only"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Inspection = pool.get('reguarantee.inspection')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            operator = self.create_user(
                company, 'operator',
                ['reguarantee_base.group_institution_operator'],
                records['HF01'])
            report, onsite, other = Inspection.create([{
                        'company': company.id,
                        'origin': str(records['project_' + name]),
                        'kind': kind,
                        'due_date': dt.date(2026, 1, 31),
                        } for name, kind in [
                        ('a1', 'institution_report'),
                        ('a1', 'onsite'),
                        ('b1', 'institution_report')]])
            with Transaction().set_user(operator.id), check_access():
                self.assertEqual(Inspection.search([]), [report])
                with self.assertRaises(AccessError):
                    Inspection.read([other.id], ['findings'])
                Inspection.write([Inspection(report.id)], {
                        'findings': "Operating normally."})
                Inspection.complete([Inspection(report.id)])
                with self.assertRaises(UserError):
                    Inspection.write([Inspection(report.id)], {
                            'findings': "Changed afterwards."})
            self.assertEqual(Inspection(report.id).state, 'done')
            self.assertEqual(Inspection(report.id).inspector, operator)

            # the classification history of his projects, without the
            # committee's decisions
            change, _ = Change.create([{
                        'project': records['project_' + name].id,
                        'to_level': 'special_mention', 'reason': "Test",
                        } for name in ['a1', 'b1']])
            with Transaction().set_user(operator.id), check_access():
                self.assertEqual(Change.search([]), [change])
                Change.read([change.id], ['from_level', 'to_level'])
                with self.assertRaises(AccessError):
                    Change.read([change.id], ['review_decision'])


del ModuleTestCase
