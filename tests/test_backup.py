# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""scripts/backup.py backs up a database with its attachments and restores
it into a new database: same rows in every table, same attachments; on
SQLite and on a throwaway PostgreSQL cluster (scripts/pg.sh)."""
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))
import backup  # noqa: E402

PYTHON = str(ROOT / '.venv' / 'bin' / 'python') \
    if (ROOT / '.venv' / 'bin' / 'python').exists() else sys.executable
TRYTOND_ADMIN = str(Path(PYTHON).parent / 'trytond-admin')

# Adds attachments (in trytond's file store) and a few records, or prints
# the SHA-256 of every attachment's data, as JSON
DATA = '''
import hashlib, json, sys
from trytond.pool import Pool
from trytond.transaction import Transaction
name, command = sys.argv[1:3]
Pool(name).init()
with Transaction().start(name, 0) as transaction:
    pool = Pool(name)
    Attachment = pool.get('ir.attachment')
    Group = pool.get('res.group')
    if command == 'fill':
        groups = Group.create([{'name': 'Group %s' % i} for i in range(20)])
        Attachment.create([{
                    'name': 'file%s.bin' % i,
                    'resource': str(groups[i]),
                    'data': hashlib.sha512(b'%d' % i).digest() * (i + 1),
                    } for i in range(12)])
        transaction.commit()
    else:
        print(json.dumps({a.name: hashlib.sha256(a.data).hexdigest()
                    for a in Attachment.search([])}))
'''


def env_for(uri, path):
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    env.update({
            'TRYTOND_DATABASE__URI': uri,
            'TRYTOND_DATABASE__PATH': str(path),
            })
    return env


def trytond(env, *args):
    result = subprocess.run(
        [PYTHON, *args], env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def create_database(uri, path, name):
    "A database with ir and res, some groups and attachments"
    env = env_for(uri, path)
    if uri.startswith('sqlite'):
        (path / f'{name}.sqlite').touch()
    else:
        import psycopg
        with psycopg.connect(uri.rstrip('/') + '/postgres',
                autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    password = path / 'admin-password'
    password.write_text('backup-test\n')
    trytond(dict(env, TRYTONPASSFILE=str(password)), TRYTOND_ADMIN,
        '-d', name, '--all', '--email', 'admin@example.com')
    trytond(env, '-c', DATA, name, 'fill')


def attachments(uri, path, name):
    return json.loads(trytond(env_for(uri, path), '-c', DATA, name, 'sums'))


def check_backup_restore(uri, path, tmp_path):
    create_database(uri, path, 'source')
    source = backup.Database('source', uri=uri, path=path)
    sums = attachments(uri, path, 'source')
    assert len(sums) == 12
    assert len(list(source.filestore.rglob('*'))) > 0

    folder = tmp_path / 'backups'
    copy_to = tmp_path / 'elsewhere'
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    path_backup = backup.backup(source, folder, keep=2, copy_to=copy_to,
        _now=now)
    manifest = backup.verify(path_backup)
    assert manifest['backend'] == source.backend
    assert manifest['tables']['ir_attachment'] == 12
    assert manifest['tables']['res_group'] >= 20
    assert (copy_to / path_backup.name / backup.MANIFEST).exists()

    target = backup.Database('restored', uri=uri, path=path)
    backup.restore(path_backup, target)
    assert target.table_counts() == source.table_counts()
    assert attachments(uri, path, 'restored') == sums

    # an existing database is not replaced without force
    with pytest.raises(backup.BackupError):
        backup.restore(path_backup, target)
    backup.restore(path_backup, target, force=True)

    # retention: the two newest are kept, here and in the copy
    for hours in [1, 2]:
        backup.backup(source, folder, keep=2, copy_to=copy_to,
            _now=now + dt.timedelta(hours=hours))
    kept = [p.name for p in backup.backup_dirs(folder, 'source')]
    assert kept == ['source-20260101T010000Z', 'source-20260101T020000Z']
    assert [p.name for p in backup.backup_dirs(copy_to, 'source')] == kept

    # a damaged backup is refused before anything is done
    damaged = backup.backup_dirs(folder, 'source')[-1]
    with open(damaged / backup.ATTACHMENTS, 'ab') as file:
        file.write(b'x')
    with pytest.raises(backup.BackupError, match='checksum'):
        backup.restore(
            damaged, backup.Database('other', uri=uri, path=path))
    assert not backup.Database('other', uri=uri, path=path).exists()


def test_backup_restore_sqlite(tmp_path):
    "Test a SQLite database and its attachments are restored alike"
    path = tmp_path / 'db'
    path.mkdir()
    check_backup_restore('sqlite://', path, tmp_path)


@pytest.fixture
def pg_uri():
    "A throwaway PostgreSQL cluster (scripts/pg.sh)"
    if not shutil.which('pg_ctl') and not list(
            Path('/usr/lib/postgresql').glob('*/bin/pg_ctl')):
        pytest.skip("PostgreSQL is not installed")
    result = subprocess.run(
        ['bash', str(ROOT / 'scripts' / 'pg.sh'), 'start'],
        capture_output=True, text=True, check=True)
    values = dict(
        line.split('=', 1) for line in result.stdout.split()
        if '=' in line)
    values = {k: v.strip("'") for k, v in values.items()}
    try:
        yield values['PG_URI']
    finally:
        subprocess.run(
            ['bash', str(ROOT / 'scripts' / 'pg.sh'), 'stop',
                values['PG_TMPDIR']], check=False)


def test_backup_restore_postgresql(tmp_path, pg_uri):
    "Test a PostgreSQL database (pg_dump -Fc) and its attachments"
    path = tmp_path / 'db'
    path.mkdir()
    check_backup_restore(pg_uri, path, tmp_path)


def test_cli(tmp_path):
    "Test the command line refuses a missing database and lists backups"
    env = env_for('sqlite://', tmp_path)
    result = subprocess.run(
        [PYTHON, str(ROOT / 'scripts' / 'backup.py'), 'backup', '-d',
            'missing', '--dir', str(tmp_path / 'b')],
        env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert 'no database missing' in result.stderr
