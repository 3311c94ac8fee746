# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The customer management system (docs/interfaces/cms.md)

Customers are known by their USCC: look one up, search, and create or
update one with a PUT (idempotent: the same PUT twice changes nothing)."""
import datetime as dt
import itertools
import re

from werkzeug.routing import Rule

from simulators.app import APIError, SimulatorApp, json_response, read_json

USCC_RE = re.compile(r'^[0-9A-HJ-NPQRTUWXY]{18}$')
FIELDS = {
    'name': str,
    'legalRepresentative': str,
    'registeredCapital': str,
    'netAssets': str,
    'region': str,
    'licenseNumber': str,
    'licenseExpiry': str,
    'status': str,
    'sourceSystem': str,
    'sourceId': str,
    }
STATUSES = {'active', 'suspended', 'deregistered'}


def _now():
    return dt.datetime.now(dt.timezone.utc).isoformat()


class CMSApp(SimulatorApp):
    """Options:
    - customers: customers already known, as PUT bodies with their uscc"""
    name = 'cms'
    rules = [
        Rule('/api/v1/customers', endpoint='search', methods=['GET']),
        Rule('/api/v1/customers/<uscc>', endpoint='get_customer',
            methods=['GET']),
        Rule('/api/v1/customers/<uscc>', endpoint='put_customer',
            methods=['PUT']),
        ]

    def __init__(self, tokens=('cms-secret',), faults=None, customers=()):
        super().__init__(tokens=tokens, faults=faults)
        self.configure({'customers': customers})

    def reset(self):
        with self.lock:
            super().reset()
            self.customers = {}
            self.writes = []
            self.sequence = itertools.count(1)

    def configure(self, options):
        options = dict(options)
        with self.lock:
            for customer in options.pop('customers', ()):
                customer = dict(customer)
                uscc = self._check_uscc(customer.pop('uscc', None))
                self._upsert(uscc, self._check_body(customer), None)
        super().configure(options)

    def state(self):
        state = super().state()
        with self.lock:
            state['customers'] = {
                u: dict(c) for u, c in self.customers.items()}
            state['writes'] = list(self.writes)
        return state

    def _check_uscc(self, uscc):
        if not isinstance(uscc, str) or not USCC_RE.match(uscc):
            raise APIError(
                400, 'INVALID_USCC', f"{uscc!r} is not a USCC (18 "
                "characters of 0-9 and A-Y without I, O, S, V, Z)")
        return uscc

    def _check_body(self, body):
        if not isinstance(body, dict):
            raise APIError(400, 'INVALID_CUSTOMER', "the body is an object")
        unknown = set(body) - set(FIELDS) - {'uscc'}
        if unknown:
            raise APIError(
                400, 'INVALID_CUSTOMER',
                f"unknown fields: {', '.join(sorted(unknown))}")
        for name, value in body.items():
            if value is not None and not isinstance(value, FIELDS.get(
                        name, str)):
                raise APIError(
                    400, 'INVALID_CUSTOMER', f"{name} must be a string")
        if not (body.get('name') or '').strip():
            raise APIError(400, 'INVALID_CUSTOMER', "name is required")
        if body.get('status', 'active') not in STATUSES:
            raise APIError(
                400, 'INVALID_CUSTOMER',
                f"status must be one of {', '.join(sorted(STATUSES))}")
        return {k: v for k, v in body.items() if k != 'uscc'}

    def on_search(self, request):
        self.check_token(request)
        uscc = request.args.get('uscc')
        name = request.args.get('name')
        if not uscc and not name:
            raise APIError(
                400, 'SEARCH_CRITERIA_REQUIRED', "give uscc or name")
        with self.lock:
            customers = [
                dict(c) for u, c in sorted(self.customers.items())
                if (not uscc or u == uscc)
                and (not name or name in c['name'])]
        return json_response({'customers': customers})

    def on_get_customer(self, request, uscc):
        self.check_token(request)
        self._check_uscc(uscc)
        with self.lock:
            customer = self.customers.get(uscc)
            if customer is None:
                raise APIError(
                    404, 'CUSTOMER_NOT_FOUND', f"no customer {uscc}")
            return json_response(dict(customer))

    def on_put_customer(self, request, uscc):
        self.check_token(request)
        self._check_uscc(uscc)
        body = read_json(request)
        if isinstance(body, dict) and body.get('uscc', uscc) != uscc:
            raise APIError(
                400, 'INVALID_CUSTOMER', "uscc differs from the URL's")
        values = self._check_body(body)
        match = request.headers.get('If-Match')
        with self.lock:
            current = self.customers.get(uscc)
            if match is not None and (
                    current is None or match.strip('"') != str(
                        current['version'])):
                raise APIError(
                    412, 'VERSION_MISMATCH',
                    f"the customer is at version "
                    f"{current['version'] if current else None}")
            created, customer = self._upsert(
                uscc, values, request.headers.get('Idempotency-Key'))
            return json_response(
                dict(customer), status=201 if created else 200,
                headers={'ETag': '"%s"' % customer['version']})

    def _upsert(self, uscc, values, key):
        "Create or update the customer; return whether created and it"
        current = self.customers.get(uscc)
        if current is None:
            now = _now()
            current = {
                'customerId': 'C%06d' % next(self.sequence),
                'uscc': uscc,
                'status': 'active',
                'version': 1,
                'createdAt': now,
                'updatedAt': now,
                }
            current.update(values)
            self.customers[uscc] = current
            self.writes.append({
                    'uscc': uscc, 'change': 'created',
                    'fields': sorted(values), 'idempotencyKey': key})
            return True, current
        changed = sorted(
            k for k, v in values.items() if current.get(k) != v)
        if changed:
            current.update(values)
            current['version'] += 1
            current['updatedAt'] = _now()
            self.writes.append({
                    'uscc': uscc, 'change': 'updated', 'fields': changed,
                    'idempotencyKey': key})
        return False, current
