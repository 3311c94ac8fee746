# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Batch import of projects from .xlsx, .xls, .ods and .csv files

The rows read by project_import_file, by chunks, are looked up in bulk and
validated through Project.get_submission_errors, the path of a manual
submission; the valid ones are then submitted by Project.enter_submitted, as
the Submit button does."""
import io
import os
from collections import defaultdict

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import (
    Button, StateReport, StateTransition, StateView, Wizard)

from .exceptions import ProjectImportError
from .model import gc_paused
from .project_import_file import (
    BadCell, ReadError, RowChunks, column_string, template_file)

#: Most errors listed by the wizard; the rejected rows file has them all
MAX_ERRORS_SHOWN = 1000
#: Most values searched by one query
MAX_PARAMS = backend.MAX_QUERY_PARAMS
#: The column of each field named by the errors of the submission
FIELD_COLUMNS = {
    'institution': 'institution',
    'borrower': 'id_number',
    'industry': 'industry',
    'region': 'region',
    'bank': 'bank',
    'loan_contract_number': 'loan_contract_number',
    'loan_amount': 'loan_amount',
    'guarantee_amount': 'guarantee_amount',
    'start_date': 'start_date',
    'end_date': 'end_date',
    'contract': 'contract',
    }


class ImportResult:
    """The outcome of an import

    columns is the ColumnSet of the file (COLUMNS), default_name the name
    of the rejected rows file when the file has none."""

    def __init__(self, filename, headers, columns=None, default_name=None):
        self.filename = filename
        self.headers = headers
        self.columns = columns
        self.default_name = default_name or 'projects'
        # The values read of the rejected rows, by row number
        self.rows = {}
        self.errors = defaultdict(list)
        self.projects = []
        # The number of rows read and of the valid ones
        self.read = 0
        self.valid = 0

    def add_error(self, number, name, reason):
        self.errors[number].append((name, reason))

    @property
    def rejected(self):
        "The numbers of the rows with errors"
        return sorted(self.errors)

    def column_header(self, name):
        if not name:
            return ''
        return self.headers.get(name) or column_string(
            name, columns=self.columns)

    def error_lines(self, limit=None):
        "Yield (row, column header, reason) of the errors"
        count = 0
        for number in self.rejected:
            for name, reason in self.errors[number]:
                if limit is not None and count >= limit:
                    return
                yield number, self.column_header(name), reason
                count += 1

    @property
    def error_count(self):
        return sum(len(e) for e in self.errors.values())

    def rejected_file(self):
        "Return the rejected rows with their reasons as an .xlsx file"
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=gettext(
                'reguarantee_base.msg_project_import_rejected_sheet'))
        names = list(self.headers)
        header = [gettext('reguarantee_base.msg_project_import_row_header')]
        header += [self.headers[n] for n in names]
        header.append(
            gettext('reguarantee_base.msg_project_import_reason_header'))
        bold = Font(bold=True)
        cells = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for number in self.rejected:
            values = self.rows.get(number, {})
            row = [number]
            for name in names:
                value = values.get(name)
                if isinstance(value, BadCell):
                    value = WriteOnlyCell(sheet, value=str(value))
                    value.data_type = 's'
                row.append(value)
            row.append('\n'.join(
                    f'{self.column_header(n)}: {r}' if n else r
                    for n, r in self.errors[number]))
            sheet.append(row)
        content = io.BytesIO()
        workbook.save(content)
        return content.getvalue()

    @property
    def rejected_filename(self):
        name = os.path.splitext(os.path.basename(self.filename or ''))[0]
        return '%s-%s.xlsx' % (
            name or self.default_name,
            gettext('reguarantee_base.msg_project_import_rejected_suffix'))


class ImportLookups:
    """The records named by the rows of an import, searched once: by
    institution code, bank name, (institution id, contract number) and
    borrower ID number (with the new borrowers, unsaved); the base values
    of the projects of each institution, contract and bank (see
    ProjectImport._get_base_values); and what the earlier chunks' projects
    take (the pending of Project.get_submission_errors)"""

    def __init__(self, institution=None):
        self.institution = institution
        self.institutions = {}
        self.banks = {}
        self.contract_numbers = set()
        self.contracts = {}
        self.borrowers = {}
        self.base_values = {}
        self.pending = {}


class ProjectImport(Wizard):
    __name__ = 'reguarantee.project.import'

    start = StateView(
        'reguarantee.project.import.start',
        'reguarantee_base.project_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            # The template is needed before any file is chosen
            Button("Template", 'template', 'tryton-save', validate=False),
            Button("Check Only", 'check', 'tryton-search'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    template = StateReport('reguarantee.project.import.template')
    check = StateTransition()
    checked = StateView(
        'reguarantee.project.import.result',
        'reguarantee_base.project_import_check_view_form', [
            Button("Import Nothing", 'end', 'tryton-cancel'),
            Button("Back", 'start', 'tryton-back'),
            Button("Import the Valid Rows", 'import_valid', 'tryton-ok',
                default=True, states={
                    'readonly': ~Eval('valid', 0),
                    }),
            ])
    import_valid = StateTransition()
    import_ = StateTransition()
    result = StateView(
        'reguarantee.project.import.result',
        'reguarantee_base.project_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_template(self):
        return 'start'

    def transition_check(self):
        "Validate every row of the file and write nothing"
        result = self.import_file(
            self.start.file, self.start.filename, self.start.institution,
            'check')
        self._set_result(self.checked, result, 'check')
        return 'checked'

    def default_checked(self, fields):
        return self._get_result(self.checked)

    def transition_import_valid(self):
        self.start.mode = 'valid'
        return 'import_'

    def transition_import_(self):
        mode = self.start.mode
        result = self.import_file(
            self.start.file, self.start.filename, self.start.institution,
            mode)
        # No need to keep the file in the session
        self.start.file = None
        self._set_result(self.result, result, mode)
        return 'result'

    def default_result(self, fields):
        return self._get_result(self.result)

    @classmethod
    def _set_result(cls, view, result, mode):
        "Fill the view of the result of the import (or check) in mode"
        view.set_result(
            result, cls.get_summary(result, mode), len(result.projects))
        view.valid = result.valid

    @classmethod
    def _get_result(cls, view):
        return view.get_values(['valid'])

    @classmethod
    def get_summary(cls, result, mode):
        "Return the text that says what the import (or check) did"
        def message(msg_id, **params):
            return gettext('reguarantee_base.' + msg_id, **params)

        lines = []
        if mode == 'check':
            lines.append(message(
                    'msg_project_import_summary_checked',
                    rows=result.read, valid=result.valid))
        elif result.projects:
            lines.append(message(
                    'msg_project_import_summary_imported',
                    count=len(result.projects)))
        elif mode == 'all' and result.errors:
            lines.append(message('msg_project_import_summary_all_or_nothing'))
        else:
            lines.append(message('msg_project_import_summary_none'))
        if result.errors:
            lines.append(message(
                    'msg_project_import_summary_rejected',
                    rows=len(result.rejected), errors=result.error_count))
        return '\n'.join(lines)

    @classmethod
    def import_file(
            cls, data, filename, institution=None, mode='valid',
            progress=None):
        """Import the projects of the file and return an ImportResult

        institution is that of the rows without an institution code; with
        mode 'all' nothing is imported unless every row is valid.  progress
        is called with (stage, done, total).  With mode 'check' the rows are
        only validated and nothing is written.  Raise ProjectImportError when
        the file cannot be imported.

        The rows are validated by chunks as they are read (see RowChunks)
        and the valid ones are created once the whole file is validated."""
        currency = cls.get_currency()
        chunks = RowChunks(data, filename, currency.digits if currency else 2)
        return cls.import_chunks(chunks, filename, institution, mode, progress)

    @classmethod
    def get_currency(cls):
        "Return the currency of the amounts: the company's"
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        return Company(company).currency if company is not None else None

    @classmethod
    def import_chunks(
            cls, chunks, filename, institution=None, mode='valid',
            progress=None):
        """Import the projects of the chunks of rows as import_file does

        chunks iterates over lists of rows as RowChunks does and has its
        headers: the REST API gives the rows of its requests this way."""
        if progress is None:
            def progress(stage, done, total):
                pass
        currency = cls.get_currency()
        result = ImportResult(filename, chunks.headers)
        lookups = ImportLookups(institution)
        # The rows, their projects and borrowers live until they are
        # created, without cycles (see gc_paused)
        with gc_paused():
            projects, read = cls._read_chunks(
                chunks, result, lookups, institution, currency, progress)
            if not read:
                raise ProjectImportError(gettext(
                        'reguarantee_base.msg_project_import_no_rows',
                        filename=filename))
            progress('validate', read, read)
            result.read, result.valid = read, len(projects)
            if mode == 'check' or (mode == 'all' and result.errors):
                return result
            cls._create_projects(result, projects, lookups, progress)
        return result

    @classmethod
    def _read_chunks(
            cls, chunks, result, lookups, institution, currency, progress):
        """Validate the rows of the chunks into result; return the projects
        of the valid ones, unsaved, and the number of rows read"""
        projects, read = [], 0
        try:
            for chunk in chunks:
                result.headers = chunks.headers
                if institution is None and 'institution' not in result.headers:
                    raise ProjectImportError(gettext(
                            'reguarantee_base'
                            '.msg_project_import_no_institution',
                            column=column_string('institution')))
                read += len(chunk)
                projects.extend(cls._validate_rows(
                        result, chunk, lookups, currency))
                progress('validate', read, None)
        except ReadError as error:
            raise ProjectImportError(error.message) from error
        return projects, read

    @classmethod
    def get_institutions(cls, codes, institution=None):
        """Return the institutions the user may import for by code

        The record rules of the user decide: an institution operator
        imports only for its own institutions."""
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        company = Transaction().context.get('company')
        codes = set(codes)
        if institution:
            codes.add(institution.code)
        institutions = {}
        with check_access():
            for sub_codes in grouped_slice(codes, MAX_PARAMS):
                for record in Institution.search([
                            ('code', 'in', list(sub_codes)),
                            ('company', '=', company),
                            ]):
                    institutions[record.code] = record
        if institution and institution.code not in institutions:
            raise ProjectImportError(gettext(
                    'reguarantee_base.msg_project_import_institution_access',
                    institution=institution.rec_name))
        return institutions

    @classmethod
    def _validate_rows(cls, result, chunk, lookups, currency):
        """Validate a chunk of rows of RowChunks, add their errors to result
        and return the projects of the valid ones, unsaved"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        institution = lookups.institution

        def error(row, column, msg_id, **params):
            # the messages of another module (an API's) name it
            if '.' not in msg_id:
                msg_id = 'reguarantee_base.' + msg_id
            result.add_error(row, column, gettext(msg_id, **params))

        for number, _, _, errors in chunk:
            for name, msg_id, params in errors:
                error(number, name, msg_id, **params)
        cls._look_up(lookups, [record for _, _, record, _ in chunk])
        # The text of the message, formatted for each row as gettext does
        row_label = gettext('reguarantee_base.msg_project_import_row')

        vlist, numbers = [], []
        for number, _, record, _ in chunk:
            code = record['institution']
            if code:
                project_institution = lookups.institutions.get(code)
                if not project_institution:
                    error(number, 'institution',
                        'msg_project_import_unknown_institution', code=code)
                elif institution and project_institution != institution:
                    error(number, 'institution',
                        'msg_project_import_other_institution', code=code,
                        institution=institution.rec_name)
            else:
                project_institution = institution
            bank = None
            if record['bank']:
                same_name = lookups.banks.get(record['bank'], [])
                if len(same_name) == 1:
                    bank, = same_name
                else:
                    error(number, 'bank',
                        'msg_project_import_unknown_bank'
                        if not same_name
                        else 'msg_project_import_ambiguous_bank',
                        name=record['bank'])
            contract = None
            if record['contract'] and project_institution:
                contract = lookups.contracts.get(
                    (project_institution.id, record['contract']))
                if not contract:
                    error(number, 'contract',
                        'msg_project_import_unknown_contract',
                        number=record['contract'],
                        institution=project_institution.rec_name)
            if number in result.errors:
                continue
            # a new borrower is the dictionary of its values until
            # Project.new_drafts builds it, for the rows of the chunk
            borrower = lookups.borrowers.get(record['id_number'])
            if isinstance(borrower, dict):
                kind = borrower['kind']
            else:
                kind = borrower.kind if borrower else None
            if (borrower and record['borrower_kind']
                    and kind != record['borrower_kind']):
                if isinstance(borrower, dict):
                    borrower = Borrower(**borrower)
                error(number, 'borrower_kind',
                    'msg_project_import_borrower_registered_kind',
                    id_number=borrower.id_number, kind=borrower.kind_string)
                continue
            if not borrower:
                borrower = lookups.borrowers[record['id_number']] = (
                    cls._get_borrower_values(record))
            base_key = (project_institution.id, contract, bank)
            base = lookups.base_values.get(base_key)
            if base is None:
                base = lookups.base_values[base_key] = (
                    cls._get_base_values(
                        project_institution, contract, bank, currency))
            values = cls._get_project_values(record, base, borrower)
            values['rec_name'] = row_label % {'row': number}
            vlist.append(values)
            numbers.append(number)
        projects = Project.new_drafts(vlist)
        for project in projects:
            borrower = project.borrower
            if borrower.id is None:
                lookups.borrowers[borrower.id_number] = borrower

        # the duplicates of the earlier chunks' rows are found through
        # lookups.pending
        for number, errors in zip(numbers, Project.get_submission_errors(
                    projects, pending=lookups.pending)):
            for message in errors:
                result.add_error(
                    number,
                    FIELD_COLUMNS.get(getattr(message, 'field', None)),
                    message)

        for number, values, _, _ in chunk:
            if number in result.errors:
                result.rows[number] = values
        return [
            p for p, n in zip(projects, numbers) if n not in result.errors]

    @classmethod
    def _look_up(cls, lookups, records):
        """Fill lookups with the institutions, banks, contracts and
        borrowers named by the records that it does not know yet"""
        pool = Pool()
        Party = pool.get('party.party')
        Contract = pool.get('reguarantee.contract')
        Borrower = pool.get('reguarantee.borrower')

        def new_values(name, known):
            return {
                r[name] for r in records if r[name] and r[name] not in known}

        codes = new_values('institution', lookups.institutions)
        if codes or not lookups.institutions:
            institutions = cls.get_institutions(codes, lookups.institution)
            lookups.institutions.update(dict.fromkeys(codes))
            lookups.institutions.update(institutions)
        names = new_values('bank', lookups.banks)
        for sub_names in grouped_slice(names, MAX_PARAMS):
            for bank in Party.search([('name', 'in', list(sub_names))]):
                lookups.banks.setdefault(bank.name, []).append(bank)
        numbers = new_values('contract', lookups.contract_numbers)
        lookups.contract_numbers.update(numbers)
        for sub_numbers in grouped_slice(numbers, MAX_PARAMS):
            # Matched by (institution, number): a row finds only the
            # contracts of its own institution
            for contract in Contract.search([
                        ('number', 'in', list(sub_numbers)),
                        ]):
                lookups.contracts[contract.institution.id, contract.number] = (
                    contract)
        id_numbers = new_values('id_number', lookups.borrowers)
        # A borrower is shared by the institutions (docs/borrowers.md): its
        # identity number finds it even when the user may not read it yet
        with without_check_access():
            for sub_id_numbers in grouped_slice(id_numbers, MAX_PARAMS):
                for borrower in Borrower.search([
                            ('id_number', 'in', list(sub_id_numbers)),
                            ]):
                    lookups.borrowers[borrower.id_number] = borrower

    @classmethod
    def _create_projects(cls, result, projects, lookups, progress):
        """Submit the validated projects with their new borrowers through
        Project.enter_submitted, as the Submit button does"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        progress('create', 0, len(projects))
        # The rows were validated chunk by chunk as they were read, with the
        # pending of lookups: the errors of the valid ones are empty
        result.projects.extend(Project.enter_submitted(
                projects, errors=[[] for _ in projects]))
        progress('create', len(result.projects), len(projects))

    @classmethod
    def _get_borrower_values(cls, record):
        "Return the values of the new borrower of the row"
        return {
            'name': record['borrower_name'],
            'kind': record['borrower_kind'],
            'id_number': record['id_number'],
            'industry': record['industry'],
            'region': record['region'],
            }

    @classmethod
    def _get_base_values(cls, institution, contract, bank, currency):
        """Return the values of the draft projects of the rows of the
        institution, contract and bank (see Project.new_drafts)"""
        return {
            'company': institution.company,
            'institution': institution,
            'contract': contract,
            'bank': bank,
            'product': None,
            'reguaranteed_amount': None,
            'currency': currency,
            'state': 'draft',
            }

    @classmethod
    def _get_project_values(cls, record, base, borrower):
        """Return the values of the draft project of the row (see
        Project.new_drafts): the base values and those of the row, of the
        borrower found by the row's identity number (a record) or new (the
        dictionary of its values)"""
        if isinstance(borrower, dict):
            industry, region = borrower['industry'], borrower['region']
        else:
            industry, region = borrower.industry, borrower.region
        return {
            **base,
            'borrower': borrower,
            'borrower_id_number': record['id_number'],
            'industry': record['industry'] or industry,
            'region': record['region'] or region,
            'loan_contract_number': record['loan_contract_number'],
            'loan_amount': record['loan_amount'],
            'guarantee_amount': record['guarantee_amount'],
            'start_date': record['start_date'],
            'end_date': record['end_date'],
            }


class ProjectImportStart(ModelView):
    __name__ = 'reguarantee.project.import.start'

    file = fields.Binary(
        "File", filename='filename', required=True,
        help="An .xlsx, .xls, .ods or .csv file with the columns of the "
        "template.")
    filename = fields.Char("File Name", required=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution",
        domain=[
            ('company', '=', Eval('context', {}).get('company', -1)),
            ('state', '=', 'active'),
            ],
        help="The institution of the rows without an institution code.")
    mode = fields.Selection([
            ('valid', "Import the valid rows"),
            ('all', "Import nothing unless all rows are valid"),
            ], "Mode", required=True)

    @classmethod
    def default_institution(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.get_default_reguarantee_institution()

    @classmethod
    def default_mode(cls):
        return 'valid'


class ImportResultViewMixin:
    """The result of an import (or its check) shown by the wizard: the
    view's model adds its count of imported records as `imported`"""
    __slots__ = ()
    summary = fields.Text("Summary", readonly=True)
    rejected = fields.Integer("Rejected Rows", readonly=True)
    error_count = fields.Integer(
        "Errors", readonly=True,
        help="The list shows at most the first 1000 errors; "
        "the file of the rejected rows has them all.")
    errors = fields.One2Many(
        'reguarantee.project.import.error', None, "Errors", readonly=True)
    rejected_file = fields.Binary(
        "Rejected Rows", filename='rejected_filename', readonly=True,
        help="The rejected rows with their reasons, to correct and import "
        "again.")
    rejected_filename = fields.Char("Rejected Rows File Name", readonly=True)

    def set_result(self, result, summary, imported):
        """Show the result (an ImportResult) with its summary and the number
        of records imported"""
        self.summary = summary
        self.imported = imported
        self.rejected = len(result.rejected)
        self.error_count = result.error_count
        self.errors = [{
                'row': row,
                'column': column,
                'reason': reason,
                } for row, column, reason in result.error_lines(
                    MAX_ERRORS_SHOWN)]
        self.rejected_file = None
        self.rejected_filename = None
        if result.rejected:
            self.rejected_file = result.rejected_file()
            self.rejected_filename = result.rejected_filename

    def get_values(self, names=()):
        """Return the values of the view for its default method, with those
        of the fields names of the view's model, and forget the errors and
        the file: there is no need to keep them in the session"""
        cast = self.__class__.rejected_file.cast
        values = {name: getattr(self, name) for name in names}
        values.update({
                'summary': self.summary,
                'imported': self.imported,
                'rejected': self.rejected,
                'error_count': self.error_count,
                'errors': [{
                        'row': e.row,
                        'column': e.column,
                        'reason': e.reason,
                        } for e in self.errors],
                'rejected_file': (
                    cast(self.rejected_file) if self.rejected_file
                    else None),
                'rejected_filename': self.rejected_filename,
                })
        self.rejected_file = None
        self.errors = []
        return values


class ProjectImportResult(ImportResultViewMixin, ModelView):
    __name__ = 'reguarantee.project.import.result'

    valid = fields.Integer("Valid Rows", readonly=True)
    imported = fields.Integer("Imported Projects", readonly=True)


class ProjectImportErrorLine(ModelView):
    __name__ = 'reguarantee.project.import.error'

    row = fields.Integer("Row", readonly=True)
    column = fields.Char("Column", readonly=True)
    reason = fields.Text("Reason", readonly=True)


class ProjectImportTemplate(Report):
    """The .xlsx template of the import's file; another import's template
    inherits it with its own columns and sheet name"""
    __name__ = 'reguarantee.project.import.template'
    #: The ColumnSet of the file (the projects' when None)
    _columns = None
    #: The message id of the name of the sheet
    _sheet = 'reguarantee_base.msg_project_import_template_sheet'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        action_report, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        cls.check_access(action_report, None, [])
        language = Transaction().language or 'en'
        return (
            'xlsx', template_file(language, cls._columns, sheet=cls._sheet),
            False, action_report.name)
