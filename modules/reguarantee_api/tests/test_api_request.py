# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The answers kept for the Idempotency-Key of the REST API (the HTTP side
is tested by tests/test_api.py against a live trytond)"""
import datetime as dt
from decimal import Decimal

from trytond.modules.reguarantee_api.api import APIError, _check_row
from trytond.modules.reguarantee_base.tests.tools import ModulesTestCase
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


class APIRequestTestCase(ModulesTestCase):
    "Test the answers of the REST API kept by idempotency key"
    modules = ['reguarantee_api']

    @with_transaction()
    def test_answer_once(self):
        "Test an answer is replayed for the same body only"
        pool = Pool()
        APIRequest = pool.get('reguarantee.api.request')
        calls = []

        def function(body):
            calls.append(body)
            return {'imported': len(calls)}

        body = {'projects': [{'loan_amount': Decimal('1.50')}]}
        first = APIRequest.answer_once('k1', body, function)
        again = APIRequest.answer_once('k1', {
                'projects': [{'loan_amount': Decimal('1.50')}]}, function)

        self.assertEqual(first, (200, {'imported': 1}, False))
        self.assertEqual(again, (200, {'imported': 1}, True))
        self.assertEqual(len(calls), 1)
        with self.assertRaises(APIError) as context:
            APIRequest.answer_once('k1', {
                    'projects': [{'loan_amount': Decimal('1.5')}]}, function)
        self.assertEqual(
            (context.exception.status, context.exception.code),
            (422, 'IDEMPOTENCY_KEY_REUSED'))
        self.assertEqual(
            APIRequest.answer_once('k2', body, function)[1],
            {'imported': 2})

    @with_transaction()
    def test_error_answer_kept(self):
        "Test the error answered to a body is kept and replayed too"
        pool = Pool()
        APIRequest = pool.get('reguarantee.api.request')

        def function(body):
            raise APIError(400, 'INVALID_BODY', "not a batch")

        self.assertEqual(
            APIRequest.answer_once('k3', [], function),
            (400, {'code': 'INVALID_BODY', 'message': "not a batch"}, False))
        self.assertEqual(
            APIRequest.answer_once('k3', [], None)[:2],
            (400, {'code': 'INVALID_BODY', 'message': "not a batch"}))

    @with_transaction()
    def test_clean(self):
        "Test the answers older than the retention are deleted and reusable"
        pool = Pool()
        APIRequest = pool.get('reguarantee.api.request')
        table = APIRequest.__table__()
        cursor = Transaction().connection.cursor()

        APIRequest.answer_once('old', {}, lambda body: {'n': 1})
        APIRequest.answer_once('new', {}, lambda body: {'n': 2})
        old, = APIRequest.search([('key', '=', 'old')])
        cursor.execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - APIRequest.retention()
                    - dt.timedelta(hours=1)],
                where=table.id == old.id))
        # past the retention, a key is given again
        self.assertEqual(
            APIRequest.answer_once('old', {'x': 1}, lambda body: {'n': 3}),
            (200, {'n': 3}, False))
        cursor.execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - APIRequest.retention()
                    - dt.timedelta(hours=1)],
                where=table.key == 'old'))

        APIRequest.clean()

        self.assertEqual(
            [r.key for r in APIRequest.search([])], ['new'])

    def test_strict_values(self):
        "Test the values of a row are read strictly"
        for name, value in [
                ('loan_amount', '1,000,000'),
                ('loan_amount', '１０００'),
                ('loan_amount', '1e5'),
                ('loan_amount', 'NaN'),
                ('guarantee_amount', 'Infinity'),
                ('start_date', '2026-01-05T00:00:00'),
                ('start_date', '2026-01-05 00:00'),
                ('end_date', '２０２６-01-05'),
                ('end_date', 20260105),
                ('borrower_name', 'A\x00B'),
                ('bank', 'A\x85'),
                ('loan_contract_number', '\udc00'),
                ]:
            with self.subTest(name=name, value=value):
                values, errors = _check_row({name: value})
                self.assertEqual(values, {})
                self.assertEqual([e[0] for e in errors], [name])
        for name, value in [
                ('loan_amount', '1000000.00'),
                ('loan_amount', 1000000),
                ('loan_amount', Decimal('1000000.5')),
                ('start_date', '2026-01-05'),
                ('start_date', '2026年01月05日'),
                ('borrower_name', '合肥禾丰 农业'),
                ]:
            with self.subTest(name=name, value=value):
                self.assertEqual(
                    _check_row({name: value}), ({name: value}, []))
