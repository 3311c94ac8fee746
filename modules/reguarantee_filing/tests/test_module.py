# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import json
import unittest
from decimal import Decimal

from simulators.server import Simulator
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.exceptions import (
    ExchangeLogAccessError, ModificationError, ProjectDuplicateError)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.tools import set_secret
from trytond.modules.reguarantee_filing.exceptions import (
    FilingValidationError, MappingError)
from trytond.modules.reguarantee_filing.fund_client import FundClient
from trytond.modules.reguarantee_filing.tests.tools import (
    configure_fund, create_filed_projects)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class ReguaranteeFilingTestCase(
        WorkTestMixin, WorkflowGuardTestMixin,
        ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Filing module"
    module = 'reguarantee_filing'

    @with_transaction()
    def test_mapping_transforms(self):
        "Test the transforms of the mapping"
        pool = Pool()
        Mapping = pool.get('reguarantee.filing.mapping')

        def convert(transform, value, **values):
            return Mapping(transform=transform, **values).convert(value)

        self.assertEqual(convert('amount', Decimal('12.5')), '12.50')
        self.assertEqual(convert('cents', Decimal('12.346')), 1235)
        self.assertEqual(convert('date', dt.date(2024, 1, 2)), '2024-01-02')
        self.assertEqual(
            convert('date_compact', dt.date(2024, 1, 2)), '20240102')
        self.assertEqual(convert('upper', 'ab1'), 'AB1')
        self.assertEqual(convert('text', 12), '12')
        self.assertEqual(convert('none', Decimal('1.5')), '1.5')
        self.assertEqual(convert('none', ''), None)
        self.assertEqual(
            convert('map', 'farmer', code_map='farmer = 03\nperson=04'),
            '03')
        with self.assertRaises(KeyError):
            convert('map', 'other', code_map='farmer=03')
        with self.assertRaises(ValueError):
            convert('date', 'tomorrow')

    @with_transaction()
    def test_mapping_checks(self):
        "Test the mapping refuses unknown fields and bad code maps"
        pool = Pool()
        Mapping = pool.get('reguarantee.filing.mapping')
        self.assertEqual(Mapping.search([], count=True), 14)
        mapping, = Mapping.create([{
                    'field': 'borrower.related_group',
                    'fund_name': 'relatedGroup',
                    }])
        for values in [
                {'field': 'borrower.colour'},
                {'field': 'number.length'},
                {'fund_name': 'projectNo'},
                {'transform': 'map', 'code_map': 'a=1\nb'},
                ]:
            with self.subTest(values=values):
                with self.assertRaises(MappingError):
                    Mapping.write([mapping], values)

    @with_transaction()
    def test_project_correction(self):
        """Test a project the Fund rejected is corrected through RPC only in
        the fields the Fund rejects, and never into a duplicate"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Project = pool.get('reguarantee.project')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            first, second = create_filed_projects(2, company.id)
            own_borrower = second.borrower.id
            Project.write([second], {
                    'borrower': first.borrower.id,
                    'fund_state': 'rejected',
                    })
            User.write([User(Transaction().user)], {
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_business')])],
                    })

            def rpc():
                "Check the access rights as for a call through RPC"
                return Transaction().set_context(_check_access=True)

            with rpc():
                Project.write([second], {
                        'region': '340100',
                        'loan_contract_number': 'FT-CORRECTED',
                        })
                for project, values in [
                        (first, {'region': '340100'}),
                        (second, {'loan_amount': Decimal(1)}),
                        # a value equal to the stored one is no change
                        (second, {'borrower': own_borrower}),
                        (second, {'fund_state': 'accepted'}),
                        ]:
                    with self.subTest(project=project.rec_name, **values):
                        with self.assertRaises(ModificationError):
                            Project.write([project], values)
                with self.assertRaises(ProjectDuplicateError):
                    Project.write([second], {
                            'loan_contract_number': (
                                first.loan_contract_number),
                            })
            self.assertEqual(second.region, '340100')

    @with_transaction()
    def test_mapping_read_values(self):
        "Test the values the mappings read by SQL are those Project.read gives"
        pool = Pool()
        Mapping = pool.get('reguarantee.filing.mapping')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            projects = create_filed_projects(3, company.id)
            # a project without contract reads as one without
            with Transaction().set_context(_reguarantee_prevalidated=True):
                Project.write([projects[1]], {'contract': None})
            names = [
                'number', 'institution.code', 'borrower.kind', 'bank.name',
                'loan_amount', 'start_date', 'region', 'contract.rec_name',
                'contract.number', 'bank.rec_name', 'product.rec_name',
                'term_months', 'currency.rec_name', 'borrower.rec_name',
                'rec_name']
            values = Mapping.read_values(projects, names)
            for data in Project.read([p.id for p in projects], names):
                self.assertEqual(values[data['id']], {
                        n: Mapping.get_value(data, n) for n in names})
            self.assertIsNone(values[projects[1].id]['contract.rec_name'])
            self.assertIsNone(values[projects[1].id]['contract.number'])
            self.assertEqual(
                values[projects[0].id]['loan_amount'], Decimal('1000000'))
            self.assertEqual(
                values[projects[0].id]['start_date'], projects[0].start_date)

            Mapping.create([{
                        'field': 'contract.number', 'fund_name': 'contractNo',
                        'transform': 'text', 'required': True}])
            rows, errors = Mapping.build_rows(projects)
            self.assertEqual(
                [r['projectNo'] for r in rows], [p.number for p in projects])
            self.assertEqual(rows[0]['loanAmount'], '1000000.00')
            self.assertEqual(
                rows[0]['contractNo'], projects[0].contract.number)
            self.assertEqual(errors[0], [])
            self.assertEqual(len(errors[1]), 1, errors[1])
            self.assertIn(projects[1].number, errors[1][0])
            self.assertIn('contractNo', errors[1][0])

    @with_transaction()
    def test_batch_lifecycle_without_fund(self):
        "Test batching, validation before sending and deletion of drafts"
        pool = Pool()
        Batch = pool.get('reguarantee.filing.batch')
        Mapping = pool.get('reguarantee.filing.mapping')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            configure_fund('http://127.0.0.1:9/', 't', batch_size=2)
            self.addCleanup(set_secret, 'fund_token', None)
            projects = create_filed_projects(5, company.id)
            batches = Batch.create_batches()
            self.assertEqual(
                sorted(b.record_count for b in batches), [1, 2, 2])
            self.assertEqual(len({b.idempotency_key for b in batches}), 3)
            self.assertEqual(
                {p.fund_state for p in Project.browse(projects)},
                {'pending'})
            self.assertEqual(Batch.create_batches(), [])

            region, = Mapping.search([('fund_name', '=', 'regionCode')])
            region.required = True
            region.save()
            Project.write([projects[0]], {'region': None})
            with self.assertRaises(FilingValidationError) as context:
                Batch.send(batches)
            self.assertIn(projects[0].number, str(context.exception))
            self.assertIn('regionCode', str(context.exception))

            Batch.delete(batches)
            self.assertEqual(
                {p.fund_state for p in Project.browse(projects)}, {None})

    @with_transaction()
    def test_exchange_read_only(self):
        "Test the exchanges cannot be changed"
        pool = Pool()
        Batch = pool.get('reguarantee.filing.batch')
        Exchange = pool.get('reguarantee.filing.exchange')
        company = create_company()
        with set_company(company):
            batch, = Batch.create([{}])
            exchange, = Exchange.create([{
                        'batch': batch.id, 'kind': 'submit',
                        'date': dt.datetime.now(), 'outcome': 'success'}])
            with self.assertRaises(ExchangeLogAccessError):
                Exchange.write([exchange], {'status_code': 200})
            with self.assertRaises(ExchangeLogAccessError):
                Exchange.delete([exchange])


class FundClientTestCase(unittest.TestCase):
    "Test the client of the Fund's API against the simulator"

    @classmethod
    def setUpClass(cls):
        cls.fund = Simulator(
            'fund', tokens=['t'], options={'processing_delay': 0}).start()
        cls.addClassCleanup(cls.fund.stop)

    def setUp(self):
        self.fund.app.reset()
        self.fund.app.faults.configure({})
        self.client = FundClient(self.fund.url, 't', 0.5)
        self.body = json.dumps({'projects': [{'projectNo': 'P1'}]})

    def test_success(self):
        answer = self.client.post_batch(self.body, 'k')
        self.assertEqual(answer.outcome, 'success')
        self.assertEqual(answer.status_code, 202)
        answer = self.client.get_batch(answer.data['batchId'])
        self.assertEqual(answer.outcome, 'success')
        self.assertEqual(answer.data['status'], 'done')
        self.assertIn('E101', answer.response_body)

    def test_final(self):
        answer = FundClient(self.fund.url, 'wrong', 1).post_batch(
            self.body, 'k')
        self.assertEqual((answer.outcome, answer.status_code), ('final', 401))
        self.assertIn('UNAUTHORIZED', answer.error)
        answer = self.client.get_batch('NFB404')
        self.assertEqual((answer.outcome, answer.status_code), ('final', 404))

    def test_transient(self):
        self.fund.app.faults.configure({'faults': [
                    {'mode': '503', 'count': 1},
                    {'mode': 'malformed', 'count': 1},
                    {'mode': 'timeout', 'delay': 1, 'count': 1}]})
        answer = self.client.post_batch(self.body, 'k')
        self.assertEqual((answer.outcome, answer.status_code), (
                'transient', 503))
        answer = self.client.post_batch(self.body, 'k')
        self.assertEqual(answer.outcome, 'transient')
        self.assertIn('unreadable', answer.error)
        answer = self.client.post_batch(self.body, 'k')
        self.assertEqual(answer.outcome, 'transient')
        self.assertIsNone(answer.status_code)
        self.assertIn('Timeout', answer.error)
        answer = FundClient('http://127.0.0.1:9/', 't', 1).get_batch('X')
        self.assertEqual(answer.outcome, 'transient')
        self.assertIn('ConnectionError', answer.error)


del ModuleTestCase
