# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The voucher file of the financial system: one row per line of the posted
accounting moves of the invoices, as documented in docs/voucher-file.md"""
import csv
import io

from openpyxl import Workbook

#: (key, header) of the columns, in order
COLUMNS = [
    ('request_number', "开票申请号"),
    ('voucher_number', "凭证号"),
    ('voucher_date', "凭证日期"),
    ('period', "会计期间"),
    ('journal', "凭证类别"),
    ('line_number', "分录号"),
    ('summary', "摘要"),
    ('account_code', "科目代码"),
    ('account_name', "科目名称"),
    ('debit', "借方金额"),
    ('credit', "贷方金额"),
    ('currency', "币种"),
    ('party', "往来单位"),
    ('party_tax_identifier', "纳税人识别号"),
    ('invoice_number', "发票号"),
    ('bill_number', "账单号"),
    ]
AMOUNT_COLUMNS = {'debit', 'credit'}


def voucher_rows(request):
    "Yield the rows of the invoice request as dictionaries by column key"
    for bill in sorted(request.bills, key=lambda b: b.number or ''):
        invoice = bill.invoice
        # a bill whose invoice was cancelled is reopened without invoice
        move = invoice.move if invoice else None
        if not move or move.state != 'posted':
            continue
        party = invoice.party
        for number, line in enumerate(
                sorted(move.lines, key=lambda l: l.id), 1):
            yield {
                'request_number': request.number,
                'voucher_number': move.number,
                'voucher_date': move.date.isoformat(),
                'period': move.period.name,
                'journal': move.journal.code or move.journal.name,
                'line_number': number,
                'summary': (line.description or move.description
                    or invoice.number),
                'account_code': line.account.code or '',
                'account_name': line.account.name,
                'debit': line.debit,
                'credit': line.credit,
                'currency': invoice.currency.code,
                'party': line.party.name if line.party else '',
                'party_tax_identifier': (
                    party.tax_identifier.code
                    if line.party and party.tax_identifier else ''),
                'invoice_number': invoice.number,
                'bill_number': bill.number,
                }


def to_csv(rows):
    "Return the rows as CSV bytes: UTF-8 with BOM, comma, CRLF"
    output = io.StringIO(newline='')
    writer = csv.writer(output, lineterminator='\r\n')
    writer.writerow([header for _, header in COLUMNS])
    for row in rows:
        writer.writerow([_format(key, row[key]) for key, _ in COLUMNS])
    return output.getvalue().encode('utf-8-sig')


def to_xlsx(rows):
    "Return the rows as the bytes of an .xlsx workbook of one sheet"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("凭证")
    sheet.append([header for _, header in COLUMNS])
    for row in rows:
        sheet.append([row[key] for key, _ in COLUMNS])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _format(key, value):
    if key in AMOUNT_COLUMNS:
        return f'{value:.2f}'
    return value
