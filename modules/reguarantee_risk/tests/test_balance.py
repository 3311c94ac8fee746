# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The balances stored by borrower give the figures of the projects: after
a refresh of the borrowers changed only, as after a rebuild"""
import datetime as dt
import unittest
import unittest.mock
from decimal import Decimal as D

from sql import Select
from sql.functions import CurrentTimestamp

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_risk.balance import timestamp
from trytond.modules.reguarantee_risk.indicator import (
    Portfolio, StoredPortfolio)
from trytond.modules.reguarantee_risk.tests.portfolio import create_portfolio
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

#: a7 starts on 2026-07-15, between the two dates
FIRST = dt.date(2026, 7, 1)
SECOND = dt.date(2026, 7, 20)
FIGURES = [
    'totals', 'industries', 'regions', 'top', 'company_top', 'related',
    'company_related']


class BalanceTestCase(unittest.TestCase):
    "Test the balances stored by borrower"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_risk')

    def assertSameFigures(self, company, date):
        "Assert the stored balances give the figures of the projects"
        stored = StoredPortfolio(company.id, date)
        computed = Portfolio(company.id, date)
        for name in FIGURES:
            with self.subTest(figure=name, date=date):
                self.assertEqual(
                    getattr(stored, name), getattr(computed, name))
        return stored

    def age(self):
        """Make every record two days old and the last refresh one day old:
        only the changes made from now on are newer than it"""
        pool = Pool()
        cursor = Transaction().connection.cursor()
        cursor.execute(*Select([CurrentTimestamp()]))
        now = timestamp(cursor.fetchone()[0])
        for name, days in [
                ('reguarantee.project', 2), ('reguarantee.borrower', 2),
                ('reguarantee.product', 2), ('reguarantee.compensation', 2),
                ('reguarantee.risk.balance.refresh', 1)]:
            table = pool.get(name).__table__()
            columns = [table.create_date, table.write_date]
            if name == 'reguarantee.risk.balance.refresh':
                columns.append(table.timestamp)
            cursor.execute(*table.update(
                    columns, [now - dt.timedelta(days=days)] * len(columns)))

    def refresh(self, company, date):
        "Return the borrowers refreshed on the date (None: all)"
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        return Balance.refresh(company.id, date)

    @with_transaction()
    def test_rebuild(self):
        "Test the balances rebuilt give the figures of the projects"
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            self.assertIsNone(self.refresh(company, FIRST))
            stored = self.assertSameFigures(company, FIRST)
            self.assertEqual(stored.totals.keys(), {
                    r.institution for r in Balance.search([])})
            # an earlier date rebuilds them all
            self.assertIsNone(self.refresh(company, FIRST.replace(day=1)))

    @with_transaction()
    def test_project_changed(self):
        "Test a project changed refreshes its borrower only"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.refresh(company, FIRST)
            self.age()
            self.assertEqual(self.refresh(company, FIRST), set())
            self.age()
            # b1 under 5 M with HF01 (75 %) goes over it (100 %)
            Project.write([records['project_a1']], {
                    'guarantee_amount': D(5_500_000),
                    'reguaranteed_amount': D(1_650_000),
                    })
            self.assertEqual(
                self.refresh(company, FIRST), {records['b1'].id})
            self.age()
            self.assertSameFigures(company, FIRST)
            # a project moved to another institution
            Project.write([records['project_b2']], {
                    'institution': records['HF01'].id})
            self.assertSameFigures(company, FIRST)

    @with_transaction()
    def test_borrower_changed(self):
        "Test a borrower's kind and related group refresh its balances"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.refresh(company, FIRST)
            self.age()
            # the farmer b3 under 2 M (75 %) becomes a person (100 %)
            Borrower.write([records['b3']], {'kind': 'person'})
            Borrower.write([records['b4']], {'related_group': 'G1'})
            self.assertEqual(self.refresh(company, FIRST), {
                    records['b3'].id, records['b4'].id})
            self.assertSameFigures(company, FIRST)

    @with_transaction()
    def test_product_changed(self):
        "Test a product's liability class rebuilds the balances"
        pool = Pool()
        Product = pool.get('reguarantee.product')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.refresh(company, FIRST)
            self.age()
            Product.write([records['P1']], {'liability_class': 'housing'})
            self.assertIsNone(self.refresh(company, FIRST))
            self.assertSameFigures(company, FIRST)

    @with_transaction()
    def test_date_passed(self):
        "Test a project started between two refreshes refreshes its borrower"
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.refresh(company, FIRST)
            self.age()
            # a7 of b3 starts on 2026-07-15
            self.assertEqual(
                self.refresh(company, SECOND), {records['b3'].id})
            stored = self.assertSameFigures(company, SECOND)
            self.assertNotEqual(
                stored.totals, Portfolio(company.id, FIRST).totals)

    @with_transaction()
    def test_borrower_moved(self):
        "Test a project in force given another borrower rebuilds all"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            records = create_portfolio(company)
            self.refresh(company, FIRST)
            self.age()
            Project.write([records['project_a2']], {
                    'borrower': records['b4'].id})
            self.assertIsNone(self.refresh(company, FIRST))
            self.assertSameFigures(company, FIRST)

    @with_transaction()
    def test_snapshot_today(self):
        "Test the snapshot of today reads the stored balances"
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        Date = pool.get('ir.date')
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = create_company()
        with set_company(company):
            create_portfolio(company)
            today = Date.today()

            def values(snapshots):
                return sorted(
                    (s.institution.id if s.institution else 0,
                        s.project_count, s.weighted_balance, s.top10_amount,
                        s.related_amount, s.leverage,
                        sorted((h.kind, h.code or '', h.amount)
                            for h in s.shares))
                    for s in snapshots)

            self.assertFalse(Balance.search([]))
            stored = values(Snapshot.compute(today))
            self.assertTrue(Balance.search([]))
            Balance.invalidate()
            Balance.delete(Balance.search([]))
            with unittest.mock.patch.object(
                    Date, 'today', return_value=today - dt.timedelta(1)):
                computed = values(Snapshot.compute(today))
            self.assertFalse(Balance.search([]))
            self.assertEqual(stored, computed)
