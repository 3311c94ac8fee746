# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow g: the re-guarantee administrator changes an approval rule from
the re-guarantee configuration menus, and the next approval follows it.

The onboarding of an institution needs two risk officers; the administrator
makes it one: the next approval of a submitted institution activates it at
once.  (Run last: it changes the rule for the tests after it.)
"""
import demo_data
from playwright.sync_api import expect
from sao_workflow import Workflow

#: the submitted demo institution
INSTITUTION = next(
    i for i in demo_data.INSTITUTIONS if i['state'] == 'submitted')['code']
#: the rule of the approve button of the institutions (reguarantee_base)
DESCRIPTION = "Two risk officers approve the onboarding"


def test_admin_changes_approval_rule(sao, tryton_server):
    user = Workflow(sao, tryton_server)
    user.login_as('manager')
    user.open('reguarantee_base.menu_approval_button_rule_form')
    # the rule of the onboarding's approval (its description is data)
    rule = user.rows().filter(has_text=DESCRIPTION)
    expect(rule).to_have_count(1)
    rule.click()
    user.wait_idle()
    user.flush_events()
    user.toolbar_button('switch_').click()
    user.wait_idle()
    expect(user.field('number_user')).to_have_value('2')
    user.fill('number_user', 1)
    user.save()
    user.snapshot('rule-changed')
    user.logout()

    # the next approval follows the new rule: one risk officer is enough
    user.login_as('risk1')
    user.open('reguarantee_base.menu_institution')
    user.open_record(INSTITUTION)
    user.expect_selection('state', 'submitted')
    user.click_button('approve')
    user.expect_selection('state', 'active')
    user.snapshot('institution-approved-once')
    user.logout()
