# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The direct guarantees in the post-guarantee management and in the risk
snapshot, with figures worked out by hand

The snapshot date is 2026-06-30; the company's net assets are 25,000,000.
Borrowers: B1 enterprise, B2 enterprise, B3 farmer.

Re-guarantee projects (product small/micro, re-guarantor 30 %), filed,
started 2025-07-01:

- r1: B1, guarantee 3,000,000, re-guaranteed 900,000;
- r2: B2, guarantee 2,000,000, re-guaranteed 600,000;

re-guarantee balance 1,500,000; both borrowers' guarantee balances are
under 5 million: weighted 75 % × 1,500,000 = 1,125,000.

Direct guarantees (product small/micro) in force, started 2026-01-01:

- d1: B1 financing, amount 5,000,000, loan 4,000,000: B1's direct balance
  4,000,000 < 5 million, 75 %: weighted 3,000,000;
- d2: B3 (farmer) financing, loan 2,500,000 ≥ 2 million: 100 %, weighted
  2,500,000; classified substandard on 2026-05-01;
- d3: B2 performance letter of 1,000,000: outside the liability balance;
- d4: B2 financing, loan 800,000, released 2026-03-31: not in force.

So: 3 direct guarantees in force, direct balance 4,000,000 + 2,500,000 =
6,500,000, letters 1,000,000, weighted 5,500,000; total balance 1,500,000 +
6,500,000 = 8,000,000, total weighted 1,125,000 + 5,500,000 = 6,625,000,
total leverage 6,625,000 ÷ 25,000,000 = 0.265 (the re-guarantee leverage
alone 0.045).  Borrowers in both businesses: B1 900,000 + 4,000,000 =
4,900,000, B3 2,500,000, B2 600,000 (its letter is not a financing
guarantee): top 1 4,900,000 ÷ 25,000,000 = 0.196 > 10 %, a breach (the
re-guarantee top 1 alone, 900,000, is 3.6 %); top 10 8,000,000, 0.32.
Classification: re-guarantee normal 1,500,000; direct normal 4,000,000 +
1,000,000 = 5,000,000, substandard 2,500,000: direct non-performing ratio
2,500,000 ÷ 7,500,000 = 0.333333, total 2,500,000 ÷ 9,000,000 = 0.277778.

Then (test_snapshot_compensation) d2's borrower defaults: the bank is paid
600,000 + 12,000 = 612,000 today and 300,000 is recovered.  Released by
today: d4 800,000 and d2 2,500,000 by compensation, 3,300,000: direct
compensation rate 612,000 ÷ 3,300,000 = 0.185455, recovery rate 300,000 ÷
612,000 = 0.490196; no re-guarantee project was released or compensated,
so the total rate is the direct one.  On 2026-06-30 only d4 was released
and nothing compensated: rate 0, no recovery rate.
"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc)
from trytond.modules.reguarantee_review.exceptions import ReviewRequiredError
from trytond.modules.reguarantee_risk.tests.portfolio import resident_id
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

DATE = dt.date(2026, 6, 30)


class DirectMonitoringRiskTestCase(ModulesTestCase):
    "Test the direct guarantees in post-guarantee management and risk"
    modules = ['reguarantee_direct']

    def create_direct_product(self, company):
        pool = Pool()
        Product = pool.get('reguarantee.direct.product')
        product, = Product.create([{
                    'company': company.id, 'code': 'D1', 'name': "Direct",
                    'fee_rate': Decimal('0.015'),
                    'liability_class': 'small_micro',
                    }])
        return product

    def create_portfolio(self, company):
        "Create the portfolio of the module docstring"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Change = pool.get('reguarantee.classification.change')
        Configuration = pool.get('reguarantee.configuration')
        Institution = pool.get('reguarantee.institution')
        Party = pool.get('party.party')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')

        configuration = Configuration(1)
        configuration.net_assets = Decimal(25_000_000)
        configuration.save()
        institution, = Institution.create([{
                    'company': company.id, 'code': 'I1', 'name': 'I1',
                    'uscc': make_uscc(1), 'state': 'active',
                    'license_number': 'WD-I1',
                    'license_expiry': dt.date(2030, 1, 1),
                    'net_assets': Decimal(50_000_000),
                    }])
        product, = Product.create([{
                    'company': company.id, 'code': 'P', 'name': 'P',
                    'guarantee_type': 'financing', 'mode': 'batch',
                    'fee_rate': Decimal('0.005'), 'fee_basis': 'guarantee',
                    'day_count': 'act365',
                    'share_institution': Decimal('0.4'),
                    'share_reguarantor': Decimal('0.3'),
                    'share_fund': Decimal(0),
                    'share_bank': Decimal('0.2'),
                    'share_government': Decimal('0.1'),
                    'liability_class': 'small_micro',
                    'start_date': dt.date(2025, 1, 1),
                    }])
        b1, b2, b3 = Borrower.create([{
                    'name': name, 'kind': kind, 'id_number': id_number,
                    } for name, kind, id_number in [
                    ('B1', 'enterprise', make_uscc(101)),
                    ('B2', 'enterprise', make_uscc(102)),
                    ('B3', 'farmer', resident_id(103)),
                    ]])
        bank, = Party.create([{'name': "Bank"}])
        Project.create([{
                    'company': company.id,
                    'institution': institution.id,
                    'product': product.id,
                    'borrower': borrower.id,
                    'bank': bank.id,
                    'loan_contract_number': name,
                    'loan_amount': Decimal(guarantee),
                    'guarantee_amount': Decimal(guarantee),
                    'reguaranteed_amount': Decimal(reguaranteed),
                    'start_date': dt.date(2025, 7, 1),
                    'end_date': dt.date(2028, 7, 1),
                    'state': 'filed',
                    } for name, borrower, guarantee, reguaranteed in [
                    ('r1', b1, 3_000_000, 900_000),
                    ('r2', b2, 2_000_000, 600_000),
                    ]])
        direct_product = self.create_direct_product(company)
        start = dt.date(2026, 1, 1)
        d1, d2, d3, d4 = Application.create([{
                    'company': company.id,
                    'applicant': applicant.id,
                    'kind': kind,
                    'bank': bank.id if kind == 'financing' else None,
                    'beneficiary': bank.id if kind != 'financing' else None,
                    'product': direct_product.id,
                    'amount': Decimal(amount),
                    'loan_amount': (
                        Decimal(loan) if kind == 'financing' else None),
                    'term_months': 24,
                    'purpose': "Working capital",
                    'start_date': start,
                    'end_date': dt.date(2028, 1, 1),
                    'release_date': release_date,
                    'state': state,
                    } for applicant, kind, amount, loan, state, release_date
                in [
                    (b1, 'financing', 5_000_000, 4_000_000, 'in_force',
                        None),
                    (b3, 'financing', 2_500_000, 2_500_000, 'in_force',
                        None),
                    (b2, 'performance', 1_000_000, None, 'in_force', None),
                    (b2, 'financing', 800_000, 800_000, 'released',
                        dt.date(2026, 3, 31)),
                    ]])
        change, = Change.create([{
                    'application': d2.id,
                    'date': dt.date(2026, 5, 1),
                    'to_level': 'substandard',
                    'reason': "Arrears of 100 days",
                    }])
        Change.approve([change])
        Change.write([change], {'approval_date': dt.date(2026, 5, 1)})
        return {'d1': d1, 'd2': d2, 'd3': d3, 'd4': d4}

    @with_transaction()
    def test_snapshot(self):
        "Test the direct and total indicators of the company snapshot"
        pool = Pool()
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            self.create_portfolio(company)
            snapshots = Snapshot.compute(DATE, [company])
            company_snapshot, = [s for s in snapshots if not s.institution]
            institution_snapshot, = [s for s in snapshots if s.institution]
            snapshot = Snapshot(company_snapshot.id)

            # the re-guarantee figures are risk's, unchanged
            self.assertEqual(snapshot.reguarantee_balance, Decimal(1_500_000))
            self.assertEqual(snapshot.weighted_balance, Decimal(1_125_000))
            self.assertEqual(snapshot.leverage, Decimal('0.045'))
            self.assertEqual(snapshot.top1_amount, Decimal(900_000))

            self.assertEqual(snapshot.direct_count, 3)
            self.assertEqual(snapshot.direct_balance, Decimal(6_500_000))
            self.assertEqual(
                snapshot.direct_letter_balance, Decimal(1_000_000))
            self.assertEqual(
                snapshot.direct_weighted_balance, Decimal(5_500_000))
            self.assertEqual(snapshot.total_balance, Decimal(8_000_000))
            self.assertEqual(
                snapshot.total_weighted_balance, Decimal(6_625_000))
            self.assertEqual(snapshot.total_leverage, Decimal('0.265'))
            self.assertEqual(snapshot.total_top1_amount, Decimal(4_900_000))
            self.assertEqual(snapshot.total_top1_rate, Decimal('0.196'))
            self.assertEqual(snapshot.total_top10_amount, Decimal(8_000_000))
            self.assertEqual(snapshot.total_top10_rate, Decimal('0.32'))
            # B1 in both businesses is over 10 % of the net assets
            self.assertEqual(snapshot.status, 'breach')

            self.assertEqual(snapshot.balance_normal, Decimal(1_500_000))
            self.assertEqual(
                snapshot.direct_balance_normal, Decimal(5_000_000))
            self.assertEqual(
                snapshot.direct_balance_substandard, Decimal(2_500_000))
            self.assertEqual(snapshot.direct_balance_loss, Decimal(0))
            self.assertEqual(snapshot.direct_npl_ratio, Decimal('0.333333'))
            self.assertEqual(
                snapshot.total_balance_normal, Decimal(6_500_000))
            self.assertEqual(
                snapshot.total_balance_substandard, Decimal(2_500_000))
            self.assertEqual(snapshot.total_npl_ratio, Decimal('0.277778'))

            # the institutions' snapshots have no direct business
            self.assertIsNone(institution_snapshot.direct_balance)
            self.assertIsNone(institution_snapshot.total_leverage)

            # before the classification change d2 was normal
            snapshots = Snapshot.compute(dt.date(2026, 4, 30), [company])
            snapshot, = [
                Snapshot(s.id) for s in snapshots if not s.institution]
            self.assertEqual(
                snapshot.direct_balance_normal, Decimal(7_500_000))
            self.assertEqual(snapshot.direct_npl_ratio, Decimal(0))
            self.assertEqual(snapshot.total_npl_ratio, Decimal(0))
            # d4 is in force until its release on 2026-03-31
            snapshots = Snapshot.compute(dt.date(2026, 3, 30), [company])
            snapshot, = [
                Snapshot(s.id) for s in snapshots if not s.institution]
            self.assertEqual(snapshot.direct_count, 4)
            self.assertEqual(snapshot.direct_balance, Decimal(7_300_000))
            # B2: 600,000 + 800,000
            self.assertEqual(snapshot.total_top10_amount, Decimal(8_800_000))

    @with_transaction()
    def test_snapshot_compensation(self):
        "Test the direct compensation and recovery rates of the snapshot"
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Date = pool.get('ir.date')
        Recovery = pool.get('reguarantee.recovery')
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            d2 = self.create_portfolio(company)['d2']
            today = Date.today()
            compensation = Compensation(
                origin=d2, principal=Decimal(600_000),
                interest=Decimal(12_000), default_date=dt.date(2026, 6, 1))
            compensation.save()
            Compensation.submit([compensation])
            Compensation.approve([compensation])
            Compensation.pay([compensation])
            recovery = Recovery(
                compensation=compensation, date=today,
                amount=Decimal(300_000))
            recovery.save()
            Recovery.confirm([recovery])

            def company_snapshot(date):
                snapshot, = [
                    Snapshot(s.id) for s in Snapshot.compute(date, [company])
                    if not s.institution]
                return snapshot

            snapshot = company_snapshot(today)
            self.assertEqual(
                (snapshot.direct_released_amount,
                    snapshot.direct_compensation_amount,
                    snapshot.direct_compensation_rate,
                    snapshot.direct_recovered_amount,
                    snapshot.direct_recovery_rate,
                    snapshot.total_compensation_rate),
                (Decimal(3_300_000), Decimal(612_000), Decimal('0.185455'),
                    Decimal(300_000), Decimal('0.490196'),
                    Decimal('0.185455')))
            # the re-guarantee rates are risk's, without the direct business
            self.assertIsNone(snapshot.compensation_rate)

            snapshot = company_snapshot(DATE)
            self.assertEqual(
                (snapshot.direct_released_amount,
                    snapshot.direct_compensation_amount,
                    snapshot.direct_compensation_rate,
                    snapshot.direct_recovery_rate),
                (Decimal(800_000), Decimal(0), Decimal(0), None))

    @with_transaction()
    def test_plan_in_force(self):
        "Test the inspection plan of a direct guarantee put in force"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Inspection = pool.get('reguarantee.inspection')
        Party = pool.get('party.party')
        Rule = pool.get('reguarantee.inspection.plan.rule')
        company = create_company()
        with set_company(company):
            product = self.create_direct_product(company)
            Rule.create([{
                        'name': "Re-guarantee", 'sequence': 1,
                        'first_days': 10, 'period_months': 1,
                        }, {
                        'name': "Direct financing", 'sequence': 2,
                        'business': 'direct', 'direct_kind': 'financing',
                        'direct_product': product.id,
                        'first_days': 30, 'period_months': 3,
                        'onsite_months': 2,
                        'spot_check_rate': Decimal('0.5'),
                        }])
            borrower, = Borrower.create([{
                        'name': "B1", 'kind': 'enterprise',
                        'id_number': make_uscc(7),
                        }])
            bank, = Party.create([{'name': "Bank"}])
            application, = Application.create([{
                        'applicant': borrower.id, 'kind': 'financing',
                        'bank': bank.id, 'product': product.id,
                        'amount': Decimal(1_000_000), 'term_months': 12,
                        'purpose': "Working capital",
                        'contract_date': dt.date(2026, 1, 5),
                        'loan_number': 'L1',
                        'loan_date': dt.date(2026, 1, 10),
                        'loan_amount': Decimal(1_000_000),
                        'state': 'contracted',
                        }])
            Application.confirm_loan([application])

            # from 2026-01-10 to 2027-01-10: off-site 30 days after, then
            # every 3 months before the on-site visit 2 months before
            # maturity (2026-11-10); no institution report, the spot
            # checks fall on the same dates
            self.assertEqual(
                [(i.kind, i.due_date) for i in application.inspections], [
                    ('offsite', dt.date(2026, 2, 9)),
                    ('offsite', dt.date(2026, 5, 9)),
                    ('offsite', dt.date(2026, 8, 9)),
                    ('offsite', dt.date(2026, 11, 9)),
                    ('onsite', dt.date(2026, 11, 10)),
                    ])
            # the daily cron plans nothing more
            self.assertEqual(Inspection.generate_plans(), [])
            inspection = application.inspections[0]
            self.assertEqual(inspection.borrower, borrower)
            self.assertIsNone(inspection.institution)
            self.assertEqual(inspection.get_classified(), application)

    @with_transaction()
    def test_classification(self):
        """Test an inspection proposes a downgrade of a direct guarantee and
        an upgrade from substandard needs the committee"""
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Inspection = pool.get('reguarantee.inspection')
        Item = pool.get('reguarantee.review.item')
        company = create_company()
        with set_company(company):
            records = self.create_portfolio(company)
            d1, d2 = records['d1'], records['d2']
            inspection, = Inspection.create([{
                        'origin': str(d1), 'kind': 'onsite',
                        'due_date': dt.date(2026, 6, 1),
                        'findings': "Orders down by half",
                        'proposed_classification': 'special_mention',
                        }])
            self.assertEqual(inspection.borrower, d1.applicant)
            Inspection.complete([inspection])
            change, = Change.search([('application', '=', d1.id)])
            self.assertEqual(change.state, 'proposed')
            self.assertEqual(change.from_level, 'normal')
            self.assertEqual(change.to_level, 'special_mention')
            self.assertEqual(change.origin, inspection)
            self.assertFalse(change.review_required)
            Change.approve([change])
            self.assertEqual(d1.classification, 'special_mention')
            self.assertEqual(Change.search([
                        ('rec_name', 'ilike', d1.rec_name),
                        ]), [change])

            upgrade, = Change.create([{
                        'application': d2.id,
                        'to_level': 'normal',
                        'reason': "Arrears paid",
                        }])
            self.assertEqual(upgrade.from_level, 'substandard')
            self.assertTrue(upgrade.review_required)
            with self.assertRaises(ReviewRequiredError):
                Change.approve([upgrade])
            # on the committee's agenda the change shows the guarantee
            item = Item(origin=upgrade)
            self.assertEqual(
                item.get_project_value('borrower'), d2.applicant.id)
            self.assertEqual(
                item.get_project_value('guarantee_amount'),
                Decimal(2_500_000))
