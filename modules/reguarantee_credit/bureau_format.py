# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The credit bureau's fixed-width file of guarantee-account records
(docs/interfaces/credit-bureau.md): its layout, the writer and the validator

A file is GB18030 text, one line per record after a header line; every
width is in bytes of GB18030.  The validator returns each error as the
field and the ir.message (with its parameters) that says what is wrong;
the records (report.py) translate them naming the record."""
import datetime as dt
from decimal import Decimal

from trytond.modules.reguarantee_base.identity import (
    is_valid_resident_id, is_valid_uscc)

ENCODING = 'gb18030'
VERSION = '10'
NEWLINE = b'\r\n'

#: record kind → its code in the base segment
KIND_CODES = {
    'open': '10',
    'balance': '20',
    'compensation': '30',
    'classification': '40',
    'closure': '50',
    }
#: the five-level classification → its code in the in-force segment
CLASSIFICATION_CODES = {
    'normal': '1',
    'special_mention': '2',
    'substandard': '3',
    'doubtful': '4',
    'loss': '5',
    }
#: the account status codes of the in-force segment
STATUS_CODES = {
    'in_force': '1',
    'compensated': '2',
    'closed': '3',
    }
#: the business types of the basic information segment
BUSINESS_TYPES = {
    'reguarantee': '51',
    'financing': '01',
    'non_financing': '02',
    }
#: the identity types of the related parties segment
ID_TYPES = {
    'uscc': '10',
    'resident_id': '20',
    }

#: the header line: (field, width, type)
HEADER = [
    ('record_type', 1, 'fixed'),
    ('version', 2, 'fixed'),
    ('provider_code', 14, 'code'),
    ('reporter_uscc', 18, 'text'),
    ('reporter_name', 80, 'text'),
    ('month', 6, 'month'),
    ('file_kind', 1, 'code'),
    ('file_number', 4, 'number'),
    ('record_count', 8, 'number'),
    ('created_date', 8, 'date'),
    ]
#: the segments of a record line: (tag, name, [(field, width, type)])
SEGMENTS = [
    ('B', 'base', [
            ('kind_code', 2, 'code'),
            ('account_number', 40, 'text'),
            ('event_date', 8, 'date'),
            ('sequence', 8, 'number'),
            ]),
    ('I', 'basic', [
            ('business_type', 2, 'code'),
            ('open_date', 8, 'date'),
            ('due_date', 8, 'date'),
            ('currency_code', 3, 'text'),
            ('amount', 18, 'amount'),
            ]),
    ('P', 'parties', [
            ('borrower_id_type', 2, 'code'),
            ('borrower_id_number', 18, 'text'),
            ('borrower_name', 80, 'text'),
            ('guarantor_uscc', 18, 'text'),
            ('guarantor_name', 80, 'text'),
            ('creditor_name', 80, 'text'),
            ]),
    ('F', 'in_force', [
            ('status_code', 1, 'code'),
            ('balance', 18, 'amount'),
            ('classification_code', 1, 'code'),
            ('compensation_amount', 18, 'amount'),
            ('compensation_date', 8, 'date'),
            ('recovered_amount', 18, 'amount'),
            ('closing_date', 8, 'date'),
            ]),
    ]
#: the fields of a record every kind requires
REQUIRED = {
    'kind_code', 'account_number', 'event_date', 'sequence',
    'business_type', 'open_date', 'due_date', 'currency_code', 'amount',
    'borrower_id_type', 'borrower_id_number', 'borrower_name',
    'guarantor_uscc', 'guarantor_name', 'status_code', 'balance',
    'classification_code'}
#: the fields required by the kind of the record besides
REQUIRED_BY_KIND = {
    '30': {'compensation_amount', 'compensation_date'},
    '50': {'closing_date'},
    }
#: the allowed values of the code fields
CODES = {
    'kind_code': set(KIND_CODES.values()),
    'business_type': set(BUSINESS_TYPES.values()),
    'borrower_id_type': set(ID_TYPES.values()),
    'status_code': set(STATUS_CODES.values()),
    'classification_code': set(CLASSIFICATION_CODES.values()),
    'file_kind': {'O', 'C'},
    }
#: the largest amount the 18 characters hold
MAX_AMOUNT = Decimal('999999999999999.99')

RECORD_WIDTH = sum(1 + sum(w for _, w, _ in f) for _, _, f in SEGMENTS)
HEADER_WIDTH = sum(w for _, w, _ in HEADER)


def _format(value, width, type_):
    "Return value as the bytes of its field"
    if value is None or value == '':
        return b' ' * width
    if type_ == 'date':
        text = value.strftime('%Y%m%d')
    elif type_ == 'month':
        text = value.strftime('%Y%m')
    elif type_ == 'amount':
        text = f'{Decimal(value):0{width}.2f}'
    elif type_ == 'number':
        text = f'{int(value):0{width}d}'
    else:
        text = str(value)
    data = text.encode(ENCODING)
    if len(data) > width:
        raise ValueError(f'{value!r} does not fit in {width} bytes')
    return data + b' ' * (width - len(data))


def format_header(values):
    "Return the header line of values (a dictionary of HEADER's fields)"
    values = dict(values, record_type='H', version=VERSION)
    return b''.join(
        _format(values.get(n), w, t) for n, w, t in HEADER)


def format_record(values):
    "Return the line of the record of values (the fields of SEGMENTS)"
    line = b''
    for tag, _, fields_ in SEGMENTS:
        line += tag.encode(ENCODING) + b''.join(
            _format(values.get(n), w, t) for n, w, t in fields_)
    return line


def write_file(header, records):
    """Return the file (bytes) of the header and the records (dictionaries),
    each validated before (see check_header and check_record)"""
    lines = [format_header(header)] + [format_record(r) for r in records]
    return NEWLINE.join(lines) + NEWLINE


def _parse(data, width, type_):
    text = data.decode(ENCODING).strip()
    if not text:
        return None
    if type_ == 'date':
        return dt.datetime.strptime(text, '%Y%m%d').date()
    elif type_ == 'month':
        return dt.datetime.strptime(text + '01', '%Y%m%d').date()
    elif type_ == 'amount':
        return Decimal(text)
    elif type_ == 'number':
        return int(text)
    return text


def read_file(data):
    "Return the header and the records (dictionaries) of a file"
    lines = [ln for ln in data.split(NEWLINE) if ln]
    header, position = {}, 0
    for name, width, type_ in HEADER:
        header[name] = _parse(lines[0][position:position + width], width,
            type_)
        position += width
    records = []
    for line in lines[1:]:
        values, position = {}, 0
        for tag, _, fields_ in SEGMENTS:
            position += len(tag)
            for name, width, type_ in fields_:
                values[name] = _parse(
                    line[position:position + width], width, type_)
                position += width
        records.append(values)
    return header, records


def _width(name):
    for _, _, fields_ in SEGMENTS:
        for field, width, type_ in fields_:
            if field == name:
                return width, type_
    for field, width, type_ in HEADER:
        if field == name:
            return width, type_


def _check_value(name, value, errors):
    "Append to errors what is wrong with value of the field name"
    width, type_ = _width(name)
    if value is None or value == '':
        return
    if type_ in {'text', 'code'}:
        text = str(value)
        if '\n' in text or '\r' in text:
            errors.append((name, 'msg_bureau_field_line_break', {}))
        elif len(text.encode(ENCODING)) > width:
            errors.append((name, 'msg_bureau_field_too_long', {
                        'width': width}))
    elif type_ == 'amount':
        if value < 0 or value > MAX_AMOUNT:
            errors.append((name, 'msg_bureau_field_amount', {
                        'value': value}))
    if name in CODES and value not in CODES[name]:
        errors.append((name, 'msg_bureau_field_code', {'value': value}))


def check_header(values):
    """Return the errors of the header's values: (field, message id,
    parameters)"""
    errors = []
    for name, width, type_ in HEADER:
        if type_ == 'fixed':
            continue
        if values.get(name) in {None, ''}:
            errors.append((name, 'msg_bureau_field_required', {}))
        else:
            _check_value(name, values[name], errors)
    code = values.get('provider_code')
    if code and (len(code) != 14 or not code.isalnum()):
        errors.append(('provider_code', 'msg_bureau_provider_code', {
                    'value': code}))
    if values.get('reporter_uscc') and not is_valid_uscc(
            values['reporter_uscc']):
        errors.append(('reporter_uscc', 'msg_bureau_field_id_number', {
                    'value': values['reporter_uscc']}))
    return errors


def check_record(values, month=None):
    """Return the errors of the record's values: (field, message id,
    parameters); month is the first day of the reported month"""
    errors = []
    required = REQUIRED | REQUIRED_BY_KIND.get(values.get('kind_code'), set())
    for name in sorted(required):
        if values.get(name) in {None, ''}:
            errors.append((name, 'msg_bureau_field_required', {}))
    for _, _, fields_ in SEGMENTS:
        for name, _, _ in fields_:
            _check_value(name, values.get(name), errors)
    id_type, id_number = (
        values.get('borrower_id_type'), values.get('borrower_id_number'))
    if id_number and (
            (id_type == ID_TYPES['uscc'] and not is_valid_uscc(id_number))
            or (id_type == ID_TYPES['resident_id']
                and not is_valid_resident_id(id_number))):
        errors.append(('borrower_id_number', 'msg_bureau_field_id_number', {
                    'value': id_number}))
    if values.get('guarantor_uscc') and not is_valid_uscc(
            values['guarantor_uscc']):
        errors.append(('guarantor_uscc', 'msg_bureau_field_id_number', {
                    'value': values['guarantor_uscc']}))
    open_date, due_date = values.get('open_date'), values.get('due_date')
    if open_date and due_date and due_date < open_date:
        errors.append(('due_date', 'msg_bureau_field_before', {
                    'other': 'open_date'}))
    event_date = values.get('event_date')
    if event_date and month and (
            event_date < month
            or event_date >= _next_month(month)):
        errors.append(('event_date', 'msg_bureau_field_month', {
                    'value': event_date}))
    for name in ['compensation_date', 'closing_date']:
        if values.get(name) and open_date and values[name] < open_date:
            errors.append((name, 'msg_bureau_field_before', {
                        'other': 'open_date'}))
    return errors


def _next_month(month):
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
