# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The risk cockpit in the web client (sao).

A risk officer opens the cockpit: its six graphs (the balances by month,
the compensation-rate trend, the leverage per institution, the industry
concentration, the re-guarantee and direct balances by month and the quota
usage) are drawn with the demo's data, the trends over several month
ends.
"""
import sqlite3
from contextlib import closing

import pytest
from conftest import ARTIFACTS, DATABASE
from playwright.sync_api import expect

#: The cockpit's graphs, in the order of its board: the fields of the
#: records that must not all be zero and the least number of records
#: The graphs of the board, in its order (reguarantee_direct's board, that
#: of every module activated: risk's five and the balances of the two
#: businesses), with the least number of records each draws
GRAPHS = [
    ('guarantee_balance', 3),
    ('compensation_rate', 2),
    ('leverage', 1),
    ('amount', 1),
    ('total_balance', 3),
    ('used_amount', 1),
    ]


def menu_path(sao, server, module, fs_id):
    "The names of the menu entries down to module.fs_id, as the user sees"
    database = server.workdir / 'db' / f'{DATABASE}.sqlite'
    with closing(sqlite3.connect(database)) as connection:
        (menu_id,), = connection.execute(
            'SELECT db_id FROM ir_model_data WHERE module = ? AND fs_id = ?',
            (module, fs_id))
    name = sao.page.evaluate(
        """(id) => Promise.race([
            new Promise((resolve, reject) => Sao.rpc({
                'method': 'model.ir.ui.menu.read',
                'params': [[id], ['complete_name'], {}],
                }, Sao.Session.current_session).then(
                    menus => resolve(menus[0].complete_name), reject)),
            new Promise((_, reject) => setTimeout(
                () => reject(new Error('no answer')), 10000)),
            ])""", menu_id)
    return name.split(' / ')


@pytest.mark.parametrize('login', ['risk1'])
def test_risk_cockpit(sao, tryton_server, login):
    sao.login(login, tryton_server.users[login]['password'])
    sao.open_menu(*menu_path(
            sao, tryton_server, 'reguarantee_risk', 'menu_cockpit'))

    actions = sao.tab.locator('.board-action')
    expect(actions).to_have_count(len(GRAPHS))
    for index in range(len(GRAPHS)):
        # billboard.js draws each graph in an SVG with its data points
        expect(actions.nth(index).locator('svg').first).to_be_visible()
    sao.wait_idle()

    # the values of the field of each graph, record by record
    records = sao.page.evaluate("""(names) => Sao.Tab.tabs.get_current()
        .board.actions.map((action, i) => action.screen.group.map(
            record => Number(record._values[names[i]] || 0)))
        """, [name for name, _ in GRAPHS])
    for (name, least), values in zip(GRAPHS, records):
        assert len(values) >= least, (name, values)
        assert any(values), (name, values)
    shapes = [
        actions.nth(i).locator(
            'svg .bb-circle, svg .bb-bar, svg .bb-arc').count()
        for i in range(len(GRAPHS))]
    assert all(shapes), shapes

    # the board scrolls in its tab: one picture per graph
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for index in range(len(GRAPHS)):
        actions.nth(index).screenshot(
            path=str(ARTIFACTS / f'risk-cockpit-{index + 1}.png'))
    print(f"\n[risk cockpit] records per graph: "
        f"{[len(v) for v in records]}, shapes: {shapes}")
    sao.logout()
