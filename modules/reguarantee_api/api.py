# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The REST API of the institutions' own guarantee systems (routes.py,
docs/api/openapi.yaml)

An API key is a user application 'reguarantee' of a user who operates
exactly one institution: the API acts for that institution, as that user,
with its access rights.  The rows of a batch go through the project
import's own validation and creation (ProjectImport.import_chunks).

The API reads its bodies strictly, more than an import file: amounts are
plain decimals of ASCII digits, dates have no time, text has no control
character.  A batch sent with an Idempotency-Key header is answered once:
the answer is kept (reguarantee.api.request) and replayed to the retries of
the same body."""
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.model.exceptions import SQLConstraintError
from trytond.modules.reguarantee_base.project_import_file import (
    CHUNK_SIZE, COLUMNS, MAX_CELL_LENGTH, convert_row)
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import APIKeyError

#: The user application of the API keys
APPLICATION = 'reguarantee'
#: Most rows of one request
MAX_ROWS = 10000
#: Largest body of a request, in bytes
MAX_REQUEST_SIZE = 16 * 1024 * 1024
#: A tuple: a mode of the request may be unhashable
MODES = ('valid', 'all')
FIELDS = [c.name for c in COLUMNS]
AMOUNT_FIELDS = {c.name for c in COLUMNS if c.type == 'amount'}
DATE_FIELDS = {c.name for c in COLUMNS if c.type == 'date'}
#: An amount written as a string: ASCII digits and a decimal point
AMOUNT = re.compile(r'-?[0-9]+(?:\.[0-9]+)?', re.ASCII)
#: The dates of the API, without time (the formats of the import file)
DATE = re.compile(
    r'[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}/[0-9]{2}/[0-9]{2}|[0-9]{8}'
    r'|[0-9]{4}年[0-9]{2}月[0-9]{2}日', re.ASCII)
#: Control characters (C0, DEL, C1) and lone surrogates of JSON escapes
CONTROL = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff]')
#: The header of the key of an idempotent request, and its values
IDEMPOTENCY_HEADER = 'Idempotency-Key'
IDEMPOTENCY_KEY = re.compile(r'[\x21-\x7e]{1,255}', re.ASCII)


class ExponentNumber(str):
    "The text of a JSON number written with an exponent (1e5)"


def _parse_float(text):
    "Read a JSON number with a fraction or an exponent exactly"
    if 'e' in text or 'E' in text:
        return ExponentNumber(text)
    return Decimal(text)


def _parse_constant(name):
    "Refuse NaN, Infinity and -Infinity, which are not JSON"
    raise ValueError(f"{name} is not a JSON value")


def control_character(text):
    "Return the first control character of text as U+XXXX, or None"
    match = CONTROL.search(text)
    if match:
        return 'U+%04X' % ord(match.group())


class APIError(Exception):
    'An error answered as {"code": ..., "message": ...} with its status'

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def as_dict(self):
        return {'code': self.code, 'message': self.message}


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append(
            (APPLICATION, "Re-guarantee Projects API"))

    @classmethod
    def validate_fields(cls, applications, field_names):
        super().validate_fields(applications, field_names)
        cls.check_reguarantee_user(applications, field_names)

    @classmethod
    def check_reguarantee_user(cls, applications, field_names=None):
        "Check the user of an API key operates exactly one institution"
        if field_names and not {'user', 'application'} & set(field_names):
            return
        for application in applications:
            if (application.application == APPLICATION
                    and application.user
                    and not get_institution(application.user.id)):
                raise APIKeyError(gettext(
                        'reguarantee_api.msg_api_not_operator',
                        user=application.user.rec_name))


class _Rows(list):
    "Chunks of rows as ProjectImport.import_chunks reads them"
    headers = {name: name for name in FIELDS}


def get_institution(user_id):
    "Return the institution the user acts for through the API, or None"
    pool = Pool()
    Institution = pool.get('reguarantee.institution')
    InstitutionUser = pool.get('reguarantee.institution-res.user')
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    with without_check_access():
        user = User(user_id)
        operator = ModelData.get_id(
            'reguarantee_base', 'group_institution_operator')
        if operator not in {g.id for g in user.groups}:
            return
        links = InstitutionUser.search([('user', '=', user_id)])
        institutions = {l.institution.id for l in links}
    if len(institutions) == 1:
        return Institution(institutions.pop())


def user_context():
    "Set the preferences of the API key's user (company, language)"
    pool = Pool()
    User = pool.get('res.user')
    return Transaction().set_context(User.get_preferences(context_only=True))


def check_institution():
    "Return the institution of the current user or raise APIError 403"
    pool = Pool()
    User = pool.get('res.user')
    user_id = Transaction().user
    institution = get_institution(user_id)
    if institution is None:
        with without_check_access():
            user = User(user_id).rec_name
        raise APIError(403, 'NOT_AN_OPERATOR', gettext(
                'reguarantee_api.msg_api_not_operator', user=user))
    return institution


def read_json(request):
    "Return the JSON body of the request or raise APIError"
    if request.mimetype != 'application/json':
        raise APIError(415, 'UNSUPPORTED_MEDIA_TYPE', gettext(
                'reguarantee_api.msg_api_not_json',
                error=request.mimetype or '-'))
    try:
        return json.loads(
            request.get_data(), parse_float=_parse_float,
            parse_constant=_parse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exception:
        if isinstance(exception, RecursionError):
            exception = gettext('reguarantee_api.msg_api_json_too_deep')
        raise APIError(400, 'MALFORMED_JSON', gettext(
                'reguarantee_api.msg_api_not_json', error=exception))


def _check_value(name, value):
    "Return the error of the value of the field name, or None"
    if isinstance(value, str):
        character = control_character(value)
        if character:
            return (name, 'reguarantee_api.msg_api_control_character', {
                    'character': character})
    if value is None:
        return
    elif isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return (name, 'reguarantee_api.msg_api_value_type', {})
    elif isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
        return (name, 'reguarantee_api.msg_api_value_too_long', {
                'max_length': MAX_CELL_LENGTH})
    elif name in AMOUNT_FIELDS:
        if isinstance(value, ExponentNumber) or (
                isinstance(value, str) and not AMOUNT.fullmatch(value)):
            return (name, 'reguarantee_api.msg_api_amount_format', {
                    'value': value})
    elif name in DATE_FIELDS:
        if not isinstance(value, str) or not DATE.fullmatch(value):
            return (name, 'reguarantee_api.msg_api_date_format', {
                    'value': value})
    elif isinstance(value, ExponentNumber):
        return (name, 'reguarantee_api.msg_api_value_type', {})


def _check_row(row):
    """Return the values of the columns of a row of the request and the
    errors of its fields as (column name, message id, parameters)"""
    if not isinstance(row, dict):
        return {}, [(None, 'reguarantee_api.msg_api_row_not_object', {})]
    values, errors = {}, []
    for name, value in row.items():
        if name not in FIELDS:
            errors.append((name, 'reguarantee_api.msg_api_unknown_field', {
                        'field': name}))
        elif error := _check_value(name, value):
            errors.append(error)
        else:
            values[name] = value
    return values, errors


def post_projects(request):
    """Answer the POST of a batch as (status, data, headers), once for an
    Idempotency-Key"""
    pool = Pool()
    APIRequest = pool.get('reguarantee.api.request')
    Institution = pool.get('reguarantee.institution')
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise APIError(400, 'INVALID_IDEMPOTENCY_KEY', gettext(
                'reguarantee_api.msg_api_idempotency_key_invalid'))
    institution = get_institution(Transaction().user)
    if institution:
        # One batch of an institution at a time (the transaction starts
        # again with the lock): the duplicates of a batch are looked for
        # among the projects of the batches before it
        Institution.lock([institution])
    body = read_json(request)
    if key is None:
        return 200, import_projects(body), {}
    status, data, replayed = APIRequest.answer_once(
        key, body, import_projects)
    return status, data, {'Idempotent-Replayed': 'true'} if replayed else {}


def import_projects(body):
    """Import the rows of the request's body as submitted projects of the
    user's institution; return the response with a result per row"""
    pool = Pool()
    ProjectImport = pool.get('reguarantee.project.import', type='wizard')
    institution = check_institution()
    if (not isinstance(body, dict)
            or set(body) - {'projects', 'mode'}
            or not isinstance(body.get('projects'), list)
            or not 0 < len(body['projects']) <= MAX_ROWS
            or body.get('mode', 'valid') not in MODES):
        raise APIError(400, 'INVALID_BODY', gettext(
                'reguarantee_api.msg_api_body', max_rows=MAX_ROWS))
    mode = body.get('mode', 'valid')
    currency = ProjectImport.get_currency()
    digits = currency.digits if currency else 2
    chunks, chunk = _Rows(), []
    for number, row in enumerate(body['projects'], 1):
        values, errors = _check_row(row)
        record, conversion_errors = convert_row(values, digits)
        # one error for a field (or for the row) is enough
        checked = {name for name, _, _ in errors}
        if None not in checked:
            errors += [e for e in conversion_errors if e[0] not in checked]
        chunk.append((number, values, record, errors))
        if len(chunk) >= CHUNK_SIZE:
            chunks.append(chunk)
            chunk = []
    if chunk:
        chunks.append(chunk)
    # A client of the API cannot confirm a warning of the submission (e.g.
    # reguarantee_risk's industry concentration): its staff are notified
    with Transaction().set_context(_skip_warnings=True):
        result = ProjectImport.import_chunks(
            chunks, None, institution, mode)

    numbers = iter(result.projects)
    rows = []
    for number in range(1, len(body['projects']) + 1):
        if number in result.errors:
            rows.append({
                    'row': number,
                    'status': 'rejected',
                    'errors': [{
                            'field': name,
                            'message': str(reason),
                            } for name, reason in result.errors[number]],
                    })
        elif result.projects:
            rows.append({
                    'row': number,
                    'status': 'imported',
                    'number': next(numbers).number,
                    })
        else:
            rows.append({'row': number, 'status': 'valid'})
    return {
        'mode': mode,
        'imported': len(result.projects),
        'rejected': len(result.rejected),
        'results': rows,
        }


def _text(value):
    if value is None:
        return None
    elif isinstance(value, Decimal):
        return str(value)
    return value.isoformat()


def institution_record(model, number, code, message):
    """Return the institution of the user and its record of the model with
    the number, or raise the 404 of code with the message (a message id,
    formatted with the number and the institution)"""
    Model = Pool().get(model)
    institution = check_institution()
    character = control_character(number)
    if character:
        raise APIError(400, 'INVALID_NUMBER', gettext(
                'reguarantee_api.msg_api_control_character',
                character=character))
    records = Model.search([
            ('number', '=', number),
            ('institution', '=', institution.id),
            ], limit=1)
    if not records:
        raise APIError(404, code, gettext(
                message, number=number, institution=institution.rec_name))
    return institution, records[0]


def get_project(number):
    "Return the project of the user's institution with the number"
    pool = Pool()
    Project = pool.get('reguarantee.project')
    institution, project = institution_record(
        'reguarantee.project', number, 'PROJECT_NOT_FOUND',
        'reguarantee_api.msg_api_project_not_found')
    digits = project.currency.digits if project.currency else 2
    exp = Decimal(1).scaleb(-digits)
    state = dict(Project.fields_get(['state'])['state']['selection'])
    return {
        'number': project.number,
        'state': project.state,
        'state_string': state.get(project.state, project.state),
        'institution': institution.code,
        'contract': project.contract.number if project.contract else None,
        'product': project.product.code if project.product else None,
        'borrower_name': project.borrower.name,
        'borrower_kind': project.borrower.kind,
        'id_number': project.borrower.id_number,
        'industry': project.industry,
        'region': project.region,
        'bank': project.bank.rec_name if project.bank else None,
        'loan_contract_number': project.loan_contract_number,
        **{name: _text(
                    getattr(project, name).quantize(exp)
                    if getattr(project, name) is not None else None)
            for name in [
                'loan_amount', 'guarantee_amount', 'reguaranteed_amount']},
        'start_date': _text(project.start_date),
        'end_date': _text(project.end_date),
        }


class APIRequest(ModelSQL):
    __name__ = 'reguarantee.api.request'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    key = fields.Char("Idempotency Key", required=True, strip=False)
    fingerprint = fields.Char(
        "Fingerprint", required=True,
        help="The SHA-256 of the request's body, as canonical JSON.")
    status = fields.Integer("Status", required=True)
    response = fields.Text("Response", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_key_unique', Unique(t, t.user, t.key),
                'reguarantee_api.msg_api_request_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.create_date, Index.Range())))

    @classmethod
    def retention(cls):
        "Return how long the answers are kept, as a timedelta"
        return dt.timedelta(days=config.getfloat(
                'reguarantee', 'idempotency_days', default=7))

    @classmethod
    def clean(cls):
        "Delete the answers older than the retention (a scheduled task)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(
                where=table.create_date
                < dt.datetime.now() - cls.retention()))

    @classmethod
    def fingerprint_of(cls, body):
        "Return the fingerprint of the body of a request"
        text = json.dumps(
            body, sort_keys=True, ensure_ascii=False, separators=(',', ':'),
            default=str)
        return hashlib.sha256(text.encode('utf-8')).hexdigest()

    @classmethod
    def answer_once(cls, key, body, function, status=200):
        """Return (status, data, replayed): the answer of function(body),
        with status, or the answer kept for the key when the user sent it
        before

        The answer is kept in the transaction of the work it answers: both
        are committed, or neither is."""
        user = Transaction().user
        fingerprint = cls.fingerprint_of(body)
        with without_check_access():
            requests = cls.search([
                    ('user', '=', user),
                    ('key', '=', key),
                    ('create_date', '>=',
                        dt.datetime.now() - cls.retention()),
                    ], limit=1)
        if requests:
            request, = requests
            if request.fingerprint != fingerprint:
                raise APIError(422, 'IDEMPOTENCY_KEY_REUSED', gettext(
                        'reguarantee_api.msg_api_idempotency_key_reused',
                        key=key, date=request.create_date.replace(
                            microsecond=0).isoformat(sep=' ')))
            return request.status, json.loads(request.response), True
        try:
            data = function(body)
        except APIError as error:
            status, data = error.status, error.as_dict()
        with without_check_access():
            # a key older than the retention is given again
            cls.delete(cls.search([('user', '=', user), ('key', '=', key)]))
            try:
                cls.create([{
                            'user': user,
                            'key': key,
                            'fingerprint': fingerprint,
                            'status': status,
                            'response': json.dumps(data, ensure_ascii=False),
                            }])
            except (SQLConstraintError, backend.DatabaseIntegrityError) as e:
                # A request with the key was answered at the same time by
                # another process: start again to answer as it did
                raise backend.DatabaseOperationalError(str(e)) from e
        return status, data, False
