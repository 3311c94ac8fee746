# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The credit bureau's reporting API (docs/interfaces/credit-bureau.md)

A month's file of guarantee-account records (fixed-width GB18030 text) is
POSTed in a JSON envelope with an Idempotency-Key; the bureau answers at
once that it is received and checks the records later: GET the file for
its feedback, the rejected records with their codes.  A repeated POST with
the same key returns the same file and loads nothing again.  The layout is
read from the document, independently of Tryton's writer."""
import base64
import binascii
import datetime as dt
import itertools
import time
from decimal import Decimal, InvalidOperation

from werkzeug.routing import Rule

from simulators.app import (
    APIError, SimulatorApp, json_response, read_keyed_json)

ENCODING = 'gb18030'
HEADER = [
    ('recordType', 1), ('version', 2), ('providerCode', 14),
    ('reporterUscc', 18), ('reporterName', 80), ('month', 6),
    ('fileKind', 1), ('fileNumber', 4), ('recordCount', 8),
    ('createdDate', 8),
    ]
SEGMENTS = [
    ('B', [
            ('kindCode', 2), ('accountNumber', 40), ('eventDate', 8),
            ('sequence', 8)]),
    ('I', [
            ('businessType', 2), ('openDate', 8), ('dueDate', 8),
            ('currencyCode', 3), ('amount', 18)]),
    ('P', [
            ('borrowerIdType', 2), ('borrowerIdNumber', 18),
            ('borrowerName', 80), ('guarantorUscc', 18),
            ('guarantorName', 80), ('creditorName', 80)]),
    ('F', [
            ('statusCode', 1), ('balance', 18), ('classificationCode', 1),
            ('compensationAmount', 18), ('compensationDate', 8),
            ('recoveredAmount', 18), ('closingDate', 8)]),
    ]
RECORD_WIDTH = sum(1 + sum(w for _, w in f) for _, f in SEGMENTS)
HEADER_WIDTH = sum(w for _, w in HEADER)
REQUIRED = [
    'accountNumber', 'eventDate', 'businessType', 'openDate', 'dueDate',
    'currencyCode', 'amount', 'borrowerIdType', 'borrowerIdNumber',
    'borrowerName', 'guarantorUscc', 'guarantorName', 'statusCode',
    'balance', 'classificationCode']
REQUIRED_BY_KIND = {
    '30': ['compensationAmount', 'compensationDate'],
    '50': ['closingDate'],
    }
CODES = {
    'kindCode': {'10', '20', '30', '40', '50'},
    'businessType': {'01', '02', '51'},
    'borrowerIdType': {'10', '20'},
    'statusCode': {'1', '2', '3'},
    'classificationCode': {'1', '2', '3', '4', '5'},
    }
DATES = ['eventDate', 'openDate', 'dueDate', 'compensationDate',
    'closingDate']
AMOUNTS = ['amount', 'balance', 'compensationAmount', 'recoveredAmount']

USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'


def valid_uscc(code):
    "GB 32100-2015 check character"
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31)
        for i, c in enumerate(code[:17]))
    return code[17] == USCC_ALPHABET[(31 - total % 31) % 31]


def valid_resident_id(code):
    "GB 11643-1999 check character and birth date"
    if len(code) != 18 or not code[:17].isdigit():
        return False
    try:
        dt.datetime.strptime(code[6:14], '%Y%m%d')
    except ValueError:
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(code, weights))
    return code[17] == '10X98765432'[total % 11]


def _fields(line, layout):
    values, position = {}, 0
    for name, width in layout:
        values[name] = line[position:position + width].decode(
            ENCODING, errors='replace').strip()
        position += width
    return values, position


def parse_header(line):
    if len(line) != HEADER_WIDTH or line[:1] != b'H':
        return None
    return _fields(line, HEADER)[0]


def parse_record(line):
    "Return the values of the record line, or None when it is malformed"
    if len(line) != RECORD_WIDTH:
        return None
    values, position = {}, 0
    for tag, layout in SEGMENTS:
        if line[position:position + 1] != tag.encode():
            return None
        segment, width = _fields(line[position + 1:], layout)
        values.update(segment)
        position += 1 + width
    return values


def _date(text):
    try:
        return dt.datetime.strptime(text, '%Y%m%d').date()
    except ValueError:
        return None


def check_record(values, registered_names):
    "Return the errors (code, field, message) of a record's values"
    errors = []
    kind = values['kindCode']
    if kind not in CODES['kindCode']:
        return [('E102', 'kindCode', f"unknown record kind {kind!r}")]
    for name in REQUIRED + REQUIRED_BY_KIND.get(kind, []):
        if not values[name]:
            errors.append(('E103', name, f"{name} is required"))
    for name, codes in CODES.items():
        if values[name] and values[name] not in codes:
            errors.append(('E206', name, f"unknown code {values[name]!r}"))
    for name in DATES:
        if values[name] and _date(values[name]) is None:
            errors.append(('E204', name, f"{values[name]!r} is no date"))
    for name in AMOUNTS:
        try:
            if values[name] and Decimal(values[name]) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(('E205', name, f"{values[name]!r} is no amount"))
    id_type, id_number = values['borrowerIdType'], values['borrowerIdNumber']
    if id_number and (
            (id_type == '10' and not valid_uscc(id_number))
            or (id_type == '20' and not valid_resident_id(id_number))):
        errors.append((
                'E201', 'borrowerIdNumber',
                f"{id_number} is not a valid identity number"))
    if values['guarantorUscc'] and not valid_uscc(values['guarantorUscc']):
        errors.append((
                'E202', 'guarantorUscc',
                f"{values['guarantorUscc']} is not a valid USCC"))
    # the borrower is matched with the register when the account is
    # opened; the account's later records are matched by account number
    registered = registered_names.get(id_number) if kind == '10' else None
    if registered and values['borrowerName'] != registered:
        errors.append((
                'E203', 'borrowerName',
                f"the name does not match the register of {id_number}: "
                f"{registered}"))
    open_date, due_date = (
        _date(values['openDate']), _date(values['dueDate']))
    if open_date and due_date and due_date < open_date:
        errors.append(('E204', 'dueDate', "dueDate is before openDate"))
    return errors


class CreditBureauApp(SimulatorApp):
    """Options:
    - processing_delay: seconds before a received file has its feedback;
    - registered_names: {ID number: name} the names of the bureau's
      register: an account opened with another name is rejected (E203)."""
    name = 'credit_bureau'
    rules = [
        Rule('/api/v1/files', endpoint='post_file', methods=['POST']),
        Rule('/api/v1/files/<file_id>', endpoint='get_file',
            methods=['GET']),
        ]

    def __init__(
            self, tokens=('bureau-secret',), faults=None,
            processing_delay=0.5, registered_names=None):
        self.processing_delay = float(processing_delay)
        self.registered_names = dict(registered_names or {})
        super().__init__(tokens=tokens, faults=faults)

    def reset(self):
        with self.lock:
            super().reset()
            self.files = {}
            self.keys = {}
            # (account, kind, event date) of the accepted records
            self.accepted = set()
            self.sequence = itertools.count(1)

    def configure(self, options):
        "Change the options above (PUT /_sim/options)"
        options = dict(options)
        with self.lock:
            if 'processing_delay' in options:
                self.processing_delay = float(
                    options.pop('processing_delay'))
            if 'registered_names' in options:
                self.registered_names.update(
                    options.pop('registered_names') or {})
        super().configure(options)

    def state(self):
        state = super().state()
        with self.lock:
            for file in self.files.values():
                self._process(file)
            state['files'] = [self._summary(f) for f in self.files.values()]
            state['accepted'] = len(self.accepted)
        return state

    def on_post_file(self, request):
        self.check_token(request)
        key, body, digest = read_keyed_json(request)
        with self.lock:
            if key in self.keys:
                file = self.files[self.keys[key]]
                if file['digest'] != digest:
                    raise APIError(
                        422, 'IDEMPOTENCY_KEY_REUSED',
                        f"the key {key} was used for another file")
                return json_response(
                    self._summary(file),
                    headers={'Idempotent-Replayed': 'true'})
            header, lines = self._check_file(body)
            file_id = 'CBF%06d' % next(self.sequence)
            file = {
                'fileId': file_id,
                'fileName': body.get('fileName'),
                'idempotencyKey': key,
                'digest': digest,
                'header': header,
                'lines': lines,
                'receivedAt': time.time(),
                'errors': None,
                }
            self.files[file_id] = file
            self.keys[key] = file_id
            return json_response(
                self._summary(file), status=202,
                headers={'Location': f'/api/v1/files/{file_id}'})

    def _check_file(self, body):
        "Return the header and record lines of the file, or raise"
        if not isinstance(body, dict) or not isinstance(
                body.get('content'), str):
            raise APIError(
                400, 'INVALID_REQUEST',
                "the body must be an object with the file in content")
        try:
            data = base64.b64decode(body['content'], validate=True)
        except (binascii.Error, ValueError):
            raise APIError(400, 'INVALID_REQUEST', "content is not base64")
        lines = [ln for ln in data.split(b'\r\n') if ln]
        header = parse_header(lines[0]) if lines else None
        if header is None:
            raise APIError(
                422, 'FILE_INVALID', "the first line is not a header")
        if header['version'] != '10':
            raise APIError(
                422, 'FILE_INVALID',
                f"version {header['version']!r} is not supported")
        if not valid_uscc(header['reporterUscc']):
            raise APIError(
                422, 'FILE_INVALID', "reporterUscc is not a valid USCC")
        try:
            count = int(header['recordCount'])
        except ValueError:
            count = -1
        if count != len(lines) - 1:
            raise APIError(
                422, 'FILE_INVALID',
                f"the header counts {header['recordCount']} records, the "
                f"file holds {len(lines) - 1}")
        return header, lines[1:]

    def on_get_file(self, request, file_id):
        self.check_token(request)
        with self.lock:
            file = self.files.get(file_id)
            if file is None:
                raise APIError(404, 'FILE_NOT_FOUND', f"no file {file_id}")
            self._process(file)
            summary = self._summary(file)
            if file['errors'] is not None:
                summary['errors'] = file['errors']
            return json_response(summary)

    def _summary(self, file):
        summary = {
            'fileId': file['fileId'],
            'fileName': file['fileName'],
            'idempotencyKey': file['idempotencyKey'],
            'records': len(file['lines']),
            'receivedAt': dt.datetime.fromtimestamp(
                file['receivedAt'], dt.timezone.utc).isoformat(),
            }
        if file['errors'] is None:
            summary['status'] = 'processing'
            summary['retryAfter'] = self.processing_delay
        else:
            summary['status'] = 'done'
            rejected = len({e['sequence'] for e in file['errors']})
            summary['rejected'] = rejected
            summary['accepted'] = len(file['lines']) - rejected
        return summary

    def _process(self, file):
        "Check the file's records once its processing delay is over"
        if file['errors'] is not None or (
                time.time() < file['receivedAt'] + self.processing_delay):
            return
        errors = []
        for number, line in enumerate(file['lines'], 1):
            values = parse_record(line)
            if values is None:
                errors.append({
                        'sequence': number, 'accountNumber': None,
                        'code': 'E101', 'field': 'line',
                        'message': "the line does not follow the layout"})
                continue
            try:
                sequence = int(values['sequence'])
            except ValueError:
                sequence = number
            record_errors = check_record(values, self.registered_names)
            key = (values['accountNumber'], values['kindCode'],
                values['eventDate'])
            if not record_errors and key in self.accepted:
                record_errors.append((
                        'E301', 'accountNumber',
                        "this record of the account is already reported"))
            for code, field, message in record_errors:
                errors.append({
                        'sequence': sequence,
                        'accountNumber': values['accountNumber'],
                        'code': code, 'field': field, 'message': message})
            if not record_errors:
                self.accepted.add(key)
        file['errors'] = errors
