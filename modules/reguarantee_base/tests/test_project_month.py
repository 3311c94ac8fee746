# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

JANUARY = dt.date(2026, 1, 1)
FEBRUARY = dt.date(2026, 2, 1)


class ProjectMonthTestCase(ModulesTestCase):
    "Test the projects by month"

    def create_projects(self):
        "Create projects of two institutions over January and February 2026"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        Product = pool.get('reguarantee.product')
        Borrower = pool.get('reguarantee.borrower')
        Party = pool.get('party.party')
        Project = pool.get('reguarantee.project')

        hf01, wh01 = Institution.create([{
                    'code': code,
                    'name': code,
                    'uscc': make_uscc(serial),
                    'license_number': 'WD-%s' % code,
                    'license_expiry': dt.date(2030, 1, 1),
                    'net_assets': Decimal('300000000'),
                    'state': 'active',
                    } for serial, code in enumerate(['HF01', 'WH01'], 1)])
        product, = Product.create([{
                    'code': '4222',
                    'name': "4222",
                    'fee_rate': Decimal('0.005'),
                    'share_institution': Decimal('0.4'),
                    'share_reguarantor': Decimal('0.2'),
                    'share_fund': Decimal('0.2'),
                    'share_bank': Decimal('0.2'),
                    'share_government': Decimal('0'),
                    'start_date': dt.date(2025, 1, 1),
                    }])
        borrower, = Borrower.create([{
                    'name': "合肥禾丰农业科技有限公司",
                    'kind': 'enterprise',
                    'id_number': make_uscc(501),
                    }])
        bank, = Party.create([{'name': "徽商银行合肥分行"}])

        def project(number, institution, start_date, state, loan, guarantee):
            reguaranteed = (
                guarantee * product.share_reguarantor
                if state != 'draft' else None)
            return {
                'institution': institution.id,
                'product': product.id if state != 'draft' else None,
                'borrower': borrower.id,
                'bank': bank.id,
                'loan_contract_number': 'HSB-%s' % number,
                'loan_amount': Decimal(loan),
                'guarantee_amount': Decimal(guarantee),
                'reguaranteed_amount': reguaranteed,
                'start_date': start_date,
                'end_date': start_date + dt.timedelta(days=365),
                'state': state,
                }
        Project.create([
                project(1, hf01, dt.date(2026, 1, 5), 'filed',
                    1_000_000, 800_000),
                project(2, hf01, dt.date(2026, 1, 31), 'filed',
                    500_000, 400_000),
                project(3, hf01, dt.date(2026, 1, 20), 'draft',
                    300_000, 200_000),
                project(4, wh01, dt.date(2026, 1, 15), 'filed',
                    2_000_000, 1_500_000),
                project(5, hf01, dt.date(2026, 2, 1), 'filed',
                    700_000, 600_000),
                project(6, wh01, dt.date(2026, 2, 28), 'submitted',
                    400_000, 300_000),
                ])
        return hf01, wh01, product

    def summary(self, rows):
        return [(
                r.month, r.institution.code,
                r.product.code if r.product else None, r.state,
                r.project_count, r.loan_amount, r.guarantee_amount,
                r.reguaranteed_amount) for r in rows]

    @with_transaction()
    def test_counts_and_sums(self):
        "Test the projects are counted and summed per month"
        pool = Pool()
        ProjectMonth = pool.get('reguarantee.project.month')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            self.create_projects()

            rows = ProjectMonth.search(
                [], order=[('month', 'DESC'), ('institution', 'ASC'),
                    ('state', 'ASC')])
            self.assertEqual(self.summary(rows), [
                    # project 5
                    (FEBRUARY, 'HF01', '4222', 'filed', 1,
                        Decimal('700000'), Decimal('600000'),
                        Decimal('120000')),
                    # project 6: 300,000 × 20 % = 60,000
                    (FEBRUARY, 'WH01', '4222', 'submitted', 1,
                        Decimal('400000'), Decimal('300000'),
                        Decimal('60000')),
                    # draft project 3 has no product nor re-guaranteed
                    # amount yet
                    (JANUARY, 'HF01', None, 'draft', 1,
                        Decimal('300000'), Decimal('200000'), Decimal('0')),
                    # projects 1 and 2: 1,000,000 + 500,000;
                    # 800,000 + 400,000; 1,200,000 × 20 % = 240,000
                    (JANUARY, 'HF01', '4222', 'filed', 2,
                        Decimal('1500000'), Decimal('1200000'),
                        Decimal('240000')),
                    # project 4
                    (JANUARY, 'WH01', '4222', 'filed', 1,
                        Decimal('2000000'), Decimal('1500000'),
                        Decimal('300000')),
                    ])
            for row in rows:
                self.assertIsInstance(row.month, dt.date)
                self.assertEqual(row.currency, company.currency)

            # the id of a row is the smallest id of its projects
            projects = Project.search([])
            self.assertEqual(
                sorted(r.id for r in rows),
                sorted(min(
                        p.id for p in projects
                        if (p.start_date.replace(day=1), p.institution,
                            p.product, p.state) == (
                            r.month, r.institution, r.product, r.state))
                    for r in rows))
            self.assertEqual(len({r.id for r in rows}), len(rows))
            self.assertEqual(sum(r.project_count for r in rows), 6)

            self.assertEqual(
                ProjectMonth.search([('month', '=', JANUARY)], count=True),
                3)
            self.assertEqual(
                ProjectMonth.search([('month', '<', FEBRUARY)], count=True),
                3)
            self.assertEqual(
                ProjectMonth.search(
                    [('rec_name', 'ilike', '%WH01%')], count=True),
                2)
            self.assertEqual(
                ProjectMonth(rows[0].id).rec_name,
                '2026-02 - [HF01] HF01 - [4222] 4222')

    @with_transaction()
    def test_context_dates(self):
        "Test the context dates limit the projects by their start date"
        pool = Pool()
        ProjectMonth = pool.get('reguarantee.project.month')
        company = create_company()
        with set_company(company):
            self.create_projects()

            with Transaction().set_context(from_date=FEBRUARY):
                rows = ProjectMonth.search([])
                self.assertEqual({r.month for r in rows}, {FEBRUARY})
                self.assertEqual(sum(r.project_count for r in rows), 2)

            # projects 1, 3 and 4 start on or before 20 January:
            # 800,000 + 200,000 + 1,500,000
            with Transaction().set_context(to_date=dt.date(2026, 1, 20)):
                rows = ProjectMonth.search([])
                self.assertEqual(sum(r.project_count for r in rows), 3)
                self.assertEqual(
                    sum(r.guarantee_amount for r in rows),
                    Decimal('2500000'))

    @with_transaction()
    def test_institution_operator(self):
        "Test an institution operator sees only its institution's months"
        pool = Pool()
        ProjectMonth = pool.get('reguarantee.project.month')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        ModelAccess = pool.get('ir.model.access')
        company = create_company()
        with set_company(company):
            hf01, _, _ = self.create_projects()

            def create_user(login, group, institutions):
                user, = User.create([{
                            'name': login.title(),
                            'login': login,
                            'groups': [('add', [ModelData.get_id(
                                            'reguarantee_base', group)])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'reguarantee_institutions': [
                                ('add', [i.id for i in institutions])],
                            }])
                return user
            operator = create_user(
                'operator', 'group_institution_operator', [hf01])
            business = create_user('business', 'group_business', [])

            with Transaction().set_user(operator.id), check_access():
                rows = ProjectMonth.search([])
                self.assertEqual({r.institution for r in rows}, {hf01})
                # projects 1, 2, 3 and 5: 800,000 + 400,000 + 200,000
                # + 600,000
                self.assertEqual(sum(r.project_count for r in rows), 4)
                self.assertEqual(
                    sum(r.guarantee_amount for r in rows),
                    Decimal('2000000'))
                self.assertEqual(
                    ModelAccess.get_access([ProjectMonth.__name__])[
                        ProjectMonth.__name__], {
                        'read': True, 'write': False, 'create': False,
                        'delete': False})

            with Transaction().set_user(business.id), check_access():
                rows = ProjectMonth.search([])
                self.assertEqual(sum(r.project_count for r in rows), 6)
                with self.assertRaises(AccessError):
                    ModelAccess.check(ProjectMonth.__name__, 'delete')
