#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the risk snapshot over a large portfolio

Creates a database with reguarantee_risk activated and the portfolio of
common.py (N projects of I institutions over N/2 borrowers with their
compensations and recoveries, inserted in bulk), then times, each in a
child process, Snapshot.compute for today (every institution and the
company) up to its commit, with the time of each aggregate; with --before,
alternated with the same computation by another checkout's code.

Today's snapshot reads the balances stored by borrower, refreshed for the
borrowers changed since the last snapshot: before each run a child makes a
day's changes (--changes projects, half released today, half with their
amounts edited) and dates the last refresh yesterday, as after yesterday's
snapshot (warm); with --cold the stored balances are dropped instead, so
that the snapshot rebuilds them all.  The first day ages the portfolio
inserted by the set-up by two days (it is not today's changes).

PostgreSQL uses TRYTOND_DATABASE__URI (run under scripts/pg.sh run, or
start a cluster with scripts/pg.sh start to --reuse the database); SQLite a
file database in a temporary folder."""
import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import time
from decimal import Decimal

import common

DATABASE = 'bench_risk'
#: code, liability class, re-guarantor share
PRODUCTS = [
    ('PH-4222', 'small_micro', Decimal('0.2')),
    ('DB-4321', 'small_micro', Decimal('0.3')),
    ('ZF-5050', 'housing', Decimal('0.5')),
    ]


def child_setup(options):
    "Activate the module, create the company and load the portfolio"
    import random
    start = time.perf_counter()
    common.activate(options.database, 'reguarantee_risk')
    activated = time.perf_counter() - start
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    rng = random.Random(2)
    with Transaction().start(options.database, 0) as transaction:
        ConfigurationCompany = pool.get('reguarantee.configuration.company')
        company = common.create_company()
        with transaction.set_context(company=company.id):
            # the company's value: creating the singleton would lock
            ConfigurationCompany.create([{
                        'company': company.id,
                        'net_assets': Decimal('20000000000'),
                        }])
            institutions = common.create_institutions(
                company, options.institutions, lambda i: {
                    'net_assets': Decimal(rng.randrange(300, 3000)) * 10 ** 6,
                    'small_micro_agriculture': i % 3 == 0,
                    'quota_amount': Decimal(rng.randrange(1, 20)) * 10 ** 8,
                    })
            products = common.create_products(company, [{
                        'code': code, 'liability_class': liability_class,
                        'guarantee_type': 'financing', 'mode': 'batch',
                        'fee_basis': 'guarantee', 'day_count': 'act365',
                        'share_institution': Decimal(1) - share,
                        'share_reguarantor': share, 'share_fund': 0,
                        'share_bank': 0, 'share_government': 0,
                        } for code, liability_class, share in PRODUCTS])
            start = time.perf_counter()
            counts = common.insert_portfolio(
                company, institutions, products, options.projects)
            loaded = time.perf_counter() - start
    return {'activate_seconds': activated, 'load_seconds': loaded, **counts}


def child_day(options):
    """Make a day's changes: the stored balances refreshed yesterday (or
    dropped with --cold), options.changes projects in force changed"""
    import random

    from sql import Null, Select
    from sql.conditionals import Case
    from sql.functions import CurrentTimestamp
    common.configure(options.database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    today = dt.date.today()
    with Transaction().start(options.database, 0) as transaction:
        pool.init()
        Company = pool.get('company.company')
        Project = pool.get('reguarantee.project')
        cursor = transaction.connection.cursor()
        company, = Company.search([])
        project = Project.__table__()
        cursor.execute(*Select([CurrentTimestamp()]))
        now, = cursor.fetchone()
        now = now.replace(tzinfo=None)
        # the set-up's rows and the previous days' changes (in the balances
        # refreshed since) are history, not the day's changes
        aged = now - dt.timedelta(days=2)
        for name in [
                'reguarantee.project', 'reguarantee.borrower',
                'reguarantee.product', 'reguarantee.compensation']:
            table = pool.get(name).__table__()
            since = now - dt.timedelta(days=1)
            columns = [table.create_date, table.write_date]
            cursor.execute(*table.update(columns, [
                        Case((c > since, aged), else_=c) for c in columns],
                    where=(table.create_date > since)
                    | (table.write_date > since)))
        try:
            Balance = pool.get('reguarantee.risk.balance')
        except KeyError:
            return {}
        Refresh = pool.get('reguarantee.risk.balance.refresh')
        refresh = Refresh.__table__()
        if options.cold:
            Balance.invalidate()
        else:
            cursor.execute(*refresh.select(refresh.id, limit=1))
            if not cursor.fetchone():
                with transaction.set_context(company=company.id):
                    Balance.refresh(
                        company.id, today - dt.timedelta(days=1),
                        company.currency.digits)
            cursor.execute(*refresh.update(
                    [refresh.date],
                    [today - dt.timedelta(days=options.refreshed_days_ago)]))
        rng = random.Random()
        cursor.execute(*project.select(
                project.id, where=(project.state == 'filed')
                & (project.start_date <= today)
                & (project.release_date == Null),
                order_by=[project.id.desc], limit=options.changes * 50))
        ids = rng.sample([i for i, in cursor], options.changes)
        released = Project.browse(ids[:len(ids) // 2])
        edited = Project.browse(ids[len(ids) // 2:])
        with transaction.set_context(company=company.id):
            Project.write(released, {
                    'state': 'released', 'release_date': today})
            for record in edited:
                record.guarantee_amount = (
                    record.guarantee_amount * Decimal('0.9')).quantize(
                    Decimal('0.01'))
                record.reguaranteed_amount = (
                    record.reguaranteed_amount * Decimal('0.9')).quantize(
                    Decimal('0.01'))
            Project.save(edited)
    return {'released': len(released), 'edited': len(edited)}


def cluster_cpu_seconds(pid):
    """Return the user + system CPU seconds of the PostgreSQL cluster of the
    backend pid: its postmaster's exited children (parallel workers
    included) and its running processes, or None when they cannot be read
    (the backend's own figure leaves out the parallel workers)"""
    def stat(pid):
        with open('/proc/%d/stat' % pid) as file:
            return file.read().rsplit(')', 1)[1].split()
    tick = os.sysconf('SC_CLK_TCK')
    try:
        postmaster = int(stat(pid)[1])
        fields = stat(postmaster)
        total = sum(int(f) for f in fields[11:15])
        for name in os.listdir('/proc'):
            if not name.isdigit():
                continue
            try:
                fields = stat(int(name))
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
    except (OSError, TypeError):
        return None
    return total / tick


def values_digest(snapshots):
    """Return a digest of the stored values of the snapshots and of their
    shares, to compare two codes' results"""
    from trytond.model import fields
    names = sorted(
        n for n, f in snapshots[0]._fields.items()
        if isinstance(f, (fields.Numeric, fields.Integer, fields.Selection))
        and not isinstance(f, fields.Function) and n != 'id')
    rows = sorted(
        (s.institution.id if s.institution else 0,
            [(n, str(getattr(s, n))) for n in names],
            sorted((h.kind, h.code or '', str(h.amount), str(h.rate))
                for h in s.shares))
        for s in snapshots)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def child_snapshot(options):
    "Time Snapshot.compute of today with each of its aggregates"
    common.configure(options.database)
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

    # the steps of the code measured that exist (the code may be another
    # checkout's)
    for class_ in [indicator.Portfolio,
            getattr(indicator, 'StoredPortfolio', None)]:
        for name, function in list(vars(class_ or object).items()):
            if name.startswith('_') and isinstance(function, staticmethod):
                setattr(class_, name, staticmethod(
                        timed(name, function.__func__)))
    for module, name in [
            (indicator, 'in_force_query'), (snapshot, 'loss_figures')]:
        if hasattr(module, name):
            setattr(module, name, timed(name, getattr(module, name)))
    original = getattr(indicator.in_force_lines, '__wrapped__', None)
    if original:
        @contextlib.contextmanager
        def lines(*args, **kwargs):
            start = time.perf_counter()
            generator = original(*args, **kwargs)
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
        try:
            Balance = pool.get('reguarantee.risk.balance')
        except KeyError:
            Balance = None
        if Balance:
            refresh = Balance.refresh

            def refreshed(*args, **kwargs):
                borrowers = refresh(*args, **kwargs)
                timings['borrowers_refreshed'] = (
                    len(borrowers) if borrowers is not None else 'all')
                return borrowers
            Balance.refresh = timed('refresh', refreshed)
    with Transaction().start(options.database, 0) as transaction, \
            transaction.set_context(company=company_id):
        pid = common.backend_pid()
        cluster_start = cluster_cpu_seconds(pid)
        with common.measure(pid) as figures:
            Snapshot = pool.get('reguarantee.risk.snapshot')
            snapshots = Snapshot.compute(
                dt.date.today(), [Company(company_id)])
            total = next(s for s in snapshots if not s.institution)
        cluster_end = cluster_cpu_seconds(pid)
        if cluster_end is not None:
            figures['cluster_cpu_s'] = cluster_end - cluster_start
        result = {
            'snapshots': len(snapshots),
            'values_digest': values_digest(snapshots),
            'projects_in_force': total.project_count,
            'reguarantee_balance': str(total.reguarantee_balance),
            'compensation_rate': str(total.compensation_rate),
            }
    return {**result, **figures, 'timings': timings}


CHILDREN = {
    'setup': child_setup, 'day': child_day, 'snapshot': child_snapshot}


def get_parser():
    parser = common.get_parser(__doc__.split('\n')[0])
    parser.add_argument('--projects', type=int, default=1_000_000)
    parser.add_argument('--institutions', type=int, default=100)
    parser.add_argument('--runs', type=int, default=3,
        help="how many times the snapshot is computed (default 3)")
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of a previous run (PostgreSQL) and keep it")
    parser.add_argument('--changes', type=int, default=300,
        help="how many projects change each day before a run (default 300)")
    parser.add_argument('--refreshed-days-ago', type=int, default=1,
        help="the date of the last refresh of the warm runs, in days before "
        "today (default 1; 0: the dates passed since the set-up are left "
        "out, the set-up piles its releases and payments on its own day)")
    parser.add_argument('--cold', action='store_true',
        help="drop the stored balances before each run: they are rebuilt")
    return parser


def main(argv=None):
    options = get_parser().parse_args(argv)
    if options.child:
        return common.run_child(CHILDREN, options)
    common.check_optimize()
    backend = common.Backend(options.backend)
    args = ['--projects', options.projects,
        '--institutions', options.institutions]
    try:
        if options.reuse and backend.exists(DATABASE):
            setup = {}
        else:
            backend.drop(DATABASE)
            setup = backend.child(
                __file__, 'setup', DATABASE, *args)
        print(json.dumps(setup), file=sys.stderr)
        runs = []
        day_args = [*args, '--changes', options.changes,
            '--refreshed-days-ago', options.refreshed_days_ago] + (
            ['--cold'] if options.cold else [])
        for _ in range(options.runs):
            day = backend.child(__file__, 'day', DATABASE, *day_args)
            print(json.dumps(day), file=sys.stderr)
            for label, python in common.interpreters(options):
                run = backend.child(
                    __file__, 'snapshot', DATABASE, *args, python=python)
                run['code'] = label
                print(json.dumps(run), file=sys.stderr)
                runs.append(run)
        if not options.reuse:
            backend.drop(DATABASE)
    finally:
        backend.cleanup()
    print('%-10s %-6s %9s %9s %9s %9s %9s %9s %5s %s' % (
            'backend', 'code', 'projects', 'seconds', 'cpu', 'server',
            'cluster', 'peak MiB', 'load', 'values'))
    for run in runs:
        print('%-10s %-6s %9d %9.2f %9.2f %9s %9s %9.0f %5.2f %s' % (
                options.backend, run['code'], options.projects,
                run['seconds'], run['cpu_s'],
                '%.2f' % run['server_cpu_s'] if 'server_cpu_s' in run
                else '–',
                '%.2f' % run['cluster_cpu_s'] if 'cluster_cpu_s' in run
                else '–',
                run['peak_rss_mib'], run['load_avg'][0],
                run['values_digest']))
    common.write_json(options.json, {
            'backend': options.backend, 'setup': setup, 'runs': runs})
    return 0


if __name__ == '__main__':
    sys.exit(main())
