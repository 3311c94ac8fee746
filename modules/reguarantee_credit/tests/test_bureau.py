# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Credit-bureau reporting: the file's format, the month's records, the
feedback and its corrections, and the faults of the bureau"""
import datetime as dt
import unittest
from decimal import Decimal

from simulators.credit_bureau import check_record, parse_record
from simulators.server import Simulator
from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.tools import make_uscc, set_secret
from trytond.modules.reguarantee_credit import bureau_format
from trytond.modules.reguarantee_credit.exceptions import (
    ReportError, ReportValidationError)
from trytond.modules.reguarantee_credit.tests.tools import create_institution
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, TransactionError

TODAY = dt.date.today()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - dt.timedelta(days=1)).replace(day=1)


def record_values(**values):
    "Return the values of a valid opening record in the file's fields"
    return {
        'kind_code': '10',
        'account_number': 'P2026000001',
        'event_date': MONTH,
        'sequence': 1,
        'business_type': '51',
        'open_date': MONTH,
        'due_date': MONTH + dt.timedelta(days=365),
        'currency_code': 'CNY',
        'amount': Decimal('160000.00'),
        'borrower_id_type': '10',
        'borrower_id_number': make_uscc(1, '91340500'),
        'borrower_name': "合肥测试科技有限公司",
        'guarantor_uscc': make_uscc(2, '91340100'),
        'guarantor_name': "测试融资担保有限公司",
        'creditor_name': "徽商银行",
        'status_code': '1',
        'balance': Decimal('160000.00'),
        'classification_code': '1',
        'compensation_amount': None,
        'compensation_date': None,
        'recovered_amount': None,
        'closing_date': None,
        **values,
        }


class BureauFormatTestCase(unittest.TestCase):
    "Test the bureau's fixed-width file"

    def test_widths(self):
        "Test the widths documented in docs/interfaces/credit-bureau.md"
        self.assertEqual(bureau_format.HEADER_WIDTH, 142)
        self.assertEqual(bureau_format.RECORD_WIDTH, 451)

    def test_write_read(self):
        "Test a record written is read back, by Tryton and the simulator"
        values = record_values()
        line = bureau_format.format_record(values)
        self.assertEqual(len(line), bureau_format.RECORD_WIDTH)
        # a Chinese character is 2 bytes of GB18030
        self.assertIn("合肥测试科技有限公司".encode('gb18030') + b' ' * 60, line)
        data = bureau_format.write_file({
                'provider_code': 'A1234567890123',
                'reporter_uscc': make_uscc(3), 'reporter_name': "再担保",
                'month': MONTH, 'file_kind': 'O', 'file_number': 1,
                'record_count': 1, 'created_date': TODAY}, [values])
        header, records = bureau_format.read_file(data)
        self.assertEqual(header['month'], MONTH)
        self.assertEqual(header['record_count'], 1)
        self.assertEqual(records, [values])
        simulated = parse_record(line)
        self.assertEqual(simulated['borrowerName'], "合肥测试科技有限公司")
        self.assertEqual(simulated['amount'], '000000000160000.00')
        self.assertEqual(simulated['classificationCode'], '1')

    def test_simulator_register(self):
        "Test the bureau matches the register at an account's opening only"
        register = {make_uscc(1, '91340500'): "合肥测试科技股份有限公司"}

        def errors(**values):
            line = bureau_format.format_record(record_values(**values))
            return [(c, f) for c, f, _ in check_record(
                        parse_record(line), register)]
        self.assertEqual(errors(), [('E203', 'borrowerName')])
        self.assertEqual(errors(borrower_name="合肥测试科技股份有限公司"), [])
        # a later record of the account: matched by its account number
        self.assertEqual(errors(
                kind_code='50', status_code='3', balance=Decimal(0),
                closing_date=MONTH), [])

    def test_check_record(self):
        "Test the bureau's rules name the wrong fields"
        self.assertEqual(
            bureau_format.check_record(record_values(), MONTH), [])
        code = make_uscc(1, '91340500')
        errors = bureau_format.check_record(record_values(
                borrower_id_number=code[:17] + ('0' if code[17] != '0'
                    else '1'),
                borrower_name="名" * 41,
                due_date=MONTH - dt.timedelta(days=1),
                event_date=LAST_MONTH,
                classification_code='6',
                kind_code='50'), MONTH)
        self.assertEqual(sorted((f, m) for f, m, _ in errors), [
                ('borrower_id_number', 'msg_bureau_field_id_number'),
                ('borrower_name', 'msg_bureau_field_too_long'),
                ('classification_code', 'msg_bureau_field_code'),
                ('closing_date', 'msg_bureau_field_required'),
                ('due_date', 'msg_bureau_field_before'),
                ('event_date', 'msg_bureau_field_month'),
                ])


class BureauTestCase(unittest.TestCase):
    "Test credit-bureau reporting"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_credit')
        cls.simulator = Simulator(
            'credit_bureau', tokens=['t'],
            options={'processing_delay': 0}).start()
        cls.addClassCleanup(cls.simulator.stop)

    def setUp(self):
        super().setUp()
        self.simulator.app.reset()
        self.simulator.app.faults.configure({})

    def _setup(self, company, code, **values):
        "Return the bureau and the institution of the company"
        pool = Pool()
        Bureau = pool.get('reguarantee.credit.bureau')
        Identifier = pool.get('party.identifier')
        Identifier.create([{
                    'party': company.party.id, 'type': 'cn_vat',
                    'code': make_uscc(hash(code) % 10 ** 5, '91340100')}])
        set_secret('credit_bureau_token', 't')
        bureau, = Bureau.create([{
                    'company': company.id,
                    'name': "Test Bureau",
                    'url': self.simulator.url,
                    'provider_code': 'A1234567890123',
                    'timeout': 2,
                    'retry_delay': 0,
                    'poll_interval': 0,
                    **values,
                    }])
        return bureau, create_institution(company, code)

    def _projects(self, company, institution, serials, filing_date=TODAY,
            **values):
        "Return filed projects of the institution, a borrower each"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Party = pool.get('party.party')
        Project = pool.get('reguarantee.project')
        bank, = Party.search([('name', '=', "Credit Test Bank")], limit=1)
        contract, = institution.contracts
        borrowers = Borrower.create([{
                    'name': f"Bureau Borrower {i}", 'kind': 'enterprise',
                    'id_number': make_uscc(i, '91340500'),
                    } for i in serials])
        return Project.create([{
                    'company': company.id,
                    'institution': institution.id,
                    'contract': contract.id,
                    'product': contract.products[0].id,
                    'borrower': borrower.id,
                    'bank': bank.id,
                    'loan_contract_number': f'BR-{i:06d}',
                    'loan_amount': Decimal('1000000'),
                    'guarantee_amount': Decimal('800000'),
                    'reguaranteed_amount': Decimal('160000'),
                    'start_date': filing_date,
                    'end_date': filing_date + dt.timedelta(days=365),
                    'filing_date': filing_date,
                    'state': 'filed',
                    **values,
                    } for i, borrower in zip(serials, borrowers)])

    def _user(self, company, login, group):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{
                    'name': login, 'login': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [
                                ModelData.get_id('reguarantee_base', group)])],
                    }])
        return user

    def _report(self, company, month=MONTH):
        pool = Pool()
        Report = pool.get('reguarantee.credit.report')
        report, = Report.create([{
                    'company': company.id,
                    'month': month + dt.timedelta(days=3)}])
        self.assertEqual(report.month, month)
        Report.generate([report])
        return report

    def _run_task(self, func, *args):
        """Run func(*args) as the queue worker does: once the current
        transaction is committed, in a transaction of its own, started again
        with the records it locks"""
        Transaction().commit()
        extras = {}
        while True:
            with Transaction().new_transaction(**extras) as transaction:
                try:
                    func(*args)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
            break
        # what the task committed (and its logs, once it is over): read
        # again, not from the current transaction's cache
        Transaction().commit()
        Transaction().counter += 1

    def _process(self, report):
        "Run the queue's tasks of the report's waiting files as the worker"
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        files = [f.id for f in report.files if f.state in {
                'pending', 'submitted'}]
        self._run_task(File.process, files)

    @with_transaction()
    def test_generate_records(self):
        "Test the records of the month read from the projects"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Compensation = pool.get('reguarantee.compensation')
        Project = pool.get('reguarantee.project')
        Record = pool.get('reguarantee.credit.report.record')
        Recovery = pool.get('reguarantee.recovery')
        company = create_company()
        with set_company(company):
            _, institution = self._setup(company, 'BR01')
            opened, = self._projects(company, institution, [5001])
            released, classified, compensated, old = self._projects(
                company, institution, [5002, 5003, 5004, 5005],
                filing_date=LAST_MONTH)
            Project.write([released], {
                    'state': 'released', 'release_date': MONTH})
            Change.create([{
                        'company': company.id, 'project': classified.id,
                        'date': MONTH, 'from_level': 'normal',
                        'to_level': 'substandard', 'reason': "逾期",
                        'state': 'approved', 'approval_date': MONTH,
                        }])
            Project.write([compensated], {'state': 'compensated'})
            compensation, = Compensation.create([{
                        'company': company.id, 'project': compensated.id,
                        'default_date': LAST_MONTH,
                        'principal': Decimal('500000'),
                        'interest': Decimal('0'),
                        'amount_paid_by_institution': Decimal('400000'),
                        'share': Decimal('0.2'),
                        'claim_amount': Decimal('80000'),
                        'state': 'paid', 'payment_date': MONTH,
                        }])
            Recovery.create([{
                        'company': company.id,
                        'compensation': compensation.id,
                        'date': MONTH, 'amount': Decimal('100000'),
                        'reguarantor_amount': Decimal('20000'),
                        'state': 'confirmed',
                        }])

            report = self._report(company)

            records = {
                (r.origin, r.kind): r for r in report.records}
            self.assertEqual(sorted((p.id, k) for p, k in records), sorted([
                        (opened.id, 'open'), (released.id, 'closure'),
                        (classified.id, 'classification'),
                        (compensated.id, 'compensation'),
                        (compensated.id, 'balance')]))
            record = records[opened, 'open']
            self.assertEqual(
                (record.event_date, record.status, record.balance,
                    record.amount, record.borrower_id_type,
                    record.guarantor_uscc, record.creditor_name),
                (TODAY, 'in_force', Decimal('160000'), Decimal('160000'),
                    'uscc', institution.uscc, "Credit Test Bank"))
            self.assertEqual(
                sorted(r.sequence for r in report.records), [1, 2, 3, 4, 5])
            record = records[released, 'closure']
            self.assertEqual(
                (record.status, record.balance, record.closing_date),
                ('closed', Decimal(0), MONTH))
            self.assertEqual(
                records[classified, 'classification'].classification,
                'substandard')
            record = records[compensated, 'compensation']
            self.assertEqual(
                (record.status, record.compensation_amount,
                    record.compensation_date),
                ('compensated', Decimal('80000'), MONTH))
            record = records[compensated, 'balance']
            self.assertEqual(
                (record.status, record.balance, record.compensation_amount,
                    record.recovered_amount),
                ('compensated', Decimal(0), Decimal('80000'),
                    Decimal('20000')))
            self.assertEqual(report.record_count, 5)
            self.assertNotIn(old.id, [p.id for p, _ in records])

            # generated again: the same records, not doubled
            report.__class__.generate([report])
            self.assertEqual(report.record_count, 5)
            # by hand: neither created nor deleted
            with self.assertRaises(ReportError):
                Record.check_modification(
                    'delete', list(report.records), external=True)

            # the risk department validates, the business department reads
            Report = pool.get('reguarantee.credit.report')
            risk = self._user(company, 'bureau_risk', 'group_risk')
            business = self._user(
                company, 'bureau_business', 'group_business')
            with Transaction().set_user(business.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                self.assertEqual(Report.search([]), [report])
                with self.assertRaises(AccessButtonError):
                    Report.validate_report([report])
            with Transaction().set_user(risk.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                Report.validate_report([report])
            self.assertEqual(report.state, 'validated')

    @with_transaction()
    def test_validate(self):
        "Test a report is validated before it leaves, naming record and field"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            bureau, institution = self._setup(company, 'BR02')
            project, = self._projects(company, institution, [5011])
            # a name longer than the 80 bytes of its field
            Borrower.write([project.borrower], {'name': "长" * 41})
            report = self._report(company)
            with self.assertRaisesRegex(
                    ReportValidationError,
                    r'Line 1 %s Opening, field "Borrower Name"' % (
                        project.number)):
                Report.validate_report([report])
            self.assertEqual(report.state, 'draft')
            record, = report.records
            record.borrower_name = "合肥长江科技有限公司"
            record.save()
            Report.validate_report([report])
            self.assertEqual(report.state, 'validated')

            # the header: the bureau's code for the company, its USCC
            Report.draft([report])
            bureau.provider_code = 'A123'
            bureau.save()
            with self.assertRaisesRegex(
                    ReportValidationError, '"Data Provider Code": "A123"'):
                Report.validate_report([report])
            bureau.provider_code = 'A1234567890123'
            bureau.save()
            Pool().get('party.identifier').delete(
                list(company.party.identifiers))
            with self.assertRaisesRegex(
                    ReportValidationError, "unified social credit code"):
                Report.validate_report([report])

    @with_transaction()
    def test_feedback_correction(self):
        """Test a month's file with a rejected record read back, corrected
        and resent alone in a correction file"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        File = pool.get('reguarantee.credit.report.file')
        Record = pool.get('reguarantee.credit.report.record')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            _, institution = self._setup(company, 'BR03')
            projects = self._projects(
                company, institution, [5021, 5022, 5023])
            wrong = projects[1].borrower
            self.simulator.app.configure({'registered_names': {
                        wrong.id_number: "合肥新名称科技有限公司"}})
            report = self._report(company)
            Report.validate_report([report])
            Report.send([report])
            self.assertEqual(report.state, 'sent')
            file, = report.files
            self.assertEqual(
                (file.kind, file.number, file.record_count, file.state),
                ('original', 1, 3, 'pending'))
            header, lines = bureau_format.read_file(file.data)
            self.assertEqual(
                (header['file_kind'], header['record_count']), ('O', 3))

            self._process(report)  # the submission
            self.assertEqual(file.state, 'submitted')
            self._process(report)  # the feedback
            self.assertEqual(file.state, 'done')
            self.assertEqual(report.state, 'partially_rejected')
            self.assertEqual(
                (file.accepted_count, file.rejected_count), (2, 1))
            rejected, = [r for r in report.records if r.state == 'rejected']
            self.assertEqual(rejected.origin, projects[1])
            self.assertEqual(rejected.rejection_code, 'E203')
            self.assertIn("borrowerName", rejected.rejection_message)
            self.assertIn('E203', report.feedback)

            # nothing corrected yet
            with self.assertRaises(ReportError):
                Report.send_corrections([report])
            # the data is corrected, the record computed again
            Borrower.write([wrong], {'name': "合肥新名称科技有限公司"})
            Record.update_from_origin([rejected])
            self.assertEqual(
                (rejected.corrected, rejected.version,
                    rejected.borrower_name),
                (True, 2, "合肥新名称科技有限公司"))
            Report.send_corrections([report])
            self.assertEqual(report.state, 'sent')
            correction, = [f for f in report.files if f.number == 2]
            self.assertEqual(
                (correction.kind, correction.record_count), ('correction', 1))
            self.assertEqual(rejected.state, 'pending')
            self.assertEqual(rejected.sequence, 1)
            header, lines = bureau_format.read_file(correction.data)
            self.assertEqual(header['file_kind'], 'C')
            self.assertEqual(
                [ln['account_number'] for ln in lines],
                [projects[1].number])
            self._process(report)
            self._process(report)
            self.assertEqual(report.state, 'accepted')
            self.assertEqual(report.accepted_count, 3)
            state = self.simulator.app.state()
            self.assertEqual(len(state['files']), 2)
            self.assertEqual(state['accepted'], 3)
            self.assertEqual(
                File.search([('report', '=', report.id)], count=True), 2)

            # the accepted records and the files are read-only
            with self.assertRaises(AccessError):
                Record.check_modification(
                    'write', [rejected], {'borrower_name': "X"},
                    external=True)
            with self.assertRaises(ReportError):
                File.check_modification(
                    'write', [correction], {'feedback': "X"}, external=True)

    @with_transaction()
    def test_faults_never_lose_nor_double(self):
        """Test a timeout after the bureau stored the file and 500s are
        retried with the same key: one file, logged exchanges; a final error
        fails the file and Retry resumes it"""
        pool = Pool()
        Exchange = pool.get('reguarantee.credit.bureau.exchange')
        File = pool.get('reguarantee.credit.report.file')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            _, institution = self._setup(
                company, 'BR04', timeout=0.5, max_attempts=3)
            self._projects(company, institution, [5031, 5032])
            report = self._report(company)
            Report.validate_report([report])
            Report.send([report])
            file, = report.files
            key = file.idempotency_key
            self.simulator.app.faults.configure({'faults': [
                        {'mode': 'timeout', 'delay': 1, 'count': 1,
                            'method': 'POST'},
                        {'mode': '500', 'count': 1, 'method': 'POST'},
                        {'mode': '503', 'count': 1, 'method': 'GET'},
                        ]})
            # each exchange is logged once its task's transaction is over
            for state, attempts in [
                    ('pending', 1), ('pending', 2), ('submitted', 0),
                    ('submitted', 1), ('done', 0)]:
                self._run_task(File.process, [file.id])
                self.assertEqual(
                    (file.state, file.attempts), (state, attempts))
            state = self.simulator.app.state()
            # stored once, though posted three times
            self.assertEqual(len(state['files']), 1)
            self.assertEqual(
                {r['idempotency_key'] for r in state['requests']
                    if r['method'] == 'POST'}, {key})
            self.assertEqual(report.state, 'accepted')
            exchanges = Exchange.search(
                [('file', '=', file.id)], order=[('id', 'ASC')])
            self.assertEqual(
                [(e.kind, e.outcome) for e in exchanges], [
                    ('submit', 'transient'), ('submit', 'transient'),
                    ('submit', 'success'), ('feedback', 'transient'),
                    ('feedback', 'success')])
            self.assertEqual(exchanges[0].idempotency_key, key)

            # a failure at every attempt fails the file
            projects = self._projects(
                company, institution, [5033], filing_date=LAST_MONTH)
            last = self._report(company, LAST_MONTH)
            self.assertEqual(last.record_count, 1)
            Report.validate_report([last])
            Report.send([last])
            self.simulator.app.faults.configure({'faults': [
                        {'mode': '503', 'count': 5, 'method': 'POST'}]})
            failed, = last.files
            for _ in range(3):
                self._run_task(File.process, [failed.id])
            self.assertEqual((failed.state, failed.attempts), ('failed', 3))
            self.assertTrue(Report(last.id).failed)
            Report.retry([last])
            self.assertEqual(
                (failed.state, failed.attempts), ('pending', 0))
            self.simulator.app.faults.configure({})
            self._process(last)
            self._process(last)
            self.assertEqual(Report(last.id).state, 'accepted')
            self.assertEqual(
                last.records[0].account_number, projects[0].number)
