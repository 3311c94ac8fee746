# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The customer management system (CMS) over HTTP (docs/interfaces/cms.md)

Each call returns an Answer: what to log of the exchange and how it ended,
never raising for what the network or the CMS may do."""
import json
import time
from urllib.parse import quote, urljoin

import requests

#: Statuses after which the same request will fail again
FINAL_STATUSES = {400, 401, 403, 409, 412, 413, 415, 422}


class Answer:
    """One exchange with the CMS

    outcome is 'success' (data holds the decoded JSON object, None for a
    404 of a look-up), 'transient' (retry later: network error, timeout,
    5xx, unreadable body) or 'final' (the same request would fail again).
    retry_after is the delay asked by a 503, in seconds."""
    __slots__ = (
        'method', 'url', 'idempotency_key', 'request_body', 'status_code',
        'response_body', 'error', 'duration', 'outcome', 'data',
        'retry_after')

    def __init__(self, method, url, request_body=None, idempotency_key=None):
        self.method, self.url = method, url
        self.request_body = request_body
        self.idempotency_key = idempotency_key
        self.status_code = self.response_body = self.error = None
        self.duration = self.data = self.retry_after = None
        self.outcome = None

    def log_values(self):
        "Return the values of the exchange for the synchronisation log"
        return {
            'method': self.method,
            'url': self.url,
            'idempotency_key': self.idempotency_key,
            'request_body': self.request_body,
            'status_code': self.status_code,
            'response_body': self.response_body,
            'error': self.error,
            'duration': self.duration,
            }


class CMSClient:

    def __init__(self, url, token, timeout):
        self.url = url if url.endswith('/') else url + '/'
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers['Authorization'] = f'Bearer {token}'
        self.session.headers['Accept'] = 'application/json'

    def customer_url(self, uscc):
        return urljoin(self.url, 'api/v1/customers/' + quote(uscc, safe=''))

    def get_customer(self, uscc):
        "Look the customer up by USCC; a 404 is a success without data"
        return self._request(
            Answer('GET', self.customer_url(uscc)), not_found=True)

    def put_customer(self, uscc, values, key):
        "Create or update the customer (idempotent) with the values"
        body = json.dumps(values, ensure_ascii=False, sort_keys=True)
        return self._request(Answer(
                'PUT', self.customer_url(uscc), request_body=body,
                idempotency_key=key))

    def _request(self, answer, not_found=False):
        headers = {}
        if answer.request_body is not None:
            headers['Content-Type'] = 'application/json'
        if answer.idempotency_key:
            headers['Idempotency-Key'] = answer.idempotency_key
        start = time.monotonic()
        try:
            response = self.session.request(
                answer.method, answer.url, headers=headers,
                data=(answer.request_body.encode()
                    if answer.request_body is not None else None),
                timeout=self.timeout)
        except requests.RequestException as exception:
            answer.error = f'{exception.__class__.__name__}: {exception}'
            answer.outcome = 'transient'
        else:
            answer.status_code = response.status_code
            answer.response_body = response.text
            answer.outcome = self._outcome(response, answer, not_found)
        answer.duration = round((time.monotonic() - start) * 1000, 1)
        return answer

    def _outcome(self, response, answer, not_found):
        try:
            data = json.loads(response.text)
        except ValueError as exception:
            data = None
            answer.error = f'unreadable answer: {exception}'
        if not_found and response.status_code == 404:
            answer.error = None
            return 'success'
        if response.status_code in FINAL_STATUSES or (
                response.status_code == 404):
            if isinstance(data, dict) and data.get('code'):
                answer.error = f"{data['code']}: {data.get('message', '')}"
            return 'final'
        if not response.ok:
            answer.error = answer.error or f'HTTP {response.status_code}'
            try:
                answer.retry_after = float(
                    response.headers.get('Retry-After'))
            except (TypeError, ValueError):
                pass
            return 'transient'
        if not isinstance(data, dict) or 'uscc' not in data:
            answer.error = answer.error or 'unexpected answer'
            return 'transient'
        answer.data = data
        return 'success'
