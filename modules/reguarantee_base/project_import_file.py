# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Reading import files (.xlsx, .xls, .csv) into rows of typed values

Pure Python: SheetReader and read_rows turn a file into rows of raw values
keyed by column name and refuse bad files with a ReadError; convert_row types
the values of one row and lists its errors.  Messages are only translated
(ReadError.message) within a transaction."""
import codecs
import csv
import datetime as dt
import fcntl
import io
import os
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from trytond.i18n import gettext
from trytond.transaction import Transaction

from .product import BORROWER_KINDS

#: Largest file accepted, in bytes
MAX_FILE_SIZE = 50 * 1024 * 1024
#: Largest total uncompressed size of the parts of an .xlsx file
MAX_UNCOMPRESSED_SIZE = 512 * 1024 * 1024
#: Largest number of parts of an .xlsx file
MAX_PARTS = 10000
#: Largest compression ratio of a part of an .xlsx file (zip bomb guard),
#: checked for the parts above MAX_UNCHECKED_PART bytes
MAX_COMPRESSION_RATIO = 100
MAX_UNCHECKED_PART = 1024 * 1024
#: Most characters in a cell
MAX_CELL_LENGTH = 1000
#: Most rows of a chunk of RowChunks
CHUNK_SIZE = 1000
#: Smallest file read in a second process by RowChunks (an .xlsx of about
#: 7,000 rows): below it, starting the process costs more than it saves
PARALLEL_FILE_SIZE = 512 * 1024
#: The size asked for the pipe from the reader process: a chunk or two
PIPE_SIZE = 1024 * 1024

ZIP_MAGIC = b'PK\x03\x04'
OLE2_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
FORMATS = {
    '.xlsx': 'xlsx',
    '.xls': 'xls',
    '.csv': 'csv',
    }
DATE_FORMATS = ['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y%m%d', '%Y年%m月%d日']
MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]+)"')


class Column(NamedTuple):
    name: str
    string: str
    zh_string: str
    type: str = 'char'
    required: bool = False
    aliases: tuple = ()


#: The columns of an import file, in the order of the template
COLUMNS = [
    Column('institution', "Institution Code", "机构代码", 'code',
        aliases=('担保机构代码', '机构编码')),
    Column('borrower_name', "Borrower Name", "借款人名称", required=True,
        aliases=('借款人', 'borrower')),
    Column('borrower_kind', "Borrower Kind", "借款人类型", 'kind',
        required=True, aliases=('借款人类别',)),
    Column('id_number', "ID Number", "证件号码", 'code', required=True,
        aliases=('证件号', '统一社会信用代码/身份证号码')),
    Column('industry', "Industry", "行业代码", 'code', aliases=('行业',)),
    Column('region', "Region", "行政区划", 'code',
        aliases=('行政区划代码',)),
    Column('bank', "Bank", "贷款银行", required=True, aliases=('银行',)),
    Column('loan_contract_number', "Loan Contract Number", "借款合同编号",
        required=True, aliases=('贷款合同编号',)),
    Column('loan_amount', "Loan Amount", "贷款金额", 'amount',
        required=True),
    Column('guarantee_amount', "Guarantee Amount", "担保金额", 'amount',
        required=True),
    Column('start_date', "Start Date", "起始日期", 'date', required=True,
        aliases=('贷款起始日期', '起始日')),
    Column('end_date', "End Date", "到期日期", 'date', required=True,
        aliases=('贷款到期日期', '到期日')),
    Column('contract', "Contract Number", "再担保合同编号", 'code'),
    ]
COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
#: Headers of the columns the rejected rows file adds; ignored on import
IGNORED_HEADERS = {'row', '行号', 'reason', 'reasons', '原因', '错误原因'}
#: The borrower kinds by their Chinese label
BORROWER_KIND_LABELS = {
    '企业': 'enterprise',
    '个体工商户': 'individual_business',
    '农户': 'farmer',
    '个人': 'person',
    }


def normalize(text):
    "Return the header or label reduced for comparison"
    text = re.sub(r'[(（][^)）]*[)）]', '', str(text))
    return re.sub(r'[\s_*＊:：]', '', text).casefold()


HEADERS = {}
for _column in COLUMNS:
    for _header in [
            _column.name, _column.string, _column.zh_string,
            *_column.aliases]:
        HEADERS[normalize(_header)] = _column.name
KINDS = {normalize(k): v for k, v in BORROWER_KIND_LABELS.items()}
for _key, _string in BORROWER_KINDS:
    KINDS[normalize(_key)] = KINDS[normalize(_string)] = _key
del _column, _header, _key, _string


def column_string(name, language=None):
    "Return the header of the column in the language"
    column = COLUMNS_BY_NAME[name]
    if language is None:
        language = Transaction().language or 'en'
    return column.zh_string if language.startswith('zh') else column.string


class ReadError(Exception):
    "The file cannot be imported; the message id tells why"

    def __init__(self, msg_id, **params):
        super().__init__(msg_id, params)
        self.msg_id = msg_id
        self.params = params

    @property
    def message(self):
        params = self.params.copy()
        if 'columns' in params:
            params['columns'] = ', '.join(
                column_string(c) if c in COLUMNS_BY_NAME else c
                for c in params['columns'])
        if params.get('column') in COLUMNS_BY_NAME:
            params['column'] = column_string(params['column'])
        return gettext('reguarantee_base.' + self.msg_id, **params)


class BadCell:
    "A cell whose value cannot be used: a formula or an error value"
    __slots__ = ('text', 'msg_id')

    def __init__(self, text, msg_id):
        self.text = str(text)
        self.msg_id = msg_id

    def __str__(self):
        return self.text


def file_extension(filename):
    "Return the extension of the file name in lower case, with its dot"
    return os.path.splitext(filename or '')[1].lower()


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


class SheetReader:
    """Iterate over the rows of the first sheet of a file as (row number,
    {column name: value}); raise ReadError when the file cannot be imported

    The header is the first row that is not blank; blank rows are skipped.
    headers maps the names of the columns found to their header."""

    def __init__(self, data, filename):
        self.data = data
        self.filename = filename
        self.headers = {}
        self.format = self.get_format()

    def error(self, msg_id, **params):
        return ReadError(msg_id, filename=self.filename, **params)

    def get_format(self):
        "Return the format of the file, checked against its content"
        if not self.data:
            raise self.error('msg_project_import_file_empty')
        if len(self.data) > MAX_FILE_SIZE:
            raise self.error('msg_project_import_file_too_large',
                max_size=MAX_FILE_SIZE // (1024 * 1024))
        extension = file_extension(self.filename)
        format_ = FORMATS.get(extension)
        if not format_:
            raise self.error('msg_project_import_file_type')
        if self.data.startswith(ZIP_MAGIC):
            content = 'xlsx'
        elif self.data.startswith(OLE2_MAGIC):
            content = 'xls'
        else:
            content = 'csv'
        if content != format_:
            raise self.error(
                'msg_project_import_file_mismatch', format=extension)
        return format_

    def __iter__(self):
        rows = iter(getattr(self, '_rows_%s' % self.format)())
        for number, cells in rows:
            if not all(is_blank(v) for v in cells):
                positions = self.read_header(cells)
                break
        else:
            raise self.error('msg_project_import_no_header')
        for number, cells in rows:
            values = {}
            for position, name in positions.items():
                value = cells[position] if position < len(cells) else None
                if isinstance(value, (str, BadCell)):
                    if len(str(value)) > MAX_CELL_LENGTH:
                        raise self.error('msg_project_import_cell_too_long',
                            row=number, column=self.headers[name],
                            max_length=MAX_CELL_LENGTH)
                values[name] = value
            if not all(is_blank(v) for v in values.values()):
                yield number, values

    def read_header(self, cells):
        "Fill headers and return the column name of each position"
        positions, unknown = {}, []
        for position, cell in enumerate(cells):
            if is_blank(cell):
                continue
            header = str(cell).strip()
            if len(header) > MAX_CELL_LENGTH:
                header = header[:20] + '…'
            key = normalize(header)
            if key in IGNORED_HEADERS:
                continue
            name = HEADERS.get(key)
            if not name:
                unknown.append(header)
            elif name in self.headers:
                raise self.error('msg_project_import_duplicate_column',
                    column=header)
            else:
                self.headers[name] = header
                positions[position] = name
        if unknown:
            raise self.error('msg_project_import_unknown_columns',
                columns=unknown)
        missing = [
            c.name for c in COLUMNS
            if c.required and c.name not in self.headers]
        if missing:
            raise self.error('msg_project_import_missing_columns',
                columns=missing)
        return positions

    def _rows_xlsx(self):
        from openpyxl import load_workbook
        self.check_zip()
        try:
            workbook = load_workbook(
                io.BytesIO(self.data), read_only=True, data_only=False,
                keep_links=False)
        except Exception as exception:
            raise self.error('msg_project_import_file_unreadable',
                format='.xlsx', error=exception) from exception
        try:
            if not workbook.worksheets:
                raise self.error('msg_project_import_no_header')
            sheet = workbook.worksheets[0]
            merged = self.xlsx_merged_cells(
                getattr(sheet, '_worksheet_path', None))
            if merged:
                raise self.error('msg_project_import_merged_cells',
                    cells=', '.join(merged[:5]))
            sheet.reset_dimensions()
            try:
                for number, row in enumerate(sheet.iter_rows(), 1):
                    yield number, [self.xlsx_value(c) for c in row]
            except ReadError:
                raise
            except Exception as exception:
                raise self.error('msg_project_import_file_unreadable',
                    format='.xlsx', error=exception) from exception
        finally:
            workbook.close()

    def check_zip(self):
        "Refuse an .xlsx file that would expand too much (zip bomb)"
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                infos = archive.infolist()
        except Exception as exception:
            raise self.error('msg_project_import_file_unreadable',
                format='.xlsx', error=exception) from exception
        total = 0
        for info in infos:
            total += info.file_size
            if (info.file_size > MAX_UNCHECKED_PART
                    and info.file_size > (
                        MAX_COMPRESSION_RATIO * info.compress_size)):
                break
        else:
            if total <= MAX_UNCOMPRESSED_SIZE and len(infos) <= MAX_PARTS:
                return
        raise self.error('msg_project_import_zip_bomb',
            max_size=MAX_UNCOMPRESSED_SIZE // (1024 * 1024))

    def xlsx_merged_cells(self, path):
        "Return the ranges of the merged cells of the sheet part"
        if not path:
            return []
        ranges = {}
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive, \
                archive.open(path) as part:
            tail = b''
            while chunk := part.read(1024 * 1024):
                buffer = tail + chunk
                for match in MERGE_CELL.finditer(buffer):
                    ranges[match.group(1).decode()] = None
                tail = buffer[-512:]
        return list(ranges)

    @staticmethod
    def xlsx_value(cell):
        if cell.data_type == 'f':
            value = cell.value
            return BadCell(
                getattr(value, 'text', value), 'msg_project_import_formula')
        elif cell.data_type == 'e':
            return BadCell(cell.value, 'msg_project_import_error_cell')
        return cell.value

    def _rows_xls(self):
        import xlrd
        from openpyxl.utils import get_column_letter
        try:
            book = xlrd.open_workbook(
                file_contents=self.data, formatting_info=True,
                on_demand=True)
            if not book.nsheets:
                raise self.error('msg_project_import_no_header')
            sheet = book.sheet_by_index(0)
        except ReadError:
            raise
        except Exception as exception:
            raise self.error('msg_project_import_file_unreadable',
                format='.xls', error=exception) from exception
        if sheet.merged_cells:
            raise self.error('msg_project_import_merged_cells',
                cells=', '.join(
                    f'{get_column_letter(clo + 1)}{rlo + 1}:'
                    f'{get_column_letter(chi)}{rhi}'
                    for rlo, rhi, clo, chi in sheet.merged_cells[:5]))
        for index in range(sheet.nrows):
            row = []
            for cell in sheet.row(index):
                if cell.ctype in {xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK}:
                    value = None
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate_as_datetime(
                            cell.value, book.datemode)
                    except Exception:
                        value = cell.value
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = BadCell(
                        xlrd.error_text_from_code.get(cell.value, '#N/A'),
                        'msg_project_import_error_cell')
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                else:
                    value = cell.value
                row.append(value)
            yield index + 1, row

    def decode(self):
        "Return the text of a CSV file: UTF-8, with a BOM or not, or GB18030"
        data = self.data
        encodings = ['utf-8', 'gb18030']
        if data.startswith(codecs.BOM_UTF8):
            data, encodings = data[len(codecs.BOM_UTF8):], ['utf-8']
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encodings = []
        for encoding in encodings:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if '\x00' not in text:
                return text
        raise self.error('msg_project_import_encoding')

    def _rows_csv(self):
        text = self.decode()
        # The cells are checked against MAX_CELL_LENGTH with a clear message
        if csv.field_size_limit() < MAX_FILE_SIZE:
            csv.field_size_limit(MAX_FILE_SIZE)
        reader = csv.reader(io.StringIO(text, newline=''))
        try:
            for number, row in enumerate(reader, 1):
                yield number, [v if v.strip() else None for v in row]
        except csv.Error as exception:
            raise self.error('msg_project_import_file_unreadable',
                format='.csv', error=exception) from exception


def read_rows(data, filename):
    """Yield (row number, {column name: value}) for each row of the file

    Raise ReadError when the file cannot be imported."""
    yield from SheetReader(data, filename)


class RowChunks:
    """Iterate over the rows of a file by lists of at most size rows, each
    row as (row number, raw values, typed values, conversion errors) of
    SheetReader and convert_row; raise ReadError when the file cannot be
    imported

    With parallel (by default for files from PARALLEL_FILE_SIZE bytes) a
    second Python process reads and converts the rows, so that the caller
    validates a chunk while the next one is read.  headers is filled once
    the header row is read."""

    def __init__(self, data, filename, digits=2, size=None, parallel=None):
        self.data = data
        self.filename = filename
        self.digits = digits
        self.size = size or CHUNK_SIZE
        if parallel is None:
            parallel = len(data or b'') >= PARALLEL_FILE_SIZE
        self.parallel = parallel
        self.headers = {}

    def __iter__(self):
        if self.parallel:
            return self._receive()
        return self._read()

    def _read(self):
        reader = SheetReader(self.data, self.filename)
        self.headers = reader.headers
        chunk = []
        for number, values in reader:
            chunk.append((number, values, *convert_row(values, self.digits)))
            if len(chunk) >= self.size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _receive(self):
        "Yield the chunks read by the reader process (project_import_reader)"
        args = [sys.executable]
        if sys.flags.optimize:
            args.append('-' + 'O' * sys.flags.optimize)
        args += [
            '-m', __package__ + '.project_import_reader',
            self.filename or '', str(self.digits), str(self.size)]
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=errors)
            try:
                # A larger pipe lets the reader go on with the next chunk
                # while the caller works on one (Linux)
                fcntl.fcntl(
                    process.stdout, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            except (AttributeError, OSError):
                pass
            try:
                # The reader reads the whole file before it writes anything
                try:
                    process.stdin.write(self.data)
                    process.stdin.close()
                except BrokenPipeError:
                    pass
                while True:
                    try:
                        kind, headers, payload = pickle.load(process.stdout)
                    except EOFError:
                        process.wait()
                        errors.seek(0)
                        raise ReadError('msg_project_import_file_unreadable',
                            filename=self.filename,
                            format=file_extension(self.filename),
                            error=errors.read().decode(
                                errors='replace').strip()[-500:])
                    self.headers.update(headers)
                    if kind == 'rows':
                        yield payload
                    elif kind == 'error':
                        msg_id, params = payload
                        raise ReadError(msg_id, **params)
                    else:
                        break
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                process.stdout.close()


class ConversionError(ValueError):

    def __init__(self, msg_id, **params):
        super().__init__(msg_id, params)
        self.msg_id = msg_id
        self.params = params


def _convert_char(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date()
    return str(value).strip()


def _convert_code(value):
    return re.sub(r'\s', '', _convert_char(value)).upper()


def _convert_kind(value):
    kind = KINDS.get(normalize(value))
    if not kind:
        raise ConversionError(
            'msg_project_import_borrower_kind', value=value)
    return kind


def _convert_amount(value, digits=2):
    text = value
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = re.sub(r'[\s,，¥￥]', '', value)
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        amount = Decimal(text)
        if not amount.is_finite():
            raise InvalidOperation
        rounded = amount.quantize(Decimal(1).scaleb(-digits))
    except (InvalidOperation, TypeError, ValueError):
        raise ConversionError('msg_project_import_not_number', value=value)
    if rounded != amount:
        raise ConversionError(
            'msg_project_import_digits', value=value, digits=digits)
    return rounded


def _convert_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, str):
        text = re.split(r'[\sT]', value.strip())[0]
        for format_ in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, format_).date()
            except ValueError:
                continue
    raise ConversionError('msg_project_import_not_date', value=value)


CONVERTERS = {
    'char': _convert_char,
    'code': _convert_code,
    'kind': _convert_kind,
    'amount': _convert_amount,
    'date': _convert_date,
    }


def convert_row(values, digits=2):
    """Return the typed values of a row and its errors as a list of (column
    name, message id, parameters); a column absent from the file is None"""
    record, errors = {}, []
    for column in COLUMNS:
        value = values.get(column.name)
        record[column.name] = None
        if isinstance(value, BadCell):
            errors.append((column.name, value.msg_id, {'value': value}))
            continue
        if is_blank(value):
            if column.required:
                errors.append(
                    (column.name, 'msg_project_import_required', {}))
            continue
        converter = CONVERTERS[column.type]
        try:
            if column.type == 'amount':
                record[column.name] = converter(value, digits)
            else:
                record[column.name] = converter(value)
        except ConversionError as error:
            errors.append((column.name, error.msg_id, error.params))
    return record, errors


def template_file(language='en'):
    "Return the .xlsx template of an import file"
    from openpyxl import Workbook
    from openpyxl.styles import Font
    zh = language.startswith('zh')
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "项目" if zh else "Projects"
    sheet.append([column_string(c.name, language) for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 18
    sheet.freeze_panes = 'A2'
    notes = workbook.create_sheet("说明 Notes")
    notes.append(["列名", "Column", "必填 Required", "格式 Format"])
    formats = {
        'code': "文本 text",
        'char': "文本 text",
        'kind': "企业/个体工商户/农户/个人 "
        "(enterprise/individual_business/farmer/person)",
        'amount': "元，最多两位小数 yuan, 2 decimals at most",
        'date': "YYYY-MM-DD",
        }
    for column in COLUMNS:
        notes.append([
                column.zh_string, column.string,
                "是 yes" if column.required else "否 no",
                formats[column.type]])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        notes.column_dimensions[cell.column_letter].width = 24
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()
