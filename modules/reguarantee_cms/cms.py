# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Synchronisation of the institutions with the customer management system

Approval, status changes and approved change requests push the
institution's data through the queue (ir.queue), retried with a growing
delay until the CMS has it.  The push is an idempotent PUT by USCC of the
data as it is when the task runs, so that a retry, a duplicate task or a
late task never leaves older data in the CMS.  One reguarantee.cms.sync per
institution holds the state of its synchronisation (and is locked while
pushing: concurrent pushes of one institution are serialised); every
exchange is kept in reguarantee.cms.sync.log (the look-up at submission:
institution.py)."""
import datetime as dt
import json
import logging

import trytond.config as config
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.reguarantee_base.exchange import ExchangeLogMixin
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

#: The name of this system in the CMS (sourceSystem)
SOURCE_SYSTEM = 'reguarantee'
#: The CMS status of each institution state that is pushed
CMS_STATUS = {
    'active': 'active',
    'suspended': 'suspended',
    'deregistered': 'deregistered',
    }


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
                'reguarantee_cms.msg_cms_sync_institution_unique'),
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
        Log.add(institution, 'push', answer, log_state, sync=self.id,
            attempt=self.attempts)
        if log_state == 'retry' and config.getboolean(
                'queue', 'worker', default=False):
            # Without a worker the task would run at once: the cron
            # (process_due) retries instead
            with Transaction().set_context(
                    queue_scheduled_at=self.next_attempt - dt.datetime.now()):
                self.__class__.__queue__.process([self])


class SyncLog(ExchangeLogMixin, ModelSQL, ModelView):
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

    def get_rec_name(self, name):
        return (f'{self.institution.rec_name} {self.method} '
            f'{self.status_code or ""}').strip()

    @classmethod
    def add(cls, institution, operation, answer, state, **values):
        "Log the answer of the CMS"
        log = cls.log_exchange(
            answer, institution=institution.id, operation=operation,
            state=state, **values)
        logger.info(
            "CMS %s of %s: %s %s %s (%s ms)", operation, institution.uscc,
            state, answer.status_code or '', answer.error or '',
            answer.duration)
        return log

    @classmethod
    def get_lookup(cls, institution, url, since):
        """Return whether a look-up of the url for the institution succeeded
        since the date, and the customer it found (None for none)"""
        logs = cls.search([
                ('institution', '=', institution.id),
                ('operation', '=', 'lookup'),
                ('state', '=', 'success'),
                ('url', '=', url),
                ('date', '>=', since),
                ], order=[('date', 'DESC'), ('id', 'DESC')], limit=1)
        if not logs:
            return False, None
        log, = logs
        if log.status_code == 404:
            return True, None
        return True, json.loads(log.response_body)
