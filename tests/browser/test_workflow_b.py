# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow b: the business department files a submitted project; above
the filing approval amount of the configuration a risk officer must file it
too (a button rule), and does: then only is the project filed.
"""
import demo_data
from playwright.sync_api import expect
from sao_workflow import Workflow

#: the filing approval amount the administrator configures (the demo's is
#: above the quota left to the demo institutions)
FILE_APPROVAL_AMOUNT = 300_000
GUARANTEE = 400_000
LOAN = 500_000


def test_large_project_filed_by_business_and_risk(sao, tryton_server):
    user = Workflow(sao, tryton_server)
    user.configure(project_file_approval_amount=FILE_APPROVAL_AMOUNT)

    # the business department enters and submits the project
    user.login_as('business')
    user.open('reguarantee_base.menu_project')
    number = user.new_project(
        'WF-B-0001', LOAN, GUARANTEE,
        institution=demo_data.INSTITUTIONS[0]['name'])
    user.click_button('submit')
    user.expect_selection('state', 'submitted')
    user.reload()

    # and files it: above the configured amount that is not enough
    expect(user.field('approval_level')).to_have_value('2')
    user.click_button('file')
    user.expect_selection('state', 'submitted')
    expect(user.button('file').locator('.badge')).to_have_text('1')
    user.snapshot('business-filed-once')
    user.reload()
    user.expect_selection('state', 'submitted')
    user.logout()

    # a risk officer files it too: it is filed
    user.login_as('risk1')
    user.open('reguarantee_base.menu_project')
    user.find_record(number)
    user.expect_selection('state', 'submitted')
    user.click_button('file')
    user.expect_selection('state', 'filed')
    expect(user.field('filing_date')).not_to_have_value('')
    user.snapshot('risk-filed')
    user.reload()
    user.expect_selection('state', 'filed')
    user.logout()
