# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The simulators of the external systems follow the wire formats of
docs/interfaces/ and inject the failures they are configured with."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from simulators.server import Simulator, SimulatorClient

ROOT = Path(__file__).resolve().parent.parent
FUND = {'Authorization': 'Bearer fund-token'}
CMS = {'Authorization': 'Bearer cms-token'}
USCC = '91340100MA2N0XXXX1'


def project(number, **values):
    result = {
        'projectNo': number,
        'institutionUscc': USCC,
        'borrowerName': "合肥小微",
        'borrowerType': '01',
        'borrowerIdNo': '91340100MA2N0YYYY2',
        'bankName': "Bank",
        'loanContractNo': 'L-' + number,
        'loanAmount': '1000000.00',
        'guaranteeAmount': '800000.00',
        'startDate': '2024-01-01',
        'endDate': '2025-01-01',
        }
    result.update(values)
    return {k: v for k, v in result.items() if v is not None}


@pytest.fixture
def fund():
    with Simulator(
            'fund', tokens=['fund-token'],
            options={'processing_delay': 0}) as simulator:
        yield simulator


@pytest.fixture
def cms():
    with Simulator('cms', tokens=['cms-token']) as simulator:
        yield simulator


@pytest.fixture
def credit():
    with Simulator('credit', tokens=['credit-token']) as simulator:
        yield simulator


def post(fund, projects, key, timeout=5, headers=FUND):
    return requests.post(
        fund.url + 'api/v1/batches', json={'projects': projects},
        headers=dict(headers, **{'Idempotency-Key': key}), timeout=timeout)


def results(fund, batch_id):
    response = requests.get(
        fund.url + f'api/v1/batches/{batch_id}', headers=FUND, timeout=5)
    assert response.status_code == 200
    return {r['projectNo']: r for r in response.json()['results']}


def test_fund_token_required(fund):
    response = post(fund, [project('P1')], 'k', headers={})
    assert response.status_code == 401
    assert response.json()['code'] == 'UNAUTHORIZED'
    response = post(
        fund, [project('P1')], 'k', headers={'Authorization': 'Bearer no'})
    assert response.status_code == 401
    assert fund.app.state()['batches'] == []


def test_fund_batch_results_later(fund):
    fund.app.configure({'processing_delay': 0.3})
    response = post(fund, [project('P1'), project('P2')], 'key-1')
    assert response.status_code == 202
    batch = response.json()
    assert batch['status'] == 'processing'
    assert batch['received'] == 2
    url = fund.url + 'api/v1/batches/' + batch['batchId']
    assert requests.get(url, headers=FUND).json()['status'] == 'processing'
    time.sleep(0.35)
    done = requests.get(url, headers=FUND).json()
    assert done['status'] == 'done'
    assert (done['accepted'], done['rejected']) == (2, 0)
    assert all(r['fundReference'] for r in done['results'])


def test_fund_idempotency_key(fund):
    first = post(fund, [project('P1')], 'key-1')
    again = post(fund, [project('P1')], 'key-1')
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert again.json()['batchId'] == first.json()['batchId']
    other = post(fund, [project('P2')], 'key-1')
    assert other.status_code == 422
    assert other.json()['code'] == 'IDEMPOTENCY_KEY_REUSED'
    assert post(fund, [project('P1')], '').status_code == 400
    results(fund, first.json()['batchId'])
    assert fund.app.state()['submissions'] == {'P1': 1}


def test_fund_batch_refused(fund):
    fund.app.configure({'max_batch_size': 2})
    response = requests.post(
        fund.url + 'api/v1/batches', data='{"projects": [',
        headers=dict(FUND, **{
                'Idempotency-Key': 'k', 'Content-Type': 'application/json'}))
    assert response.json()['code'] == 'MALFORMED_JSON'
    assert post(fund, [], 'k').json()['code'] == 'INVALID_BATCH'
    assert post(fund, [1], 'k').json()['code'] == 'INVALID_BATCH'
    response = post(fund, [project(f'P{i}') for i in range(3)], 'k')
    assert response.status_code == 413
    assert fund.app.state()['batches'] == []


def test_fund_rejections(fund):
    projects = [
        project('P1', borrowerName=''),
        project('P2', borrowerType='03'),
        project('P3', guaranteeAmount='2000000'),
        project('P4', loanAmount='1.234'),
        project('P5', endDate='2023-01-01'),
        project('P6', regionCode='34'),
        project('P7'),
        project('P7'),
        project('P8'),
        ]
    batch = post(fund, projects, 'k1').json()
    codes = {
        n: r.get('code') for n, r in results(fund, batch['batchId']).items()}
    assert codes == {
        'P1': 'E101', 'P2': 'E102', 'P3': 'E103', 'P4': 'E103',
        'P5': 'E104', 'P6': 'E105', 'P7': 'E106', 'P8': None}
    # the second P7 is rejected, the first one accepted
    assert fund.app.state()['accepted']['P7'] == 1
    again = post(fund, [project('P8'), project('P1')], 'k2').json()
    codes = {
        n: r.get('code') for n, r in results(fund, again['batchId']).items()}
    assert codes == {'P8': 'E201', 'P1': None}
    assert fund.app.state()['accepted'] == {
        'P1': 1, 'P2': 0, 'P3': 0, 'P4': 0, 'P5': 0, 'P6': 0, 'P7': 1,
        'P8': 1}


def test_fund_partial_rejection_first_time_only(fund):
    fund.app.configure({'reject_rate': 0.5})
    projects = [project(f'P{i}') for i in range(40)]
    first = results(fund, post(fund, projects, 'k1').json()['batchId'])
    rejected = [n for n, r in first.items() if r['result'] == 'rejected']
    assert 5 < len(rejected) < 35
    assert {first[n]['code'] for n in rejected} == {'E301'}
    second = results(fund, post(
            fund, [project(n) for n in rejected], 'k2').json()['batchId'])
    assert all(r['result'] == 'accepted' for r in second.values())
    assert set(fund.app.state()['accepted'].values()) == {1}


@pytest.mark.parametrize('mode', ['429', '500', '503'])
def test_fault_status_before(fund, mode):
    SimulatorClient(fund.url).set_faults({'faults': [
                {'mode': mode, 'count': 2, 'retry_after': 3}]})
    for _ in range(2):
        response = post(fund, [project('P1')], 'k')
        assert response.status_code == int(mode)
        assert response.headers['Retry-After'] == '3'
    assert fund.app.state()['batches'] == []
    assert post(fund, [project('P1')], 'k').status_code == 202
    state = fund.app.state()
    assert state['faults']['injected'][mode] == 2
    assert [r['status'] for r in state['requests']] == [
        int(mode), int(mode), 202]


def test_fault_status_after(fund):
    fund.app.faults.configure({'faults': [
                {'mode': '500', 'when': 'after', 'count': 1}]})
    assert post(fund, [project('P1')], 'k').status_code == 500
    # the batch was received: the retry with the same key gets it back
    response = post(fund, [project('P1')], 'k')
    assert response.status_code == 200
    assert len(fund.app.state()['batches']) == 1


def test_fault_timeout(fund):
    fund.app.faults.configure({'faults': [
                {'mode': 'timeout', 'delay': 1, 'count': 1,
                    'method': 'POST'}]})
    with pytest.raises(requests.Timeout):
        post(fund, [project('P1')], 'k', timeout=0.3)
    assert len(fund.app.state()['batches']) == 1
    assert post(fund, [project('P1')], 'k').status_code == 200


def test_fault_timeout_before(fund):
    fund.app.faults.configure({'faults': [
                {'mode': 'timeout', 'delay': 0.1, 'when': 'before'}]})
    assert post(fund, [project('P1')], 'k').status_code == 504
    assert fund.app.state()['batches'] == []


def test_fault_malformed(fund):
    fund.app.faults.configure({'faults': [
                {'mode': 'malformed', 'count': 1}]})
    response = post(fund, [project('P1')], 'k')
    assert response.status_code == 202
    with pytest.raises(ValueError):
        response.json()
    assert post(fund, [project('P1')], 'k').status_code == 200


def test_fault_latency_rate_and_path(fund):
    fund.app.faults.configure({'seed': 3, 'faults': [
                {'mode': 'latency', 'delay': 0.2,
                    'path': '/api/v1/batches/'},
                {'mode': '503', 'rate': 0.5, 'method': 'POST'}]})
    statuses = [
        post(fund, [project('P1')], 'k').status_code for _ in range(20)]
    assert {202, 200, 503} == set(statuses)
    batch_id = fund.app.state()['batches'][0]['batchId']
    start = time.monotonic()
    results(fund, batch_id)
    assert time.monotonic() - start >= 0.2


def test_fault_config_refused(fund):
    client = SimulatorClient(fund.url)
    with pytest.raises(requests.HTTPError):
        client.set_faults({'faults': [{'mode': 'explode'}]})
    with pytest.raises(requests.HTTPError):
        client.set_faults({'faults': [{'mode': '500', 'colour': 'red'}]})
    with pytest.raises(requests.HTTPError):
        client.set_options({'colour': 'red'})


def test_reset(fund):
    post(fund, [project('P1')], 'k')
    fund.app.faults.configure({'faults': [{'mode': '500'}]})
    SimulatorClient(fund.url).reset()
    state = fund.app.state()
    assert state['batches'] == [] and state['faults']['rules'] == []


def test_cms_lookup_and_upsert(cms):
    url = cms.url + f'api/v1/customers/{USCC}'
    response = requests.get(url, headers=CMS)
    assert response.status_code == 404
    assert response.json()['code'] == 'CUSTOMER_NOT_FOUND'
    created = requests.put(url, json={
            'name': "合肥担保", 'region': '340100'}, headers=CMS)
    assert created.status_code == 201
    customer = created.json()
    assert (customer['uscc'], customer['version']) == (USCC, 1)
    same = requests.put(url, json={
            'name': "合肥担保", 'region': '340100'}, headers=CMS)
    assert (same.status_code, same.json()['version']) == (200, 1)
    changed = requests.put(url, json={
            'name': "合肥担保", 'region': '340200'}, headers={
            **CMS, 'If-Match': '"1"'})
    assert (changed.status_code, changed.json()['version']) == (200, 2)
    stale = requests.put(url, json={'name': "X"}, headers={
            **CMS, 'If-Match': '"1"'})
    assert stale.status_code == 412
    assert requests.get(url, headers=CMS).json()['region'] == '340200'
    assert [w['change'] for w in cms.app.state()['writes']] == [
        'created', 'updated']


def test_cms_search_and_errors(cms):
    cms.app.configure({'customers': [{'uscc': USCC, 'name': "合肥担保"}]})
    search = cms.url + 'api/v1/customers'
    found = requests.get(search, params={'uscc': USCC}, headers=CMS).json()
    assert [c['name'] for c in found['customers']] == ["合肥担保"]
    found = requests.get(search, params={'name': "合肥"}, headers=CMS).json()
    assert len(found['customers']) == 1
    assert requests.get(search, headers=CMS).status_code == 400
    assert requests.get(search, params={'uscc': USCC}).status_code == 401
    bad = requests.get(search[:-1] + 's/ABC', headers=CMS)
    assert bad.json()['code'] == 'INVALID_USCC'
    url = search + '/' + USCC
    for body in [{'name': ''}, {'name': 'x', 'colour': 'red'},
            {'name': 'x', 'status': 'gone'}, {'name': 1},
            {'name': 'x', 'uscc': '91340100MA2N0YYYY2'}]:
        response = requests.put(url, json=body, headers=CMS)
        assert response.status_code == 400, body


def test_cms_faults(cms):
    cms.app.faults.configure({'faults': [
                {'mode': '503', 'count': 1, 'method': 'PUT'}]})
    url = cms.url + f'api/v1/customers/{USCC}'
    assert requests.put(
        url, json={'name': "X"}, headers=CMS).status_code == 503
    assert requests.put(
        url, json={'name': "X"}, headers=CMS).status_code == 201


def test_sms_send_and_errors():
    "Test the SMS gateway keeps the valid messages and refuses the others"
    with Simulator('sms', tokens=['sms-token'],
            options={'reject': ['+8613900000000']}) as sms:
        url = sms.url + 'api/v1/messages'
        headers = {'Authorization': 'Bearer sms-token'}
        response = requests.post(url, json={
                'to': '+8613800000000', 'text': "code 123456"},
            headers=headers, timeout=5)
        assert response.status_code == 201
        message = response.json()
        assert message['id'] == 'M000001'
        assert message['status'] == 'accepted'
        response = requests.get(
            f"{url}/{message['id']}", headers=headers, timeout=5)
        assert response.json()['text'] == "code 123456"

        for body, status, code in [
                ({'to': '13800000000', 'text': "x"}, 400, 'INVALID_NUMBER'),
                ({'to': '+8613800000000', 'text': ""}, 400,
                    'INVALID_MESSAGE'),
                ({'to': '+8613800000000', 'text': "x" * 501}, 400,
                    'INVALID_MESSAGE'),
                ({'to': '+8613800000000', 'text': "x", 'cc': "y"}, 400,
                    'INVALID_MESSAGE'),
                ({'to': '+8613900000000', 'text': "x"}, 422,
                    'UNDELIVERABLE'),
                ]:
            response = requests.post(
                url, json=body, headers=headers, timeout=5)
            assert (response.status_code, response.json()['code']) == (
                status, code), body
        response = requests.post(url, json={
                'to': '+8613800000000', 'text': "x"},
            headers={'Authorization': 'Bearer wrong'}, timeout=5)
        assert response.status_code == 401
        assert [m['id'] for m in sms.app.state()['messages']] == [
            'M000001']


def test_launcher(tmp_path):
    "python -m simulators starts a server, writes its port, stops on TERM"
    port_file = tmp_path / 'port'
    token_file = tmp_path / 'token'
    token_file.write_text('file-token\n')
    process = subprocess.Popen([
            sys.executable, '-m', 'simulators', 'fund', '--port', '0',
            '--token-file', str(token_file), '--port-file', str(port_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        for _ in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        url = f'http://127.0.0.1:{port_file.read_text().strip()}/'
        assert SimulatorClient(url).health()['name'] == 'fund'
        response = requests.get(
            url + 'api/v1/batches/X',
            headers={'Authorization': 'Bearer file-token'})
        assert response.status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert b'fund simulator stopped' in output


def test_fault_one_failure_per_request(fund):
    "The first failure rule that fires is the only one of its request"
    fund.app.faults.configure({'faults': [
                {'mode': '503', 'count': 1},
                {'mode': '500', 'count': 1}]})
    statuses = [post(fund, [project('P1')], 'k').status_code
        for _ in range(3)]
    assert statuses == [503, 500, 202]


def report(credit, code, key):
    return requests.post(
        credit.url + 'api/v1/reports', json={'idNumber': code},
        headers={'Authorization': 'Bearer credit-token',
            'Idempotency-Key': key}, timeout=5)


def test_credit_charged_once_per_key(credit):
    "docs/interfaces/credit.md: a report is charged once per key"
    code = '91340100MA2N0X0X1K'
    first = report(credit, code, 'k1')
    assert first.status_code == 200 and first.json()['charged'] is True
    again = report(credit, code, 'k1')
    assert again.json() == dict(first.json(), charged=False)
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert report(credit, '91340100MA2N0X0X2J', 'k1').status_code == 422
    assert report(credit, code, 'k2').json()['charged'] is True
    assert list(credit.app.state()['charged'].values()) == [2]
    # the same code is the same company
    assert report(credit, code, 'k3').json()['legalRepresentative'] == (
        first.json()['legalRepresentative'])


def test_credit_quota_and_errors(credit):
    "docs/interfaces/credit.md: daily quota, unknown and invalid codes"
    SimulatorClient(credit.url).set_options({
            'daily_quota': 1, 'profiles': {'91340100MA2N0X0X2J': None}})
    assert report(credit, '91340100MA2N0X0X1K', 'k1').status_code == 200
    refused = report(credit, '91340100MA2N0X0X3H', 'k2')
    assert refused.status_code == 429
    assert refused.json()['code'] == 'QUOTA_EXCEEDED'
    assert int(refused.headers['Retry-After']) > 0
    assert report(credit, '91340100MA2N0X0X2J', 'k3').status_code == 404
    assert report(credit, 'nope', 'k4').status_code == 400
