# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow a: an institution operator enters a new project through its
form and submits it; the counters of the list's tabs and its state follow.
"""
import re

import demo_data
from playwright.sync_api import expect
from sao_workflow import Workflow

DRAFT, SUBMITTED = 0, 1  # the tabs of the list of projects


def test_operator_submits_new_project(sao, tryton_server):
    operator = Workflow(sao, tryton_server)
    operator.login_as('operator')
    operator.open('reguarantee_base.menu_project')
    drafts = operator.read_domain_count(DRAFT)
    submitted = operator.read_domain_count(SUBMITTED)

    number = operator.new_project('WF-A-0001', 500_000, 400_000)
    # the operator's own institution is chosen by default
    expect(operator.field('institution')).to_have_value(
        re.compile(demo_data.INSTITUTIONS[0]['code']))
    operator.snapshot('operator-project-draft')

    operator.click_button('submit')
    operator.expect_selection('state', 'submitted')
    # the product is matched from the signed contract on submission
    expect(operator.field('product')).not_to_have_value('')
    expect(operator.field('reguaranteed_amount')).not_to_have_value('')
    expect(operator.button('submit')).to_be_hidden()
    operator.snapshot('operator-project-submitted')

    operator.back_to_list()
    operator.expect_domain_count(DRAFT, drafts)
    operator.expect_domain_count(SUBMITTED, submitted + 1)
    operator.select_domain(SUBMITTED)
    expect(operator.rows().filter(has_text=number)).to_have_count(1)
    operator.snapshot('operator-project-list')
