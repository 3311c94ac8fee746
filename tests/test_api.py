# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The REST API served by a live trytond (tests/conftest.py) follows
docs/api/openapi.yaml: schemathesis generates requests from the document
and checks the answers (no server error, documented statuses, content types
and schemas); every error is JSON; values are read strictly; a batch with an
Idempotency-Key is filed once, even when sent twice at the same time."""
import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent if not (ROOT / '.venv').exists() \
    else ROOT / '.venv' / 'bin'
OPENAPI = ROOT / 'docs' / 'api' / 'openapi.yaml'


@pytest.fixture
def server(live_server):
    "The API's URL and the operator's API key and a new borrower"
    return live_server.api_url, {
        'key': live_server.key, 'id_number': live_server.id_number}


def headers(setup, **others):
    return {'Authorization': f"Bearer {setup['key']}", **others}


def make_row(setup, contract_number, **values):
    today = dt.date.today()
    return {
        'borrower_name': "合肥禾丰农业科技有限公司",
        'borrower_kind': '企业',
        'id_number': setup['id_number'],
        'industry': 'A0111',
        'bank': '徽商银行合肥分行',
        'loan_contract_number': contract_number,
        'loan_amount': '3000000',
        'guarantee_amount': '2400000.00',
        'start_date': today.isoformat(),
        'end_date': (today + dt.timedelta(days=365)).isoformat(),
        **values,
        }


def assert_error(response, status, code):
    "Assert the response is the JSON error of the documented shape"
    assert response.status_code == status, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    error = response.json()
    assert set(error) == {'code', 'message'}, error
    assert error['code'] == code, error
    assert isinstance(error['message'], str) and error['message']
    return error


def test_import_and_status(server):
    "Test a batch is imported and its project read back over HTTP"
    url, setup = server
    headers = {'Authorization': f"Bearer {setup['key']}"}
    today = dt.date.today()
    row = {
        'borrower_name': "合肥禾丰农业科技有限公司",
        'borrower_kind': '企业',
        'id_number': setup['id_number'],
        'industry': 'A0111',
        'bank': '徽商银行合肥分行',
        'loan_contract_number': 'API-0001',
        'loan_amount': 3000000,
        'guarantee_amount': '2400000.00',
        'start_date': today.isoformat(),
        'end_date': (today + dt.timedelta(days=365)).isoformat(),
        }

    response = requests.post(
        url + '/projects', json={'projects': [row, row]}, headers=headers,
        timeout=30)

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result['imported'], result['rejected']) == (1, 1)
    imported, duplicate = result['results']
    assert imported['status'] == 'imported'
    assert duplicate['errors'][0]['field'] == 'loan_contract_number'
    response = requests.get(
        url + '/projects/' + imported['number'], headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.json()['state'] == 'submitted'
    response = requests.get(url + '/projects/' + imported['number'])
    assert response.status_code == 401
    assert_error(response, 401, 'UNAUTHORIZED')
    assert response.headers['WWW-Authenticate'] == 'Bearer'


def _deep(depth):
    return ('[' * depth + ']' * depth).encode()


ERRORS = [
    # (name, method, path, headers, body, status, code)
    ('deep body', 'POST', '/projects', {}, _deep(5000), 400,
        'MALFORMED_JSON'),
    ('deep object', 'POST', '/projects', {},
        b'{"projects": [' + _deep(5000) + b']}', 400, 'MALFORMED_JSON'),
    ('not JSON', 'POST', '/projects', {}, b'{"projects": [', 400,
        'MALFORMED_JSON'),
    ('NaN token', 'POST', '/projects', {},
        b'{"projects": [{"loan_amount": NaN}]}', 400, 'MALFORMED_JSON'),
    ('not UTF-8', 'POST', '/projects', {}, b'{"projects": ["\xff"]}', 400,
        'MALFORMED_JSON'),
    ('not a batch', 'POST', '/projects', {}, b'[1, 2]', 400,
        'INVALID_BODY'),
    ('form', 'POST', '/projects',
        {'Content-Type': 'application/x-www-form-urlencoded'}, b'a=1', 415,
        'UNSUPPORTED_MEDIA_TYPE'),
    ('method', 'PUT', '/projects', {}, b'{}', 405, 'METHOD_NOT_ALLOWED'),
    ('method on a project', 'DELETE', '/projects/RP1', {}, None, 405,
        'METHOD_NOT_ALLOWED'),
    ('path', 'GET', '/nothing/here', {}, None, 404, 'NOT_FOUND'),
    ('project', 'GET', '/projects/RP-0', {}, None, 404, 'PROJECT_NOT_FOUND'),
    ('NUL in a number', 'GET', '/projects/RP%00X', {}, None, 400,
        'INVALID_NUMBER'),
    ('no key', 'POST', '/projects', {'Authorization': ''}, b'{}', 401,
        'UNAUTHORIZED'),
    ('wrong key', 'POST', '/projects', {'Authorization': 'Bearer x'}, b'{}',
        401, 'UNAUTHORIZED'),
    ('basic without key', 'GET', '/projects/RP1',
        {'Authorization': 'Basic b3BlcmF0b3I6eA=='}, None, 401,
        'UNAUTHORIZED'),
    ('idempotency key', 'POST', '/projects', {'Idempotency-Key': 'a b'},
        b'{}', 400, 'INVALID_IDEMPOTENCY_KEY'),
    ]


@pytest.mark.parametrize(
    'method, path, extra, body, status, code',
    [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_are_json(server, method, path, extra, body, status, code):
    "Test every error is answered as JSON with its code"
    url, setup = server
    response = requests.request(
        method, url + path, data=body, timeout=60,
        headers=headers(setup, **{
                'Content-Type': 'application/json', **extra}))
    assert_error(response, status, code)
    assert 'Traceback' not in response.text


def test_unknown_database_and_large_body(live_server):
    "Test an unknown database and a body over 16 MiB are JSON errors"
    setup = {'key': live_server.key}
    response = requests.post(
        live_server.url + 'nodb/reguarantee/api/v1/projects', json={},
        headers=headers(setup), timeout=30)
    assert_error(response, 404, 'NOT_FOUND')
    response = requests.post(
        live_server.api_url + '/projects',
        data=b' ' * (16 * 1024 * 1024 + 1), timeout=60,
        headers=headers(setup, **{'Content-Type': 'application/json'}))
    assert_error(response, 413, 'REQUEST_TOO_LARGE')


STRICT = [
    # (field, value): each is refused, naming its row and field
    ('loan_amount', '1,000,000'),
    ('loan_amount', '１０００'),
    ('loan_amount', '1e5'),
    ('loan_amount', 'NaN'),
    ('guarantee_amount', 'Infinity'),
    ('guarantee_amount', '-Infinity'),
    ('loan_amount', ' 1000'),
    ('loan_amount', '¥1000'),
    ('start_date', dt.date.today().isoformat() + 'T00:00:00'),
    ('start_date', dt.date.today().isoformat() + ' 08:00'),
    ('end_date', '２０２７-01-05'),
    ('end_date', 20270105),
    ('borrower_name', "禾丰\x00农业"),
    ('loan_contract_number', "A\x1b[31m"),
    ('bank', "徽商银行\u0085"),
    ('borrower_name', "\ud800"),
    ]


def test_values_are_strict(server):
    "Test amounts, dates and text are read strictly"
    url, setup = server
    rows = [
        make_row(setup, f'STRICT-{i}', **{field: value})
        for i, (field, value) in enumerate(STRICT)]
    # a number written with an exponent, as JSON allows
    rows.append(make_row(setup, 'STRICT-EXP'))
    rows.append(make_row(setup, 'STRICT-OK', loan_amount=3000000))
    body = json.dumps({'mode': 'all', 'projects': rows}).replace(
        '"loan_contract_number": "STRICT-EXP", "loan_amount": "3000000"',
        '"loan_contract_number": "STRICT-EXP", "loan_amount": 3e6')
    assert '3e6' in body
    expected = [field for field, _ in STRICT] + ['loan_amount']

    response = requests.post(
        url + '/projects', data=body.encode(), timeout=60,
        headers=headers(setup, **{'Content-Type': 'application/json'}))

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result['imported'], result['rejected']) == (0, len(expected))
    *rejected, valid = result['results']
    for field, row in zip(expected, rejected):
        assert row['status'] == 'rejected', (field, row)
        assert [e['field'] for e in row['errors']] == [field], row
    assert valid['status'] == 'valid'


def test_idempotency_key(server):
    "Test a batch sent again with its Idempotency-Key is filed once"
    url, setup = server
    body = {'projects': [make_row(setup, 'IDEM-1')]}
    key = headers(setup, **{'Idempotency-Key': 'batch-2026-0001'})

    first = requests.post(url + '/projects', json=body, headers=key,
        timeout=60)
    again = requests.post(url + '/projects', json=body, headers=key,
        timeout=60)

    assert first.status_code == 200, first.text
    assert first.json()['imported'] == 1
    assert 'Idempotent-Replayed' not in first.headers
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers['Idempotent-Replayed'] == 'true'
    # the same rows without the key are duplicates of the one project
    response = requests.post(
        url + '/projects', json=body, headers=headers(setup), timeout=60)
    assert response.json()['rejected'] == 1

    other = {'projects': [make_row(setup, 'IDEM-2')]}
    response = requests.post(
        url + '/projects', json=other, headers=key, timeout=60)
    error = assert_error(response, 422, 'IDEMPOTENCY_KEY_REUSED')
    assert 'batch-2026-0001' in error['message']
    # a key is the user's: another key files the other body
    response = requests.post(url + '/projects', json=other, timeout=60,
        headers=headers(setup, **{'Idempotency-Key': 'batch-2026-0002'}))
    assert response.json()['imported'] == 1


def _send_together(url, body, request_headers, count=2):
    "Send the same request count times at once; return the responses"
    barrier = threading.Barrier(count)
    responses = [None] * count

    def send(index):
        barrier.wait()
        responses[index] = requests.post(
            url + '/projects', json=body, headers=request_headers,
            timeout=120)
    threads = [
        threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.parametrize('key', ['together-1', None])
def test_identical_requests_at_once(server, key):
    """Test two identical batches sent at once are answered in JSON and
    filed once: the other gets the same answer, a 409 or the duplicates"""
    url, setup = server
    prefix = f'TOGETHER-{key}'
    body = {'projects': [make_row(setup, f'{prefix}-{i}') for i in range(150)]}
    request_headers = headers(setup)
    if key:
        request_headers['Idempotency-Key'] = key

    responses = _send_together(url, body, request_headers)

    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 200], [200, 409]), [
        r.text[:300] for r in responses]
    for response in responses:
        assert response.headers['Content-Type'].startswith(
            'application/json')
        if response.status_code == 409:
            assert_error(response, 409, 'CONCURRENT_REQUEST')
            assert response.headers['Retry-After']
    imported = [r.json()['imported'] for r in responses
        if r.status_code == 200]
    if key and len(imported) == 2:
        assert responses[0].json() == responses[1].json()
        imported = imported[:1]
    assert sum(imported) == 150
    # and sent once more: never filed again
    response = requests.post(
        url + '/projects', json=body, headers=request_headers, timeout=120)
    assert response.status_code == 200
    if key:
        assert response.headers['Idempotent-Replayed'] == 'true'
        assert response.json()['imported'] == 150
    else:
        assert response.json()['rejected'] == 150


def test_schemathesis(server):
    "Test the answers to the requests schemathesis generates follow the API"
    url, setup = server
    Path(ROOT / 'var').mkdir(exist_ok=True)
    command = [
        BIN / 'schemathesis', 'run', OPENAPI, '--url', url,
        '--header', f"Authorization: Bearer {setup['key']}",
        '--checks', ','.join([
                'not_a_server_error', 'status_code_conformance',
                'content_type_conformance', 'response_schema_conformance',
                'response_headers_conformance']),
        '--max-examples', '40', '--seed', '1', '--workers', '1',
        '--request-timeout', '30', '--no-color',
        ]
    result = subprocess.run(
        list(map(str, command)), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=600, cwd=ROOT / 'var')
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr
