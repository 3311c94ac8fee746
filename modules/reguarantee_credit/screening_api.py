# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Letter screening through the REST API of reguarantee_api
(docs/api/openapi.yaml): an institution's system sends a batch of letter
applications and reads their results later

    POST /screenings          the applications → 202, the screening's number
    GET  /screenings/<number> its state and, once done, each result

The routes are those of the API (reguarantee_api.routes.route: the API key
of an institution operator, JSON errors, the size limit, Idempotency-Key);
they are registered when reguarantee_api is installed (__init__.py) and
answer 404 in a database where it or this module is not activated.  A
batch is screened as an imported file is (Screening.create_screening, then
the screen button); its values are read as strictly as the projects' rows,
and a batch with an error is refused whole (422), naming its rows and
fields."""
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.modules.reguarantee_api.api import (
    AMOUNT, IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY, MAX_ROWS, APIError,
    ExponentNumber, check_institution, control_character, institution_record,
    read_json)
from trytond.modules.reguarantee_api.routes import answer, route
from trytond.modules.reguarantee_base.project_import_file import (
    KINDS, MAX_CELL_LENGTH, normalize)
from trytond.pool import Pool

from .exceptions import ScreeningFileError
from .screening import COLUMNS

#: Most applications of one request
MAX_APPLICATIONS = MAX_ROWS
#: The models the routes need: both modules activated
MODELS = ('reguarantee.letter.screening', 'reguarantee.api.request')
REQUIRED = {'borrower_name', 'id_number', 'loan_amount', 'guarantee_amount'}
AMOUNT_FIELDS = {'loan_amount', 'guarantee_amount'}
DATE_FIELDS = {'start_date', 'end_date'}
#: The dates of an application: ISO 8601, without time
DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}', re.ASCII)
#: The most errors a refusal names
MAX_ERRORS = 20


class _Invalid(Exception):
    "The message of an invalid value"


def check_value(name, value, digits=2):
    """Return the value of the field name of an application as the text an
    import file would hold (None when empty), or raise _Invalid"""
    def invalid(msg_id, **params):
        return _Invalid(gettext(msg_id, **params))

    if value is None:
        text = None
    elif isinstance(value, ExponentNumber):
        raise invalid(
            'reguarantee_api.msg_api_amount_format' if name in AMOUNT_FIELDS
            else 'reguarantee_api.msg_api_value_type', value=value)
    elif isinstance(value, bool) or not isinstance(
            value, (str, int, Decimal)):
        raise invalid('reguarantee_api.msg_api_value_type')
    elif isinstance(value, str):
        character = control_character(value)
        if character:
            raise invalid(
                'reguarantee_api.msg_api_control_character',
                character=character)
        if len(value) > MAX_CELL_LENGTH:
            raise invalid(
                'reguarantee_api.msg_api_value_too_long',
                max_length=MAX_CELL_LENGTH)
        text = value.strip() or None
    else:
        text = str(value)
    if text is None:
        if name in REQUIRED:
            raise invalid('reguarantee_credit.msg_api_screening_required')
        return None
    if name in AMOUNT_FIELDS:
        if isinstance(value, str) and not AMOUNT.fullmatch(value):
            raise invalid(
                'reguarantee_api.msg_api_amount_format', value=value)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise invalid(
                'reguarantee_api.msg_api_amount_format', value=value)
        if amount <= 0:
            raise invalid(
                'reguarantee_credit.msg_api_screening_amount_positive',
                value=text)
        if amount.as_tuple().exponent < -digits:
            raise invalid(
                'reguarantee_credit.msg_api_screening_amount_digits',
                value=text, digits=digits)
    elif name in DATE_FIELDS:
        if not isinstance(value, str) or not DATE.fullmatch(value):
            raise invalid(
                'reguarantee_credit.msg_api_screening_date', value=value)
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise invalid(
                'reguarantee_credit.msg_api_screening_date', value=value)
    elif name == 'borrower_kind':
        kind = KINDS.get(text) or KINDS.get(normalize(text))
        if not kind:
            raise invalid(
                'reguarantee_base.msg_project_import_borrower_kind',
                value=text)
        text = kind
    return text


def check_application(application, digits=2):
    """Return the row (the values of COLUMNS) of an application of the body
    and its errors as (field or None, message)"""
    if not isinstance(application, dict):
        return None, [(None, gettext(
                    'reguarantee_api.msg_api_row_not_object'))]
    errors = [
        (name, gettext('reguarantee_api.msg_api_unknown_field', field=name))
        for name in application if name not in COLUMNS]
    row = []
    for name in COLUMNS:
        try:
            row.append(check_value(name, application.get(name), digits))
        except _Invalid as error:
            errors.append((name, str(error)))
            row.append(None)
    return row, errors


def refusal(errors):
    "Return the APIError 422 naming the errors (row, field, message)"
    texts = []
    for row, field, message in errors[:MAX_ERRORS]:
        if field is None:
            texts.append(gettext(
                    'reguarantee_credit.msg_api_screening_row_error',
                    row=row, error=message))
        else:
            texts.append(gettext(
                    'reguarantee_credit.msg_api_screening_field_error',
                    row=row, field=field, error=message))
    if len(errors) > MAX_ERRORS:
        texts.append(gettext(
                'reguarantee_credit.msg_api_screening_more_errors',
                count=len(errors) - MAX_ERRORS))
    return APIError(422, 'INVALID_APPLICATIONS', gettext(
            'reguarantee_credit.msg_api_screening_invalid',
            errors=' '.join(texts)))


def post_screenings(request):
    """Answer the POST of a batch of applications as (status, data,
    headers), once for an Idempotency-Key"""
    pool = Pool()
    APIRequest = pool.get('reguarantee.api.request')
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise APIError(400, 'INVALID_IDEMPOTENCY_KEY', gettext(
                'reguarantee_api.msg_api_idempotency_key_invalid'))
    body = read_json(request)
    if key is None:
        status, data, replayed = 202, screen_applications(body), False
    else:
        # the path is in the fingerprint: the key of a batch of projects
        # is not replayed to a batch of applications
        status, data, replayed = APIRequest.answer_once(
            key, {'screenings': body},
            lambda body: screen_applications(body['screenings']),
            status=202)
    headers = {}
    if status == 202:
        headers['Location'] = f"{request.base_url}/{data['number']}"
    if replayed:
        headers['Idempotent-Replayed'] = 'true'
    return status, data, headers


def screen_applications(body):
    """Create the screening of the applications of the body for the key's
    institution and start it; return its summary"""
    pool = Pool()
    Screening = pool.get('reguarantee.letter.screening')
    institution = check_institution()
    applications = body.get('applications') if isinstance(
        body, dict) else None
    if (not isinstance(applications, list) or set(body) - {'applications'}
            or not 0 < len(applications) <= MAX_APPLICATIONS):
        raise APIError(400, 'INVALID_BODY', gettext(
                'reguarantee_credit.msg_api_screening_body',
                max_rows=MAX_APPLICATIONS))
    currency = institution.company.currency
    digits = currency.digits if currency else 2
    rows, errors = [], []
    for number, application in enumerate(applications, 1):
        row, row_errors = check_application(application, digits)
        rows.append(row)
        errors.extend((number, f, m) for f, m in row_errors)
    if errors:
        raise refusal(errors)
    try:
        screening = Screening.create_screening(institution, rows)
    except ScreeningFileError as exception:
        raise APIError(422, 'INVALID_APPLICATIONS', exception.message)
    Screening.screen([screening])
    return screening_data(screening)


def screening_data(screening, results=False):
    "Return the screening's summary, with the result of each line"
    pool = Pool()
    Line = pool.get('reguarantee.letter.screening.line')
    Screening = pool.get('reguarantee.letter.screening')
    done = screening.state == 'done'
    states = dict(Screening.fields_get(['state'])['state']['selection'])
    data = {
        'number': screening.number,
        'state': screening.state,
        'state_string': states.get(screening.state, screening.state),
        'institution': screening.institution.code,
        'date': screening.date.isoformat(),
        'applications': screening.line_count,
        'passed': screening.pass_count if done else None,
        'referred': screening.refer_count if done else None,
        'declined': screening.decline_count if done else None,
        }
    if results:
        strings = dict(Line.fields_get(['result'])['result']['selection'])
        data['results'] = [{
                'row': line.row,
                'borrower_name': line.borrower_name,
                'id_number': line.id_number,
                'loan_contract_number': line.loan_contract_number,
                'result': line.result if done else None,
                'result_string': (
                    strings.get(line.result) or None) if done else None,
                'reasons': (
                    (line.reasons or '').splitlines() if done else []),
                } for line in Line.search([
                    ('screening', '=', screening.id),
                    ], order=[('row', 'ASC'), ('id', 'ASC')])]
    return data


def get_screening(number):
    "Return the screening of the user's institution with the number"
    _, screening = institution_record(
        'reguarantee.letter.screening', number, 'SCREENING_NOT_FOUND',
        'reguarantee_credit.msg_api_screening_not_found')
    return screening_data(screening, results=True)


@route('/screenings', ['POST'], readonly=False, one_per_key=True,
    models=MODELS)
def screenings_post(request, pool):
    return answer(request, post_screenings, request)


@route('/screenings/<path:number>', ['GET', 'HEAD'], models=MODELS)
def screening_get(request, pool, number):
    return answer(request, lambda: (200, get_screening(number), {}))
