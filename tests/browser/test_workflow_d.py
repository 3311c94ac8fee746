# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow d: a compensation is approved through its amount tiers, paid,
and a recovery is recorded with the re-guarantor's pro-rata part.

The re-guarantee administrator sets the claim amount above which the risk
committee approves too; the business department enters and submits the
claim of a defaulted project; a risk officer approves it (that alone is not
enough at level 2), a committee member approves it too, finance pays it; the
business department records what the institution recovered, whose
re-guarantor's part is the claim's share.
"""
import datetime
import re

import demo_data
from playwright.sync_api import expect
from sao_workflow import Workflow

#: the filed demo project that defaults (GI001, the 4222 product: 20 %)
LOAN_CONTRACT = demo_data.PROJECTS[0][1]
PAID = 1_000_000
CLAIM = '20000000'  # 200,000.00: the digits shown
LEVEL2 = 100_000
LEVEL3 = 5_000_000
RECOVERED = 100_000
REGUARANTOR_PART = '2000000'  # 20,000.00


def test_compensation_tiers_and_recovery(sao, tryton_server):
    today = datetime.date.today()
    user = Workflow(sao, tryton_server)

    # the administrator sets the tiers of the compensations
    user.configure(
        compensation_level2_amount=LEVEL2, compensation_level3_amount=LEVEL3)

    # the business department enters the claim and submits it
    user.login_as('business')
    user.open('reguarantee_base.menu_compensation')
    user.new_record()
    # its origin is a re-guarantee project (a Reference: its model, then the
    # record chosen in the completion, as sao's Reference clears a text
    # left without a record instead of opening its search dialog)
    origin = user.field('origin')
    origin.locator(
        'xpath=ancestor::div[contains(concat(" ", @class, " "), '
        '" form-reference ")][1]//select').select_option(
        'reguarantee.project')
    user.wait_idle()
    origin.press_sequentially(LOAN_CONTRACT)
    origin.locator(
        'xpath=ancestor::div[contains(concat(" ", @class, " "), '
        '" dropdown ")][1]').locator(
        '.dropdown-completion li.completion > a:visible').first.click()
    user.wait_idle()
    expect(user.field('origin')).to_have_value(re.compile('.'))
    project = user.value('origin')
    user.fill_date('default_date', today)
    user.fill('principal', PAID)
    user.fill('interest', 0)
    user.fill('amount_paid_by_institution', PAID)
    user.save()
    user.click_button('submit')
    user.expect_selection('state', 'submitted')
    assert user.digits('claim_amount') == CLAIM, user.value('claim_amount')
    user.snapshot('compensation-submitted')
    user.logout()

    # a risk officer approves: at level 2 that is not enough
    user.login_as('risk1')
    user.open('reguarantee_base.menu_compensation')
    user.find_record(project)
    user.click_button('approve')
    user.expect_selection('state', 'submitted')
    expect(user.button('approve').locator('.badge')).to_have_text('1')
    user.logout()

    # a member of the risk committee approves too
    user.login_as('committee')
    user.open('reguarantee_base.menu_compensation')
    user.find_record(project)
    user.click_button('approve')
    user.expect_selection('state', 'approved')
    user.snapshot('compensation-approved')
    user.logout()

    # finance pays it
    user.login_as('finance')
    user.open('reguarantee_base.menu_compensation')
    user.find_record(project)
    user.click_button('pay')
    user.expect_selection('state', 'paid')
    user.logout()

    # the institution recovers part of it: the re-guarantor's part is due
    user.login_as('business')
    user.open('reguarantee_base.menu_recovery')
    user.new_record()
    user.fill_many2one('compensation', project)
    user.fill_date('date', today)
    user.fill('amount', RECOVERED)
    assert user.digits('reguarantor_amount') == REGUARANTOR_PART, (
        user.value('reguarantor_amount'))
    user.save()
    user.click_button('confirm')
    user.expect_selection('state', 'confirmed')
    user.snapshot('recovery-confirmed')

    # the compensation shows what was recovered and the re-guarantor's part
    user.open('reguarantee_base.menu_compensation')
    user.find_record(project)
    user.expect_digits('recovered_amount', f'{RECOVERED}00')
    user.expect_digits('recovered_reguarantor_amount', REGUARANTOR_PART)
    user.snapshot('compensation-recovered')
    user.logout()
