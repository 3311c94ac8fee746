# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The synchronisation with the CMS against its simulator, with every
failure it can inject: once the queue and the retries have settled, the CMS
holds exactly the institution's latest data, written once per change, and
the log shows every attempt."""
import datetime as dt
import time
import unittest
from contextlib import contextmanager
from decimal import Decimal

import trytond.config as config
from simulators.server import Simulator
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.http_client import Answer
from trytond.modules.reguarantee_base.tests.tools import make_uscc, set_secret
from trytond.modules.reguarantee_cms.exceptions import (
    CMSDuplicateError, CMSUnavailableError, CMSWarning)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

TOKEN = 'cms-test-token'
#: Seconds the client waits: the injected timeouts wait longer
TIMEOUT = 0.5
MAX_ATTEMPTS = 4


@contextmanager
def set_queue_worker(value):
    "Set [queue] worker for the block"
    if not config.has_section('queue'):
        config.add_section('queue')
    previous = config.get('queue', 'worker', default='False')
    config.set('queue', 'worker', str(value))
    try:
        yield
    finally:
        config.set('queue', 'worker', previous)


class CMSTestCase(unittest.TestCase):
    "Test the synchronisation of the institutions with the CMS"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_cms')
        cls.cms = Simulator('cms', tokens=[TOKEN]).start()

    @classmethod
    def tearDownClass(cls):
        cls.cms.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.cms.app.reset()
        self.cms.app.faults.configure({})
        self.addCleanup(set_secret, 'cms_token', None)

    def configure(self, token=TOKEN):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        set_secret('cms_token', token)
        configuration = Configuration(1)
        configuration.cms_url = self.cms.url
        configuration.cms_timeout = TIMEOUT
        configuration.cms_max_attempts = MAX_ATTEMPTS
        configuration.cms_retry_delay = 0
        configuration.save()

    def create_institution(self, company, serial=1):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Institution = pool.get('reguarantee.institution')
        institution, = Institution.create([{
                    'company': company.id,
                    'code': f'GI{serial:03d}',
                    'name': f"Institution {serial}",
                    'uscc': make_uscc(serial),
                    'license_number': f'L{serial}',
                    'license_expiry': dt.date.today() + dt.timedelta(500),
                    'registered_capital': Decimal('200000000'),
                    'net_assets': Decimal('210000000.5'),
                    'region': '340100',
                    }])
        Attachment.create([{
                    'resource': str(institution),
                    'name': 'license.pdf',
                    'data': b'%PDF-1.4',
                    }])
        return institution

    def onboard(self, institution):
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        Institution.submit([institution])
        Institution.approve([institution])

    def settle(self):
        "Run the queued tasks and the due retries until nothing is pending"
        pool = Pool()
        Queue = pool.get('ir.queue')
        Sync = pool.get('reguarantee.cms.sync')
        transaction = Transaction()
        for _ in range(3 * MAX_ATTEMPTS):
            while transaction.tasks:
                Queue(transaction.tasks.pop()).run()
            if not Sync.search([('state', '=', 'pending')]):
                return
            Sync.process_due()
        self.fail("the synchronisation did not settle")

    def customer(self, institution):
        return self.cms.app.state()['customers'][institution.uscc]

    def assert_cms_holds(self, institution):
        "Assert the CMS holds exactly the institution's data"
        customer = self.customer(institution)
        values = institution.get_cms_values()
        self.assertEqual(
            {k: customer.get(k) for k in values}, values)

    def puts(self, count=None):
        """Return the PUT requests the CMS answered, waiting for count of
        them: those timed out by the client are answered later"""
        deadline = time.monotonic() + 4 * TIMEOUT
        while True:
            puts = [
                r for r in self.cms.app.state()['requests']
                if r['method'] == 'PUT']
            if count is None or len(puts) >= count or (
                    time.monotonic() > deadline):
                return puts
            time.sleep(0.05)

    def logs(self, institution, operation='push'):
        pool = Pool()
        Log = pool.get('reguarantee.cms.sync.log')
        return Log.search([
                ('institution', '=', institution.id),
                ('operation', '=', operation),
                ], order=[('id', 'ASC')])

    @with_transaction()
    def test_not_configured(self):
        "Test nothing is looked up or pushed without a CMS"
        pool = Pool()
        Sync = pool.get('reguarantee.cms.sync')
        company = create_company()
        with set_company(company):
            institution = self.create_institution(company)
            self.onboard(institution)
            self.settle()

            self.assertEqual(institution.state, 'active')
            self.assertEqual(Sync.search([]), [])
            self.assertIsNone(institution.cms_state)
        self.assertEqual(self.cms.app.state()['requests'], [])

    @with_transaction()
    def test_token_from_configuration(self):
        "Test the token is read from the server's configuration only"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        company = create_company()
        with set_company(company):
            self.configure()
            configuration = Configuration(1)
            self.assertEqual(
                configuration.get_cms_client().session.headers[
                    'Authorization'], f'Bearer {TOKEN}')
            self.assertNotIn('cms_token', Configuration._fields)

            set_secret('cms_token', None)
            self.assertIsNone(configuration.get_cms_client())

    @with_transaction()
    def test_onboarding(self):
        "Test the look-up at submission and the push at approval"
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            self.onboard(institution)
            self.settle()

            self.assert_cms_holds(institution)
            customer = self.customer(institution)
            self.assertEqual(customer['netAssets'], '210000000.50')
            self.assertEqual(customer['status'], 'active')
            self.assertEqual(institution.cms_state, 'synced')
            self.assertEqual(institution.cms_customer, customer['customerId'])
            # the look-up's log is written after the transaction
            # (scenario_cms_lookup.rst)
            self.assertEqual(
                [(r['method'], r['status'])
                    for r in self.cms.app.state()['requests']][:1],
                [('GET', 404)])
            push, = self.logs(institution)
            self.assertEqual(
                (push.method, push.status_code, push.state, push.attempt),
                ('PUT', 201, 'success', 1))
            self.assertEqual(push.idempotency_key, self.puts()[0][
                    'idempotency_key'])

    @with_transaction()
    def test_push_faults(self):
        "Test every failure mode of a push ends with the data in the CMS"
        modes = [
            ({'mode': '500', 'count': 2}, 2),
            ({'mode': '503', 'count': 2, 'retry_after': 0}, 2),
            ({'mode': 'timeout', 'when': 'before', 'count': 1,
                'delay': 2 * TIMEOUT}, 1),
            ({'mode': 'timeout', 'when': 'after', 'count': 2,
                'delay': 2 * TIMEOUT}, 2),
            ({'mode': 'malformed', 'count': 2}, 2),
            ({'mode': 'latency', 'delay': TIMEOUT / 5}, 0),
            ]
        company = create_company()
        with set_company(company):
            self.configure()
            for serial, (fault, failures) in enumerate(modes, 1):
                with self.subTest(fault=fault):
                    self.cms.app.reset()
                    institution = self.create_institution(company, serial)
                    Institution = Pool().get('reguarantee.institution')
                    Institution.submit([institution])
                    self.cms.app.faults.configure({'faults': [
                                dict(fault, method='PUT')]})
                    Institution.approve([institution])
                    self.settle()

                    self.assert_cms_holds(institution)
                    self.assertEqual(institution.cms_state, 'synced')
                    writes = self.cms.app.state()['writes']
                    self.assertEqual(
                        [(w['uscc'], w['change']) for w in writes],
                        [(institution.uscc, 'created')])
                    logs = self.logs(institution)
                    self.assertEqual(
                        [l.state for l in logs],
                        ['retry'] * failures + ['success'])
                    self.assertEqual(
                        [l.attempt for l in logs],
                        list(range(1, failures + 2)))
                    puts = self.puts(len(logs))
                    self.assertEqual(len(logs), len(puts))
                    # the retries of a push send the same key
                    self.assertEqual(
                        {p['idempotency_key'] for p in puts},
                        {logs[0].idempotency_key})

    @with_transaction()
    def test_push_gives_up(self):
        "Test a push fails after the attempts and succeeds when pressed again"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            Institution.submit([institution])
            self.cms.app.faults.configure({'faults': [
                        {'mode': '503', 'method': 'PUT'}]})
            Institution.approve([institution])
            self.settle()

            self.assertEqual(institution.cms_state, 'failed')
            self.assertEqual(
                [l.state for l in self.logs(institution)],
                ['retry'] * (MAX_ATTEMPTS - 1) + ['failed'])
            self.assertNotIn(
                institution.uscc, self.cms.app.state()['customers'])

            self.cms.app.faults.configure({})
            Institution.cms_sync([institution])
            self.settle()

            self.assertEqual(institution.cms_state, 'synced')
            self.assert_cms_holds(institution)
            self.assertEqual(
                self.logs(institution)[-1].state, 'success')

    @with_transaction()
    def test_push_final_error(self):
        "Test a refused token is not retried"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            Institution.submit([institution])
            self.configure(token='wrong')
            Institution.approve([institution])
            self.settle()

            self.assertEqual(institution.cms_state, 'failed')
            log, = self.logs(institution)
            self.assertEqual((log.status_code, log.state), (401, 'failed'))
            self.assertIn('UNAUTHORIZED', log.error)

    @with_transaction()
    def test_log_user(self):
        "Test the log names the user who synchronised, nobody for the cron"
        pool = Pool()
        Log = pool.get('reguarantee.cms.sync.log')
        company = create_company()
        with set_company(company):
            institution = self.create_institution(company)
            answer = Answer('PUT', 'http://cms.example.com/api')
            answer.outcome = 'transient'
            by_user = Log.add(institution, 'push', answer, 'retry')
            with Transaction().set_user(0):
                by_cron = Log.add(institution, 'push', answer, 'success')

            self.assertEqual(by_user.user.id, Transaction().user)
            self.assertIsNone(by_cron.user)

    @with_transaction()
    def test_changes_latest_data(self):
        "Test changes and status changes leave the latest data in the CMS"
        pool = Pool()
        Change = pool.get('reguarantee.institution.change')
        Institution = pool.get('reguarantee.institution')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            self.onboard(institution)
            self.settle()

            # the first answer is lost: the second push only repeats it
            self.cms.app.faults.configure({'faults': [
                        {'mode': 'timeout', 'delay': 2 * TIMEOUT,
                            'method': 'PUT', 'count': 1}]})
            change, = Change.create([{
                        'institution': institution.id,
                        'net_assets': Decimal('250000000'),
                        'name': "Institution One",
                        }])
            Change.submit([change])
            Change.approve([change])
            Institution.suspend([institution])
            self.settle()

            self.assert_cms_holds(institution)
            customer = self.customer(institution)
            self.assertEqual(
                (customer['name'], customer['netAssets'],
                    customer['status']),
                ("Institution One", '250000000.00', 'suspended'))
            changes = [
                (w['change'], w['fields'])
                for w in self.cms.app.state()['writes']]
            # both requests pushed the data as it was when they ran
            self.assertEqual(changes, [
                    ('created', [
                            'licenseExpiry', 'licenseNumber', 'name',
                            'netAssets', 'region', 'registeredCapital',
                            'sourceId', 'sourceSystem', 'status']),
                    ('updated', ['name', 'netAssets', 'status']),
                    ])
            self.assertEqual(
                [l.state for l in self.logs(institution)],
                ['success', 'retry', 'success'])

    @with_transaction()
    def test_lookup_existing_customer(self):
        "Test submission warns of a customer of another system"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        Warning = pool.get('res.user.warning')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            self.cms.app.configure({'customers': [{
                            'uscc': institution.uscc, 'name': "Legacy",
                            'sourceSystem': 'crm', 'sourceId': '7'}]})

            with self.assertRaises(CMSWarning) as cm:
                Institution.submit([institution])
            self.assertIn("Legacy", cm.exception.message)
            Warning.create([{
                        'user': Transaction().user,
                        'name': cm.exception.name,
                        }])
            self.onboard(institution)
            self.settle()

            self.assertEqual(institution.state, 'active')
            self.assert_cms_holds(institution)
            self.assertEqual(self.customer(institution)['customerId'],
                'C000001')

    @with_transaction()
    def test_lookup_duplicate(self):
        "Test submission refuses a USCC of another institution of ours"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            self.cms.app.configure({'customers': [{
                            'uscc': institution.uscc, 'name': "Other",
                            'sourceSystem': 'reguarantee',
                            'sourceId': str(institution.id + 1000)}]})

            with self.assertRaises(CMSDuplicateError):
                Institution.submit([institution])

    @with_transaction()
    def test_lookup_unavailable(self):
        "Test submission is refused at once while the CMS does not answer"
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        company = create_company()
        with set_company(company):
            self.configure()
            institution = self.create_institution(company)
            self.cms.app.faults.configure({'faults': [
                        {'mode': '503', 'method': 'GET', 'count': 1}]})

            with self.assertRaises(CMSUnavailableError) as cm:
                Institution.submit([institution])
            self.assertIn(institution.rec_name, cm.exception.message)
            # no retry waits in the user's transaction
            self.assertEqual(
                [(r['method'], r['status'])
                    for r in self.cms.app.state()['requests']],
                [('GET', 503)])

            # the CMS answers again: submitting again looks up again
            Institution.submit([institution])
            self.assertEqual(institution.state, 'submitted')
            self.assertEqual(
                [(r['method'], r['status'])
                    for r in self.cms.app.state()['requests']],
                [('GET', 503), ('GET', 404)])

    @with_transaction()
    def test_lookup_retry_queued(self):
        "Test a failed look-up is retried by the queue and serves the next"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Institution = pool.get('reguarantee.institution')
        Queue = pool.get('ir.queue')
        company = create_company()
        with set_company(company), set_queue_worker(True):
            self.configure()
            institution = self.create_institution(company)
            self.cms.app.faults.configure({'faults': [
                        {'mode': '503', 'method': 'GET', 'count': 2}]})

            # as the submission does, in the current transaction
            answer = institution.lookup_cms(
                Configuration(1).get_cms_client(), attempt=1)
            self.assertEqual(answer.outcome, 'transient')
            task, = Queue.search([
                    ('data.method', '=', 'retry_cms_lookup'),
                    ('finished_at', '=', None)])
            self.assertTrue(task.scheduled_at)
            self.assertEqual(list(task.data['args']), [2])
            task.run()
            task, = Queue.search([
                    ('data.method', '=', 'retry_cms_lookup'),
                    ('finished_at', '=', None)])
            self.assertEqual(list(task.data['args']), [3])
            task.run()

            self.assertEqual(
                [(l.attempt, l.state)
                    for l in self.logs(institution, 'lookup')],
                [(1, 'retry'), (2, 'retry'), (3, 'success')])
            self.assertFalse(Queue.search([('finished_at', '=', None)]))
            # the retry's answer serves the submission: the CMS is not asked
            Institution.submit([institution])
            self.assertEqual(institution.state, 'submitted')
            self.assertEqual(
                [r['status'] for r in self.cms.app.state()['requests']],
                [503, 503, 404])

    @with_transaction()
    def test_retry_delay(self):
        "Test the delay doubles, waits what the CMS asks and stops at an hour"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(cms_retry_delay=30)

        self.assertEqual(
            [configuration.get_cms_retry_delay(n) for n in [1, 2, 3, 10]],
            [30, 60, 120, 3600])
        self.assertEqual(configuration.get_cms_retry_delay(1, 90), 90)
        self.assertEqual(configuration.get_cms_retry_delay(1, 10 ** 6), 3600)
