# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Security suite: no institution reads or changes another's data, and no
write skips an approval (issue 17).

A throwaway SQLite database gets every module and the whole demo data
(scripts/demo_data.py) plus a second institution operator (operator3, of
GI003) with projects of GI003, one of them for a borrower GI001 registered;
trytond serves it on a free port of 127.0.0.1.  The suite talks JSON-RPC as
an attacker would, logged in as the demo users.

Nothing in it names the models: for every model an institution operator
may read (ir.model and ir.model.access.get_access, at run time) it finds
the records of other institutions (those whose Many2One path leads to an
institution that is not the operator's, found as the administrator) and
looks for them through read, search, search_count, domains generated from
the model's relational fields (dotted names, where, not where, x2Many ids,
compared with ids that do not exist: hidden records must answer as if they
did not exist), the values of x2Many fields, export_data, reports, wizards
and buttons with their ids and writes.  For every workflow model it tries,
as every role, to write `state` and the fields its state makes read-only.
It prints the models checked, the probes tried and the leaks found."""
import base64
import datetime as dt
import json
import shutil
import sqlite3
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from live import PYTHON, activate, run, sqlite_workdir, start_trytond, stop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))
import demo_data  # noqa: E402

DATABASE = 'security'
MODULES = sorted(
    path.parent.name for path in (ROOT / 'modules').glob('*/tryton.cfg'))
ADMIN_PASSWORD = 'security-test-admin'
#: The second operator, of GI003, and its data (added to the demo's)
OPERATOR3 = {
    'login': 'operator3',
    'name': '钱伟（蚌埠鑫科担保经办）',
    'password': 'Demo-operator3-2025',
    'groups': ['group_institution_operator'],
    'role': "Re-guarantee Institution Operator (GI003)",
    'institution': 'GI003',
    }
SETUP = '''
import json, sys
from decimal import Decimal
sys.path.insert(0, sys.argv[3])
import demo_data as demo
from demo_integration import setup_api_key
demo.USERS.append(json.loads(sys.argv[4]))
demo.BORROWERS.append(
    ('蚌埠皖北粮油贸易有限公司', 'enterprise', 505, 'G5121', '340300'))
demo.PROJECTS.extend([
    ('GI003', 'BB-DEMO-0001', 505, 0, Decimal('2000000'),
        Decimal('1600000'), -70, 365, 'filed'),
    # GI001's borrower 501, shared
    ('GI003', 'BB-DEMO-0002', 501, 1, Decimal('1500000'),
        Decimal('1200000'), -20, 365, 'filed'),
    ])
import demo_fees
invoice_request = demo_fees.setup_invoice_request
def setup_invoice_request(bill):
    "The demo's invoice request is GI001's operator's, of a GI001 bill"
    Bill = demo.model('reguarantee.fee.bill', 'finance')
    bills = Bill.find([
            ('institution.code', '=', 'GI001'), ('state', '=', 'confirmed')])
    return invoice_request(bills[0] if bills else bill)
demo_fees.setup_invoice_request = setup_invoice_request
company = demo.setup_base(sys.argv[1], sys.argv[2:3], language='en')
demo.setup_demo(company)
print(json.dumps({
    'key3': setup_api_key(demo.as_user('manager'), 'operator3'),
    }))
'''
#: Models shared by use: an operator reads a record through its own
#: records of this x2Many field, or the records it created
SHARED_BY_USE = {'reguarantee.borrower': 'projects'}
#: The fields that are no ownership (who typed a record is not its owner)
NOT_OWNER = {'create_uid', 'write_uid'}
INSTITUTION = 'reguarantee.institution'
NONEXISTENT = 10 ** 9
RELATIONAL = {'many2one', 'one2many', 'many2many', 'one2one'}


class RPCError(Exception):
    pass


class Client:
    "A JSON-RPC client of trytond, as any program could be"

    def __init__(self, url, login, password):
        self.url = url
        self.login = login
        self.session = requests.Session()
        self.uid, token = self.call(
            'common.db.login', login, {'password': password}, 'en',
            auth=False)[:2]
        auth = base64.b64encode(
            f'{login}:{self.uid}:{token}'.encode()).decode()
        self.session.headers['Authorization'] = f'Session {auth}'
        self.context = self.call(
            'model.res.user.get_preferences', True, {})
        self.calls = 0

    def call(self, method, *params, auth=True):
        self.calls = getattr(self, 'calls', 0) + 1
        response = self.session.post(self.url, json={
                'id': 1, 'method': method, 'params': list(params)},
            timeout=120)
        if response.status_code != 200:
            raise RPCError(f'HTTP {response.status_code}')
        result = response.json()
        if result.get('error'):
            raise RPCError(result['error'])
        return result['result']

    def model(self, model, method, *args, context=None):
        ctx = dict(self.context, **(context or {}))
        return self.call(f'model.{model}.{method}', *args, ctx)


@pytest.fixture(scope='module')
def server():
    "trytond serving the demo data of several institutions"
    workdir, conf, port, env = sqlite_workdir(
        'reguarantee-security-', DATABASE)
    log = workdir / 'setup.log'
    for name in ['DEMO_CMS_URL', 'DEMO_FUND_URL']:
        env.pop(name, None)
    process = None
    start = time.monotonic()
    try:
        activate(conf, DATABASE, MODULES, env, log, ADMIN_PASSWORD)
        setup = json.loads(run(
                [PYTHON, '-O', '-c', SETUP, DATABASE, conf, ROOT / 'scripts',
                    json.dumps(OPERATOR3)], env, log).splitlines()[-1])
        url = f'http://127.0.0.1:{port}/{DATABASE}/rpc/'
        process = start_trytond(
            conf, DATABASE, env, workdir / 'trytond.log', url)
        print(f"\n[security] database ready in "
            f"{time.monotonic() - start:.0f} s")
        yield {
            'url': url,
            'api': f'http://127.0.0.1:{port}/{DATABASE}/reguarantee/api/v1',
            'db': workdir / 'db' / f'{DATABASE}.sqlite',
            'key3': setup['key3'],
            'log': workdir / 'trytond.log',
            }
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def login(server, login):
    if login == 'admin':
        return Client(server['url'], 'admin', ADMIN_PASSWORD)
    users = {u['login']: u for u in demo_data.USERS + [OPERATOR3]}
    return Client(server['url'], login, users[login]['password'])


class Probes:
    "Count the probes tried and the leaks found"

    def __init__(self, name):
        self.name = name
        self.count = 0
        self.kinds = Counter()
        self.refused = 0
        self.leaks = []
        self.models = set()

    def leak(self, model, kind, detail):
        self.leaks.append(f'{model}: {kind}: {detail}')

    def report(self):
        print(f"\n[security] {self.name}: {len(self.models)} models checked, "
            f"{self.count} probes tried ({self.refused} refused), "
            f"{len(self.leaks)} leaks found")
        if self.kinds:
            print("[security]   probes: " + ', '.join(
                    f'{k} {n}' for k, n in sorted(self.kinds.items())))
        for leak in self.leaks:
            print(f"[security]   LEAK {leak}")


class World:
    """What the administrator knows: models, fields, records and who owns
    them (the institution at the end of a Many2One path)"""

    def __init__(self, admin, db):
        self.admin = admin
        self.db = db
        self.fields = {}
        self.ids = {}
        self.values = {}
        self._foreign = {}
        models = admin.model(
            'ir.model', 'search_read', [], 0, None, [('name', 'ASC')],
            ['name'])
        self.models = [m['name'] for m in models]

    def fields_get(self, model):
        if model not in self.fields:
            try:
                self.fields[model] = self.admin.model(
                    model, 'fields_get', None)
            except RPCError:
                self.fields[model] = None
        return self.fields[model]

    def all_ids(self, model):
        "Every record of model, from the database itself"
        if model not in self.ids:
            table = model.replace('.', '_')
            try:
                with sqlite3.connect(self.db) as connection:
                    self.ids[model] = {
                        i for i, in connection.execute(
                            f'SELECT id FROM "{table}"')}
            except sqlite3.Error:
                try:
                    self.ids[model] = set(self.admin.model(
                            model, 'search', [], 0, None, None,
                            context={'active_test': False}))
                except RPCError:
                    self.ids[model] = None
        return self.ids[model]

    def read(self, model, ids, names):
        "Return {id: values} of the records, read as the administrator"
        key = (model, tuple(names))
        cache = self.values.setdefault(key, {})
        missing = [i for i in ids if i not in cache]
        if missing:
            try:
                rows = self.admin.model(
                    model, 'read', missing, list(names),
                    context={'active_test': False})
            except RPCError:
                # not served over RPC: its Many2One columns from the table
                rows = self._read_table(model, missing, names)
            for row in rows:
                cache[row['id']] = row
        return {i: cache[i] for i in ids if i in cache}

    def _read_table(self, model, ids, names):
        fields = self.fields_get(model) or {}
        names = [n for n in names if fields.get(n, {}).get('type') in {
                'many2one', 'integer', 'char'}]
        if not names:
            return []
        columns = ', '.join(f'"{n}"' for n in names)
        marks = ', '.join('?' * len(ids))
        with sqlite3.connect(self.db) as connection:
            cursor = connection.execute(
                f'SELECT id, {columns} FROM "{model.replace(".", "_")}" '
                f'WHERE id IN ({marks})', ids)
            return [dict(zip(['id'] + names, r)) for r in cursor]

    def owner_path(self, model, depth=3):
        """Return the shortest path of field names from model to the ids of
        institutions, or None"""
        if model == INSTITUTION:
            return []
        frontier = [(model, [])]
        seen = {model}
        for _ in range(depth):
            next_frontier = []
            for current, path in frontier:
                fields = self.fields_get(current) or {}
                for name, field in sorted(fields.items()):
                    if name in NOT_OWNER:
                        continue
                    relation = field.get('relation')
                    if relation == INSTITUTION and field['type'] in RELATIONAL:
                        return path + [name]
                    if field['type'] == 'many2one' and relation not in seen:
                        seen.add(relation)
                        next_frontier.append((relation, path + [name]))
            frontier = next_frontier
        return None

    def owners(self, model, ids):
        "Return {id: set of institution ids} of the records"
        path = self.owner_path(model)
        result = {i: set() for i in ids}
        if path is None:
            return result
        current = {i: {i} for i in ids}
        current_model = model
        for name in path:
            targets = set().union(*current.values()) if current else set()
            rows = self.read(current_model, sorted(targets), [name])
            field = self.fields_get(current_model)[name]
            next_current = {}
            for origin, values in current.items():
                found = set()
                for value in values:
                    target = rows.get(value, {}).get(name)
                    if isinstance(target, list):
                        found.update(target)
                    elif target:
                        found.add(target)
                next_current[origin] = found
            current = next_current
            current_model = field.get('relation')
        return current

    def foreign(self, model, mine, creator=None):
        "Return the ids of the records of model of other institutions only"
        key = (model, frozenset(mine), creator)
        if key not in self._foreign:
            self._foreign[key] = self._compute_foreign(model, mine, creator)
        return self._foreign[key]

    def _compute_foreign(self, model, mine, creator):
        ids = self.all_ids(model)
        if not ids:
            return set()
        if model in SHARED_BY_USE:
            field = SHARED_BY_USE[model]
            relation = self.fields_get(model)[field]['relation']
            rows = self.read(model, sorted(ids), [field, 'create_uid'])
            targets = sorted({t for r in rows.values() for t in r[field]})
            owners = self.owners(relation, targets)
            return {
                i for i, r in rows.items()
                if r['create_uid'] != creator
                and not any(owners[t] & mine for t in r[field])}
        owners = self.owners(model, sorted(ids))
        return {i for i, o in owners.items() if o and not (o & mine)}


def readable_models(world, client):
    access = client.model('ir.model.access', 'get_access', world.models)
    return [m for m in world.models if access[m]['read']]


def count(client, model, domain):
    return client.model(
        model, 'search_count', domain, 0, None,
        context={'active_test': False})


def relation_templates(field, ids):
    "Return the domains of the records related to the ids through field"
    name = field['name']
    templates = [
        [(f'{name}.id', 'in', ids)],
        [(name, 'where', [('id', 'in', ids)])],
        ]
    if field['type'] == 'many2one':
        templates.append([(f'{name}.id', 'not in', ids)])
    else:
        templates += [
            [(name, 'not where', [('id', 'in', ids)])],
            [(name, 'in', ids)],
            ]
    return templates


def check_operator(world, client, mine):
    """Look for the records of other institutions as the operator client,
    whose institutions are mine"""
    probes = Probes(client.login)
    visible_cache = {}

    def visible(model):
        if model not in visible_cache:
            try:
                visible_cache[model] = set(client.model(
                        model, 'search', [], 0, None, None,
                        context={'active_test': False}))
            except RPCError:
                visible_cache[model] = None
        return visible_cache[model]

    def probe(model, kind, function, expected=None):
        "Run function; a refusal is no leak, a result differing is"
        probes.count += 1
        probes.kinds[kind] += 1
        try:
            result = function()
        except RPCError:
            probes.refused += 1
            return None
        if expected is not None and result != expected:
            probes.leak(model, kind, f'{result!r} instead of {expected!r}')
        return result

    access = client.model('ir.model.access', 'get_access', world.models)
    models = readable_models(world, client)
    for model in models:
        fields = world.fields_get(model)
        if fields is None or visible(model) is None:
            continue  # not served over RPC
        probes.models.add(model)
        seen = visible(model)
        foreign = world.foreign(model, mine, creator=client.uid)
        shown = seen & foreign
        probes.count += 1
        probes.kinds['search'] += 1
        if shown:
            probes.leak(model, 'search', f'ids {sorted(shown)[:10]}')
        hidden_ids = sorted(foreign)[:20]
        if hidden_ids:
            probe(model, 'search_count', lambda: count(
                    client, model, [('id', 'in', hidden_ids)]), 0)
            if probe(model, 'read', lambda: client.model(
                        model, 'read', hidden_ids[:5], ['id'])):
                probes.leak(model, 'read', f'ids {hidden_ids[:5]}')
            if access[model]['write'] and probe(
                    model, 'write', lambda: client.model(
                        model, 'write', hidden_ids[:1], {}) or True):
                probes.leak(model, 'write', f'ids {hidden_ids[:1]}')
            if probe(model, 'export', lambda: client.model(
                        model, 'export_data', hidden_ids[:5], ['rec_name'],
                        {})):
                probes.leak(model, 'export', f'ids {hidden_ids[:5]}')
        check_relations(
            world, client, probes, model, fields, seen, visible, mine)
        check_reports_wizards(world, client, probes, model, hidden_ids)
    probes.report()
    return probes


def check_relations(world, client, probes, model, fields, seen, visible,
        mine):
    """Relation domains, x2Many values and exports through the targets of
    other institutions"""
    seen_ids = sorted(seen)[:50]
    # Who created or changed a record is a Many2One of every model, to the
    # users of every institution: probed where the model has records of
    # other institutions (they go through the same code as any Many2One)
    authors = (
        model.startswith('reguarantee.')
        or world.foreign(model, mine, creator=client.uid))
    for name, field in sorted(fields.items()):
        if field['type'] not in RELATIONAL or not field.get('searchable', 1):
            continue
        if name in NOT_OWNER and not authors:
            continue
        field = dict(field, name=name)
        target = field['relation']
        hidden = sorted(world.foreign(target, mine, creator=client.uid))[:20]
        if not hidden:
            continue
        target_seen = visible(target)
        nonexistent = [NONEXISTENT + i for i in range(len(hidden))]
        for hidden_domain, void_domain in zip(
                relation_templates(field, hidden),
                relation_templates(field, nonexistent)):
            probes.count += 1
            probes.kinds['relation domain'] += 1
            try:
                expected = count(client, model, void_domain)
                result = count(client, model, hidden_domain)
            except RPCError:
                probes.refused += 1
                continue
            if result != expected:
                probes.leak(model, 'domain',
                    f'{hidden_domain[0][:2]} counts {result} with '
                    f'{target} records of other institutions, {expected} '
                    'without')
        if not seen_ids or target_seen is None:
            continue
        if field['type'] != 'many2one':
            probes.count += 1
            probes.kinds['x2Many value'] += 1
            try:
                rows = client.model(model, 'read', seen_ids, [name])
            except RPCError:
                probes.refused += 1
            else:
                shown = {t for r in rows for t in (r[name] or [])} & set(
                    hidden)
                if shown:
                    probes.leak(model, f'read {name}',
                        f'{target} ids {sorted(shown)[:10]}')
        # exporting the record names of the targets
        names = {
            r['rec_name'] for r in world.read(
                target, hidden, ['rec_name']).values()}
        names -= {
            r['rec_name'] for r in world.read(
                target, sorted(target_seen)[:200], ['rec_name']).values()}
        probes.count += 1
        probes.kinds['export'] += 1
        try:
            data = client.model(
                model, 'export_data', seen_ids, [f'{name}/rec_name'], {})
        except RPCError:
            probes.refused += 1
        else:
            shown = {str(c) for row in data for c in row} & names
            if shown:
                probes.leak(model, f'export {name}', sorted(shown)[:5])


def check_reports_wizards(world, client, probes, model, hidden_ids):
    "Reports and wizards of the model run on hidden records are refused"
    if not hidden_ids:
        return
    keywords = world.admin.model(
        'ir.action.keyword', 'search_read',
        [('model', '=', f'{model},-1')], 0, None, None,
        ['action.type', 'action'])
    for keyword in keywords:
        action_type = keyword.get('action.', {}).get('type') or ''
        if action_type not in {'ir.action.report', 'ir.action.wizard'}:
            continue
        actions = world.admin.model(
            action_type, 'search_read', [('action', '=', keyword['action'])],
            0, 1, None, ['report_name' if action_type.endswith('report')
                else 'wiz_name'])
        if not actions:
            continue
        ids = hidden_ids[:2]
        context = {
            'active_model': model, 'active_id': ids[0], 'active_ids': ids}
        probes.count += 1
        probes.kinds[action_type.split('.')[-1]] += 1
        if action_type.endswith('report'):
            name = actions[0]['report_name']
            try:
                client.call(f'report.{name}.execute', ids,
                    {'model': model, 'id': ids[0], 'ids': ids},
                    dict(client.context, **context))
            except RPCError:
                probes.refused += 1
            else:
                probes.leak(model, f'report {name}', f'ids {ids}')
        else:
            name = actions[0]['wiz_name']
            try:
                session, start, end = client.call(
                    f'wizard.{name}.create', {})
                result = client.call(f'wizard.{name}.execute', session, {},
                    start, dict(client.context, **context))
            except RPCError:
                probes.refused += 1
            else:
                text = json.dumps(result, ensure_ascii=False)
                hidden_names = {
                    r['rec_name'] for r in world.read(
                        model, ids, ['rec_name']).values()}
                if any(n and n in text for n in hidden_names):
                    probes.leak(model, f'wizard {name}', f'ids {ids}')


def institutions_of(world, login_client):
    rows = world.admin.model(
        'res.user', 'read', [login_client.uid], ['reguarantee_institutions'])
    return set(rows[0]['reguarantee_institutions'])


@pytest.fixture(scope='module')
def world(server):
    return World(login(server, 'admin'), server['db'])


@pytest.mark.parametrize('user', ['operator', 'operator3'])
def test_isolation(server, world, user):
    "Test an operator finds no record of another institution, by any path"
    client = login(server, user)
    mine = institutions_of(world, client)
    assert mine
    probes = check_operator(world, client, mine)
    assert len(probes.models) > 50
    assert not probes.leaks, '\n'.join(probes.leaks)


def test_examples(server, world):
    "Test the examples of issue 17 are refused"
    operator = login(server, 'operator')
    gi003, = world.admin.model(
        'reguarantee.institution', 'search', [('code', '=', 'GI003')],
        0, None, None)
    for net_assets in [0, 10 ** 12]:
        assert count(operator, 'reguarantee.product', [
                ('contracts', 'where', [
                        ('institution.code', '=', 'GI003'),
                        ('institution.net_assets', '>=', net_assets)])]) == 0
    assert count(operator, 'reguarantee.borrower', [
            ('projects.institution', '=', gi003)]) == 0
    assert count(operator, 'reguarantee.borrower', [
            ('projects.loan_amount', '>', 0),
            ('projects.institution', '!=', None)]) == count(
        operator, 'reguarantee.borrower', [])
    # other institutions' parties, identifiers, users and approvals
    parties = world.admin.model(
        'reguarantee.institution', 'search_read',
        [('code', '!=', 'GI001'), ('party', '!=', None)], 0, None, None,
        ['party'])
    party_ids = [p['party'] for p in parties]
    assert party_ids
    assert count(operator, 'party.party', [('id', 'in', party_ids)]) == 0
    assert count(operator, 'party.identifier', [
            ('party', 'in', party_ids)]) == 0
    with pytest.raises(RPCError):
        operator.model('party.party', 'write', party_ids[:1], {'name': 'X'})
    with pytest.raises(RPCError):
        operator.model('res.user', 'search_read', [], 0, None, None,
            ['login'])
    operator3 = login(server, 'operator3')
    assert count(operator, 'res.user', [('id', '=', operator3.uid)]) == 0
    clicks = world.admin.model(
        'ir.model.button.click', 'search_read',
        [('button.model', '=', 'reguarantee.institution')],
        0, None, None, ['record_id'])
    foreign = [c['id'] for c in clicks if c['record_id'] != 1]
    assert foreign
    assert count(
        operator, 'ir.model.button.click', [('id', 'in', foreign)]) == 0


def test_shared_borrower(server, world):
    """Test GI003 files (REST API) a project for a borrower GI001 registered,
    without seeing GI001's projects, and cannot rename it"""
    borrower, = world.admin.model(
        'reguarantee.borrower', 'search_read',
        [('projects.institution.code', '=', 'GI001'),
            ('projects.institution.code', '!=', 'GI003')],
        0, 1, None, ['id_number', 'name', 'kind'])
    today = dt.date.today()
    row = {
        'borrower_name': "another name for the same borrower",
        'borrower_kind': borrower['kind'],
        'id_number': borrower['id_number'],
        'industry': 'C3421',
        'bank': '徽商银行合肥分行',
        'loan_contract_number': 'SEC-API-0001',
        'loan_amount': '1000000.00',
        'guarantee_amount': '800000.00',
        'start_date': today.isoformat(),
        'end_date': (today + dt.timedelta(days=300)).isoformat(),
        }
    response = requests.post(
        server['api'] + '/projects', json={'projects': [row]},
        headers={'Authorization': f"Bearer {server['key3']}"}, timeout=60)
    assert response.status_code == 200, response.text[:2000]
    result = response.json()
    assert result['imported'] == 1, result
    operator3 = login(server, 'operator3')
    rows = operator3.model(
        'reguarantee.borrower', 'search_read',
        [('id_number', '=', borrower['id_number'])], 0, None, None,
        ['name', 'projects'])
    assert [r['name'] for r in rows] == [borrower['name']]
    projects = operator3.model(
        'reguarantee.project', 'read', rows[0]['projects'], ['institution'])
    institutions = {p['institution'] for p in projects}
    gi003, = world.admin.model(
        'reguarantee.institution', 'search', [('code', '=', 'GI003')],
        0, None, None)
    assert institutions == {gi003}
    with pytest.raises(RPCError):
        operator3.model(
            'reguarantee.borrower', 'write', [borrower['id']], {'name': 'X'})
    operator = login(server, 'operator')
    with pytest.raises(RPCError):
        operator.model(
            'reguarantee.borrower', 'write', [borrower['id']], {'name': 'X'})

    # a borrower it does not see is named by its ID number, not by its id
    unseen, = world.admin.model(
        'reguarantee.borrower', 'search_read',
        [('projects.institution.code', '=', 'GI001'),
            ('projects', 'not where', [('institution.code', '=', 'GI003')])],
        0, 1, None, ['id_number'])
    bank, = operator3.model(
        'party.party', 'search', [('name', '=', '徽商银行合肥分行')],
        0, None, None)
    values = {
        'institution': gi003, 'borrower': unseen['id'], 'bank': bank,
        'loan_contract_number': 'SEC-RPC-0001',
        'loan_amount': {'__class__': 'Decimal', 'decimal': '100000'},
        'guarantee_amount': {'__class__': 'Decimal', 'decimal': '80000'},
        'start_date': {'__class__': 'date', 'year': today.year,
            'month': today.month, 'day': today.day},
        'end_date': {'__class__': 'date', 'year': today.year + 1,
            'month': 1, 'day': 1},
        }
    for id_number in [None, borrower['id_number']]:
        with pytest.raises(RPCError):
            operator3.model('reguarantee.project', 'create', [
                    dict(values, borrower_id_number=id_number)])
    project, = operator3.model('reguarantee.project', 'create', [
            dict(values, borrower_id_number=unseen['id_number'])])
    assert operator3.model(
        'reguarantee.borrower', 'search', [('id', '=', unseen['id'])],
        0, None, None) == [unseen['id']]


def test_workflow_writes(server, world):
    """Test no role writes the state of a workflow record, nor a field its
    state makes read-only"""
    from trytond.pyson import PYSONDecoder
    probes = Probes('workflow')
    logins = [u['login'] for u in demo_data.USERS + [OPERATOR3]] + ['admin']
    clients = {login_: login(server, login_) for login_ in logins}
    modules = {
        m['name']: m['module'] for m in world.admin.model(
            'ir.model', 'search_read', [], 0, None, None, ['name', 'module'])}
    workflow = []
    for model in world.models:
        if not (modules.get(model) or '').startswith('reguarantee'):
            continue  # the project's modules, not Tryton's own
        fields = world.fields_get(model)
        if (not fields or 'state' not in fields
                or fields['state']['type'] != 'selection'
                or not world.admin.model(
                    'ir.model.button', 'search_count',
                    [('model', '=', model)], 0, None)):
            continue
        workflow.append(model)
    for model in workflow:
        fields = world.fields_get(model)
        guarded = [
            n for n, f in fields.items()
            if 'state' in (f.get('states') or '') and not f.get('readonly')
            and f['type'] in {'char', 'numeric', 'integer', 'date', 'float'}
            and n != 'state']
        states = [s for s, _ in fields['state']['selection']]
        for login_, client in clients.items():
            try:
                ids = client.model(
                    model, 'search', [], 0, 200, None,
                    context={'active_test': False})
                access = client.model(
                    'ir.model.access', 'get_access', [model])[model]
            except RPCError:
                continue
            if not ids or not access['write']:
                continue
            probes.models.add(model)
            rows = world.read(model, ids, sorted(fields))
            by_state = {}
            for row in rows.values():
                by_state.setdefault(row['state'], row)
            for state, row in by_state.items():
                other = next(s for s in states if s != state)
                probes.count += 1
                try:
                    client.model(model, 'write', [row['id']], {'state': other})
                except RPCError:
                    probes.refused += 1
                else:
                    probes.leak(model, f'{login_} wrote state',
                        f'{row["id"]}: {state} → {other}')
                    continue
                decoder = PYSONDecoder(row)
                for name in guarded:
                    states_ = decoder.decode(fields[name]['states'])
                    if not states_.get('readonly'):
                        continue
                    value = changed(fields[name]['type'], row[name])
                    probes.count += 1
                    try:
                        client.model(model, 'write', [row['id']],
                            {name: value})
                    except RPCError:
                        probes.refused += 1
                    else:
                        probes.leak(model, f'{login_} wrote {name}',
                            f'{row["id"]} in {state}')
    probes.report()
    assert len(probes.models) > 5
    assert not probes.leaks, '\n'.join(probes.leaks)


def changed(type_, value):
    "Return a value of the type different from value"
    if type_ == 'char':
        return (value or '') + 'X'
    elif type_ == 'date':
        year = value['year'] if isinstance(value, dict) else 2020
        return {'__class__': 'date', 'year': year + 1, 'month': 1, 'day': 1}
    elif type_ == 'numeric':
        value = Decimal(value['decimal']) if isinstance(value, dict) else (
            value or 0)
        return {'__class__': 'Decimal', 'decimal': str(value + 1)}
    return (value or 0) + 1
