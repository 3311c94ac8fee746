# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""sao logs in with the second factor of authentication_totp: the password,
then a code of the authenticator app (sao 8.0 asks for each login parameter
in turn).  The test starts its own trytond on a small database with the
module only and `[session] authentications = password+totp`."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyotp
import pytest
from conftest import (
    ARTIFACTS, BIN, PYTHON, ROOT, free_port, run, sao_root, stop, wait_http)
from playwright.sync_api import expect

DATABASE = 'totp'
SECRET = pyotp.random_base32()
PASSWORD = 'totp-browser-admin'

ENROL = '''
import sys, time
from trytond.pool import Pool
from trytond.transaction import Transaction
Pool(sys.argv[1]).init()
with Transaction().start(sys.argv[1], 0) as transaction:
    User = Pool(sys.argv[1]).get('res.user')
    admin, = User.search([('login', '=', 'admin')])
    # enrolled one minute ago, as the wizard does
    User.enrol_totp(admin, sys.argv[2], int(time.time() // 30) - 2)
    # a user of no group, who logs in with the password until he enrols
    User.create([{
                'name': "Staff", 'login': 'staff',
                'password': 'staff-browser-password',
                }])
    # no module configuration wizard at the first login
    Item = Pool(sys.argv[1]).get('ir.module.config_wizard.item')
    Item.write(Item.search([]), {'state': 'done'})
    transaction.commit()
'''


@pytest.fixture(scope='module')
def totp_server():
    "trytond asking password+totp, the admin enrolled with SECRET"
    root = sao_root()
    workdir = Path(tempfile.mkdtemp(prefix='reguarantee-totp-'))
    db_dir = workdir / 'db'
    db_dir.mkdir()
    log = workdir / 'setup.log'
    port = free_port()
    conf = workdir / 'test.conf'
    conf.write_text(
        '[database]\n'
        'uri = sqlite://\n'
        f'path = {db_dir}\n'
        '[web]\n'
        f'listen = 127.0.0.1:{port}\n'
        f'root = {root}\n'
        '[session]\n'
        'authentications = password+totp\n')
    config = ['-c', ROOT / 'trytond.conf', conf]
    passfile = workdir / 'admin-password'
    passfile.write_text(PASSWORD + '\n')
    (db_dir / f'{DATABASE}.sqlite').touch()
    env = os.environ.copy()
    env.pop('TRYTOND_CONFIG', None)
    admin = [
        PYTHON, BIN / 'trytond-admin', *config, '-d', DATABASE,
        '-u', 'authentication_totp', '--activate-dependencies',
        '--email', 'admin@example.com']
    run(admin, dict(env, TRYTONPASSFILE=str(passfile)), log)
    run([PYTHON, '-c', ENROL, DATABASE, SECRET],
        dict(env, TRYTOND_CONFIG=str(conf)), log)
    server_log = workdir / 'trytond.log'
    with open(server_log, 'w') as file:
        process = subprocess.Popen(
            [PYTHON, '-O', str(BIN / 'trytond'), *map(str, config),
                '-d', DATABASE],
            env=env, stdin=subprocess.DEVNULL, stdout=file,
            stderr=subprocess.STDOUT)
    try:
        url = f'http://127.0.0.1:{port}/'
        if not wait_http(url, process):
            pytest.fail(server_log.read_text(errors='replace')[-4000:])
        yield url
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def totp_page(request, browser):
    context = browser.new_context(viewport={'width': 1400, 'height': 900})
    page = context.new_page()
    try:
        yield page
        report = getattr(request.node, 'report_call', None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / 'test_totp_login.png'))
    finally:
        context.close()


def login(page, url, password, code, user='admin'):
    page.goto(url)
    page.locator('#login').wait_for()
    # a login sent before sao knows the databases is silently ignored
    page.locator('#database:visible').wait_for()
    page.locator('#login').fill(user)
    page.locator('#login').press('Enter')
    entry = page.locator('#ask-dialog-entry')
    entry.fill(password)
    entry.press('Enter')
    if code is None:
        return
    # the second step asks for the code, with the module's message
    dialog = page.locator('.modal.in').filter(
        has_text="Code of the authenticator app")
    expect(dialog).to_be_visible()
    entry = dialog.locator('#ask-dialog-entry')
    entry.fill(code)
    entry.press('Enter')


def test_totp_login(totp_server, totp_page):
    "Test sao logs in with the password then the authenticator's code"
    page = totp_page
    totp = pyotp.TOTP(SECRET)

    # a wrong code does not log in
    wrong = str((int(totp.now()) + 1) % 1000000).zfill(6)
    login(page, totp_server, PASSWORD, wrong)
    expect(page.locator('#menu div.column-char')).to_have_count(0)
    page.wait_for_timeout(500)
    expect(page.locator('#user-preferences > a')).to_be_hidden()

    login(page, totp_server, PASSWORD, totp.now())
    page.locator('#menu div.column-char').first.wait_for()
    expect(page.locator('#user-preferences > a')).to_contain_text(
        'Administrator')


def test_totp_enrol(totp_server, totp_page):
    "Test a user enrols himself, then logs in with a code"
    page = totp_page
    login(page, totp_server, 'staff-browser-password', None, user='staff')
    expect(page.locator('#user-preferences > a')).to_contain_text('Staff')

    # the menu entry every user has
    page.locator('#menu div.column-char').filter(
        has_text='Enrol Authenticator').first.click()

    wizard = page.locator('.modal.in').filter(has_text='Secret Key')
    expect(wizard.locator('.form-image img.center-block')).to_be_visible()
    secret = wizard.locator('input[name="secret"]')
    expect(secret).not_to_have_value('')
    totp = pyotp.TOTP(secret.input_value())
    wizard.locator('input[name="code"]').fill(totp.now())
    wizard.locator('.modal-footer button').filter(
        has_text='Confirm').click()

    done = page.locator('.modal.in').filter(has_text='Recovery Codes')
    codes = done.locator('textarea')
    expect(codes).not_to_have_value('')
    codes = codes.input_value().split()
    assert len(codes) == 10
    done.locator('.modal-footer button').filter(has_text='Close').click()

    # a recovery code logs in (the app's code of this period is used)
    page.context.clear_cookies()
    login(page, totp_server, 'staff-browser-password', codes[0],
        user='staff')
    expect(page.locator('#user-preferences > a')).to_contain_text('Staff')
