# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow e: finance runs the fees of the month, which says what it
created (and, run again, why it created nothing), generates the bills with
a summary, confirms a bill and opens its posted invoice; an institution's
invoice request goes through its two approvers (finance, then the finance
manager: requested, approved by finance, then
approved).
"""
import datetime

from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect
from sao_workflow import Workflow

TODAY = datetime.date.today()
#: this month: the demo ran and billed the fees up to last month
START = TODAY + relativedelta(day=1)
END = TODAY + relativedelta(day=31)


def run_fees(user):
    "Run the fees of this month; return the number created and the summary"
    user.open_wizard('reguarantee_fees.menu_fee_run')
    user.wizard_fill_date('period_start', START)
    user.wizard_fill_date('period_end', END)
    user.click_wizard('run')
    summary = user.wizard_text('summary')
    expect(summary).not_to_have_value('')
    created = int(user.wizard_field('created').input_value())
    text = summary.input_value()
    user.snapshot(f'fee-run-{created}')
    user.click_wizard('end')
    return created, text


def test_finance_fees_bills_invoice_request(sao, tryton_server):
    user = Workflow(sao, tryton_server)
    user.login_as('finance')

    # the fee run says what it created, by institution
    created, summary = run_fees(user)
    assert created > 0
    assert str(created) in summary.splitlines()[0], summary
    assert len(summary.splitlines()) >= 2, summary
    # run again, it creates nothing and says why
    again, why = run_fees(user)
    assert again == 0
    assert why and why != summary, why

    # the bills of the month, with a summary
    user.open_wizard('reguarantee_fees.menu_bill_create')
    user.wizard_fill_date('period_start', START)
    user.wizard_fill_date('period_end', END)
    user.click_wizard('create_')
    expect(user.wizard_text('summary')).not_to_have_value('')
    bills = user.wizard_rows('bills')
    expect(bills.first).to_be_visible()
    count = bills.count()
    assert count >= 1
    user.snapshot('bills-created')
    tabs = user.page.locator('#tablist > li')
    tab_count = tabs.count()
    user.click_wizard('open_')
    expect(tabs).to_have_count(tab_count + 1)
    user.wait_idle()
    expect(user.rows()).to_have_count(count)

    # a bill is confirmed: its invoice is posted
    user.open_row(user.rows().first)
    number = user.value('number')
    user.click_button('confirm')
    user.expect_selection('state', 'confirmed')
    expect(user.field('invoice')).not_to_have_value('')
    user.open_many2one('invoice')
    invoice = user.page.locator('.modal.in:visible').last
    expect(invoice.locator('select[name="state"]')).to_have_value('"posted"')
    user.snapshot('bill-invoice-posted')
    invoice.locator('.modal-footer button').last.click()
    user.wait_idle()
    user.logout()

    # the institution requests the tax invoice of the bill
    user.login_as('operator')
    user.open('reguarantee_fees.menu_invoice_request')
    user.new_record()
    user.fill('title', '合肥瑞丰融资担保有限公司')
    user.fill('tax_identifier', '91340100MA2N000000')
    user.fill('address_phone', '安徽省合肥市蜀山区 0551-12345678')
    user.fill('bank_account', '徽商银行合肥分行 1020 3040 5060 7080')
    user.add_many2many('bills', number)
    user.save()
    user.click_button('request')
    user.expect_selection('state', 'requested')
    request = user.value('number')
    user.logout()

    # finance approves it: the finance manager must approve it too
    user.login_as('finance')
    user.open('reguarantee_fees.menu_invoice_request')
    user.find_record(request)
    user.click_button('approve')
    user.expect_selection('state', 'finance_approved')
    # only the finance manager approves it now
    expect(user.button('approve')).to_be_disabled()
    user.logout()

    user.login_as('finmanager')
    user.open('reguarantee_fees.menu_invoice_request')
    user.find_record(request)
    user.click_button('approve')
    user.expect_selection('state', 'approved')
    user.snapshot('invoice-request-approved')
    user.logout()
