# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Look-ups of business information: the requests to the provider, each
exchange's log, and each answer kept as a version of its subject"""
import datetime as dt
import json
import logging
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from sql import Column, Literal
from sql.aggregate import Max

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.exchange import ExchangeLogMixin
from trytond.modules.reguarantee_base.model import (
    PrevalidatedMixin, create_in_bulk)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .client import fetch_reports
from .exceptions import LookupAccessError
from .provider import BUSINESSES

logger = logging.getLogger(__name__)
#: The most values in one SQL IN list
IN_MAX = backend.MAX_QUERY_PARAMS
#: The borrower kinds registered with an unified social credit code, the
#: only ones a business-information provider knows
REGISTERED_KINDS = {'enterprise', 'individual_business'}
#: The states of the projects whose borrowers are refreshed periodically
LIVE_STATES = ['submitted', 'filed', 'compensating']


def update_in_bulk(Model, names, rows):
    """Write the rows (record id, value of each name) on the records of
    Model with one statement executed for many rows

    For the module's own fields that no hook watches, each record with its
    own values (Model.write would update them one by one and validate
    them again)."""
    transaction = Transaction()
    table = Model.__table__()
    cursor = transaction.connection.cursor()
    names = [*names, 'write_uid', 'write_date']
    formats = [Model._fields[n].sql_format for n in names]
    query, _ = tuple(table.update(
            [Column(table, n) for n in names], [Literal(0)] * len(names),
            where=table.id == 0))
    now = dt.datetime.now()
    cursor.executemany(query, [
            [f(v) for f, v in zip(formats, [*row[1:], transaction.user, now])]
            + [row[0]] for row in rows])
    # as ModelStorage.write does: the records are read again
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            for row in rows:
                cache[Model.__name__].pop(row[0], None)


def clear_local_cache(records):
    "Forget what the instances read, after update_in_bulk"
    for record in records:
        record._local_cache.pop(record.id, None)
        record._values = None


def _decimal(value):
    try:
        return Decimal(str(value)) if value not in (None, '') else None
    except InvalidOperation:
        return None


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _lines(items, *keys):
    "Return the items of a list of the payload as one line each"
    return '\n'.join(
        ' '.join(str(i.get(k) or '') for k in keys).strip()
        for i in items if isinstance(i, dict)) or None


def _items(payload, key):
    items = payload.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(
        items, list) else []


class Lookup(PrevalidatedMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.lookup'

    provider = fields.Many2One(
        'reguarantee.credit.provider', "Provider", required=True,
        readonly=True, ondelete='RESTRICT')
    subject = fields.Reference(
        "Subject", selection='get_subjects', required=True, readonly=True)
    id_number = fields.Char("ID Number", required=True, readonly=True)
    business = fields.Selection(
        BUSINESSES, "Business", required=True, readonly=True,
        help="Why it was looked up.")
    date = fields.DateTime("Date", required=True, readonly=True)
    version = fields.Integer(
        "Version", required=True, readonly=True,
        help="The look-ups of a subject are numbered from 1.")
    request = fields.Many2One(
        'reguarantee.credit.request', "Request", readonly=True)
    report_reference = fields.Char("Report", readonly=True)
    charged = fields.Boolean(
        "Charged", readonly=True,
        help="The provider charged it (not a replayed answer).")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    cost = Monetary(
        "Cost", currency='currency', digits='currency', readonly=True)
    payload = fields.Text("Payload", readonly=True)
    name = fields.Char("Registered Name", readonly=True)
    registration_status = fields.Char("Registration Status", readonly=True)
    registered_date = fields.Date("Registered Date", readonly=True)
    registered_capital = fields.Numeric(
        "Registered Capital", digits=(16, 2), readonly=True)
    legal_representative = fields.Char(
        "Legal Representative", readonly=True)
    controller = fields.Char("Controller", readonly=True)
    shareholders = fields.Text("Shareholders", readonly=True)
    changes = fields.Text("Changes", readonly=True)
    abnormal_operations = fields.Text("Abnormal Operations", readonly=True)
    abnormal_count = fields.Integer("Abnormal Operations", readonly=True)
    lawsuits = fields.Text("Lawsuits", readonly=True)
    lawsuit_count = fields.Integer("Lawsuits", readonly=True)
    enforcements = fields.Text("Enforcement Records", readonly=True)
    enforcement_count = fields.Integer(
        "Enforcement Records", readonly=True)
    differences = fields.Function(
        fields.Text(
            "Differences", help="What changed since the previous version."),
        'get_differences_text')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.subject, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                Index(t, (t.id_number, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                Index(t, (t.provider, Index.Equality()),
                    (t.date, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If((Eval('enforcement_count', 0) > 0)
                    | (Eval('abnormal_count', 0) > 0), 'danger',
                    If(Eval('lawsuit_count', 0) > 0, 'warning', ''))),
            ]

    @classmethod
    def get_subjects(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        models = cls._get_subjects()
        return [(None, '')] + [
            (m, Model.get_name(m)) for m in models]

    @classmethod
    def _get_subjects(cls):
        "Return the models whose records may be looked up"
        return ['reguarantee.borrower', 'reguarantee.institution']

    def get_currency(self, name):
        return self.provider.company.currency.id

    def get_rec_name(self, name):
        return f'{self.id_number} v{self.version}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('id_number',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, lookups, values=None, external=False):
        super().check_modification(
            mode, lookups, values=values, external=external)
        if external and mode in {'create', 'write', 'delete'}:
            raise LookupAccessError(gettext(
                    'reguarantee_credit.msg_lookup_read_only'))

    @classmethod
    def parse(cls, payload):
        "Return the values of a look-up from the provider's report"
        registration = payload.get('registration')
        if not isinstance(registration, dict):
            registration = {}
        shareholders = _items(payload, 'shareholders')
        controllers = [s for s in shareholders if s.get('controller')]
        abnormal = _items(payload, 'abnormalOperations')
        lawsuits = _items(payload, 'lawsuits')
        enforcements = _items(payload, 'enforcements')
        return {
            'report_reference': str(payload.get('reportId') or '') or None,
            'name': payload.get('name') or None,
            'registration_status': registration.get('status') or None,
            'registered_date': _date(registration.get('registeredDate')),
            'registered_capital': _decimal(
                registration.get('registeredCapital')),
            'legal_representative': (
                payload.get('legalRepresentative') or None),
            'controller': controllers[0].get('name') if controllers
            else None,
            'shareholders': _lines(shareholders, 'name', 'share'),
            'changes': _lines(
                _items(payload, 'changes'), 'date', 'item', 'before',
                'after'),
            'abnormal_operations': _lines(
                abnormal, 'date', 'reason', 'authority'),
            'abnormal_count': len(abnormal),
            'lawsuits': _lines(
                lawsuits, 'date', 'caseNumber', 'role', 'cause', 'amount'),
            'lawsuit_count': len(lawsuits),
            'enforcements': _lines(
                enforcements, 'date', 'caseNumber', 'court', 'amount',
                'status'),
            'enforcement_count': len(enforcements),
            }

    @property
    def data(self):
        "The provider's report as a dictionary"
        try:
            data = json.loads(self.payload or '{}')
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @classmethod
    def compute_differences(cls, old, new):
        """Return the differences from the report old to the report new
        (dictionaries of the provider's payload) as dictionaries
        {'kind': ..., 'description': ...}, kind being one of the risk
        signal kinds of reguarantee_monitoring

        Only what appeared counts: a lawsuit, an enforcement record or an
        abnormal operation not in old, another legal representative or
        controlling shareholder, a registration status or a registered
        capital that changed."""
        differences = []

        def add(kind, msg_id, **params):
            differences.append({
                    'kind': kind,
                    'description': gettext(
                        'reguarantee_credit.' + msg_id, **params),
                    })

        def keys(report, name, *fields):
            return {
                tuple(str(i.get(f) or '') for f in fields): i
                for i in _items(report, name)}

        for name, kind, fields_, msg_id in [
                ('lawsuits', 'lawsuit', ('caseNumber',),
                    'msg_difference_lawsuit'),
                ('enforcements', 'enforcement', ('caseNumber',),
                    'msg_difference_enforcement'),
                ('abnormalOperations', 'abnormal_operation',
                    ('date', 'reason'), 'msg_difference_abnormal'),
                ]:
            before = keys(old, name, *fields_)
            for key, item in keys(new, name, *fields_).items():
                if key not in before:
                    add(kind, msg_id,
                        date=item.get('date') or '',
                        case=item.get('caseNumber') or '',
                        reason=item.get('reason') or item.get('cause')
                        or item.get('court') or '',
                        amount=item.get('amount') or '')

        def controller(report):
            for holder in _items(report, 'shareholders'):
                if holder.get('controller'):
                    return holder.get('name')

        for getter, msg_id in [
                (lambda r: r.get('legalRepresentative'),
                    'msg_difference_legal_representative'),
                (controller, 'msg_difference_controller'),
                ]:
            before, after = getter(old), getter(new)
            if before != after:
                add('controller_change', msg_id,
                    before=before or '', after=after or '')

        def registration(report, key):
            value = report.get('registration')
            return value.get(key) if isinstance(value, dict) else None

        before, after = (
            registration(old, 'status'), registration(new, 'status'))
        if before != after:
            add('other', 'msg_difference_status',
                before=before or '', after=after or '')
        before, after = (
            _decimal(registration(old, 'registeredCapital')),
            _decimal(registration(new, 'registeredCapital')))
        if before is not None and after is not None and after < before:
            add('other', 'msg_difference_capital',
                before=before, after=after)
        return differences

    def get_previous(self):
        "Return the version before this one, or None"
        if not self.version or self.version <= 1:
            return None
        previous = self.search([
                ('subject', '=', str(self.subject)),
                ('version', '<', self.version),
                ], order=[('version', 'DESC')], limit=1)
        return previous[0] if previous else None

    def get_differences(self):
        "Return the differences from the previous version (none for the 1st)"
        previous = self.get_previous()
        if previous is None:
            return []
        return self.compute_differences(previous.data, self.data)

    def get_differences_text(self, name):
        return '\n'.join(
            d['description'] for d in self.get_differences()) or None

    @classmethod
    def create_signals(cls, lookups):
        """Create a risk signal for each difference of the lookups from
        their previous version (a new lawsuit, a change of controller...)
        for post-guarantee management, and return them

        Called for the new versions by Request.store."""
        pool = Pool()
        Signal = pool.get('reguarantee.risk.signal')
        vlist = []
        for lookup in lookups:
            subject = lookup.subject
            if getattr(subject, '__name__', None) != 'reguarantee.borrower':
                continue
            for difference in lookup.get_differences():
                vlist.append({
                        'date': lookup.date.date(),
                        'kind': difference['kind'],
                        'source': 'credit_lookup',
                        'borrower': subject.id,
                        'origin': str(lookup),
                        'description': difference['description'],
                        })
        return Signal.create(vlist)

    @classmethod
    def get_latest(cls, subjects, max_age=None):
        """Return the latest look-up by subject (str) of the subjects, only
        those younger than max_age (timedelta) when given"""
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        lookup = Lookup.__table__()
        cursor = Transaction().connection.cursor()
        references = sorted({str(s) for s in subjects})
        ids = []
        for sub in grouped_slice(references, IN_MAX):
            where = lookup.subject.in_(list(sub))
            if max_age is not None:
                where &= lookup.date >= dt.datetime.now() - max_age
            latest = lookup.select(
                lookup.subject, Max(lookup.version).as_('version'),
                where=where, group_by=[lookup.subject])
            cursor.execute(*lookup.join(latest, condition=(
                        lookup.subject == latest.subject)
                    & (lookup.version == latest.version)).select(lookup.id))
            ids.extend(i for i, in cursor)
        return {str(lk.subject): lk for lk in cls.browse(ids)}


class Request(PrevalidatedMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.request'

    provider = fields.Many2One(
        'reguarantee.credit.provider', "Provider", required=True,
        readonly=True, ondelete='RESTRICT')
    subject = fields.Reference(
        "Subject", selection='get_subjects', required=True, readonly=True)
    id_number = fields.Char("ID Number", required=True, readonly=True)
    subject_name = fields.Char("Name", readonly=True)
    business = fields.Selection(
        BUSINESSES, "Business", required=True, readonly=True)
    screening = fields.Many2One(
        'reguarantee.letter.screening', "Screening", readonly=True,
        ondelete='SET NULL')
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True,
        help="Sent with every attempt: the provider charges a look-up once "
        "whatever the number of retries.")
    state = fields.Selection([
            ('pending', "Pending"),
            ('done', "Done"),
            ('not_found', "Not Found"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Failed Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    lookup = fields.Many2One(
        'reguarantee.credit.lookup', "Look-up", readonly=True)
    exchanges = fields.One2Many(
        'reguarantee.credit.exchange', 'request', "Exchanges",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'pending'),
                Index(t, (t.screening, Index.Range())),
                })
        cls._order = [('id', 'DESC')]

    @classmethod
    def get_subjects(cls):
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        return Lookup.get_subjects()

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.id_number} {self.idempotency_key[:8]}'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('idempotency_key'):
            values['idempotency_key'] = uuid.uuid4().hex
        return values

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        for name in ['idempotency_key', 'lookup', 'exchanges', 'last_error',
                'next_attempt']:
            default.setdefault(name, None)
        default.setdefault('state', 'pending')
        default.setdefault('attempts', 0)
        return super().copy(requests, default=default)

    @staticmethod
    def subject_id_number(subject):
        "Return the code under which the provider knows subject, or None"
        if subject.__name__ == 'reguarantee.borrower':
            if subject.kind in REGISTERED_KINDS:
                return subject.id_number
            return None
        return getattr(subject, 'uscc', None)

    @classmethod
    def ask(cls, subjects, business, provider=None, screening=None):
        """Return the fresh look-up by subject (str) and the requests
        created for the subjects without one (existing pending requests
        are reused); subjects the provider does not know are left out

        A look-up is fresh when younger than the provider's refresh days
        for the business."""
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        Provider = pool.get('reguarantee.credit.provider')
        provider = provider or Provider.get_default()
        codes = {}
        for subject in subjects:
            code = cls.subject_id_number(subject)
            if code:
                codes[str(subject)] = (subject, code)
        days = provider.get_refresh_days(business)
        cached = Lookup.get_latest(
            [s for s, _ in codes.values()],
            max_age=dt.timedelta(days=days)) if days else {}
        pending = {}
        missing = [k for k in codes if k not in cached]
        for sub in grouped_slice(missing, IN_MAX):
            for request in cls.search([
                        ('subject', 'in', list(sub)),
                        ('state', '=', 'pending'),
                        ('provider', '=', provider.id),
                        ]):
                pending[str(request.subject)] = request
        vlist = []
        for key in missing:
            if key in pending:
                continue
            subject, code = codes[key]
            vlist.append({
                    'provider': provider.id,
                    'subject': key,
                    'id_number': code,
                    'subject_name': getattr(subject, 'name', None),
                    'business': business,
                    'screening': screening.id if screening else None,
                    })
        # the values are known valid: inserted at once
        with Transaction().set_context(_reguarantee_prevalidated=True):
            requests = create_in_bulk(cls, vlist)
        return cached, list(pending.values()) + requests

    @classmethod
    def process(cls, requests):
        "Send the due pending requests (queue task)"
        now = dt.datetime.now()
        cls.send([
                r for r in cls.browse(requests) if r.state == 'pending'
                and (not r.next_attempt or r.next_attempt <= now)])

    @classmethod
    def process_due(cls):
        """Queue again the pending requests whose attempt is overdue (cron):
        their task was lost, or no worker runs"""
        requests = cls.search([
                ('state', '=', 'pending'),
                ('screening', '=', None),
                ['OR',
                    ('next_attempt', '=', None),
                    ('next_attempt', '<',
                        dt.datetime.now() - dt.timedelta(minutes=5)),
                    ],
                ('create_date', '<',
                    dt.datetime.now() - dt.timedelta(minutes=5)),
                ])
        if requests:
            cls.__queue__.process(requests)

    @classmethod
    def refresh_borrowers(cls):
        """Ask a new look-up for the borrowers of the live projects whose
        latest one is older than the re-guarantee refresh days (cron)"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Provider = pool.get('reguarantee.credit.provider')
        for provider in Provider.search([]):
            with Transaction().set_context(company=provider.company.id):
                borrowers = Borrower.search([
                        ('kind', 'in', list(REGISTERED_KINDS)),
                        ('projects.state', 'in', LIVE_STATES),
                        ('projects.company', '=', provider.company.id),
                        ])
                _, requests = cls.ask(
                    borrowers, 'reguarantee', provider=provider)
                if requests:
                    cls.__queue__.process(requests)

    @classmethod
    def send(cls, requests):
        """Ask the provider for the requests, several at once, and store the
        answers; return the look-ups created

        The requests and their keys are already committed (created in an
        earlier transaction): an answer lost here is asked again with the
        same key and not charged twice.  The calls run in threads with no
        database work; their exchanges are logged in a transaction of
        their own, before anything is written in the current one."""
        by_provider = defaultdict(list)
        for request in requests:
            by_provider[request.provider].append(request)
        lookups = []
        for provider, provider_requests in by_provider.items():
            lookups.extend(cls._send(provider, provider_requests))
        return lookups

    @classmethod
    def _send(cls, provider, requests):
        available = provider.get_available()
        over = []
        if available is not None and available < len(requests):
            requests, over = requests[:available], requests[available:]
        answers = []
        if requests:
            answers = fetch_reports(
                provider.url, provider.get_token(), provider.timeout,
                provider.workers, [
                    (r.id_number, r.subject_name, r.idempotency_key)
                    for r in requests])
            cls.log(provider, requests, answers)
        if over:
            tomorrow = dt.datetime.combine(
                dt.date.today() + dt.timedelta(days=1), dt.time())
            cls.write(over, {
                    'next_attempt': tomorrow,
                    'last_error': gettext(
                        'reguarantee_credit.msg_request_quota',
                        quota=provider.daily_quota),
                    })
            with Transaction().set_context(
                    queue_scheduled_at=tomorrow - dt.datetime.now()):
                cls.__queue__.process(over)
        return cls.store(provider, requests, answers)

    @classmethod
    def log(cls, provider, requests, answers):
        "Log the exchanges in a transaction of their own"
        pool = Pool()
        Exchange = pool.get('reguarantee.credit.exchange')
        vlist = [{
                **Exchange.get_exchange_values(answer),
                'provider': provider.id,
                'request': request.id,
                } for request, answer in zip(requests, answers)]
        # SQLite has one connection: there the log commits the current
        # transaction too, which has written nothing yet (see send)
        try:
            with Transaction().new_transaction(autocommit=True):
                Exchange.create(vlist)
        except Exception:
            logger.exception("the exchanges with %s could not be logged",
                provider.rec_name)

    @classmethod
    def store(cls, provider, requests, answers):
        """Create the look-ups of the successful answers and update the
        requests; schedule the retries of the transient failures"""
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        lookup_table = Lookup.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        success = [
            (r, a) for r, a in zip(requests, answers)
            if a.outcome == 'success']
        versions = defaultdict(int)
        subjects = sorted({str(r.subject) for r, _ in success})
        for sub in grouped_slice(subjects, IN_MAX):
            cursor.execute(*lookup_table.select(
                    lookup_table.subject, Max(lookup_table.version),
                    where=lookup_table.subject.in_(list(sub)),
                    group_by=[lookup_table.subject]))
            versions.update(cursor)
        vlist = []
        for request, answer in success:
            key = str(request.subject)
            versions[key] += 1
            data = answer.data
            cost = _decimal(data.get('cost'))
            vlist.append({
                    'provider': provider.id,
                    'subject': key,
                    'id_number': request.id_number,
                    'business': request.business,
                    'date': now,
                    'version': versions[key],
                    'request': request.id,
                    'charged': bool(data.get('charged')),
                    'cost': provider.currency.round(
                        cost if cost is not None else provider.cost)
                    if data.get('charged') else Decimal(0),
                    'payload': answer.response_body,
                    **Lookup.parse(data),
                    })
        with Transaction().set_context(_reguarantee_prevalidated=True):
            lookups = create_in_bulk(Lookup, vlist)
        rows = []
        for (request, _), lookup in zip(success, lookups):
            rows.append((
                    request.id, 'done', lookup.id, request.attempts, None,
                    request.next_attempt))
        retry = []
        for request, answer in zip(requests, answers):
            if answer.outcome == 'success':
                continue
            attempts = (request.attempts or 0) + 1
            state, next_attempt = 'pending', request.next_attempt
            if answer.outcome == 'final':
                state = (
                    'not_found' if answer.status_code == 404 else 'failed')
            elif attempts >= provider.max_attempts:
                state = 'failed'
            else:
                delay = provider.get_retry_delay(
                    attempts, answer.retry_after)
                next_attempt = now + dt.timedelta(seconds=delay)
                retry.append((request, delay))
            rows.append((
                    request.id, state, None, attempts, answer.error,
                    next_attempt))
        if rows:
            update_in_bulk(cls, [
                    'state', 'lookup', 'attempts', 'last_error',
                    'next_attempt'], rows)
            clear_local_cache(requests)
        for request, delay in retry:
            if request.screening:
                # its screening's task sends it again (Screening.process)
                continue
            with Transaction().set_context(
                    queue_scheduled_at=dt.timedelta(seconds=delay)):
                cls.__queue__.process([request])
        if lookups:
            Lookup.create_signals(lookups)
        return lookups


class Exchange(ExchangeLogMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.exchange'

    provider = fields.Many2One(
        'reguarantee.credit.provider', "Provider", required=True,
        readonly=True, ondelete='RESTRICT')
    request = fields.Many2One(
        'reguarantee.credit.request', "Request", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.request, Index.Range())))


class RiskSignal(metaclass=PoolMeta):
    __name__ = 'reguarantee.risk.signal'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['reguarantee.credit.lookup']
