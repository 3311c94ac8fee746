# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Letter screening (开函): an institution's batch of letter applications,
each screened by the rules and the provider's data into pass, refer to staff
or decline, with its reasons"""
import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.borrower import is_valid_borrower_id
from trytond.modules.reguarantee_base.model import (
    PrevalidatedMixin, WorkflowGuardMixin, count_by, create_in_bulk)
from trytond.modules.reguarantee_base.product import BORROWER_KINDS
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ScreeningError, ScreeningFileError
from .lookup import IN_MAX, LIVE_STATES, clear_local_cache, update_in_bulk

RESULTS = [
    (None, ""),
    ('pass', "Pass"),
    ('refer', "Refer"),
    ('decline', "Decline"),
    ]
#: The result of a rule's action; the worst of a line's rules wins
SEVERITY = {None: 0, 'pass': 0, 'refer': 1, 'decline': 2}
#: The columns of an application file, in order
COLUMNS = [
    'borrower_name', 'borrower_kind', 'id_number', 'industry', 'region',
    'bank_name', 'loan_contract_number', 'loan_amount', 'guarantee_amount',
    'start_date', 'end_date']
CHECKS = [
    ('eligibility', "Eligibility"),
    ('breaker', "Circuit Breaker"),
    ('quota', "Quota"),
    ('concentration', "Concentration"),
    ('enforcement', "Enforcement Records"),
    ('abnormal_operation', "Abnormal Operations"),
    ('lawsuit', "Lawsuits"),
    ('no_data', "No Credit Data"),
    ]


class ScreeningRule(
        DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'reguarantee.letter.screening.rule'

    check = fields.Selection(CHECKS, "Check", required=True)
    action = fields.Selection([
            ('refer', "Refer to Staff"),
            ('decline', "Decline"),
            ], "Action", required=True,
        help="What an application that fails the check becomes.")
    threshold = fields.Numeric(
        "Threshold", digits=(16, 4),
        states={
            'invisible': ~Eval('check').in_(['concentration', 'lawsuit']),
            },
        help="Concentration: the largest share of the institution's net "
        "assets guaranteed to one borrower (0.1 for 10 %).\n"
        "Lawsuits: the number of lawsuits from which the check fails.")

    @classmethod
    def default_action(cls):
        return 'refer'

    @classmethod
    def get_actions(cls):
        "Return the action and threshold of each active check"
        return {r.check: r for r in cls.search([])}


class Screening(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.letter.screening'
    _rec_name = 'number'

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    number = fields.Char("Number", readonly=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True,
        states={'readonly': Eval('state') != 'draft'},
        domain=[('company', '=', Eval('company', -1))])
    date = fields.Date("Date", required=True, readonly=True)
    filename = fields.Char("File", readonly=True)
    provider = fields.Many2One(
        'reguarantee.credit.provider', "Provider", readonly=True)
    lines = fields.One2Many(
        'reguarantee.letter.screening.line', 'screening', "Applications",
        states={'readonly': Eval('state') != 'draft'})
    state = fields.Selection([
            ('draft', "Draft"),
            ('screening', "Screening"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    line_count = fields.Function(
        fields.Integer("Applications"), 'get_counts')
    pass_count = fields.Function(fields.Integer("Passed"), 'get_counts')
    refer_count = fields.Function(fields.Integer("Referred"), 'get_counts')
    decline_count = fields.Function(
        fields.Integer("Declined"), 'get_counts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'screening'),
            ('screening', 'done'),
            ('done', 'screening'),
            }
        cls._buttons.update({
                'screen': {
                    'invisible': Eval('state') == 'screening',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_institution(cls):
        institutions = Transaction().context.get('institutions') or []
        if len(institutions) == 1:
            return institutions[0]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Sequence = pool.get('ir.sequence')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = Sequence(ModelData.get_id(
                    'reguarantee_credit', 'sequence_screening')).get()
        return values

    @classmethod
    def copy(cls, screenings, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('state', 'draft')
        default.setdefault('date', None)
        return super().copy(screenings, default=default)

    @classmethod
    def get_counts(cls, screenings, names):
        pool = Pool()
        Line = pool.get('reguarantee.letter.screening.line')
        line = Line.__table__()
        return count_by(
            line, line.screening, line.result, screenings, names,
            'line_count')

    @classmethod
    @ModelView.button
    @Workflow.transition('screening')
    def screen(cls, screenings):
        """Ask the look-ups the applications need and screen them through
        the queue (no network call waits in the user's transaction)"""
        # the button is the access check: the applications of a screened
        # batch, its borrowers and requests are the screening's own work
        with without_check_access():
            cls.prepare(screenings)
        for screening in screenings:
            cls.__queue__.process([screening])

    @classmethod
    @Workflow.transition('done')
    def finish(cls, screenings):
        pass

    @classmethod
    def prepare(cls, screenings):
        """Set the borrower of each application (registering the unknown
        ones) and create the provider requests of those without a fresh
        look-up; the requests are committed with the transaction, before
        any call"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Line = pool.get('reguarantee.letter.screening.line')
        Provider = pool.get('reguarantee.credit.provider')
        Request = pool.get('reguarantee.credit.request')
        for screening in screenings:
            lines = [ln for ln in screening.lines]
            codes = {
                ln.id_number for ln in lines
                if ln.id_number and is_valid_borrower_id(
                    ln.borrower_kind, ln.id_number)}
            borrowers = {}
            for sub in grouped_slice(sorted(codes), IN_MAX):
                for borrower in Borrower.search(
                        [('id_number', 'in', list(sub))]):
                    borrowers[borrower.id_number] = borrower
            vlist, seen = [], set(borrowers)
            for ln in lines:
                if ln.id_number in codes and ln.id_number not in seen:
                    seen.add(ln.id_number)
                    vlist.append({
                            'name': ln.borrower_name,
                            'kind': ln.borrower_kind,
                            'id_number': ln.id_number,
                            'industry': ln.industry,
                            'region': ln.region,
                            })
            # their identity numbers are checked above: inserted at once
            with Transaction().set_context(_reguarantee_prevalidated=True):
                for borrower in create_in_bulk(Borrower, vlist):
                    borrowers[borrower.id_number] = borrower
            update_in_bulk(Line, ['borrower', 'result', 'reasons', 'lookup'], [
                    (ln.id, borrowers[ln.id_number].id
                        if ln.id_number in borrowers else None,
                        None, None, None) for ln in lines])
            clear_local_cache(lines)
            screening.provider = Provider.get_default(screening.company.id)
            screening.save()
            Request.ask(
                list(borrowers.values()), 'screening',
                provider=screening.provider, screening=screening)

    @classmethod
    def process(cls, screenings):
        """Send the pending requests of the screenings, then screen their
        applications once no request is left pending (queue task)"""
        pool = Pool()
        Request = pool.get('reguarantee.credit.request')
        screenings = [s for s in cls.browse(screenings)
            if s.state == 'screening']
        if not screenings:
            return
        now = dt.datetime.now()
        requests = Request.search([
                ('screening', 'in', [s.id for s in screenings]),
                ('state', '=', 'pending'),
                ])
        Request.send([
                r for r in requests
                if not r.next_attempt or r.next_attempt <= now])
        waiting = {}
        for request in Request.search([
                    ('screening', 'in', [s.id for s in screenings]),
                    ('state', '=', 'pending'),
                    ]):
            next_attempt = request.next_attempt or now
            waiting[request.screening.id] = min(
                waiting.get(request.screening.id, next_attempt),
                next_attempt)
        # a screening waits for its look-ups rather than passing without
        # them: it is queued again for its requests' next attempt
        ready = [s for s in screenings if s.id not in waiting]
        for screening in screenings:
            if screening.id in waiting:
                delay = max(waiting[screening.id] - dt.datetime.now(),
                    dt.timedelta(0))
                with Transaction().set_context(queue_scheduled_at=delay):
                    cls.__queue__.process([screening])
        if ready:
            cls.screen_lines([ln for s in ready for ln in s.lines])
            cls.finish(ready)

    @classmethod
    def screen_lines(cls, lines):
        "Set the result and reasons of the lines from the rules"
        pool = Pool()
        Line = pool.get('reguarantee.letter.screening.line')
        Lookup = pool.get('reguarantee.credit.lookup')
        Rule = pool.get('reguarantee.letter.screening.rule')
        rules = Rule.get_actions()
        lookups = Lookup.get_latest([ln.borrower for ln in lines
                if ln.borrower])
        failures = [[] for _ in lines]
        # what a check leaves for the next ones (the matched projects)
        state = {}
        for check, _ in CHECKS:
            if check not in rules:
                continue
            method = getattr(cls, f'check_{check}')
            for index, reason in method(lines, lookups, rules[check], state):
                failures[index].append((check, reason))
        rows = []
        for line, line_failures in zip(lines, failures):
            result = 'pass'
            for check, _ in line_failures:
                action = rules[check].action
                if SEVERITY[action] > SEVERITY[result]:
                    result = action
            lookup = lookups.get(str(line.borrower)) if line.borrower else None
            rows.append((
                    line.id, result,
                    '\n'.join(r for _, r in line_failures) or None,
                    lookup.id if lookup else None))
        # the results are the screening's own fields: written at once
        update_in_bulk(Line, ['result', 'reasons', 'lookup'], rows)
        clear_local_cache(lines)

    @classmethod
    def _get_projects(cls, lines):
        "Return an unsaved draft project for each line (None: no borrower)"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        projects = []
        for line in lines:
            if not line.borrower:
                projects.append(None)
                continue
            institution = line.screening.institution
            project = Project(
                company=institution.company, institution=institution,
                contract=None, product=None, reguaranteed_amount=None,
                currency=institution.company.currency, state='draft',
                borrower=line.borrower,
                industry=line.industry or line.borrower.industry,
                region=line.region or line.borrower.region,
                loan_contract_number=line.loan_contract_number,
                loan_amount=line.loan_amount or Decimal(0),
                guarantee_amount=line.guarantee_amount or Decimal(0),
                start_date=line.start_date, end_date=line.end_date)
            project.rec_name = line.rec_name
            projects.append(project)
        return projects

    @classmethod
    def check_eligibility(cls, lines, lookups, rule, state):
        """Yield (index, reason) for the lines whose application no
        contract's product covers, or whose data is invalid; the others get
        their matched project (for the quota and breaker checks)"""
        cache = {}
        matched = state['matched'] = []
        projects = cls._get_projects(lines)
        for index, (line, project) in enumerate(zip(lines, projects)):
            if project is None or not line.start_date or not line.end_date:
                yield index, gettext(
                    'reguarantee_credit.msg_screening_invalid',
                    line=line.rec_name)
                continue
            errors = project.get_errors(cache)
            if not errors:
                matched.append((index, project))
            for error in errors:
                yield index, error

    @classmethod
    def _matched(cls, lines, state):
        "The (index, project) of the lines a product covers"
        if 'matched' not in state:
            list(cls.check_eligibility(lines, {}, None, state))
        return state['matched']

    @classmethod
    def check_breaker(cls, lines, lookups, rule, state):
        pool = Pool()
        Assignment = pool.get('reguarantee.risk.tier.assignment')
        matched = cls._matched(lines, state)
        index = {id(p): i for i, p in matched}
        for project, error in Assignment.get_breaker_errors(
                [p for _, p in matched]):
            yield index[id(project)], error

    @classmethod
    def check_quota(cls, lines, lookups, rule, state):
        "The applications passed count against the quotas in their order"
        pool = Pool()
        Quota = pool.get('reguarantee.risk.quota')
        matched = cls._matched(lines, state)
        index = {id(p): i for i, p in matched}
        for project, error in Quota.get_quota_errors(
                [p for _, p in matched], {}):
            yield index[id(project)], error

    @classmethod
    def check_concentration(cls, lines, lookups, rule, state):
        """The guarantee balance of the institution with the borrower, the
        applications of the batch included, above the threshold of the
        institution's net assets"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        cursor = Transaction().connection.cursor()
        threshold = rule.threshold if rule.threshold is not None else (
            Decimal('0.1'))
        keys = {(ln.screening.institution.id, ln.borrower.id)
            for ln in lines if ln.borrower}
        balance = defaultdict(Decimal)
        by_institution = defaultdict(set)
        for institution, borrower in keys:
            by_institution[institution].add(borrower)
        for institution, borrowers in by_institution.items():
            for sub in grouped_slice(sorted(borrowers), IN_MAX):
                cursor.execute(*project.select(
                        project.borrower,
                        Sum(Coalesce(project.guarantee_amount, 0)),
                        where=(project.institution == institution)
                        & project.borrower.in_(list(sub))
                        & project.state.in_(LIVE_STATES),
                        group_by=[project.borrower]))
                for borrower, amount in cursor:
                    balance[institution, borrower] += Decimal(str(amount))
        lang = Lang.get()
        for index, line in enumerate(lines):
            if not line.borrower:
                continue
            institution = line.screening.institution
            key = institution.id, line.borrower.id
            balance[key] += line.guarantee_amount or Decimal(0)
            net_assets = institution.net_assets
            if net_assets and balance[key] > threshold * net_assets:
                currency = institution.company.currency
                yield index, gettext(
                    'reguarantee_credit.msg_screening_concentration',
                    line=line.rec_name,
                    balance=lang.currency(balance[key], currency),
                    share=lang.format(
                        '%.2f', balance[key] / net_assets * 100),
                    limit=lang.format('%.2f', threshold * 100))

    @classmethod
    def _lookup_check(cls, lines, lookups, field, msg_id, minimum=1):
        for index, line in enumerate(lines):
            lookup = lookups.get(str(line.borrower)) if line.borrower else None
            count = getattr(lookup, field, 0) if lookup else 0
            if lookup and count and count >= minimum:
                yield index, gettext(
                    'reguarantee_credit.' + msg_id, line=line.rec_name,
                    count=count,
                    details=(getattr(lookup, field.replace('_count', 's'),
                            None) or '').replace('\n', '; '))

    @classmethod
    def check_enforcement(cls, lines, lookups, rule, state):
        return cls._lookup_check(
            lines, lookups, 'enforcement_count',
            'msg_screening_enforcement')

    @classmethod
    def check_abnormal_operation(cls, lines, lookups, rule, state):
        for index, line in enumerate(lines):
            lookup = lookups.get(str(line.borrower)) if line.borrower else None
            if lookup and lookup.abnormal_count:
                yield index, gettext(
                    'reguarantee_credit.msg_screening_abnormal',
                    line=line.rec_name, count=lookup.abnormal_count,
                    details=(lookup.abnormal_operations or '').replace(
                        '\n', '; '))

    @classmethod
    def check_lawsuit(cls, lines, lookups, rule, state):
        minimum = int(rule.threshold or 1)
        return cls._lookup_check(
            lines, lookups, 'lawsuit_count', 'msg_screening_lawsuit',
            minimum=minimum)

    @classmethod
    def check_no_data(cls, lines, lookups, rule, state):
        """The registered borrowers without a look-up (the provider failed,
        did not know them, or the daily quota was used)"""
        pool = Pool()
        Request = pool.get('reguarantee.credit.request')
        for index, line in enumerate(lines):
            if (line.borrower and Request.subject_id_number(line.borrower)
                    and str(line.borrower) not in lookups):
                yield index, gettext(
                    'reguarantee_credit.msg_screening_no_data',
                    line=line.rec_name)

    @classmethod
    def import_applications(cls, institution, data, filename):
        """Return a draft screening of the institution with the applications
        of the file (CSV, or .xlsx/.xls/.ods), the columns of COLUMNS in
        order after a header row; raise ScreeningFileError naming the row
        and column of the first error

        The REST API (reguarantee_api) creates screenings the same way
        from the rows it receives, with create_screening."""
        rows = read_rows(data, filename)
        return cls.create_screening(institution, rows, filename=filename)

    @classmethod
    def create_screening(cls, institution, rows, filename=None):
        """Return a draft screening of the institution with a line per row
        (a list of the values of COLUMNS, as text or values)"""
        pool = Pool()
        Line = pool.get('reguarantee.letter.screening.line')
        vlist = []
        for number, row in enumerate(rows, 1):
            vlist.append(Line.values_from_row(number, row))
        if not vlist:
            raise ScreeningFileError(gettext(
                    'reguarantee_credit.msg_screening_file_empty'))
        screening, = cls.create([{
                    'company': institution.company.id,
                    'institution': institution.id,
                    'filename': filename,
                    }])
        for values in vlist:
            values['screening'] = screening.id
        # each row is checked by values_from_row: inserted at once
        with Transaction().set_context(_reguarantee_prevalidated=True):
            create_in_bulk(Line, vlist)
        return screening


def read_rows(data, filename):
    "Return the rows after the header of a CSV or spreadsheet file"
    name = (filename or '').lower()
    if name.endswith(('.xlsx', '.xls', '.ods')):
        from python_calamine import CalamineWorkbook
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = workbook.get_sheet_by_index(0).to_python()
        except Exception as exception:
            raise ScreeningFileError(gettext(
                    'reguarantee_credit.msg_screening_file_unreadable',
                    error=str(exception)))
    else:
        for encoding in ['utf-8-sig', 'gb18030']:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ScreeningFileError(gettext(
                    'reguarantee_credit.msg_screening_file_unreadable',
                    error='encoding'))
        rows = list(csv.reader(io.StringIO(text)))
    return [r for r in rows[1:] if any(str(c).strip() for c in r)]


class ScreeningLine(PrevalidatedMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.letter.screening.line'

    screening = fields.Many2One(
        'reguarantee.letter.screening', "Screening", required=True,
        ondelete='CASCADE')
    row = fields.Integer("Row", readonly=True)
    borrower_name = fields.Char("Borrower Name", required=True)
    borrower_kind = fields.Selection(
        BORROWER_KINDS, "Borrower Kind", required=True)
    id_number = fields.Char("ID Number", required=True)
    industry = fields.Char("Industry")
    region = fields.Char("Region")
    bank_name = fields.Char("Bank")
    loan_contract_number = fields.Char("Loan Contract Number")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    loan_amount = Monetary(
        "Loan Amount", currency='currency', digits='currency',
        required=True)
    guarantee_amount = Monetary(
        "Guarantee Amount", currency='currency', digits='currency',
        required=True)
    start_date = fields.Date("Start Date")
    end_date = fields.Date("End Date")
    borrower = fields.Many2One(
        'reguarantee.borrower', "Borrower", readonly=True)
    lookup = fields.Many2One(
        'reguarantee.credit.lookup', "Look-up", readonly=True)
    result = fields.Selection(RESULTS, "Result", readonly=True)
    reasons = fields.Text("Reasons", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.screening, Index.Range())))
        cls._order = [('screening', 'DESC'), ('row', 'ASC'), ('id', 'ASC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('result') == 'decline', 'danger',
                    If(Eval('result') == 'refer', 'warning', ''))),
            ]

    def get_currency(self, name):
        return self.screening.company.currency.id

    def get_rec_name(self, name):
        return gettext(
            'reguarantee_credit.msg_screening_line_name',
            row=self.row or '', name=self.borrower_name or '')

    @classmethod
    def values_from_row(cls, number, row):
        "Return the values of the line of the row, or raise naming the cell"
        kinds = {k for k, _ in BORROWER_KINDS if k}
        row = list(row) + [None] * (len(COLUMNS) - len(row))
        values = {'row': number}
        for name, cell in zip(COLUMNS, row):
            text = str(cell).strip() if cell is not None else ''
            try:
                if name in {'loan_amount', 'guarantee_amount'}:
                    value = Decimal(text.replace(',', '')) if text else None
                elif name in {'start_date', 'end_date'}:
                    if isinstance(cell, dt.datetime):
                        value = cell.date()
                    elif isinstance(cell, dt.date):
                        value = cell
                    else:
                        value = dt.date.fromisoformat(text) if text else None
                elif name == 'borrower_kind':
                    value = text or 'enterprise'
                    if value not in kinds:
                        raise ValueError(value)
                else:
                    value = text or None
            except (ValueError, InvalidOperation):
                raise ScreeningFileError(gettext(
                        'reguarantee_credit.msg_screening_file_cell',
                        row=number + 1, column=name, value=text))
            values[name] = value
        for name in ['borrower_name', 'id_number', 'loan_amount',
                'guarantee_amount']:
            if values.get(name) is None:
                raise ScreeningFileError(gettext(
                        'reguarantee_credit.msg_screening_file_cell',
                        row=number + 1, column=name, value=''))
        return values

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if external and mode in {'create', 'write', 'delete'}:
            screenings = {ln.screening for ln in lines}
            if values and values.get('screening'):
                screenings.add(Pool().get('reguarantee.letter.screening')(
                        values['screening']))
            for screening in screenings:
                if screening.state != 'draft':
                    raise ScreeningError(gettext(
                            'reguarantee_credit.msg_screening_not_draft',
                            screening=screening.rec_name))


class ScreeningImportStart(ModelView):
    __name__ = 'reguarantee.letter.screening.import.start'

    institution = fields.Many2One(
        'reguarantee.institution', "Institution", required=True)
    file = fields.Binary("File", required=True, filename='filename')
    filename = fields.Char("File Name")
    screen = fields.Boolean(
        "Screen", help="Start the screening at once.")

    @classmethod
    def default_institution(cls):
        return Screening.default_institution()

    @classmethod
    def default_screen(cls):
        return True


class ScreeningImport(Wizard):
    __name__ = 'reguarantee.letter.screening.import'

    start = StateView(
        'reguarantee.letter.screening.import.start',
        'reguarantee_credit.screening_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    def transition_import_(self):
        pool = Pool()
        Screening = pool.get('reguarantee.letter.screening')
        screening = Screening.import_applications(
            self.start.institution, self.start.file, self.start.filename)
        if self.start.screen:
            Screening.screen([screening])
        return 'end'
