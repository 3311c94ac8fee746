# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The import of a partner bank's file of loans into an approved batch

The file is read by the project import's reader (project_import_file of
reguarantee_base: the same formats, header aliases, bad-file protections and
conversions, with the columns of a loan file) by chunks; each row is
checked, the borrowers are found by ID number or created, and the rows
become direct guarantees in force through Application.create_in_batch.  The
loans of a batch are imported all together or not at all: a row with an
error, or a total above the remaining limit of the batch, and nothing is
written; the errors are listed by row and column and the rejected rows are
given back as a file, as the project import does."""
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.reguarantee_base.borrower import is_valid_borrower_id
from trytond.modules.reguarantee_base.model import create_in_bulk, gc_paused
from trytond.modules.reguarantee_base.project_import import (
    ImportResult, ImportResultViewMixin, ProjectImportTemplate)
from trytond.modules.reguarantee_base.project_import_file import (
    Column, ColumnSet, ReadError, RowChunks)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateReport, StateTransition, StateView, Wizard)

from .exceptions import BatchError

#: Most values searched by one query
MAX_PARAMS = backend.MAX_QUERY_PARAMS


def _column(name, type_='char', required=False, aliases=()):
    return Column(
        name, type_, required, aliases,
        msg_id='reguarantee_direct.msg_batch_import_column_' + name)


#: The columns of a bank's file of loans, in the order of the template
COLUMNS = ColumnSet([
    _column('borrower_name', required=True,
        aliases=('Borrower Name', '借款人名称', '借款人', '客户名称')),
    _column('borrower_kind', 'kind', required=True,
        aliases=('Borrower Kind', '借款人类型', '借款人类别', '客户类型')),
    _column('id_number', 'code', required=True,
        aliases=(
            'ID Number', '证件号码', '证件号', '统一社会信用代码/身份证号码')),
    _column('industry', 'code', aliases=('Industry', '行业代码', '行业')),
    _column('region', 'code',
        aliases=('Region', '行政区划', '行政区划代码')),
    _column('loan_number', required=True,
        aliases=(
            'Loan Contract Number', 'Loan Number', '借款合同编号',
            '贷款合同编号', '借款合同号')),
    _column('loan_amount', 'amount', required=True,
        aliases=('Loan Amount', '贷款金额', '借款金额', '放款金额')),
    _column('guarantee_amount', 'amount',
        aliases=('Guarantee Amount', '担保金额')),
    _column('loan_date', 'date', required=True,
        aliases=('Loan Date', '放款日期', '贷款发放日期', '借款日期')),
    _column('maturity_date', 'date', required=True,
        aliases=('Maturity Date', '到期日期', '贷款到期日期', '到期日')),
    _column('purpose', aliases=('Purpose', '借款用途', '贷款用途', '用途')),
    ])


def term_months(start_date, end_date):
    "Return the months from start_date to end_date, a month begun counted"
    delta = relativedelta(end_date, start_date)
    months = delta.years * 12 + delta.months
    if delta.days:
        months += 1
    return max(months, 1)


class BatchImportResult(ImportResult):
    "The outcome of the import of a bank's file into a batch"

    def __init__(self, batch, filename, headers):
        super().__init__(filename, headers, COLUMNS, default_name='loans')
        self.batch = batch
        # The amount of the valid rows
        self.amount = Decimal(0)
        # The message saying the rows would exceed the remaining limit
        self.limit_error = None

    @property
    def guarantees(self):
        return self.projects


class BatchImport(Wizard):
    __name__ = 'reguarantee.direct.batch.import'

    start = StateView(
        'reguarantee.direct.batch.import.start',
        'reguarantee_direct.batch_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            # The template is needed before any file is chosen
            Button("Template", 'template', 'tryton-save', validate=False),
            Button("Check Only", 'check', 'tryton-search'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    template = StateReport('reguarantee.direct.batch.import.template')
    check = StateTransition()
    import_ = StateTransition()
    result = StateView(
        'reguarantee.direct.batch.import.result',
        'reguarantee_direct.batch_import_result_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Close", 'end', 'tryton-close', default=True),
            # after a check without error, the file chosen is imported
            Button("Import", 'import_', 'tryton-ok', states={
                    'invisible': ~Eval('importable', False),
                    }),
            ])

    def default_start(self, fields):
        return {
            'batch': self.record.id if self.record else None,
            }

    def transition_template(self):
        return 'start'

    def transition_check(self):
        result = self.import_file(
            self.record, self.start.file, self.start.filename, check=True)
        self._set_result(result, True)
        return 'result'

    def transition_import_(self):
        result = self.import_file(
            self.record, self.start.file, self.start.filename)
        self._set_result(result, False)
        return 'result'

    def _set_result(self, result, check):
        self.result.set_result(
            result, self.get_summary(result, check), len(result.guarantees))
        self.result.importable = bool(
            check and result.valid
            and not result.errors and not result.limit_error)

    def default_result(self, fields):
        values = self.result.get_values(['importable'])
        if self.result.imported:
            self.start.file = None
        return values

    @classmethod
    def get_summary(cls, result, check=False):
        "Return the text that says what the import (or check) did"
        lines = []
        if check:
            lines.append(gettext(
                    'reguarantee_base.msg_project_import_summary_checked',
                    rows=result.read, valid=result.valid))
        elif result.guarantees:
            lines.append(gettext(
                    'reguarantee_direct.msg_batch_import_summary_imported',
                    count=len(result.guarantees),
                    batch=result.batch.rec_name))
        else:
            lines.append(gettext(
                    'reguarantee_direct.msg_batch_import_summary_refused'))
        if result.limit_error:
            lines.append(result.limit_error)
        if result.errors:
            lines.append(gettext(
                    'reguarantee_base.msg_project_import_summary_rejected',
                    rows=len(result.rejected), errors=result.error_count))
        return '\n'.join(lines)

    @classmethod
    def import_file(cls, batch, data, filename, check=False):
        """Import the loans of the file as guarantees in force of the batch
        and return a BatchImportResult

        Nothing is written unless every row is valid and their total fits
        in the remaining limit of the batch, nor with check.  Raise
        BatchError when the batch is not approved or the file cannot be
        imported."""
        if batch.state != 'approved':
            raise BatchError(gettext(
                    'reguarantee_direct.msg_batch_not_approved',
                    batch=batch.rec_name))
        chunks = RowChunks(
            data, filename, batch.currency.digits, columns=COLUMNS)
        result = BatchImportResult(batch, filename, chunks.headers)
        # The borrowers by ID number (the new ones unsaved), the values of
        # the new ones and the loan numbers of the file
        borrowers, new_borrowers, loan_numbers = {}, {}, {}
        rows = []
        with gc_paused():
            try:
                for chunk in chunks:
                    result.headers = chunks.headers
                    result.read += len(chunk)
                    rows.extend(cls._validate_rows(
                            batch, result, chunk, borrowers, new_borrowers,
                            loan_numbers))
            except ReadError as error:
                raise BatchError(error.message) from error
            if not result.read:
                raise BatchError(gettext(
                        'reguarantee_base.msg_project_import_no_rows',
                        filename=filename))
            result.valid = len(rows)
            result.amount = sum((v['amount'] for _, v in rows), Decimal(0))
            remaining = batch.remaining_limit
            if result.amount > remaining:
                result.limit_error = cls._limit_error(batch, result.amount)
            if check or result.errors or result.limit_error:
                return result
            result.projects.extend(
                cls._create_guarantees(batch, rows, new_borrowers))
        return result

    @classmethod
    def _limit_error(cls, batch, amount):
        "Return the message of the rows of amount over the batch's limit"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()

        def format_(value):
            return lang.currency(value, batch.currency, grouping=True)
        return gettext(
            'reguarantee_direct.msg_batch_limit_exceeded',
            batch=batch.rec_name, used=format_(batch.used_amount),
            added=format_(amount), total=format_(batch.used_amount + amount),
            limit=format_(batch.limit))

    @classmethod
    def _validate_rows(
            cls, batch, result, chunk, borrowers, new_borrowers,
            loan_numbers):
        """Validate a chunk of rows of RowChunks, add their errors to result
        and return (borrower, values of the guarantee) of the valid ones; a
        new borrower's values are kept in new_borrowers by ID number"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')

        def error(number, column, msg_id, **params):
            if '.' not in msg_id:
                msg_id = 'reguarantee_base.' + msg_id
            result.add_error(number, column, gettext(msg_id, **params))

        for number, _, _, errors in chunk:
            for name, msg_id, params in errors:
                error(number, name, msg_id, **params)
        records = [r for _, _, r, _ in chunk]
        cls._look_up_borrowers(borrowers, records)
        existing = cls._existing_loans(batch, records)

        valid = []
        for number, _, record, _ in chunk:
            if number in result.errors:
                continue
            loan_number = record['loan_number']
            if loan_number in existing:
                error(number, 'loan_number',
                    'reguarantee_direct.msg_batch_import_loan_exists',
                    loan_number=loan_number, bank=batch.bank.rec_name,
                    application=existing[loan_number])
            elif loan_number in loan_numbers:
                error(number, 'loan_number',
                    'reguarantee_direct.msg_batch_import_loan_twice',
                    loan_number=loan_number, row=loan_numbers[loan_number])
            else:
                loan_numbers[loan_number] = number
            kind, id_number = record['borrower_kind'], record['id_number']
            borrower = borrowers.get(id_number)
            if not is_valid_borrower_id(kind, id_number):
                error(number, 'id_number',
                    'reguarantee_direct.msg_batch_import_id_invalid',
                    id_number=id_number)
            elif borrower and borrower.kind != kind:
                error(number, 'borrower_kind',
                    'msg_project_import_borrower_registered_kind',
                    id_number=id_number, kind=borrower.kind_string)
            loan_amount = record['loan_amount']
            amount = record['guarantee_amount'] or loan_amount
            if loan_amount <= 0 or amount <= 0:
                error(number,
                    'loan_amount' if loan_amount <= 0 else 'guarantee_amount',
                    'reguarantee_direct.msg_batch_import_amount_not_positive')
            elif amount > loan_amount:
                error(number, 'guarantee_amount',
                    'reguarantee_direct.msg_batch_import_guarantee_above_loan',
                    guarantee_amount=amount, loan_amount=loan_amount)
            loan_date = record['loan_date']
            maturity_date = record['maturity_date']
            if not (batch.start_date <= loan_date <= batch.end_date):
                error(number, 'loan_date',
                    'reguarantee_direct.msg_batch_import_loan_date',
                    loan_date=loan_date, batch=batch.rec_name,
                    start_date=batch.start_date, end_date=batch.end_date)
            if maturity_date <= loan_date:
                error(number, 'maturity_date',
                    'reguarantee_direct.msg_batch_import_dates',
                    loan_date=loan_date, maturity_date=maturity_date)
            if number in result.errors:
                continue
            if not borrower:
                new_borrowers[id_number] = cls._get_borrower_values(record)
                borrower = borrowers[id_number] = Borrower(
                    **new_borrowers[id_number])
            values = cls._get_guarantee_values(batch, record)
            # The eligibility of the product, as for the Investigate button
            application = Application(
                kind='financing', product=batch.product, applicant=borrower,
                amount=values['amount'],
                term_months=values['term_months'])
            reasons = application.get_ineligibility()
            if reasons:
                error(number, None,
                    'reguarantee_direct.msg_batch_import_ineligible',
                    product=batch.product.rec_name,
                    reasons='; '.join(reasons))
                continue
            valid.append((borrower, values))
        for number, values, _, _ in chunk:
            if number in result.errors:
                result.rows[number] = values
        return valid

    @classmethod
    def _look_up_borrowers(cls, borrowers, records):
        "Fill borrowers with those of the ID numbers of the records"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        id_numbers = {
            r['id_number'] for r in records
            if r['id_number'] and r['id_number'] not in borrowers}
        # A borrower is shared by the institutions and the direct business
        # (docs/borrowers.md): its ID number finds it even when the user may
        # not read it yet, as in the project import
        with without_check_access():
            for sub_numbers in grouped_slice(id_numbers, MAX_PARAMS):
                for borrower in Borrower.search([
                            ('id_number', 'in', list(sub_numbers)),
                            ]):
                    borrowers[borrower.id_number] = borrower

    @classmethod
    def _existing_loans(cls, batch, records):
        """Return the numbers of the direct guarantees of the bank of the
        batch by loan number of the records, in every company and batch"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        return Application.get_bank_loans(
            batch.bank, [r['loan_number'] for r in records])

    @classmethod
    def _get_borrower_values(cls, record):
        """Return the values of the new borrower of the row: the borrower
        columns are the project import's"""
        ProjectImport = Pool().get('reguarantee.project.import', type='wizard')
        return ProjectImport._get_borrower_values(record)

    @classmethod
    def _get_guarantee_values(cls, batch, record):
        """Return the values of the guarantee in force of the row, but its
        applicant"""
        loan_date, maturity_date = record['loan_date'], record['maturity_date']
        return {
            'application_date': loan_date,
            'amount': record['guarantee_amount'] or record['loan_amount'],
            'term_months': term_months(loan_date, maturity_date),
            'purpose': record['purpose'] or gettext(
                'reguarantee_direct.msg_batch_import_purpose',
                batch=batch.rec_name),
            'loan_number': record['loan_number'],
            'loan_date': loan_date,
            'loan_amount': record['loan_amount'],
            'start_date': loan_date,
            'end_date': maturity_date,
            }

    @classmethod
    def _create_guarantees(cls, batch, rows, new_borrowers):
        """Create the new borrowers of their values by ID number, then the
        guarantees of the rows in force in the batch"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        created = {}
        if new_borrowers:
            # Validated row by row above (PrevalidatedMixin)
            with Transaction().set_context(_reguarantee_prevalidated=True):
                records = create_in_bulk(
                    Borrower, list(new_borrowers.values()))
            created = {b.id_number: b for b in records}
        vlist = []
        for borrower, values in rows:
            borrower = created.get(borrower.id_number, borrower)
            vlist.append({**values, 'applicant': borrower.id})
        return Application.create_in_batch(batch, vlist)


class BatchImportStart(ModelView):
    __name__ = 'reguarantee.direct.batch.import.start'

    batch = fields.Many2One(
        'reguarantee.direct.batch', "Batch", readonly=True)
    file = fields.Binary(
        "File", filename='filename', required=True,
        help="The bank's .xlsx, .xls, .ods or .csv file of loans with the "
        "columns of the template, one loan by row.")
    filename = fields.Char("File Name", required=True)


class BatchImportResultView(ImportResultViewMixin, ModelView):
    __name__ = 'reguarantee.direct.batch.import.result'

    importable = fields.Boolean(
        "Importable", readonly=True,
        help="The file was checked without error.")
    imported = fields.Integer("Imported Guarantees", readonly=True)


class BatchImportTemplate(ProjectImportTemplate):
    __name__ = 'reguarantee.direct.batch.import.template'
    _columns = COLUMNS
    _sheet = 'reguarantee_direct.msg_batch_import_template_sheet'
