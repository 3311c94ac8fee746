#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of letter screening with the provider's simulator

Creates a database with reguarantee_credit, a provider, an institution with
a signed contract (not timed), starts the business-information provider's
simulator as a process on a free port answering each report in 50–200 ms
(a latency fault of 0.05 s + up to 0.15 s), then times one batch of N
applications from M distinct enterprises (some apply twice):

- import: the CSV file read into a draft screening (create_screening);
- prepare: Screening.screen: borrowers registered, one look-up request per
  enterprise without a fresh look-up, the screening task queued; commit;
- process: the queue task, Screening.process: the requests sent W at a
  time by a thread pool (no database work in the threads), the exchanges
  logged, the look-ups stored, every application screened; commit.

Then the same applications are screened again: every look-up is fresh
(the cache), so no request is sent.  It checks that every application has
a result, that the provider charged each enterprise once and that the
daily quota was respected.  Run it with python -O.

    .venv/bin/python -O bench/letter_screening.py --applications 10000
"""
import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = 'bench_credit'
TOKEN = 'bench-token'


def get_parser():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--applications', type=int, default=10000)
    parser.add_argument(
        '--enterprises', type=int, default=8000,
        help="distinct applicants (default 8000: 2000 apply twice)")
    parser.add_argument(
        '--workers', type=int, default=48,
        help="concurrent look-ups (default 48)")
    parser.add_argument(
        '--quota', type=int, default=20000, help="the daily quota")
    parser.add_argument('--json', metavar='FILE')
    return parser


def start_simulator(folder, quota):
    return common.start_simulator('credit', folder, {
            'options': {'daily_quota': quota},
            'faults': {'seed': 1, 'faults': [{
                        'mode': 'latency', 'delay': 0.05, 'jitter': 0.15}]},
            }, TOKEN)


def setup(url, options):
    from trytond.modules.company.tests import create_company
    from trytond.modules.reguarantee_credit.tests.tools import (
        create_institution, create_provider)
    from trytond.modules.reguarantee_filing.tests.tools import transact
    from trytond.tests.test_tryton import activate_module

    activate_module('reguarantee_credit')

    def create():
        company = create_company()
        create_provider(
            company, url, TOKEN, timeout=10, workers=options.workers,
            daily_quota=options.quota, refresh_screening=30)
        institution = create_institution(
            company, net_assets=Decimal('2000000000'))
        return company.id, institution.id
    return transact(DATABASE, create)


def rows(options):
    from trytond.modules.reguarantee_credit.tests.tools import application_rows
    rows = application_rows(range(1, options.enterprises + 1))
    extra = options.applications - len(rows)
    for i, row in enumerate(rows[:extra]):
        row = list(row)
        row[6] = f'LC2-{i:06d}'
        rows.append(row)
    return rows[:options.applications]


def run(company_id, institution_id, applications):
    from trytond.modules.reguarantee_filing.tests.tools import transact
    from trytond.pool import Pool
    context = {'company': company_id}
    timings = {}

    def import_():
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        Screening = pool.get('reguarantee.letter.screening')
        return Screening.create_screening(
            Institution(institution_id), applications).id

    def prepare(screening_id):
        Screening = Pool().get('reguarantee.letter.screening')
        # as the button does, without queuing: the task runs below
        screening = Screening(screening_id)
        Screening.write([screening], {'state': 'screening'})
        Screening.prepare([screening])

    def process(screening_id):
        Screening = Pool().get('reguarantee.letter.screening')
        Screening.process([Screening(screening_id)])

    start = time.perf_counter()
    screening_id = transact(DATABASE, import_, context=context)
    timings['import_seconds'] = time.perf_counter() - start
    start = time.perf_counter()
    transact(DATABASE, prepare, screening_id, context=context)
    timings['prepare_seconds'] = time.perf_counter() - start
    start = time.perf_counter()
    transact(DATABASE, process, screening_id, context=context)
    timings['process_seconds'] = time.perf_counter() - start
    return screening_id, {k: round(v, 2) for k, v in timings.items()}


def results(screening_id):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0, readonly=True):
        pool = Pool()
        Screening = pool.get('reguarantee.letter.screening')
        Request = pool.get('reguarantee.credit.request')
        Lookup = pool.get('reguarantee.credit.lookup')
        screening = Screening(screening_id)
        return {
            'state': screening.state,
            'pass': screening.pass_count,
            'refer': screening.refer_count,
            'decline': screening.decline_count,
            'requests': Request.search(
                [('screening', '=', screening_id)], count=True),
            'lookups_total': Lookup.search([], count=True),
            'charged_total': Lookup.search(
                [('charged', '=', True)], count=True),
            }


def main(argv=None):
    options = get_parser().parse_args(argv)
    if not sys.flags.optimize:
        sys.exit("run the benchmark with python -O")
    folder = tempfile.mkdtemp(prefix='bench-credit-')
    os.environ.update({
            'DB_NAME': DATABASE,
            'TRYTOND_DATABASE__URI': 'sqlite://',
            'TRYTOND_DATABASE__PATH': folder,
            'TRYTOND_QUEUE__WORKER': 'True',
            })
    os.environ.pop('DB_CACHE', None)
    os.environ.pop('TRYTOND_CONFIG', None)
    simulator, url = start_simulator(folder, options.quota)
    try:
        start = time.perf_counter()
        company_id, institution_id = setup(url, options)
        applications = rows(options)
        print("setup: %.1f s" % (time.perf_counter() - start),
            file=sys.stderr)
        result = {
            'applications': len(applications),
            'enterprises': options.enterprises,
            'workers': options.workers,
            'daily_quota': options.quota,
            'latency': '50-200 ms',
            }
        for name in ['cold', 'cached']:
            simulator_cpu = common.server_cpu_seconds(simulator.pid)
            cpu, wall = time.process_time(), time.perf_counter()
            screening_id, timings = run(
                company_id, institution_id, applications)
            result[name] = {
                'wall_seconds': round(time.perf_counter() - wall, 2),
                'cpu_seconds': round(time.process_time() - cpu, 2),
                'simulator_cpu_seconds': round(common.server_cpu_seconds(
                            simulator.pid) - simulator_cpu, 2),
                **timings,
                **results(screening_id),
                }
            print(name, json.dumps(result[name]), file=sys.stderr)
        state = json.loads(subprocess.run([
                    sys.executable, '-c',
                    'import sys, json; from simulators.server import '
                    'SimulatorClient; s = SimulatorClient(sys.argv[1]'
                    ').state(); print(json.dumps({"reports": s["reports"],'
                    ' "charged": s["charged"]}))', url],
                cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout)
        result['provider_reports'] = state['reports']
        result['provider_charged_today'] = state['charged'].get(
            dt.date.today().isoformat(), 0)
        result['load'] = os.getloadavg()[0]
        print(json.dumps(result, indent=2))
        if options.json:
            with open(options.json, 'w') as fp:
                json.dump(result, fp, indent=2)
        cold, cached = result['cold'], result['cached']
        screened = cold['pass'] + cold['refer'] + cold['decline']
        ok = (screened == len(applications)
            and cold['state'] == cached['state'] == 'done'
            and result['provider_charged_today'] == min(
                options.enterprises, options.quota)
            and cached['requests'] == 0
            and cold['wall_seconds'] <= 60)
        return 0 if ok else 1
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
