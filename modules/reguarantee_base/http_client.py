# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The JSON APIs of the external systems over HTTP, through requests: what
the clients of the customer management system and of the National Fund
(their own modules) share

Each call returns an Answer: what to log of the exchange and how it ended,
never raising for what the network or the other system may do."""
import json
import time
from urllib.parse import urljoin

import requests

#: Statuses after which the same request will fail again
FINAL_STATUSES = {400, 401, 403, 404, 409, 412, 413, 415, 422}
#: The longest wait before another attempt, in seconds
MAX_RETRY_DELAY = 3600


def retry_delay(first, attempts, retry_after=None):
    """Return the seconds to wait after the attempts-th failure: first,
    doubled at each failure, at most an hour, and at least what the other
    system asked for (an answer's retry_after)"""
    delay = min(first * 2 ** (attempts - 1), MAX_RETRY_DELAY)
    return max(delay, min(retry_after or 0, MAX_RETRY_DELAY))


class Answer:
    """One exchange

    outcome is 'success' (data holds the decoded JSON object, None for an
    accepted 404), 'transient' (retry later: network error, timeout, 5xx,
    unreadable or unexpected body) or 'final' (the same request would fail
    again).  retry_after is the delay a failure's Retry-After asked for, in
    seconds."""
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
        "Return the values of the exchange for a log"
        return {
            'method': self.method,
            'url': self.url,
            'idempotency_key': self.idempotency_key,
            'request_body': self.request_body,
            'status_code': self.status_code,
            'response_body': self.response_body,
            'error': self.error,
            'duration': self.duration,
            'outcome': self.outcome,
            }


class JSONClient:
    "A bearer-token JSON API below url"

    def __init__(self, url, token, timeout):
        self.url = url if url.endswith('/') else url + '/'
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers['Authorization'] = f'Bearer {token}'
        self.session.headers['Accept'] = 'application/json'

    def request(
            self, method, path, body=None, idempotency_key=None, expect=(),
            not_found=False):
        """Send body (a JSON text) and return the Answer: a success when the
        answer is an object with the keys of expect (or, with not_found, a
        404)"""
        answer = Answer(
            method, urljoin(self.url, path), request_body=body,
            idempotency_key=idempotency_key)
        headers = {}
        if body is not None:
            headers['Content-Type'] = 'application/json'
        if idempotency_key:
            headers['Idempotency-Key'] = idempotency_key
        start = time.monotonic()
        try:
            response = self.session.request(
                method, answer.url, headers=headers,
                data=body.encode() if body is not None else None,
                timeout=self.timeout)
        except requests.RequestException as exception:
            answer.error = f'{exception.__class__.__name__}: {exception}'
            answer.outcome = 'transient'
        else:
            answer.status_code = response.status_code
            answer.response_body = response.text
            answer.outcome = self._outcome(
                response, answer, expect, not_found)
        answer.duration = round((time.monotonic() - start) * 1000, 1)
        return answer

    def _outcome(self, response, answer, expect, not_found):
        try:
            data = json.loads(response.text)
        except ValueError as exception:
            data = None
            answer.error = f'unreadable answer: {exception}'
        if not_found and response.status_code == 404:
            answer.error = None
            return 'success'
        if response.status_code in FINAL_STATUSES:
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
        if not isinstance(data, dict) or not set(expect) <= set(data):
            answer.error = answer.error or 'unexpected answer'
            return 'transient'
        answer.data = data
        return 'success'
