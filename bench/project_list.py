#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the project list over a large portfolio (PostgreSQL)

Creates a database with reguarantee_base activated and the portfolio of
common.py (N projects of 100 institutions over N/2 borrowers, inserted in
bulk), a business user and an operator of the largest institution (record
rules on), then times, as each user and as the server answers sao, the
calls of the project list:

- page: the first page of the default order (search of 1,000 ids), the
  read of its list view's fields, and the count of its records (up to
  100,000, as sao asks);
- each tab of the action (ir.action.act_window.domain): its first page and,
  for the tabs that show one, its count up to 1,000;
- the searches by number, by borrower name and by borrower ID number (as
  sao's search bar writes them: ilike '%…%') and the text of the search bar
  (rec_name): the first page of each and its count.

Each figure is the median of --repeat calls in one read-only transaction.
The "before" figures are taken in a transaction that first drops the
indexes the code added (found by comparing the database's indexes before
and after its update by this code, see --update) and is rolled back: the
same database, the same run, without the indexes.

    scripts/pg.sh run .venv/bin/python -O bench/project_list.py
    eval "$(scripts/pg.sh start)"   # then, to keep the database:
    TRYTOND_DATABASE__URI=$PG_URI .venv/bin/python -O bench/project_list.py \\
        --reuse --database bench_risk
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import common

DATABASE = 'bench_projects'
LOGINS = ['bench_business', 'bench_operator']
#: The searches of the search bar: (name, domain of the value)
SEARCHES = [
    ('number', lambda p: [('number', 'ilike', '%%%s%%' % p['number'])]),
    ('borrower_name', lambda p: [
            ('borrower', 'ilike', '%%%s%%' % p['borrower_name'])]),
    ('borrower_id_number', lambda p: [
            ('borrower', 'ilike', '%%%s%%' % p['borrower_id_number'])]),
    ('search_bar', lambda p: [('rec_name', 'ilike', '%%%s%%' % p['number'])]),
    ]
PAGE = 1000
COUNT_LIMIT = PAGE * 100
TAB_COUNT_LIMIT = 1000


def child_setup(options):
    "Activate the module, create the company and load the portfolio"
    start = time.perf_counter()
    common.activate(options.database, 'reguarantee_base')
    activated = time.perf_counter() - start
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(options.database)
    with Transaction().start(options.database, 0) as transaction:
        company = common.create_company()
        with transaction.set_context(company=company.id):
            institutions = common.create_institutions(company, 100)
            products = common.create_products(company, [
                    {'code': 'PH-4222'}, {'code': 'DB-4321'}])
            start = time.perf_counter()
            counts = common.insert_portfolio(
                company, institutions, products, options.projects)
            loaded = time.perf_counter() - start
    return {'activate_seconds': activated, 'load_seconds': loaded, **counts}


def child_users(options):
    "Create the business user and the operator of the largest institution"
    common.configure(options.database)
    from sql.aggregate import Count

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    with Transaction().start(options.database, 0) as transaction:
        pool.init()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Company = pool.get('company.company')
        Project = pool.get('reguarantee.project')
        InstitutionUser = pool.get('reguarantee.institution-res.user')
        if User.search([('login', 'in', LOGINS)]):
            return {}
        company, = Company.search([])
        project = Project.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*project.select(
                project.institution, Count(project.id),
                group_by=[project.institution],
                order_by=[Count(project.id).desc], limit=1))
        institution, projects = cursor.fetchone()

        def group(xml_id):
            return ModelData.get_id('reguarantee_base', xml_id)
        business, operator = User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [group(xml_id)])],
                    } for login, xml_id in zip(LOGINS, [
                        'group_business', 'group_institution_operator'])])
        InstitutionUser.create([{
                    'institution': institution, 'user': operator.id}])
    return {'operator_institution': institution,
        'operator_projects': projects}


def index_names():
    "Return the names of the indexes of the project and borrower tables"
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename IN "
        "('reguarantee_project', 'reguarantee_borrower')")
    return sorted(r for r, in cursor)


def child_indexes(options):
    common.configure(options.database)
    from trytond.transaction import Transaction
    with Transaction().start(options.database, 0, readonly=True):
        return {'indexes': index_names()}


def child_measure(options):
    """Time the calls of the project list as each user, without the
    indexes of --drop when given"""
    common.configure(options.database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    drop = json.loads(options.drop or '[]')
    with Transaction().start(options.database, 0, readonly=True):
        pool.init()
        User = pool.get('res.user')
        Action = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        users = {u.login: u.id for u in User.search(
                [('login', 'in', LOGINS)])}
        action = Action(ModelData.get_id(
                'reguarantee_base', 'act_project_form'))
        tabs = [(d.name, d.domain, d.count) for d in action.act_window_domains]
        sample, = Project.search(
            [('state', '=', 'filed')], order=[('id', 'ASC')],
            offset=Project.search([], count=True) // 2, limit=1)
        borrower = Borrower(sample.borrower.id)
        values = {
            'number': sample.number,
            'borrower_name': borrower.name,
            'borrower_id_number': borrower.id_number,
            }
        fields_names = list(Project.fields_view_get(
                view_type='tree')['fields'])
    results = {}
    for login in LOGINS:
        user = users[login]
        with Transaction().start(options.database, user) as transaction:
            cursor = transaction.connection.cursor()
            for name in drop:
                cursor.execute('DROP INDEX "%s"' % name)
            context = User.get_preferences(context_only=True)
            with transaction.set_context(context, _check_access=True):
                results[login] = measure_list(
                    pool, options.repeat, tabs, values, fields_names)
            transaction.rollback()
    return {'values': values, 'results': results,
        'load_avg': os.getloadavg()}


def measure_list(pool, repeat, tabs, values, fields_names):
    from trytond.pyson import PYSONDecoder
    from trytond.transaction import Transaction
    Project = pool.get('reguarantee.project')
    figures = {}

    def timed(name, function):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = function()
            times.append((time.perf_counter() - start) * 1000)
        figures[name] = {
            'ms': round(statistics.median(times), 1),
            'min_ms': round(min(times), 1),
            'result': result if isinstance(result, int) else len(result),
            }
        return result

    def timed_sql(name, domain, count=False, limit=PAGE):
        "Time the query of the search alone (what the database does)"
        query = Project.search(
            domain, 0, limit, [] if count else None, count=count, query=True)
        cursor = Transaction().connection.cursor()

        def execute():
            cursor.execute(*query)
            return len(cursor.fetchall())
        timed(name + ' sql', execute)

    if True:
        timed_sql('page', [])
        ids = timed('page', lambda: [
                p.id for p in Project.search([], 0, PAGE, None)])
        timed('page_read', lambda: Project.read(ids, fields_names))
        timed('page_count', lambda: Project.search_count(
                [], 0, COUNT_LIMIT))
        decoder = PYSONDecoder(Transaction().context)
        for name, domain, count in tabs:
            domain = decoder.decode(domain) if domain else []
            timed('tab %s' % name, lambda: Project.search(
                    domain, 0, PAGE, None))
            timed_sql('tab %s' % name, domain)
            if count:
                timed('tab %s count' % name, lambda: Project.search_count(
                        domain, 0, TAB_COUNT_LIMIT))
        for name, domain in SEARCHES:
            domain = domain(values)
            timed('search %s' % name, lambda: Project.search(
                    domain, 0, PAGE, None))
            timed_sql('search %s' % name, domain)
            timed('search %s count' % name, lambda: Project.search_count(
                    domain, 0, COUNT_LIMIT))
    return figures


CHILDREN = {
    'setup': child_setup, 'users': child_users, 'indexes': child_indexes,
    'measure': child_measure,
    }


def get_parser():
    parser = common.get_parser(
        __doc__.split('\n')[0], backend='postgresql')
    parser.add_argument('--projects', type=int, default=1_000_000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of an earlier run (or of --database) and "
        "keep it")
    parser.add_argument('--update', action=argparse.BooleanOptionalAction,
        default=True,
        help="update reguarantee_base by this code before measuring "
        "(default): the indexes it adds are compared without")
    parser.add_argument('--without', metavar='NAME', nargs='+', default=[],
        help="the indexes to drop for the 'before' figures when the "
        "database is up to date already (printed by an earlier run)")
    parser.add_argument('--drop', help=argparse.SUPPRESS)
    return parser


def update(backend, database):
    """Update reguarantee_base of the database by this code, with the
    extension of trigram indexes"""
    with_extension = backend.env.get('TRYTOND_DATABASE__URI', '') + database
    import psycopg
    with psycopg.connect(with_extension, autocommit=True) as connection:
        connection.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    start = time.perf_counter()
    subprocess.run([
            os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
            '-d', database, '-u', 'reguarantee_base'],
        env=backend.env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None):
    options = get_parser().parse_args(argv)
    if options.child:
        return common.run_child(CHILDREN, options)
    common.check_optimize()
    if options.backend != 'postgresql':
        sys.exit("the project list is measured on PostgreSQL")
    backend = common.Backend(options.backend)
    database = options.database or DATABASE
    args = ['--projects', options.projects, '--repeat', options.repeat]
    setup = {}
    if not (options.reuse and backend.exists(database)):
        backend.drop(database)
        setup = backend.child(__file__, 'setup', database, *args)
    setup.update(backend.child(__file__, 'users', database, *args))
    before = backend.child(__file__, 'indexes', database, *args)['indexes']
    if options.update:
        setup['update_seconds'] = update(backend, database)
    after = backend.child(__file__, 'indexes', database, *args)['indexes']
    added = sorted(set(after) - set(before)) or options.without
    setup['indexes_added'] = added
    print(json.dumps(setup), file=sys.stderr)
    runs = []
    for label, drop in [('before', added), ('after', [])]:
        if label == 'before' and not drop:
            continue
        run = backend.child(
            __file__, 'measure', database, *args, '--drop', json.dumps(drop))
        run['code'] = label
        runs.append(run)
    if not options.reuse:
        backend.drop(database)
    names = list(runs[-1]['results'][LOGINS[0]])
    header = ['call'] + ['%s %s' % (r['code'], login[6:])
        for login in LOGINS for r in runs]
    print(' | '.join(header))
    for name in names:
        print(' | '.join([name] + [
                    '%.1f ms (%s)' % (
                        r['results'][login][name]['ms'],
                        r['results'][login][name]['result'])
                    for login in LOGINS for r in runs]))
    for run in runs:
        print('load average (%s): %s' % (run['code'], run['load_avg']))
    common.write_json(options.json, {
            'backend': options.backend, 'setup': setup, 'runs': runs})
    return 0


if __name__ == '__main__':
    sys.exit(main())
