# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The batches of small-micro guarantees of a partner bank

The batch of the tests: an approved limit of 1,000,000.00; rows of
500,000 + 300,000 + 150,000 = 950,000.00 fit (50,000.00 remaining); one more
row of 100,000 would make 1,050,000.00 and is refused naming the amounts."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_direct.exceptions import BatchError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)


class DirectBatchTestCase(unittest.TestCase):
    "Test the batches of direct guarantees"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(['reguarantee_direct'])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def create_batch(self, company):
        pool = Pool()
        Product = pool.get('reguarantee.direct.product')
        Batch = pool.get('reguarantee.direct.batch')
        Party = pool.get('party.party')
        product = Product(
            code='SM1', name="Small-micro batch",
            fee_rate=Decimal('0.01'), fee_schedule='upfront',
            max_amount=Decimal('500000'), max_term_months=36,
            kinds=['financing'], borrower_kinds=['enterprise'],
            min_coverage=Decimal('0'))
        product.save()
        bank, = Party.create([{'name': "Partner Bank"}])
        batch, = Batch.create([{
                    'bank': bank.id, 'product': product.id,
                    'limit': Decimal('1000000'),
                    'start_date': dt.date(2026, 1, 1),
                    'end_date': dt.date(2026, 12, 31),
                    }])
        return batch

    def rows(self, amounts, first=1):
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        vlist = []
        for i, amount in enumerate(amounts, first):
            borrower, = Borrower.create([{
                        'name': f"Enterprise {i}", 'kind': 'enterprise',
                        'id_number': make_uscc(i),
                        }])
            vlist.append({
                    'applicant': borrower.id,
                    'amount': Decimal(amount),
                    'term_months': 12,
                    'purpose': "Working capital",
                    'loan_number': f'L{i:03d}',
                    'loan_date': dt.date(2026, 3, 1),
                    'loan_amount': Decimal(amount),
                    'start_date': dt.date(2026, 3, 1),
                    'end_date': dt.date(2027, 3, 1),
                    })
        return vlist

    @with_transaction()
    def test_limit(self):
        "The guarantees of a batch stay within its approved limit"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            self.assertEqual(batch.number[:2], 'DB')

            with self.assertRaisesRegex(BatchError, 'approved batch'):
                Application.create_in_batch(
                    batch, self.rows(['100'], first=10))
            Batch.approve([batch])
            applications = Application.create_in_batch(
                batch, self.rows(['500000', '300000', '150000']))
            self.assertEqual(
                {a.state for a in applications}, {'in_force'})
            self.assertEqual({a.bank for a in applications}, {batch.bank})
            batch = Batch(batch.id)
            self.assertEqual(batch.used_amount, Decimal('950000.00'))
            self.assertEqual(batch.remaining_limit, Decimal('50000.00'))

            with self.assertRaises(BatchError) as cm:
                Application.create_in_batch(
                    batch, self.rows(['100000'], first=4))
            message = cm.exception.message
            for amount in [
                    '1,000,000.00', '950,000.00', '100,000.00',
                    '1,050,000.00']:
                self.assertIn(amount, message)
            self.assertEqual(
                Batch(batch.id).used_amount, Decimal('950000.00'))
