# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal as D
from unittest.mock import patch

from trytond.exceptions import UserWarning
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base import project_import_file
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_risk.exceptions import TierError
from trytond.modules.reguarantee_risk.tests.portfolio import (
    DATE, create_portfolio)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class ReguaranteeRiskTestCase(
        WorkTestMixin, WorkflowGuardTestMixin,
        ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Risk module"
    module = 'reguarantee_risk'

    def assertValues(self, record, expected):
        "Assert the values of the fields of the record"
        self.assertEqual(
            {name: getattr(record, name) for name in expected}, expected)

    def compute(self, date=DATE):
        "Return the company, HF01 and WH01 snapshots of the date"
        pool = Pool()
        Snapshot = pool.get('reguarantee.risk.snapshot')
        snapshots = Snapshot.compute(date)
        by_subject = {
            s.institution.code if s.institution else None: s
            for s in snapshots}
        self.assertEqual(len(by_subject), len(snapshots))
        return by_subject[None], by_subject['HF01'], by_subject['WH01']

    @staticmethod
    def shares(snapshot, kind):
        return {
            s.code: (s.amount, s.rate) for s in snapshot.shares
            if s.kind == kind}

    @with_transaction()
    def test_snapshot_institution(self):
        "Test the indicators of an institution worked out by hand"
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            _, hf01, _ = self.compute()

            # In force on 2026-06-30: a1, a2, a3, a4 (a5 released, a6
            # compensated, a7 not started, a8 not filed)
            self.assertValues(hf01, {
                    'project_count': 4,
                    # 3,000,000 + 5,000,000 + 800,000 + 2,000,000
                    'guarantee_balance': D('10800000.00'),
                    # 900,000 + 1,500,000 + 240,000 + 1,000,000
                    'reguarantee_balance': D('3640000.00'),
                    # 3,000,000 × 75 % + 5,000,000 × 100 % + 800,000 × 75 %
                    # + 2,000,000 × 30 % = 2,250,000 + 5,000,000 + 600,000
                    # + 600,000
                    'weighted_balance': D('8450000.00'),
                    'net_assets': D('50000000.00'),
                    # 8,450,000 ÷ 50,000,000
                    'leverage': D('0.1690'),
                    # small/micro and agriculture
                    'leverage_limit': D(15),
                    # b2: 5,000,000 ÷ 50,000,000
                    'top1_amount': D('5000000.00'),
                    'top1_rate': D('0.100000'),
                    # the 4 borrowers: 10,800,000 ÷ 50,000,000
                    'top10_amount': D('10800000.00'),
                    'top10_rate': D('0.216000'),
                    # G1 = b1 3,000,000 + b2 5,000,000 = 8,000,000
                    # ÷ 50,000,000
                    'related_amount': D('8000000.00'),
                    'related_rate': D('0.160000'),
                    'period_start': dt.date(2026, 1, 1),
                    # a6 claim paid 2026-02-15
                    'period_compensation': D('300000.00'),
                    'compensation_amount': D('300000.00'),
                    # a5 released 300,000 + a6 compensated 600,000
                    'period_released': D('900000.00'),
                    'released_amount': D('900000.00'),
                    # 300,000 ÷ 900,000
                    'period_compensation_rate': D('0.333333'),
                    'compensation_rate': D('0.333333'),
                    # 200,000 × 30 %
                    'recovered_amount': D('60000.00'),
                    # 60,000 ÷ 300,000
                    'recovery_rate': D('0.200000'),
                    # 300,000 - 60,000
                    'npa_balance': D('240000.00'),
                    'loss_amount': D('0.00'),
                    'quota_amount': D('4000000.00'),
                    # 3,640,000 ÷ 4,000,000
                    'quota_rate': D('0.910000'),
                    # the related group 16 % is above 15 %
                    'status': 'breach',
                    })
            self.assertEqual(self.shares(hf01, 'industry'), {
                    # a1 3,000,000 + a2 5,000,000 ÷ 10,800,000
                    'C': (D('8000000.00'), D('0.740741')),
                    # a3 800,000 ÷ 10,800,000
                    'A': (D('800000.00'), D('0.074074')),
                    # a4 2,000,000 ÷ 10,800,000
                    'K': (D('2000000.00'), D('0.185185')),
                    })
            self.assertEqual(self.shares(hf01, 'region'), {
                    # a1 3,000,000 + a2 5,000,000 + a4 2,000,000
                    '340100': (D('10000000.00'), D('0.925926')),
                    # a3 800,000
                    '341500': (D('800000.00'), D('0.074074')),
                    })

    @with_transaction()
    def test_snapshot_other_institution(self):
        "Test the indicators of an institution with last year's losses"
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            _, _, wh01 = self.compute()

            # In force: b1, b2, b3 (b4 released, b5 compensated in 2025)
            self.assertValues(wh01, {
                    'project_count': 3,
                    # 3,000,000 + 1,500,000 + 1,000,000
                    'guarantee_balance': D('5500000.00'),
                    # 900,000 + 450,000 + 300,000
                    'reguarantee_balance': D('1650000.00'),
                    # 3,000,000 × 75 % + 1,500,000 × 75 % + 1,000,000 × 100 %
                    # (a person) = 2,250,000 + 1,125,000 + 1,000,000
                    'weighted_balance': D('4375000.00'),
                    # 4,375,000 ÷ 50,000,000
                    'leverage': D('0.0875'),
                    'leverage_limit': D(10),
                    # b5: 3,000,000 ÷ 50,000,000
                    'top1_amount': D('3000000.00'),
                    'top1_rate': D('0.060000'),
                    # 5,500,000 ÷ 50,000,000
                    'top10_rate': D('0.110000'),
                    # G1 is only b1 here (1,500,000): the largest borrower
                    # alone is larger
                    'related_amount': D('3000000.00'),
                    'related_rate': D('0.060000'),
                    # b5 paid on 2025-12-20, before the period
                    'period_compensation': D('0.00'),
                    'period_released': D('0.00'),
                    'period_compensation_rate': None,
                    'compensation_amount': D('150000.00'),
                    # b4 released 600,000 + b5 compensated 300,000
                    'released_amount': D('900000.00'),
                    # 150,000 ÷ 900,000
                    'compensation_rate': D('0.166667'),
                    # settlement proceeds 50,000 ÷ 150,000
                    'recovered_amount': D('50000.00'),
                    'recovery_rate': D('0.333333'),
                    # 150,000 - 0 recovered - 150,000 disposed of
                    'npa_balance': D('0.00'),
                    'loss_amount': D('100000.00'),
                    'quota_amount': None,
                    'quota_rate': None,
                    'status': 'normal',
                    })
            self.assertEqual(self.shares(wh01, 'industry'), {
                    # 3,000,000 ÷ 5,500,000
                    'F': (D('3000000.00'), D('0.545455')),
                    # 1,500,000 ÷ 5,500,000
                    'C': (D('1500000.00'), D('0.272727')),
                    # 1,000,000 ÷ 5,500,000
                    'K': (D('1000000.00'), D('0.181818')),
                    })

    @with_transaction()
    def test_snapshot_company(self):
        "Test the company-wide indicators, on the re-guaranteed amounts"
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            total, _, _ = self.compute()

            self.assertIsNone(total.institution)
            self.assertValues(total, {
                    'project_count': 7,
                    # 10,800,000 + 5,500,000
                    'guarantee_balance': D('16300000.00'),
                    # 3,640,000 + 1,650,000
                    'reguarantee_balance': D('5290000.00'),
                    # HF01: 900,000 × 75 % + 1,500,000 + 240,000 × 75 %
                    # + 1,000,000 × 30 % = 2,655,000; WH01: 900,000 × 75 %
                    # + 450,000 × 75 % + 300,000 = 1,312,500
                    'weighted_balance': D('3967500.00'),
                    'net_assets': D('20000000.00'),
                    # 3,967,500 ÷ 20,000,000 = 0.198375
                    'leverage': D('0.1984'),
                    'leverage_limit': D(10),
                    # b2: a2 1,500,000 (b1: 900,000 + 450,000 = 1,350,000;
                    # b4: 1,000,000 + 300,000 = 1,300,000) ÷ 20,000,000
                    'top1_amount': D('1500000.00'),
                    'top1_rate': D('0.075000'),
                    # all 5 borrowers: 5,290,000 ÷ 20,000,000
                    'top10_amount': D('5290000.00'),
                    'top10_rate': D('0.264500'),
                    # G1 = b1 1,350,000 + b2 1,500,000 = 2,850,000
                    # ÷ 20,000,000
                    'related_amount': D('2850000.00'),
                    'related_rate': D('0.142500'),
                    'period_compensation': D('300000.00'),
                    'period_released': D('900000.00'),
                    'period_compensation_rate': D('0.333333'),
                    # 300,000 + 150,000
                    'compensation_amount': D('450000.00'),
                    # 900,000 + 900,000
                    'released_amount': D('1800000.00'),
                    # 450,000 ÷ 1,800,000
                    'compensation_rate': D('0.250000'),
                    # 60,000 + 50,000 ÷ 450,000
                    'recovered_amount': D('110000.00'),
                    'recovery_rate': D('0.244444'),
                    # 240,000 + 0
                    'npa_balance': D('240000.00'),
                    'loss_amount': D('100000.00'),
                    'quota_rate': None,
                    # the related group 14.25 % is 80 % of 15 % or more
                    'status': 'warning',
                    })
            self.assertEqual(self.shares(total, 'industry'), {
                    # a1 900,000 + a2 1,500,000 + b2 450,000 ÷ 5,290,000
                    'C': (D('2850000.00'), D('0.538752')),
                    # a3 240,000 ÷ 5,290,000
                    'A': (D('240000.00'), D('0.045369')),
                    # a4 1,000,000 + b3 300,000 ÷ 5,290,000
                    'K': (D('1300000.00'), D('0.245747')),
                    # b1 900,000 ÷ 5,290,000
                    'F': (D('900000.00'), D('0.170132')),
                    })
            self.assertEqual(self.shares(total, 'region'), {
                    # a1 900,000 + a2 1,500,000 + a4 1,000,000 + b2 450,000
                    # + b3 300,000 ÷ 5,290,000
                    '340100': (D('4150000.00'), D('0.784499')),
                    '341500': (D('240000.00'), D('0.045369')),
                    '340200': (D('900000.00'), D('0.170132')),
                    })

    @with_transaction()
    def test_snapshot_weight_borrower_balance(self):
        """Test the liability weights follow the borrower's guarantee balance
        in force, with the institution and with all of them"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            # related groups left empty in the form are no group
            b6, = Borrower.create([{
                        'name': 'b6', 'kind': 'enterprise',
                        'id_number': make_uscc(106), 'industry': 'C1311',
                        'region': '340102', 'related_group': '',
                        }])
            Borrower.write([records['b3']], {'related_group': ''})
            records['b6'] = b6
            # HF01: c1 and c2 for b6, c3 for b5 (in force at WH01 too), c4
            # for the farmer b3 (a3)
            Project.create([{
                        'company': company.id,
                        'institution': records['HF01'].id,
                        'product': records['P1'].id,
                        'borrower': records[borrower].id,
                        'bank': records['project_a1'].bank.id,
                        'loan_contract_number': name,
                        'loan_amount': D(amount),
                        'guarantee_amount': D(amount),
                        'reguaranteed_amount': D(amount) * D('0.3'),
                        'start_date': dt.date(2025, 7, 1),
                        'end_date': dt.date(2028, 7, 1),
                        'state': 'filed',
                        } for name, borrower, amount in [
                        ('c1', 'b6', 3_000_000),
                        ('c2', 'b6', 3_000_000),
                        ('c3', 'b5', 2_500_000),
                        ('c4', 'b3', 1_500_000),
                        ]])
            total, hf01, wh01 = self.compute()

            self.assertValues(hf01, {
                    # a1 (b1: 3,000,000 < 5 M) 3,000,000 × 75 %
                    # + a2 (b2: 5,000,000) 5,000,000
                    # + a3 and c4 (farmer b3: 800,000 + 1,500,000 ≥ 2 M)
                    # 2,300,000 + a4 (housing) 2,000,000 × 30 %
                    # + c1 and c2 (b6: 3,000,000 + 3,000,000 ≥ 5 M)
                    # 6,000,000 + c3 (b5: 2,500,000 here) 2,500,000 × 75 %
                    # = 2,250,000 + 5,000,000 + 2,300,000 + 600,000
                    # + 6,000,000 + 1,875,000
                    'weighted_balance': D('18025000.00'),
                    # b6 6,000,000
                    'top1_amount': D('6000000.00'),
                    # G1 = b1 3,000,000 + b2 5,000,000; b3 and b6 are in no
                    # group (together 8,300,000)
                    'related_amount': D('8000000.00'),
                    })
            # b5 has 3,000,000 here only: 75 %, as before
            self.assertEqual(wh01.weighted_balance, D('4375000.00'))
            # On the re-guaranteed amounts, with the balances with HF01 and
            # WH01: b1 (a1 3,000,000 + b2 1,500,000 < 5 M) a1 900,000
            # × 75 % + b2 450,000 × 75 %; b2 (5,000,000) a2 1,500,000;
            # b3 (2,300,000 ≥ 2 M) a3 240,000 + c4 450,000; b4 a4 (housing)
            # 1,000,000 × 30 % + b3 (a person) 300,000; b5 (WH01 3,000,000
            # + c3 2,500,000 ≥ 5 M) b1 900,000 + c3 750,000; b6 c1 900,000
            # + c2 900,000 = 675,000 + 337,500 + 1,500,000 + 690,000
            # + 300,000 + 300,000 + 1,650,000 + 1,800,000
            self.assertEqual(total.weighted_balance, D('7252500.00'))

    @with_transaction()
    def test_snapshot_history(self):
        """Test the snapshots of a date are replaced and the latest of each
        subject and month flagged"""
        pool = Pool()
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            self.compute()
            self.compute()
            earlier, _, _ = self.compute(dt.date(2026, 6, 15))
            may, _, _ = self.compute(dt.date(2026, 5, 31))

            self.assertEqual(Snapshot.search([], count=True), 3 * 3)
            latest = Snapshot.search([('latest', '=', True)])
            self.assertEqual({s.date for s in latest}, {DATE})
            self.assertEqual(len(latest), 3)
            month_end = Snapshot.search([
                    ('month_end', '=', True), ('institution', '=', None)])
            self.assertEqual(
                [s.date for s in month_end], [DATE, dt.date(2026, 5, 31)])
            # a6 compensated on 2026-02-15, a5 released on 2026-03-31: both
            # in force again on 2026-02-14 (a8 never)
            february, hf01, _ = self.compute(dt.date(2026, 2, 14))
            self.assertEqual(hf01.project_count, 6)
            # 10,800,000 + a5 1,000,000 + a6 2,000,000
            self.assertEqual(hf01.guarantee_balance, D('13800000.00'))
            # nothing paid yet in 2026; b5 paid in 2025: 150,000 ÷ (b4
            # 600,000 + b5 300,000)
            self.assertEqual(february.period_compensation_rate, None)
            self.assertEqual(february.compensation_rate, D('0.166667'))

    @with_transaction()
    def test_snapshot_compute_wizard(self):
        "Test the wizard computes the snapshots of any date"
        pool = Pool()
        Compute = pool.get('reguarantee.risk.snapshot.compute', type='wizard')
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            session_id, _, _ = Compute.create()
            compute = Compute(session_id)
            compute.start.date = DATE
            self.assertEqual(compute.transition_compute(), 'done')

            self.assertEqual(
                Snapshot.search([('date', '=', DATE)], count=True), 3)
            summary = compute.default_done(['summary'])['summary']
            self.assertTrue(summary.startswith(
                    "3 risk snapshots were computed on 06/30/2026: "
                    "the company's and those of 2 institutions"), summary)
            self.assertIn("Company-wide: ", summary)
            action, _ = compute.do_open_(
                {'name': "Risk Snapshots", 'pyson_domain': '[]'})
            self.assertIn('2026-06-30', action['name'])

    def create_risk_user(self):
        "Create a user of the Re-guarantee Risk group"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{
                    'login': 'risk', 'name': "Risk",
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_risk')])],
                    }])
        return user

    def create_contract(self, records, quota_amount=None):
        "Sign a contract of HF01 with P1 and P2"
        pool = Pool()
        Contract = pool.get('reguarantee.contract')
        contract, = Contract.create([{
                    'company': records['HF01'].company.id,
                    'number': 'RC-HF01',
                    'institution': records['HF01'].id,
                    'products': [('add', [
                                records['P1'].id, records['P2'].id])],
                    'quota_amount': quota_amount,
                    'start_date': dt.date(2025, 1, 1),
                    'end_date': dt.date(2028, 12, 31),
                    'state': 'signed',
                    }])
        return contract

    def new_project(self, records, number, amount=D(2_000_000)):
        "Return an unsaved draft project of HF01 for b1"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project(
            company=records['HF01'].company,
            institution=records['HF01'],
            contract=None,
            product=None,
            reguaranteed_amount=None,
            borrower=records['b1'],
            industry='C1311',
            region='340102',
            bank=records['project_a1'].bank,
            loan_contract_number=number,
            loan_amount=amount,
            guarantee_amount=amount,
            start_date=dt.date(2026, 7, 1),
            end_date=dt.date(2027, 7, 1),
            state='draft')
        project.rec_name = number
        return project

    @with_transaction()
    def test_tier_assignment(self):
        """Test the tiers of the compensation rates, the fee adjustments
        and the circuit breaker"""
        pool = Pool()
        Assignment = pool.get('reguarantee.risk.tier.assignment')
        Project = pool.get('reguarantee.project')
        Tier = pool.get('reguarantee.risk.tier')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = None
            records['HF01'].save()
            self.create_contract(records)
            risk = self.create_risk_user()
            watch, stop, high = Tier.create([{
                        'name': name, 'scope': scope, 'action': action,
                        'min_rate': min_rate, 'max_rate': max_rate,
                        'fee_rate_adjustment': adjustment,
                        } for name, scope, action, min_rate, max_rate,
                    adjustment in [
                        ('Watch', 'institution', 'warning', D('0.2'),
                            D('0.3'), D('0.002')),
                        ('Stop', 'institution', 'breaker', D('0.3'), None,
                            D('0.005')),
                        ('High', 'product', 'adjust', D('0.25'), None,
                            D('0.001')),
                        ]])
            assignments = Assignment.update(DATE)

            # HF01 300,000 ÷ 900,000 = 33.33 % ≥ 30 %: Stop; WH01 16.67 %:
            # none; P1 (300,000 + 150,000) ÷ (300,000 + 600,000 + 600,000
            # + 300,000) = 25 % ≥ 25 %: High; P2 no compensation: none
            self.assertEqual(
                {(a.tier.name, a.subject.rec_name, a.compensation_rate)
                    for a in assignments}, {
                    ('Stop', '[HF01] HF01', D('0.333333')),
                    ('High', '[P1] P1', D('0.250000')),
                    })
            notified = [n.user for n in Transaction().user_notifications]
            self.assertEqual(notified, [risk])
            # an earlier date (the cron of another timezone) changes nothing
            self.assertEqual(
                Assignment.update(DATE - dt.timedelta(days=1)), [])
            self.assertEqual(
                {(a.state, a.end_date) for a in assignments},
                {('active', None)})

            projects = [records[n] for n in [
                    'project_a1', 'project_a4', 'project_b1', 'project_b4']]
            self.assertEqual(
                Assignment.get_fee_adjustments(projects, DATE), {
                    # HF01 Stop 0.5 % + P1 High 0.1 %
                    records['project_a1'].id: D('0.006'),
                    # HF01 Stop, P2 none
                    records['project_a4'].id: D('0.005'),
                    # WH01 none, P1 High
                    records['project_b1'].id: D('0.001'),
                    records['project_b4'].id: D('0.001'),
                    })
            self.assertEqual(
                set(Assignment.get_fee_adjustments(
                        projects, DATE - dt.timedelta(days=1)).values()),
                {D(0)})
            # the fee calculation's rates: P1 0.5 % and P2 0.5 % adjusted
            self.assertEqual(Project.get_fee_rates(projects, DATE), {
                    records['project_a1'].id: D('0.011'),
                    records['project_a4'].id: D('0.010'),
                    records['project_b1'].id: D('0.006'),
                    records['project_b4'].id: D('0.006'),
                    })

            project = self.new_project(records, 'NEW-1')
            errors, = Project.get_submission_errors([project])
            self.assertEqual(len(errors), 1)
            self.assertIn('"[HF01] HF01"', errors[0])
            self.assertIn('"Stop"', errors[0])
            self.assertIn('33.33 %', errors[0])
            self.assertEqual(errors[0].field, 'institution')

            # a1 is released on 2026-07-10: HF01 300,000 ÷ (900,000
            # + 900,000) = 16.67 %, P1 450,000 ÷ (1,800,000 + 900,000)
            # = 16.67 %: High ends, the active breaker stays
            released = records['project_a1']
            released.state = 'released'
            released.release_date = dt.date(2026, 7, 10)
            released.save()
            self.assertEqual(Assignment.update(dt.date(2026, 7, 10)), [])
            stop_assignment, high_assignment = sorted(
                assignments, key=lambda a: a.tier != stop)
            self.assertEqual(
                (high_assignment.state, high_assignment.end_date),
                ('ended', dt.date(2026, 7, 10)))
            self.assertEqual(stop_assignment.state, 'active')
            self.assertEqual(
                len(Project.get_submission_errors([project])[0]), 1)
            self.assertEqual(
                Assignment.get_fee_adjustments(
                    [records['project_a4'], records['project_b1']],
                    dt.date(2026, 7, 10)), {
                    records['project_a4'].id: D('0.005'),
                    records['project_b1'].id: D(0),
                    })

            Assignment.lift([stop_assignment])
            self.assertEqual(stop_assignment.state, 'lifted')
            self.assertEqual(Project.get_submission_errors([project]), [[]])

            # once lifted, the tier ends when the rate leaves its band
            self.assertEqual(Assignment.update(dt.date(2026, 7, 11)), [])
            self.assertEqual(
                (stop_assignment.state, stop_assignment.end_date),
                ('ended', dt.date(2026, 7, 11)))
            self.assertEqual(
                Assignment.get_fee_adjustments(
                    [records['project_a4']], dt.date(2026, 7, 11)),
                {records['project_a4'].id: D(0)})

            with self.assertRaises(TierError):
                Tier.create([{
                            'name': "Overlap", 'scope': 'institution',
                            'min_rate': D('0.25'), 'max_rate': D('0.35'),
                            'fee_rate_adjustment': D(0),
                            }])

    @with_transaction()
    def test_quota(self):
        "Test the quotas refuse the projects above them, in order"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Project = pool.get('reguarantee.project')
        Quota = pool.get('reguarantee.risk.quota')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = D(5_000_000)
            records['HF01'].save()
            contract = self.create_contract(records, D(1_000_000))
            lang = Lang.get()

            def money(amount):
                return lang.currency(D(amount), company.currency)

            # HF01 live: a1 900,000 + a2 1,500,000 + a3 240,000
            # + a4 1,000,000 + a7 300,000 + a8 300,000 = 4,240,000
            quotas = {q.rec_name: q for q in Quota.search([])}
            self.assertEqual(
                {n: (q.used_amount, q.rate, q.status)
                    for n, q in quotas.items()}, {
                    'Institution [HF01] HF01': (
                        # 4,240,000 ÷ 5,000,000
                        D('4240000.00'), D('0.848000'), 'warning'),
                    'Contract RC-HF01': (D('0.00'), D(0), 'normal'),
                    })
            # the start page searches the quotas by status in SQL
            self.assertEqual(
                Quota.search([('status', 'in', ['warning', 'alert'])]),
                [quotas['Institution [HF01] HF01']])
            self.assertEqual(
                Quota.search([('status', '=', 'normal')]),
                [quotas['Contract RC-HF01']])

            # 2,000,000 × 30 % = 600,000 each: the first fits (4,840,000
            # and 600,000), the second would not
            first, second = (
                self.new_project(records, n) for n in ['NEW-1', 'NEW-2'])
            pending = {}
            errors = Project.get_submission_errors(
                [first, second], pending=pending)
            self.assertEqual(errors[0], [])
            self.assertEqual(len(errors[1]), 2)
            institution_error, contract_error = sorted(
                errors[1], key=lambda e: 'Contract' in e)
            self.assertIn('Institution "[HF01] HF01"', institution_error)
            self.assertIn(
                '%s used + %s re-guaranteed = %s, above the quota of %s' % (
                    money(4_840_000), money(600_000), money(5_440_000),
                    money(5_000_000)),
                institution_error)
            self.assertIn('Contract "RC-HF01"', contract_error)
            self.assertIn(
                '%s used + %s re-guaranteed = %s, above the quota of %s' % (
                    money(600_000), money(600_000), money(1_200_000),
                    money(1_000_000)),
                contract_error)
            self.assertEqual(contract_error.field, 'guarantee_amount')

            # The first project, validated and not yet saved, still counts
            # in a later call of the same batch (pending), not in another
            third = self.new_project(records, 'NEW-3')
            errors, = Project.get_submission_errors([third], pending=pending)
            self.assertEqual(len(errors), 2)
            self.assertEqual(Project.get_submission_errors([third]), [[]])

            # A submission past 95 % of a quota is notified
            risk = self.create_risk_user()
            project = self.new_project(records, 'NEW-4')
            project.save()
            Transaction().user_notifications.clear()
            Project.submit([project])
            self.assertEqual(project.state, 'submitted')
            self.assertEqual(project.contract, contract)
            notification, = Transaction().user_notifications
            self.assertEqual(notification.user, risk)
            # 4,840,000 ÷ 5,000,000 = 96.80 %
            self.assertIn('96.80 %', notification.label)
            self.assertIn('95.00 %', notification.label)

    @with_transaction()
    def test_quota_import(self):
        "Test the import refuses the rows above a quota across its chunks"
        pool = Pool()
        Lang = pool.get('ir.lang')
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = D(5_000_000)
            records['HF01'].save()
            self.create_contract(records)
            rows = [['Borrower Name', 'Borrower Kind', 'ID Number',
                    'Industry', 'Region', 'Bank', 'Loan Contract Number',
                    'Loan Amount', 'Guarantee Amount', 'Start Date',
                    'End Date']]
            for serial in range(3):
                rows.append([
                        f'Borrower {serial}', 'enterprise',
                        make_uscc(201 + serial), 'C1311', '340102', 'Bank',
                        f'IMP-{serial}', '2000000', '2000000', '2026-07-01',
                        '2027-07-01'])
            data = '\n'.join(','.join(r) for r in rows).encode()

            # one row by chunk: the rows of the earlier chunks count
            with patch.object(project_import_file, 'CHUNK_SIZE', 1):
                result = ProjectImport.import_file(
                    data, 'projects.csv', records['HF01'])

            # 4,240,000 + 600,000 fits 5,000,000, the next rows do not
            self.assertEqual(
                [p.loan_contract_number for p in result.projects],
                ['IMP-0'])
            self.assertEqual(result.rejected, [3, 4])
            for row, column, reason in result.error_lines():
                self.assertEqual(column, 'Guarantee Amount')
                self.assertIn(
                    '%s used' % Lang.get().currency(
                        D(4_840_000), company.currency), reason)

    @with_transaction()
    def test_industry_concentration(self):
        "Test a submission above the industry limit of its product warns"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = None
            records['HF01'].save()
            self.create_contract(records)
            product = records['P1']
            product.industry_limit = D('0.6')
            product.save()
            project = self.new_project(records, 'NEW-1')
            project.save()

            # P1 live: C a1 900,000 + a2 1,500,000 + a8 300,000 + b2 450,000
            # + NEW-1 600,000 = 3,750,000 of 5,490,000 = 68.31 % > 60 %
            with self.assertRaises(UserWarning) as cm:
                Project.submit([project])
            self.assertIn('"C"', cm.exception.message)
            self.assertIn('68.31 %', cm.exception.message)
            self.assertIn('60.00 %', cm.exception.message)

    def import_data(self, *numbers, amount='2000000'):
        "Return a .csv file of a row of a new borrower for each loan number"
        rows = [['Borrower Name', 'Borrower Kind', 'ID Number',
                'Industry', 'Region', 'Bank', 'Loan Contract Number',
                'Loan Amount', 'Guarantee Amount', 'Start Date',
                'End Date']]
        for serial, number in enumerate(numbers):
            rows.append([
                    f'Borrower {serial}', 'enterprise',
                    make_uscc(301 + serial), 'C1311', '340102', 'Bank',
                    number, amount, amount, '2026-07-01', '2027-07-01'])
        return '\n'.join(','.join(r) for r in rows).encode()

    @with_transaction()
    def test_industry_concentration_import(self):
        "Test an import above the industry limit warns as a submission does"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = None
            records['HF01'].save()
            self.create_contract(records)
            product = records['P1']
            product.industry_limit = D('0.6')
            product.save()
            data = self.import_data('IMP-1')

            # the same 68.31 % as the submission of test_industry_concentration
            with self.assertRaises(UserWarning) as cm:
                ProjectImport.import_file(
                    data, 'projects.csv', records['HF01'])
            self.assertIn('"C"', cm.exception.message)
            self.assertIn('68.31 %', cm.exception.message)

            # the warning is named after the projects' keys, not their ids:
            # confirmed, the import submits them when it is run again
            project, = Project.search([('loan_contract_number', '=', 'IMP-1')])
            again = self.new_project(records, 'IMP-1')
            again.borrower = project.borrower
            again.bank = project.bank
            self.assertEqual(
                Project._industry_concentration_warning([again]),
                cm.exception.name)
            self.assertNotEqual(
                Project._industry_concentration_warning([
                        self.new_project(records, 'IMP-2')]),
                cm.exception.name)

    @with_transaction()
    def test_submission_log(self):
        "Test an import logs its projects' submission as the button does"
        pool = Pool()
        Log = pool.get('ir.model.log')
        Project = pool.get('reguarantee.project')
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            records['HF01'].quota_amount = None
            records['HF01'].save()
            self.create_contract(records)
            project = self.new_project(records, 'NEW-1', amount=D(100_000))
            project.save()
            Project.submit([project])
            result = ProjectImport.import_file(
                self.import_data('IMP-1', 'IMP-2', amount='100000'),
                'projects.csv', records['HF01'])
            # as Tryton's tests of ir.model.log: Model.log stores at commit
            Transaction()._store_log_records()

            self.assertEqual(len(result.projects), 2)
            for record in [project] + result.projects:
                self.assertEqual(record.state, 'submitted')
                self.assertTrue(record.number.startswith('RP'))
                logs = Log.search([('resource', '=', str(record))])
                self.assertEqual(
                    [(g.event, g.target, g.user.id) for g in logs],
                    [('transition', 'state:submitted', Transaction().user)])


del ModuleTestCase
