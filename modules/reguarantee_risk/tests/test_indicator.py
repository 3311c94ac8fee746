# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The projects in force beside the compensations of other guarantees"
import datetime as dt
import unittest
from decimal import Decimal

from sql import Null
from sql.aggregate import Count

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.records import create_projects
from trytond.modules.reguarantee_risk.indicator import in_force_where
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


class InForceTestCase(unittest.TestCase):
    "Test the projects in force"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_risk')

    @with_transaction()
    def test_in_force_other_origin(self):
        """Test a paid compensation without project (a direct guarantee's)
        leaves the projects in force"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        table = Compensation.__table__()
        cursor = Transaction().connection.cursor()
        company = create_company()
        date = dt.date(2024, 6, 1)

        def in_force():
            cursor.execute(*project.select(
                    Count(project.id),
                    where=in_force_where(project, company.id, date)))
            return cursor.fetchone()[0]

        with set_company(company):
            compensated, other, _ = create_projects(3, 'filed')
            self.assertEqual(in_force(), 3)
            compensation, = Compensation.create([{
                        'project': compensated.id,
                        'default_date': dt.date(2024, 3, 1),
                        'principal': Decimal('100000'),
                        'interest': Decimal(0),
                        'amount_paid_by_institution': Decimal('100000'),
                        'state': 'paid',
                        'payment_date': dt.date(2024, 4, 1),
                        }])
            self.assertEqual(in_force(), 2)
            # the compensation of another guarantee: its project is empty
            Compensation.create([{
                        'origin': str(other),
                        'default_date': dt.date(2024, 3, 1),
                        'principal': Decimal('100000'),
                        'interest': Decimal(0),
                        'amount_paid_by_institution': Decimal('100000'),
                        'state': 'paid',
                        'payment_date': dt.date(2024, 4, 1),
                        }])
            cursor.execute(*table.update(
                    [table.project], [Null],
                    where=table.project == other.id))
            self.assertEqual(in_force(), 2)
