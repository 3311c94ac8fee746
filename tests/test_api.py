# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The REST API served by a live trytond follows docs/api/openapi.yaml:
schemathesis generates requests from the document and checks the answers
(no server error, documented statuses, content types and schemas).

A throwaway SQLite database gets reguarantee_base, the demo's users, two
institutions, products, a signed contract and a bank (scripts/demo_data.py)
and an API key of the institution operator; trytond serves it on a free
port of 127.0.0.1."""
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
PYTHON = str(VENV_BIN / 'python') if (VENV_BIN / 'python').exists() \
    else sys.executable
BIN = Path(PYTHON).parent
DATABASE = 'api'
OPENAPI = ROOT / 'docs' / 'api' / 'openapi.yaml'
#: Prepares the database: demo data and the operator's API key, printed
SETUP = '''
import json, sys
sys.path.insert(0, sys.argv[3])
import demo_data as demo
from demo_integration import setup_api_key
company = demo.setup_base(sys.argv[1], sys.argv[2:3], language='en')
institutions = demo.setup_institutions(company, demo.INSTITUTIONS[:2])
demo.setup_institution_users(institutions)
products = demo.setup_products(company)
demo.setup_contracts(company, institutions, products, demo.CONTRACTS[:1])
demo.setup_banks()
print(json.dumps({
    'key': setup_api_key(demo.as_user('admin'), 'operator'),
    'id_number': demo.make_uscc('340100', 501),
    }))
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(command, env, log):
    "Run command, its output appended to log; return its standard output"
    with open(log, 'a') as file:
        result = subprocess.run(
            list(map(str, command)), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=file, text=True)
    if result.returncode:
        pytest.fail(f"{command[1]} failed:\n{Path(log).read_text()[-4000:]}")
    return result.stdout


@pytest.fixture(scope='module')
def server():
    "trytond serving a prepared database; yield (API URL, operator's key)"
    workdir = Path(tempfile.mkdtemp(prefix='reguarantee-api-'))
    db_dir = workdir / 'db'
    db_dir.mkdir()
    log = workdir / 'setup.log'
    port = free_port()
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    conf = workdir / 'test.conf'
    conf.write_text(
        '[database]\nuri = sqlite://\n'
        f'path = {db_dir}\n'
        f'[web]\nlisten = 127.0.0.1:{port}\n')
    (db_dir / f'{DATABASE}.sqlite').touch()
    passfile = workdir / 'admin-password'
    passfile.write_text('api-test-admin\n')
    process = None
    try:
        admin = [
            PYTHON, BIN / 'trytond-admin', '-c', conf, '-d', DATABASE,
            '-u', 'reguarantee_base', '--activate-dependencies',
            '--email', 'admin@example.com']
        run(admin, dict(env, TRYTONPASSFILE=str(passfile)), log)
        setup = json.loads(run(
                [PYTHON, '-c', SETUP, DATABASE, conf, ROOT / 'scripts'],
                env, log))
        with open(workdir / 'trytond.log', 'w') as file:
            process = subprocess.Popen(
                [PYTHON, '-O', str(BIN / 'trytond'), '-c', str(conf),
                    '-d', DATABASE],
                env=env, stdin=subprocess.DEVNULL, stdout=file,
                stderr=subprocess.STDOUT)
        url = f'http://127.0.0.1:{port}/{DATABASE}/reguarantee/api/v1'
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + '/projects/X', timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("trytond does not start:\n" + (
                            workdir / 'trytond.log').read_text()[-4000:])
                time.sleep(0.2)
        yield url, setup
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


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


def test_schemathesis(server):
    "Test the answers to the requests schemathesis generates follow the API"
    url, setup = server
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
