# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Synchronisation of the institutions with the customer management system

Onboarding looks the USCC up in the CMS; approval, status changes and
approved change requests push the institution's data through the queue
(ir.queue), retried with a growing delay until the CMS has it.  The push is
an idempotent PUT by USCC of the data as it is when the task runs, so that a
retry, a duplicate task or a late task never leaves older data in the CMS.
One reguarantee.cms.sync per institution holds the state of its
synchronisation (and is locked while pushing: concurrent pushes of one
institution are serialised); every exchange is kept in
reguarantee.cms.sync.log."""
import datetime as dt
import logging
import time
from decimal import Decimal

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import CMSDuplicateError, CMSUnavailableError, CMSWarning

logger = logging.getLogger(__name__)

#: The name of this system in the CMS (sourceSystem)
SOURCE_SYSTEM = 'reguarantee'
#: The CMS status of each institution state that is pushed
CMS_STATUS = {
    'active': 'active',
    'suspended': 'suspended',
    'deregistered': 'deregistered',
    }
#: Look-ups tried at submission before the CMS is said unavailable, and the
#: seconds waited before each retry
LOOKUP_DELAYS = [0.5, 1]


class Sync(ModelSQL, ModelView):
    __name__ = 'reguarantee.cms.sync'

    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='CASCADE', readonly=True)
    customer = fields.Char(
        "CMS Customer", readonly=True,
        help="The identifier the CMS gave to the institution.")
    state = fields.Selection([
            ('pending', "Pending"),
            ('synced', "Synchronised"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    revision = fields.Integer(
        "Revision", required=True, readonly=True,
        help="Counts the pushes requested; a push and its retries send "
        "the same idempotency key.")
    attempts = fields.Integer(
        "Attempts", required=True, readonly=True,
        help="The attempts of the current revision.")
    next_attempt = fields.Timestamp("Next Attempt", readonly=True)
    synced_date = fields.Timestamp("Synchronised at", readonly=True)
    logs = fields.One2Many(
        'reguarantee.cms.sync.log', 'sync', "Log", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('institution_unique', Unique(t, t.institution),
                'reguarantee_base.msg_cms_sync_institution_unique'),
            ]
        cls._sql_indexes.add(Index(
                t, (t.state, Index.Equality(cardinality='low')),
                (t.next_attempt, Index.Range())))

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_revision(cls):
        return 0

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return self.institution.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('institution.rec_name', *clause[1:])]

    @classmethod
    def request(cls, institutions):
        """Queue a push of the institutions' current data to the CMS, when
        it is configured"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        if not institutions or not Configuration(1).get_cms_client():
            return
        syncs = cls.search([('institution', 'in', [
                        i.id for i in institutions])])
        by_institution = {s.institution.id: s for s in syncs}
        now = dt.datetime.now()
        to_save = []
        for institution in institutions:
            sync = by_institution.get(institution.id) or cls(
                institution=institution, revision=0)
            sync.revision += 1
            sync.state = 'pending'
            sync.attempts = 0
            sync.next_attempt = now
            to_save.append(sync)
        cls.save(to_save)
        cls.__queue__.process(to_save)

    @classmethod
    def process(cls, syncs):
        "Push the pending syncs that are due (the queue task)"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        client = Configuration(1).get_cms_client()
        if client is None:
            return
        for sync in syncs:
            cls.lock([sync])
            # read again under the lock
            sync = cls(sync.id)
            if sync.state == 'pending' and (
                    not sync.next_attempt
                    or sync.next_attempt <= dt.datetime.now()):
                sync.push(client)

    @classmethod
    def process_due(cls):
        "Push the pending syncs whose retry is due (the cron task)"
        syncs = cls.search([
                ('state', '=', 'pending'),
                ['OR',
                    ('next_attempt', '=', None),
                    ('next_attempt', '<=', dt.datetime.now()),
                    ],
                ])
        cls.process(syncs)

    def get_idempotency_key(self):
        database = Transaction().database.name
        return f'{database}-institution-{self.institution.id}-{self.revision}'

    def push(self, client):
        "Push the institution's data, log the attempt and plan a retry"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Log = pool.get('reguarantee.cms.sync.log')
        configuration = Configuration(1)
        institution = self.institution
        answer = client.put_customer(
            institution.uscc, institution.get_cms_values(),
            self.get_idempotency_key())
        self.attempts += 1
        if answer.outcome == 'success':
            self.state = 'synced'
            self.customer = answer.data.get('customerId') or self.customer
            self.synced_date = dt.datetime.now()
            self.next_attempt = None
            log_state = 'success'
        elif (answer.outcome == 'transient'
                and self.attempts < configuration.cms_max_attempts):
            delay = configuration.get_cms_retry_delay(
                self.attempts, answer.retry_after)
            self.next_attempt = (
                dt.datetime.now() + dt.timedelta(seconds=delay))
            log_state = 'retry'
        else:
            self.state = 'failed'
            self.next_attempt = None
            log_state = 'failed'
        self.save()
        Log.add(institution, 'push', answer, log_state, sync=self,
            attempt=self.attempts)
        if log_state == 'retry' and config.getboolean(
                'queue', 'worker', default=False):
            # Without a worker the task would run at once: the cron
            # (process_due) retries instead
            with Transaction().set_context(
                    queue_scheduled_at=self.next_attempt - dt.datetime.now()):
                self.__class__.__queue__.process([self])


class SyncLog(ModelSQL, ModelView):
    __name__ = 'reguarantee.cms.sync.log'

    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        ondelete='CASCADE', readonly=True)
    sync = fields.Many2One(
        'reguarantee.cms.sync', "Synchronisation", ondelete='CASCADE',
        readonly=True)
    operation = fields.Selection([
            ('lookup', "Look-up"),
            ('push', "Push"),
            ], "Operation", required=True, readonly=True)
    attempt = fields.Integer("Attempt", readonly=True)
    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    method = fields.Char("Method", readonly=True)
    url = fields.Char("URL", readonly=True)
    idempotency_key = fields.Char("Idempotency Key", readonly=True)
    request_body = fields.Text("Request", readonly=True)
    status_code = fields.Integer("HTTP Status", readonly=True)
    response_body = fields.Text("Response", readonly=True)
    error = fields.Text("Error", readonly=True)
    duration = fields.Float("Duration (ms)", digits=(16, 1), readonly=True)
    state = fields.Selection([
            ('success', "Success"),
            ('retry', "Failed, Retried"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.institution, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return (f'{self.institution.rec_name} {self.method} '
            f'{self.status_code or ""}').strip()

    @classmethod
    def add(cls, institution, operation, answer, state, **values):
        "Log the answer of the CMS"
        log = cls(
            institution=institution, operation=operation, state=state,
            date=dt.datetime.now(),
            # the cron retries as root, whose name is no user's
            user=Transaction().user or None,
            **answer.log_values(), **values)
        log.save()
        logger.info(
            "CMS %s of %s: %s %s %s (%s ms)", operation, institution.uscc,
            state, answer.status_code or '', answer.error or '',
            answer.duration)
        return log


class Institution(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution'

    cms_customer = fields.Function(
        fields.Char(
            "CMS Customer",
            help="The identifier of the institution in the customer "
            "management system."),
        'get_cms_sync')
    cms_state = fields.Function(
        fields.Selection([
                (None, ""),
                ('pending', "Pending"),
                ('synced', "Synchronised"),
                ('failed', "Failed"),
                ], "CMS Synchronisation",
            help="Whether the customer management system holds the "
            "institution's latest data."),
        'get_cms_sync')
    cms_logs = fields.One2Many(
        'reguarantee.cms.sync.log', 'institution', "CMS Log", readonly=True,
        help="Every exchange with the customer management system.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'cms_sync': {
                    'invisible': ~Eval('state').in_(list(CMS_STATUS)),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def get_cms_sync(cls, institutions, names):
        pool = Pool()
        Sync = pool.get('reguarantee.cms.sync')
        result = {n: dict.fromkeys(map(int, institutions)) for n in names}
        with without_check_access():
            syncs = Sync.search([
                    ('institution', 'in', list(map(int, institutions))),
                    ])
        for sync in syncs:
            if 'cms_customer' in result:
                result['cms_customer'][sync.institution.id] = sync.customer
            if 'cms_state' in result:
                result['cms_state'][sync.institution.id] = sync.state
        return result

    @classmethod
    def copy(cls, institutions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('cms_logs', None)
        return super().copy(institutions, default=default)

    def get_cms_values(self):
        "Return the customer of the CMS for the institution (a PUT body)"
        digits = self.currency.digits if self.currency else 2

        def text(value):
            if value is None:
                return None
            elif isinstance(value, dt.date):
                return value.isoformat()
            return str(Decimal(value).quantize(Decimal(1).scaleb(-digits)))
        return {
            'name': self.name,
            'registeredCapital': text(self.registered_capital),
            'netAssets': text(self.net_assets),
            'region': self.region,
            'licenseNumber': self.license_number,
            'licenseExpiry': text(self.license_expiry),
            'status': CMS_STATUS.get(self.state, 'active'),
            'sourceSystem': SOURCE_SYSTEM,
            'sourceId': str(self.id),
            }

    def check_onboarding(self):
        super().check_onboarding()
        # Submitted only once: at approval the check is not repeated
        if self.state == 'draft':
            self.check_cms_uniqueness()

    def check_cms_uniqueness(self):
        """Check that the CMS knows no other customer with the USCC

        Skipped when the CMS is not configured.  A customer of another
        source system is a warning (the push will update it), another
        institution of this system an error."""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Log = pool.get('reguarantee.cms.sync.log')
        Warning = pool.get('res.user.warning')
        client = Configuration(1).get_cms_client()
        if client is None:
            return
        for attempt, delay in enumerate([*LOOKUP_DELAYS, None], 1):
            answer = client.get_customer(self.uscc)
            retry = answer.outcome == 'transient' and delay is not None
            if answer.outcome == 'success':
                state = 'success'
            else:
                state = 'retry' if retry else 'failed'
            Log.add(self, 'lookup', answer, state, attempt=attempt)
            if not retry:
                break
            time.sleep(delay)
        if answer.outcome != 'success':
            raise CMSUnavailableError(gettext(
                    'reguarantee_base.msg_institution_cms_unavailable',
                    institution=self.rec_name,
                    error=answer.error or answer.status_code))
        customer = answer.data
        if not customer:
            return
        source = customer.get('sourceSystem')
        if source == SOURCE_SYSTEM and customer.get('sourceId') == str(
                self.id):
            return
        params = {
            'institution': self.rec_name,
            'uscc': self.uscc,
            'customer': customer.get('customerId', ''),
            'name': customer.get('name', ''),
            'source': source or '',
            }
        if source == SOURCE_SYSTEM:
            raise CMSDuplicateError(gettext(
                    'reguarantee_base.msg_institution_cms_duplicate',
                    **params))
        key = Warning.format('reguarantee_cms_customer', [self])
        if Warning.check(key):
            raise CMSWarning(key, gettext(
                    'reguarantee_base.msg_institution_cms_customer',
                    **params))

    @classmethod
    def approve(cls, institutions):
        super().approve(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def suspend(cls, institutions):
        super().suspend(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def reactivate(cls, institutions):
        super().reactivate(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def deregister(cls, institutions):
        super().deregister(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    @ModelView.button
    def cms_sync(cls, institutions):
        cls.request_cms_sync(institutions)

    @classmethod
    def request_cms_sync(cls, institutions):
        """Queue a push to the CMS of those of the institutions in a state
        the CMS knows"""
        pool = Pool()
        Sync = pool.get('reguarantee.cms.sync')
        # the button rules may have left some in their state
        institutions = cls.browse(institutions)
        with without_check_access():
            Sync.request([i for i in institutions if i.state in CMS_STATUS])


class InstitutionChange(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution.change'

    @classmethod
    def approve(cls, changes):
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        super().approve(changes)
        Institution.request_cms_sync(list({
                    c.institution for c in cls.browse(changes)
                    if c.state == 'approved'}))
