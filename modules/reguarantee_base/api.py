# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The REST API of the institutions' own guarantee systems (routes.py,
docs/api/openapi.yaml)

An API key is a user application 'reguarantee' of a user who operates
exactly one institution: the API acts for that institution, as that user,
with its access rights.  The rows of a batch go through the project
import's own validation and creation (ProjectImport.import_chunks)."""
import json
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import APIKeyError
from .project_import_file import (
    CHUNK_SIZE, COLUMNS, MAX_CELL_LENGTH, convert_row)

#: The user application of the API keys
APPLICATION = 'reguarantee'
#: Most rows of one request
MAX_ROWS = 10000
#: Largest body of a request, in bytes
MAX_REQUEST_SIZE = 16 * 1024 * 1024
#: A tuple: a mode of the request may be unhashable
MODES = ('valid', 'all')
FIELDS = [c.name for c in COLUMNS]


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
                        'reguarantee_base.msg_api_not_operator',
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
                'reguarantee_base.msg_api_not_operator', user=user))
    return institution


def read_json(request):
    "Return the JSON body of the request or raise APIError"
    if request.mimetype != 'application/json':
        raise APIError(415, 'UNSUPPORTED_MEDIA_TYPE', gettext(
                'reguarantee_base.msg_api_not_json',
                error=request.mimetype or '-'))
    try:
        return json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exception:
        raise APIError(400, 'MALFORMED_JSON', gettext(
                'reguarantee_base.msg_api_not_json', error=exception))


def _check_row(row):
    """Return the values of the columns of a row of the request and the
    errors of its fields as (column name, message id, parameters)"""
    if not isinstance(row, dict):
        return {}, [(None, 'msg_api_row_not_object', {})]
    values, errors = {}, []
    for name, value in row.items():
        if name not in FIELDS:
            errors.append((name, 'msg_api_unknown_field', {'field': name}))
        elif value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (str, int, float))):
            errors.append((name, 'msg_api_value_type', {}))
        elif isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
            errors.append((name, 'msg_api_value_too_long', {
                        'max_length': MAX_CELL_LENGTH}))
        else:
            values[name] = value
    return values, errors


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
                'reguarantee_base.msg_api_body', max_rows=MAX_ROWS))
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
    result = ProjectImport.import_chunks(chunks, None, institution, mode)

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


def get_project(number):
    "Return the project of the user's institution with the number"
    pool = Pool()
    Project = pool.get('reguarantee.project')
    institution = check_institution()
    projects = Project.search([
            ('number', '=', number),
            ('institution', '=', institution.id),
            ], limit=1)
    if not projects:
        raise APIError(404, 'PROJECT_NOT_FOUND', gettext(
                'reguarantee_base.msg_api_project_not_found',
                number=number, institution=institution.rec_name))
    project, = projects
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
