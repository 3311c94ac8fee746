# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Issue 15: a direct guarantee from its application to in force, through
the review committee.

The business department enters the application and its registered mortgage
as counter-guarantee, investigates it and writes the due-diligence report,
then sends it to review, which puts it on the agenda of the demo's upcoming
direct-guarantee meeting; a risk officer convenes the meeting; the three
voting members (the committee user chairs, risk1 and risk2) approve it;
the chair closes the meeting, which decides the item; a risk officer
approves the application (one risk user at level 1); the business
department signs the contract and enters the bank's loan, which puts the
guarantee in force.
"""
import datetime
from decimal import Decimal

import demo_data
import demo_direct
from playwright.sync_api import expect
from sao_workflow import Workflow

APPLICANT = demo_direct.APPLICANTS[2][0]
PRODUCT = demo_direct.PRODUCTS[0][1]
BANK = demo_data.BANKS[0]
MEETING = demo_direct.UPCOMING[0]
PURPOSE = "购置检测设备（浏览器测试）"
AMOUNT = 600_000
MORTGAGE = "检测设备厂房（浏览器测试）"
APPRAISED = 1_000_000  # × 70 % = 700,000 secured: above the 50 % needed
VOTERS = ['committee', 'risk1', 'risk2']


def open_page(user, field):
    "Show the page of the form's notebook holding field"
    pane = user.form.locator('div[role="tabpanel"]').filter(
        has=user.page.locator(f'[name="{field}"]')).last
    user.form.locator(
        f'a[aria-controls="{pane.get_attribute("id")}"]').click()
    user.wait_idle()


def add_mortgage(user, today):
    """Add the application's registered mortgage through the dialog of its
    counter-guarantees"""
    new = user.page.evaluate('() => Sao.i18n.gettext("New")')
    user.form.locator(
        '.form-one2many[data-name="counter_guarantees"]').locator(
        f'button[aria-label="{new}"]').first.click()
    user.wait_idle()
    dialog = user.page.locator('.modal.in:visible').last
    form = dialog.locator('.form').first
    form.locator('select[name="kind"]').select_option('"mortgage"')
    user.wait_idle()
    for name, value in [
            ('owner', APPLICANT),
            ('description', MORTGAGE),
            ('appraised_value', str(APPRAISED)),
            ('pledge_rate', '70'),
            ('registration_number', '皖(2026)合肥市不动产证明第0099001号'),
            ('registration_date', user.page.evaluate(
                    "([y, m, d]) => Sao.common.format_date("
                    "Sao.i18n.locale.date, Sao.Date(y, m - 1, d))",
                    [today.year, today.month, today.day])),
            ]:
        field = form.locator(f'input[name="{name}"]:visible').first
        field.fill(value)
        field.press('Tab')
        user.wait_idle()
    expect(form.locator('input[name="secured_value"]').first).to_have_value(
        '700,000.00')
    dialog.locator('.modal-footer .btn-primary').last.click()
    expect(dialog).to_be_hidden()
    user.wait_idle()
    expect(user.field_rows('counter_guarantees')).to_have_count(1)


def open_application(user, number):
    user.open('reguarantee_direct.menu_application')
    user.find_record(number)


def test_direct_guarantee_to_in_force(sao, tryton_server):
    today = datetime.date.today()
    user = Workflow(sao, tryton_server)

    # the business department enters the application
    user.login_as('business')
    user.open('reguarantee_direct.menu_application')
    user.new_record()
    user.fill_many2one('applicant', APPLICANT)
    user.fill_many2one('product', PRODUCT)
    user.fill_many2one('bank', BANK)
    user.fill('amount', Decimal(AMOUNT))
    user.fill('term_months', 12)
    user.text('purpose').fill(PURPOSE)
    user.text('purpose').press('Tab')
    add_mortgage(user, today)
    user.save()
    user.expect_selection('state', 'draft')
    number = user.value('number')
    assert number
    # the application sums what its counter-guarantees secure
    user.expect_digits('secured_value', '70000000')  # 700,000.00

    # investigates it and writes the due-diligence report
    user.click_button('investigate')
    user.expect_selection('state', 'investigating')
    open_page(user, 'dd_operations')
    user.form.locator('select[name="dd_conclusion"]').select_option(
        '"recommended"')
    for name in [
            'dd_operations', 'dd_finances', 'dd_repayment_source',
            'dd_opinion']:
        user.text(name).fill("经实地走访核实，情况正常。")
        user.text(name).press('Tab')
    user.save()
    # sends it to the committee: on the agenda of the upcoming meeting
    user.click_button('review')
    user.expect_selection('state', 'reviewing')
    expect(user.button('approve')).to_be_disabled()
    user.snapshot('direct-reviewing')
    user.logout()

    # a risk officer convenes the meeting
    user.login_as('risk1')
    user.open('reguarantee_review.menu_meeting_form')
    user.find_record(MEETING)
    expect(user.field_rows('items').filter(has_text=number)).to_have_count(1)
    user.click_button('convene')
    user.expect_selection('state', 'convened')
    user.logout()

    # every voting member approves it
    for login in VOTERS:
        user.login_as(login)
        user.open('reguarantee_review.menu_item_form')
        user.select_domain(0)  # To Vote
        row = user.rows().filter(has_text=number)
        expect(row).to_have_count(1)
        user.open_row(row)
        user.click_button('cast_vote')
        user.wizard_field('vote').select_option('"approve"')
        user.click_wizard('cast')
        user.logout()

    # the chair closes the meeting: the item is approved
    user.login_as('committee')
    user.open('reguarantee_review.menu_meeting_form')
    user.find_record(MEETING)
    user.click_button('close')
    user.expect_selection('state', 'closed')
    user.snapshot('direct-meeting-closed')
    user.logout()

    # a risk officer approves the application
    user.login_as('risk1')
    open_application(user, number)
    user.expect_selection('review_decision', 'approved')
    user.click_button('approve')
    user.expect_selection('state', 'approved')
    user.logout()

    # the business department signs the contract, then enters the loan
    user.login_as('business')
    open_application(user, number)
    user.click_button('contract')
    user.expect_selection('state', 'contracted')
    open_page(user, 'loan_number')
    expect(user.field('contract_number')).not_to_have_value('')
    user.fill('loan_number', 'HSB-DIRECT-BROWSER-01')
    # the bank lends on the day the contract is signed (the company's date,
    # which is not the test machine's around midnight in Beijing)
    user.fill('loan_date', user.value('contract_date'))
    user.fill('loan_amount', Decimal(AMOUNT))
    user.save()
    user.click_button('confirm_loan')
    user.expect_selection('state', 'in_force')
    expect(user.field('end_date')).not_to_have_value('')
    user.snapshot('direct-in-force')
    user.logout()
