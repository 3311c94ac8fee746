#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Back up and restore a Tryton database with its attachments.

    python scripts/backup.py backup  [-d NAME] [--dir DIR] [--keep N]
                                     [--copy PATH|HOST:PATH]
    python scripts/backup.py restore BACKUP [-d NEW_NAME] [--force]
    python scripts/backup.py list    [--dir DIR]
    python scripts/backup.py verify  BACKUP

A backup is a folder <dir>/<database>-<UTC time>/ holding:
- database.sqlite (SQLite, an online copy by SQLite's backup API) or
  database.dump (PostgreSQL, `pg_dump -Fc`);
- attachments.tar: the database's folder of trytond's file store
  (<[database] path>/<database>/, the attachments and other stored files);
- manifest.json: the database, its backend, the time, the trytond version,
  the number of rows of every table and the SHA-256 and size of both files.
It is written in a hidden folder then renamed, so a folder without a dot is
complete.  `restore` checks the checksums first and then creates a new
database (it refuses an existing one unless --force).

The database is found like trytond does it: TRYTOND_DATABASE__URI
(sqlite:// by default, postgresql://user:password@host:port/) and
TRYTOND_DATABASE__PATH (<repository>/var/db by default).  Retention: the
--keep (BACKUP_KEEP, 7) newest backups of the database are kept, older
ones deleted, in --dir and in a local --copy.  --copy (BACKUP_COPY) copies
the new backup to another folder or, when it has the form HOST:PATH or
rsync://..., sends it with `rsync -a` (the remote side keeps its own
retention).
"""
import argparse
import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = 'manifest.json'
ATTACHMENTS = 'attachments.tar'
NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')


class BackupError(Exception):
    pass


def log(message):
    print(f'[backup] {message}', file=sys.stderr, flush=True)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def pg_bin(name):
    "Return the PostgreSQL client program name (PATH, else Debian's)"
    if shutil.which(name):
        return name
    found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'),
        key=lambda p: int(p.split('/')[4]) if p.split('/')[4].isdigit()
        else 0)
    if not found:
        raise BackupError(f"{name} not found (install postgresql-client)")
    return found[-1]


class Database:
    "The database as trytond's configuration names it"

    def __init__(self, name, uri=None, path=None):
        if not NAME_RE.match(name or ''):
            raise BackupError(f"invalid database name: {name!r}")
        self.name = name
        self.uri = uri or os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://')
        self.path = Path(path or os.environ.get(
                'TRYTOND_DATABASE__PATH', ROOT / 'var' / 'db'))
        self.backend = urlsplit(self.uri).scheme.split('+')[0]
        if self.backend not in {'sqlite', 'postgresql'}:
            raise BackupError(f"unsupported database URI: {self.uri}")

    @property
    def sqlite_file(self):
        return self.path / f'{self.name}.sqlite'

    @property
    def filestore(self):
        return self.path / self.name

    def pg_uri(self, name=None):
        "The URI of the database on the server (psycopg/libpq form)"
        parts = urlsplit(self.uri)
        return urlunsplit(('postgresql', parts.netloc,
                '/' + (name or self.name), parts.query, ''))

    def exists(self):
        if self.backend == 'sqlite':
            return self.sqlite_file.exists()
        import psycopg
        with psycopg.connect(self.pg_uri('postgres')) as conn:
            return bool(conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s",
                    (self.name,)).fetchone())

    def connect(self):
        if self.backend == 'sqlite':
            return sqlite3.connect(f'file:{self.sqlite_file}?mode=ro',
                uri=True)
        import psycopg
        return psycopg.connect(self.pg_uri())

    def table_counts(self):
        "Return the number of rows of every table"
        conn = self.connect()
        try:
            if self.backend == 'sqlite':
                tables = [r[0] for r in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%'")]
            else:
                tables = [r[0] for r in conn.execute(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' "
                        "AND table_type = 'BASE TABLE'")]
            counts = {}
            for table in sorted(tables):
                quoted = '"%s"' % table.replace('"', '""')
                counts[table] = conn.execute(
                    f'SELECT COUNT(*) FROM {quoted}').fetchone()[0]
            return counts
        finally:
            conn.close()

    def dump(self, folder):
        "Write the database into folder and return the file's name"
        if self.backend == 'sqlite':
            target = folder / 'database.sqlite'
            source = sqlite3.connect(
                f'file:{self.sqlite_file}?mode=ro', uri=True)
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
            return target.name
        target = folder / 'database.dump'
        subprocess.run([pg_bin('pg_dump'), '-Fc', '--no-owner',
                '-f', str(target), '--dbname', self.pg_uri()], check=True)
        return target.name

    def load(self, folder, filename):
        "Create the database from the file of the backup"
        if self.backend == 'sqlite':
            self.path.mkdir(parents=True, exist_ok=True)
            tmp = self.sqlite_file.with_suffix('.sqlite.restoring')
            shutil.copyfile(folder / filename, tmp)
            os.replace(tmp, self.sqlite_file)
            return
        import psycopg
        with psycopg.connect(
                self.pg_uri('postgres'), autocommit=True) as conn:
            conn.execute(
                'CREATE DATABASE "%s" TEMPLATE template0 ENCODING \'UTF8\''
                % self.name)
        subprocess.run([pg_bin('pg_restore'), '--no-owner', '--exit-on-error',
                '--dbname', self.pg_uri(), str(folder / filename)],
            check=True)

    def drop(self):
        if self.backend == 'sqlite':
            self.sqlite_file.unlink(missing_ok=True)
        else:
            import psycopg
            with psycopg.connect(
                    self.pg_uri('postgres'), autocommit=True) as conn:
                conn.execute('DROP DATABASE IF EXISTS "%s"' % self.name)
        shutil.rmtree(self.filestore, ignore_errors=True)


def backup_dirs(folder, name):
    "The complete backups of the database name in folder, oldest first"
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(name) + r'-\d{8}T\d{6}Z$')
    return sorted(p for p in folder.iterdir()
        if p.is_dir() and pattern.match(p.name)
        and (p / MANIFEST).exists())


def prune(folder, name, keep):
    "Delete the backups of name in folder but the keep newest"
    removed = []
    if keep > 0:
        for path in backup_dirs(folder, name)[:-keep]:
            shutil.rmtree(path)
            removed.append(path)
            log(f"retention: removed {path}")
    return removed


def is_remote(target):
    return target.startswith('rsync://') or bool(
        re.match(r'^[^/:]+:', target) and not Path(target).exists())


def copy(path, target, name, keep):
    target = str(target)
    "Copy the backup folder path to target (a folder or an rsync target)"
    if is_remote(target):
        subprocess.run(['rsync', '-a', '--partial', str(path),
                target.rstrip('/') + '/'], check=True)
        log(f"copied to {target} (rsync)")
        return
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f'.{path.name}.copying'
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(path, tmp)
    verify(tmp)
    os.replace(tmp, target / path.name)
    log(f"copied to {target / path.name}")
    prune(target, name, keep)


def backup(database, folder, keep=7, copy_to=None, _now=None):
    "Back up the database into folder; return the backup's path"
    if not database.exists():
        raise BackupError(f"no database {database.name}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = _now or dt.datetime.now(dt.timezone.utc)
    path = folder / f'{database.name}-{now:%Y%m%dT%H%M%SZ}'
    if path.exists():
        raise BackupError(f"{path} exists")
    tmp = Path(tempfile.mkdtemp(prefix=f'.{path.name}.', dir=folder))
    try:
        counts = database.table_counts()
        dump = database.dump(tmp)
        with tarfile.open(tmp / ATTACHMENTS, 'w') as tar:
            if database.filestore.is_dir():
                tar.add(database.filestore, arcname='.')
        try:
            from trytond import __version__ as trytond_version
        except ImportError:
            trytond_version = None
        manifest = {
            'format': 1,
            'database': database.name,
            'backend': database.backend,
            'created': now.isoformat(),
            'trytond': trytond_version,
            'tables': counts,
            'files': {
                name: {
                    'sha256': sha256(tmp / name),
                    'size': (tmp / name).stat().st_size,
                    } for name in [dump, ATTACHMENTS]},
            }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + '\n')
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"{database.name} ({database.backend}, {sum(counts.values())} rows"
        f" in {len(counts)} tables) backed up to {path}")
    prune(folder, database.name, keep)
    if copy_to:
        copy(path, copy_to, database.name, keep)
    return path


def verify(path):
    "Check the files of the backup against its manifest; return it"
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exception:
        raise BackupError(f"{path}: no valid manifest ({exception})")
    for name, expected in manifest['files'].items():
        file = path / name
        if not file.is_file():
            raise BackupError(f"{path}: {name} is missing")
        if (file.stat().st_size != expected['size']
                or sha256(file) != expected['sha256']):
            raise BackupError(f"{path}: {name} does not match its checksum")
    return manifest


def restore(path, database, force=False):
    "Create database from the backup path; return the manifest"
    path = Path(path)
    manifest = verify(path)
    if manifest['backend'] != database.backend:
        raise BackupError(
            f"the backup is of {manifest['backend']}, the target database "
            f"is {database.backend}")
    if database.exists() or database.filestore.exists():
        if not force:
            raise BackupError(
                f"database {database.name} exists (--force replaces it)")
        database.drop()
    dump, = [n for n in manifest['files'] if n != ATTACHMENTS]
    database.load(path, dump)
    database.filestore.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path / ATTACHMENTS) as tar:
        tar.extractall(database.filestore, filter='data')
    counts = database.table_counts()
    if counts != manifest['tables']:
        raise BackupError(f"{database.name}: the restored row counts differ")
    log(f"{path} restored into {database.name} ({database.backend}, "
        f"{sum(counts.values())} rows)")
    return manifest


def get_parser():
    parser = argparse.ArgumentParser(
        prog='scripts/backup.py', description=__doc__.split('\n\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    folder = dict(default=os.environ.get(
            'BACKUP_DIR', ROOT / 'var' / 'backups'),
        help="folder of the backups (BACKUP_DIR, var/backups)")
    name = dict(default=os.environ.get('BACKUP_DATABASE', 'demo'),
        help="database name (BACKUP_DATABASE, demo)")

    command = commands.add_parser('backup', help="back up a database")
    command.add_argument('-d', '--database', **name)
    command.add_argument('--dir', **folder)
    command.add_argument('--keep', type=int,
        default=int(os.environ.get('BACKUP_KEEP', 7)),
        help="backups kept per database (BACKUP_KEEP, 7; 0 keeps all)")
    command.add_argument('--copy', default=os.environ.get('BACKUP_COPY'),
        help="also copy the backup to this folder or rsync target "
        "(BACKUP_COPY)")

    command = commands.add_parser('restore', help="restore a backup")
    command.add_argument('backup', nargs='?',
        default=os.environ.get('BACKUP'),
        help="backup folder (BACKUP; default: the newest of --dir)")
    command.add_argument('-d', '--database',
        default=os.environ.get('RESTORE_DATABASE'),
        help="name of the new database (RESTORE_DATABASE; default: the "
        "backup's)")
    command.add_argument('--dir', **folder)
    command.add_argument('--from-database', **name)
    command.add_argument('--force', action='store_true',
        default=bool(os.environ.get('RESTORE_FORCE')),
        help="replace an existing database (RESTORE_FORCE=1)")

    command = commands.add_parser('verify', help="check a backup")
    command.add_argument('backup')

    command = commands.add_parser('list', help="list the backups")
    command.add_argument('-d', '--database', **name)
    command.add_argument('--dir', **folder)
    return parser


def main(argv=None):
    args = get_parser().parse_args(argv)
    try:
        if args.command == 'backup':
            print(backup(Database(args.database), args.dir, keep=args.keep,
                    copy_to=args.copy))
        elif args.command == 'restore':
            path = args.backup
            if not path:
                backups = backup_dirs(args.dir, args.from_database)
                if not backups:
                    raise BackupError(
                        f"no backup of {args.from_database} in {args.dir}")
                path = backups[-1]
            manifest = verify(path)
            restore(path, Database(args.database or manifest['database']),
                force=args.force)
        elif args.command == 'verify':
            manifest = verify(args.backup)
            log(f"{args.backup}: {len(manifest['files'])} files match")
        elif args.command == 'list':
            for path in backup_dirs(args.dir, args.database):
                print(path)
    except (BackupError, subprocess.CalledProcessError) as exception:
        log(f"error: {exception}")
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
