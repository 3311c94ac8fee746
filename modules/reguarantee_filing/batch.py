# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import json
import logging
import uuid
from collections import defaultdict

from sql import Column, Literal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.reguarantee_base.model import (
    NullEmptyTextMixin, WorkflowGuardMixin, count_by, create_in_bulk,
    sql_formatted)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import BatchDeleteError, FilingValidationError

logger = logging.getLogger(__name__)
#: how many errors a refused batch lists
MAX_ERRORS = 50


class Batch(
        WorkflowGuardMixin, NullEmptyTextMixin, Workflow, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.filing.batch'
    _rec_name = 'number'

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    number = fields.Char("Number", readonly=True)
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True,
        help="Sent with every submission of the batch: the National Fund "
        "files a batch once whatever the number of retries.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('sent', "Sent"),
            ('done', "Done"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    records = fields.One2Many(
        'reguarantee.filing.record', 'batch', "Projects", readonly=True)
    exchanges = fields.One2Many(
        'reguarantee.filing.exchange', 'batch', "Exchanges", readonly=True)
    payload = fields.Text(
        "Payload", readonly=True,
        help="The request body, fixed when the batch is sent.")
    fund_batch = fields.Char(
        "Fund Batch", readonly=True,
        help="The National Fund's identifier of the received batch.")
    sent_date = fields.Timestamp("Sent Date", readonly=True)
    done_date = fields.Timestamp("Done Date", readonly=True)
    attempts = fields.Integer(
        "Failed Attempts", readonly=True,
        help="Failed exchanges in a row.")
    next_attempt = fields.Timestamp("Next Attempt", readonly=True)
    last_error = fields.Text(
        "Last Error", readonly=True,
        states={'invisible': ~Eval('last_error')})
    record_count = fields.Function(
        fields.Integer("Projects"), 'get_counts')
    pending_count = fields.Function(
        fields.Integer("Pending"), 'get_counts')
    accepted_count = fields.Function(
        fields.Integer("Accepted"), 'get_counts')
    rejected_count = fields.Function(
        fields.Integer("Rejected"), 'get_counts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.state, Index.Equality(cardinality='low')),
                where=t.state == 'sent'))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('failed', 'sent'),
            ('sent', 'done'),
            ('sent', 'failed'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'failed', 'danger',
                    If(Eval('rejected_count', 0) > 0, 'warning', ''))),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Sequence = pool.get('ir.sequence')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            if not values.get('number'):
                values['number'] = Sequence(ModelData.get_id(
                        'reguarantee_filing', 'sequence_batch')).get()
            # one key per batch: a default would be shared by the batches
            # created together
            if not values.get('idempotency_key'):
                values['idempotency_key'] = uuid.uuid4().hex
        return values

    @classmethod
    def copy(cls, batches, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'idempotency_key', 'payload', 'fund_batch',
                'sent_date', 'done_date', 'next_attempt', 'last_error',
                'records', 'exchanges']:
            default.setdefault(name, None)
        default.setdefault('attempts', 0)
        default.setdefault('state', 'draft')
        return super().copy(batches, default=default)

    @classmethod
    def check_modification(cls, mode, batches, values=None, external=False):
        super().check_modification(
            mode, batches, values=values, external=external)
        if mode == 'delete':
            for batch in batches:
                if batch.state != 'draft':
                    raise BatchDeleteError(gettext(
                            'reguarantee_filing.msg_batch_delete',
                            batch=batch.rec_name))

    @classmethod
    def on_delete(cls, batches):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        callback = super().on_delete(batches)
        projects = Project.browse(list({
                    r.project.id for b in batches for r in b.records}))
        if projects:
            callback.append(lambda: cls.update_fund_states(projects))
        return callback

    @classmethod
    def get_counts(cls, batches, names):
        pool = Pool()
        Record = pool.get('reguarantee.filing.record')
        record = Record.__table__()
        return count_by(
            record, record.batch, record.state, batches, names,
            'record_count')

    @classmethod
    def update_fund_states(cls, projects):
        "Set the Fund state of the projects from their last filing record"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Record = pool.get('reguarantee.filing.record')
        last = {}
        for record in Record.search(
                [('project', 'in', [p.id for p in projects])],
                order=[('id', 'ASC')]):
            last[record.project.id] = record.state
        by_state = defaultdict(list)
        for project in projects:
            by_state[last.get(project.id)].append(project)
        to_write = []
        for state, state_projects in by_state.items():
            to_write.extend([state_projects, {'fund_state': state}])
        if to_write:
            Project.write(*to_write)

    @classmethod
    def create_batches(cls, projects=None, institution=None):
        """Create draft batches of the filed projects not yet accepted by the
        Fund nor pending, among projects when given"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Project = pool.get('reguarantee.project')
        Record = pool.get('reguarantee.filing.record')
        domain = Project.fund_eligible_domain()
        if projects is not None:
            domain.append(('id', 'in', [p.id for p in projects]))
        if institution:
            domain.append(('institution', '=', institution.id))
        projects = Project.search(domain, order=[('id', 'ASC')])
        size = Configuration(1).fund_batch_size
        # the company alone is read: an attribute of the records would load
        # every field of thousands of projects
        companies = {
            d['id']: d['company'] for d in Project.read(
                [p.id for p in projects], ['company'])}
        by_company = defaultdict(list)
        for project in projects:
            by_company[companies[project.id]].append(project)
        vlist, batch_projects = [], []
        for company, company_projects in by_company.items():
            for sub_projects in grouped_slice(company_projects, size):
                vlist.append({'company': company})
                batch_projects.append(list(sub_projects))
        batches = cls.create(vlist)
        # the records and projects are known valid: checked at once
        with Transaction().set_context(_reguarantee_prevalidated=True):
            create_in_bulk(Record, [
                    {'batch': batch.id, 'project': project.id,
                        'state': 'pending'}
                    for batch, sub_projects in zip(batches, batch_projects)
                    for project in sub_projects])
            if projects:
                Project.write(projects, {'fund_state': 'pending'})
        return batches

    def get_payload(self, now):
        "Return the request body of the batch, or raise with every error"
        pool = Pool()
        Mapping = pool.get('reguarantee.filing.mapping')
        Project = pool.get('reguarantee.project')
        Record = pool.get('reguarantee.filing.record')
        record = Record.__table__()
        cursor = Transaction().connection.cursor()
        # the projects alone, in the order of the records: the records'
        # attributes would load every field of the batch's records
        cursor.execute(*record.select(
                record.project, where=record.batch == self.id,
                order_by=[record.id.asc]))
        projects = Project.browse([p for p, in cursor])
        if not projects:
            raise FilingValidationError(gettext(
                    'reguarantee_filing.msg_batch_empty',
                    batch=self.rec_name))
        rows, errors = Mapping.build_rows(projects)
        errors = [e for project_errors in errors for e in project_errors]
        if errors:
            more = len(errors) - MAX_ERRORS
            raise FilingValidationError(gettext(
                    'reguarantee_filing.msg_batch_invalid',
                    batch=self.rec_name,
                    errors='\n'.join(errors[:MAX_ERRORS])
                    + ('\n' + gettext(
                            'reguarantee_filing.msg_batch_more_errors',
                            count=more) if more > 0 else '')))
        return json.dumps({
                'batchNumber': self.number,
                'submittedAt': now.replace(
                    tzinfo=dt.timezone.utc).isoformat(),
                'projects': rows,
                }, ensure_ascii=False, separators=(',', ':'))

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, batches):
        "Fix the payload of each batch and submit it through the queue"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Configuration(1).get_fund_client()
        now = dt.datetime.now()
        for batch in batches:
            batch.payload = batch.get_payload(now)
            batch.sent_date = now
        cls.save(batches)
        cls.retry(batches)

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def retry(cls, batches):
        "Resume the exchanges of the batches from where they stopped"
        cls.write(batches, {
                'attempts': 0,
                'next_attempt': dt.datetime.now(),
                'last_error': None,
                })
        for batch in batches:
            cls.__queue__.process([batch])

    @classmethod
    @Workflow.transition('done')
    def finish(cls, batches):
        cls.write(batches, {'done_date': dt.datetime.now()})

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, batches):
        pass

    @classmethod
    def process(cls, batches):
        """Submit the batches, or ask for their results, when it is due
        (queue task, run by the trytond-worker)"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        # Nobody else exchanges for these batches meanwhile (PostgreSQL)
        cls.lock(batches)
        configuration = Configuration(1)
        now = dt.datetime.now()
        due = [
            b for b in batches if b.state == 'sent'
            and (not b.next_attempt or b.next_attempt <= now)]
        if not due:
            return
        client = configuration.get_fund_client()
        for batch in due:
            if batch.fund_batch:
                batch._poll(client, configuration)
            else:
                batch._submit(client, configuration)

    @classmethod
    def process_due(cls):
        """Queue again the sent batches whose next exchange is overdue (cron):
        their task was lost, or no worker runs"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        grace = dt.timedelta(seconds=2 * configuration.fund_timeout + 60)
        batches = cls.search([
                ('state', '=', 'sent'),
                ('next_attempt', '<', dt.datetime.now() - grace),
                ])
        for batch in batches:
            cls.__queue__.process([batch])

    @classmethod
    def file_projects(cls):
        """Batch and send the projects to file, leaving out those that the
        mapping refuses (cron)"""
        pool = Pool()
        Mapping = pool.get('reguarantee.filing.mapping')
        Project = pool.get('reguarantee.project')
        projects = Project.search(
            Project.fund_eligible_domain(), order=[('id', 'ASC')])
        _, errors = Mapping.build_rows(projects)
        valid = []
        for project, project_errors in zip(projects, errors):
            if project_errors:
                logger.warning(
                    "project %s not filed: %s", project.rec_name,
                    '; '.join(project_errors))
            else:
                valid.append(project)
        if valid:
            cls.send(cls.create_batches(valid))

    def _schedule(self, seconds):
        "Queue the next exchange in seconds"
        delay = dt.timedelta(seconds=seconds)
        self.next_attempt = dt.datetime.now() + delay
        self.save()
        with Transaction().set_context(queue_scheduled_at=delay):
            self.__class__.__queue__.process([self])

    def _log(self, kind, answer):
        pool = Pool()
        Exchange = pool.get('reguarantee.filing.exchange')
        Exchange.log_exchange(
            answer, batch=self.id, kind=kind)

    def _failed(self, answer, configuration):
        "Schedule a retry after a transient failure, or fail the batch"
        self.last_error = answer.error
        self.attempts = (self.attempts or 0) + 1
        if (answer.outcome == 'final'
                or self.attempts >= configuration.fund_max_attempts):
            self.save()
            self.__class__.fail([self])
        else:
            self._schedule(configuration.get_retry_delay(
                    self.attempts, answer.retry_after))

    @staticmethod
    def _poll_delay(answer, configuration):
        "The Fund's hint of when the results are ready, at most the interval"
        interval = configuration.fund_poll_interval
        try:
            hint = float(answer.data.get('retryAfter'))
        except (TypeError, ValueError):
            return interval
        return min(max(hint, 0), interval)

    def _submit(self, client, configuration):
        answer = client.post_batch(self.payload, self.idempotency_key)
        self._log('submit', answer)
        if answer.outcome != 'success':
            self._failed(answer, configuration)
            return
        self.fund_batch = str(answer.data['batchId'])
        self.attempts, self.last_error = 0, None
        self._schedule(self._poll_delay(answer, configuration))

    def _poll(self, client, configuration):
        answer = client.get_batch(self.fund_batch)
        self._log('poll', answer)
        if answer.outcome != 'success':
            self._failed(answer, configuration)
            return
        self.attempts, self.last_error = 0, None
        if answer.data['status'] != 'done':
            self._schedule(self._poll_delay(answer, configuration))
            return
        self.save()
        self.apply_results(answer.data.get('results'))
        self.__class__.finish([self])

    def apply_results(self, results):
        """Write the Fund's result of each project on its record and on the
        project; a project without a result is rejected"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Record = pool.get('reguarantee.filing.record')
        by_number = {
            r.get('projectNo'): r for r in results or []
            if isinstance(r, dict)}
        missing = gettext('reguarantee_filing.msg_record_no_result')
        records, projects = [], []
        # the project's number alone is read, with one query: the records'
        # attributes would load every field of the batch's records and
        # projects
        record, project = Record.__table__(), Project.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*record.join(
                project, condition=record.project == project.id).select(
                record.id, project.id, project.number,
                where=(record.batch == self.id)
                & (record.state == 'pending'),
                order_by=[record.id.asc]))
        for record_id, project_id, number in cursor.fetchall():
            result = by_number.get(number) or {}
            if result.get('result') == 'accepted':
                reference = str(result.get('fundReference') or '')
                records.append(
                    (record_id, 'accepted', None, None, reference))
                projects.append((project_id, 'accepted', reference, None))
            else:
                code = str(result.get('code') or 'NO_RESULT')
                reason = str(result.get('reason') or missing)
                records.append(
                    (record_id, 'rejected', code, reason, None))
                projects.append((
                        project_id, 'rejected', None, f'{code}: {reason}'))
        update_in_bulk(Record, [
                'state', 'fund_code', 'fund_reason', 'fund_reference'],
            records, result_date=dt.datetime.now())
        update_in_bulk(Project, [
                'fund_state', 'fund_reference', 'fund_rejection'], projects)


def update_in_bulk(Model, names, rows, **values):
    """Write the rows (id, value of each name) and the values on the records
    of Model, with one statement executed for many rows

    For the results of a batch: thousands of records each with its own
    values that Model.write would update one by one, of fields of this
    module that no hook watches."""
    if not rows:
        return
    transaction = Transaction()
    table = Model.__table__()
    cursor = transaction.connection.cursor()
    names = [*names, *values, 'write_uid', 'write_date']
    fixed = [*values.values(), transaction.user, dt.datetime.now()]
    query, _ = tuple(table.update(
            [Column(table, n) for n in names], [Literal(0)] * len(names),
            where=table.id == 0))
    # column by column, a value formatted only when it is not already of
    # its SQL type (sql_formatted)
    count = len(rows)
    columns = [
        sql_formatted(Model._fields[n], column) for n, column in zip(
            names, [*list(zip(*rows))[1:], *([v] * count for v in fixed)])]
    cursor.executemany(query, zip(*columns, (row[0] for row in rows)))


class BatchCreateStart(ModelView):
    __name__ = 'reguarantee.filing.batch.create.start'

    institution = fields.Many2One(
        'reguarantee.institution', "Institution",
        help="Only the projects of this institution; all when empty.")
    send = fields.Boolean(
        "Send", help="Send the batches to the National Fund at once.")


class BatchCreate(Wizard):
    __name__ = 'reguarantee.filing.batch.create'

    start = StateView(
        'reguarantee.filing.batch.create.start',
        'reguarantee_filing.batch_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()
    done = StateView(
        'reguarantee.filing.batch.create.done',
        'reguarantee_filing.batch_create_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open Batches", 'open_', 'tryton-forward', default=True),
            ])
    open_ = StateAction('reguarantee_filing.act_batch_form')

    def transition_create_(self):
        pool = Pool()
        Batch = pool.get('reguarantee.filing.batch')
        Project = pool.get('reguarantee.project')
        projects = None
        if self.model and self.model.__name__ == Project.__name__:
            projects = self.records
        batches = Batch.create_batches(
            projects=projects, institution=self.start.institution)
        if not batches:
            raise FilingValidationError(gettext(
                    'reguarantee_filing.msg_batch_create_none'))
        if self.start.send:
            Batch.send(batches)
        self.done.batches = batches
        self.done.summary = self.get_summary(batches)
        return 'done'

    def get_summary(self, batches):
        "Return the text that says which batches were created"
        lines = [gettext(
                'reguarantee_filing.msg_batch_create_summary',
                batches=len(batches),
                projects=sum(b.record_count for b in batches))]
        lines.append(gettext(
                'reguarantee_filing.msg_batch_create_summary_sent'
                if self.start.send
                else 'reguarantee_filing.msg_batch_create_summary_draft'))
        return '\n'.join(lines)

    def default_done(self, fields):
        return {
            'summary': self.done.summary,
            'batches': [b.id for b in self.done.batches],
            }

    def do_open_(self, action):
        action['domains'] = []
        return action, {'res_id': [b.id for b in self.done.batches]}


class BatchCreateDone(ModelView):
    __name__ = 'reguarantee.filing.batch.create.done'

    summary = fields.Text("Summary", readonly=True)
    batches = fields.Many2Many(
        'reguarantee.filing.batch', None, None, "Batches", readonly=True)
