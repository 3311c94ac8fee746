#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the monthly fee run

Creates a database with reguarantee_fees activated, a CNY company, 20
active institutions, three products (monthly act/365 on the re-guaranteed
amount, monthly act/360 on the loan, upfront act/365 on the guarantee) and N
filed projects starting in the month before this one, inserted in bulk (the
set-up is not timed); then times, in a child process on a fresh copy of it,
each in its own transaction and committed:

- run: Fee.run for last month, as the monthly cron does (N fees created);
- rerun: the same run again (nothing created: the idempotency check).

With --before PYTHON, each measure is also taken by another checkout's
code on another copy, alternated.  PostgreSQL uses TRYTOND_DATABASE__URI
(run under scripts/pg.sh run); SQLite a file database in a temporary
folder."""
import datetime as dt
import json
import random
import sys
from decimal import Decimal

import common

TEMPLATE = 'bench_fees'
INSTITUTIONS = 20


def last_month():
    from trytond.modules.reguarantee_fees.fee_run import last_month
    return last_month(dt.date.today())


def child_setup(options):
    "Create the database with the institutions, products and projects"
    common.activate(options.database, 'reguarantee_fees')
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    period_start, _ = last_month()
    with Transaction().start(options.database, 0) as transaction:
        Borrower = pool.get('reguarantee.borrower')
        company = common.create_company()
        with transaction.set_context(company=company.id):
            institutions = common.create_institutions(company, INSTITUTIONS)
            products = common.create_products(company, [
                    {'code': 'M365', 'fee_rate': Decimal('0.01'),
                        'fee_basis': 'reguaranteed', 'day_count': 'act365',
                        'fee_schedule': 'monthly'},
                    {'code': 'M360', 'fee_rate': Decimal('0.003'),
                        'fee_basis': 'loan', 'day_count': 'act360',
                        'fee_schedule': 'monthly'},
                    {'code': 'U365', 'fee_rate': Decimal('0.005'),
                        'fee_basis': 'guarantee', 'day_count': 'act365',
                        'fee_schedule': 'upfront'},
                    ], start_date=dt.date.today() - dt.timedelta(days=800))
            bank, = common.create_banks(common.BANKS[:1])
            borrower, = Borrower.create([{
                        'name': "合肥禾丰农业科技有限公司", 'kind': 'enterprise',
                        'id_number': common.uscc(999), 'industry': 'A0111'}])

        rng = random.Random(1)

        def projects():
            for i in range(options.projects):
                loan = Decimal(rng.randrange(100_000, 5_000_000, 1000))
                guarantee = loan * Decimal('0.8')
                start = period_start + dt.timedelta(days=rng.randrange(28))
                yield (
                    company.id, f'RP-B{i:07d}',
                    institutions[i % INSTITUTIONS].id, products[i % 3].id,
                    borrower.id, bank.id, f'L{i}', loan, guarantee,
                    guarantee * Decimal('0.2'), start,
                    start + dt.timedelta(days=365 * (1 + i % 3)), start,
                    None, 'filed')
        common.insert(
            'reguarantee_project', common.PROJECT_COLUMNS, projects())
        common.analyze()
    return {'company': company.id}


def child_run(options):
    "Time Fee.run of last month, then again"
    common.configure(options.database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    period_start, period_end = last_month()
    with Transaction().start(options.database, 0, readonly=True):
        pool.init()
        Company = pool.get('company.company')
        company_id, = [c.id for c in Company.search([])]
    results = {}
    for name in ['run', 'rerun']:
        # Fee.run locks the fees' table: the transaction starts with it
        # locked, as the cron and the dispatcher restart it to
        with Transaction().start(options.database, 0, context={
                    'company': company_id},
                _lock_tables=[pool.get('reguarantee.fee')._table]), \
                common.measure(common.backend_pid()) as figures:
            Fee = pool.get('reguarantee.fee')
            figures['created'] = Fee.run(
                period_start, period_end, Company(company_id))
        results[name] = figures
    with Transaction().start(options.database, 0, readonly=True):
        results['fees'] = pool.get('reguarantee.fee').search(
            [], count=True)
    return results


CHILDREN = {'setup': child_setup, 'run': child_run}


def get_parser():
    parser = common.get_parser(__doc__.split('\n')[0])
    parser.add_argument('--projects', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=1,
        help="how many times each code runs (default 1)")
    return parser


def main(argv=None):
    options = get_parser().parse_args(argv)
    if options.child:
        return common.run_child(CHILDREN, options)
    common.check_optimize()
    backend = common.Backend(options.backend)
    args = ['--projects', options.projects]
    results = []
    try:
        backend.drop(TEMPLATE)
        setup = backend.child(__file__, 'setup', TEMPLATE, *args)
        for _ in range(options.runs):
            for label, python in common.interpreters(options):
                database = backend.copy(TEMPLATE)
                result = backend.child(
                    __file__, 'run', database, *args, python=python)
                backend.drop(database)
                result['code'] = label
                print(json.dumps(result), file=sys.stderr)
                results.append(result)
        backend.drop(TEMPLATE)
    finally:
        backend.cleanup()
    print('%-10s %-6s %9s %-6s %8s %9s %7s %7s %5s' % (
            'backend', 'code', 'projects', 'step', 'created', 'seconds',
            'CPU s', 'server', 'load'))
    for result in results:
        for step in ['run', 'rerun']:
            r = result[step]
            print('%-10s %-6s %9d %-6s %8d %9.2f %7.2f %7s %5.2f' % (
                    options.backend, result['code'], options.projects, step,
                    r['created'], r['seconds'], r['cpu_s'],
                    '%.2f' % r['server_cpu_s'] if 'server_cpu_s' in r
                    else '–', r['load_avg'][0]))
    common.write_json(options.json, {
            'backend': options.backend, 'projects': options.projects,
            'setup': setup, 'runs': results})
    return 0


if __name__ == '__main__':
    sys.exit(main())
