# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The National Fund's filing API over HTTP (docs/interfaces/fund.md)

Each call returns an Answer: what to log of the exchange and how it ended,
never raising for what the network or the Fund may do."""
import json
import time
from urllib.parse import urljoin

import requests

#: statuses after which the same request will fail again
FINAL_STATUSES = {400, 401, 403, 404, 409, 412, 413, 415, 422}


class Answer:
    """One exchange with the Fund

    outcome is 'success' (data holds the decoded JSON), 'transient' (retry
    later: network error, timeout, 5xx, unreadable body) or 'final' (the
    same request would fail again)."""
    __slots__ = (
        'method', 'url', 'request_body', 'status_code', 'response_body',
        'error', 'duration', 'outcome', 'data')

    def exchange_values(self):
        "Return the values of the exchange log"
        return {
            'method': self.method,
            'url': self.url,
            'request_body': self.request_body,
            'status_code': self.status_code,
            'response_body': self.response_body,
            'error': self.error,
            'duration': self.duration,
            'outcome': self.outcome,
            }


class FundClient:

    def __init__(self, url, token, timeout):
        self.url = url if url.endswith('/') else url + '/'
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers['Authorization'] = f'Bearer {token}'
        self.session.headers['Accept'] = 'application/json'

    def post_batch(self, body, key):
        "POST the batch (a JSON text) under the idempotency key"
        return self._request(
            'POST', 'api/v1/batches', body=body, expect={'batchId'},
            headers={
                'Idempotency-Key': key,
                'Content-Type': 'application/json',
                })

    def get_batch(self, batch_id):
        "GET the batch's status and results"
        return self._request(
            'GET', f'api/v1/batches/{batch_id}', expect={'status'})

    def _request(self, method, path, body=None, headers=None, expect=()):
        answer = Answer()
        answer.method, answer.url = method, urljoin(self.url, path)
        answer.request_body = body
        answer.status_code = answer.response_body = answer.error = None
        answer.data = None
        start = time.monotonic()
        try:
            response = self.session.request(
                method, answer.url, data=body.encode() if body else None,
                headers=headers, timeout=self.timeout)
        except requests.RequestException as exception:
            answer.error = f'{exception.__class__.__name__}: {exception}'
            answer.outcome = 'transient'
        else:
            answer.status_code = response.status_code
            answer.response_body = response.text
            answer.outcome = self._outcome(response, answer, expect)
        answer.duration = round((time.monotonic() - start) * 1000, 1)
        return answer

    def _outcome(self, response, answer, expect):
        try:
            data = json.loads(response.text)
        except ValueError as exception:
            data = None
            answer.error = f'unreadable answer: {exception}'
        if response.status_code in FINAL_STATUSES:
            if isinstance(data, dict) and data.get('code'):
                answer.error = f"{data['code']}: {data.get('message', '')}"
            return 'final'
        if not response.ok:
            answer.error = answer.error or f'HTTP {response.status_code}'
            return 'transient'
        if not isinstance(data, dict) or not set(expect) <= set(data):
            answer.error = answer.error or 'unexpected answer'
            return 'transient'
        answer.data = data
        return 'success'
