# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Bounded load test of a running trytond (bench/load.sh sets one up)

N simulated users, each a thread with its own session (JSON-RPC as sao
sends it, one request per call), play the demo's roles for a fixed time
and stop by themselves, with a pause ("think time") between their actions:

- institution operators (50 %): open the project list (search + read of
  the list's fields), open a form (read), submit a project (create, then
  the Submit button) and import a batch of projects through the REST API
  (POST /reguarantee/api/v1/projects);
- business staff (20 %): open the list of submitted projects and file one
  (the File button);
- risk staff (15 %): open the list of submitted projects above the filing
  approval amount and approve one (the File button's risk rule);
- the cockpit (15 %, committee): refresh the five graphs of the risk
  cockpit (search + read of each action's model and domain).

The users log in during a ramp (--ramp); the measure of --duration
seconds starts once every one is logged in, and the logins (and the
operators' first look-ups, kind setup) are reported apart, over the ramp.
Every call is timed by kind; the report gives per kind the count, the
requests per second, p50/p95/p99 latency and the errors.  At the end every
project whose submission or import succeeded is looked up and must exist
exactly once (none lost, none doubled): the loan contract numbers are
unique per run and checked with one search per user.

    .venv/bin/python -O bench/load.py --url http://127.0.0.1:8000/ \\
        --database load --api-key KEY --users 10 50 --duration 60

Only 127.0.0.1 is accepted as target.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT / 'scripts'))
from rpc import Client, RPCError  # noqa: E402

#: login → password of the demo (scripts/demo_data.py)
PASSWORDS = {
    'operator': 'Demo-operator-2025',
    'business': 'Demo-business-2025',
    'risk1': 'Demo-risk1-2025',
    'risk2': 'Demo-risk2-2025',
    'committee': 'Demo-committee-2025',
    }
#: role, weight, logins
ROLES = [
    ('operator', 50, ['operator']),
    ('business', 20, ['business']),
    ('risk', 15, ['risk1', 'risk2']),
    ('cockpit', 15, ['committee']),
    ]
PROJECT = 'reguarantee.project'
LIST_FIELDS = [
    'number', 'loan_contract_number', 'institution.rec_name',
    'borrower.rec_name', 'bank.rec_name', 'product.rec_name',
    'loan_amount', 'guarantee_amount', 'reguaranteed_amount', 'start_date',
    'end_date', 'state', 'release_due', 'release_overdue']
FORM_FIELDS = LIST_FIELDS + [
    'company', 'contract.rec_name', 'industry', 'region', 'term_months',
    'filing_date', 'approval_level', 'release_date', 'release_type',
    'rejection_reason']
#: the risk cockpit's graphs: model, domain, fields (reguarantee_risk)
COCKPIT = [
    ('reguarantee.risk.snapshot',
        [('institution', '=', None), ('month_end', '=', True)],
        ['date', 'guarantee_balance', 'reguarantee_balance',
            'weighted_balance']),
    ('reguarantee.risk.snapshot',
        [('institution', '=', None), ('month_end', '=', True)],
        ['date', 'compensation_rate', 'period_compensation_rate',
            'recovery_rate']),
    ('reguarantee.risk.snapshot',
        [('latest', '=', True), ('institution', '!=', None)],
        ['institution.rec_name', 'leverage', 'leverage_limit']),
    ('reguarantee.risk.snapshot.share',
        [('kind', '=', 'industry'), ('snapshot.latest', '=', True),
            ('snapshot.institution', '=', None)],
        ['code', 'amount']),
    ('reguarantee.risk.quota', [], ['name', 'quota_amount', 'used_amount']),
    ]
#: above it a risk user approves the filing too (scripts/demo_data.py)
APPROVAL_AMOUNT = Decimal('5000000')


class Stats:
    "Latencies and errors per kind of call, shared by the threads"

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(list)
        # answers counted apart: the REST API's 409 (sent again), a click
        # on a project another user has just filed
        self.busy = defaultdict(int)

    def record(self, kind, seconds, error=None):
        with self.lock:
            if error is None:
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind].append(error)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return values[index]


class User(threading.Thread):
    "A simulated user of one role"

    def __init__(self, number, role, login, options, stats, stop, go):
        super().__init__(daemon=True)
        self.go = go
        self.ready = threading.Event()
        self.number = number
        self.role = role
        self.login_name = login
        self.options = options
        self.stats = stats
        self.stop = stop
        self.random = random.Random(number)
        self.http = requests.Session()
        self.client = Client(
            options.url, options.database, timeout=options.timeout,
            session=self.http)
        self.count = 0
        self.submitted = []  # loan contract numbers, submission succeeded
        self.imported = []  # idem, import succeeded
        self.failed = False

    def timed(self, kind, function, *args):
        start = time.monotonic()
        try:
            result = function(*args)
        except (RPCError, requests.RequestException, ValueError) as error:
            self.stats.record(kind, None, f'{type(error).__name__}: '
                + str(error)[:200])
            raise
        self.stats.record(kind, time.monotonic() - start)
        return result

    def call(self, kind, model, method, *args):
        return self.timed(kind, self.client.model, model, method, *args)

    def think(self):
        low, high = self.options.think
        self.stop.wait(self.random.uniform(low, high))

    def run(self):
        try:
            self.timed('login', self.client.login, self.login_name,
                PASSWORDS[self.login_name])
            self.setup()
        except Exception:
            self.failed = True
            return
        finally:
            self.ready.set()
        # the measure starts once every user is logged in
        self.go.wait()
        actions = getattr(self, f'actions_{self.role}')()
        while not self.stop.is_set():
            action = self.random.choice(actions)
            try:
                action()
            except (RPCError, requests.RequestException, ValueError):
                pass  # recorded by timed
            self.think()

    def setup(self):
        if self.role == 'operator':
            self.institution, = self.call(
                'setup', 'reguarantee.institution', 'search',
                [('code', '=', 'GI001')], 0, None, None)
            self.borrowers = self.call(
                'setup', 'reguarantee.borrower', 'search', [], 0, 10, None)
            self.banks = [b['id'] for b in self.call(
                    'setup', 'party.party', 'search_read',
                    [('name', 'like', '%银行%')], 0, 10, None, ['id'])]

    # list and form, for everyone
    def open_list(self, domain, kind='list'):
        ids = self.call(
            f'{kind}.search', PROJECT, 'search', domain, 0, 80, None)
        self.call(f'{kind}.search_count', PROJECT, 'search_count', domain)
        if ids:
            self.call(f'{kind}.read', PROJECT, 'read', ids, LIST_FIELDS)
        return ids

    def open_form(self):
        ids = self.open_list([])
        if ids:
            self.call('form.read', PROJECT, 'read',
                [self.random.choice(ids)], FORM_FIELDS)

    # operators
    def actions_operator(self):
        return [self.open_form, self.open_form, self.submit_project,
            self.submit_project, self.import_projects]

    def next_number(self):
        self.count += 1
        return f'LOAD-{self.options.run}-{self.number:03d}-{self.count:04d}'

    def project_values(self, number):
        today = dt.date.today()
        guarantee = self.random.choice(
            [Decimal('800000.00'), Decimal('6000000.00')])
        return {
            'institution': self.institution,
            'borrower': self.random.choice(self.borrowers),
            'bank': self.random.choice(self.banks),
            'loan_contract_number': number,
            'loan_amount': guarantee / Decimal('0.8'),
            'guarantee_amount': guarantee,
            'start_date': today,
            'end_date': today + dt.timedelta(days=365),
            }

    def submit_project(self):
        number = self.next_number()
        project_id, = self.call('project.create', PROJECT, 'create',
            [self.project_values(number)])
        self.call('project.submit', PROJECT, 'submit', [project_id])
        self.submitted.append(number)

    def import_projects(self, size=5):
        today = dt.date.today()
        rows = []
        for _ in range(size):
            rows.append({
                    'borrower_name': "合肥禾丰农业科技有限公司",
                    'borrower_kind': '企业',
                    'id_number': self.options.id_number,
                    'industry': 'A0111',
                    'bank': '徽商银行合肥分行',
                    'loan_contract_number': self.next_number(),
                    'loan_amount': '1000000',
                    'guarantee_amount': '800000.00',
                    'start_date': today.isoformat(),
                    'end_date': (today + dt.timedelta(days=365)).isoformat(),
                    })
        url = urllib.parse.urljoin(self.options.url,
            f'{self.options.database}/reguarantee/api/v1/projects')

        headers = {
            'Authorization': f'Bearer {self.options.api_key}',
            # the same key on every attempt: never filed twice
            'Idempotency-Key': str(uuid.uuid4()),
            }

        def post():
            response = self.http.post(url, json={'projects': rows},
                headers=headers, timeout=self.options.timeout)
            if response.status_code == 409:
                # another batch of the same API key is being filed (every
                # simulated operator shares the demo's key): documented
                return None
            response.raise_for_status()
            result = response.json()
            if result['imported'] != size:
                raise ValueError(f"imported {result['imported']}/{size}: "
                    + json.dumps(result['results'])[:200])
            return result
        while self.timed('import.api', post) is None:
            # counted apart, as the client sends it again after Retry-After
            with self.stats.lock:
                kind = 'import.api'
                self.stats.latencies[kind].pop()
                self.stats.busy[kind] += 1
            if self.stop.wait(1):
                return
        self.imported.extend(r['loan_contract_number'] for r in rows)

    # staff
    def actions_business(self):
        return [self.open_form, self.file_project, self.file_project]

    def actions_risk(self):
        return [self.open_form, self.approve_project, self.approve_project]

    def click_file(self, kind, ids):
        project_id = self.random.choice(ids[:20])
        try:
            self.call(kind, PROJECT, 'file', [project_id])
        except RPCError:
            state, = self.client.model(PROJECT, 'read', [project_id],
                ['state'])
            if state['state'] == 'submitted':
                raise
            # another user filed it since the list was read: sao refuses
            # the click on a stale record as trytond does; counted apart
            with self.stats.lock:
                self.stats.errors[kind].pop()
                self.stats.busy[kind] += 1

    def file_project(self):
        ids = self.open_list([('state', '=', 'submitted')], 'list')
        if ids:
            self.click_file('project.file', ids)

    def approve_project(self):
        ids = self.open_list([
                ('state', '=', 'submitted'),
                ('guarantee_amount', '>', APPROVAL_AMOUNT)], 'list')
        if ids:
            self.click_file('project.approve', ids)

    # the cockpit
    def actions_cockpit(self):
        return [self.refresh_cockpit]

    def refresh_cockpit(self):
        for model, domain, fields in COCKPIT:
            self.call('cockpit.search_read', model, 'search_read', domain,
                0, None, None, fields)


def check(users, options):
    "Return (lost, doubled): every submitted or imported number once"
    numbers = [n for u in users for n in u.submitted + u.imported]
    client = Client(options.url, options.database, timeout=300)
    client.login('business', PASSWORDS['business'])
    found = defaultdict(int)
    prefix = f'LOAD-{options.run}-'
    for record in client.model(PROJECT, 'search_read', [
                ('loan_contract_number', 'like', prefix + '%')],
            0, None, None, ['loan_contract_number']):
        found[record['loan_contract_number']] += 1
    lost = [n for n in numbers if not found.get(n)]
    doubled = [n for n, c in found.items() if c > 1]
    return len(numbers), lost, doubled


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def run_level(n, options):
    stats = Stats()
    stop = threading.Event()
    go = threading.Event()
    roles = [r for role, weight, logins in ROLES
        for r in [(role, logins)] * weight]
    users = []
    for i in range(n):
        # the mix of roles for any n: the i-th user of 100 has role i
        role, logins = roles[(i * 37) % len(roles)] if n > 1 else roles[0]
        users.append(User(i, role, logins[i % len(logins)], options, stats,
                stop, go))
    load_before = load_average()
    ramp = options.ramp if options.ramp is not None else min(n / 10, 20)
    login_start = time.monotonic()
    for user in users:
        user.start()
        time.sleep(ramp / n)
    for user in users:
        user.ready.wait(options.timeout * 5)
    logins = time.monotonic() - login_start
    # logins and set-up calls are reported apart (kinds login, setup)
    with stats.lock:
        setup_stats = ({k: stats.latencies.pop(k, [])
                for k in ['login', 'setup']},
            {k: stats.errors.pop(k, []) for k in ['login', 'setup']})
    start = time.monotonic()
    go.set()
    stop.wait(options.duration)
    stop.set()
    for user in users:
        user.join(options.timeout + 5)
    elapsed = time.monotonic() - start
    load_after = load_average()
    total, lost, doubled = check(users, options)
    kinds = {}
    for kind in sorted(set(stats.latencies) | set(stats.errors)):
        values = stats.latencies.get(kind, [])
        kinds[kind] = {
            'count': len(values),
            'rps': len(values) / elapsed,
            'p50': percentile(values, 50),
            'p95': percentile(values, 95),
            'p99': percentile(values, 99),
            'errors': len(stats.errors.get(kind, [])),
            'busy_409': stats.busy.get(kind, 0),
            'error_samples': sorted(set(stats.errors.get(kind, [])))[:3],
            }
    ok = sum(k['count'] for k in kinds.values())
    errors = sum(k['errors'] for k in kinds.values())
    all_latencies = [v for vs in stats.latencies.values() for v in vs]
    for kind in ['login', 'setup']:
        values = setup_stats[0][kind]
        kinds[kind] = {
            'count': len(values),
            'rps': len(values) / logins,
            'p50': percentile(values, 50),
            'p95': percentile(values, 95),
            'p99': percentile(values, 99),
            'errors': len(setup_stats[1][kind]),
            'error_samples': sorted(set(setup_stats[1][kind]))[:3],
            'busy_409': 0,
            }
        errors += len(setup_stats[1][kind])
    return {
        'users': n,
        'users_logged_in': sum(not u.failed for u in users),
        'roles': {r: sum(u.role == r for u in users) for r, _, _ in ROLES},
        'seconds': elapsed,
        'login_seconds': logins,
        'requests': ok,
        'rps': ok / elapsed,
        'errors': errors,
        'all': {
            'p50': percentile(all_latencies, 50),
            'p95': percentile(all_latencies, 95),
            'p99': percentile(all_latencies, 99),
            },
        'kinds': kinds,
        'projects_submitted': total,
        'lost': lost[:20],
        'doubled': doubled[:20],
        'load_before': load_before,
        'load_after': load_after,
        }


def ms(value):
    return '–' if value is None else f'{value * 1000:.0f}'


def print_level(result, file=sys.stdout):
    print(f"\n{result['users']} users ({result['users_logged_in']} logged "
        f"in in {result['login_seconds']:.0f} s; {result['roles']}), "
        f"then {result['seconds']:.0f} s: "
        f"{result['requests']} requests, {result['rps']:.1f} req/s, "
        f"{result['errors']} errors; p50/p95/p99 "
        f"{ms(result['all']['p50'])}/{ms(result['all']['p95'])}/"
        f"{ms(result['all']['p99'])} ms; projects submitted or imported "
        f"{result['projects_submitted']}, lost {len(result['lost'])}, "
        f"doubled {len(result['doubled'])}; load average "
        f"{result['load_before']:.1f} → {result['load_after']:.1f}",
        file=file)
    print('| kind | calls | req/s | p50 ms | p95 ms | p99 ms | errors '
        '| apart |', file=file)
    print('|---|---:|---:|---:|---:|---:|---:|---:|', file=file)
    for kind, k in result['kinds'].items():
        print(f"| {kind} | {k['count']} | {k['rps']:.2f} | {ms(k['p50'])} "
            f"| {ms(k['p95'])} | {ms(k['p99'])} | {k['errors']} "
            f"| {k['busy_409']} |", file=file)
        for sample in k['error_samples']:
            print(f"  error: {sample}", file=file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--url', required=True,
        help="trytond's address, on 127.0.0.1")
    parser.add_argument('--database', required=True)
    parser.add_argument('--api-key', required=True,
        help="the REST API key of the demo's operator")
    parser.add_argument('--id-number', required=True,
        help="a valid USCC for the imported projects' borrower")
    parser.add_argument('--users', type=int, nargs='+', default=[10],
        help="simulated users, one run per number (default 10)")
    parser.add_argument('--duration', type=float, default=60,
        help="seconds of each run (default 60)")
    parser.add_argument('--ramp', type=float,
        help="seconds to start the users (default users/10, at most 20)")
    parser.add_argument('--think', type=float, nargs=2, default=[1, 3],
        metavar=('MIN', 'MAX'),
        help="seconds between a user's actions (default 1 3)")
    parser.add_argument('--timeout', type=float, default=60,
        help="seconds before a call fails (default 60)")
    parser.add_argument('--json', help="write the results to this file")
    options = parser.parse_args(argv)
    host = urllib.parse.urlsplit(options.url).hostname
    if host not in {'127.0.0.1', 'localhost'}:
        parser.error("only a server on 127.0.0.1 may be loaded")
    options.run = time.strftime('%H%M%S')
    results = []
    run = options.run
    for n in options.users:
        # unique loan contract numbers per run and level
        options.run = f'{run}-{n}'
        result = run_level(n, options)
        print_level(result)
        sys.stdout.flush()
        results.append(result)
        if options.json:
            with open(options.json, 'w') as file:
                json.dump(results, file, indent=2)
    failed = any(r['errors'] or r['lost'] or r['doubled']
        or r['users_logged_in'] < r['users'] for r in results)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
