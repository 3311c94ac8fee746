# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The set-up and the measures shared by the benchmarks

- the backend (SQLite file databases in a folder, or the PostgreSQL cluster
  of TRYTOND_DATABASE__URI, started by scripts/pg.sh run), its template
  databases and their copies, and the child processes that run each step
  in a fresh interpreter, with the code under test or, for a side by side
  comparison, with another checkout's interpreter (--before PYTHON);
- the database: activation of a module, the company, institutions,
  products, contract and banks, and a portfolio of borrowers and projects
  inserted in bulk (COPY on PostgreSQL, one prepared INSERT on SQLite);
- the measures: wall and CPU seconds, CPU of the PostgreSQL server
  process, peak memory, load average, and the machine they ran on.

Every benchmark runs with python -O: without it trytond's
ModelStorage.__init__ asserts over the whole id list."""
import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPANY_NAME = "安徽省再担保公司"
BANKS = ['徽商银行合肥分行', '中国工商银行合肥分行', '合肥科技农村商业银行']


# The command line and the processes ----------------------------------------

def get_parser(description, backend='sqlite'):
    "Return a parser with the options every benchmark shares"
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default=backend)
    parser.add_argument('--json', metavar='FILE',
        help="write the results to this file")
    parser.add_argument('--before', metavar='PYTHON',
        help="also time each measure with this interpreter (the virtual "
        "environment of another checkout, e.g. /work/main/.venv/bin/python), "
        "alternated with this one on the same database")
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--database', help=argparse.SUPPRESS)
    return parser


def check_optimize():
    if not sys.flags.optimize:
        sys.exit("run the benchmark with python -O")


def run_child(children, options):
    """Run the child step of options.child and print its result as the last
    line of the output; return the exit status"""
    result = children[options.child](options)
    sys.stdout.write('\n' + json.dumps(result, default=str) + '\n')
    return 0


class Backend:
    """The databases of a benchmark: SQLite files in folder, or databases of
    the PostgreSQL cluster of TRYTOND_DATABASE__URI"""

    def __init__(self, name, folder=None):
        self.name = name
        self.env = dict(os.environ)
        self.env.pop('DB_CACHE', None)
        self.env.pop('TRYTOND_CONFIG', None)
        self.folder = folder
        if name == 'sqlite':
            self.folder = folder or tempfile.mkdtemp(prefix='bench-')
            self.env['TRYTOND_DATABASE__URI'] = 'sqlite://'
            self.env['TRYTOND_DATABASE__PATH'] = self.folder
        elif not self.env.get('TRYTOND_DATABASE__URI', '').startswith(
                'postgresql'):
            sys.exit("TRYTOND_DATABASE__URI must be a postgresql:// URI "
                "(run under scripts/pg.sh run)")
        os.environ.update(
            {k: v for k, v in self.env.items() if k.startswith('TRYTOND_')})
        self.count = 0

    def child(self, script, command, database, *args, python=None):
        """Run the step command of script on database in a child process
        (of python, by default this one) and return its JSON result"""
        argv = [python or sys.executable, '-O', os.path.abspath(script),
            '--backend', self.name, '--child', command,
            '--database', database, *map(str, args)]
        process = subprocess.run(
            argv, env=self.env, stdout=subprocess.PIPE, check=True)
        return json.loads(process.stdout.decode().splitlines()[-1])

    def exists(self, name):
        if self.name == 'sqlite':
            return os.path.exists(self.path(name))
        return bool(self.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s', name))

    def copy(self, template, name=None):
        "Return the name of a new copy of the template database"
        if name is None:
            self.count += 1
            name = '%s_%s' % (template, self.count)
        self.drop(name)
        if self.name == 'sqlite':
            shutil.copy(self.path(template), self.path(name))
        else:
            self.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (
                    name, template))
        return name

    def drop(self, name):
        if self.name == 'sqlite':
            if os.path.exists(self.path(name)):
                os.remove(self.path(name))
        else:
            self.execute('DROP DATABASE IF EXISTS "%s"' % name)

    def path(self, name):
        return os.path.join(self.folder, name + '.sqlite')

    def execute(self, query, *params):
        "Execute query in the cluster's postgres database; return the rows"
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params_ = conninfo_to_dict(self.env['TRYTOND_DATABASE__URI'])
        params_['dbname'] = 'postgres'
        with psycopg.connect(make_conninfo(**params_),
                autocommit=True) as connection:
            cursor = connection.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    def cleanup(self, keep=False):
        if self.name == 'sqlite' and not keep:
            shutil.rmtree(self.folder, ignore_errors=True)


def interpreters(options):
    """Return the (label, python) pairs each measure runs with: 'after' (this
    interpreter) and, with --before, 'before'"""
    pairs = [('after', None)]
    if options.before:
        pairs.insert(0, ('before', options.before))
    return pairs


# The database -------------------------------------------------------------

def configure(database):
    "Read the configuration and name the database for activate_module"
    os.environ['DB_NAME'] = database
    from trytond import config
    config.update_etc()


def activate(database, module):
    "Create the database with module activated"
    configure(database)
    from trytond.tests.test_tryton import activate_module
    activate_module(module)


def uscc(serial, prefix='91340100'):
    "make_uscc of the module's tests, imported once trytond is configured"
    from trytond.modules.reguarantee_base.tests.tools import make_uscc
    return make_uscc(serial, prefix)


def resident_id(serial):
    "Return a valid resident ID number of the serial"
    from trytond.modules.reguarantee_base.identity import (
        resident_id_check_character)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=serial // 1000)
    body = f'340102{birth:%Y%m%d}{serial % 1000:03d}'
    return body + resident_id_check_character(body)


def create_company():
    "Create the CNY company and return it"
    from trytond.pool import Pool
    pool = Pool()
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    currency, = Currency.create([{
                'name': "Yuan Renminbi", 'code': 'CNY', 'symbol': '¥',
                'digits': 2, 'rounding': Decimal('0.01'),
                }])
    party, = Party.create([{'name': COMPANY_NAME}])
    company, = Company.create([{
                'party': party.id, 'currency': currency.id}])
    return company


def create_institutions(company, count, values_of=None, **values):
    """Create count active institutions GI001… of the company, with the
    values and those values_of(i) returns for the i-th"""
    from trytond.pool import Pool
    Institution = Pool().get('reguarantee.institution')
    today = dt.date.today()
    institutions = Institution.create([{
                'company': company.id, 'code': f'GI{i:03d}',
                'name': f'担保机构 {i}', 'uscc': uscc(i, '91340000'),
                'license_number': f'WD-{i}',
                'license_expiry': today + dt.timedelta(days=700),
                'net_assets': Decimal('1000000000'),
                **values, **(values_of(i) if values_of else {}),
                } for i in range(1, count + 1)])
    # the workflows are not under test: the states are written directly
    set_state(Institution, 'active')
    return institutions


def create_products(company, products, **values):
    """Create the products of the dictionaries of products, with shares of
    the guarantee 40/20/20/20 % unless given"""
    from trytond.pool import Pool
    Product = Pool().get('reguarantee.product')
    defaults = {
        'company': company.id,
        'fee_rate': Decimal('0.005'),
        'share_institution': Decimal('0.4'),
        'share_reguarantor': Decimal('0.2'),
        'share_fund': Decimal('0.2'),
        'share_bank': Decimal('0.2'),
        'start_date': dt.date.today() - dt.timedelta(days=5 * 365),
        }
    return Product.create([
            {**defaults, 'name': p['code'], **values, **p}
            for p in products])


def create_contract(institution, products):
    "Create the signed contract of the institution with the products"
    from trytond.pool import Pool
    Contract = Pool().get('reguarantee.contract')
    today = dt.date.today()
    contract, = Contract.create([{
                'institution': institution.id,
                'start_date': today - dt.timedelta(days=60),
                'end_date': today + dt.timedelta(days=3 * 365),
                'products': [('add', [p.id for p in products])],
                }])
    set_state(Contract, 'signed')
    return contract


def create_banks(names=BANKS):
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    return Party.create([{'name': n} for n in names])


def set_state(Model, state, ids=None):
    "Write the state of the records of Model (all by default) in SQL"
    from trytond.transaction import Transaction
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update([table.state], [state],
            where=table.id.in_(ids) if ids is not None else None))


def insert(table, columns, rows, size=10000):
    """Insert the rows (sequences of the columns' values) into the table in
    bulk, with create_uid 0 and create_date now: COPY on PostgreSQL, one
    prepared INSERT executed for many rows on SQLite"""
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    now = dt.datetime.now()
    columns = ['create_uid', 'create_date'] + list(columns)
    names = ', '.join('"%s"' % c for c in columns)
    if hasattr(cursor, 'copy'):
        with cursor.copy(
                'COPY "%s" (%s) FROM STDIN' % (table, names)) as copy:
            for row in rows:
                copy.write_row((0, now) + tuple(row))
    else:
        query = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
            table, names, ', '.join('?' * len(columns)))
        rows = iter(rows)
        while True:
            chunk = [
                (0, now) + tuple(
                    str(v) if isinstance(v, Decimal) else v for v in row)
                for _, row in zip(range(size), rows)]
            if not chunk:
                break
            cursor.executemany(query, chunk)


def ids_of(table):
    "Return the ids of the table in order"
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute('SELECT id FROM "%s" ORDER BY id' % table)
    return [r for r, in cursor]


def analyze():
    "Update the planner's statistics after a bulk load (PostgreSQL)"
    from trytond.transaction import Transaction
    transaction = Transaction()
    if transaction.database.has_returning():
        transaction.connection.cursor().execute('ANALYZE')


#: The portfolio's states of projects, borrower kinds, industries, regions
PORTFOLIO_STATES = [
    ('filed', 78), ('submitted', 8), ('released', 10), ('compensated', 2),
    ('closed', 1), ('draft', 1)]
PORTFOLIO_KINDS = [
    ('enterprise', 50), ('individual_business', 25), ('farmer', 20),
    ('person', 5)]
INDUSTRIES = [
    'A0111', 'A0311', 'A0511', 'C1311', 'C1713', 'C2110', 'C3311', 'C3899',
    'E4710', 'F5110', 'F5211', 'G5430', 'H6110', 'H6210', 'I6510', 'M7320']
REGIONS = [
    '340102', '340104', '340202', '340302', '340402', '340503', '340802',
    '341102', '341202', '341502', '341602', '341802']


def weighted(rng, choices):
    return rng.choices(
        [c for c, _ in choices], weights=[w for _, w in choices])[0]


def insert_borrowers(count, rng):
    """Insert count borrowers 借款人 0… of the portfolio's kinds (USCC or
    resident ID number), one in four of a related group; return their ids"""
    borrowers = []
    for i in range(count):
        kind = weighted(rng, PORTFOLIO_KINDS)
        borrowers.append((
                f'借款人 {i}', kind,
                uscc(i) if kind in {'enterprise', 'individual_business'}
                else resident_id(i),
                rng.choice(INDUSTRIES), rng.choice(REGIONS),
                f'G{i // 5}' if i % 20 < 5 else None))
    insert('reguarantee_borrower', [
            'name', 'kind', 'id_number', 'industry', 'region',
            'related_group'], borrowers)
    return ids_of('reguarantee_borrower')


PROJECT_COLUMNS = [
    'company', 'number', 'institution', 'product', 'borrower', 'bank',
    'loan_contract_number', 'loan_amount', 'guarantee_amount',
    'reguaranteed_amount', 'start_date', 'end_date', 'filing_date',
    'release_date', 'state']


def insert_portfolio(company, institutions, products, count, seed=1):
    """Insert a portfolio of count projects RP-0000000… of the institutions
    (Pareto distributed) and products over count/2 borrowers, started in the
    last three years, of PORTFOLIO_STATES, with the paid compensations of
    the compensated and closed projects and a recovery of one in three;
    return the numbers of rows inserted"""
    rng = random.Random(seed)
    today = dt.date.today()
    bank, = create_banks(BANKS[:1])
    borrower_ids = insert_borrowers(max(count // 2, 1), rng)
    shares = [p.share_reguarantor for p in products]

    compensated = []

    def projects():
        for i in range(count):
            institution = institutions[min(
                    int(rng.paretovariate(1.2)) - 1, len(institutions) - 1)]
            index = rng.randrange(len(products))
            loan = Decimal(rng.randrange(10, 600)) * 10 ** 4
            guarantee = loan * Decimal('0.8')
            start = today - dt.timedelta(days=rng.randrange(1, 3 * 365))
            state = weighted(rng, PORTFOLIO_STATES)
            release = (
                min(start + dt.timedelta(days=rng.randrange(30, 360)), today)
                if state == 'released' else None)
            if state in {'compensated', 'closed'}:
                compensated.append((i, guarantee * shares[index], start))
            yield (
                company.id, f'RP-{i:07d}', institution.id,
                products[index].id, rng.choice(borrower_ids), bank.id,
                f'L-{i:07d}', loan, guarantee, guarantee * shares[index],
                start, start + dt.timedelta(days=365), start, release, state)
    insert('reguarantee_project', PROJECT_COLUMNS, projects())
    project_ids = ids_of('reguarantee_project')

    compensations = []
    for index, reguaranteed, start in compensated:
        payment = min(
            start + dt.timedelta(days=rng.randrange(60, 300)), today)
        claim = (reguaranteed * Decimal('0.9')).quantize(Decimal('0.01'))
        compensations.append((
                company.id, f'reguarantee.project,{project_ids[index]}',
                project_ids[index], payment, claim, 0, claim,
                Decimal(1), claim, payment, 'paid'))
    insert('reguarantee_compensation', [
            'company', 'origin', 'project', 'default_date', 'principal',
            'interest',
            'amount_paid_by_institution', 'share', 'claim_amount',
            'payment_date', 'state'], compensations)
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute(
        'SELECT id, claim_amount, payment_date '
        'FROM reguarantee_compensation ORDER BY id')
    recoveries = [
        (company.id, id_, payment, claim / 4, claim / 4, 'confirmed')
        for id_, claim, payment in list(cursor)[::3]]
    insert('reguarantee_recovery', [
            'company', 'compensation', 'date', 'amount',
            'reguarantor_amount', 'state'], recoveries)
    analyze()
    return {
        'institutions': len(institutions), 'borrowers': len(borrower_ids),
        'projects': len(project_ids), 'compensations': len(compensations),
        'recoveries': len(recoveries)}


# Measures -----------------------------------------------------------------

def rss_mib():
    "Return the peak resident memory of this process in MiB"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    """Return the user + system CPU seconds of this process and of its
    waited-for children"""
    return tuple(
        u.ru_utime + u.ru_stime for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN)))


def server_cpu_seconds(pid):
    """Return the user + system CPU seconds of the process pid (the
    PostgreSQL backend of a transaction) or None when it cannot be read"""
    try:
        with open('/proc/%d/stat' % pid) as file:
            fields = file.read().rsplit(')', 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def process_tree_cpu_seconds(pid):
    """Return the user + system CPU seconds of the process pid and of its
    running children (a worker's or a simulator's processes)"""
    with open(f'/proc/{pid}/task/{pid}/children') as file:
        children = file.read().split()
    return server_cpu_seconds(pid) + sum(
        process_tree_cpu_seconds(int(c)) for c in children)


def backend_pid():
    "Return the pid of the PostgreSQL backend of the transaction or None"
    from trytond import backend
    from trytond.transaction import Transaction
    if backend.name != 'postgresql':
        return None
    cursor = Transaction().connection.cursor()
    cursor.execute('SELECT pg_backend_pid()')
    return cursor.fetchone()[0]


@contextmanager
def measure(server_pid=None):
    """Measure the block: fill the yielded dictionary with its wall and CPU
    seconds (of this process, of the children it waited for and of the
    PostgreSQL backend server_pid), the peak memory and the load average"""
    figures = {'rss_before_mib': rss_mib()}
    server_start = server_cpu_seconds(server_pid)
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    yield figures
    figures['seconds'] = time.perf_counter() - start
    cpu_end = cpu_seconds()
    figures['cpu_s'] = cpu_end[0] - cpu_start[0]
    figures['children_cpu_s'] = cpu_end[1] - cpu_start[1]
    server_end = server_cpu_seconds(server_pid)
    if server_end is not None:
        figures['server_cpu_s'] = server_end - server_start
    figures['peak_rss_mib'] = rss_mib()
    figures['load_avg'] = os.getloadavg()


def machine():
    "Return what the figures were measured on, and when"
    def command(*args):
        try:
            return subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True).stdout.strip()
        except OSError:
            return None
    import trytond
    return {
        'date': dt.datetime.now(dt.timezone.utc).isoformat(
            timespec='seconds'),
        'commit': command('git', 'rev-parse', '--short', 'HEAD'),
        'cpus': os.cpu_count(),
        'python': platform.python_version(),
        'trytond': trytond.__version__,
        'load_avg': os.getloadavg(),
        }


def write_json(path, result):
    if path:
        with open(path, 'w') as file:
            json.dump(
                {**machine(), **result}, file, indent=2, ensure_ascii=False,
                default=str)


# Simulators ---------------------------------------------------------------

def start_simulator(name, folder, config, token):
    """Start the simulator name (simulators/) on a free port with the
    config written to folder and return its process and its URL"""
    port_file = os.path.join(folder, f'{name}.port')
    config_file = os.path.join(folder, f'{name}.json')
    with open(config_file, 'w') as fp:
        json.dump(config, fp)
    process = subprocess.Popen([
            sys.executable, '-O', '-m', 'simulators', name, '--port', '0',
            '--token', token, '--config', config_file,
            '--port-file', port_file],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    with open(port_file) as fp:
        return process, f'http://127.0.0.1:{fp.read().strip()}/'
