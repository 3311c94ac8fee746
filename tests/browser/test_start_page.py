# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The start page "My Work" in the web client (sao).

Each role logs in and finds its start page already open: one row per kind
of work waiting for it, with how many records wait.  Opening a row lists
exactly those records.
"""
import re

import pytest
from playwright.sync_api import expect

WORK = 'reguarantee.work'

#: The demo users and whether the demo data leaves work for them
ROLES = {
    'operator': True,
    'business': True,
    'risk1': True,
    'committee': False,
    'finance': True,
    'finmanager': True,
    'manager': False,
    }


def current_model(sao):
    return sao.page.evaluate(
        "() => Sao.Tab.tabs.get_current().screen.model_name")


def rows(sao):
    "The (name, count) of the rows of the list of the active tab"
    result = []
    for text in sao.tab.locator('.treeview tbody tr').all_inner_texts():
        match = re.fullmatch(r'\s*(.*?)\s+(\d+)\s*', text, re.S)
        assert match, f"no count in the row {text!r}"
        result.append((match.group(1), int(match.group(2))))
    return result


def open_row(sao, name):
    "Open the row of the list of the active tab whose text starts with name"
    tabs = sao.page.locator('#tablist > li')
    count = tabs.count()
    row = sao.tab.locator('.treeview tbody tr').filter(
        has_text=re.compile('^%s' % re.escape(name))).first
    row.click()
    sao.wait_idle()
    row.dblclick()
    expect(tabs).to_have_count(count + 1)
    sao.wait_idle()


@pytest.mark.parametrize('login', ROLES)
def test_start_page(sao, tryton_server, login):
    user = tryton_server.users[login]
    sao.login(login, user['password'])

    # The start page is open after the login, in its "Waiting" tab
    expect(sao.page.locator('#tablist > li')).to_have_count(1)
    assert current_model(sao) == WORK
    domains = sao.tab.locator('.tab-domain li')
    expect(domains.first).to_have_class(re.compile(r'\bactive\b'))
    waiting = rows(sao)
    sao.snapshot(f'{login}-start-page')
    assert all(count > 0 for _, count in waiting), waiting
    if ROLES[login]:
        assert waiting, f"nothing waits for {login}"
    print(f"\n[start page] {login}: {waiting}")

    # The "All" tab lists the work of the user, waiting or not
    domains.last.locator('a').click()
    sao.wait_idle()
    every = rows(sao)
    assert every and set(waiting) <= set(every), (waiting, every)

    # Opening a work lists the records waiting, as many as counted
    domains.first.locator('a').click()
    sao.wait_idle()
    for name, count in waiting[:2]:
        open_row(sao, name)
        assert current_model(sao) != WORK
        expect(sao.page.locator('#tablist > li.active')).to_contain_text(
            name)
        # without the tabs of the list, which would filter the records
        expect(sao.tab.locator('.tab-domain')).to_have_count(0)
        expect(sao.tab.locator('.treeview tbody tr')).to_have_count(
            min(count, 1000))
        sao.snapshot(f'{login}-{name}')
        # back to the start page
        sao.page.locator('#tablist > li').first.locator('a').first.click()
        sao.wait_idle()
        assert current_model(sao) == WORK
    sao.logout()
