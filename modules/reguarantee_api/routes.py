# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The routes of the REST API (api.py, docs/api/openapi.yaml)

Every answer of the API is JSON, its errors too ({"code", "message"}):
json_errors() answers what trytond's decorators would answer as HTML
(werkzeug's errors, trytond's "Unable to get RPC method" of a failure with
a JSON body), around with_pool and around with_transaction, so that the
transaction of a failure is rolled back first.

Every route is registered with route(), which gives it the same stack:
other modules add theirs with it (e.g. reguarantee_credit's letter
screenings), naming the models they need so that a database where their
module is not activated answers 404 like any unknown path."""
import hashlib
import json
import logging
import threading
from contextlib import contextmanager
from functools import wraps
from http import HTTPStatus

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    Response, exceptions, set_max_request_size, user_application, with_pool,
    with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .api import (
    APPLICATION, MAX_REQUEST_SIZE, APIError, get_project, post_projects,
    user_context)

logger = logging.getLogger(__name__)
api_key = user_application(APPLICATION)
PREFIX = '/<database_name>/reguarantee/api/v1'
#: The codes and messages of the HTTP errors of the API, by status
HTTP_ERRORS = {
    400: ('BAD_REQUEST', 'msg_api_bad_request'),
    401: ('UNAUTHORIZED', 'msg_api_unauthorized'),
    403: ('FORBIDDEN', 'msg_api_forbidden'),
    404: ('NOT_FOUND', 'msg_api_not_found'),
    405: ('METHOD_NOT_ALLOWED', 'msg_api_method_not_allowed'),
    409: ('CONCURRENT_REQUEST', 'msg_api_concurrent_request'),
    413: ('REQUEST_TOO_LARGE', 'msg_api_too_large'),
    429: ('TOO_MANY_REQUESTS', 'msg_api_too_many_requests'),
    500: ('INTERNAL_ERROR', 'msg_api_internal_error'),
    }
#: The API keys (database, hash) of the requests being answered
_busy_keys = set()
_busy_lock = threading.Lock()


def json_response(data, status=200, headers=None):
    return Response(
        json.dumps(data, ensure_ascii=False), status=status,
        headers=headers,
        content_type='application/json; charset=utf-8')


def translate(request, msg_id, **params):
    """Return the message in the language of the request's API key, in a
    transaction of its own: the errors are answered outside any"""
    database_name = (request.view_args or {}).get('database_name')
    if database_name in Pool.database_list():
        language = getattr(request, 'reguarantee_language', None)
        try:
            with Transaction().start(
                    database_name, 0, readonly=True,
                    context={'language': language} if language else None):
                return gettext('reguarantee_api.' + msg_id, **params)
        except Exception:
            logger.debug("could not translate %s", msg_id, exc_info=True)


def error_response(request, status, message=None, headers=None, **params):
    "Return the JSON answer of the HTTP error status"
    code, msg_id = HTTP_ERRORS.get(status, (HTTPStatus(status).name, None))
    if msg_id:
        message = translate(request, msg_id, **params) or message
    return json_response({
            'code': code,
            'message': message or HTTPStatus(status).phrase,
            }, status, headers)


def http_error(request, exception):
    "Return the JSON answer of werkzeug's HTTP exception"
    original = exception.__context__
    if isinstance(original, UserError):
        # user_application's JSONBadRequest of a UserError
        status, code = (
            (403, 'ACCESS_DENIED') if isinstance(original, AccessError)
            else (400, 'REFUSED'))
        return json_response({
                'code': code,
                'message': original.message,
                }, status)
    status = exception.code or 500
    if status == 401:
        headers = [('WWW-Authenticate', 'Bearer')]
    else:
        headers = [
            (k, v) for k, v in exception.get_headers()
            if k.lower() in {'allow', 'retry-after'}]
    return error_response(
        request, status, exception.description, headers,
        max_size=MAX_REQUEST_SIZE)


def json_errors(func):
    "Answer the errors of func as JSON"
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except exceptions.HTTPException as exception:
            return http_error(request, exception)
        except backend.DatabaseOperationalError:
            # a lock held by another request, still after trytond's retries
            logger.debug("REST API busy on %s", request, exc_info=True)
            return error_response(
                request, 409, headers={'Retry-After': '1'})
        except Exception:
            logger.exception("REST API failure on %s", request)
            return error_response(request, 500)
    return wrapper


def allow(*methods):
    "Answer 405 to the requests of other methods"
    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error_response(
                    request, 405, headers={'Allow': ', '.join(methods)},
                    method=request.method, allowed=', '.join(methods))
            return func(request, *args, **kwargs)
        return wrapper
    return decorator


@contextmanager
def _one_request(request, database_name):
    """Answer a request of an API key only when the key has no other in this
    process: the answer of one is never computed from what the other has
    not yet committed (SQLite reads outside of its write lock)"""
    authorization = request.headers.get('Authorization')
    if not authorization:
        # answered 401
        yield False
        return
    key = (database_name, hashlib.sha256(authorization.encode()).digest())
    with _busy_lock:
        busy = key in _busy_keys
        _busy_keys.add(key)
    try:
        yield busy
    finally:
        if not busy:
            with _busy_lock:
                _busy_keys.discard(key)


def one_request_per_key(func):
    "Answer 409 to a request of an API key while another is being answered"
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        with _one_request(request, pool.database_name) as busy:
            if busy:
                return error_response(
                    request, 409, headers={'Retry-After': '1'})
            return func(request, pool, *args, **kwargs)
    return wrapper


def answer(request, function, *args):
    "Answer (status, data, headers) that function returns, or its APIError"
    try:
        with user_context():
            request.reguarantee_language = Transaction().language
            status, data, headers = function(*args)
            return json_response(data, status, headers)
    except APIError as error:
        return json_response(error.as_dict(), error.status)


def requires(*models):
    "Answer 404 when the database lacks one of the models (its module)"
    def decorator(func):
        @wraps(func)
        def wrapper(request, pool, *args, **kwargs):
            for name in models:
                try:
                    pool.get(name)
                except KeyError:
                    return error_response(request, 404)
            return func(request, pool, *args, **kwargs)
        return wrapper
    return decorator


def route(path, methods, readonly=True, one_per_key=False, models=()):
    """Register func(request, pool, **arguments of path) as the answer of
    the API to path (under PREFIX) for the methods, in a transaction as the
    API key's user; one_per_key: one request of a key at a time (409);
    models: the models the route needs (404 without them)"""
    def decorator(func):
        func = api_key(func)
        func = with_transaction(readonly=readonly)(func)
        if one_per_key:
            func = one_request_per_key(func)
        if models:
            func = requires(*models)(func)
        func = json_errors(func)
        func = with_pool(func)
        func = allow(*methods)(func)
        func = json_errors(func)
        func = set_max_request_size(MAX_REQUEST_SIZE)(func)
        return app.route(PREFIX + path)(func)
    return decorator


@route('/projects', ['POST'], readonly=False, one_per_key=True)
def projects_post(request, pool):
    return answer(request, post_projects, request)


@route('/projects/<path:number>', ['GET', 'HEAD'])
def project_get(request, pool, number):
    return answer(
        request, lambda: (200, get_project(number), {}))


@app.route(PREFIX + '/<path:path>')
@set_max_request_size(MAX_REQUEST_SIZE)
@json_errors
@with_pool
def not_found(request, pool, path):
    return error_response(request, 404)
