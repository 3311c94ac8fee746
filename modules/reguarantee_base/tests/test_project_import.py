# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import codecs
import csv
import datetime as dt
import io
import os
import re
import unittest
import zipfile
from decimal import Decimal
from unittest.mock import patch
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import xlwt
from openpyxl import Workbook, load_workbook

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base import project_import_file
from trytond.modules.reguarantee_base.exceptions import (
    IdentityNumberError, ProjectImportError)
from trytond.modules.reguarantee_base.model import create_in_bulk
from trytond.modules.reguarantee_base.project_import_cli import (
    Progress, get_parser)
from trytond.modules.reguarantee_base.project_import_file import (
    COLUMNS, BadCell, ReadError, RowChunks, SheetReader, column_string,
    convert_row, read_rows, template_file)
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.tools import file_open
from trytond.transaction import Transaction

HEADER = [
    '借款人名称', '借款人类型', '证件号码', '贷款银行', '借款合同编号',
    '贷款金额', '担保金额', '起始日期', '到期日期']
HEADER_NAMES = [
    'borrower_name', 'borrower_kind', 'id_number', 'bank',
    'loan_contract_number', 'loan_amount', 'guarantee_amount', 'start_date',
    'end_date']
ROW = [
    '合肥禾丰农业科技有限公司', '企业', '91340100000000501W', '徽商银行合肥分行',
    'HSB-0001', 1000000, 800000, dt.date(2026, 1, 5), dt.date(2027, 1, 5)]


def make_xlsx(rows, setup=None):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if setup:
        setup(sheet)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def make_xls(rows, merge=None, setup=None):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet('Projects', cell_overwrite_ok=True)
    date_style = xlwt.easyxf(num_format_str='YYYY-MM-DD')
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    if merge:
        sheet.write_merge(*merge, 'merged')
    if setup:
        setup(workbook, sheet)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content'
    ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
    ' office:version="1.2"><office:body><office:spreadsheet>'
    '%s</office:spreadsheet></office:body></office:document-content>')
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
    ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml"'
    ' manifest:media-type="text/xml"/></manifest:manifest>')


def ods_cell(value):
    "Return the XML of an .ods cell of the value, or of value if it is XML"
    if value is None:
        return '<table:table-cell/>'
    elif isinstance(value, str) and value.startswith('<'):
        return value
    elif isinstance(value, (int, float)):
        return (
            '<table:table-cell office:value-type="float"'
            f' office:value="{value}"><text:p>{value}</text:p>'
            '</table:table-cell>')
    elif isinstance(value, dt.date):
        return (
            '<table:table-cell office:value-type="date"'
            f' office:date-value="{value.isoformat()}">'
            f'<text:p>{value}</text:p></table:table-cell>')
    return (
        '<table:table-cell office:value-type="string">'
        f'<text:p>{escape(value)}</text:p></table:table-cell>')


def make_ods(rows, tables=None):
    """Return an .ods file of the rows as LibreOffice writes it: with the
    empty cells and rows up to the end of the sheet repeated"""
    sheet = ''.join(
        '<table:table-row>%s'
        '<table:table-cell table:number-columns-repeated="1000"/>'
        '</table:table-row>' % ''.join(map(ods_cell, row))
        for row in rows)
    sheet += (
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="1024"/>'
        '</table:table-row>')
    sheet = '<table:table table:name=%s>%s</table:table>' % (
        quoteattr("项目"), sheet)
    return make_zip({
            'mimetype': b'application/vnd.oasis.opendocument.spreadsheet',
            'content.xml': (ODS_CONTENT % (sheet + (tables or ''))).encode(),
            'META-INF/manifest.xml': ODS_MANIFEST.encode(),
            })


def make_csv(rows, encoding='utf-8'):
    content = io.StringIO()
    csv.writer(content).writerows(rows)
    return content.getvalue().encode(encoding)


def make_zip(parts, compression=zipfile.ZIP_DEFLATED):
    content = io.BytesIO()
    with zipfile.ZipFile(content, 'w', compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return content.getvalue()


class ReaderTestCase(unittest.TestCase):
    "Test the reading and conversion of import files"

    def read(self, data, filename):
        return list(read_rows(data, filename))

    def assertReadError(self, msg_id, data, filename):
        with self.assertRaises(ReadError) as context:
            self.read(data, filename)
        self.assertEqual(context.exception.msg_id, msg_id)
        return context.exception

    def assertRowErrors(self, values, expected):
        record, errors = convert_row(values)
        self.assertEqual(
            [(name, msg_id) for name, msg_id, _ in errors], expected)
        return record

    def test_xlsx(self):
        "Test reading an .xlsx file with Chinese headers"
        reader = SheetReader(make_xlsx([HEADER, ROW]), 'projects.xlsx')
        (number, values), = list(reader)
        self.assertEqual(number, 2)
        self.assertEqual(reader.headers['loan_amount'], '贷款金额')
        record = self.assertRowErrors(values, [])
        self.assertEqual(record['borrower_kind'], 'enterprise')
        self.assertEqual(record['loan_amount'], Decimal('1000000.00'))
        self.assertEqual(record['start_date'], dt.date(2026, 1, 5))
        self.assertIsNone(record['institution'])

    def test_xls(self):
        "Test reading an .xls file"
        (number, values), = self.read(
            make_xls([HEADER, ROW]), 'projects.xls')
        self.assertEqual(number, 2)
        self.assertEqual(values['start_date'], dt.date(2026, 1, 5))
        record = self.assertRowErrors(values, [])
        self.assertEqual(record['guarantee_amount'], Decimal('800000.00'))
        self.assertEqual(record['end_date'], dt.date(2027, 1, 5))

    def test_ods(self):
        "Test reading an .ods file"
        row = [
            ROW[0], '<table:table-cell table:number-columns-repeated="1"'
            ' office:value-type="string"><text:p>企业</text:p>'
            '</table:table-cell>', *ROW[2:]]
        (number, values), = self.read(
            make_ods([[], HEADER, [None] * 9, row]), 'projects.ODS')
        self.assertEqual(number, 4)
        self.assertEqual(values['start_date'], dt.date(2026, 1, 5))
        record = self.assertRowErrors(values, [])
        self.assertEqual(record['borrower_kind'], 'enterprise')
        self.assertEqual(record['guarantee_amount'], Decimal('800000.00'))

    def test_offset(self):
        "Test the row numbers and columns of a sheet not starting at A1"
        for make, filename in [
                (make_xlsx, 'p.xlsx'), (make_xls, 'p.xls'),
                (make_ods, 'p.ods')]:
            with self.subTest(filename=filename):
                (number, values), = self.read(make([
                            [], [],
                            [None, None, *HEADER],
                            [None, 'ignored', *ROW]]), filename)
                self.assertEqual(number, 4)
                self.assertEqual(values['borrower_name'], ROW[0])
                self.assertEqual(values['end_date'], dt.date(2027, 1, 5))

    def test_csv_encodings(self):
        "Test reading .csv files in UTF-8 with and without BOM and GB18030"
        rows = [HEADER, ROW]
        for data in [
                make_csv(rows, 'utf-8'),
                codecs.BOM_UTF8 + make_csv(rows, 'utf-8'),
                make_csv(rows, 'gb18030')]:
            with self.subTest(data=data[:3]):
                (number, values), = self.read(data, 'projects.CSV')
                self.assertEqual(values['borrower_name'], ROW[0])
                record = self.assertRowErrors(values, [])
                self.assertEqual(record['start_date'], dt.date(2026, 1, 5))

    def test_header_variants(self):
        "Test English headers, units, marks and the columns ignored"
        header = [
            'Row', 'Borrower name*', 'borrower_kind', 'ID Number',
            'Bank', 'Loan Contract Number', 'Loan Amount (CNY)',
            '担保金额（元）', 'Start  Date', 'End Date', None, '错误原因']
        rows = [
            [], header, [None] * 12,
            [7, *ROW, None, 'duplicate'],
            ]
        reader = SheetReader(make_xlsx(rows), 'rejected.xlsx')
        (number, values), = list(reader)
        self.assertEqual(number, 4)
        self.assertEqual(set(values), set(reader.headers))
        self.assertEqual(reader.headers['loan_amount'], 'Loan Amount (CNY)')
        self.assertRowErrors(values, [])

    def test_conversions(self):
        "Test the values accepted"
        values = dict(zip(
                ['borrower_name', 'borrower_kind', 'id_number', 'bank',
                    'loan_contract_number', 'loan_amount',
                    'guarantee_amount', 'start_date', 'end_date',
                    'industry', 'region', 'institution'],
                ['  合肥禾丰  ', 'Individual Business', '92340123 x',
                    '银行', 1234.0, '1,000,000.50', '¥800,000',
                    '2026/01/05', '2027年1月5日 00:00', 'c1311', 340100.0,
                    'hf01']))
        record = self.assertRowErrors(values, [])
        self.assertEqual(record['borrower_name'], '合肥禾丰')
        self.assertEqual(record['borrower_kind'], 'individual_business')
        self.assertEqual(record['id_number'], '92340123X')
        self.assertEqual(record['loan_contract_number'], '1234')
        self.assertEqual(record['loan_amount'], Decimal('1000000.50'))
        self.assertEqual(record['guarantee_amount'], Decimal('800000.00'))
        self.assertEqual(record['start_date'], dt.date(2026, 1, 5))
        self.assertEqual(record['end_date'], dt.date(2027, 1, 5))
        self.assertEqual(record['industry'], 'C1311')
        self.assertEqual(record['region'], '340100')
        self.assertEqual(record['institution'], 'HF01')
        for label, kind in [
                ('个体工商户', 'individual_business'), ('农户', 'farmer'),
                ('个人', 'person'), ('farmer', 'farmer')]:
            record, _ = convert_row({'borrower_kind': label})
            self.assertEqual(record['borrower_kind'], kind)

    def test_wrong_types(self):
        "Test the errors of wrong values"
        values = dict(zip(
                ['borrower_kind', 'id_number', 'bank',
                    'loan_contract_number', 'loan_amount',
                    'guarantee_amount', 'start_date', 'end_date'],
                ['公司', '91340100000000501W', '银行', 'L1', 'abc', 1.005,
                    45000, '2026-02-30']))
        self.assertRowErrors(values, [
                ('borrower_name', 'msg_project_import_required'),
                ('borrower_kind', 'msg_project_import_borrower_kind'),
                ('loan_amount', 'msg_project_import_not_number'),
                ('guarantee_amount', 'msg_project_import_digits'),
                ('start_date', 'msg_project_import_not_date'),
                ('end_date', 'msg_project_import_not_date'),
                ])
        for amount in [True, 'NaN', 'Infinity', '1e400', '--1']:
            with self.subTest(amount=amount):
                _, errors = convert_row({'loan_amount': amount})
                self.assertIn(
                    ('loan_amount', 'msg_project_import_not_number'),
                    [(n, m) for n, m, _ in errors])

    def test_empty_file(self):
        "Test an empty file"
        for filename in ['projects.xlsx', 'projects.xls', 'projects.csv']:
            with self.subTest(filename=filename):
                self.assertReadError(
                    'msg_project_import_file_empty', b'', filename)

    def test_header_only(self):
        "Test a file with a header and no data row"
        self.assertEqual(self.read(make_xlsx([HEADER]), 'p.xlsx'), [])
        self.assertEqual(
            self.read(make_csv([HEADER, [''] * 9, []]), 'p.csv'), [])

    def test_no_header(self):
        "Test a file with blank rows only"
        self.assertReadError(
            'msg_project_import_no_header', make_xlsx([]), 'p.xlsx')
        self.assertReadError(
            'msg_project_import_no_header', b'\r\n,,\r\n', 'p.csv')

    def test_unknown_headers(self):
        "Test unknown, missing and duplicate headers"
        error = self.assertReadError(
            'msg_project_import_unknown_columns',
            make_xlsx([HEADER + ['Colour', '颜色'], ROW]), 'p.xlsx')
        self.assertEqual(error.params['columns'], ['Colour', '颜色'])
        error = self.assertReadError(
            'msg_project_import_missing_columns',
            make_csv([HEADER[:5]]), 'p.csv')
        self.assertEqual(
            error.params['columns'],
            ['loan_amount', 'guarantee_amount', 'start_date', 'end_date'])
        self.assertReadError(
            'msg_project_import_duplicate_column',
            make_csv([HEADER + ['Loan Amount']]), 'p.csv')

    def test_formulas_and_error_cells(self):
        "Test formulas and error values are refused in their cells"
        def setup(sheet):
            sheet['F2'] = '=G2*2'
            sheet['G2'] = '#DIV/0!'
        (_, values), = self.read(make_xlsx([HEADER, ROW], setup), 'p.xlsx')
        self.assertIsInstance(values['loan_amount'], BadCell)
        self.assertEqual(str(values['loan_amount']), '=G2*2')
        self.assertRowErrors(values, [
                ('loan_amount', 'msg_project_import_formula'),
                ('guarantee_amount', 'msg_project_import_error_cell'),
                ])

        # A formula without a cached value beyond the other cells
        def setup(sheet):
            sheet['F3'] = '=1/0'
            sheet['H3'] = 'Row &amp; <x>'
            sheet['G4'] = '=SUM(A1:A2)'
        rows = self.read(make_xlsx([HEADER, ROW], setup), 'p.xlsx')
        self.assertEqual([n for n, _ in rows], [2, 3, 4])
        (_, row3), (_, row4) = rows[1:]
        self.assertEqual(str(row3['loan_amount']), '=1/0')
        self.assertEqual(row3['start_date'], 'Row &amp; <x>')
        self.assertEqual(str(row4['guarantee_amount']), '=SUM(A1:A2)')

        formula = (
            '<table:table-cell table:formula="of:=[.G2]*2"'
            ' office:value-type="float" office:value="2">'
            '<text:p>2</text:p></table:table-cell>')

        def setup(workbook, sheet):
            sheet.row(1).set_cell_error(5, '#DIV/0!')
            sheet.row(1).set_cell_error(6, 0x2a)
        (_, values), = self.read(make_xls([HEADER, ROW], setup=setup), 'p.xls')
        self.assertEqual(str(values['loan_amount']), '#DIV/0!')
        self.assertEqual(str(values['guarantee_amount']), '#N/A')
        self.assertRowErrors(values, [
                ('loan_amount', 'msg_project_import_error_cell'),
                ('guarantee_amount', 'msg_project_import_error_cell'),
                ])

        (_, values), = self.read(
            make_ods([HEADER, ROW[:5] + [formula] + ROW[6:]]), 'p.ods')
        self.assertEqual(str(values['loan_amount']), '=[.G2]*2')
        self.assertRowErrors(values, [
                ('loan_amount', 'msg_project_import_formula')])

    def test_merged_cells(self):
        "Test merged cells are refused"
        def setup(sheet):
            sheet.merge_cells('A2:A3')
        error = self.assertReadError(
            'msg_project_import_merged_cells',
            make_xlsx([HEADER, ROW, ROW], setup), 'p.xlsx')
        self.assertEqual(error.params['cells'], 'A2:A3')
        error = self.assertReadError(
            'msg_project_import_merged_cells',
            make_xls([HEADER, ROW, ROW], merge=(1, 2, 0, 0)), 'p.xls')
        self.assertEqual(error.params['cells'], 'A2:A3')
        merged = (
            '<table:table-cell table:number-rows-spanned="2"'
            ' office:value-type="string"><text:p>x</text:p>'
            '</table:table-cell>')
        error = self.assertReadError(
            'msg_project_import_merged_cells',
            make_ods([HEADER, [merged] + ROW[1:], ROW]), 'p.ods')
        self.assertEqual(error.params['cells'], 'A2:A3')

    def test_large_cell(self):
        "Test a cell of 1 MiB"
        row = ['x' * 1024 * 1024] + ROW[1:]
        # Not compressed 100 times as the zip bomb guard would refuse it
        digits = ''.join(map(str, range(200000)))[:1024 * 1024]
        for data, filename in [
                (make_xlsx([HEADER, row]), 'p.xlsx'),
                (make_ods([HEADER, [digits] + ROW[1:]]), 'p.ods'),
                (make_csv([HEADER, row]), 'p.csv')]:
            with self.subTest(filename=filename):
                error = self.assertReadError(
                    'msg_project_import_cell_too_long', data, filename)
                self.assertEqual(error.params['row'], 2)
                self.assertEqual(error.params['column'], '借款人名称')

    def test_wrong_encoding(self):
        "Test .csv files neither in UTF-8 nor in GB18030"
        for data in [
                'Borrower Name,Bank\ncafé,x\n'.encode('latin-1'),
                make_csv([HEADER, ROW], 'utf-16'),
                codecs.BOM_UTF8 + make_csv([HEADER], 'gb18030'),
                b'Borrower Name\x00,Bank\n']:
            with self.subTest(data=data[:8]):
                self.assertReadError(
                    'msg_project_import_encoding', data, 'p.csv')

    def test_extension_mismatch(self):
        "Test files that are not what their extension says"
        xlsx = make_xlsx([HEADER, ROW])
        ods = make_ods([HEADER, ROW])
        for data, filename in [
                (xlsx, 'p.csv'),
                (xlsx, 'p.xls'),
                (xlsx, 'p.ods'),
                (ods, 'p.xlsx'),
                (make_csv([HEADER, ROW]), 'p.xlsx'),
                (make_xls([HEADER, ROW]), 'p.xlsx'),
                (make_xls([HEADER, ROW]), 'p.ods'),
                (b'%PDF-1.4\n', 'p.xlsx')]:
            with self.subTest(filename=filename, data=data[:4]):
                self.assertReadError(
                    'msg_project_import_file_mismatch', data, filename)
        for filename in ['p.txt', 'p.xlsm', 'p']:
            with self.subTest(filename=filename):
                self.assertReadError(
                    'msg_project_import_file_type', xlsx, filename)

    def test_unreadable(self):
        "Test files of the right kind that cannot be read"
        for data, filename in [
                (make_zip({'hello.txt': b'hello'}), 'p.xlsx'),
                (make_zip({'hello.txt': b'hello'}), 'p.ods'),
                (make_zip({'content.xml': b'<not xml'}), 'p.ods'),
                (make_zip({
                            'xl/workbook.xml': b'<workbook/>',
                            'xl/_rels/workbook.xml.rels': b'<x/>'}),
                    'p.xlsx'),
                (project_import_file.ZIP_MAGIC + b'\x00' * 100, 'p.xlsx'),
                (project_import_file.OLE2_MAGIC + b'\x00' * 600, 'p.xls')]:
            with self.subTest(filename=filename, data=data[:4]):
                self.assertReadError(
                    'msg_project_import_file_unreadable', data, filename)

    def test_zip_bomb(self):
        "Test .xlsx files that would expand too much"
        bomb = make_zip({'xl/worksheets/sheet1.xml': b'\x00' * 8 * 2 ** 20})
        self.assertReadError(
            'msg_project_import_zip_bomb', bomb, 'bomb.xlsx')
        xlsx = make_xlsx([HEADER, ROW])
        with patch.object(project_import_file, 'MAX_UNCOMPRESSED_SIZE', 10000):
            self.assertReadError(
                'msg_project_import_zip_bomb', xlsx, 'bomb.xlsx')
        with patch.object(project_import_file, 'MAX_PARTS', 3):
            self.assertReadError(
                'msg_project_import_zip_bomb', xlsx, 'bomb.xlsx')
        bomb = make_zip({'content.xml': b' ' * 8 * 2 ** 20})
        self.assertReadError('msg_project_import_zip_bomb', bomb, 'bomb.ods')

    def test_too_many_rows(self):
        "Test sheets too large to be read in memory by calamine"
        def far_cell(reference):
            def setup(sheet):
                sheet[reference] = 'x'
            return setup
        for data, filename in [
                # 1.6 GiB for calamine: a rectangle up to AZ999999
                (make_xlsx([HEADER, ROW], far_cell('AZ999999')), 'p.xlsx'),
                (make_xlsx([HEADER, ROW], far_cell('A300001')), 'p.xlsx'),
                (make_xlsx([HEADER, ROW], far_cell('AA2')), 'p.xlsx'),
                (make_xls([HEADER, ROW + [None] * 17 + ['x']]), 'p.xls'),
                (make_ods([HEADER, ROW], tables=(
                            '<table:table table:name="2"><table:table-row'
                            ' table:number-rows-repeated="300001">'
                            '<table:table-cell office:value-type="float"'
                            ' office:value="1"/></table:table-row>'
                            '</table:table>')), 'p.ods'),
                (make_ods([HEADER, ROW + [
                                '<table:table-cell office:value-type="string"'
                                ' table:number-columns-repeated="50">'
                                '<text:p>x</text:p></table:table-cell>']]),
                    'p.ods'),
                ]:
            with self.subTest(filename=filename, data=len(data)):
                error = self.assertReadError(
                    'msg_project_import_too_many_rows', data, filename)
                self.assertEqual(error.params['max_rows'], 300000)
                self.assertEqual(error.params['last_column'], 'Z')
        # Cells without reference are placed one after the other
        xlsx = make_xlsx([HEADER, ROW])
        with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
            parts = {i.filename: archive.read(i) for i in archive.infolist()}
        sheet = 'xl/worksheets/sheet1.xml'
        parts[sheet] = parts[sheet].replace(b'<c r="B2"', b'<c ')
        self.assertReadError(
            'msg_project_import_too_many_rows', make_zip(parts), 'p.xlsx')

        # calamine reads every sheet of .xls and .ods files
        def sheets(workbook, sheet):
            for i in range(2):
                workbook.add_sheet(str(i)).write(1, 8, 'x')
        four_rows = ''.join(
            '<table:table table:name="%s"><table:table-row>'
            '<table:table-cell table:number-columns-repeated="9"'
            ' office:value-type="float" office:value="1"/>'
            '</table:table-row><table:table-row'
            ' table:number-rows-repeated="3"><table:table-cell'
            ' office:value-type="float" office:value="1"/>'
            '</table:table-row></table:table>' % i for i in range(2))
        with patch.object(project_import_file, 'MAX_ROWS', 4), \
                patch.object(project_import_file, 'MAX_COLUMNS', 9):
            for make, setup in [
                    (make_xls, {'setup': sheets}),
                    (make_ods, {'tables': four_rows})]:
                with self.subTest(make=make):
                    filename = 'p.%s' % make.__name__[-3:]
                    self.assertEqual(
                        len(self.read(make([HEADER, ROW]), filename)), 1)
                    self.assertReadError(
                        'msg_project_import_too_many_rows',
                        make([HEADER, ROW], **setup), filename)
        with patch.object(project_import_file, 'MAX_ROWS', 2):
            self.assertEqual(len(self.read(xlsx, 'p.xlsx')), 1)
            self.assertEqual(
                len(self.read(make_csv([HEADER, ROW]), 'p.csv')), 1)
            self.assertReadError(
                'msg_project_import_too_many_rows',
                make_csv([HEADER, ROW, ROW]), 'p.csv')

    def test_too_large(self):
        "Test a file above the maximum size"
        with patch.object(project_import_file, 'MAX_FILE_SIZE', 100):
            self.assertReadError(
                'msg_project_import_file_too_large',
                make_csv([HEADER, ROW]), 'p.csv')

    def test_messages_exist(self):
        "Test every message of the import is in message.xml"
        folder = os.path.dirname(os.path.dirname(__file__))
        ids = {
            r.get('id') for r in ElementTree.parse(
                os.path.join(folder, 'message.xml')).iter('record')}
        used = set()
        for name in ['project_import.py', 'project_import_file.py']:
            with open(os.path.join(folder, name)) as file:
                used.update(re.findall(r'msg_project_import_\w+', file.read()))
        self.assertTrue(used)
        # The prefix of the labels of the columns
        used.remove('msg_project_import_column_')
        used.update(c.message.split('.')[1] for c in COLUMNS)
        self.assertEqual(used - ids, set())

    def test_chunks(self):
        "Test the rows are read by chunks"
        rows = [HEADER] + [
            ROW[:4] + ['HSB-%04d' % i] + ROW[5:] for i in range(5)]
        data = make_xlsx(rows)
        expected = [
            (number, values, *convert_row(values))
            for number, values in self.read(data, 'projects.xlsx')]
        chunks = RowChunks(data, 'projects.xlsx', size=2)
        read = list(chunks)
        self.assertEqual([len(c) for c in read], [2, 2, 1])
        self.assertEqual([r for c in read for r in c], expected)
        self.assertEqual(chunks.headers['loan_amount'], '贷款金额')

    def test_chunks_errors(self):
        "Test the chunks give the bad cells and the reading errors"
        def setup(sheet):
            sheet['F2'] = '=G2*2'
        (chunk,) = RowChunks(make_xlsx([HEADER, ROW], setup), 'p.xlsx')
        (number, values, _, errors), = chunk
        self.assertEqual(number, 2)
        self.assertIsInstance(values['loan_amount'], BadCell)
        self.assertEqual(
            errors, [('loan_amount', 'msg_project_import_formula', {
                        'value': values['loan_amount']})])
        for data, filename, msg_id in [
                (make_xlsx([['Colour'], ['red']]), 'colour.xlsx',
                    'msg_project_import_unknown_columns'),
                (project_import_file.ZIP_MAGIC + b'\x00' * 100, 'p.xlsx',
                    'msg_project_import_file_unreadable'),
                (make_xlsx([HEADER]), 'header.xlsx', None),
                ]:
            with self.subTest(filename=filename):
                chunks = RowChunks(data, filename)
                if msg_id:
                    with self.assertRaises(ReadError) as context:
                        list(chunks)
                    self.assertEqual(context.exception.msg_id, msg_id)
                else:
                    self.assertEqual(list(chunks), [])
                    self.assertEqual(
                        chunks.headers['loan_amount'], '贷款金额')

    def test_progress(self):
        "Test the progress shown on a stream that is not a terminal"
        stream = io.StringIO()
        progress = Progress(stream, width=10)
        for done in range(0, 101, 5):
            progress('create', done, 100)
        lines = stream.getvalue().splitlines()
        self.assertEqual(len(lines), 11)
        self.assertEqual(lines[-1], 'Creating   [##########] 100/100')

    def test_cli_skip_warnings(self):
        "Test the command line confirms the warnings only when asked"
        parser = get_parser()
        self.assertFalse(
            parser.parse_args(['p.xlsx', '-d', 'db']).skip_warnings)
        self.assertTrue(parser.parse_args(
                ['p.xlsx', '-d', 'db', '--skip-warnings']).skip_warnings)


class ImportFileTestCase(ModulesTestCase):
    "Test the import of files into a database"

    @with_transaction()
    def test_bad_files_import_nothing(self):
        "Test each bad file gives a clear error and imports nothing"
        pool = Pool()
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        Project = pool.get('reguarantee.project')
        Borrower = pool.get('reguarantee.borrower')
        xlsx = make_xlsx([HEADER, ROW])
        bad_files = [
            (b'', 'empty.xlsx', 'is empty'),
            (make_xlsx([HEADER]), 'header.xlsx', 'no data row'),
            (make_xlsx([['Colour'], ['red']]), 'colour.xlsx',
                'unknown columns: Colour'),
            (make_xlsx([HEADER, ROW], lambda s: s.merge_cells('A2:B2')),
                'merged.xlsx', 'merged cells (A2:B2)'),
            (make_csv([HEADER, ['x' * 2 ** 20] + ROW[1:]]), 'large.csv',
                'Row 2, column "借款人名称"'),
            ('借款人名称\n张三\n'.encode('utf-16'), 'utf16.csv',
                'neither UTF-8 nor GB18030'),
            (xlsx, 'xlsx.csv', 'not what its extension .csv says'),
            (make_zip({'xl/worksheets/sheet1.xml': b'\x00' * 2 ** 23}),
                'bomb.xlsx', 'refused'),
            (xlsx, 'projects.pdf', 'not an .xlsx, .xls, .ods or .csv file'),
            (xlsx, 'projects.xlsx', 'Choose an institution'),
            ]
        for data, filename, reason in bad_files:
            with self.subTest(filename=filename):
                with self.assertRaises(ProjectImportError) as context:
                    ProjectImport.import_file(data, filename)
                self.assertIn(reason, context.exception.message)
        self.assertEqual(Project.search([], count=True), 0)
        self.assertEqual(Borrower.search([], count=True), 0)

    def create_contract(self, company):
        """Create an institution, a product, its signed contract and the
        bank of ROW; return them"""
        pool = Pool()
        Contract = pool.get('reguarantee.contract')
        Institution = pool.get('reguarantee.institution')
        Party = pool.get('party.party')
        Product = pool.get('reguarantee.product')
        institution = Institution(
            code='HF01', name="HF01", uscc=make_uscc(1), state='active',
            license_number='L1', license_expiry=dt.date(2099, 1, 1),
            net_assets=Decimal('100000000'))
        institution.save()
        product = Product(
            code='M', name="M", fee_rate=Decimal('0.01'),
            share_institution=Decimal('0.65'),
            share_reguarantor=Decimal('0.35'),
            start_date=dt.date(2024, 1, 1))
        product.save()
        contract, = Contract.create([{
                    'company': company.id,
                    'number': 'RC-HF01',
                    'institution': institution.id,
                    'products': [('add', [product.id])],
                    'start_date': dt.date(2025, 1, 1),
                    'end_date': dt.date(2028, 12, 31),
                    'state': 'signed',
                    }])
        bank = Party(name=ROW[3])
        bank.save()
        return institution, product, contract, bank

    @with_transaction()
    def test_import_submits(self):
        """Test the import creates the valid rows' projects and new borrowers,
        submitted, numbered, matched and logged as the Submit button does"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Log = pool.get('ir.model.log')
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        company = create_company()
        with set_company(company):
            institution, product, contract, _ = self.create_contract(company)
            known = Borrower(name="Known", id_number=make_uscc(2))
            known.save()
            start, end = dt.date(2026, 7, 1), dt.date(2027, 7, 1)
            # a wrong check character
            valid = make_uscc(4)
            wrong = valid[:-1] + ('1' if valid[-1] != '1' else '2')
            rows = [HEADER] + [
                [name, '企业', id_number, ROW[3], number, 1000000, amount,
                    start, end]
                for name, id_number, number, amount in [
                    ("New", make_uscc(3), 'L1', '100000.10'),
                    ("New", make_uscc(3), 'L2', '100000.05'),
                    ("Known", make_uscc(2), 'L3', '800000'),
                    ("Wrong", wrong, 'L4', '800000'),
                    ]]
            result = ProjectImport.import_file(
                make_xlsx(rows), 'projects.xlsx', institution)
            # as Tryton's tests of ir.model.log: Model.log stores at commit
            Transaction()._store_log_records()

            self.assertEqual(result.rejected, [5])
            projects = sorted(
                result.projects, key=lambda p: p.loan_contract_number)
            self.assertEqual(
                [p.loan_contract_number for p in projects],
                ['L1', 'L2', 'L3'])
            new, = Borrower.search([('id_number', '=', make_uscc(3))])
            self.assertEqual(
                [p.borrower for p in projects], [new, new, known])
            self.assertEqual(
                [p.borrower_id_number for p in projects],
                [make_uscc(3), make_uscc(3), make_uscc(2)])
            # 35,000.035 rounded half to even, as Currency.round does
            self.assertEqual(
                [p.reguaranteed_amount for p in projects],
                [Decimal('35000.04'), Decimal('35000.02'),
                    Decimal('280000.00')])
            self.assertEqual(len({p.number for p in projects}), 3)
            for project in projects:
                self.assertEqual(project.state, 'submitted')
                self.assertEqual(
                    (project.contract, project.product), (contract, product))
                self.assertTrue(project.number.startswith('RP'))
                logs = Log.search([('resource', '=', str(project))])
                expected = (
                    'transition', 'state:submitted', Transaction().user,
                    project.create_date)
                self.assertEqual(
                    [(g.event, g.target, g.user.id, g.create_date)
                        for g in logs],
                    [expected])
            self.assertEqual(new.create_date, projects[0].create_date)

    @with_transaction()
    def test_new_drafts(self):
        """Test Project.new_drafts builds the projects Project(**values)
        builds, one new borrower per dictionary, and enter_submitted submits
        values"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            institution, product, contract, bank = self.create_contract(
                company)
            borrower = {
                'name': " New ", 'kind': 'enterprise',
                'id_number': make_uscc(3), 'industry': 'C3311',
                'region': None}
            vlist = [{
                    'company': company, 'institution': institution,
                    'contract': None, 'bank': bank.id, 'state': 'draft',
                    'borrower': borrower, 'borrower_id_number': make_uscc(3),
                    'industry': ' C3311 ', 'region': None,
                    'loan_contract_number': number,
                    'loan_amount': Decimal('1000000'),
                    # of other types: converted as by Field.__set__
                    'guarantee_amount': 800000,
                    'start_date': dt.date(2026, 7, 1),
                    'end_date': '2027-07-01',
                    'rec_name': "Row %s" % number,
                    } for number in ['L1', 'L2']]
            drafts = Project.new_drafts(vlist)
            for draft, values in zip(drafts, vlist):
                expected = Project(**{
                        **values, 'borrower': Borrower(**borrower)})
                for name in values:
                    with self.subTest(name=name):
                        value = getattr(draft, name)
                        if name == 'borrower':
                            value = value._default_values
                            expected_value = (
                                expected.borrower._default_values)
                        else:
                            expected_value = getattr(expected, name)
                        self.assertEqual(value, expected_value)
                        self.assertIs(type(value), type(expected_value))
                self.assertIsNone(draft.id)
            self.assertIs(drafts[0].borrower, drafts[1].borrower)
            self.assertEqual(drafts[0].borrower.name, "New")
            self.assertEqual(drafts[0].industry, 'C3311')
            self.assertEqual(drafts[0].end_date, dt.date(2027, 7, 1))
            self.assertEqual(drafts[0].guarantee_amount, Decimal(800000))

            projects = Project.enter_submitted(vlist)
            self.assertEqual(
                [(p.state, p.loan_contract_number, p.product)
                    for p in projects],
                [('submitted', 'L1', product), ('submitted', 'L2', product)])
            new, = Borrower.search([('id_number', '=', make_uscc(3))])
            self.assertEqual({p.borrower for p in projects}, {new})

    @with_transaction()
    def test_template(self):
        "Test the template's labels follow the language and read back"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        zh_cn, = Lang.search([('code', '=', 'zh_CN')])
        Lang.write([zh_cn], {'translatable': True})
        with file_open('reguarantee_base/locale/zh_CN.po') as file:
            Translation.translation_import(
                'zh_CN', 'reguarantee_base', [file.name])
        for language, header, sheets in [
                ('en', 'Borrower Name', ['Projects', 'Notes']),
                ('zh_CN', '借款人名称', ['项目', '说明'])]:
            with self.subTest(language=language), \
                    Transaction().set_context(language=language):
                data = template_file()
                workbook = load_workbook(io.BytesIO(data))
                self.assertEqual(workbook.sheetnames, sheets)
                sheet, notes = workbook.worksheets
                self.assertEqual(sheet['B1'].value, header)
                self.assertEqual(notes['A3'].value, header)
                reader = SheetReader(data, 'template.xlsx')
                self.assertEqual(list(reader), [])
                self.assertEqual(
                    list(reader.headers), [c.name for c in COLUMNS])
                # A file with either spelling of the headers imports
                labels = [column_string(n) for n in HEADER_NAMES]
                self.assertEqual(labels[0], header)
                (_, values), = read_rows(make_xlsx([labels, ROW]), 'p.xlsx')
                self.assertEqual(values['borrower_name'], ROW[0])
                self.assertEqual(convert_row(values)[1], [])

        # A label translated otherwise still imports
        ModelData = pool.get('ir.model.data')
        translation, = Translation.search([
                ('lang', '=', 'zh_CN'),
                ('name', '=', 'ir.message,text'),
                ('res_id', '=', ModelData.get_id(
                        'reguarantee_base', 'msg_project_import_column_bank')),
                ])
        Translation.write([translation], {'value': "放款银行"})
        with Transaction().set_context(language='zh_CN'):
            labels = [column_string(n) for n in HEADER_NAMES]
            self.assertIn("放款银行", labels)
            (_, values), = read_rows(make_xlsx([labels, ROW]), 'p.xlsx')
        self.assertEqual(values['bank'], ROW[3])

    @with_transaction()
    def test_create_in_bulk(self):
        "Test create_in_bulk creates the records as create does"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        first, = Borrower.create([{
                    'name': "First", 'id_number': make_uscc(1)}])
        vlist = [{
                'name': " Borrower %s " % i,
                'kind': 'individual_business',
                'id_number': make_uscc(i + 2, '92340123'),
                'industry': 'A0511',
                } for i in range(25)]
        with Transaction().set_context(_reguarantee_prevalidated=True):
            borrowers = create_in_bulk(Borrower, vlist)

        self.assertEqual(len({b.id for b in borrowers}), 25)
        self.assertGreater(min(b.id for b in borrowers), first.id)
        for borrower, values in zip(borrowers, vlist):
            found, = Borrower.search([('id_number', '=', values['id_number'])])
            self.assertEqual(found, borrower)
            self.assertEqual(borrower.name, values['name'].strip())
            self.assertEqual(borrower.kind, 'individual_business')
            self.assertEqual(borrower.create_uid.id, Transaction().user)
            # the timestamp of the transaction, as Model.create gives
            self.assertEqual(borrower.create_date, first.create_date)
        # kind is left to its default
        borrower, = create_in_bulk(Borrower, [{
                    'name': "Default", 'id_number': make_uscc(99)}])
        self.assertEqual(borrower.kind, 'enterprise')

    @with_transaction()
    def test_prevalidated(self):
        "Test Tryton's checks are skipped only under the prevalidated context"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        with self.assertRaises(IdentityNumberError):
            Borrower.create([{
                        'name': "Wrong", 'id_number': '913401000000000010'}])
        with Transaction().set_context(_reguarantee_prevalidated=True):
            borrower, = Borrower.create([{
                        'name': "Wrong", 'id_number': '913401000000000021'}])
        self.assertEqual(borrower.id_number, '913401000000000021')
