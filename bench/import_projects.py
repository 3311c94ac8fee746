#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Benchmark of the project batch import

Generates an .xlsx of N realistic rows (about 2 % invalid: bad check digit,
duplicate, missing field, over-limit amount) and times, each in a child
process on a fresh copy of a prepared database:

- import: ProjectImport.import_file in mode 'valid', the code shared by the
  Import Projects wizard and the reguarantee-import command, then commit;
- raw: the same valid rows created by one Borrower.create and one
  Project.create call, without the import's validation, then commit;
- floor: the same valid rows inserted by plain bulk INSERTs (COPY on
  PostgreSQL, one prepared INSERT on SQLite) of the borrowers and the
  projects, then commit: what the database alone needs; the import ÷ floor
  ratio is printed.

The peak memory is the ru_maxrss of the child process (resource.getrusage
RUSAGE_SELF), which includes the pool and the file loaded.  The CPU seconds
(user + system) are those of the child process, of the import's reader
process and, on PostgreSQL, of the server process of the transaction: less
noisy than the seconds when other jobs share the CPU.  Run it with
python -O: without it trytond's ModelStorage.__init__ asserts over the whole
id list.  PostgreSQL uses TRYTOND_DATABASE__URI (run under scripts/pg.sh
run); SQLite uses a file database in a temporary folder."""
import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from decimal import Decimal

import common

TEMPLATE = 'bench_template'
INSTITUTION = 'HF01'
BANKS = ['徽商银行合肥分行', '中国工商银行合肥分行', '合肥科技农村商业银行']
MAX_LOAN = Decimal('10000000')
HEADER = [
    '借款人名称', '借款人类型', '证件号码', '行业代码', '行政区划',
    '贷款银行', '借款合同编号', '贷款金额', '担保金额', '起始日期',
    '到期日期']
CITIES = ['合肥', '芜湖', '蚌埠', '淮南', '马鞍山', '安庆', '滁州', '阜阳',
    '六安', '宣城', '亳州', '黄山']
REGIONS = ['340100', '340200', '340300', '340400', '340500', '340800',
    '341100', '341200', '341500', '341800', '341600', '341000']
WORDS = ['禾丰', '青禾', '瑞达', '恒信', '华源', '金穗', '鑫泰', '宏图',
    '永安', '富民', '天成', '润泽', '兴农', '盛世', '嘉诚', '新月']
TRADES = [
    ('A0111', '农业科技'), ('A0311', '畜牧养殖'), ('C1311', '粮油食品'),
    ('C1713', '纺织'), ('C3311', '金属制品'), ('C3899', '电器'),
    ('A0511', '农业服务'), ('C2110', '家具')]
SUFFIXES = ['有限公司', '有限责任公司', '股份有限公司']
INVALID_KINDS = ['check_digit', 'duplicate', 'missing', 'over_limit']


def uscc(serial, prefix):
    "make_uscc of the module's tests, imported once trytond is configured"
    from trytond.modules.reguarantee_base.tests.tools import make_uscc
    return make_uscc(serial, prefix)


def generate_rows(count, seed=1):
    """Return the header and count rows, and the number of rows of each
    kind of error; about 2 % of the rows are invalid"""
    rng = random.Random(seed)
    today = dt.date.today()
    rows, invalid = [], dict.fromkeys(INVALID_KINDS, 0)
    for i in range(count):
        city = rng.randrange(len(CITIES))
        code, trade = rng.choice(TRADES)
        business = rng.random() < 0.2
        kind = '个体工商户' if business else '企业'
        name = CITIES[city] + rng.choice(WORDS) + rng.choice(WORDS) + trade
        name += ('经营部' if business else rng.choice(SUFFIXES))
        prefix = ('92' if business else '91') + REGIONS[city]
        loan = Decimal(rng.randrange(10, 500) * 10000)
        start = today - dt.timedelta(days=rng.randrange(0, 20))
        row = [
            name, kind, uscc(i + 1, prefix), code, REGIONS[city],
            rng.choice(BANKS), 'LC%08d' % (i + 1), loan,
            (loan * Decimal('0.8')).quantize(Decimal('1')),
            start, start + dt.timedelta(days=rng.choice([180, 365, 730]))]
        if i % 50 == 49:
            error = INVALID_KINDS[(i // 50) % len(INVALID_KINDS)]
            invalid[error] += 1
            if error == 'check_digit':
                check = row[2][-1]
                row[2] = row[2][:-1] + ('1' if check != '1' else '2')
            elif error == 'duplicate':
                row = list(rows[rng.randrange(len(rows))])
            elif error == 'missing':
                row[5] = None
            elif error == 'over_limit':
                row[7] = MAX_LOAN * 2
                row[8] = MAX_LOAN
        rows.append(row)
    return HEADER, rows, invalid


def write_xlsx(path, header, rows):
    """Write the rows as Excel, WPS and LibreOffice do: with the sheet's
    dimension, which openpyxl's write-only mode leaves out (openpyxl's
    read-only reader then parses the whole sheet once more to find it)"""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    dimension = '<dimension ref="A1:%s%d"/>' % (
        get_column_letter(len(header)), len(rows) + 1)
    with zipfile.ZipFile(content) as source, \
            zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == 'xl/worksheets/sheet1.xml':
                data = data.replace(
                    b'<sheetViews>', dimension.encode() + b'<sheetViews>', 1)
                assert dimension.encode() in data
            target.writestr(info, data)


# Child processes ----------------------------------------------------------

def child_setup(database):
    "Create the template database: company, institution, contract, bank"
    common.activate(database, 'reguarantee_base')
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, 0) as transaction:
        User = pool.get('res.user')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        company = common.create_company()
        groups = [Group(ModelData.get_id('reguarantee_base', xml_id))
            for xml_id in ['group_business', 'group_admin']]
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id,
                'groups': [('add', [g.id for g in groups])],
                })
        with transaction.set_context(company=company.id):
            institution, = common.create_institutions(
                company, 1, code=INSTITUTION, name="合肥市融资担保有限公司",
                uscc=uscc(1, '91340100'), license_number='WD-' + INSTITUTION,
                net_assets=Decimal('1000000000000'))
            today = dt.date.today()
            product, = common.create_products(company, [{
                        'code': '4222', 'name': "4222",
                        'max_loan_amount': MAX_LOAN,
                        'max_term_months': 36,
                        'borrower_kinds': ['enterprise',
                            'individual_business'],
                        'industries': ['A', 'C'],
                        'start_date': today - dt.timedelta(days=60),
                        }])
            common.create_contract(institution, [product])
            common.create_banks(BANKS)
    return {}


def open_database(database):
    common.configure(database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        pool.init()
        User = pool.get('res.user')
        user, = User.search([('login', '=', 'admin')])
    with Transaction().start(database, user.id, readonly=True):
        context = User.get_preferences(context_only=True)
    return pool, user.id, context


def figures(measured):
    "Return the measured figures named as the results of this benchmark"
    measured['reader_cpu_s'] = measured.pop('children_cpu_s')
    return measured


def child_import(database, path):
    "Time the import as the wizard and reguarantee-import do"
    from trytond.transaction import Transaction
    pool, user, context = open_database(database)
    with open(path, 'rb') as file:
        data = file.read()
    with Transaction().start(database, user, context=context), \
            common.measure(common.backend_pid()) as measured:
        Institution = pool.get('reguarantee.institution')
        ProjectImport = pool.get(
            'reguarantee.project.import', type='wizard')
        institution, = Institution.search([('code', '=', INSTITUTION)])
        with Transaction().set_context(company=institution.company.id):
            result = ProjectImport.import_file(
                data, os.path.basename(path), institution, 'valid')
        reasons = {}
        for _, column, reason in result.error_lines():
            key = column or 'product (no column)'
            reasons[key] = reasons.get(key, 0) + 1
        imported, rejected = len(result.projects), len(result.rejected)
    return {
        'imported': imported, 'rejected': rejected,
        'errors_by_column': reasons, **figures(measured),
        }


def read_valid_rows(pool, path):
    """Return the valid rows of the file at path, the institution, its
    contract and product and the banks by name"""
    Institution = pool.get('reguarantee.institution')
    Party = pool.get('party.party')
    with open(path) as file:
        rows = json.load(file)
    institution, = Institution.search([('code', '=', INSTITUTION)])
    contract, = institution.contracts
    product, = contract.products
    banks = {p.name: p.id for p in Party.search([('name', 'in', BANKS)])}
    return rows, institution, contract, product, banks


def borrower_kind(row):
    return 'individual_business' if row[1] == '个体工商户' else 'enterprise'


def child_raw(database, path):
    "Time one Borrower.create and one Project.create of the valid rows"
    from trytond.transaction import Transaction
    pool, user, context = open_database(database)
    with Transaction().start(database, user, context=context), \
            common.measure(common.backend_pid()) as measured:
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        rows, institution, contract, product, banks = read_valid_rows(
            pool, path)
        company = institution.company
        with Transaction().set_context(company=company.id):
            borrowers = Borrower.create([{
                        'name': r[0], 'kind': borrower_kind(r),
                        'id_number': r[2], 'industry': r[3],
                        'region': r[4],
                        } for r in rows])
            vlist = []
            for row, borrower in zip(rows, borrowers):
                guarantee = Decimal(row[8])
                vlist.append({
                        'company': company.id,
                        'institution': institution.id,
                        'contract': contract.id,
                        'product': product.id,
                        'borrower': borrower.id,
                        'industry': row[3], 'region': row[4],
                        'bank': banks[row[5]],
                        'loan_contract_number': row[6],
                        'loan_amount': Decimal(row[7]),
                        'guarantee_amount': guarantee,
                        'reguaranteed_amount': (
                            guarantee * product.share_reguarantor),
                        'start_date': dt.date.fromisoformat(row[9]),
                        'end_date': dt.date.fromisoformat(row[10]),
                        'state': 'submitted',
                        })
            projects = Project.create(vlist)
        imported = len(projects)
    return {'imported': imported, 'rejected': 0, **figures(measured)}


def child_floor(database, path):
    """Time plain bulk INSERTs of the borrowers and projects of the valid
    rows: the database's part of an import, without any model"""
    from trytond.transaction import Transaction
    pool, user, context = open_database(database)
    with Transaction().start(database, user, context=context), \
            common.measure(common.backend_pid()) as measured:
        rows, institution, contract, product, banks = read_valid_rows(
            pool, path)
        common.insert('reguarantee_borrower', [
                'name', 'kind', 'id_number', 'industry', 'region'], (
                (r[0], borrower_kind(r), r[2], r[3], r[4]) for r in rows))
        borrower_ids = common.ids_of('reguarantee_borrower')[-len(rows):]
        share = product.share_reguarantor
        common.insert('reguarantee_project', [
                'company', 'number', 'institution', 'contract', 'product',
                'borrower', 'industry', 'region', 'bank',
                'loan_contract_number', 'loan_amount', 'guarantee_amount',
                'reguaranteed_amount', 'start_date', 'end_date', 'state'], (
                (institution.company.id, 'F%08d' % i, institution.id,
                    contract.id, product.id, borrower, row[3], row[4],
                    banks[row[5]], row[6], Decimal(row[7]),
                    Decimal(row[8]), Decimal(row[8]) * share,
                    dt.date.fromisoformat(row[9]),
                    dt.date.fromisoformat(row[10]), 'submitted')
                for i, (row, borrower) in enumerate(
                    zip(rows, borrower_ids))))
    return {'imported': len(rows), 'rejected': 0, **figures(measured)}


CHILDREN = {
    'setup': lambda a: child_setup(a.database),
    'import': lambda a: child_import(a.database, a.file),
    'raw': lambda a: child_raw(a.database, a.file),
    'floor': lambda a: child_floor(a.database, a.file),
    }


# Parent -------------------------------------------------------------------

def get_parser():
    parser = common.get_parser(__doc__.split('\n')[0])
    parser.add_argument('--rows', type=int, nargs='+', action='extend',
        metavar='N', help="numbers of rows (default: 10000)")
    parser.add_argument('--raw', action=argparse.BooleanOptionalAction,
        default=True, help="also time the raw Project.create (default)")
    parser.add_argument('--keep', metavar='FOLDER',
        help="work in this folder and keep it")
    parser.add_argument('--file', help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    options = get_parser().parse_args(argv)
    if options.child:
        return common.run_child(CHILDREN, options)
    common.check_optimize()
    folder = options.keep or tempfile.mkdtemp(prefix='bench-import-')
    os.makedirs(folder, exist_ok=True)
    try:
        return run(options, folder)
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(options, folder):
    backend = common.Backend(options.backend, folder)
    start = time.perf_counter()
    backend.drop(TEMPLATE)
    backend.child(__file__, 'setup', TEMPLATE)
    print("setup of the template database: %.1f s" % (
            time.perf_counter() - start), file=sys.stderr)
    results = []
    for count in options.rows or [10000]:
        header, rows, invalid = generate_rows(count)
        path = os.path.join(folder, 'projects-%s.xlsx' % count)
        write_xlsx(path, header, rows)
        seen, valid = set(), []
        for row, number in zip(rows, range(count)):
            if number % 50 == 49 or (row[2], row[6]) in seen:
                continue
            seen.add((row[2], row[6]))
            valid.append([str(v) for v in row])
        valid_path = os.path.join(folder, 'valid-%s.json' % count)
        with open(valid_path, 'w') as file:
            json.dump(valid, file)
        measures = [('import', path), ('floor', valid_path)]
        if options.raw:
            measures.append(('raw', valid_path))
        by_path = {}
        for kind, measure_path in measures:
            for label, python in common.interpreters(options):
                if kind != 'import' and label == 'before':
                    continue
                database = backend.copy(TEMPLATE)
                result = backend.child(
                    __file__, kind, database, '--file', measure_path,
                    python=python)
                backend.drop(database)
                result.update({
                        'backend': options.backend, 'rows': count,
                        'path': kind, 'code': label,
                        'invalid_generated': invalid,
                        'rows_per_s': (
                            count if kind == 'import'
                            else result['imported']) / result['seconds'],
                        })
                by_path[kind, label] = result
                results.append(result)
                print_result(result)
        floor = by_path['floor', 'after']
        for (kind, label), result in by_path.items():
            if kind == 'import':
                # per valid row: the floor inserts the valid rows only
                result['floor_ratio'] = (
                    result['seconds'] / result['imported']) / (
                    floor['seconds'] / floor['imported'])
    print_table(results)
    backend.drop(TEMPLATE)
    common.write_json(options.json, {'results': results})
    return 0


def print_result(result):
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr)


def print_table(results):
    print('%-10s %8s %-6s %-6s %9s %8s %8s %8s %9s %7s %7s %7s %5s %7s' % (
            'backend', 'rows', 'path', 'code', 'seconds', 'rows/s',
            'imported', 'rejected', 'peak MiB', 'CPU s', 'reader', 'server',
            'load', 'floor×'))
    for r in results:
        server = r.get('server_cpu_s')
        ratio = r.get('floor_ratio')
        print('%-10s %8d %-6s %-6s %9.1f %8.0f %8d %8d %9.0f %7.1f %7.1f '
            '%7s %5.2f %7s' % (
                r['backend'], r['rows'], r['path'], r['code'], r['seconds'],
                r['rows_per_s'], r['imported'], r['rejected'],
                r['peak_rss_mib'], r['cpu_s'], r['reader_cpu_s'],
                '%.1f' % server if server is not None else '–',
                r['load_avg'][0],
                '%.1f' % ratio if ratio is not None else ''))


if __name__ == '__main__':
    sys.exit(main())
