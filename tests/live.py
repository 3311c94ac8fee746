# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""A live trytond for the tests that speak to a server (tests/conftest.py,
test_security.py, test_failover.py, browser/conftest.py): the database
activated by trytond-admin, prepared by a script, then served until
stopped"""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
PYTHON = str(VENV_BIN / 'python') if (VENV_BIN / 'python').exists() \
    else sys.executable
BIN = Path(PYTHON).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def sqlite_workdir(prefix, database, web=''):
    """Return a new folder (prefix), the configuration file in it of the
    SQLite database in its db folder served on a free port of 127.0.0.1
    (more [web] options and sections in web), the port and the environment
    of the server (without TRYTOND_CONFIG)"""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    db_dir = workdir / 'db'
    db_dir.mkdir()
    (db_dir / f'{database}.sqlite').touch()
    port = free_port()
    conf = workdir / 'test.conf'
    conf.write_text(
        '[database]\nuri = sqlite://\n'
        f'path = {db_dir}\n'
        f'[web]\nlisten = 127.0.0.1:{port}\n' + web)
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    return workdir, conf, port, env


def run(command, env, log):
    """Run command, its errors appended to log; return its standard output
    or fail the test with the end of log"""
    with open(log, 'a') as file:
        result = subprocess.run(
            list(map(str, command)), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=file, text=True)
    if result.returncode:
        pytest.fail(f"{command[:2]} failed:\n{Path(log).read_text()[-4000:]}")
    return result.stdout


def activate(conf, database, modules, env, log, password, optimize=False):
    """Create the tables of modules (and of their dependencies) in the
    database of the configuration file conf, with password for admin"""
    passfile = Path(log).parent / 'admin-password'
    passfile.write_text(password + '\n')
    command = [
        PYTHON, *(['-O'] if optimize else []), BIN / 'trytond-admin',
        '-c', conf, '-d', database, '-u', *modules,
        '--activate-dependencies', '--email', 'admin@example.com']
    run(command, dict(env, TRYTONPASSFILE=str(passfile)), log)


def start_trytond(conf, database, env, log, probe, timeout=60):
    """Start trytond -O with the configuration file conf, its output in
    log; return its process once the URL probe answers (any status), or
    stop it and fail the test with the end of log"""
    with open(log, 'w') as file:
        process = subprocess.Popen(
            [PYTHON, '-O', str(BIN / 'trytond'), '-c', str(conf),
                '-d', database],
            env=env, stdin=subprocess.DEVNULL, stdout=file,
            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(probe, timeout=2)
            return process
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail("trytond does not start:\n"
                    + Path(log).read_text()[-4000:])
            time.sleep(0.2)


def stop(process):
    "Stop the process we started if it runs, by its id"
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
