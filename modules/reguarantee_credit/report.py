# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Credit-bureau reporting (征信报送) of the company's guarantee accounts: a
month's records generated from the projects, validated, written as the
bureau's fixed-width file (bureau_format.py), sent through the queue, the
bureau's feedback read back, the rejected records corrected and resent in a
correction file"""
import base64
import datetime as dt
import json
import uuid
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Max, Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.borrower import USCC_KINDS
from trytond.modules.reguarantee_base.exchange import run_apart
from trytond.modules.reguarantee_base.model import (
    NullEmptyTextMixin, PrevalidatedMixin, WorkflowGuardMixin, count_by,
    create_in_bulk)
from trytond.modules.reguarantee_monitoring.classification import (
    CLASSIFICATIONS)
from trytond.modules.reguarantee_risk.indicator import (
    ACCEPTED_STATES, PAID_STATES)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from . import bureau_format
from .exceptions import ReportError, ReportValidationError
from .lookup import IN_MAX, clear_local_cache, update_in_bulk

KINDS = [
    ('open', "Opening"),
    ('balance', "Balance Change"),
    ('compensation', "Compensation"),
    ('classification', "Classification"),
    ('closure', "Closure"),
    ]
ACCOUNT_STATUSES = [
    ('in_force', "In Force"),
    ('compensated', "Compensated"),
    ('closed', "Closed"),
    ]
BUSINESS_TYPES = [
    ('reguarantee', "Re-guarantee"),
    ('financing', "Financing Guarantee"),
    ('non_financing', "Non-financing Guarantee"),
    ]
ID_TYPES = [
    ('uscc', "Unified Social Credit Code"),
    ('resident_id', "Resident ID"),
    ]
#: how many errors a refused validation lists
MAX_ERRORS = 50
#: the record's fields written in the file's segments, by the format's name
FORMAT_FIELDS = {
    'kind_code': 'kind',
    'status_code': 'status',
    'classification_code': 'classification',
    }
#: the fields of the segments a user may correct
SEGMENT_FIELDS = [
    'account_number', 'event_date', 'business_type', 'open_date',
    'due_date', 'currency_code', 'amount', 'borrower_id_type',
    'borrower_id_number', 'borrower_name', 'guarantor_uscc',
    'guarantor_name', 'creditor_name', 'status', 'balance',
    'classification', 'compensation_amount', 'compensation_date',
    'recovered_amount', 'closing_date']


def next_month(month):
    "Return the first day of the month after month"
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def record_order(values):
    "The order of the records of a report: by date, account and kind"
    return (
        values['event_date'], values['account_number'] or '',
        [k for k, _ in KINDS].index(values['kind']))


def compensated_guarantee(compensation, model):
    """Return the SQL expression of the id of the guarantee of model that
    the rows of the compensation table compensate, the column to group them
    by guarantee and the condition that they compensate one: projects have
    their own column, other guarantees are the origin"""
    if model == 'reguarantee.project':
        return (
            compensation.project, compensation.project,
            compensation.project != Null)
    pool = Pool()
    Compensation = pool.get('reguarantee.compensation')
    Guarantee = pool.get(model)
    # grouped by the origin: PostgreSQL does not match the id's expression
    # in the select with the same expression, other parameters, in GROUP BY
    return (
        Compensation.origin.sql_id(compensation.origin, Guarantee),
        compensation.origin, compensation.origin.like(model + ',%'))


def account_status(kind, date, compensation_date):
    """Return the status of a guarantee account at the date of an event of
    kind, given the date of its last compensation paid (or None)"""
    if kind == 'closure':
        return 'closed'
    elif kind in {'compensation', 'balance'} or (
            compensation_date and compensation_date <= date):
        return 'compensated'
    return 'in_force'


def as_date(value):
    """Return the date of an SQL result: SQLite answers a text for an
    aggregate or an expression of dates, whose type it does not know"""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


class Report(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.report'
    _deletable_states = {'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={'readonly': Eval('state') != 'draft'})
    month = fields.Date(
        "Month", required=True,
        states={'readonly': Eval('state') != 'draft'},
        help="The first day of the month reported.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('validated', "Validated"),
            ('sent', "Sent"),
            ('accepted', "Accepted"),
            ('partially_rejected', "Partially Rejected"),
            ], "State", required=True, readonly=True, sort=False)
    records = fields.One2Many(
        'reguarantee.credit.report.record', 'report', "Records",
        readonly=True)
    files = fields.One2Many(
        'reguarantee.credit.report.file', 'report', "Files", readonly=True)
    file = fields.Function(
        fields.Binary("File", filename='filename'), 'get_file')
    filename = fields.Function(fields.Char("File Name"), 'get_file')
    sent_date = fields.DateTime("Sent Date", readonly=True)
    feedback = fields.Text(
        "Feedback", readonly=True,
        help="What the bureau answered for each file, the latest first.")
    record_count = fields.Function(
        fields.Integer("Records"), 'get_counts')
    pending_count = fields.Function(
        fields.Integer("Pending"), 'get_counts')
    accepted_count = fields.Function(
        fields.Integer("Accepted"), 'get_counts')
    rejected_count = fields.Function(
        fields.Integer("Rejected"), 'get_counts')
    failed = fields.Function(
        fields.Boolean(
            "Failed", help="A file could not be delivered to the bureau."),
        'get_failed')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('month_unique', Unique(t, t.company, t.month),
                'reguarantee_credit.msg_report_month_unique'),
            ]
        cls._order = [('month', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'validated'),
            ('validated', 'draft'),
            ('validated', 'sent'),
            ('sent', 'accepted'),
            ('sent', 'partially_rejected'),
            ('partially_rejected', 'sent'),
            }
        cls._buttons.update({
                'generate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'validate_report': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'validated',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'send': {
                    'invisible': Eval('state') != 'validated',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'read_feedback': {
                    'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-download',
                    'depends': ['state'],
                    },
                'retry': {
                    'invisible': ~Eval('failed', False),
                    'icon': 'tryton-refresh',
                    'depends': ['failed'],
                    },
                'send_corrections': {
                    'invisible': Eval('state') != 'partially_rejected',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'partially_rejected', 'danger',
                    If(Eval('failed', False), 'warning', ''))),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_month(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        # the month just over
        return (Date.today().replace(day=1) - dt.timedelta(days=1)).replace(
            day=1)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('month'):
            values['month'] = values['month'].replace(day=1)
        return values

    def get_rec_name(self, name):
        return self.month.strftime('%Y-%m') if self.month else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        month = _month_of(clause[2])
        if month is None:
            return [('id', '=', -1)]
        return [('month', '=', month)]

    @classmethod
    def copy(cls, reports, default=None):
        default = default.copy() if default is not None else {}
        for name in ['records', 'files', 'sent_date', 'feedback']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(reports, default=default)

    @classmethod
    def get_counts(cls, reports, names):
        pool = Pool()
        Record = pool.get('reguarantee.credit.report.record')
        record = Record.__table__()
        return count_by(
            record, record.report, record.state, reports, names,
            'record_count')

    def get_file(self, name):
        "The first file sent (the original), for download"
        files = sorted(self.files, key=lambda f: f.number)
        if not files:
            return None
        return files[0].data if name == 'file' else files[0].filename

    @classmethod
    def get_failed(cls, reports, name):
        return {r.id: any(f.state == 'failed' for f in r.files)
            for r in reports}

    # --- the records of the month ---------------------------------------
    @classmethod
    @ModelView.button
    def generate(cls, reports):
        "Generate again the records of the draft reports from the accounts"
        pool = Pool()
        Record = pool.get('reguarantee.credit.report.record')
        reports = [r for r in reports if r.state == 'draft']
        Record.delete(Record.search([('report', 'in', [
                            r.id for r in reports])]))
        vlist = []
        for report in reports:
            values = cls.get_record_values(report)
            for sequence, record in enumerate(values, 1):
                record.update(report=report.id, sequence=sequence)
            vlist.extend(values)
        # generated from accepted data: checked by validate_report
        with Transaction().set_context(_reguarantee_prevalidated=True):
            create_in_bulk(Record, vlist)

    @classmethod
    def get_record_values(cls, report):
        """Return the values of the records of the report's month, sorted by
        account and date

        reguarantee_direct adds the records of its direct guarantees."""
        pool = Pool()
        Record = pool.get('reguarantee.credit.report.record')
        events = cls.get_project_events(report)
        values = Record.values_from_projects(report, events)
        return sorted(values, key=record_order)

    @classmethod
    def get_project_events(cls, report):
        """Return the events (project id, kind, date, values) of the
        month's projects: opened when filed"""
        return cls.get_guarantee_events(
            report, 'reguarantee.project', 'filing_date', ACCEPTED_STATES,
            'project')

    @classmethod
    def get_guarantee_events(
            cls, report, model, opening_date, opened_states, changed):
        """Return the events (guarantee id, kind, date, values) of the
        month's guarantees of model: those opened (at their opening_date
        column, in opened_states), their compensations and recoveries, their
        approved classification changes (whose column changed names them),
        their releases and their closures, read by SQL"""
        pool = Pool()
        Guarantee = pool.get(model)
        guarantee = Guarantee.__table__()
        cursor = Transaction().connection.cursor()
        company = report.company.id
        start, end = report.month, next_month(report.month)

        def in_month(column):
            return (column >= start) & (column < end)

        events = []
        opening_date = getattr(guarantee, opening_date)
        cursor.execute(*guarantee.select(
                guarantee.id, opening_date,
                where=(guarantee.company == company)
                & guarantee.state.in_(opened_states)
                & in_month(opening_date)))
        events.extend((g, 'open', d, {}) for g, d in cursor)

        events.extend(cls.get_compensation_events(report, model))

        events.extend(cls.get_classification_events(report, changed))

        cursor.execute(*guarantee.select(
                guarantee.id, guarantee.release_date,
                where=(guarantee.company == company)
                & (guarantee.state == 'released')
                & in_month(guarantee.release_date)))
        events.extend((g, 'closure', d, {}) for g, d in cursor)
        return [(g, k, as_date(d), v) for g, k, d, v in events]

    @classmethod
    def get_compensation_events(cls, report, model):
        """Return the events (guarantee id, kind, date, values) of the
        month's compensations of the guarantees of model: their confirmed
        recoveries (balance of the compensation), the compensations paid and
        the closures after compensation (written off, or recovered in full
        by the last recovery), read by SQL"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Guarantee = pool.get(model)
        Recovery = pool.get('reguarantee.recovery')
        compensation = Compensation.__table__()
        guarantee = Guarantee.__table__()
        recovery = Recovery.__table__()
        cursor = Transaction().connection.cursor()
        guarantee_id, group, of_model = compensated_guarantee(
            compensation, model)
        paid = (
            (compensation.company == report.company.id) & of_model
            & compensation.state.in_(PAID_STATES))
        start, end = report.month, next_month(report.month)

        def in_month(column):
            return (column >= start) & (column < end)

        events = []
        cursor.execute(*recovery.join(
                compensation,
                condition=recovery.compensation == compensation.id
                ).select(
                guarantee_id, Max(recovery.date),
                where=paid
                & (recovery.state == 'confirmed')
                & in_month(recovery.date),
                group_by=[group]))
        events.extend((g, 'balance', d, {}) for g, d in cursor)

        cursor.execute(*compensation.select(
                guarantee_id, compensation.payment_date,
                where=paid & in_month(compensation.payment_date)))
        events.extend((g, 'compensation', d, {}) for g, d in cursor)

        recovered = recovery.select(
            recovery.compensation, Max(recovery.date).as_('date'),
            where=recovery.state == 'confirmed',
            group_by=[recovery.compensation])
        closing_date = Coalesce(compensation.write_off_date, recovered.date)
        cursor.execute(*compensation.join(
                guarantee, condition=guarantee_id == guarantee.id
                ).join(recovered, 'LEFT',
                condition=recovered.compensation == compensation.id
                ).select(
                guarantee.id, closing_date,
                where=paid
                & (guarantee.state == 'closed')
                & in_month(closing_date)))
        events.extend((g, 'closure', d, {}) for g, d in cursor)
        return events

    @classmethod
    def get_classification_events(cls, report, guarantee):
        """Return the events (guarantee id, 'classification', date, values)
        of the last classification change of each guarantee approved in the
        report's month; guarantee is the change's column naming them:
        'project', or 'application' for a direct guarantee"""
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        change = Change.__table__()
        column = getattr(change, guarantee)
        cursor = Transaction().connection.cursor()
        start, end = report.month, next_month(report.month)
        last = change.select(
            column, Max(change.id).as_('id'),
            where=(change.company == report.company.id)
            & (column != Null)
            & (change.state == 'approved')
            & (change.approval_date >= start)
            & (change.approval_date < end),
            group_by=[column])
        cursor.execute(*last.join(
                change, condition=last.id == change.id).select(
                column, change.approval_date, change.to_level))
        return [
            (g, 'classification', d, {'classification': level})
            for g, d, level in cursor]

    # --- validation and files ---------------------------------------------
    def get_header_values(self, bureau, kind, number, count):
        "Return the values of the header of a file of the report"
        pool = Pool()
        Date = pool.get('ir.date')
        party = self.company.party
        # the unified social credit code is the Chinese tax identifier
        usccs = [
            i.code for i in party.identifiers if i.type == 'cn_vat']
        return {
            'provider_code': bureau.provider_code,
            'reporter_uscc': usccs[0] if usccs else None,
            'reporter_name': party.name,
            'month': self.month,
            'file_kind': 'C' if kind == 'correction' else 'O',
            'file_number': number,
            'record_count': count,
            'created_date': Date.today(),
            }

    def check_header(self, bureau):
        "Raise if the header of the report's files would not be valid"
        values = self.get_header_values(bureau, 'original', 1, 0)
        errors = bureau_format.check_header(values)
        if errors:
            field, msg_id, params = errors[0]
            if field == 'reporter_uscc':
                raise ReportValidationError(gettext(
                        'reguarantee_credit.msg_bureau_company_uscc',
                        company=self.company.rec_name))
            if field == 'provider_code':
                label = bureau.fields_get([field])[field]['string']
            elif field == 'reporter_name':
                label = self.fields_get(['company'])['company']['string']
            else:
                label = self.fields_get(['month'])['month']['string']
            raise ReportValidationError(gettext(
                    'reguarantee_credit.msg_bureau_header_invalid',
                    bureau=bureau.rec_name, field=label,
                    error=gettext('reguarantee_credit.' + msg_id,
                        **params)))

    @classmethod
    def check_records(cls, records):
        "Raise naming each record and field that the bureau would refuse"
        errors = []
        for record in records:
            errors.extend(record.get_errors())
        if errors:
            more = len(errors) - MAX_ERRORS
            raise ReportValidationError(gettext(
                    'reguarantee_credit.msg_report_invalid',
                    errors='\n'.join(errors[:MAX_ERRORS])
                    + ('\n' + gettext(
                            'reguarantee_credit.msg_report_more_errors',
                            count=more) if more > 0 else '')))

    @classmethod
    @ModelView.button
    @Workflow.transition('validated')
    def validate_report(cls, reports):
        "Check every record against the bureau's rules"
        pool = Pool()
        Bureau = pool.get('reguarantee.credit.bureau')
        for report in reports:
            if not report.records:
                raise ReportValidationError(gettext(
                        'reguarantee_credit.msg_report_empty',
                        report=report.rec_name))
            report.check_header(Bureau.get_default(report.company))
            cls.check_records(report.records)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, reports):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, reports):
        "Write the file of every record, validated again, and send it"
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        files = []
        for report in reports:
            files.append(File.create_file(report, report.records, 'original'))
        cls.write(reports, {'sent_date': dt.datetime.now()})
        File.submit(files)

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send_corrections(cls, reports):
        "Send the corrected rejected records in a correction file"
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        files = []
        for report in reports:
            records = [
                r for r in report.records
                if r.state == 'rejected' and r.corrected]
            if not records:
                raise ReportError(gettext(
                        'reguarantee_credit.msg_report_no_correction',
                        report=report.rec_name))
            files.append(File.create_file(report, records, 'correction'))
        File.submit(files)

    @classmethod
    @ModelView.button
    def read_feedback(cls, reports):
        """Ask the bureau for the feedback of the files waiting for it now,
        instead of at their next attempt (through the queue)"""
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        files = [
            f for r in reports for f in r.files
            if f.state in {'pending', 'submitted'}]
        if files:
            File.write(files, {'next_attempt': None})
            for file in files:
                File.__queue__.process([file])

    @classmethod
    @ModelView.button
    def retry(cls, reports):
        "Send again the files that could not be delivered"
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        files = [f for r in reports for f in r.files if f.state == 'failed']
        File.write(files, {
                'state': 'pending', 'attempts': 0, 'last_error': None,
                'next_attempt': None})
        File.submit(files)

    @classmethod
    @Workflow.transition('accepted')
    def accept(cls, reports):
        pass

    @classmethod
    @Workflow.transition('partially_rejected')
    def partially_reject(cls, reports):
        pass

    @classmethod
    def update_state(cls, reports):
        "Set the state of the sent reports from their records' results"
        accepted, rejected = [], []
        for report in reports:
            if report.state != 'sent' or report.pending_count:
                continue
            (rejected if report.rejected_count else accepted).append(report)
        cls.accept(accepted)
        cls.partially_reject(rejected)


def _month_of(text):
    "Return the first day of the month written YYYY-MM in text, or None"
    try:
        return dt.datetime.strptime(
            str(text).strip('%')[:7], '%Y-%m').date()
    except ValueError:
        return None


_states = {
    'readonly': ~((Eval('report_state') == 'draft')
        | (Eval('state') == 'rejected')),
    }


class ReportRecord(
        WorkflowGuardMixin, NullEmptyTextMixin, PrevalidatedMixin, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.credit.report.record'

    report = fields.Many2One(
        'reguarantee.credit.report', "Report", required=True,
        ondelete='CASCADE', readonly=True)
    report_state = fields.Function(
        fields.Selection('get_report_states', "Report State"),
        'on_change_with_report_state')
    origin = fields.Reference(
        "Guarantee Account", selection='get_origins', required=True,
        readonly=True,
        help="The guarantee whose account the record reports.")
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    sequence = fields.Integer(
        "Line", readonly=True,
        help="The record's line in the last file it was sent in.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    # base segment
    account_number = fields.Char(
        "Account Number", states=_states,
        help="The number of the guarantee account: the project's number.")
    event_date = fields.Date(
        "Event Date", states=_states,
        help="When what the record reports happened.")
    # basic information segment
    business_type = fields.Selection(
        BUSINESS_TYPES, "Business Type", states=_states)
    open_date = fields.Date("Open Date", states=_states)
    due_date = fields.Date("Due Date", states=_states)
    currency_code = fields.Char("Currency Code", states=_states)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', states=_states,
        help="The company's liability when the account opened: the "
        "re-guaranteed amount.")
    # related parties segment
    borrower_id_type = fields.Selection(
        ID_TYPES, "Borrower ID Type", states=_states)
    borrower_id_number = fields.Char(
        "Borrower ID Number", states=_states)
    borrower_name = fields.Char("Borrower Name", states=_states)
    guarantor_uscc = fields.Char(
        "Guarantor USCC", states=_states,
        help="The unified social credit code of the guarantee institution.")
    guarantor_name = fields.Char("Guarantor Name", states=_states)
    creditor_name = fields.Char(
        "Creditor Name", states=_states, help="The lending bank.")
    # in-force information segment
    status = fields.Selection(
        ACCOUNT_STATUSES, "Account Status", states=_states)
    balance = Monetary(
        "Balance", currency='currency', digits='currency', states=_states,
        help="The liability in force at the event.")
    classification = fields.Selection(
        CLASSIFICATIONS, "Classification", states=_states, sort=False)
    compensation_amount = Monetary(
        "Compensation Amount", currency='currency', digits='currency',
        states=_states,
        help="The company's compensations paid for the account by the end "
        "of the month.")
    compensation_date = fields.Date("Compensation Date", states=_states)
    recovered_amount = Monetary(
        "Recovered Amount", currency='currency', digits='currency',
        states=_states,
        help="The company's part of the recoveries by the end of the "
        "month.")
    closing_date = fields.Date("Closing Date", states=_states)
    # results
    state = fields.Selection([
            ('pending', "Pending"),
            ('accepted', "Accepted"),
            ('rejected', "Rejected"),
            ], "State", required=True, readonly=True, sort=False)
    rejection_code = fields.Char(
        "Rejection Code", readonly=True,
        states={'invisible': ~Eval('rejection_code')})
    rejection_message = fields.Text(
        "Rejection Message", readonly=True,
        states={'invisible': ~Eval('rejection_code')})
    corrected = fields.Boolean(
        "Corrected", readonly=True,
        help="Changed since the bureau rejected it: sent again in the next "
        "correction file.")
    version = fields.Integer(
        "Version", readonly=True,
        help="1 for the record as generated, one more at each correction.")
    file = fields.Many2One(
        'reguarantee.credit.report.file', "File", readonly=True,
        ondelete='SET NULL', help="The last file the record was sent in.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.report, Index.Range())),
                Index(t, (t.file, Index.Range())),
                Index(t, (t.origin, Index.Equality())),
                })
        cls._order = [('report', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'update_from_origin': {
                    'invisible': Eval('state') != 'rejected',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'rejected',
                    If(Eval('corrected', False), 'warning', 'danger'),
                    '')),
            ]

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_version(cls):
        return 1

    @classmethod
    def default_corrected(cls):
        return False

    @classmethod
    def get_report_states(cls):
        pool = Pool()
        Report = pool.get('reguarantee.credit.report')
        return Report.fields_get(['state'])['state']['selection']

    @fields.depends('report', '_parent_report.state')
    def on_change_with_report_state(self, name=None):
        return self.report.state if self.report else None

    def get_currency(self, name):
        return self.report.company.currency.id

    @classmethod
    def get_origins(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + [
            (m, Model.get_name(m)) for m in cls._get_origins()]

    @classmethod
    def _get_origins(cls):
        """Return the models whose records are guarantee accounts

        reguarantee_direct adds its direct guarantees."""
        return ['reguarantee.project']

    def get_rec_name(self, name):
        return gettext(
            'reguarantee_credit.msg_report_record_name',
            line=self.sequence or '', account=self.account_number or '',
            kind=dict(self.fields_get(['kind'])['kind']['selection'])[
                self.kind] if self.kind else '')

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('account_number',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode in {'create', 'delete'}:
            raise ReportError(gettext(
                    'reguarantee_credit.msg_report_record_generated'))

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if (mode == 'write' and field_names
                and set(field_names) & set(SEGMENT_FIELDS)):
            cls.mark_corrected([r for r in records if r.state == 'rejected'])

    @classmethod
    def mark_corrected(cls, records):
        "The rejected records changed: sent in the next correction file"
        to_mark = [r for r in records if not r.corrected]
        if to_mark:
            update_in_bulk(cls, ['corrected', 'version'], [
                    (r.id, True, (r.version or 1) + 1) for r in to_mark])
            clear_local_cache(to_mark)

    @classmethod
    @ModelView.button
    def update_from_origin(cls, records):
        """Compute again the values of the rejected records from their
        account, once its data is corrected"""
        records = [r for r in records if r.state == 'rejected']
        cls.set_values_from_origin(
            records, 'reguarantee.project', cls.values_from_projects)
        cls.save(records)
        cls.mark_corrected(records)

    @classmethod
    def set_values_from_origin(cls, records, model, values_from):
        """Set the values of the rejected records whose origin is of model
        from values_from(report, events), as when they were reported"""
        by_report = defaultdict(list)
        for record in records:
            if record.state == 'rejected' and record.origin.__name__ == model:
                by_report[record.report].append(record)
        for report, report_records in by_report.items():
            events = [(
                    r.origin.id, r.kind, r.event_date,
                    {'classification': r.classification}
                    if r.kind == 'classification' else {})
                for r in report_records]
            values = values_from(report, events)
            for record, record_values in zip(report_records, values):
                record_values.pop('origin')
                record_values.pop('kind')
                for name, value in record_values.items():
                    setattr(record, name, value)

    @classmethod
    def get_compensated(cls, report, model, ids):
        """Return, for the guarantees of model with ids, the compensations
        paid by the end of the report's month (amount and last date, by
        guarantee id) and what their recoveries returned by then"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Recovery = pool.get('reguarantee.recovery')
        compensation = Compensation.__table__()
        recovery = Recovery.__table__()
        cursor = Transaction().connection.cursor()
        guarantee_id, group, of_model = compensated_guarantee(
            compensation, model)
        end = next_month(report.month)
        paid, recovered = {}, defaultdict(Decimal)
        for sub in grouped_slice(ids, IN_MAX):
            in_sub = of_model & guarantee_id.in_(list(sub))
            cursor.execute(*compensation.select(
                    guarantee_id,
                    Sum(Coalesce(compensation.claim_amount, 0)),
                    Max(compensation.payment_date),
                    where=in_sub
                    & compensation.state.in_(PAID_STATES)
                    & (compensation.payment_date != Null)
                    & (compensation.payment_date < end),
                    group_by=[group]))
            for guarantee, amount, date in cursor:
                paid[guarantee] = (Decimal(str(amount)), as_date(date))
            cursor.execute(*recovery.join(
                    compensation,
                    condition=recovery.compensation == compensation.id
                    ).select(
                    guarantee_id,
                    Sum(Coalesce(recovery.reguarantor_amount, 0)),
                    where=in_sub
                    & (recovery.state == 'confirmed')
                    & (recovery.date < end),
                    group_by=[group]))
            for guarantee, amount in cursor:
                recovered[guarantee] = Decimal(str(amount))
        return paid, recovered

    @classmethod
    def values_from_projects(cls, report, events):
        """Return the values of a record for each event (project id, kind,
        date, values) of the report's month"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        ids = sorted({e[0] for e in events})
        paid, recovered = cls.get_compensated(
            report, 'reguarantee.project', ids)
        projects = {p.id: p for p in Project.browse(ids)}
        currency = report.company.currency
        vlist = []
        for project_id, kind, date, extra in events:
            project = projects[project_id]
            borrower, institution = project.borrower, project.institution
            compensation_amount, compensation_date = paid.get(
                project_id, (None, None))
            status = account_status(kind, date, compensation_date)
            vlist.append({
                    'origin': str(project),
                    'kind': kind,
                    'account_number': project.number,
                    'event_date': date,
                    'business_type': 'reguarantee',
                    'open_date': project.start_date,
                    'due_date': project.end_date,
                    'currency_code': currency.code,
                    'amount': project.reguaranteed_amount,
                    'borrower_id_type': (
                        'uscc' if borrower.kind in USCC_KINDS
                        else 'resident_id'),
                    'borrower_id_number': borrower.id_number,
                    'borrower_name': borrower.name,
                    'guarantor_uscc': institution.uscc,
                    'guarantor_name': institution.name,
                    'creditor_name': (
                        project.bank.rec_name if project.bank else None),
                    'status': status,
                    'balance': (
                        project.reguaranteed_amount or Decimal(0)
                        if status == 'in_force' else Decimal(0)),
                    'classification': extra.get(
                        'classification', project.classification),
                    'compensation_amount': compensation_amount,
                    'compensation_date': compensation_date,
                    'recovered_amount': (
                        recovered.get(project_id) if compensation_amount
                        else None),
                    'closing_date': date if kind == 'closure' else None,
                    })
        return vlist

    def get_format_values(self):
        "Return the values of the record in the file's fields"
        values = {}
        for _, _, fields_ in bureau_format.SEGMENTS:
            for name, _, _ in fields_:
                values[name] = getattr(self, FORMAT_FIELDS.get(name, name))
        values['kind_code'] = bureau_format.KIND_CODES.get(self.kind)
        values['status_code'] = bureau_format.STATUS_CODES.get(self.status)
        values['classification_code'] = (
            bureau_format.CLASSIFICATION_CODES.get(self.classification))
        values['business_type'] = bureau_format.BUSINESS_TYPES.get(
            self.business_type)
        values['borrower_id_type'] = bureau_format.ID_TYPES.get(
            self.borrower_id_type)
        return values

    def get_errors(self):
        """Return the errors the bureau's rules find in the record, each a
        text naming the record and the field"""
        strings = self.fields_get()
        errors = []
        for name, msg_id, params in bureau_format.check_record(
                self.get_format_values(), self.report.month):
            name = FORMAT_FIELDS.get(name, name)
            if 'other' in params:
                params = dict(params, other=strings[
                        FORMAT_FIELDS.get(params['other'], params['other'])
                        ]['string'])
            errors.append(gettext(
                    'reguarantee_credit.msg_report_record_error',
                    record=self.rec_name,
                    field=strings[name]['string'],
                    error=gettext('reguarantee_credit.' + msg_id,
                        **params)))
        return errors


del _states


class ReportFile(NullEmptyTextMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.report.file'

    report = fields.Many2One(
        'reguarantee.credit.report', "Report", required=True,
        ondelete='CASCADE', readonly=True)
    company = fields.Function(
        fields.Many2One('company.company', "Company"), 'get_report_field',
        searcher='search_report_field')
    month = fields.Function(
        fields.Date("Month"), 'get_report_field',
        searcher='search_report_field')
    bureau = fields.Many2One(
        'reguarantee.credit.bureau', "Bureau", required=True, readonly=True,
        ondelete='RESTRICT')
    number = fields.Integer(
        "Number", required=True, readonly=True,
        help="The files of a report are numbered from 1.")
    kind = fields.Selection([
            ('original', "Original"),
            ('correction', "Correction"),
            ], "Kind", required=True, readonly=True)
    data = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)
    record_count = fields.Integer("Records", readonly=True)
    records = fields.One2Many(
        'reguarantee.credit.report.record', 'file', "Records", readonly=True)
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True,
        help="Sent with every attempt: the bureau receives a file once "
        "whatever the number of retries.")
    sent_date = fields.DateTime("Sent Date", readonly=True)
    bureau_reference = fields.Char(
        "Bureau Reference", readonly=True,
        help="The bureau's identifier of the received file.")
    state = fields.Selection([
            ('pending', "Pending"),
            ('submitted', "Submitted"),
            ('done', "Done"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer(
        "Failed Attempts", readonly=True,
        help="Failed exchanges in a row.")
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    last_error = fields.Text(
        "Last Error", readonly=True,
        states={'invisible': ~Eval('last_error')})
    feedback_date = fields.DateTime("Feedback Date", readonly=True)
    accepted_count = fields.Integer("Accepted", readonly=True)
    rejected_count = fields.Integer("Rejected", readonly=True)
    feedback = fields.Text("Feedback", readonly=True)
    exchanges = fields.One2Many(
        'reguarantee.credit.bureau.exchange', 'file', "Exchanges",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.report, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['pending', 'submitted'])),
                })
        cls._order = [('id', 'DESC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'failed', 'danger',
                    If(Bool(Eval('rejected_count', 0)), 'warning', ''))),
            ]

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.filename or ""}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('filename',) + tuple(clause[1:])]

    def get_report_field(self, name):
        value = getattr(self.report, name)
        return value.id if name == 'company' else value

    @classmethod
    def search_report_field(cls, name, clause):
        return [('report.' + clause[0],) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, files, values=None, external=False):
        super().check_modification(
            mode, files, values=values, external=external)
        if external:
            raise ReportError(gettext(
                    'reguarantee_credit.msg_report_file_read_only'))

    @classmethod
    def create_file(cls, report, records, kind):
        """Validate the records, write them in a new file of the report and
        return it (saved, not yet sent)"""
        pool = Pool()
        Bureau = pool.get('reguarantee.credit.bureau')
        Record = pool.get('reguarantee.credit.report.record')
        Report = pool.get('reguarantee.credit.report')
        bureau = Bureau.get_default(report.company)
        bureau.get_client()
        report.check_header(bureau)
        records = sorted(records, key=lambda r: (r.sequence or 0, r.id))
        if not records:
            raise ReportValidationError(gettext(
                    'reguarantee_credit.msg_report_empty',
                    report=report.rec_name))
        Report.check_records(records)
        number = max((f.number for f in report.files), default=0) + 1
        header = report.get_header_values(
            bureau, kind, number, len(records))
        lines = []
        for sequence, record in enumerate(records, 1):
            values = record.get_format_values()
            values['sequence'] = sequence
            lines.append(values)
        data = bureau_format.write_file(header, lines)
        file, = cls.create([{
                    'report': report.id,
                    'bureau': bureau.id,
                    'number': number,
                    'kind': kind,
                    'data': data,
                    'filename': '%s_%s_%02d%s.txt' % (
                        bureau.provider_code, report.month.strftime('%Y%m'),
                        number, 'C' if kind == 'correction' else ''),
                    'record_count': len(records),
                    'idempotency_key': uuid.uuid4().hex,
                    }])
        # the results and the line of each record in this file
        update_in_bulk(Record, [
                'sequence', 'file', 'state', 'corrected', 'rejection_code',
                'rejection_message'], [
                (r.id, sequence, file.id, 'pending', False, None, None)
                for sequence, r in enumerate(records, 1)])
        clear_local_cache(records)
        return file

    @classmethod
    def submit(cls, files):
        "Queue the submission of the files (no call in the user's transaction)"
        now = dt.datetime.now()
        cls.write(files, {'sent_date': now})
        for file in files:
            cls.__queue__.process([file])

    @classmethod
    def process(cls, files):
        """Send the pending files, or ask for the feedback of the submitted
        ones, when it is due (queue task)"""
        files = cls.browse(files)
        # nobody else exchanges for these files meanwhile (PostgreSQL)
        cls.lock(files)
        now = dt.datetime.now()
        due = [
            f for f in files if f.state in {'pending', 'submitted'}
            and (not f.next_attempt or f.next_attempt <= now)]
        for file in due:
            client = file.bureau.get_client()
            if file.state == 'pending':
                file._submit(client)
            else:
                file._poll(client)

    @classmethod
    def process_due(cls):
        """Queue again the files whose next exchange is overdue (cron): their
        task was lost, or no worker runs"""
        grace = dt.timedelta(minutes=5)
        files = cls.search([
                ('state', 'in', ['pending', 'submitted']),
                ['OR',
                    ('next_attempt', '<', dt.datetime.now() - grace),
                    [('next_attempt', '=', None),
                        ('sent_date', '<', dt.datetime.now() - grace)],
                    ],
                ])
        for file in files:
            cls.__queue__.process([file])

    def get_envelope(self):
        "Return the JSON body that carries the file"
        return json.dumps({
                'fileName': self.filename,
                'providerCode': self.bureau.provider_code,
                'month': self.report.month.strftime('%Y-%m'),
                'kind': self.kind,
                'recordCount': self.record_count,
                'encoding': 'GB18030',
                'content': base64.b64encode(self.data).decode('ascii'),
                }, ensure_ascii=False, separators=(',', ':'))

    def _log(self, kind, answer):
        "Log the exchange in a transaction of its own (it survives errors)"
        pool = Pool()
        Exchange = pool.get('reguarantee.credit.bureau.exchange')
        run_apart(Exchange.log_apart, {
                **Exchange.get_exchange_values(answer),
                'bureau': self.bureau.id,
                'report': self.report.id,
                'file': self.id,
                'kind': kind,
                })

    def _schedule(self, seconds):
        "Queue the next exchange in seconds"
        delay = dt.timedelta(seconds=seconds)
        self.next_attempt = dt.datetime.now() + delay
        self.save()
        with Transaction().set_context(queue_scheduled_at=delay):
            self.__class__.__queue__.process([self])

    def _failed(self, answer):
        "Schedule a retry after a transient failure, or fail the file"
        self.last_error = answer.error
        self.attempts = (self.attempts or 0) + 1
        if (answer.outcome == 'final'
                or self.attempts >= self.bureau.max_attempts):
            self.state = 'failed'
            self.save()
        else:
            self._schedule(self.bureau.get_retry_delay(
                    self.attempts, answer.retry_after))

    def _poll_delay(self, answer):
        "The bureau's hint of when the feedback is ready, at most the interval"
        interval = self.bureau.poll_interval
        try:
            hint = float(answer.data.get('retryAfter'))
        except (TypeError, ValueError):
            return interval
        return min(max(hint, 0), interval)

    def _submit(self, client):
        answer = client.post_file(self.get_envelope(), self.idempotency_key)
        self._log('submit', answer)
        if answer.outcome != 'success':
            self._failed(answer)
            return
        self.bureau_reference = str(answer.data['fileId'])
        self.state = 'submitted'
        self.attempts, self.last_error = 0, None
        self._schedule(self._poll_delay(answer))

    def _poll(self, client):
        answer = client.get_feedback(self.bureau_reference)
        self._log('feedback', answer)
        if answer.outcome != 'success':
            self._failed(answer)
            return
        self.attempts, self.last_error = 0, None
        if answer.data['status'] != 'done':
            self._schedule(self._poll_delay(answer))
            return
        self.apply_feedback(answer.data)

    def apply_feedback(self, data):
        """Set the result of each record of the file from the bureau's
        feedback: a record named by an error is rejected with its code and
        message, the others are accepted"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Record = pool.get('reguarantee.credit.report.record')
        Report = pool.get('reguarantee.credit.report')
        errors = defaultdict(list)
        for error in data.get('errors') or []:
            if isinstance(error, dict):
                errors[error.get('sequence')].append(error)
        records = Record.search([
                ('file', '=', self.id),
                ('state', '=', 'pending'),
                ])
        rows, lines = [], []
        for record in records:
            record_errors = errors.get(record.sequence)
            if record_errors:
                code = ', '.join(
                    str(e.get('code') or '') for e in record_errors)
                message = '\n'.join(
                    f"{e.get('field') or ''}: {e.get('message') or ''}"
                    for e in record_errors)
                rows.append((record.id, 'rejected', code, message))
                lines.append(f'{record.rec_name}: {code} {message}')
            else:
                rows.append((record.id, 'accepted', None, None))
        update_in_bulk(Record, [
                'state', 'rejection_code', 'rejection_message'], rows)
        clear_local_cache(records)
        now = dt.datetime.now()
        rejected = sum(1 for r in rows if r[1] == 'rejected')
        self.state = 'done'
        self.feedback_date = now
        self.accepted_count = len(rows) - rejected
        self.rejected_count = rejected
        self.feedback = '\n'.join(lines) or None
        self.save()
        report = self.report
        lang = Lang.get()
        summary = gettext(
            'reguarantee_credit.msg_report_feedback',
            file=self.rec_name, date=lang.strftime(now),
            accepted=self.accepted_count, rejected=rejected)
        report.feedback = '\n'.join(
            t for t in [summary, self.feedback, report.feedback] if t)
        report.save()
        Report.update_state([Report(report.id)])
