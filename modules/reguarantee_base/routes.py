# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The routes of the REST API (api.py, docs/api/openapi.yaml)"""
import json

from trytond.protocols.wrappers import (
    Response, set_max_request_size, user_application, with_pool,
    with_transaction)
from trytond.wsgi import app

from .api import (
    APPLICATION, MAX_REQUEST_SIZE, APIError, get_project, import_projects,
    read_json, user_context)

api_key = user_application(APPLICATION)
PREFIX = '/<database_name>/reguarantee/api/v1'


def json_response(data, status=200):
    return Response(
        json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8')


def answer(function, *args):
    "Answer what function returns, or its APIError"
    try:
        with user_context():
            return json_response(function(*args))
    except APIError as error:
        return json_response(error.as_dict(), error.status)


@app.route(PREFIX + '/projects', methods=['POST'])
@set_max_request_size(MAX_REQUEST_SIZE)
@with_pool
@with_transaction(readonly=False)
@api_key
def projects_post(request, pool):
    return answer(lambda: import_projects(read_json(request)))


@app.route(PREFIX + '/projects/<path:number>', methods=['GET'])
@with_pool
@with_transaction(readonly=True)
@api_key
def project_get(request, pool, number):
    return answer(get_project, number)
