# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Fixtures of the browser tests (run them with scripts/browser-test.sh).

A throwaway SQLite database is created in a temporary folder with the
reguarantee modules, English and Chinese; the simulators of the National
Fund and of the CMS start on free ports (as scripts/demo.sh starts them);
scripts/demo_data.py adds the demo data (company, one user per role, ...)
pointing to them; trytond serves it with sao on a free port of 127.0.0.1
and the queue worker runs its tasks (filings, CMS pushes); Playwright
drives the Debian chromium, headless.  The variables DEMO_FUND_URL,
DEMO_CMS_URL, TRYTOND_REGUARANTEE__FUND_TOKEN and
TRYTOND_REGUARANTEE__CMS_TOKEN are given to demo_data.py, trytond and the
worker alike.

Environment:
    BROWSER_TEST_LANG       language of the users: en (default) or zh_CN
    BROWSER_TEST_MODULES    modules to activate (default: every module of
                            modules/, with the whole demo data)
    BROWSER_TEST_ARTIFACTS  folder of the screenshots, pages and logs saved
                            when a test fails (default var/test-artifacts)
    BROWSER_TEST_KEEP=1     keep the temporary database folder
    BROWSER_TEST_REUSE=DIR  use the database kept in DIR as it is (faster
                            runs while writing a test; not for CI)
    BROWSER_TEST_SCREENSHOTS=1  also save a screenshot of each step there
    SAO_ROOT                the web root of sao (default var/sao/web, built
                            by scripts/install.sh)
    CHROMIUM                the browser (default /usr/bin/chromium)
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from live import BIN, PYTHON, free_port, stop  # noqa: E402
from sao_client import Sao  # noqa: E402

LANGUAGE = os.environ.get('BROWSER_TEST_LANG', 'en')
MODULES = os.environ.get('BROWSER_TEST_MODULES', '').split() or sorted(
    path.parent.name for path in (ROOT / 'modules').glob('*/tryton.cfg'))
ARTIFACTS = Path(os.environ.get(
        'BROWSER_TEST_ARTIFACTS', ROOT / 'var' / 'test-artifacts'))
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
# Playwright adds --user-data-dir itself
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    ]
DATABASE = 'browser'
ADMIN_PASSWORD = 'browser-test-admin'


@dataclass
class Server:
    url: str
    workdir: Path
    log: Path
    users: dict  # login → {password, name, role}, with admin's
    menus: dict  # login → {menu xml id: name as the user sees it}
    fund_url: str = None  # the simulators (docs/interfaces/)
    cms_url: str = None


def sao_root():
    path = Path(os.environ.get('SAO_ROOT', ROOT / 'var' / 'sao' / 'web'))
    if not (path / 'index.html').exists():
        pytest.exit(
            f"sao is not installed in {path}: run `make install` "
            "(scripts/install.sh) or set SAO_ROOT", returncode=3)
    return path


def run(command, env, log):
    "Run command, its output appended to log; fail with the log's tail"
    with open(log, 'a') as file:
        file.write('$ %s\n' % ' '.join(map(str, command)))
        file.flush()
        result = subprocess.run(
            list(map(str, command)), env=env, stdin=subprocess.DEVNULL,
            stdout=file, stderr=subprocess.STDOUT)
    if result.returncode:
        tail = Path(log).read_text(errors='replace')[-4000:]
        pytest.exit(
            f"{command[1]} failed ({result.returncode}):\n{tail}",
            returncode=3)


def wait_http(url, process, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if b'tryton-sao' in response.read():
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def start_simulator(name, workdir, started, timeout=30):
    """Start the simulator name (python -m simulators) on a free port with
    a random token, its process given to started; return its URL and token
    file"""
    token_file = workdir / f'{name}-token'
    port_file = workdir / f'simulator-{name}.port'
    port = 0
    if token_file.exists() and port_file.exists():  # a kept database's
        port = int(port_file.read_text().strip())
        port_file.unlink()
    else:
        token_file.write_text(secrets.token_urlsafe(12) + '\n')
    command = [PYTHON, '-m', 'simulators', name, '--host', '127.0.0.1',
        '--port', str(port), '--token-file', str(token_file),
        '--port-file', str(port_file)]
    config = ROOT / 'scripts' / f'demo-{name}.json'
    if config.exists():  # the demo's options (delays, rejections)
        command += ['--config', str(config)]
    log = workdir / f'simulator-{name}.log'
    with open(log, 'w') as file:
        process = started(subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=file,
                stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.exit(f"the {name} simulator did not start:\n"
                + log.read_text(errors='replace')[-2000:], returncode=3)
        time.sleep(0.1)
    port = int(port_file.read_text().strip())
    return f'http://127.0.0.1:{port}/', token_file


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # Stop like on Ctrl-C when terminated (e.g. by scripts/test.sh's stage
    # timeout), so that the fixtures stop trytond and chromium.
    signal.signal(signal.SIGTERM, _interrupt)


def pytest_report_header(config):
    return (f"browser tests: language {LANGUAGE}, modules {' '.join(MODULES)},"
        f" chromium {CHROMIUM}")


@pytest.fixture(scope='session')
def tryton_server():
    "A fresh database served by trytond with sao, stopped at the end"
    root = sao_root()
    reuse = os.environ.get('BROWSER_TEST_REUSE')
    if reuse:  # a database kept by BROWSER_TEST_KEEP=1, as it is
        workdir = Path(reuse)
        port = int(re.search(
                r'listen = 127\.0\.0\.1:(\d+)',
                (workdir / 'test.conf').read_text()).group(1))
    else:
        workdir = Path(tempfile.mkdtemp(prefix='reguarantee-browser-'))
        port = free_port()
    db_dir = workdir / 'db'
    db_dir.mkdir(exist_ok=True)
    log = workdir / 'setup.log'
    url = f'http://127.0.0.1:{port}/'
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    # The project's configuration, then this test's database, address and
    # web client: a file loaded later wins (environment variables do not
    # override the values of a loaded file).
    test_conf = workdir / 'test.conf'
    test_conf.write_text(
        '[database]\n'
        'uri = sqlite://\n'
        f'path = {db_dir}\n'
        '[web]\n'
        f'listen = 127.0.0.1:{port}\n'
        f'root = {root}\n'
        '[queue]\n'
        '# tasks are run by the queue worker the fixture starts\n'
        'worker = True\n')
    config = ['-c', *([ROOT / 'trytond.conf']
            if (ROOT / 'trytond.conf').exists() else []), test_conf]
    passfile = workdir / 'admin-password'
    passfile.write_text(f'{ADMIN_PASSWORD}\n')
    if not reuse:
        (db_dir / f'{DATABASE}.sqlite').touch()

    # The Fund's, the CMS's and the credit provider's simulators (as
    # scripts/demo.sh starts them):
    # demo_data.py points the configuration to them; trytond and the queue
    # worker get the same variables.  Every process is stopped at the end.
    processes = []
    pidfile = os.environ.get('BROWSER_TEST_PIDFILE')

    def started(process):
        processes.append(process)
        if pidfile:  # for scripts/browser-test.sh to stop them if pytest dies
            Path(pidfile).write_text(
                ''.join(f'{p.pid}\n' for p in processes))
        return process

    try:
        for name in ('fund', 'cms', 'credit', 'credit_bureau'):
            sim_url, token_file = start_simulator(name, workdir, started)
            env[f'DEMO_{name.upper()}_URL'] = sim_url
            # the server reads the outside systems' tokens from its
            # configuration, here the environment ([reguarantee] *_token)
            env[f'TRYTOND_REGUARANTEE__{name.upper()}_TOKEN'] = (
                token_file.read_text().strip())

        start = time.monotonic()
        summary_file = workdir / 'summary.json'
        if not reuse:
            run([
                    PYTHON, BIN / 'trytond-admin', *config, '-d', DATABASE,
                    '-u', *MODULES, '--activate-dependencies', '-l', 'zh_CN',
                    '--email', 'admin@example.com'],
                dict(env, TRYTONPASSFILE=str(passfile)), log)
            run([
                    PYTHON, ROOT / 'scripts' / 'demo_data.py', *config,
                    '-d', DATABASE, '--language', LANGUAGE,
                    '--summary', summary_file],
                env, log)
        summary = json.loads(summary_file.read_text())
        setup_time = time.monotonic() - start

        server_log = workdir / 'trytond.log'
        with open(server_log, 'w') as file:
            process = started(subprocess.Popen(
                    [PYTHON, '-O', str(BIN / 'trytond'), *map(str, config),
                        '-d', DATABASE],
                    env=env, stdin=subprocess.DEVNULL, stdout=file,
                    stderr=subprocess.STDOUT))
        # trytond-worker needs PostgreSQL: on SQLite the queue (filings, CMS
        # pushes) is run by reguarantee_base's polling worker, as in the demo
        with open(workdir / 'worker.log', 'w') as file:
            started(subprocess.Popen(
                    [PYTHON, '-O', '-m',
                        'trytond.modules.reguarantee_base.queue_worker',
                        *map(str, config), '-d', DATABASE],
                    env=env, stdin=subprocess.DEVNULL, stdout=file,
                    stderr=subprocess.STDOUT))
        if not wait_http(url, process):
            tail = server_log.read_text(errors='replace')[-4000:]
            pytest.exit(f"trytond does not serve sao on {url}:\n{tail}",
                returncode=3)
        print(f"\n[browser] database ready in {setup_time:.0f} s, "
            f"trytond on {url} (pid {process.pid}), files in {workdir}")
        users = {u['login']: u for u in summary['users']}
        users.setdefault('admin', {
                'login': 'admin', 'password': ADMIN_PASSWORD,
                'name': 'Administrator', 'role': "Tryton administrator"})
        yield Server(
            url=url, workdir=workdir, log=server_log,
            users=users, menus=summary['menus'],
            fund_url=env['DEMO_FUND_URL'], cms_url=env['DEMO_CMS_URL'])
    finally:
        for process in reversed(processes):
            stop(process)
        if os.environ.get('BROWSER_TEST_KEEP') or reuse:
            print(f"\n[browser] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f'report_{report.when}', report)


def _artifact_name(nodeid):
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', nodeid.split('::', 1)[-1])


@pytest.fixture
def page(request, browser, tryton_server):
    "A fresh browser context (no session) with its console recorded"
    context = browser.new_context(
        viewport={'width': 1400, 'height': 900},
        locale='zh-CN' if LANGUAGE == 'zh_CN' else 'en-US',
        timezone_id='Asia/Shanghai')
    page = context.new_page()
    console = []
    page.on('console', lambda m: console.append(f'{m.type}: {m.text}'))
    page.on('pageerror', lambda e: console.append(f'pageerror: {e}'))
    yield page
    failed = any(
        getattr(request.node, f'report_{when}', None) is not None
        and getattr(request.node, f'report_{when}').failed
        for when in ('setup', 'call'))
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _artifact_name(request.node.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS / f'{name}.png'),
                full_page=True)
            (ARTIFACTS / f'{name}.html').write_text(page.content())
        except Exception as exception:  # the page may be gone
            console.append(f'could not save the page: {exception}')
        (ARTIFACTS / f'{name}.console.log').write_text('\n'.join(console))
        shutil.copy(tryton_server.log, ARTIFACTS / f'{name}.trytond.log')
        print(f"\n[browser] failure artifacts: {ARTIFACTS / name}.*")
    context.close()


@pytest.fixture
def sao(page, tryton_server):
    snapshots = ARTIFACTS if os.environ.get('BROWSER_TEST_SCREENSHOTS') \
        else None
    return Sao(page, tryton_server.url, snapshots=snapshots,
        database=DATABASE)
