#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of filing projects with the National Fund's simulator

Creates a database with reguarantee_filing and N filed projects (not
timed), starts the Fund's simulator as a process on a free port, then
times:

- batch: Batch.create_batches and Batch.send of all the projects (the
  mapping applied to each project, payloads fixed, tasks queued), commit;
- exchanges: the queue's tasks run until no batch is sent any more (each
  batch POSTed, its results polled and applied to records and projects),
  by the task runner of queue_worker.py in this process, or with --worker
  by a trytond-worker process (PostgreSQL only).

It checks that the Fund accepted every project exactly once.  Run it with
python -O.  PostgreSQL uses TRYTOND_DATABASE__URI (run under scripts/pg.sh
run); SQLite a file database in a temporary folder.

    .venv/bin/python -O bench/file_projects.py --projects 10000
    scripts/pg.sh run .venv/bin/python -O bench/file_projects.py --worker
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = 'bench_filing'
TOKEN = 'bench-token'


def get_parser():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--projects', type=int, default=10000)
    parser.add_argument('--batch-size', type=int, default=1000)
    parser.add_argument(
        '--processing-delay', type=float, default=0.5,
        help="the simulator's seconds before results (default 0.5)")
    parser.add_argument(
        '--worker', action='store_true',
        help="run the tasks by trytond-worker (PostgreSQL)")
    parser.add_argument('--json', metavar='FILE')
    return parser


def start_simulator(folder, delay):
    return common.start_simulator('fund', folder, {'options': {
                'processing_delay': delay, 'max_batch_size': 5000}}, TOKEN)


def setup(count, url, batch_size):
    from trytond.modules.company.tests import create_company
    from trytond.modules.reguarantee_filing.tests.tools import (
        configure_fund, create_filed_projects, transact)
    from trytond.tests.test_tryton import activate_module

    activate_module('reguarantee_filing')

    def create():
        company = create_company()
        configure_fund(
            url, TOKEN, timeout=30, batch_size=batch_size, retry_delay=1,
            poll_interval=0.5)
        create_filed_projects(count, company.id)
        return company.id
    return transact(DATABASE, create)


def send(company_id):
    from trytond.modules.reguarantee_filing.tests.tools import transact
    from trytond.pool import Pool

    def batch_and_send():
        Batch = Pool().get('reguarantee.filing.batch')
        batches = Batch.create_batches()
        Batch.send(batches)
        return len(batches)
    return transact(DATABASE, batch_and_send, context={'company': company_id})


def results():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0, readonly=True):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Exchange = pool.get('reguarantee.filing.exchange')
        return {
            'accepted': Project.search(
                [('fund_state', '=', 'accepted')], count=True),
            'exchanges': Exchange.search([], count=True),
            }


def main(argv=None):
    options = get_parser().parse_args(argv)
    common.check_optimize()
    folder = tempfile.mkdtemp(prefix='bench-filing-')
    uri = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
    backend = 'postgresql' if uri.startswith('postgresql') else 'sqlite'
    if options.worker and backend != 'postgresql':
        sys.exit("--worker needs PostgreSQL")
    os.environ.update({
            'DB_NAME': DATABASE,
            'TRYTOND_DATABASE__URI': uri,
            'TRYTOND_DATABASE__PATH': folder,
            'TRYTOND_QUEUE__WORKER': 'True',
            })
    os.environ.pop('DB_CACHE', None)
    os.environ.pop('TRYTOND_CONFIG', None)
    simulator, url = start_simulator(folder, options.processing_delay)
    worker = None
    try:
        start = time.perf_counter()
        company_id = setup(options.projects, url, options.batch_size)
        print("setup: %.1f s" % (time.perf_counter() - start),
            file=sys.stderr)
        from trytond.modules.reguarantee_filing.tests.tools import (
            settle, start_worker, stop_worker)
        if options.worker:
            worker = start_worker(DATABASE)
            time.sleep(3)  # its pool is loaded before the clock starts
        tree_cpu = common.process_tree_cpu_seconds
        simulator_cpu = tree_cpu(simulator.pid)
        worker_cpu = tree_cpu(worker.pid) if worker else 0
        cpu, wall = time.process_time(), time.perf_counter()
        batches = send(company_id)
        batch_seconds = time.perf_counter() - wall
        settle(DATABASE, worker, timeout=600)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        worker_cpu = tree_cpu(worker.pid) - worker_cpu if worker else 0
        simulator_cpu = tree_cpu(simulator.pid) - simulator_cpu
        result = {
            'backend': backend,
            'projects': options.projects,
            'batches': batches,
            'batch_size': options.batch_size,
            'processing_delay': options.processing_delay,
            'runner': 'trytond-worker' if worker else 'in-process',
            'batch_seconds': round(batch_seconds, 2),
            'wall_seconds': round(wall, 2),
            'cpu_seconds': round(cpu, 2),
            'worker_cpu_seconds': round(worker_cpu, 2),
            'simulator_cpu_seconds': round(simulator_cpu, 2),
            'load': os.getloadavg()[0],
            **results(),
            }
        state = json.loads(subprocess.run([
                    sys.executable, '-c',
                    'import sys; from simulators.server import '
                    'SimulatorClient; import json; print(json.dumps('
                    'SimulatorClient(sys.argv[1]).state()["accepted"]))',
                    url], cwd=ROOT, stdout=subprocess.PIPE,
                check=True).stdout)
        result['fund_accepted'] = len(state)
        result['fund_accepted_twice'] = sum(c > 1 for c in state.values())
        print(json.dumps(result, indent=2))
        common.write_json(options.json, result)
        ok = (result['fund_accepted'] == result['accepted']
            == options.projects and not result['fund_accepted_twice'])
        return 0 if ok else 1
    finally:
        if worker is not None:
            stop_worker(worker)
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
