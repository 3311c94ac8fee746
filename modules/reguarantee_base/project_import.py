# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Batch import of projects from .xlsx, .xls and .csv files

The rows read by project_import_file are looked up in bulk and validated
through Project.get_submission_errors, the path of a manual submission;
the valid ones are created submitted, a few thousand per call."""
import io
import os
from collections import defaultdict

from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access
from trytond.wizard import (
    Button, StateReport, StateTransition, StateView, Wizard)

from .exceptions import ProjectImportError
from .project_import_file import (
    BadCell, ReadError, SheetReader, column_string, convert_row, template_file)

#: Most errors listed by the wizard; the rejected rows file has them all
MAX_ERRORS_SHOWN = 1000
#: Most projects or borrowers created by one call
BATCH_SIZE = 2000
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
    "The outcome of an import"

    def __init__(self, filename, headers):
        self.filename = filename
        self.headers = headers
        self.rows = {}
        self.errors = defaultdict(list)
        self.projects = []

    def add_error(self, number, name, reason):
        self.errors[number].append((name, reason))

    @property
    def rejected(self):
        "The numbers of the rows with errors"
        return sorted(self.errors)

    def column_header(self, name):
        if not name:
            return ''
        return self.headers.get(name) or column_string(name)

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
        sheet = workbook.create_sheet()
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
            name or 'projects',
            gettext('reguarantee_base.msg_project_import_rejected_suffix'))


class ProjectImport(Wizard):
    __name__ = 'reguarantee.project.import'

    start = StateView(
        'reguarantee.project.import.start',
        'reguarantee_base.project_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Template", 'template', 'tryton-save'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    template = StateReport('reguarantee.project.import.template')
    import_ = StateTransition()
    result = StateView(
        'reguarantee.project.import.result',
        'reguarantee_base.project_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_template(self):
        return 'start'

    def transition_import_(self):
        result = self.import_file(
            self.start.file, self.start.filename, self.start.institution,
            self.start.mode)
        # No need to keep the file in the session
        self.start.file = None
        self.result.imported = len(result.projects)
        self.result.rejected = len(result.rejected)
        self.result.error_count = result.error_count
        self.result.errors = [{
                'row': row,
                'column': column,
                'reason': reason,
                } for row, column, reason in result.error_lines(
                    MAX_ERRORS_SHOWN)]
        if result.rejected:
            self.result.rejected_file = result.rejected_file()
            self.result.rejected_filename = result.rejected_filename
        return 'result'

    def default_result(self, fields):
        cast = self.result.__class__.rejected_file.cast
        values = {
            'imported': self.result.imported,
            'rejected': self.result.rejected,
            'error_count': self.result.error_count,
            'errors': [{
                    'row': e.row,
                    'column': e.column,
                    'reason': e.reason,
                    } for e in self.result.errors],
            'rejected_file': (
                cast(self.result.rejected_file)
                if self.result.rejected_file else None),
            'rejected_filename': self.result.rejected_filename,
            }
        # No need to store them in the session
        self.result.rejected_file = None
        self.result.errors = []
        return values

    @classmethod
    def import_file(
            cls, data, filename, institution=None, mode='valid',
            progress=None):
        """Import the projects of the file and return an ImportResult

        institution is that of the rows without an institution code; with
        mode 'all' nothing is imported unless every row is valid.  progress
        is called with (stage, done, total).  Raise ProjectImportError when
        the file cannot be imported."""
        if progress is None:
            def progress(stage, done, total):
                pass
        rows = []
        try:
            reader = SheetReader(data, filename)
            for row in reader:
                rows.append(row)
                if not len(rows) % 1000:
                    progress('read', len(rows), None)
        except ReadError as error:
            raise ProjectImportError(error.message) from error
        progress('read', len(rows), len(rows))
        if not rows:
            raise ProjectImportError(gettext(
                    'reguarantee_base.msg_project_import_no_rows',
                    filename=filename))
        if institution is None and 'institution' not in reader.headers:
            raise ProjectImportError(gettext(
                    'reguarantee_base.msg_project_import_no_institution',
                    column=column_string('institution')))
        result = ImportResult(filename, reader.headers)
        result.rows = dict(rows)
        cls._import_rows(result, institution, mode, progress)
        return result

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
    def _import_rows(cls, result, institution, mode, progress):
        pool = Pool()
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        Contract = pool.get('reguarantee.contract')
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')

        company = Company(Transaction().context['company'])
        currency = company.currency

        def error(number, column, msg_id, **params):
            result.add_error(number, column, gettext(
                    'reguarantee_base.' + msg_id, **params))

        records = {}
        for number, values in result.rows.items():
            record, errors = convert_row(values, currency.digits)
            for name, msg_id, params in errors:
                error(number, name, msg_id, **params)
            records[number] = record

        def column_values(name):
            return {r[name] for r in records.values() if r[name]}

        institutions = cls.get_institutions(
            column_values('institution'), institution)
        banks = defaultdict(list)
        for names in grouped_slice(
                column_values('bank'), MAX_PARAMS):
            for bank in Party.search([('name', 'in', list(names))]):
                banks[bank.name].append(bank)
        contracts = {}
        for numbers in grouped_slice(
                column_values('contract'), MAX_PARAMS):
            for contract in Contract.search([
                        ('number', 'in', list(numbers)),
                        ('institution', 'in', [
                                i.id for i in institutions.values()]),
                        ]):
                contracts[contract.institution.id, contract.number] = (
                    contract)
        borrowers = {}
        for id_numbers in grouped_slice(
                column_values('id_number'), MAX_PARAMS):
            for borrower in Borrower.search([
                        ('id_number', 'in', list(id_numbers)),
                        ]):
                borrowers[borrower.id_number] = borrower

        projects, numbers = [], []
        for number, record in records.items():
            code = record['institution']
            if code:
                project_institution = institutions.get(code)
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
                same_name = banks.get(record['bank'], [])
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
                contract = contracts.get(
                    (project_institution.id, record['contract']))
                if not contract:
                    error(number, 'contract',
                        'msg_project_import_unknown_contract',
                        number=record['contract'],
                        institution=project_institution.rec_name)
            if number in result.errors:
                continue
            borrower = borrowers.get(record['id_number'])
            if not borrower:
                borrower = borrowers[record['id_number']] = Borrower(
                    name=record['borrower_name'],
                    kind=record['borrower_kind'],
                    id_number=record['id_number'],
                    industry=record['industry'],
                    region=record['region'])
            projects.append(cls._get_project(
                    number, record, project_institution, contract, borrower,
                    bank, currency))
            numbers.append(number)

        progress('validate', 0, len(projects))
        for number, errors in zip(
                numbers, Project.get_submission_errors(projects)):
            for message in errors:
                result.add_error(
                    number,
                    FIELD_COLUMNS.get(getattr(message, 'field', None)),
                    message)
        progress('validate', len(projects), len(projects))

        if mode == 'all' and result.errors:
            return
        projects = [
            p for p, n in zip(projects, numbers) if n not in result.errors]
        new_borrowers = list({
                id(p.borrower): p.borrower for p in projects
                if p.borrower.id is None}.values())
        for sub_borrowers in grouped_slice(new_borrowers, BATCH_SIZE):
            Borrower.save(list(sub_borrowers))
        progress('create', 0, len(projects))
        for sub_projects in grouped_slice(projects, BATCH_SIZE):
            vlist = [cls._get_project_values(p) for p in sub_projects]
            cls._set_numbers(vlist)
            created = Project.create(vlist)
            cls._log_submission(created)
            result.projects.extend(created)
            progress('create', len(result.projects), len(projects))

    @classmethod
    def _set_numbers(cls, vlist):
        """Number the projects of the values from the project sequence,
        by batch (Project.preprocess_values would number them one by one)"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        by_company = defaultdict(list)
        for values in vlist:
            by_company[values['company']].append(values)
        for company, company_vlist in by_company.items():
            sequence = configuration.get_multivalue(
                'project_sequence', company=company)
            if sequence:
                for values, number in zip(
                        company_vlist, sequence.get_many(len(company_vlist))):
                    values['number'] = number

    @classmethod
    def _log_submission(cls, projects):
        """Log the transition of the projects to submitted as the submit
        button does, in one query: Model.log stores the records one by one"""
        pool = Pool()
        Log = pool.get('ir.model.log')
        log = Log.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        user = transaction.user
        columns = [
            log.resource, log.event, log.target, log.user, log.create_uid,
            log.create_date]
        for sub_projects in grouped_slice(projects, MAX_PARAMS // 5):
            cursor.execute(*log.insert(columns, [
                        [str(p), 'transition', 'state:submitted', user, user,
                            CurrentTimestamp()]
                        for p in sub_projects]))

    @classmethod
    def _get_project(
            cls, number, record, institution, contract, borrower, bank,
            currency):
        "Return an unsaved draft project for the row"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project(
            company=institution.company,
            institution=institution,
            contract=contract,
            product=None,
            borrower=borrower,
            industry=record['industry'] or borrower.industry,
            region=record['region'] or borrower.region,
            bank=bank,
            loan_contract_number=record['loan_contract_number'],
            loan_amount=record['loan_amount'],
            guarantee_amount=record['guarantee_amount'],
            reguaranteed_amount=None,
            start_date=record['start_date'],
            end_date=record['end_date'],
            currency=currency,
            state='draft')
        project.rec_name = gettext(
            'reguarantee_base.msg_project_import_row', row=number)
        return project

    @classmethod
    def _get_project_values(cls, project):
        "Return the values to create the submitted project"
        return {
            'company': project.company.id,
            'institution': project.institution.id,
            'contract': project.contract.id,
            'product': project.product.id,
            'borrower': project.borrower.id,
            'industry': project.industry,
            'region': project.region,
            'bank': project.bank.id,
            'loan_contract_number': project.loan_contract_number,
            'loan_amount': project.loan_amount,
            'guarantee_amount': project.guarantee_amount,
            'reguaranteed_amount': project.reguaranteed_amount,
            'start_date': project.start_date,
            'end_date': project.end_date,
            'state': 'submitted',
            }


class ProjectImportStart(ModelView):
    __name__ = 'reguarantee.project.import.start'

    file = fields.Binary(
        "File", filename='filename', required=True,
        help="An .xlsx, .xls or .csv file with the columns of the template.")
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


class ProjectImportResult(ModelView):
    __name__ = 'reguarantee.project.import.result'

    imported = fields.Integer("Imported Projects", readonly=True)
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


class ProjectImportErrorLine(ModelView):
    __name__ = 'reguarantee.project.import.error'

    row = fields.Integer("Row", readonly=True)
    column = fields.Char("Column", readonly=True)
    reason = fields.Text("Reason", readonly=True)


class ProjectImportTemplate(Report):
    __name__ = 'reguarantee.project.import.template'

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
            'xlsx', template_file(language), False, action_report.name)
