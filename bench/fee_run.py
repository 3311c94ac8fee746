#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the monthly fee run

Creates a database with reguarantee_fees activated, a CNY company, 20
active institutions, three products (monthly act/365 on the re-guaranteed
amount, monthly act/360 on the loan, upfront act/365 on the guarantee) and N
filed projects starting in the month before this one, inserted with one
query per chunk (the setup is not timed); then times, each in its own
transaction and committed:

- run: Fee.run for last month, as the monthly cron does (N fees created);
- rerun: the same run again (nothing created: the idempotency check).

Wall and CPU (process) seconds are printed and written with --json.  Run it
with python -O.  PostgreSQL uses TRYTOND_DATABASE__URI (run under
scripts/pg.sh run); SQLite uses a file database in a temporary folder."""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal

DATABASE = 'bench_fees'
INSTITUTIONS = 20


def uscc(serial, prefix='91340100'):
    "make_uscc of the module's tests, imported once trytond is configured"
    from trytond.modules.reguarantee_base.tests.tools import make_uscc
    return make_uscc(serial, prefix)


def setup(database, count, period_start):
    "Create the database with the institutions, products and projects"
    os.environ['DB_NAME'] = database
    from trytond.tests.test_tryton import activate_module
    activate_module('reguarantee_fees')
    from sql import Column

    from trytond import backend
    from trytond.pool import Pool
    from trytond.tools import grouped_slice
    from trytond.transaction import Transaction
    pool = Pool(database)
    today = dt.date.today()
    with Transaction().start(database, 0) as transaction:
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        Institution = pool.get('reguarantee.institution')
        Product = pool.get('reguarantee.product')
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        currency, = Currency.create([{
                    'name': "Yuan Renminbi", 'code': 'CNY', 'symbol': '¥',
                    'digits': 2, 'rounding': Decimal('0.01'),
                    }])
        party, = Party.create([{'name': "安徽省再担保公司"}])
        company, = Company.create([{
                    'party': party.id, 'currency': currency.id}])
        with transaction.set_context(company=company.id):
            institutions = Institution.create([{
                        'code': f'GI{i:03d}', 'name': f'担保机构{i}',
                        'uscc': uscc(i),
                        'license_number': f'WD-{i}',
                        'license_expiry': today + dt.timedelta(days=700),
                        'net_assets': Decimal('1000000000'),
                        'company': company.id,
                        } for i in range(1, INSTITUTIONS + 1)])
            shares = {
                'share_institution': Decimal('0.4'),
                'share_reguarantor': Decimal('0.2'),
                'share_fund': Decimal('0.2'),
                'share_bank': Decimal('0.2'),
                'start_date': today - dt.timedelta(days=800),
                }
            products = Product.create([
                    {'code': 'M365', 'name': 'M365', 'fee_rate':
                        Decimal('0.01'), 'fee_basis': 'reguaranteed',
                        'day_count': 'act365', 'fee_schedule': 'monthly',
                        **shares},
                    {'code': 'M360', 'name': 'M360', 'fee_rate':
                        Decimal('0.003'), 'fee_basis': 'loan',
                        'day_count': 'act360', 'fee_schedule': 'monthly',
                        **shares},
                    {'code': 'U365', 'name': 'U365', 'fee_rate':
                        Decimal('0.005'), 'fee_basis': 'guarantee',
                        'day_count': 'act365', 'fee_schedule': 'upfront',
                        **shares},
                    ])
            bank, = Party.create([{'name': "徽商银行合肥分行"}])
            borrower, = Borrower.create([{
                        'name': "合肥禾丰农业科技有限公司", 'kind': 'enterprise',
                        'id_number': uscc(999), 'industry': 'A0111'}])
        institution = Institution.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*institution.update(
                [institution.state], ['active']))

        random.seed(1)
        project = Project.__table__()
        names = [
            'company', 'number', 'institution', 'product', 'borrower',
            'bank', 'loan_contract_number', 'loan_amount',
            'guarantee_amount', 'reguaranteed_amount', 'start_date',
            'end_date', 'filing_date', 'state', 'create_uid']
        rows = []
        for i in range(count):
            loan = Decimal(random.randrange(100_000, 5_000_000, 1000))
            guarantee = loan * Decimal('0.8')
            start = period_start + dt.timedelta(days=random.randrange(28))
            rows.append([
                    company.id, f'RP-B{i:07d}',
                    institutions[i % INSTITUTIONS].id,
                    products[i % 3].id, borrower.id, bank.id, f'L{i}',
                    loan, guarantee, guarantee * Decimal('0.2'),
                    start, start + dt.timedelta(days=365 * (1 + i % 3)),
                    start, 'filed', 0])
        columns = [Column(project, n) for n in names]
        size = backend.MAX_QUERY_PARAMS // len(columns)
        for sub_rows in grouped_slice(rows, size):
            cursor.execute(*project.insert(columns, list(sub_rows)))
    return company.id


def measure(database, company_id, period_start, period_end):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    results = {}
    for name in ['run', 'rerun']:
        wall, cpu = time.perf_counter(), time.process_time()
        # Fee.run locks the fees' table: the transaction starts with it
        # locked, as the cron and the dispatcher restart it to
        with Transaction().start(database, 0, context={
                    'company': company_id},
                _lock_tables=[pool.get('reguarantee.fee')._table]):
            Company = pool.get('company.company')
            Fee = pool.get('reguarantee.fee')
            created = Fee.run(period_start, period_end, Company(company_id))
        results[name] = {
            'created': created,
            'seconds': round(time.perf_counter() - wall, 2),
            'cpu_seconds': round(time.process_time() - cpu, 2),
            }
    with Transaction().start(database, 0, readonly=True):
        Fee = pool.get('reguarantee.fee')
        results['fees'] = Fee.search([], count=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--projects', type=int, default=100_000)
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default='sqlite')
    parser.add_argument('--json', metavar='FILE')
    options = parser.parse_args(argv)
    if not sys.flags.optimize:
        sys.exit("run the benchmark with python -O")
    folder = tempfile.mkdtemp(prefix='bench-fees-')
    try:
        if options.backend == 'sqlite':
            os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
            os.environ['TRYTOND_DATABASE__PATH'] = folder
        elif not os.environ.get('TRYTOND_DATABASE__URI', '').startswith(
                'postgresql'):
            sys.exit("TRYTOND_DATABASE__URI must be a postgresql:// URI "
                "(run under scripts/pg.sh run)")
        os.environ.pop('DB_CACHE', None)
        from trytond import config
        config.update_etc()
        from trytond.modules.reguarantee_fees.fee_run import last_month
        period_start, period_end = last_month(dt.date.today())
        started = time.perf_counter()
        company_id = setup(DATABASE, options.projects, period_start)
        result = {
            'backend': options.backend,
            'projects': options.projects,
            'period': [period_start.isoformat(), period_end.isoformat()],
            'setup_seconds': round(time.perf_counter() - started, 1),
            'load': os.getloadavg(),
            }
        result.update(measure(DATABASE, company_id, period_start, period_end))
        result['projects_per_second'] = round(
            options.projects / result['run']['seconds'])
        print(json.dumps(result, indent=2))
        if options.json:
            with open(options.json, 'w') as file:
                json.dump(result, file, indent=2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
