# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The live trytond of tests/test_api.py and tests/test_web.py

A throwaway SQLite database gets reguarantee_api (with reguarantee_base), the
demo's users, two institutions, products, a signed contract and a bank
(scripts/demo_data.py) and an API key of the institution operator; trytond
serves it, with sao's web root (var/sao/web, scripts/install.sh) when it is
built, on a free port of 127.0.0.1, behind one trusted proxy ([web]
num_proxies = 1: the tests choose the client's address with
X-Forwarded-For)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
PYTHON = str(VENV_BIN / 'python') if (VENV_BIN / 'python').exists() \
    else sys.executable
BIN = Path(PYTHON).parent
DATABASE = 'api'
WEB_ROOT = Path(os.environ.get('SAO_ROOT', ROOT / 'var' / 'sao' / 'web'))
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
    'users': {u['login']: u['password'] for u in demo.USERS},
    }))
'''


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT/
    database: str
    key: str  # the API key of the institution operator
    id_number: str  # a valid USCC of a new borrower
    users: dict  # login → password
    web_root: Path  # None when sao's web root is not built
    log: Path

    @property
    def api_url(self):
        return f'{self.url}{self.database}/reguarantee/api/v1'


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


@pytest.fixture(scope='session')
def live_server():
    "trytond serving a prepared database, stopped at the end"
    workdir = Path(tempfile.mkdtemp(prefix='reguarantee-live-'))
    db_dir = workdir / 'db'
    db_dir.mkdir()
    log = workdir / 'setup.log'
    port = free_port()
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    web_root = WEB_ROOT if (WEB_ROOT / 'index.html').exists() else None
    conf = workdir / 'test.conf'
    conf.write_text(
        '[database]\nuri = sqlite://\n'
        f'path = {db_dir}\n'
        f'[web]\nlisten = 127.0.0.1:{port}\n'
        + (f'root = {web_root}\n' if web_root else '')
        + 'num_proxies = 1\n'
        '[session]\nmax_attempt = 5\nmax_attempt_ip_network = 100\n')
    (db_dir / f'{DATABASE}.sqlite').touch()
    passfile = workdir / 'admin-password'
    passfile.write_text('api-test-admin\n')
    process = None
    try:
        admin = [
            PYTHON, BIN / 'trytond-admin', '-c', conf, '-d', DATABASE,
            '-u', 'reguarantee_api', '--activate-dependencies',
            '--email', 'admin@example.com']
        run(admin, dict(env, TRYTONPASSFILE=str(passfile)), log)
        setup = json.loads(run(
                [PYTHON, '-c', SETUP, DATABASE, conf, ROOT / 'scripts'],
                env, log))
        server_log = workdir / 'trytond.log'
        with open(server_log, 'w') as file:
            process = subprocess.Popen(
                [PYTHON, '-O', str(BIN / 'trytond'), '-c', str(conf),
                    '-d', DATABASE],
                env=env, stdin=subprocess.DEVNULL, stdout=file,
                stderr=subprocess.STDOUT)
        server = LiveServer(
            url=f'http://127.0.0.1:{port}/', database=DATABASE,
            key=setup['key'], id_number=setup['id_number'],
            users=setup['users'], web_root=web_root, log=server_log)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(server.api_url + '/projects/X', timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("trytond does not start:\n"
                        + server_log.read_text()[-4000:])
                time.sleep(0.2)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
