# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Filing with the National Fund in the web client (sao), through the queue.

The business department builds a filing batch and sends it; the queue
worker exchanges with the Fund's simulator (started by the fixture) and the
results are read in the browser: the Fund rejects a project whose region
code is not a 6-digit code.  The project is corrected (its region, which a
rejected filing makes editable again) and filed again from its form; the
Fund accepts it; the exchanges are in the exchange log.

The project to file is made beforehand through JSON-RPC as the operator and
the business department (their buttons, with access checks), like the demo
data: the test is about the filing, which it does in sao.
"""
import re
import time

from conftest import DATABASE
from playwright.sync_api import expect
from sao_client import JsonRpc

WRONG_REGION = '3401'  # the Fund wants a 6-digit GB/T 2260 code
REGION = '340100'
#: how long the worker and the Fund may take to give a batch's results
RESULTS_TIMEOUT = 90


def filed_project(server, database):
    """A project filed by the business department (not with the Fund yet)
    with a wrong region; return its number"""
    business = JsonRpc(server.url, database, 'business',
        server.users['business']['password'])
    # the values of a demo project of the operator's institution
    template, = business.model(
        'reguarantee.project', 'search_read',
        [('loan_contract_number', '=', 'HSB-DEMO-0006')], 0, None, None,
        ['institution', 'borrower', 'bank', 'start_date', 'end_date'])
    template.pop('id')
    # small: within the institution's quota whatever other tests file
    template['loan_amount'] = {'__class__': 'Decimal', 'decimal': '50000'}
    template['guarantee_amount'] = {
        '__class__': 'Decimal', 'decimal': '40000'}
    project_id, = business.model('reguarantee.project', 'create', [dict(
                template, loan_contract_number=f'FUND-{time.time_ns()}',
                region=WRONG_REGION)])
    business.model('reguarantee.project', 'submit', [project_id])
    business.model('reguarantee.project', 'file', [project_id])
    project, = business.model(
        'reguarantee.project', 'read', [project_id],
        ['number', 'state', 'fund_state'])
    assert project['state'] == 'filed', project
    assert project['fund_state'] is None, project
    return project['number']


def run_wizard(sao, send=True):
    "Tick Send in the batch creation wizard shown and create the batches"
    dialog = sao.page.locator('.wizard-dialog').filter(visible=True).last
    expect(dialog).to_be_visible()
    sao.wait_idle()
    send_box = dialog.locator('input[name="send"]')
    if send:
        send_box.check()
    tabs = sao.page.locator('#tablist > li')
    count = tabs.count()
    dialog.locator('.modal-footer button.btn-primary').click()
    # it says what it made, then opens its batches
    expect(dialog.locator('textarea[name="summary"]')).not_to_have_value('')
    sao.wait_idle()
    dialog.locator('.modal-footer button.btn-primary').click()
    expect(dialog).to_be_hidden()
    # the batches it made open in a new tab
    expect(tabs).to_have_count(count + 1)
    sao.wait_idle()


def open_batch(sao):
    "Open the form of the batch the wizard made (listed and selected)"
    rows = sao.tab.locator('.treeview tbody tr')
    expect(rows).to_have_count(1)  # one company, a few projects: one batch
    switch = sao.toolbar_button('switch_')
    if not switch.is_enabled():  # not selected yet
        rows.first.click()
        sao.wait_idle()
        sao.flush_events()
    switch.click()
    sao.wait_idle()
    expect(sao.form).to_be_visible()


def wait_results(sao, timeout=RESULTS_TIMEOUT):
    """Reload the batch form (as a user does) until the Fund's results are
    in: the queue worker sends the batch and asks for its results"""
    deadline = time.monotonic() + timeout
    while sao.selection('state') not in {'done', 'failed'}:
        assert time.monotonic() < deadline, (
            f"the batch is still {sao.selection('state')!r}")
        sao.page.wait_for_timeout(1000)
        sao.reload()
    assert sao.selection('state') == 'done'


def show_page(sao, name):
    "Show the notebook page of the form holding the field name"
    page = sao.form.locator('.tab-pane').filter(
        has=sao.page.locator(f'[name="{name}"]')).last
    sao.form.locator(f'a[href="#{page.get_attribute("id")}"]').click()
    sao.wait_idle()


def records_row(sao, number):
    "The row of the project number in the batch's list of projects"
    rows = sao.form.locator(
        '[data-name="records"] .treeview tbody tr, '
        '.form-one2many .treeview tbody tr').filter(has_text=number)
    expect(rows).to_have_count(1)
    return rows.first


def test_filing_rejected_corrected_refiled(sao, tryton_server):
    number = filed_project(tryton_server, DATABASE)
    user = tryton_server.users['business']
    rpc = JsonRpc(tryton_server.url, DATABASE, 'business', user['password'])
    sao.login('business', user['password'])

    # The business department builds the batches of the projects to file
    # and sends them at once
    sao.open_menu(
        *rpc.menu_path(wizard='reguarantee.filing.batch.create'), tab=False)
    run_wizard(sao)
    sao.snapshot('batch-created')
    open_batch(sao)
    wait_results(sao)
    sao.snapshot('batch-results')
    # the Fund refused the project, saying why
    row = records_row(sao, number)
    expect(row).to_contain_text('E105')
    expect(sao.field('rejected_count')).not_to_have_value('0')

    # The project shows the rejection; its region is corrected
    sao.close_tabs()
    sao.open_menu(*rpc.menu_path(model='reguarantee.project'))
    sao.open_record(number)
    show_page(sao, 'fund_state')
    sao.expect_selection('fund_state', 'rejected')
    expect(sao.form.locator('textarea[name="fund_rejection"]')).to_have_value(
        re.compile('E105'))
    sao.fill('region', REGION)
    sao.save()
    sao.snapshot('project-corrected')

    # and filed again (the projects to file: the corrected one and any
    # other the Fund rejected)
    sao.close_tabs()
    sao.open_menu(
        *rpc.menu_path(wizard='reguarantee.filing.batch.create'), tab=False)
    run_wizard(sao)
    open_batch(sao)
    wait_results(sao)
    row = records_row(sao, number)
    expect(row).not_to_contain_text('E105')
    # accepted: the Fund's reference of the filing (the simulator's NF...)
    expect(row).to_contain_text(re.compile(r'NF\d{8}'))
    sao.snapshot('refiled-accepted')

    # The project is accepted by the Fund, with its reference
    sao.close_tabs()
    sao.open_menu(*rpc.menu_path(model='reguarantee.project'))
    sao.open_record(number)
    show_page(sao, 'fund_state')
    sao.expect_selection('fund_state', 'accepted')
    expect(sao.form.locator('input[name="fund_reference"]')).to_have_value(
        re.compile(r'NF\d{8}'))

    # The exchange log lists the submissions and the polls; one opens
    sao.close_tabs()
    sao.open_menu(*rpc.menu_path(model='reguarantee.filing.exchange'))
    sao.tab.locator('.tab-domain li a').last.click()  # all, not failures
    sao.wait_idle()
    rows = sao.tab.locator('.treeview tbody tr')
    expect(rows.first).to_be_visible()
    rows.first.click()
    sao.wait_idle()
    sao.flush_events()
    sao.toolbar_button('switch_').click()
    sao.wait_idle()
    expect(sao.form).to_be_visible()
    sao.snapshot('exchange')
    sao.check_no_problem()
