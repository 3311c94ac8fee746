# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Failover to the synchronous standby (scripts/pg-standby.sh, README
"Standby"): an institution operator submits projects through JSON-RPC, as
sao does, from two threads; the primary is stopped by an immediate shutdown
mid-way and the standby promoted; trytond, never restarted, reaches the new
primary through its two-host URI (target_session_attrs=read-write) and the
operator goes on, retrying what failed as a user would (a failed creation
is looked up by its loan contract number before it is created again).  At
the end every project whose submission succeeded exists once, submitted,
and no loan contract number is there twice."""
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from glob import glob
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import (  # noqa: E402
    PYTHON, ROOT, activate, free_port, run, start_trytond, stop)
from rpc import Client, RPCError  # noqa: E402

DATABASE = 'failover'
#: projects submitted before the crash, and after the promotion
BEFORE, AFTER = 16, 16
THREADS = 2
SETUP = '''
import json, sys
sys.path.insert(0, sys.argv[3])
import demo_data as demo
company = demo.setup_base(sys.argv[1], sys.argv[2:3], language='en')
institutions = demo.setup_institutions(company, demo.INSTITUTIONS[:1])
demo.setup_institution_users(institutions)
products = demo.setup_products(company)
demo.setup_contracts(company, institutions, products, demo.CONTRACTS[:1])
banks = demo.setup_banks()
borrowers = demo.setup_borrowers()
print(json.dumps({
    'institution': institutions['GI001'].id,
    'bank': banks[0].id,
    'borrower': borrowers[501].id,
    'borrower_id_number': borrowers[501].id_number,
    'password': [u for u in demo.USERS
        if u['login'] == 'operator'][0]['password'],
    }))
'''

pytestmark = pytest.mark.skipif(
    not glob('/usr/lib/postgresql/*/bin/pg_basebackup')
    and os.geteuid() != 0,
    reason="PostgreSQL is not installed (scripts/pg.sh installs it as root)")


def psql(uri, query):
    "Rows of query on the database of uri (one tab-separated line each)"
    result = subprocess.run(
        ['psql', '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1',
            uri + DATABASE, '-c', query],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        check=True)
    return [line.split('\t') for line in result.stdout.splitlines()]


@pytest.fixture(scope='module')
def clusters():
    "A primary and its synchronous standby (scripts/pg-standby.sh)"
    workdir = Path(tempfile.mkdtemp(prefix='reguarantee-failover-'))
    log = workdir / 'setup.log'
    output = run(
        ['bash', ROOT / 'scripts' / 'pg-standby.sh', 'start'], None, log)
    values = {}
    for line in output.splitlines():
        name, value = line.split('=', 1)
        values[name] = shlex.split(value)[0]
    os.environ['PATH'] = values['PG_BINDIR'] + os.pathsep + os.environ[
        'PATH']
    try:
        yield workdir, values
    finally:
        subprocess.run(
            ['bash', ROOT / 'scripts' / 'pg-standby.sh', 'stop',
                values['PG_TMPDIR'], values['STANDBY_TMPDIR']],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='module')
def server(clusters):
    "trytond on the two-host URI, with reguarantee_base and the operator"
    workdir, pg = clusters
    log = workdir / 'setup.log'
    subprocess.run(
        ['psql', '-X', '-q', pg['PG_URI'] + 'postgres', '-c',
            f'CREATE DATABASE {DATABASE} TEMPLATE template0 '
            "ENCODING 'UTF8'"], check=True)
    port = free_port()
    conf = workdir / 'trytond.conf'
    conf.write_text(
        f"[database]\nuri = {pg['PG_HOSTS_URI']}\n"
        f"path = {workdir / 'db'}\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n")
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    activate(conf, DATABASE, ['reguarantee_base'], env, log,
        'failover-admin', optimize=True)
    setup = json.loads(run(
            [PYTHON, '-c', SETUP, DATABASE, conf, ROOT / 'scripts'],
            env, log))
    server_log = workdir / 'trytond.log'
    url = f'http://127.0.0.1:{port}/'
    process = start_trytond(conf, DATABASE, env, server_log, url)
    try:
        yield url, setup, process, server_log
    finally:
        stop(process)


class Operator:
    "An institution operator who submits projects and retries what failed"

    def __init__(self, url, setup, prefix):
        self.client = Client(url, DATABASE, timeout=60)
        self.setup = setup
        self.prefix = prefix
        self.count = 0
        self.submitted = []  # loan contract numbers, submission succeeded
        self.times = []  # when each submission succeeded
        self.errors = []  # (time, call, error)
        self.client.login('operator', setup['password'])

    def attempt(self, name, function, *args):
        "Call function until it succeeds, as a user clicks again"
        deadline = time.monotonic() + 90
        while True:
            try:
                return function(*args)
            except (RPCError, requests.RequestException) as error:
                self.errors.append((time.monotonic(), name, repr(error)))
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def find(self, number):
        return self.client.model(
            'reguarantee.project', 'search',
            [('loan_contract_number', '=', number)], 0, None, None)

    def create(self, number):
        # a creation whose answer was lost may have been committed
        found = self.find(number)
        if found:
            return found[0]
        today = dt.date.today()
        project_id, = self.client.model(
            'reguarantee.project', 'create', [{
                    'institution': self.setup['institution'],
                    'borrower': self.setup['borrower'],
                    # named by its identity number, as the form does for
                    # a borrower the operator's institution has no project of
                    'borrower_id_number': self.setup['borrower_id_number'],
                    'bank': self.setup['bank'],
                    'loan_contract_number': number,
                    'loan_amount': Decimal('1000000'),
                    'guarantee_amount': Decimal('800000.00'),
                    'start_date': today,
                    'end_date': today + dt.timedelta(days=365),
                    }])
        return project_id

    def submit(self, project_id):
        state, = self.client.model(
            'reguarantee.project', 'read', [project_id], ['state'])
        if state['state'] == 'draft':
            self.client.model('reguarantee.project', 'submit', [project_id])

    def work(self, stop):
        "Submit projects until stop is set"
        while not stop.is_set():
            self.count += 1
            number = f'FO-{self.prefix}-{self.count:04d}'
            project_id = self.attempt('create', self.create, number)
            self.attempt('submit', self.submit, project_id)
            self.submitted.append(number)
            self.times.append(time.monotonic())


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_failover(clusters, server):
    "Test projects submitted across a failover are all there, once each"
    workdir, pg = clusters
    url, setup, process, server_log = server
    operators = [Operator(url, setup, chr(ord('A') + i))
        for i in range(THREADS)]
    stop = threading.Event()
    threads = [threading.Thread(target=o.work, args=(stop,))
        for o in operators]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: sum(len(o.submitted) for o in operators) >= BEFORE)
        # committed on the primary = on the standby (synchronous standby)
        crash_time = time.monotonic()
        subprocess.run(['bash', ROOT / 'scripts' / 'pg-standby.sh', 'crash',
                pg['PG_TMPDIR']], check=True)
        before = sum(len(o.submitted) for o in operators)
        time.sleep(1)  # the time to decide to fail over
        subprocess.run(['bash', ROOT / 'scripts' / 'pg-standby.sh',
                'promote', pg['STANDBY_TMPDIR']], check=True)
        promote_time = time.monotonic()
        wait_for(lambda: sum(
                len(o.submitted) for o in operators) >= before + AFTER)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    # the longest time without a submission, the crash in it
    times = sorted(t for o in operators for t in o.times)
    pause = max(b - a for a, b in zip(times, times[1:])
        if a <= crash_time <= b)

    submitted = [n for o in operators for n in o.submitted]
    rows = psql(pg['STANDBY_URI'],
        "SELECT loan_contract_number, state, COUNT(*) "
        "FROM reguarantee_project GROUP BY loan_contract_number, state")
    found = {}
    for number, state, count in rows:
        found.setdefault(number, []).append((state, int(count)))
    errors = [e for o in operators for e in o.errors]
    summary = (
        f"{len(submitted)} submitted ({before} before the crash), "
        f"promoted {promote_time - crash_time:.1f} s after the crash, "
        f"no submission for {pause:.1f} s, "
        f"{len(errors)} failed calls retried: "
        + "; ".join(sorted({e[2][:120] for e in errors})))
    print(summary)
    assert process.poll() is None, "trytond stopped"
    assert before >= BEFORE
    assert len(submitted) >= BEFORE + AFTER
    assert len(set(submitted)) == len(submitted)
    for number in submitted:
        # lost, doubled or left in draft
        assert found.get(number) == [('submitted', 1)], (number, summary)
    doubled = [n for n, states in found.items()
        if sum(c for _, c in states) > 1]
    assert not doubled, doubled
    # the in-flight projects at the end are drafts at worst
    assert set(found) - set(submitted) <= {
        f'FO-{o.prefix}-{o.count:04d}' for o in operators}
    # the promoted standby is the primary trytond now writes to
    assert psql(pg['STANDBY_URI'], "SELECT pg_is_in_recovery()") == [['f']]
    assert psql(pg['STANDBY_URI'],
        "SELECT COUNT(*) > 0 FROM pg_stat_activity "
        f"WHERE datname = '{DATABASE}' AND application_name = 'trytond'"
        ) == [['t']]
