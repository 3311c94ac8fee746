# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
import time

import pyotp
import segno
from sql import Null
from sql.aggregate import Count

from trytond import config
from trytond.exceptions import LoginException, RateLimitException
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import EnrolmentError

RECOVERY_CODES = 10
TOTP_CODE = re.compile(r'^\d{6}$')


def hash_code(code):
    "Return the hash of a recovery code, whatever its dashes and case"
    code = re.sub(r'[\s-]', '', code or '').lower()
    return hashlib.sha256(code.encode()).hexdigest()


def new_recovery_code():
    "Return a random recovery code (50 bits) as xxxxx-xxxxx"
    code = secrets.token_hex(5)
    return f'{code[:5]}-{code[5:]}'


def login_method(parameters):
    "Return the factors given in the login parameters, e.g. password+totp"
    factors = []
    if 'password' in parameters:
        factors.append('password')
    if 'totp_code' in parameters:
        code = (parameters['totp_code'] or '').strip()
        factors.append('totp' if TOTP_CODE.match(code) else 'recovery')
    if 'sms_code' in parameters:
        factors.append('sms')
    return '+'.join(factors) or None


class Group(metaclass=PoolMeta):
    __name__ = 'res.group'
    second_factor_required = fields.Boolean(
        "Second Factor Required",
        help="Require a second factor (authenticator app, recovery code or "
        "SMS) at login from the members of the group, "
        "when the server's authentications include \"totp\".")

    @classmethod
    def default_second_factor_required(cls):
        return config.getboolean(
            'authentication_totp', 'required_default', default=True)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    # Never readable, writable nor searchable through RPC, by anyone
    # (ir.model.field.access of res.xml; read() blanks it too, as trytond
    # does for password_hash); lazy so that clients reading every eager
    # field of a user (proteus) do not ask for them
    totp_secret = fields.Char(
        "Authenticator Secret", strip=False, loading='lazy')
    totp_last_counter = fields.Integer(
        "Authenticator Last Counter", loading='lazy')
    totp_enrolled = fields.DateTime("Authenticator Enrolled", readonly=True)
    recovery_codes_left = fields.Function(
        fields.Integer("Recovery Codes Left"), 'get_recovery_codes_left')
    second_factor_required = fields.Function(
        fields.Boolean("Second Factor Required"),
        'get_second_factor_required')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields.extend([
                'totp_enrolled', 'recovery_codes_left',
                'second_factor_required'])
        cls._buttons.update({
                'totp_reset': {
                    'invisible': ~Bool(Eval('totp_enrolled')),
                    'depends': ['totp_enrolled'],
                    },
                })

    @classmethod
    def set_preferences(cls, values):
        # shown in the preferences, changed only by the enrolment and reset
        values = {k: v for k, v in values.items() if k not in {
                'totp_enrolled', 'recovery_codes_left',
                'second_factor_required'}}
        super().set_preferences(values)

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        cache = Transaction().get_cache().get(cls.__name__)
        for values in result:
            if 'totp_secret' in values:
                values['totp_secret'] = None
            if cache and values['id'] in cache:
                cache[values['id']]['totp_secret'] = None
        return result

    @classmethod
    def copy(cls, users, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('totp_secret')
        default.setdefault('totp_last_counter')
        default.setdefault('totp_enrolled')
        return super().copy(users, default=default)

    @classmethod
    def get_recovery_codes_left(cls, users, name):
        pool = Pool()
        RecoveryCode = pool.get('res.user.recovery_code')
        code = RecoveryCode.__table__()
        cursor = Transaction().connection.cursor()
        result = {u.id: 0 for u in users}
        cursor.execute(*code.select(
                code.user, Count(code.id),
                where=code.user.in_(list(result))
                & (code.used == Null),
                group_by=code.user))
        result.update(cursor)
        return result

    @classmethod
    def get_second_factor_required(cls, users, name):
        return {u.id: cls._second_factor_required(u.id) for u in users}

    @classmethod
    def _second_factor_required(cls, user_id):
        "Tell if a group of the user requires the second factor"
        pool = Pool()
        UserGroup = pool.get('res.user-res.group')
        Group = pool.get('res.group')
        user_group = UserGroup.__table__()
        group = Group.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*user_group.join(
                group, condition=user_group.group == group.id).select(
                user_group.id,
                where=(user_group.user == user_id)
                & (group.second_factor_required == True),  # noqa: E712
                limit=1))
        return bool(cursor.fetchone())

    @classmethod
    def _get_totp(cls, user_id):
        "Return the secret and the last counter used of the user"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.totp_secret, table.totp_last_counter,
                where=table.id == user_id))
        return cursor.fetchone() or (None, None)

    @classmethod
    def get_login(cls, login, parameters):
        pool = Pool()
        LoginLog = pool.get('res.user.login.log')
        try:
            user_id = super().get_login(login, parameters)
        except RateLimitException:
            LoginLog.add(login, None, parameters, 'rate_limited')
            raise
        # A LoginException (one more factor asked) is not an outcome yet
        LoginLog.add(
            login, user_id, parameters, 'success' if user_id else 'failure')
        return user_id

    @classmethod
    def _login_totp(cls, login, parameters):
        """Check the one-time code of the user's authenticator app or one of
        his recovery codes.

        A user who has not enrolled passes unless a group of his requires the
        second factor: then this method fails without asking anything, so
        that the next authentication of the server (e.g. password+sms) is
        tried."""
        pool = Pool()
        RecoveryCode = pool.get('res.user.recovery_code')
        user_id = cls._get_login(login)[0]
        if not user_id:
            return
        secret, last_counter = cls._get_totp(user_id)
        if not secret:
            if cls._second_factor_required(user_id):
                return
            return user_id
        if 'totp_code' not in parameters:
            msg = gettext('authentication_totp.msg_user_totp_code',
                login=login)
            raise LoginException('totp_code', msg, type='char')
        code = (parameters['totp_code'] or '').strip()
        if not code:
            return
        if TOTP_CODE.match(code):
            if cls._check_totp(user_id, secret, last_counter, code):
                return user_id
        elif RecoveryCode.use(user_id, code):
            return user_id

    @classmethod
    def _check_totp(cls, user_id, secret, last_counter, code, _now=None):
        """Check the code against the current period and its neighbours; a
        code is accepted once (RFC 6238 section 5.2)"""
        totp = pyotp.TOTP(secret)
        now = time.time() if _now is None else _now
        current = int(now // totp.interval)
        for counter in [current, current - 1, current + 1]:
            if last_counter is not None and counter <= last_counter:
                continue
            if hmac.compare_digest(totp.generate_otp(counter), code):
                table = cls.__table__()
                cursor = Transaction().connection.cursor()
                cursor.execute(*table.update(
                        [table.totp_last_counter], [counter],
                        where=table.id == user_id))
                return True
        return False

    @classmethod
    @ModelView.button
    def totp_reset(cls, users):
        "Forget the authenticator and the recovery codes of the users"
        pool = Pool()
        RecoveryCode = pool.get('res.user.recovery_code')
        with without_check_access():
            cls.write(users, {
                    'totp_secret': None,
                    'totp_last_counter': None,
                    'totp_enrolled': None,
                    })
            RecoveryCode.delete(RecoveryCode.search([
                        ('user', 'in', [u.id for u in users]),
                        ]))

    def enrol_totp(self, secret, counter):
        """Keep the secret of the authenticator confirmed at counter and
        return new recovery codes"""
        pool = Pool()
        RecoveryCode = pool.get('res.user.recovery_code')
        with without_check_access():
            self.write([self], {
                    'totp_secret': secret,
                    'totp_last_counter': counter,
                    'totp_enrolled': dt.datetime.now(),
                    })
        return RecoveryCode.generate(self)


class UserRecoveryCode(ModelSQL):
    "Recovery code of a user: its hash, used once"
    __name__ = 'res.user.recovery_code'
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    code_hash = fields.Char("Code Hash", required=True, strip=False)
    used = fields.DateTime("Used")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.user, Index.Range()),
                (t.code_hash, Index.Equality(cardinality='high'))))

    @classmethod
    def generate(cls, user):
        "Replace the recovery codes of the user and return the new ones"
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        with without_check_access():
            cls.delete(cls.search([('user', '=', user.id)]))
            cls.create([{
                        'user': user.id,
                        'code_hash': hash_code(c),
                        } for c in codes])
        return codes

    @classmethod
    def use(cls, user_id, code):
        "Mark the unused code of the user as used and tell if there was one"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id,
                where=(table.user == user_id)
                & (table.code_hash == hash_code(code))
                & (table.used == Null),
                limit=1))
        row = cursor.fetchone()
        if not row:
            return False
        cursor.execute(*table.update(
                [table.used], [dt.datetime.now()],
                where=(table.id == row[0]) & (table.used == Null)))
        return True


class LoginLog(ModelSQL, ModelView):
    "Login Log"
    __name__ = 'res.user.login.log'
    date = fields.DateTime("Date", readonly=True)
    login = fields.Char("Login", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    ip_address = fields.Char("IP Address", readonly=True)
    ip_network = fields.Char("IP Network", readonly=True)
    method = fields.Char(
        "Method", readonly=True,
        help="The factors given: password, totp (authenticator app), "
        "recovery (recovery code), sms.")
    result = fields.Selection([
            ('success', "Success"),
            ('failure', "Failure"),
            ('rate_limited', "Too Many Attempts"),
            ], "Result", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range(order='DESC'))),
                Index(t, (t.login, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def add(cls, login, user_id, parameters, result):
        ip_address, ip_network = Transaction().remote_address()
        with without_check_access():
            cls.create([{
                        'date': dt.datetime.now(),
                        'login': (login or '')[:512],
                        'user': user_id,
                        'ip_address': str(ip_address) if ip_address else None,
                        'ip_network': str(ip_network) if ip_network else None,
                        'method': login_method(parameters),
                        'result': result,
                        }])


class EnrolStart(ModelView):
    "Enrol Authenticator"
    __name__ = 'res.user.totp.enrol.start'
    qr_code = fields.Binary("QR Code", readonly=True)
    secret = fields.Char(
        "Secret Key", readonly=True,
        help="To type in the app when the QR code cannot be scanned.")
    uri = fields.Char("URI", readonly=True)
    code = fields.Char(
        "Code", required=True,
        help="The 6-digit code the app shows once it has the key.")


class EnrolDone(ModelView):
    "Enrol Authenticator"
    __name__ = 'res.user.totp.enrol.done'
    recovery_codes = fields.Text(
        "Recovery Codes", readonly=True,
        help="Keep them in a safe place: each logs in once "
        "instead of a code of the app.")


class Enrol(Wizard):
    "Enrol Authenticator"
    __name__ = 'res.user.totp.enrol'
    start = StateView('res.user.totp.enrol.start',
        'authentication_totp.enrol_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Confirm", 'confirm', 'tryton-ok', default=True),
            ])
    confirm = StateTransition()
    done = StateView('res.user.totp.enrol.done',
        'authentication_totp.enrol_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @classmethod
    def check_access(cls):
        # The wizard works on the current user only, whatever the active
        # records: it needs no write access on res.user when it is run from
        # a user's form
        context = Transaction().context
        if context.get('active_model') == 'res.user':
            with Transaction().set_context(
                    active_model=None, active_id=None, active_ids=None):
                return super().check_access()
        return super().check_access()

    @property
    def user(self):
        "The user enrols himself only, whatever the active record"
        return Pool().get('res.user')(Transaction().user)

    def default_start(self, fields):
        secret = pyotp.random_base32()
        issuer = config.get(
            'authentication_totp', 'issuer', default='Tryton')
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=self.user.login, issuer_name=issuer)
        qr_code = io.BytesIO()
        segno.make(uri, error='m').save(
            qr_code, kind='png', scale=5, border=2)
        return {
            'secret': secret,
            'uri': uri,
            'qr_code': qr_code.getvalue(),
            }

    def transition_confirm(self):
        totp = pyotp.TOTP(self.start.secret)
        code = (self.start.code or '').strip()
        now = time.time()
        current = int(now // totp.interval)
        for counter in [current, current - 1, current + 1]:
            if hmac.compare_digest(totp.generate_otp(counter), code):
                break
        else:
            raise EnrolmentError(
                gettext('authentication_totp.msg_enrol_code_invalid'))
        codes = self.user.enrol_totp(self.start.secret, counter)
        self.done.recovery_codes = '\n'.join(codes)
        return 'done'

    def default_done(self, fields):
        return {
            'recovery_codes': self.done.recovery_codes,
            }
