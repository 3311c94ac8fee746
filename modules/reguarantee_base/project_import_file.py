# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Reading import files (.xlsx, .xls, .ods, .csv) into rows of typed values

SheetReader and read_rows turn a file into rows of raw values keyed by column
name and refuse bad files with a ReadError; convert_row types the values of
one row and lists its errors.  The spreadsheets are read by calamine
(python-calamine), the .csv files by the csv module.  Messages and the labels
of the columns are only translated within a transaction."""
import codecs
import csv
import datetime as dt
import functools
import io
import os
import re
import struct
import zipfile
from decimal import Decimal, InvalidOperation
from html import unescape
from typing import NamedTuple
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from trytond.i18n import gettext

from .product import BORROWER_KINDS

#: Largest file accepted, in bytes
MAX_FILE_SIZE = 50 * 1024 * 1024
#: Largest total uncompressed size of the parts of an .xlsx or .ods file
MAX_UNCOMPRESSED_SIZE = 512 * 1024 * 1024
#: Largest number of parts of an .xlsx or .ods file
MAX_PARTS = 10000
#: Largest compression ratio of a part of an .xlsx or .ods file (zip bomb
#: guard), checked for the parts above MAX_UNCHECKED_PART bytes
MAX_COMPRESSION_RATIO = 100
MAX_UNCHECKED_PART = 1024 * 1024
#: Most rows of a file, blank rows and the header included.  calamine holds
#: a sheet in memory as a rectangle of 32-byte cells from its first cell to
#: its last: MAX_ROWS and MAX_COLUMNS bound it (to 240 MiB) before it is read
MAX_ROWS = 300000
#: Most columns of a sheet (A to Z); the template has 13, the rejected rows
#: file 15
MAX_COLUMNS = 26
#: Most characters in a cell
MAX_CELL_LENGTH = 1000
#: Most rows of a chunk of RowChunks
CHUNK_SIZE = 1000
#: The size of the pieces of a part of a zip file scanned at once
SCAN_SIZE = 1024 * 1024

ZIP_MAGIC = b'PK\x03\x04'
OLE2_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
FORMATS = {
    '.xlsx': 'xlsx',
    '.xls': 'xls',
    '.ods': 'ods',
    '.csv': 'csv',
    }
#: The container of each format
CONTAINERS = {
    'xlsx': 'zip',
    'ods': 'zip',
    'xls': 'ole2',
    'csv': 'text',
    }
DATE_FORMATS = ['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y%m%d', '%Y年%m月%d日']

# The parts of an .xlsx sheet scanned before calamine reads it: calamine
# returns the cached value of a formula and a blank for an error value
#: A cell beyond column Z that is not empty
#: (starting with r=" to be searched fast; the space before is checked after)
FAR_COLUMN = rb'r="[A-Z]{2,}[0-9]+"[^>]*(?<!/)>'
#: A cell without reference: calamine places it after the previous one
CELL_WITHOUT_REFERENCE = re.compile(rb'<c(?![^>]*\sr=")[\s>/]')
#: A cell with a formula (group 3 or 4) or a value
XLSX_CELL = re.compile(
    rb'<c\b([^>]*?\sr="([A-Z]+)([0-9]+)"[^>]*)>\s*'
    rb'(<f\b[^>]*?(?:/>|>([^<]*)</f>))?\s*(?:<v>([^<]*)</v>)?')
XLSX_ERROR = re.compile(rb'\st="e"')
# The tags of an .ods content part that place its cells
ODS_TAG = re.compile(
    rb'<table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])'
    rb'([^>]*?)(/?)>'
    rb'|</table:(table-row|table)>')
ODS_ATTRIBUTE = re.compile(rb'([\w:-]+)="([^"]*)"')

RELATIONSHIP = (
    '{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id')


class Column(NamedTuple):
    name: str
    type: str = 'char'
    required: bool = False
    #: The headers accepted on import beside the name and the label: the
    #: English and Chinese spellings of the template and their variants
    aliases: tuple = ()
    #: The id of the message of the label, when it is not that of the
    #: project import (a column of another kind of file)
    msg_id: str = None

    @property
    def message(self):
        "The id of the label of the column"
        return (
            self.msg_id
            or 'reguarantee_base.msg_project_import_column_' + self.name)


class ColumnSet(tuple):
    """The columns of a kind of import file, in the order of its template

    The project import's are COLUMNS; another import (e.g. the loans of a
    partner bank's batch) reads its files with its own ColumnSet given to
    SheetReader, RowChunks, convert_row and template_file."""

    @functools.cached_property
    def by_name(self):
        return {c.name: c for c in self}

    @functools.cached_property
    def headers(self):
        "The column names by normalized header, name and aliases"
        headers = {}
        for column in self:
            for header in [column.name, *column.aliases]:
                headers[normalize(header)] = column.name
        return headers

    @functools.cached_property
    def conversions(self):
        "The name, type, required and converter of the columns"
        return [(c.name, c.type, c.required, CONVERTERS[c.type]) for c in self]

    def labels(self):
        """Return the column names by their label in the language of the
        transaction"""
        return {
            normalize(column_string(c.name, columns=self)): c.name
            for c in self}


#: The columns of an import file, in the order of the template
COLUMNS = ColumnSet([
    Column('institution', 'code',
        aliases=('Institution Code', '机构代码', '担保机构代码', '机构编码')),
    Column('borrower_name', required=True,
        aliases=('Borrower Name', '借款人名称', '借款人', 'borrower')),
    Column('borrower_kind', 'kind', required=True,
        aliases=('Borrower Kind', '借款人类型', '借款人类别')),
    Column('id_number', 'code', required=True,
        aliases=('ID Number', '证件号码', '证件号', '统一社会信用代码/身份证号码')),
    Column('industry', 'code', aliases=('Industry', '行业代码', '行业')),
    Column('region', 'code', aliases=('Region', '行政区划', '行政区划代码')),
    Column('bank', required=True, aliases=('Bank', '贷款银行', '银行')),
    Column('loan_contract_number', required=True,
        aliases=('Loan Contract Number', '借款合同编号', '贷款合同编号')),
    Column('loan_amount', 'amount', required=True,
        aliases=('Loan Amount', '贷款金额')),
    Column('guarantee_amount', 'amount', required=True,
        aliases=('Guarantee Amount', '担保金额')),
    Column('start_date', 'date', required=True,
        aliases=('Start Date', '起始日期', '贷款起始日期', '起始日')),
    Column('end_date', 'date', required=True,
        aliases=('End Date', '到期日期', '贷款到期日期', '到期日')),
    Column('contract', 'code', aliases=('Contract Number', '再担保合同编号')),
    ])
COLUMNS_BY_NAME = COLUMNS.by_name
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


HEADERS = COLUMNS.headers
KINDS = {normalize(k): v for k, v in BORROWER_KIND_LABELS.items()}
for _key, _string in BORROWER_KINDS:
    KINDS[normalize(_key)] = KINDS[normalize(_string)] = _key
del _key, _string


def column_string(name, language=None, columns=None):
    """Return the label of the column of the columns (COLUMNS) in the
    language (the transaction's)"""
    message = (columns or COLUMNS).by_name[name].message
    if language is None:
        return gettext(message)
    return gettext(message, language)


def column_letter(index):
    "Return the letters of the column of index, from 0"
    letters = ''
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord('A') + remainder) + letters
    return letters


def column_index(letters):
    "Return the index, from 0, of the column of the letters"
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord('A') + 1
    return index - 1


class ReadError(Exception):
    """The file cannot be imported; the message id tells why

    column_set is the ColumnSet of the file (COLUMNS)."""

    def __init__(self, msg_id, column_set=None, **params):
        super().__init__(msg_id, params)
        self.msg_id = msg_id
        self.params = params
        self.column_set = column_set or COLUMNS

    @property
    def message(self):
        params = self.params.copy()
        by_name = self.column_set.by_name

        def label(name):
            return column_string(name, columns=self.column_set)
        if 'columns' in params:
            params['columns'] = ', '.join(
                label(c) if c in by_name else c
                for c in params['columns'])
        if params.get('column') in by_name:
            params['column'] = label(params['column'])
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
    headers maps the names of the columns found to their header.  columns
    is the ColumnSet of the file (COLUMNS)."""

    def __init__(self, data, filename, columns=None):
        self.data = data
        self.filename = filename
        self.columns = columns or COLUMNS
        self.headers = {}
        self.format = self.get_format()

    def error(self, msg_id, **params):
        return ReadError(
            msg_id, column_set=self.columns, filename=self.filename, **params)

    def unreadable(self, exception):
        return self.error('msg_project_import_file_unreadable',
            format='.' + self.format, error=exception)

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
            container = 'zip'
        elif self.data.startswith(OLE2_MAGIC):
            container = 'ole2'
        else:
            container = 'text'
        if container != CONTAINERS[format_]:
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
        positions = list(positions.items())
        for number, cells in rows:
            values, width, blank = {}, len(cells), True
            for position, name in positions:
                value = values[name] = (
                    cells[position] if position < width else None)
                if value is None:
                    continue
                elif isinstance(value, (str, BadCell)):
                    if len(str(value)) > MAX_CELL_LENGTH:
                        raise self.error('msg_project_import_cell_too_long',
                            row=number, column=self.headers[name],
                            max_length=MAX_CELL_LENGTH)
                    if blank and not is_blank(value):
                        blank = False
                else:
                    blank = False
            if not blank:
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
            name = self.columns.headers.get(key)
            if not name:
                name = self.labels().get(key)
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
            c.name for c in self.columns
            if c.required and c.name not in self.headers]
        if missing:
            raise self.error('msg_project_import_missing_columns',
                columns=missing)
        return positions

    def labels(self):
        """Return the column names by their label in the language of the
        transaction, if it was translated otherwise than HEADERS has it"""
        return self.columns.labels()

    def too_many_rows(self):
        return self.error('msg_project_import_too_many_rows',
            max_rows=MAX_ROWS,
            last_column=column_letter(MAX_COLUMNS - 1))

    def _rows_xlsx(self):
        bad_cells = self.scan_xlsx()
        return self._rows_calamine(bad_cells)

    def _rows_xls(self):
        # calamine gives the cached value of a formula, as xlrd did
        return self._rows_calamine(self.scan_xls())

    def _rows_ods(self):
        bad_cells, merged = self.scan_ods()
        if merged:
            raise self.error('msg_project_import_merged_cells',
                cells=', '.join(merged[:5]))
        return self._rows_calamine(bad_cells)

    def _rows_calamine(self, bad_cells):
        """Yield the number and the values of the rows of the first sheet
        read by calamine; bad_cells replaces the values of the cells at
        their (row, column) indexes"""
        bad_rows = {}
        for (row, column), cell in bad_cells.items():
            bad_rows.setdefault(row, {})[column] = cell
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            if not workbook.sheet_names:
                raise self.error('msg_project_import_no_header')
            sheet = workbook.get_sheet_by_index(0)
            merged = sheet.merged_cell_ranges
        except ReadError:
            raise
        except Exception as exception:
            raise self.unreadable(exception) from exception
        if merged:
            raise self.error('msg_project_import_merged_cells',
                cells=', '.join(
                    f'{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}'
                    for (r1, c1), (r2, c2) in merged[:5]))
        last_row, last_column = sheet.end or (0, 0)
        if last_row >= MAX_ROWS or last_column >= MAX_COLUMNS:
            raise self.too_many_rows()
        # iter_rows starts from the first row but from the first column
        # that is not empty
        _, first_column = sheet.start or (0, 0)
        for index, cells in enumerate(sheet.iter_rows()):
            row = [None if v == '' else v for v in cells]
            if first_column:
                row = [None] * first_column + row
            if index in bad_rows:
                self.set_cells(row, bad_rows.pop(index))
            yield index + 1, row
        # The rows of formulas without a value are beyond the sheet's data
        for index in sorted(bad_rows):
            yield index + 1, self.set_cells([], bad_rows[index])

    @staticmethod
    def set_cells(row, cells):
        "Set the cells of the row by column index and return it"
        for column, cell in cells.items():
            if column >= len(row):
                row.extend([None] * (column + 1 - len(row)))
            row[column] = cell
        return row

    def check_zip(self):
        """Refuse a zip file that would expand too much (zip bomb) and return
        the uncompressed size of its parts by name"""
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                infos = archive.infolist()
        except Exception as exception:
            raise self.unreadable(exception) from exception
        total = 0
        for info in infos:
            total += info.file_size
            if (info.file_size > MAX_UNCHECKED_PART
                    and info.file_size > (
                        MAX_COMPRESSION_RATIO * info.compress_size)):
                break
        else:
            if total <= MAX_UNCOMPRESSED_SIZE and len(infos) <= MAX_PARTS:
                return {i.filename: i.file_size for i in infos}
        raise self.error('msg_project_import_zip_bomb',
            max_size=MAX_UNCOMPRESSED_SIZE // (1024 * 1024))

    def scan_part(self, path, tag=b'<'):
        """Yield the part of the zip file by pieces that end before the last
        tag that starts with tag (or before the last tag)"""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive, \
                archive.open(path) as part:
            tail = b''
            while chunk := part.read(SCAN_SIZE):
                buffer = tail + chunk
                cut = buffer.rfind(tag)
                if cut <= 0:
                    cut = buffer.rfind(b'<')
                if cut <= 0:
                    tail = b''
                    yield buffer
                else:
                    tail = buffer[cut:]
                    yield buffer[:cut]
            if tail:
                yield tail

    def xlsx_sheet_path(self):
        "Return the path of the first sheet of the .xlsx file"
        names = self.check_zip()
        if 'xl/workbook.xml' not in names:
            if 'content.xml' in names:
                raise self.error('msg_project_import_file_mismatch',
                    format='.xlsx')
            raise self.unreadable("no xl/workbook.xml")
        # Parsed whole: the list of the sheets is small
        for name in ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels']:
            if names.get(name, 0) > MAX_UNCHECKED_PART:
                raise self.unreadable("%s too large" % name)
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                workbook = ElementTree.fromstring(
                    archive.read('xl/workbook.xml'))
                relationships = ElementTree.fromstring(
                    archive.read('xl/_rels/workbook.xml.rels'))
            sheet = next(e for e in workbook.iter() if e.tag.endswith(
                    '}sheet'))
            target = next(
                e.get('Target') for e in relationships
                if e.get('Id') == sheet.get(RELATIONSHIP))
        except Exception as exception:
            raise self.unreadable(exception) from exception
        path = target.lstrip('/') if target.startswith('/') else (
            'xl/' + target)
        if path not in names:
            raise self.unreadable("no %s" % path)
        return path

    def scan_xlsx(self):
        """Refuse an .xlsx file whose first sheet is too large for calamine
        and return its formulas and error values as BadCell by (row,
        column) index"""
        bad_cells = {}
        rows = 0
        # A cell beyond column Z or of a row number from the first digit of
        # MAX_ROWS with as many digits
        digits = str(MAX_ROWS)
        too_far = re.compile(rb'%s|r="[A-Z]*([%s-9][0-9]{%d,})"' % (
                FAR_COLUMN, digits[0].encode(), len(digits) - 1))
        for piece in self.scan_part(self.xlsx_sheet_path(), b'<c '):
            rows += piece.count(b'<row')
            for match in too_far.finditer(piece):
                if (piece[match.start() - 1:match.start()].isspace()
                        and (not match.group(1)
                            or int(match.group(1)) > MAX_ROWS)):
                    raise self.too_many_rows()
            # The cells other than <c r="..."> are rare
            if (rows > MAX_ROWS
                    or (piece.count(b'<c r="') != piece.count(b'<c')
                        and CELL_WITHOUT_REFERENCE.search(piece))):
                raise self.too_many_rows()
            if b'<f' not in piece and b't="e"' not in piece:
                continue
            for match in XLSX_CELL.finditer(piece):
                attributes, letters, number, formula, text, value = (
                    match.groups())
                position = (int(number) - 1, column_index(letters.decode()))
                if formula:
                    # A shared formula has its text in its first cell only
                    text = b'=' + text if text else (value or b'=')
                    bad_cells[position] = BadCell(
                        unescape(text.decode()), 'msg_project_import_formula')
                elif XLSX_ERROR.search(attributes):
                    bad_cells[position] = BadCell(
                        unescape((value or b'#N/A').decode()),
                        'msg_project_import_error_cell')
        return bad_cells

    def scan_ods(self):
        """Refuse an .ods file whose sheets are too large for calamine and
        return the formulas of the first sheet as BadCell by (row, column)
        index and its merged cells"""
        names = self.check_zip()
        if 'content.xml' not in names:
            if 'xl/workbook.xml' in names:
                raise self.error(
                    'msg_project_import_file_mismatch', format='.ods')
            raise self.unreadable("no content.xml")
        bad_cells, merged = {}, []
        tables = row = row_repeat = column = 0
        # calamine reads every sheet of an .ods file
        extents = []
        for piece in self.scan_part('content.xml'):
            for match in ODS_TAG.finditer(piece):
                tag, attributes, empty, end = match.groups()
                if end == b'table-row':
                    row += row_repeat
                    continue
                elif end:
                    continue
                elif tag == b'table':
                    tables += 1
                    row = 0
                    extents.append([0, 0])
                    self.check_extents(extents)
                    continue
                if tag == b'table-row':
                    row_repeat = _count(
                        dict(ODS_ATTRIBUTE.findall(attributes)),
                        b'table:number-rows-repeated')
                    column = 0
                    if empty:
                        row += row_repeat
                    continue
                # calamine leaves out the empty cells at the end of the rows
                # and the empty rows at the end of the sheets only
                filled = not empty or b'office:value-type' in attributes
                # Most cells have none of the attributes looked at
                if (b'table:number-' in attributes
                        or b'table:formula' in attributes):
                    attributes = dict(ODS_ATTRIBUTE.findall(attributes))
                else:
                    attributes = {}
                repeat = _count(attributes, b'table:number-columns-repeated')
                if tables and filled:
                    extent = extents[-1]
                    extent[0] = max(extent[0], row + row_repeat)
                    extent[1] = max(extent[1], column + repeat)
                    if extent[0] > MAX_ROWS or extent[1] > MAX_COLUMNS:
                        raise self.too_many_rows()
                if tables == 1 and attributes:
                    formula = attributes.get(b'table:formula')
                    if formula:
                        # Without its namespace prefix, as of:=A1*2
                        text = formula.decode().split(':', 1)[-1]
                        bad_cells[row, column] = BadCell(
                            unescape(text), 'msg_project_import_formula')
                    spanned = [
                        _count(attributes, b'table:number-%s-spanned' % k)
                        for k in [b'rows', b'columns']]
                    if spanned != [1, 1]:
                        merged.append('%s%s:%s%s' % (
                                column_letter(column), row + 1,
                                column_letter(column + spanned[1] - 1),
                                row + spanned[0]))
                column += repeat
        self.check_extents(extents)
        return bad_cells, merged

    def check_extents(self, extents):
        """Refuse the sheets of the (rows, columns) extents if calamine would
        hold more cells in memory for them all than for one largest sheet"""
        if sum(r * c for r, c in extents) > MAX_ROWS * MAX_COLUMNS:
            raise self.too_many_rows()

    def scan_xls(self):
        """Refuse an .xls file whose sheets are too large for calamine and
        return the error values of the first sheet as BadCell by (row,
        column) index

        An .xls file holds at most 65,536 rows and 256 columns by sheet but
        as many sheets as it wants, all read by calamine on opening."""
        try:
            stream = ole_stream(self.data, ['Workbook', 'Book'])
        except ValueError as exception:
            raise self.unreadable(exception) from exception
        bad_cells, extents, depth = {}, [], 0
        position, size = 0, len(stream)
        while position + 4 <= size:
            kind, length = XLS_RECORD.unpack_from(stream, position)
            position += 4
            record = stream[position:position + length]
            position += length
            if kind == XLS_BOF:
                depth += 1
                # The first is the workbook's, then one by sheet; a sheet
                # holds those of its charts
                if depth == 1:
                    extents.append([0, 0])
                    self.check_extents(extents[1:])
            elif kind == XLS_EOF:
                depth -= 1
            elif (kind in XLS_CELLS and len(record) >= 6
                    and len(extents) > 1 and depth == 1):
                row, column = XLS_POSITION.unpack_from(record)
                last_column = column
                if kind == XLS_MULRK:
                    last_column, = XLS_LAST_COLUMN.unpack_from(
                        record, len(record) - 2)
                extent = extents[-1]
                extent[0] = max(extent[0], row + 1)
                extent[1] = max(extent[1], last_column + 1)
                if extent[1] > MAX_COLUMNS:
                    raise self.too_many_rows()
                if len(extents) == 2:
                    error = xls_error(kind, record)
                    if error:
                        bad_cells[row, column] = BadCell(
                            error, 'msg_project_import_error_cell')
        self.check_extents(extents[1:])
        return bad_cells

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
                if number > MAX_ROWS:
                    raise self.too_many_rows()
                yield number, [v if v.strip() else None for v in row]
        except csv.Error as exception:
            raise self.unreadable(exception) from exception


XLS_RECORD = struct.Struct('<HH')
XLS_POSITION = struct.Struct('<HH')
XLS_LAST_COLUMN = struct.Struct('<H')
XLS_BOF = 0x0809
XLS_EOF = 0x000A
XLS_MULRK = 0x00BD
XLS_BOOLERR = 0x0205
XLS_FORMULA = 0x0006
#: The records of the cells with a value: FORMULA, NUMBER, LABEL, BOOLERR,
#: RK, MULRK, LABELSST, RSTRING (calamine leaves out BLANK and MULBLANK)
XLS_CELLS = {
    XLS_FORMULA, 0x0203, 0x0204, XLS_BOOLERR, 0x027E, XLS_MULRK, 0x00FD,
    0x00D6}
XLS_ERRORS = {
    0x00: '#NULL!', 0x07: '#DIV/0!', 0x0F: '#VALUE!', 0x17: '#REF!',
    0x1D: '#NAME?', 0x24: '#NUM!', 0x2A: '#N/A'}


def xls_error(kind, record):
    "Return the error value of an .xls cell record or None"
    if kind == XLS_BOOLERR and len(record) >= 8 and record[7]:
        return XLS_ERRORS.get(record[6], '#N/A')
    elif (kind == XLS_FORMULA and len(record) >= 14
            and record[6] == 2 and record[12:14] == b'\xff\xff'):
        return XLS_ERRORS.get(record[8], '#N/A')


OLE_HEADER = struct.Struct('<8s22xHH10xII4xIIIII')
OLE_FREE = 0xFFFFFFFF


def ole_stream(data, names):
    """Return the first stream of the names of an OLE2 compound file (the
    container of .xls files); raise ValueError if the file is broken"""
    if len(data) < 512:
        raise ValueError("truncated")
    (_, shift, mini_shift, fat_count, directory_start, mini_cutoff,
        mini_fat_start, _, difat_start, _) = OLE_HEADER.unpack_from(data)
    if not 7 <= shift <= 16 or not 1 <= mini_shift < shift:
        raise ValueError("wrong sector size")
    sector_size = 1 << shift
    sectors = (len(data) - 1) // sector_size
    entries = sector_size // 4

    def sector(number):
        if number >= sectors:
            raise ValueError("sector %s out of the file" % number)
        start = (number + 1) * sector_size
        return data[start:start + sector_size]

    def chain(start, table):
        numbers = []
        while start < 0xFFFFFFFA:
            if len(numbers) > len(table) or start >= len(table):
                raise ValueError("broken chain")
            numbers.append(start)
            start = table[start]
        return numbers

    difat = list(struct.unpack_from('<109I', data, 76))
    next_difat, seen = difat_start, 0
    while next_difat < 0xFFFFFFFA and seen <= sectors:
        values = struct.unpack('<%dI' % entries, sector(next_difat))
        difat.extend(values[:-1])
        next_difat, seen = values[-1], seen + 1
    fat = []
    for number in difat[:fat_count]:
        if number != OLE_FREE:
            fat.extend(struct.unpack('<%dI' % entries, sector(number)))
    directory = b''.join(
        sector(n) for n in chain(directory_start, fat))
    root_start, root_size = None, 0
    for offset in range(0, len(directory) - 127, 128):
        length, = struct.unpack_from('<H', directory, offset + 64)
        name = directory[offset:offset + max(length - 2, 0)].decode(
            'utf-16-le', 'replace')
        kind = directory[offset + 66]
        start, size = struct.unpack_from('<II', directory, offset + 116)
        if kind == 5:
            root_start, root_size = start, size
        elif kind == 2 and name in names:
            if size < mini_cutoff:
                mini_fat = []
                for number in chain(mini_fat_start, fat):
                    mini_fat.extend(
                        struct.unpack('<%dI' % entries, sector(number)))
                mini_stream = b''.join(
                    sector(n) for n in chain(root_start, fat))[:root_size]
                mini_size = 1 << mini_shift
                content = b''.join(
                    mini_stream[n * mini_size:(n + 1) * mini_size]
                    for n in chain(start, mini_fat))
            else:
                content = b''.join(sector(n) for n in chain(start, fat))
            return content[:size]
    raise ValueError("no %s stream" % names[0])


def _count(attributes, name):
    "Return the number of the attribute of an .ods row or cell, 1 by default"
    number = attributes.get(name, b'1')
    if not number.isdigit():
        return 1
    return int(number) if len(number) < 10 else 10 ** 10


def read_rows(data, filename, columns=None):
    """Yield (row number, {column name: value}) for each row of the file

    Raise ReadError when the file cannot be imported."""
    yield from SheetReader(data, filename, columns)


class RowChunks:
    """Iterate over the rows of a file by lists of at most size rows, each
    row as (row number, raw values, typed values, conversion errors) of
    SheetReader and convert_row; raise ReadError when the file cannot be
    imported

    headers is filled once the header row is read.  columns is the
    ColumnSet of the file (COLUMNS)."""

    def __init__(self, data, filename, digits=2, size=None, columns=None):
        self.data = data
        self.filename = filename
        self.digits = digits
        self.size = size or CHUNK_SIZE
        self.columns = columns or COLUMNS
        self.headers = {}

    def __iter__(self):
        reader = SheetReader(self.data, self.filename, self.columns)
        self.headers = reader.headers
        chunk = []
        for number, values in reader:
            chunk.append((
                    number, values,
                    *convert_row(values, self.digits, self.columns)))
            if len(chunk) >= self.size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


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
    return ''.join(_convert_char(value).split()).upper()


def _convert_kind(value):
    kind = KINDS.get(value) or KINDS.get(normalize(value))
    if not kind:
        raise ConversionError(
            'msg_project_import_borrower_kind', value=value)
    return kind


AMOUNT_MARKS = re.compile(r'[\s,，¥￥]')
#: The smallest amount by number of digits
EXPONENTS = {d: Decimal(1).scaleb(-d) for d in range(10)}


def _convert_amount(value, digits=2):
    text = value
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = AMOUNT_MARKS.sub('', value)
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        amount = Decimal(text)
        if not amount.is_finite():
            raise InvalidOperation
        rounded = amount.quantize(
            EXPONENTS.get(digits) or Decimal(1).scaleb(-digits))
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
#: The name, type, required and converter of the columns
CONVERSIONS = COLUMNS.conversions


def convert_row(values, digits=2, columns=None):
    """Return the typed values of a row and its errors as a list of (column
    name, message id, parameters); a column absent from the file is None;
    columns is the ColumnSet of the file (COLUMNS)"""
    record, errors = {}, []
    conversions = columns.conversions if columns else CONVERSIONS
    for name, type_, required, converter in conversions:
        value = values.get(name)
        record[name] = None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                errors.append((name, 'msg_project_import_required', {}))
            continue
        elif isinstance(value, BadCell):
            errors.append((name, value.msg_id, {'value': value}))
            continue
        try:
            if type_ == 'amount':
                record[name] = converter(value, digits)
            else:
                record[name] = converter(value)
        except ConversionError as error:
            errors.append((name, error.msg_id, error.params))
    return record, errors


#: The message of the format of each type of column
FORMAT_MESSAGES = {
    'code': 'msg_project_import_format_text',
    'char': 'msg_project_import_format_text',
    'kind': 'msg_project_import_format_kind',
    'amount': 'msg_project_import_format_amount',
    'date': 'msg_project_import_format_date',
    }


def template_file(
        language=None, columns=None,
        sheet='reguarantee_base.msg_project_import_template_sheet'):
    """Return the .xlsx template of an import file of the columns (COLUMNS)
    with the labels in the language (the transaction's); sheet is the
    message id of the name of its sheet"""
    columns = columns or COLUMNS
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def message(name):
        message_id = 'reguarantee_base.' + name
        if language is None:
            return gettext(message_id)
        return gettext(message_id, language)

    workbook = Workbook()
    title = gettext(sheet, language) if language else gettext(sheet)
    sheet = workbook.active
    sheet.title = title
    sheet.append([column_string(c.name, language, columns) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 18
    sheet.freeze_panes = 'A2'
    notes = workbook.create_sheet(
        message('msg_project_import_notes_sheet'))
    notes.append([
            message('msg_project_import_notes_column'),
            message('msg_project_import_notes_required'),
            message('msg_project_import_notes_format')])
    for column in columns:
        notes.append([
                column_string(column.name, language, columns),
                message('msg_project_import_notes_yes' if column.required
                    else 'msg_project_import_notes_no'),
                message(FORMAT_MESSAGES[column.type])])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        notes.column_dimensions[cell.column_letter].width = 24
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()
