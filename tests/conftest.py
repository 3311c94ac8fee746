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
from dataclasses import dataclass
from pathlib import Path

import pytest
from live import (
    PYTHON, ROOT, activate, run, sqlite_workdir, start_trytond, stop)

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


@pytest.fixture(scope='session')
def live_server():
    "trytond serving a prepared database, stopped at the end"
    web_root = WEB_ROOT if (WEB_ROOT / 'index.html').exists() else None
    workdir, conf, port, env = sqlite_workdir(
        'reguarantee-live-', DATABASE,
        (f'root = {web_root}\n' if web_root else '')
        + 'num_proxies = 1\n'
        '[session]\nmax_attempt = 5\nmax_attempt_ip_network = 100\n')
    log = workdir / 'setup.log'
    process = None
    try:
        activate(conf, DATABASE, ['reguarantee_api'], env, log,
            'api-test-admin')
        setup = json.loads(run(
                [PYTHON, '-c', SETUP, DATABASE, conf, ROOT / 'scripts'],
                env, log))
        url = f'http://127.0.0.1:{port}/'
        server_log = workdir / 'trytond.log'
        process = start_trytond(
            conf, DATABASE, env, server_log,
            f'{url}{DATABASE}/reguarantee/api/v1/projects/X')
        yield LiveServer(
            url=url, database=DATABASE,
            key=setup['key'], id_number=setup['id_number'],
            users=setup['users'], web_root=web_root, log=server_log)
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
