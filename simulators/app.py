# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""What the simulators share: JSON requests and responses, bearer tokens,
the injected faults and the /_sim/ endpoints the tests use"""
import hashlib
import hmac
import json
import threading

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from simulators.faults import FaultConfigError, Faults


class APIError(Exception):
    'An error answered as {"code": ..., "message": ...} with its status'

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def json_response(data, status=200, headers=None):
    return Response(
        json.dumps(data, ensure_ascii=False, sort_keys=True),
        status=status, headers=headers,
        content_type='application/json; charset=utf-8')


def error_response(status, code, message, headers=None):
    return json_response(
        {'code': code, 'message': message}, status=status, headers=headers)


def read_json(request):
    "Return the request's JSON body, or raise APIError 400"
    if request.mimetype != 'application/json':
        raise APIError(
            415, 'UNSUPPORTED_MEDIA_TYPE',
            "the body must be application/json")
    try:
        return json.loads(request.get_data(as_text=False) or b'null')
    except (ValueError, UnicodeDecodeError) as exception:
        raise APIError(400, 'MALFORMED_JSON', str(exception))


def read_keyed_json(request):
    """Return the Idempotency-Key of the request (1 to 100 characters, or
    raise APIError 400), its JSON body and the body's digest, which tells a
    request sent again from another one under the same key"""
    key = request.headers.get('Idempotency-Key', '').strip()
    if not key or len(key) > 100:
        raise APIError(
            400, 'IDEMPOTENCY_KEY_REQUIRED',
            "an Idempotency-Key header of 1 to 100 characters is "
            "required")
    body = read_json(request)
    digest = hashlib.sha256(json.dumps(
            body, sort_keys=True).encode()).hexdigest()
    return key, body, digest


class SimulatorApp:
    """Base WSGI application of a simulator

    Subclasses list their routes in `rules` (werkzeug Rule with an endpoint
    naming a method `on_<endpoint>(request, **values)` returning a
    Response) and keep their data under self.lock."""
    name = 'simulator'
    rules = []

    def __init__(self, tokens=('secret',), faults=None):
        self.tokens = list(tokens)
        self.faults = Faults(faults)
        self.lock = threading.RLock()
        self.url_map = Map([r.empty() for r in self.rules] + [
                Rule('/_sim/health', endpoint='sim_health',
                    methods=['GET']),
                Rule('/_sim/state', endpoint='sim_state', methods=['GET']),
                Rule('/_sim/faults', endpoint='sim_faults',
                    methods=['GET', 'PUT']),
                Rule('/_sim/options', endpoint='sim_options',
                    methods=['PUT']),
                Rule('/_sim/reset', endpoint='sim_reset', methods=['POST']),
                ])
        self.requests = []
        self.reset()

    def reset(self):
        "Forget every datum (subclasses extend it)"
        with self.lock:
            self.requests.clear()

    def configure(self, options):
        "Change the simulator's options (subclasses implement it)"
        if options:
            raise APIError(
                400, 'BAD_OPTIONS',
                f"unknown options: {', '.join(sorted(options))}")

    def state(self):
        "Return what the tests may check (subclasses extend it)"
        with self.lock:
            return {
                'requests': list(self.requests),
                'faults': self.faults.state(),
                }

    def check_token(self, request):
        header = request.headers.get('Authorization', '')
        scheme, _, token = header.partition(' ')
        if scheme.lower() != 'bearer' or not any(
                hmac.compare_digest(token.encode(), t.encode())
                for t in self.tokens):
            raise APIError(
                401, 'UNAUTHORIZED', "a valid bearer token is required",
                headers={'WWW-Authenticate': 'Bearer'})

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request):
        if request.path.startswith('/_sim/'):
            return self.dispatch(request)
        method, path = request.method, request.path
        faults = self.faults.draw(method, path)
        for fault in faults:
            if fault.when == 'before':
                response = self.inject(fault, None)
                if response is not None:
                    self.log(request, response.status_code, fault.mode)
                    return response
        response = self.dispatch(request)
        for fault in faults:
            if fault.when == 'after':
                injected = self.inject(fault, response)
                if injected is not None and injected is not response:
                    self.log(request, injected.status_code, fault.mode)
                    return injected
        self.log(request, response.status_code, None)
        return response

    def inject(self, fault, response):
        """Apply the fault; return the response to send instead, or None to
        go on (response is None before processing)"""
        if fault.mode == 'latency':
            self.faults.sleep(fault)
            return None
        if fault.mode in {'429', '500', '503'}:
            headers = {}
            if fault.retry_after is not None:
                headers['Retry-After'] = str(fault.retry_after)
            return error_response(
                int(fault.mode), 'INJECTED_' + fault.mode,
                "failure injected by the simulator", headers=headers)
        if fault.mode == 'timeout':
            self.faults.sleep(fault)
            if response is None:
                return error_response(
                    504, 'INJECTED_TIMEOUT',
                    "failure injected by the simulator")
            return response
        if fault.mode == 'malformed':
            status = response.status_code if response is not None else 200
            return Response(
                '{"status": "ok", "results": [{"proj', status=status,
                content_type='application/json')

    def log(self, request, status, fault):
        with self.lock:
            self.requests.append({
                    'method': request.method,
                    'path': request.path,
                    'status': status,
                    'fault': fault,
                    'idempotency_key': request.headers.get(
                        'Idempotency-Key'),
                    })

    def dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            return getattr(self, 'on_' + endpoint)(request, **values)
        except APIError as error:
            return error_response(
                error.status, error.code, error.message,
                headers=error.headers)
        except NotFound:
            return error_response(404, 'NOT_FOUND', "no such resource")
        except HTTPException as exception:
            return error_response(
                exception.code, exception.name.upper().replace(' ', '_'),
                exception.description)

    def on_sim_health(self, request):
        return json_response({'name': self.name, 'status': 'ok'})

    def on_sim_state(self, request):
        return json_response(self.state())

    def on_sim_faults(self, request):
        if request.method == 'PUT':
            try:
                self.faults.configure(read_json(request))
            except FaultConfigError as exception:
                raise APIError(400, 'BAD_FAULTS', str(exception))
        return json_response(self.faults.state())

    def on_sim_options(self, request):
        options = read_json(request)
        if not isinstance(options, dict):
            raise APIError(400, 'BAD_OPTIONS', "options must be an object")
        self.configure(options)
        return json_response({'status': 'ok'})

    def on_sim_reset(self, request):
        self.reset()
        self.faults.configure({})
        return json_response({'status': 'reset'})
