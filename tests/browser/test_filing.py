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
CONTRACT = 'FUND-TEST-0001'
#: how long the worker and the Fund may take to give a batch's results
RESULTS_TIMEOUT = 90


def filed_project(server, database):
    """A project filed by the business department (not with the Fund yet)
    with a wrong region; return its number"""
    business = JsonRpc(server.url, database, 'business',
        server.users['business']['password'])
    found = business.model(
        'reguarantee.project', 'search_read',
        [('loan_contract_number', '=', CONTRACT)], 0, None, None, ['number'])
    if found:
        return found[0]['number']
    # the values of a demo project of the operator's institution
    template, = business.model(
        'reguarantee.project', 'search_read',
        [('loan_contract_number', '=', 'HSB-DEMO-0006')], 0, None, None,
        ['institution', 'borrower', 'bank', 'loan_amount',
            'guarantee_amount', 'start_date', 'end_date'])
    template.pop('id')
    project_id, = business.model('reguarantee.project', 'create', [dict(
                template, loan_contract_number=CONTRACT,
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
    expect(dialog).to_be_hidden()
    # the batches it made open in a new tab
    expect(tabs).to_have_count(count + 1)
    sao.wait_idle()


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
    sao.open_menu(*rpc.menu_path(wizard='reguarantee.filing.batch.create'))
    run_wizard(sao)
    sao.snapshot('batch-created')
    if sao.tab.locator('.treeview').first.is_visible():
        sao.open_record(number)  # several batches: the project's
    expect(sao.form).to_be_visible()
    wait_results(sao)
    sao.snapshot('batch-results')
    # the Fund refused the project, saying why
    row = records_row(sao, number)
    expect(row).to_contain_text('E105')
    expect(sao.field('rejected_count')).not_to_have_value('0')

    # The project shows the rejection; its region is corrected
    sao.open_menu(*rpc.menu_path(model='reguarantee.project'))
    sao.open_record(number)
    sao.expect_selection('fund_state', 'rejected')
    expect(sao.form.locator('textarea[name="fund_rejection"]')).to_have_value(
        re.compile('E105'))
    sao.fill('region', REGION)
    sao.save()
    sao.snapshot('project-corrected')

    # and filed again from its form (Action ▸ Create Filing Batches)
    sao.toolbar_button('action').click()
    wizard = rpc.model(
        'ir.action.wizard', 'search_read',
        [('wiz_name', '=', 'reguarantee.filing.batch.create')], 0, None,
        None, ['name'])[0]['name']
    sao.tab.locator('ul[aria-labelledby="action"] li a').filter(
        has_text=wizard).first.click()
    run_wizard(sao)
    expect(sao.form).to_be_visible()
    wait_results(sao)
    row = records_row(sao, number)
    expect(row).not_to_contain_text('E105')
    expect(sao.field('accepted_count')).to_have_value('1')
    sao.snapshot('refiled-accepted')

    # The project is accepted by the Fund, with its reference
    sao.open_menu(*rpc.menu_path(model='reguarantee.project'))
    sao.open_record(number)
    sao.expect_selection('fund_state', 'accepted')
    expect(sao.field('fund_reference')).not_to_have_value('')

    # The exchange log lists the submissions and the polls
    sao.open_menu(*rpc.menu_path(model='reguarantee.filing.exchange'))
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
