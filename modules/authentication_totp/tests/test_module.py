# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import time
from unittest.mock import patch

import pyotp

from simulators.server import Simulator
from trytond import config
from trytond.exceptions import LoginException
from trytond.model.exceptions import AccessError
from trytond.modules.authentication_totp import sms
from trytond.modules.authentication_totp.exceptions import EnrolmentError
from trytond.modules.authentication_totp.res import RECOVERY_CODES, hash_code
from trytond.modules.reguarantee_base.tests.translation import (
    ZhCNTranslationTestMixin)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def unset_config(section, option):
    config._config.remove_option(section, option)
    config._cache_clear()


def set_config(test, section, option, value):
    "Set the configuration option for the test only"
    if not config.has_section(section):
        config.add_section(section)
    old = config.get(section, option)
    config.set(section, option, value)
    if old is None:
        test.addCleanup(unset_config, section, option)
    else:
        test.addCleanup(config.set, section, option, old)


class AuthenticationTOTPTestCase(ZhCNTranslationTestMixin, ModuleTestCase):
    "Test Authentication TOTP module"
    module = 'authentication_totp'

    def setUp(self):
        super().setUp()
        set_config(self, 'session', 'authentications', 'password+totp')
        # no sleep after the failed attempts
        patcher = patch('trytond.res.user.random.randint', return_value=0)
        patcher.start()
        self.addCleanup(patcher.stop)

    def create_user(self, login='staff', required=False):
        pool = Pool()
        User = pool.get('res.user')
        Group = pool.get('res.group')
        group, = Group.create([{
                    'name': f'{login} group',
                    'second_factor_required': required,
                    }])
        user, = User.create([{
                    'name': login,
                    'login': login,
                    'password': 'secret-password-1',
                    'groups': [('add', [group.id])],
                    }])
        return user

    def enrol(self, user):
        "Enrol the user as the wizard does; return the TOTP and the codes"
        secret = pyotp.random_base32()
        counter = int(time.time() // 30) - 5
        codes = user.enrol_totp(secret, counter)
        return pyotp.TOTP(secret), codes

    def login(self, login='staff', **parameters):
        User = Pool().get('res.user')
        parameters.setdefault('password', 'secret-password-1')
        return User.get_login(login, parameters)

    @with_transaction()
    def test_group_default_required(self):
        "Test every new group requires the second factor by default"
        Group = Pool().get('res.group')
        group, = Group.create([{'name': "Staff"}])
        self.assertTrue(group.second_factor_required)

    @with_transaction()
    def test_login_not_required(self):
        "Test a user neither enrolled nor required logs in with the password"
        user = self.create_user()
        self.assertEqual(self.login(), user.id)
        self.assertFalse(self.login(password='wrong'))

    @with_transaction()
    def test_login_required_not_enrolled(self):
        "Test a required user who has not enrolled cannot log in by password"
        user = self.create_user(required=True)
        self.assertTrue(user.second_factor_required)
        self.assertFalse(self.login())

    @with_transaction()
    def test_login_totp(self):
        "Test the login with a one-time code, once each"
        user = self.create_user(required=True)
        totp, _ = self.enrol(user)

        with self.assertRaises(LoginException) as cm:
            self.login()
        self.assertEqual(cm.exception.name, 'totp_code')
        self.assertEqual(cm.exception.type, 'char')
        # the code is asked after the password only
        self.assertFalse(self.login(password='wrong', totp_code=totp.now()))
        wrong = str((int(totp.now()) + 1) % 1000000).zfill(6)
        self.assertFalse(self.login(totp_code=wrong))
        self.assertFalse(self.login(totp_code=''))

        code = totp.now()
        self.assertEqual(self.login(totp_code=code), user.id)
        # replayed
        self.assertFalse(self.login(totp_code=code))

    @with_transaction()
    def test_check_totp_window(self):
        "Test the codes of the previous and next periods are accepted"
        User = Pool().get('res.user')
        user = self.create_user()
        secret = pyotp.random_base32()
        totp = pyotp.TOTP(secret)
        now = time.time()
        for offset, valid in [(-60, False), (-30, True), (30, True),
                (90, False)]:
            code = totp.at(now + offset)
            self.assertEqual(
                User._check_totp(user.id, secret, None, code, _now=now),
                valid, offset)

    @with_transaction()
    def test_login_recovery_code(self):
        "Test each recovery code logs in once"
        pool = Pool()
        User = pool.get('res.user')
        RecoveryCode = pool.get('res.user.recovery_code')
        user = self.create_user(required=True)
        _, codes = self.enrol(user)
        self.assertEqual(len(codes), RECOVERY_CODES)
        self.assertEqual(len(set(codes)), RECOVERY_CODES)
        # only hashes are stored
        stored = {r.code_hash for r in RecoveryCode.search([])}
        self.assertFalse(set(codes) & stored)
        self.assertEqual(stored, {hash_code(c) for c in codes})

        self.assertEqual(
            self.login(totp_code=codes[0].upper()), user.id)
        self.assertFalse(self.login(totp_code=codes[0]))
        self.assertEqual(User(user.id).recovery_codes_left, 9)

    @with_transaction()
    def test_reset(self):
        "Test the reset forgets the authenticator and the recovery codes"
        User = Pool().get('res.user')
        user = self.create_user()
        totp, codes = self.enrol(user)
        User.totp_reset([user])
        user = User(user.id)
        self.assertFalse(user.totp_enrolled)
        self.assertEqual(user.recovery_codes_left, 0)
        self.assertEqual(self.login(), user.id)

    @with_transaction()
    def test_secret_not_readable(self):
        "Test no user reads or writes the secret through RPC"
        User = Pool().get('res.user')
        user = self.create_user()
        self.enrol(user)
        self.assertIsNone(User.read([user.id], ['totp_secret'])[0][
                'totp_secret'])
        admin, = User.search([('login', '=', 'admin')])
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                User.read([user.id], ['totp_secret'])
            with self.assertRaises(AccessError):
                User.write([user], {'totp_secret': 'A' * 32})
            with self.assertRaises(AccessError):
                User.search([('totp_secret', '!=', None)])
            # an administrator copies a user without his authenticator
            copy, = User.copy([user], {'login': 'staff2'})
        self.assertIsNone(User._get_totp(copy.id)[0])
        # nor does the user forget his enrolment from his preferences
        with Transaction().set_user(user.id):
            User.set_preferences({'totp_enrolled': None, 'name': "Staff"})
        user = User(user.id)
        self.assertEqual(user.name, "Staff")
        self.assertTrue(user.totp_enrolled)
        self.assertIsNotNone(User._get_totp(user.id)[0])

    @with_transaction()
    def test_login_log(self):
        "Test every outcome of a login is logged with the factors"
        pool = Pool()
        Log = pool.get('res.user.login.log')
        user = self.create_user()
        totp, codes = self.enrol(user)

        with self.assertRaises(LoginException):
            self.login()
        self.assertFalse(Log.search([]))

        self.login(totp_code='12345x')
        self.login(totp_code=totp.now())
        self.login('nobody')
        logs = Log.search([], order=[('id', 'ASC')])
        self.assertEqual(
            [(l.login, l.user, l.method, l.result) for l in logs], [
                ('staff', None, 'password+recovery', 'failure'),
                ('staff', user, 'password+totp', 'success'),
                ('nobody', None, 'password', 'failure'),
                ])

    @with_transaction()
    def test_login_log_access(self):
        "Test only administrators read the login log"
        pool = Pool()
        User = pool.get('res.user')
        Log = pool.get('res.user.login.log')
        user = self.create_user()
        self.login()
        admin, = User.search([('login', '=', 'admin')])
        with Transaction().set_context(_check_access=True):
            with Transaction().set_user(admin.id):
                self.assertEqual(len(Log.search([])), 1)
                with self.assertRaises(AccessError):
                    Log.write(Log.search([]), {'result': 'success'})
            with Transaction().set_user(user.id):
                with self.assertRaises(AccessError):
                    Log.search([])

    @with_transaction()
    def test_enrol_wizard(self):
        "Test the enrolment checks the code and gives the recovery codes"
        pool = Pool()
        User = pool.get('res.user')
        Enrol = pool.get('res.user.totp.enrol', type='wizard')
        user = self.create_user()

        with Transaction().set_user(user.id):
            session_id, _, _ = Enrol.create()
            enrol = Enrol(session_id)
            values = enrol.default_start(None)
            self.assertTrue(values['qr_code'].startswith(b'\x89PNG'))
            self.assertIn('otpauth://totp/', values['uri'])
            self.assertIn('staff', values['uri'])
            enrol.start.secret = values['secret']
            totp = pyotp.TOTP(values['secret'])

            enrol.start.code = str((int(totp.now()) + 1) % 1000000).zfill(6)
            with self.assertRaises(EnrolmentError):
                enrol.transition_confirm()
            self.assertFalse(User(user.id).totp_enrolled)

            enrol.start.code = totp.now()
            self.assertEqual(enrol.transition_confirm(), 'done')
            codes = enrol.default_done(None)['recovery_codes'].split()
            self.assertEqual(len(codes), RECOVERY_CODES)
        user = User(user.id)
        self.assertTrue(user.totp_enrolled)
        self.assertEqual(user.recovery_codes_left, RECOVERY_CODES)
        # the code of the enrolment cannot be used again at login
        self.assertFalse(self.login(totp_code=totp.now()))
        self.assertEqual(self.login(totp_code=codes[1]), user.id)

    @with_transaction()
    def test_login_sms_alternative(self):
        "Test a required user without authenticator logs in by SMS"
        pool = Pool()
        User = pool.get('res.user')
        set_config(
            self, 'session', 'authentications',
            'password+totp,password+sms')
        set_config(
            self, 'authentication_sms', 'function',
            'trytond.modules.authentication_totp.sms.send')
        user = self.create_user(required=True)
        User.write([user], {'mobile': '+8613800000000'})

        with Simulator('sms', tokens=['sms-token']) as gateway:
            set_config(self, 'authentication_totp', 'sms_url', gateway.url)
            set_config(self, 'authentication_totp', 'sms_token', 'sms-token')
            with self.assertRaises(LoginException) as cm:
                self.login()
            self.assertEqual(cm.exception.name, 'sms_code')
            message, = gateway.app.state()['messages']
            self.assertEqual(message['to'], '+8613800000000')
            code = [w for w in message['text'].split() if w.isdigit()][0]
            self.assertEqual(self.login(sms_code=code), user.id)

    def test_sms_send_errors(self):
        "Test a gateway error is logged, not raised"
        with Simulator('sms', tokens=['sms-token']) as gateway:
            set_config(self, 'authentication_totp', 'sms_url', gateway.url)
            set_config(self, 'authentication_totp', 'sms_token', 'wrong')
            with self.assertLogs(sms.logger, 'ERROR'):
                self.assertIsNone(sms.send("code 1", '+8613800000000'))
            self.assertEqual(gateway.app.state()['messages'], [])
            set_config(self, 'authentication_totp', 'sms_token', 'sms-token')
            self.assertTrue(sms.send("code 1", '+8613800000000'))
            self.assertEqual(len(gateway.app.state()['messages']), 1)


del ModuleTestCase
