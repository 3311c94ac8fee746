# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import unittest
from decimal import ROUND_HALF_EVEN, Decimal
from types import SimpleNamespace
from unittest.mock import patch

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.records import create_projects
from trytond.modules.reguarantee_fees import fee_run
from trytond.modules.reguarantee_fees.fee_calculation import (
    covered_periods, days_between, fee_amount, period_of)
from trytond.modules.reguarantee_fees.fee_run import (
    FeeRow, FeeRunMixin, ProjectRow)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


def round_cent(amount):
    return amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)


class FeeCalculationTestCase(unittest.TestCase):
    "Test the fee arithmetic on hand-worked cases"

    def test_leap_year_month(self):
        "Test February of a leap year, act/365"
        # 1,000,000 × 1 % × 29 / 365 = 794.5205…
        self.assertEqual(
            fee_amount(
                Decimal('1000000'), Decimal('0.01'), 29, 'act365',
                round_cent),
            Decimal('794.52'))

    def test_leap_year_upfront(self):
        "Test a whole leap year upfront, act/365"
        days = days_between(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        self.assertEqual(days, 366)
        # 1,000,000 × 1 % × 366 / 365 = 10,027.3972…
        self.assertEqual(
            fee_amount(
                Decimal('1000000'), Decimal('0.01'), days, 'act365',
                round_cent),
            Decimal('10027.40'))

    def test_act360(self):
        "Test a 31-day month on act/360"
        # 2,000,000 × 0.6 % × 31 / 360 = 1,033.333…
        self.assertEqual(
            fee_amount(
                Decimal('2000000'), Decimal('0.006'), 31, 'act360',
                round_cent),
            Decimal('1033.33'))

    def test_mid_month_start(self):
        "Test a project starting on the 16th is charged 16 days of January"
        periods = list(covered_periods(
                'monthly', dt.date(2025, 1, 16), dt.date(2025, 4, 10),
                dt.date(2025, 3, 31)))
        self.assertEqual(periods, [
                (dt.date(2025, 1, 16), dt.date(2025, 1, 31)),
                (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
                (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
                ])
        # 1,000,000 × 1.2 % × 16 / 365 = 526.0273…
        self.assertEqual(
            fee_amount(
                Decimal('1000000'), Decimal('0.012'),
                days_between(*periods[0]), 'act365', round_cent),
            Decimal('526.03'))

    def test_last_partial_period(self):
        "Test the period of the end date is charged once over"
        periods = list(covered_periods(
                'monthly', dt.date(2025, 1, 16), dt.date(2025, 4, 10),
                dt.date(2025, 4, 30)))
        self.assertEqual(
            periods[-1], (dt.date(2025, 4, 1), dt.date(2025, 4, 9)))
        self.assertEqual(
            sum(days_between(*p) for p in periods),
            (dt.date(2025, 4, 10) - dt.date(2025, 1, 16)).days)

    def test_early_release(self):
        "Test the credit of an upfront fee on early release"
        base, rate = Decimal('3000000'), Decimal('0.005')
        start, end = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
        last = end - dt.timedelta(days=1)
        upfront = fee_amount(
            base, rate, days_between(start, last), 'act365', round_cent)
        self.assertEqual(upfront, Decimal('15000.00'))
        # released on 1 July: 184 unused days, 15,000 × 184 / 365
        unused = days_between(dt.date(2025, 7, 1), last)
        self.assertEqual(unused, 184)
        credit = fee_amount(base, rate, unused, 'act365', round_cent)
        self.assertEqual(credit, Decimal('7561.64'))
        # what is kept is the fee of the 181 days covered
        self.assertEqual(
            upfront - credit,
            fee_amount(base, rate, 181, 'act365', round_cent))

    def test_quarters_and_years(self):
        "Test the periods of quarterly and yearly schedules"
        self.assertEqual(
            period_of('quarterly', dt.date(2024, 5, 20)),
            (dt.date(2024, 4, 1), dt.date(2024, 6, 30)))
        self.assertEqual(
            list(covered_periods(
                    'yearly', dt.date(2023, 7, 1), dt.date(2025, 7, 1),
                    dt.date(2024, 12, 31))),
            [(dt.date(2023, 7, 1), dt.date(2023, 12, 31)),
                (dt.date(2024, 1, 1), dt.date(2024, 12, 31))])
        self.assertEqual(
            list(covered_periods(
                    'quarterly', dt.date(2024, 1, 1), dt.date(2024, 1, 1),
                    dt.date(2024, 12, 31))),
            [])


class FeeCorrectionTestCase(unittest.TestCase):
    "Test the fees follow the end of the cover, on hand-worked cases"

    company = SimpleNamespace(id=1)
    monthly = SimpleNamespace(
        id=1, fee_schedule='monthly', fee_basis='reguaranteed',
        day_count='act365', fee_early_release='credit')
    upfront = SimpleNamespace(
        id=2, fee_schedule='upfront', fee_basis='guarantee',
        day_count='act360', fee_early_release='credit')

    def project(self, state='filed', release_date=None, default_date=None,
            start=dt.date(2024, 1, 16), end=dt.date(2025, 1, 16)):
        return ProjectRow([
                1, 1, 1, state, start, end, release_date,
                Decimal('5000000'), Decimal('1000000'), Decimal('1000000'),
                default_date])

    def fee(self, id_, first, last, amount, state='billed', credit=False,
            bill=None, base=Decimal('1000000'), rate=Decimal('0.01')):
        return FeeRow([
                id_, 1, first, last, credit, base, rate, Decimal(amount),
                state, bill])

    def correct(self, project, product, fees):
        return FeeRunMixin._get_fee_corrections(
            project, product, fees, round_cent, self.company)

    def test_cover_end(self):
        "Test the cover ends at the release or the paid default date"
        self.assertEqual(
            self.project().cover_end, dt.date(2025, 1, 16))
        self.assertEqual(
            self.project('released', dt.date(2024, 3, 11)).cover_end,
            dt.date(2024, 3, 11))
        # the release date of a project not released does not count
        self.assertEqual(
            self.project('filed', dt.date(2024, 3, 11)).cover_end,
            dt.date(2025, 1, 16))
        self.assertEqual(
            self.project(
                'compensated', default_date=dt.date(2024, 3, 20)).cover_end,
            dt.date(2024, 3, 20))
        # a default after the end date does not extend the cover
        self.assertEqual(
            self.project(
                'compensated', default_date=dt.date(2025, 3, 1)).cover_end,
            dt.date(2025, 1, 16))

    def test_credit_billed_fee(self):
        "Test a billed month past a late release is credited the difference"
        project = self.project('released', dt.date(2024, 3, 11))
        march = self.fee(
            10, dt.date(2024, 3, 1), dt.date(2024, 3, 31), '849.32')
        february = self.fee(
            9, dt.date(2024, 2, 1), dt.date(2024, 2, 29), '794.52')
        to_cancel, vlist = self.correct(
            project, self.monthly, [february, march])
        self.assertEqual(to_cancel, [])
        credit, = vlist
        # 10 days covered: 1,000,000 × 1 % × 10 / 365 = 273.972… → 273.97;
        # credit 849.32 − 273.97 = 575.35 (21 days alone: 575.342… → 575.34)
        self.assertEqual(credit['amount'], Decimal('-575.35'))
        self.assertEqual(
            (credit['period_start'], credit['period_end'], credit['days']),
            (dt.date(2024, 3, 11), dt.date(2024, 3, 31), 21))
        self.assertTrue(credit['credit'])
        self.assertEqual(credit['kind'], 'standard')
        self.assertEqual(credit['state'], 'draft')
        self.assertIsNone(credit['bill'])

        # once credited, nothing more
        done = self.fee(
            11, dt.date(2024, 3, 11), dt.date(2024, 3, 31), '-575.35',
            state='draft', credit=True)
        self.assertEqual(
            self.correct(project, self.monthly, [february, march, done]),
            ([], []))

    def test_recalculate_draft_fees(self):
        "Test draft fees past the cover are cancelled and replaced"
        project = self.project(
            'compensated', default_date=dt.date(2024, 3, 20))
        march = self.fee(
            10, dt.date(2024, 3, 1), dt.date(2024, 3, 31), '849.32',
            state='draft', bill=7)
        april = self.fee(
            11, dt.date(2024, 4, 1), dt.date(2024, 4, 30), '821.92',
            state='draft')
        cancelled = self.fee(
            12, dt.date(2024, 5, 1), dt.date(2024, 5, 31), '849.32',
            state='cancelled')
        to_cancel, vlist = self.correct(
            project, self.monthly, [march, april, cancelled])
        self.assertEqual(to_cancel, [10, 11])
        replacement, = vlist
        # 19 days of March: 1,000,000 × 1 % × 19 / 365 = 520.547… → 520.55
        self.assertEqual(replacement['amount'], Decimal('520.55'))
        self.assertEqual(
            (replacement['period_start'], replacement['period_end'],
                replacement['days']),
            (dt.date(2024, 3, 1), dt.date(2024, 3, 19), 19))
        self.assertFalse(replacement['credit'])
        # on the draft bill of the fee it replaces
        self.assertEqual(replacement['bill'], 7)

        # a fee reset to draft beside its replacement is cancelled again,
        # not replaced twice
        again = self.fee(
            13, dt.date(2024, 3, 1), dt.date(2024, 3, 19), '520.55',
            state='draft')
        self.assertEqual(
            self.correct(project, self.monthly, [march, again]), ([10], []))

    def test_billed_fee_after_cover(self):
        "Test a billed fee wholly after the cover is credited in full"
        project = self.project('released', dt.date(2024, 3, 11))
        april = self.fee(
            11, dt.date(2024, 4, 1), dt.date(2024, 4, 30), '821.92')
        to_cancel, (credit,) = self.correct(project, self.monthly, [april])
        self.assertEqual(credit['amount'], Decimal('-821.92'))
        self.assertEqual(credit['period_start'], dt.date(2024, 4, 1))

    def test_upfront_credit(self):
        "Test the unused part of a billed upfront fee is credited"
        project = self.project(
            'released', dt.date(2024, 3, 1), start=dt.date(2024, 2, 1),
            end=dt.date(2025, 2, 1))
        upfront = self.fee(
            1, dt.date(2024, 2, 1), dt.date(2025, 1, 31), '10166.67',
            base=Decimal('2000000'), rate=Decimal('0.005'))
        _, (credit,) = self.correct(project, self.upfront, [upfront])
        # 29 days kept: 2,000,000 × 0.5 % × 29 / 360 = 805.555… → 805.56;
        # credit 10,166.67 − 805.56 = 9,361.11 for the 337 days left
        self.assertEqual(credit['amount'], Decimal('-9361.11'))
        self.assertEqual(credit['days'], 337)

        keep = SimpleNamespace(
            **{**vars(self.upfront), 'fee_early_release': 'keep'})
        self.assertEqual(self.correct(project, keep, [upfront]), ([], []))

    def test_upfront_compensated_before_run(self):
        "Test a project compensated before its first run is charged its cover"
        project = self.project(
            'compensated', default_date=dt.date(2024, 5, 15),
            start=dt.date(2024, 4, 1), end=dt.date(2025, 4, 1))
        fee, = FeeRunMixin._get_run_fees(
            project, self.upfront, Decimal('0.005'), set(),
            dt.date(2024, 5, 31), round_cent, self.company)
        # 1 April to 14 May, 44 days: 1,000,000 × 0.5 % × 44 / 360 =
        # 611.111… → 611.11 (not the year's 5,069.44)
        self.assertEqual(
            (fee['period_start'], fee['period_end'], fee['days'],
                fee['amount']),
            (dt.date(2024, 4, 1), dt.date(2024, 5, 14), 44,
                Decimal('611.11')))

        keep = SimpleNamespace(
            **{**vars(self.upfront), 'fee_early_release': 'keep'})
        fee, = FeeRunMixin._get_run_fees(
            project, keep, Decimal('0.005'), set(),
            dt.date(2024, 5, 31), round_cent, self.company)
        self.assertEqual(fee['days'], 365)

    def test_monthly_stops_at_default(self):
        "Test a compensated monthly project is charged up to its default"
        project = self.project(
            'compensated', default_date=dt.date(2024, 3, 20),
            start=dt.date(2024, 1, 1), end=dt.date(2025, 1, 1))
        vlist = FeeRunMixin._get_run_fees(
            project, self.monthly, Decimal('0.01'),
            {(dt.date(2024, 1, 1), False)}, dt.date(2024, 11, 30),
            round_cent, self.company)
        # February in full, then 1 to 19 March, nothing after; 1,000,000 ×
        # 1 % × 29 / 365 = 794.520… and × 19 / 365 = 520.547…
        self.assertEqual(
            [(v['period_start'], v['days'], v['amount']) for v in vlist],
            [(dt.date(2024, 2, 1), 29, Decimal('794.52')),
                (dt.date(2024, 3, 1), 19, Decimal('520.55'))])


class ReguaranteeFeesTestCase(
        WorkTestMixin, WorkflowGuardTestMixin,
        ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Fees module"
    module = 'reguarantee_fees'

    def create_projects(self, company, count):
        "Create count filed projects under a monthly product"
        return create_projects(count, 'filed', fee_schedule='monthly')

    @with_transaction()
    def test_fee_run_batches(self):
        "Test the fee run gets the rates once per batch, idempotently"
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            projects = self.create_projects(company, 5)
            rates = Project.get_fee_rates(projects, dt.date(2024, 1, 31))
            self.assertEqual(
                rates, {p.id: Decimal('0.01') for p in projects})

            with patch.object(fee_run, 'BATCH_SIZE', 2), \
                    patch.object(
                        Project, 'get_fee_rates',
                        wraps=Project.get_fee_rates) as get_fee_rates:
                created = Fee.run(
                    dt.date(2024, 2, 1), dt.date(2024, 2, 29), company)
            self.assertEqual(created, 10)
            self.assertEqual(get_fee_rates.call_count, 3)
            self.assertEqual(
                {len(c.args[0]) for c in get_fee_rates.call_args_list},
                {1, 2})
            # 365,000 × 1 % / 365 = 10 a day: 31 days of January and 29
            # days of February
            self.assertEqual(
                sorted({f.amount for f in Fee.search([])}),
                [Decimal('290.00'), Decimal('310.00')])

            self.assertEqual(
                Fee.run(dt.date(2024, 2, 1), dt.date(2024, 2, 29), company),
                0)
            self.assertEqual(
                Fee.run(dt.date(2024, 3, 1), dt.date(2024, 3, 31), company),
                5)

    @with_transaction()
    def test_fee_run_rate_hook(self):
        "Test the fee run uses the rates of the hook"
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            projects = self.create_projects(company, 1)
            with patch.object(
                    Project, 'get_fee_rates',
                    return_value={projects[0].id: Decimal('0.02')}):
                Fee.run(dt.date(2024, 1, 1), dt.date(2024, 1, 31), company)
            fee, = Fee.search([])
            self.assertEqual(fee.rate, Decimal('0.02'))
            self.assertEqual(fee.amount, Decimal('620.00'))


del ModuleTestCase
