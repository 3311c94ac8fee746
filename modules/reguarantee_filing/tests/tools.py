# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Helpers for the filing tests: filed projects made in bulk, and the queue
run until the batches settle"""
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

from trytond.modules.reguarantee_base.queue_worker import run_once
from trytond.modules.reguarantee_base.tests.tools import make_uscc, set_secret
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

__all__ = [
    'create_filed_projects', 'configure_fund', 'settle', 'start_worker',
    'stop_worker', 'transact']


def transact(database_name, func, *args, user=0, context=None):
    "Return func(*args) run and committed in a transaction of its own"
    extras = {}
    while True:
        with Transaction().start(
                database_name, user, context=context,
                **extras) as transaction:
            try:
                result = func(*args)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            return result


def _setup_institution(company):
    "Return an active institution with a signed contract of a product"
    pool = Pool()
    Institution = pool.get('reguarantee.institution')
    Product = pool.get('reguarantee.product')
    Contract = pool.get('reguarantee.contract')
    Party = pool.get('party.party')
    institutions = Institution.search([('code', '=', 'FT01')])
    if institutions:
        institution, = institutions
        return institution, institution.contracts[0], Party.search(
            [('name', '=', "Filing Test Bank")])[0]
    today = dt.date.today()
    institution, = Institution.create([{
                'company': company,
                'code': 'FT01',
                'name': "Filing Test Guarantee",
                'uscc': make_uscc(901),
                'license_number': 'FT-01',
                'license_expiry': today + dt.timedelta(days=700),
                'net_assets': Decimal('300000000'),
                'region': '340100',
                'state': 'active',
                }])
    product, = Product.create([{
                'company': company,
                'code': 'FT4222',
                'name': "4222",
                'guarantee_type': 'financing',
                'mode': 'batch',
                'fee_rate': Decimal('0.005'),
                'fee_basis': 'reguaranteed',
                'day_count': 'act365',
                'share_institution': Decimal('0.4'),
                'share_reguarantor': Decimal('0.2'),
                'share_fund': Decimal('0.2'),
                'share_bank': Decimal('0.2'),
                'share_government': Decimal('0'),
                'start_date': today - dt.timedelta(days=800),
                }])
    contract, = Contract.create([{
                'company': company,
                'institution': institution.id,
                'products': [('add', [product.id])],
                'start_date': today - dt.timedelta(days=800),
                'end_date': today + dt.timedelta(days=1000),
                'state': 'signed',
                }])
    bank, = Party.create([{'name': "Filing Test Bank"}])
    return institution, contract, bank


def create_filed_projects(count, company_id, first=1):
    """Create count filed projects, from the serial first, in the current
    transaction; return them"""
    pool = Pool()
    Borrower = pool.get('reguarantee.borrower')
    Project = pool.get('reguarantee.project')
    with Transaction().set_context(company=company_id):
        institution, contract, bank = _setup_institution(company_id)
        serials = range(first, first + count)
        borrowers = Borrower.create([{
                    'name': f"Borrower {i}",
                    'kind': 'enterprise',
                    'id_number': make_uscc(i, '91340200'),
                    'industry': 'C3911',
                    'region': '340200',
                    } for i in serials])
        today = dt.date.today()
        return Project.create([{
                    'company': company_id,
                    'institution': institution.id,
                    'contract': contract.id,
                    'product': contract.products[0].id,
                    'borrower': borrower.id,
                    'industry': 'C3911',
                    'region': '340200',
                    'bank': bank.id,
                    'loan_contract_number': f'FT-{i:06d}',
                    'loan_amount': Decimal('1000000'),
                    'guarantee_amount': Decimal('800000'),
                    'reguaranteed_amount': Decimal('160000'),
                    'start_date': today,
                    'end_date': today + dt.timedelta(days=365),
                    'filing_date': today,
                    'state': 'filed',
                    } for i, borrower in zip(serials, borrowers)])


def configure_fund(
        url, token, timeout=None, batch_size=None, retry_delay=None,
        poll_interval=None, max_attempts=None):
    """Set the Fund's endpoint, its token (in the server's configuration)
    and the other values given"""
    pool = Pool()
    Configuration = pool.get('reguarantee.configuration')
    set_secret('fund_token', token)
    configuration = Configuration(1)
    configuration.fund_url = url
    for name, value in [
            ('fund_timeout', timeout), ('fund_batch_size', batch_size),
            ('fund_retry_delay', retry_delay),
            ('fund_poll_interval', poll_interval),
            ('fund_max_attempts', max_attempts)]:
        if value is not None:
            setattr(configuration, name, value)
    configuration.save()


def _sent_count(database_name):
    with Transaction().start(database_name, 0, readonly=True):
        Batch = Pool().get('reguarantee.filing.batch')
        return Batch.search([('state', '=', 'sent')], count=True)


def start_worker(database_name):
    """Start trytond-worker on the database (PostgreSQL: on SQLite it
    cannot wait for notifications) and return its process"""
    worker = os.path.join(os.path.dirname(sys.executable), 'trytond-worker')
    env = dict(os.environ, TRYTOND_QUEUE__WORKER='True')
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, worker, '-d', database_name, '-n', '1', '-t', '1'],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True)
    process.log = log
    return process


def stop_worker(process):
    "Stop the worker and its pool's processes; return what it logged"
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    process.wait(30)
    process.log.seek(0)
    return process.log.read().decode(errors='replace')


def settle(database_name, worker=None, timeout=120):
    """Wait until no batch is sent any more: run by the worker process
    when given, else by running the queue's tasks here as
    queue_worker.py does; return the seconds it took"""
    start = time.monotonic()
    while _sent_count(database_name):
        if time.monotonic() - start > timeout:
            raise TimeoutError("the batches did not settle")
        if worker is not None:
            if worker.poll() is not None:
                raise RuntimeError(
                    "trytond-worker stopped: " + stop_worker(worker))
            time.sleep(0.2)
        elif not run_once(database_name):
            time.sleep(0.05)
    return time.monotonic() - start
