# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The origin of the compensations and the project kept with it"
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.records import create_projects
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class CompensationOriginTestCase(unittest.TestCase):
    "Test the origin of the compensations"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_base')

    @with_transaction()
    def test_origin_project(self):
        "Test the project follows the origin and the origin a lone project"
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        company = create_company()
        with set_company(company):
            first, second, third = create_projects(3, 'filed')
            values = {
                'default_date': dt.date(2024, 6, 1),
                'principal': Decimal('100000'),
                'interest': Decimal(0),
                'amount_paid_by_institution': Decimal('100000'),
                }
            # a project alone, as before the origin
            by_project, by_origin = Compensation.create([
                    {'project': first.id, **values},
                    {'origin': str(second), **values},
                    ])
            self.assertEqual(by_project.origin, first)
            self.assertEqual(by_project.project, first)
            self.assertEqual(by_origin.project, second)
            # the share and the claim of the project's product: 20 %
            self.assertEqual(by_project.claim_amount, Decimal('20000'))
            self.assertEqual(by_project.institution, first.institution)

            Compensation.write([by_project], {'origin': str(third)})
            self.assertEqual(by_project.project, third)
            Compensation.write([by_project], {'project': first.id})
            self.assertEqual(by_project.origin, first)

            self.assertEqual(
                Compensation.search([('project', '=', second.id)]),
                [by_origin])
            self.assertEqual(
                Compensation.search([('rec_name', '=', second.rec_name)]),
                [by_origin])
            self.assertEqual(
                by_origin.rec_name, f'{second.rec_name} (2024-06-01)')

            compensation = Compensation(origin=third)
            self.assertEqual(compensation.on_change_with_project(), third)
            self.assertEqual(
                compensation.on_change_with_institution(), third.institution)
