#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the risk snapshot over a large portfolio

Creates a database with reguarantee_risk activated, loads in bulk (COPY on
PostgreSQL, executemany on SQLite) N projects of I institutions over N/2
borrowers with their compensations and recoveries, then times, in a child
process, Snapshot.compute for today (every institution and the company) up
to its commit, with the time of each aggregate.

Run it with python -O.  PostgreSQL uses TRYTOND_DATABASE__URI (run under
scripts/pg.sh run); SQLite uses a file database in a temporary folder."""
import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

DATABASE = 'bench_risk'
#: The projects' states and their weights
STATES = [
    ('filed', 78), ('submitted', 8), ('released', 10), ('compensated', 2),
    ('closed', 1), ('draft', 1)]
KINDS = [
    ('enterprise', 50), ('individual_business', 25), ('farmer', 20),
    ('person', 5)]
INDUSTRIES = [
    'A0111', 'A0311', 'A0511', 'C1311', 'C1713', 'C2110', 'C3311', 'C3899',
    'E4710', 'F5110', 'F5211', 'G5430', 'H6110', 'H6210', 'I6510', 'M7320']
REGIONS = [
    '340102', '340104', '340202', '340302', '340402', '340503', '340802',
    '341102', '341202', '341502', '341602', '341802']
#: code, liability class, re-guarantor share
PRODUCTS = [
    ('PH-4222', 'small_micro', Decimal('0.2')),
    ('DB-4321', 'small_micro', Decimal('0.3')),
    ('ZF-5050', 'housing', Decimal('0.5')),
    ]


def weighted(rng, choices):
    return rng.choices(
        [c for c, _ in choices], weights=[w for _, w in choices])[0]


def uscc(serial, prefix='91340100'):
    "make_uscc of the module's tests, imported once trytond is configured"
    from trytond.modules.reguarantee_base.tests.tools import make_uscc
    return make_uscc(serial, prefix)


def resident_id(serial):
    from trytond.modules.reguarantee_base.identity import (
        resident_id_check_character)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=serial // 1000)
    body = f'340102{birth:%Y%m%d}{serial % 1000:03d}'
    return body + resident_id_check_character(body)


# Child processes ----------------------------------------------------------

def child_setup(options):
    "Activate the module, create the company and load the portfolio"
    os.environ['DB_NAME'] = options.database
    from trytond.tests.test_tryton import activate_module
    start = time.perf_counter()
    activate_module('reguarantee_risk')
    activated = time.perf_counter() - start
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    with Transaction().start(options.database, 0) as transaction:
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        ConfigurationCompany = pool.get(
            'reguarantee.configuration.company')
        currency, = Currency.create([{
                    'name': "Yuan Renminbi", 'code': 'CNY', 'symbol': '¥',
                    'digits': 2, 'rounding': Decimal('0.01'),
                    }])
        party, = Party.create([{'name': "安徽省再担保公司"}])
        company, = Company.create([{
                    'party': party.id, 'currency': currency.id}])
        with transaction.set_context(company=company.id):
            # the company's value: creating the singleton would lock
            ConfigurationCompany.create([{
                        'company': company.id,
                        'net_assets': Decimal('20000000000'),
                        }])
            start = time.perf_counter()
            counts = load(pool, company, options)
            loaded = time.perf_counter() - start
    return {'activate_seconds': activated, 'load_seconds': loaded, **counts}


def load(pool, company, options):
    "Insert the institutions, products, borrowers, projects in bulk"
    from trytond.transaction import Transaction
    Institution = pool.get('reguarantee.institution')
    Product = pool.get('reguarantee.product')
    Party = pool.get('party.party')
    rng = random.Random(1)
    today = dt.date.today()
    institutions = Institution.create([{
                'company': company.id, 'code': f'GI{i:03d}',
                'name': f'担保机构 {i}', 'uscc': uscc(i, '91340000'),
                'state': 'active', 'license_number': f'WD-{i}',
                'license_expiry': today + dt.timedelta(days=700),
                'net_assets': Decimal(rng.randrange(300, 3000)) * 10 ** 6,
                'small_micro_agriculture': i % 3 == 0,
                'quota_amount': Decimal(rng.randrange(1, 20)) * 10 ** 8,
                } for i in range(1, options.institutions + 1)])
    products = Product.create([{
                'company': company.id, 'code': code, 'name': code,
                'guarantee_type': 'financing', 'mode': 'batch',
                'fee_rate': Decimal('0.005'), 'fee_basis': 'guarantee',
                'day_count': 'act365',
                'share_institution': Decimal(1) - share,
                'share_reguarantor': share, 'share_fund': 0,
                'share_bank': 0, 'share_government': 0,
                'liability_class': liability_class,
                'start_date': today - dt.timedelta(days=5 * 365),
                } for code, liability_class, share in PRODUCTS])
    bank, = Party.create([{'name': "徽商银行"}])
    transaction = Transaction()
    cursor = transaction.connection.cursor()

    borrower_count = max(options.projects // 2, 1)
    borrowers = []
    for i in range(borrower_count):
        kind = weighted(rng, KINDS)
        borrowers.append((
                f'借款人 {i}', kind,
                uscc(i) if kind in {'enterprise', 'individual_business'}
                else resident_id(i),
                rng.choice(INDUSTRIES), rng.choice(REGIONS),
                f'G{i // 5}' if i % 20 < 5 else None))
    insert(cursor, 'reguarantee_borrower', [
            'name', 'kind', 'id_number', 'industry', 'region',
            'related_group'], borrowers)
    cursor.execute(
        'SELECT id FROM reguarantee_borrower ORDER BY id')
    borrower_ids = [r for r, in cursor]

    projects, compensated = [], []
    for i in range(options.projects):
        institution = institutions[
            min(int(rng.paretovariate(1.2)) - 1, len(institutions) - 1)]
        product_index = rng.randrange(len(products))
        share = PRODUCTS[product_index][2]
        loan = Decimal(rng.randrange(10, 600)) * 10 ** 4
        guarantee = loan * Decimal('0.8')
        start = today - dt.timedelta(days=rng.randrange(1, 3 * 365))
        state = weighted(rng, STATES)
        release = (
            start + dt.timedelta(days=rng.randrange(30, 360))
            if state == 'released' else None)
        if release and release > today:
            release = today
        projects.append((
                company.id, f'RP-{i:07d}', institution.id,
                products[product_index].id, rng.choice(borrower_ids),
                bank.id, f'L-{i:07d}', loan, guarantee,
                guarantee * share, start, start + dt.timedelta(days=365),
                start, release, state))
        if state in {'compensated', 'closed'}:
            compensated.append((i, guarantee * share, start))
    insert(cursor, 'reguarantee_project', [
            'company', 'number', 'institution', 'product', 'borrower',
            'bank', 'loan_contract_number', 'loan_amount',
            'guarantee_amount', 'reguaranteed_amount', 'start_date',
            'end_date', 'filing_date', 'release_date', 'state'], projects)
    cursor.execute(
        'SELECT id FROM reguarantee_project ORDER BY id')
    project_ids = [r for r, in cursor]

    compensations = []
    for index, reguaranteed, start in compensated:
        payment = min(start + dt.timedelta(days=rng.randrange(60, 300)),
            today)
        claim = (reguaranteed * Decimal('0.9')).quantize(Decimal('0.01'))
        compensations.append((
                company.id, project_ids[index], payment, claim, 0, claim,
                Decimal(1), claim, payment, 'paid'))
    insert(cursor, 'reguarantee_compensation', [
            'company', 'project', 'default_date', 'principal', 'interest',
            'amount_paid_by_institution', 'share', 'claim_amount',
            'payment_date', 'state'], compensations)
    cursor.execute(
        'SELECT id, claim_amount, payment_date '
        'FROM reguarantee_compensation ORDER BY id')
    recoveries = [
        (company.id, id_, payment, claim / 4, claim / 4, 'confirmed')
        for id_, claim, payment in list(cursor)[::3]]
    insert(cursor, 'reguarantee_recovery', [
            'company', 'compensation', 'date', 'amount',
            'reguarantor_amount', 'state'], recoveries)
    if transaction.database.has_returning():
        cursor.execute('ANALYZE')
    return {
        'institutions': len(institutions), 'borrowers': len(borrowers),
        'projects': len(projects), 'compensations': len(compensations),
        'recoveries': len(recoveries)}


def insert(cursor, table, columns, rows, size=10000):
    "Insert the rows: COPY on PostgreSQL, executemany on SQLite"
    now = dt.datetime.now()
    columns = ['create_uid', 'create_date'] + columns
    names = ', '.join('"%s"' % c for c in columns)
    if hasattr(cursor, 'copy'):
        with cursor.copy(
                'COPY "%s" (%s) FROM STDIN' % (table, names)) as copy:
            for row in rows:
                copy.write_row((0, now) + tuple(row))
    else:
        query = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
            table, names, ', '.join('?' * len(columns)))
        for i in range(0, len(rows), size):
            cursor.executemany(query, [
                    (0, now) + tuple(
                        str(v) if isinstance(v, Decimal) else v
                        for v in row)
                    for row in rows[i:i + size]])


def child_snapshot(options):
    "Time Snapshot.compute of today with each of its aggregates"
    from trytond import config
    config.update_etc()
    from trytond.modules.reguarantee_risk import indicator, snapshot
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    timings = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name] = timings.get(name, 0) + (
                    time.perf_counter() - start)
        return wrapper

    for name in [
            '_totals', '_top', '_related', '_shares', '_company_top',
            '_company_related']:
        setattr(indicator.Portfolio, name, staticmethod(timed(
                    name, getattr(indicator.Portfolio, name))))
    indicator.in_force_query = timed(
        'in_force_query', indicator.in_force_query)
    snapshot.loss_figures = timed('loss_figures', snapshot.loss_figures)
    original = indicator.in_force_lines.__wrapped__

    @contextlib.contextmanager
    def lines(*args):
        start = time.perf_counter()
        generator = original(*args)
        table = next(generator)
        timings['in_force_table'] = time.perf_counter() - start
        try:
            yield table
        finally:
            generator.close()
    indicator.in_force_lines = lines

    pool = Pool(options.database)
    with Transaction().start(options.database, 0, readonly=True):
        pool.init()
        Company = pool.get('company.company')
        company_id, = [c.id for c in Company.search([])]
    cpu = time.process_time()
    start = time.perf_counter()
    with Transaction().start(options.database, 0) as transaction:
        with transaction.set_context(company=company_id):
            company = Company(company_id)
            Snapshot = pool.get('reguarantee.risk.snapshot')
            snapshots = Snapshot.compute(dt.date.today(), [company])
            total = next(s for s in snapshots if not s.institution)
            result = {
                'snapshots': len(snapshots),
                'projects_in_force': total.project_count,
                'reguarantee_balance': str(total.reguarantee_balance),
                'compensation_rate': str(total.compensation_rate),
                }
    seconds = time.perf_counter() - start
    result.update({
            'seconds': seconds, 'cpu_seconds': time.process_time() - cpu,
            'peak_rss_mib': resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024,
            'timings': timings,
            })
    return result


CHILDREN = {'setup': child_setup, 'snapshot': child_snapshot}


# Parent -------------------------------------------------------------------

def child(options, command, env):
    args = [sys.executable, '-O', os.path.abspath(__file__),
        '--child', command, '--database', options.database,
        '--projects', str(options.projects),
        '--institutions', str(options.institutions)]
    process = subprocess.run(
        args, env=env, stdout=subprocess.PIPE, check=True)
    return json.loads(process.stdout.decode().splitlines()[-1])


def get_parser():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--projects', type=int, default=1_000_000)
    parser.add_argument('--institutions', type=int, default=100)
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default='sqlite')
    parser.add_argument('--runs', type=int, default=3,
        help="how many times the snapshot is computed (default 3)")
    parser.add_argument('--json', metavar='FILE',
        help="write the results to this file")
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of a previous run (PostgreSQL) and keep it")
    parser.add_argument('--child', choices=sorted(CHILDREN),
        help=argparse.SUPPRESS)
    parser.add_argument('--database', default=DATABASE,
        help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    options = get_parser().parse_args(argv)
    if options.child:
        result = CHILDREN[options.child](options)
        sys.stdout.write('\n' + json.dumps(result) + '\n')
        return 0
    if not sys.flags.optimize:
        sys.exit("run the benchmark with python -O")
    env = dict(os.environ)
    env.pop('DB_CACHE', None)
    folder = tempfile.mkdtemp(prefix='bench-risk-')
    if options.backend == 'sqlite':
        env['TRYTOND_DATABASE__URI'] = 'sqlite://'
        env['TRYTOND_DATABASE__PATH'] = folder
    elif not env.get('TRYTOND_DATABASE__URI', '').startswith('postgresql'):
        sys.exit("TRYTOND_DATABASE__URI must be a postgresql:// URI "
            "(run under scripts/pg.sh run)")
    try:
        setup = {} if options.reuse else child(options, 'setup', env)
        print(json.dumps(setup), file=sys.stderr)
        runs = []
        for _ in range(options.runs):
            run = child(options, 'snapshot', env)
            print(json.dumps(run), file=sys.stderr)
            runs.append(run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print('%-10s %9s %9s %9s %9s' % (
            'backend', 'projects', 'seconds', 'cpu', 'peak MiB'))
    for run in runs:
        print('%-10s %9d %9.2f %9.2f %9.0f' % (
                options.backend, options.projects, run['seconds'],
                run['cpu_seconds'], run['peak_rss_mib']))
    if options.json:
        with open(options.json, 'w') as file:
            json.dump({
                    'date': dt.datetime.now().isoformat(timespec='seconds'),
                    'backend': options.backend, 'setup': setup,
                    'runs': runs}, file, indent=2, ensure_ascii=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
