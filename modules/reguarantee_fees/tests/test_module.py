# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import unittest
from decimal import ROUND_HALF_EVEN, Decimal
from unittest.mock import patch

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.tests import (
    WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_fees import fee_run
from trytond.modules.reguarantee_fees.fee_calculation import (
    covered_periods, days_between, fee_amount, period_of)
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


class ReguaranteeFeesTestCase(
        WorkTestMixin, ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Fees module"
    module = 'reguarantee_fees'

    def create_projects(self, company, count):
        "Create count filed projects under a monthly product"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Institution = pool.get('reguarantee.institution')
        Party = pool.get('party.party')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        institution = Institution(
            code='HF01', name='HF01', uscc=make_uscc(1), state='active',
            license_number='L1', license_expiry=dt.date(2099, 1, 1),
            net_assets=Decimal('100000000'))
        institution.save()
        product = Product(
            code='M', name='M', fee_rate=Decimal('0.01'),
            fee_basis='loan', day_count='act365', fee_schedule='monthly',
            share_institution=Decimal('0.8'),
            share_reguarantor=Decimal('0.2'),
            start_date=dt.date(2024, 1, 1))
        product.save()
        bank = Party(name='Bank')
        bank.save()
        borrower = Borrower(
            name='B', kind='enterprise', id_number=make_uscc(2))
        borrower.save()
        projects = Project.create([{
                    'institution': institution.id,
                    'product': product.id,
                    'borrower': borrower.id,
                    'bank': bank.id,
                    'loan_contract_number': f'L{i}',
                    'loan_amount': Decimal('365000'),
                    'guarantee_amount': Decimal('365000'),
                    'reguaranteed_amount': Decimal('73000'),
                    'start_date': dt.date(2024, 1, 1),
                    'end_date': dt.date(2025, 1, 1),
                    'state': 'filed',
                    } for i in range(count)])
        return projects

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
