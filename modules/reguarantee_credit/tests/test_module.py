# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

from simulators.server import Simulator
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.exceptions import ExchangeLogAccessError
from trytond.modules.reguarantee_base.tests import ZhCNTranslationTestMixin
from trytond.modules.reguarantee_base.tests.records import create_projects
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_credit.exceptions import (
    ReviewReportError, ReviewReportWarning, ScreeningFileError)
from trytond.modules.reguarantee_credit.tests.tools import (
    application_rows, create_institution, create_provider)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

OLD = {
    'legalRepresentative': "张伟",
    'registration': {'status': "存续", 'registeredCapital': '10000000.00'},
    'shareholders': [
        {'name': "张伟", 'share': '0.7000', 'controller': True},
        {'name': "李娜", 'share': '0.3000', 'controller': False}],
    'lawsuits': [{'caseNumber': '(2025)皖01民初1号', 'date': '2025-03-01',
            'cause': "买卖合同纠纷", 'amount': '100000.00'}],
    'enforcements': [],
    'abnormalOperations': [],
    }


def odt_text(data):
    "Return the text of the content.xml of an ODT document"
    with zipfile.ZipFile(io.BytesIO(data)) as odt:
        content = odt.read('content.xml')
    return ' '.join(ElementTree.fromstring(content).itertext())


class ReguaranteeCreditTestCase(
        ZhCNTranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test Re-guarantee Credit module"
    module = 'reguarantee_credit'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = Simulator('credit', tokens=['t']).start()
        cls.addClassCleanup(cls.simulator.stop)

    def setUp(self):
        super().setUp()
        self.simulator.app.reset()
        self.simulator.app.faults.configure({})
        self.simulator.app.configure({'daily_quota': None})

    def _borrower(self, serial, kind='enterprise'):
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        borrower, = Borrower.create([{
                    'name': f"Borrower {serial}", 'kind': kind,
                    'id_number': make_uscc(serial, '91340200'),
                    }])
        return borrower

    def _look_up(self, borrowers):
        "Press the button, then run the queue task as the worker would"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Request = pool.get('reguarantee.credit.request')
        Borrower.credit_look_up(borrowers)
        # the worker runs the task once the button's transaction committed
        Transaction().commit()
        requests = Request.search([
                ('state', '=', 'pending'),
                ('subject', 'in', [str(b) for b in borrowers]),
                ])
        Request.process(requests)
        return requests

    def _exchanges(self, request):
        """Return the exchanges logged for request: they are committed in a
        transaction of their own, which PostgreSQL shows to the next one"""
        pool = Pool()
        Exchange = pool.get('reguarantee.credit.exchange')
        Transaction().commit()
        return Exchange.search(
            [('request', '=', request.id)], order=[('id', 'ASC')])

    @with_transaction()
    def test_compute_differences(self):
        "Test the differences between two versions of a report"
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        new = json.loads(json.dumps(OLD))
        self.assertEqual(Lookup.compute_differences(OLD, new), [])
        new['lawsuits'].append({
                'caseNumber': '(2026)皖01民初7号', 'date': '2026-11-02',
                'cause': "金融借款合同纠纷", 'amount': '300000.00'})
        new['enforcements'].append({
                'caseNumber': '(2026)皖01执9号', 'date': '2026-11-20',
                'court': "合肥市中级人民法院", 'amount': '500000.00'})
        new['shareholders'][0]['controller'] = False
        new['shareholders'][1]['controller'] = True
        new['legalRepresentative'] = "李娜"
        new['registration']['registeredCapital'] = '5000000.00'
        differences = Lookup.compute_differences(OLD, new)
        self.assertEqual(
            [d['kind'] for d in differences], [
                'lawsuit', 'enforcement', 'controller_change',
                'controller_change', 'other'])
        self.assertEqual(differences[0]['description'], (
                "New lawsuit (2026)皖01民初7号 of 2026-11-02: "
                "金融借款合同纠纷, 300000.00."))
        self.assertIn("李娜", differences[2]['description'])
        self.assertIn("10000000.00", differences[4]['description'])
        # a capital raised or an old lawsuit dropped is no sign
        self.assertEqual(Lookup.compute_differences(new, OLD), [
                d for d in Lookup.compute_differences(new, OLD)
                if d['kind'] == 'controller_change'])

    @with_transaction()
    def test_parse(self):
        "Test the fields read from a report"
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        values = Lookup.parse(OLD)
        self.assertEqual(values['legal_representative'], "张伟")
        self.assertEqual(values['controller'], "张伟")
        self.assertEqual(values['registered_capital'], Decimal('10000000'))
        self.assertEqual(values['lawsuit_count'], 1)
        self.assertEqual(values['enforcement_count'], 0)
        self.assertEqual(
            values['shareholders'], "张伟 0.7000\n李娜 0.3000")

    @with_transaction()
    def test_look_up_versions(self):
        """Test a look-up is stored as a version with its cost, logged, and
        a change at the provider becomes a difference of the next one"""
        pool = Pool()
        Exchange = pool.get('reguarantee.credit.exchange')
        Lookup = pool.get('reguarantee.credit.lookup')
        company = create_company()
        with set_company(company):
            provider = create_provider(company, self.simulator.url, 't')
            borrower = self._borrower(1)
            request, = self._look_up([borrower])
            self.assertEqual(request.state, 'done')
            first = borrower.credit_lookup
            self.assertEqual(
                (first.version, first.charged, first.cost),
                (1, True, Decimal('2.00')))
            self.assertEqual(borrower.credit_lawsuit_count, 0)
            self.assertEqual(provider.used_today, 1)
            exchange, = self._exchanges(request)
            self.assertEqual(
                (exchange.status_code, exchange.outcome,
                    exchange.idempotency_key),
                (200, 'success', request.idempotency_key))

            self.simulator.app.configure({'profiles': {
                        borrower.id_number: {'lawsuits': [{
                                    'caseNumber': 'C1', 'date': '2026-12-01',
                                    'cause': "劳动争议",
                                    'amount': '50000.00'}]}}})
            self._look_up([borrower])
            second = Lookup(borrower.credit_lookup.id)
            self.assertEqual(second.version, 2)
            self.assertEqual(second.lawsuit_count, 1)
            self.assertEqual(
                second.differences,
                "New lawsuit C1 of 2026-12-01: 劳动争议, 50000.00.")
            signal, = Lookup.create_signals([second])
            self.assertEqual(
                (signal.kind, signal.source, signal.borrower, signal.origin,
                    signal.date),
                ('lawsuit', 'credit_lookup', borrower, second,
                    second.date.date()))
            self.assertEqual(Lookup.create_signals([first]), [])
            self.assertEqual(provider.used_today, 2)

            with Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Lookup.write([second], {'lawsuit_count': 0})
            with self.assertRaises(ExchangeLogAccessError):
                Exchange.delete([exchange])

    @with_transaction()
    def test_faults_never_charge_twice(self):
        """Test a lost answer is asked again with the same key and charged
        once; 429 and 500 are retried; a final error fails"""
        pool = Pool()
        Request = pool.get('reguarantee.credit.request')
        company = create_company()
        with set_company(company):
            provider = create_provider(
                company, self.simulator.url, 't', timeout=0.5,
                max_attempts=4)
            borrower = self._borrower(2)
            self.simulator.app.faults.configure({'faults': [
                        {'mode': 'timeout', 'delay': 1, 'count': 1},
                        {'mode': '429', 'count': 1, 'retry_after': 0},
                        {'mode': '500', 'count': 1},
                        ]})
            request, = self._look_up([borrower])
            # the provider made the report but its answer was lost
            self.assertEqual((request.state, request.attempts), (
                    'pending', 1))
            self.assertEqual(self.simulator.app.state()['reports'], 1)
            for attempts in [2, 3]:
                Request.process([request])
                self.assertEqual((request.state, request.attempts), (
                        'pending', attempts))
            Request.process([request])
            self.assertEqual(request.state, 'done')
            lookup = request.lookup
            # the replayed answer: the same report, not charged again
            self.assertEqual((lookup.charged, lookup.cost), (
                    False, Decimal(0)))
            state = self.simulator.app.state()
            self.assertEqual(list(state['charged'].values()), [1])
            self.assertEqual(
                {r['idempotency_key'] for r in state['requests']},
                {request.idempotency_key})
            self.assertEqual(
                [e.outcome for e in self._exchanges(request)],
                ['transient', 'transient', 'transient', 'success'])
            self.assertEqual(provider.used_today, 0)

            # unknown to the provider: final, not retried
            other = self._borrower(3)
            self.simulator.app.configure(
                {'profiles': {other.id_number: None}})
            request, = self._look_up([other])
            self.assertEqual(request.state, 'not_found')

            # a transient failure at every attempt gives up
            third = self._borrower(4)
            self.simulator.app.faults.configure(
                {'faults': [{'mode': '503'}]})
            request, = self._look_up([third])
            for _ in range(3):
                Request.process([request])
            self.assertEqual((request.state, request.attempts), (
                    'failed', 4))

    @with_transaction()
    def test_quota_and_cache(self):
        """Test the daily quota stops the look-ups over it and a fresh
        look-up is reused within the refresh period"""
        pool = Pool()
        Request = pool.get('reguarantee.credit.request')
        company = create_company()
        with set_company(company):
            provider = create_provider(
                company, self.simulator.url, 't', daily_quota=2,
                refresh_screening=30)
            borrowers = [self._borrower(i) for i in range(10, 13)]
            cached, requests = Request.ask(borrowers, 'screening')
            self.assertEqual((cached, len(requests)), ({}, 3))
            Request.send(requests)
            self.assertEqual(
                sorted(r.state for r in requests),
                ['done', 'done', 'pending'])
            waiting, = [r for r in requests if r.state == 'pending']
            self.assertIn("daily quota of 2", waiting.last_error)
            self.assertGreater(waiting.next_attempt, dt.datetime.now())
            self.assertEqual(len(self.simulator.app.state()['requests']), 2)
            self.assertEqual(provider.used_today, 2)

            # the two done are reused, the pending request is not doubled
            cached, again = Request.ask(borrowers, 'screening')
            self.assertEqual(len(cached), 2)
            self.assertEqual(again, [waiting])
            # a manual look-up (0 days) always asks
            cached, manual = Request.ask(borrowers[:1], 'manual')
            self.assertEqual((cached, len(manual)), ({}, 1))

    @with_transaction()
    def test_screening(self):
        """Test a batch screened into pass, refer and decline with the
        reasons of the rules and the provider's data"""
        pool = Pool()
        Screening = pool.get('reguarantee.letter.screening')
        company = create_company()
        with set_company(company):
            create_provider(company, self.simulator.url, 't')
            # net assets 50,000,000: 10 % is 5,000,000 per borrower
            institution = create_institution(company)
            rows = application_rows(range(1, 6))
            rows[2][7] = '6000000'  # loan above the product's maximum
            rows[3][7], rows[3][8] = '5000000', '4000000'
            rows.append(list(rows[3]))  # the same borrower: 8,000,000
            rows[5][6] = 'LC-000006'
            today = dt.date.today().isoformat()
            rows.append([
                    "Farmer", 'farmer', '110101199003078515', 'A0111',
                    '340300', '', 'LC-F', '200000', '100000', today,
                    (dt.date.today() + dt.timedelta(days=300)).isoformat()])
            codes = [r[2] for r in rows]
            self.simulator.app.configure({'profiles': {
                        codes[0]: {'enforcements': [], 'lawsuits': [],
                            'abnormalOperations': []},
                        codes[1]: {'enforcements': [{
                                    'caseNumber': 'E1', 'date': today,
                                    'court': "合肥", 'amount': '1.00'}],
                            'lawsuits': [], 'abnormalOperations': []},
                        codes[2]: {'enforcements': [], 'lawsuits': [],
                            'abnormalOperations': []},
                        codes[3]: {'enforcements': [], 'lawsuits': [],
                            'abnormalOperations': []},
                        codes[4]: {'enforcements': [], 'lawsuits': [],
                            'abnormalOperations': [{'date': today,
                                    'reason': "无法联系"}]},
                        }})
            data = '\n'.join(
                [','.join(['h'] * 11)] + [','.join(r) for r in rows])
            screening = Screening.import_applications(
                institution, data.encode(), 'applications.csv')
            self.assertEqual(screening.line_count, 7)
            Screening.screen([screening])
            self.assertEqual(screening.state, 'screening')
            Screening.process([screening])
            self.assertEqual(screening.state, 'done')
            results = [(ln.result, ln.reasons or '') for ln in sorted(
                    screening.lines, key=lambda ln: ln.row)]
            self.assertEqual([r for r, _ in results], [
                    'pass', 'decline', 'decline', 'pass', 'refer',
                    'refer', 'pass'])
            self.assertIn("enforcement", results[1][1])
            self.assertIn("6,000,000", results[2][1].replace(
                    '6000000', '6,000,000'))
            self.assertIn("abnormal operation", results[4][1])
            # 4,000,000 + 4,000,000 above 10 % of 50,000,000
            self.assertIn("16.00 %", results[5][1])
            self.assertEqual(
                (screening.pass_count, screening.refer_count,
                    screening.decline_count), (3, 2, 2))
            # the farmer is not looked up: 5 reports for 5 enterprises
            self.assertEqual(self.simulator.app.state()['reports'], 5)

    @with_transaction()
    def test_screening_waits_for_data(self):
        "Test a screening waits while look-ups are retried, then refers"
        pool = Pool()
        Screening = pool.get('reguarantee.letter.screening')
        company = create_company()
        with set_company(company):
            create_provider(company, self.simulator.url, 't', max_attempts=2)
            institution = create_institution(company, 'CR02')
            # SQLite commits the exchanges' log with the test's transaction:
            # codes unused by the other tests
            screening = Screening.create_screening(
                institution, application_rows([901]))
            self.simulator.app.faults.configure(
                {'faults': [{'mode': '500'}]})
            Screening.screen([screening])
            Screening.process([screening])
            self.assertEqual(screening.state, 'screening')
            Screening.process([screening])
            self.assertEqual(screening.state, 'done')
            line, = screening.lines
            self.assertEqual(line.result, 'refer')
            self.assertIn("no business information", line.reasons)

    @with_transaction()
    def test_screening_operator_rule(self):
        "Test an institution operator sees only its institutions' screenings"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Screening = pool.get('reguarantee.letter.screening')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            mine = create_institution(company, 'CR04')
            other = create_institution(company, 'CR05')
            operator, = User.create([{
                        'name': "Operator", 'login': 'credit_operator',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'reguarantee_base',
                                        'group_institution_operator')])],
                        }])
            mine.users = [operator]
            mine.save()
            for institution in [mine, other]:
                Screening.create_screening(
                    institution, application_rows([1]))
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                screenings = Screening.search([])
                self.assertEqual(
                    [s.institution.id for s in screenings], [mine.id])

    @with_transaction()
    def test_import_errors(self):
        "Test a wrong cell is reported with its row and column"
        pool = Pool()
        Screening = pool.get('reguarantee.letter.screening')
        company = create_company()
        with set_company(company):
            institution = create_institution(company, 'CR03')
            rows = application_rows([1])
            rows[0][7] = 'lots'
            data = io.StringIO()
            data.write('header\n' + ','.join(rows[0]))
            with self.assertRaisesRegex(
                    ScreeningFileError, 'Row 2, column "loan_amount"'):
                Screening.import_applications(
                    institution, data.getvalue().encode(), 'a.csv')

    def _meeting(self, company):
        "Return a draft meeting of a chair, a member and a presenter"
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        ModelData = pool.get('ir.model.data')
        Rule = pool.get('reguarantee.review.rule')
        User = pool.get('res.user')
        member_group = ModelData.get_id(
            'reguarantee_review', 'group_review_member')
        business_group = ModelData.get_id(
            'reguarantee_base', 'group_business')
        users = User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [group])],
                    } for login, group in [
                    ('chair', member_group), ('member', member_group),
                    ('outsider', member_group),
                    ('presenter', business_group)]])
        rule, = Rule.search([], limit=1)
        meeting, = Meeting.create([{
                    'company': company.id,
                    'name': "Meeting",
                    'date': dt.date.today(),
                    'chair': users[0].id,
                    'rule': rule.id,
                    'members': [('create', [
                                {'user': users[0].id, 'voting': True},
                                {'user': users[1].id, 'voting': True},
                                {'user': users[3].id, 'voting': False},
                                ])],
                    }])
        return meeting, users

    @with_transaction()
    def test_review_report(self):
        """Test the review report of a committee item is generated from its
        project and the borrower's latest look-up, kept by version, read by
        the members of the meeting only"""
        pool = Pool()
        Item = pool.get('reguarantee.review.item')
        Meeting = pool.get('reguarantee.review.meeting')
        ModelData = pool.get('ir.model.data')
        Report = pool.get('reguarantee.review.report')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            create_provider(company, self.simulator.url, 't')
            project, = create_projects(1, 'submitted')
            borrower = project.borrower
            meeting, (chair, member, outsider, presenter) = self._meeting(
                company)
            item, = Item.create([{
                        'meeting': meeting.id, 'origin': str(project),
                        'presenter': presenter.id,
                        }])

            # no look-up yet: the report says so
            first = Report.make(item)
            self.assertEqual(
                (first.version, first.kind, first.lookup, first.filename),
                (1, 'generated', None, "Review Report %s v1.odt"
                    % project.rec_name))
            text = odt_text(first.document)
            self.assertIn("项目评审报告", text)
            self.assertIn("尚无该借款人的工商信息查询记录", text)
            self.assertIn(borrower.id_number, text)
            self.assertIn("365,000.00", text)
            self.assertIn("（待汇报人填写）", text)

            # the presenter's wizard proposes the opinion of the latest
            # version and warns that the borrower has no look-up
            Generate = pool.get(
                'reguarantee.review.report.generate', type='wizard')
            with Transaction().set_user(presenter.id), \
                    Transaction().set_context(
                        active_model=Item.__name__, active_id=item.id,
                        active_ids=[item.id]):
                session_id, _, _ = Generate.create()
                generate = Generate(session_id)
                defaults = generate.default_start(None)
                self.assertEqual(
                    (defaults['item'], defaults.get('opinion')),
                    (item.id, None))
                generate.start.opinion = "同意"
                generate.start.document = None
                with self.assertRaises(ReviewReportWarning):
                    generate.transition_generate()
                self.assertEqual(len(Item(item.id).review_reports), 1)

            self.simulator.app.configure({'profiles': {
                        borrower.id_number: {
                            'legalRepresentative': "王建国",
                            'shareholders': [
                                {'name': "王建国", 'share': '0.6500',
                                    'controller': True},
                                {'name': "合肥某投资有限公司",
                                    'share': '0.3500', 'controller': False}],
                            'lawsuits': [{
                                    'caseNumber': '(2026)皖01民初88号',
                                    'date': '2026-10-09', 'role': 'defendant',
                                    'cause': "买卖合同纠纷",
                                    'amount': '120000.00'}],
                            'enforcements': [{
                                    'caseNumber': '(2026)皖01执7号',
                                    'date': '2026-11-01', 'court': "合肥中院",
                                    'amount': '50000.00', 'status': "执行中"}],
                            'abnormalOperations': [],
                            }}})
            self._look_up([borrower])
            lookup = borrower.credit_lookup
            second = Report.make(
                item, opinion="建议同意。\n请关注借款人涉诉情况。")
            self.assertEqual(
                (second.version, second.lookup, second.lookup_date),
                (2, lookup, lookup.date))
            text = odt_text(second.document)
            for expected in [
                    "王建国", "65.00 %", "合肥某投资有限公司",
                    "(2026)皖01民初88号", "被告", "买卖合同纠纷",
                    "(2026)皖01执7号", "合肥中院", "建议同意。",
                    "请关注借款人涉诉情况。", "经营异常"]:
                self.assertIn(expected, text)
            self.assertNotIn("尚无该借款人的工商信息查询记录", text)

            # a completed document uploaded: another version, all kept
            third = Report.make(
                item, document=b'completed', filename="评审报告.odt")
            self.assertEqual(
                (third.version, third.kind, third.filename),
                (3, 'uploaded', "评审报告 v3.odt"))
            item = Item(item.id)
            self.assertEqual(
                [r.version for r in item.review_reports], [3, 2, 1])
            self.assertEqual(
                (item.review_report, item.review_report_filename),
                (b'completed', "评审报告 v3.odt"))
            with self.assertRaises(ReviewReportError):
                Report.make(item, document=b'x')

            operator, = User.create([{
                        'login': 'review_operator', 'name': "Operator",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'reguarantee_base',
                                        'group_institution_operator')])],
                        }])
            for user, count in [(member, 3), (presenter, 3), (outsider, 0)]:
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    self.assertEqual(
                        Report.search([], count=True), count, user.login)
            with Transaction().set_user(member.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Report.write([Report(first.id)], {'opinion': "x"})
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Report.search([])
            with self.assertRaises(ReviewReportError):
                Report.check_modification('delete', [first], external=True)

            # the report of a closed meeting is what the committee read
            Meeting.write([meeting], {'state': 'closed'})
            with self.assertRaisesRegex(ReviewReportError, "closed"):
                Report.make(Item(item.id))


del ModuleTestCase
