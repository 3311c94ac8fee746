# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Onboarding of a guarantee institution in the web client (sao).

The business department registers the institution with its documents and
submits it; two distinct risk officers must approve it (a button rule): the
first approval only counts, the second activates the institution.
"""
import datetime

import demo_data
from playwright.sync_api import expect

CODE = 'GI901'
NAME = '合肥示范科技融资担保有限公司'
REGION = '340100'
NET_ASSETS = demo_data.MIN_NET_ASSETS + 30_000_000  # above the floor


def open_institutions(sao, server, login):
    user = server.users[login]
    sao.login(login, user['password'])
    menus = server.menus.get(login) or server.menus['business']
    sao.open_menu(menus['menu_reguarantee'], menus['menu_institution'])


def test_institution_needs_two_risk_approvals(sao, tryton_server, tmp_path):
    document = tmp_path / 'business-licence.pdf'
    document.write_bytes(demo_data.demo_pdf(f'{CODE} business licence'))
    uscc = demo_data.make_uscc(REGION, 901)

    # The business department registers the institution
    open_institutions(sao, tryton_server, 'business')
    sao.new_record()
    sao.fill('code', CODE)
    sao.fill('name', NAME)
    sao.fill('uscc', uscc)
    sao.fill('license_number', f'X{REGION}0000901')
    sao.fill_date(
        'license_expiry', datetime.date.today() + datetime.timedelta(days=730))
    sao.fill('registered_capital', 100_000_000)
    sao.fill('net_assets', NET_ASSETS)
    sao.fill('region', REGION)
    sao.save()
    sao.snapshot('business-saved')

    # attaches its business licence and submits it
    sao.attach(document)
    sao.expect_attachments(1)
    sao.click_button('submit')
    sao.expect_selection('state', 'submitted')
    sao.snapshot('business-submitted')
    # approving is not the business department's job
    expect(sao.button('approve')).to_be_disabled()
    sao.logout()

    # A first risk officer approves: that alone does not activate it
    open_institutions(sao, tryton_server, 'risk1')
    sao.open_record(CODE)
    sao.expect_selection('state', 'submitted')
    sao.click_button('approve')
    sao.expect_selection('state', 'submitted')
    # the button counts the approvals received
    expect(sao.button('approve').locator('.badge')).to_have_text('1')
    sao.snapshot('risk1-approved')
    sao.reload()
    sao.expect_selection('state', 'submitted')
    expect(sao.field('party')).to_have_value('')
    sao.logout()

    # A second risk officer approves: the institution is active
    open_institutions(sao, tryton_server, 'risk2')
    sao.open_record(CODE)
    sao.expect_selection('state', 'submitted')
    sao.click_button('approve')
    sao.expect_selection('state', 'active')
    # its accounting party was created on approval
    expect(sao.field('party')).to_have_value(NAME)
    sao.snapshot('risk2-approved')
    sao.reload()
    sao.expect_selection('state', 'active')
    sao.logout()
