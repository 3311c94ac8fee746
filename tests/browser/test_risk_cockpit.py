# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The risk cockpit in the web client (sao).

A risk officer opens the cockpit: its five graphs (the balances by month,
the compensation-rate trend, the leverage per institution, the industry
concentration and the quota usage) are drawn with the demo's data, the
trends over several month ends.
"""
import pytest
from conftest import ARTIFACTS
from playwright.sync_api import expect

#: The cockpit's graphs, in the order of its board: the fields of the
#: records that must not all be zero and the least number of records
GRAPHS = [
    ('guarantee_balance', 3),
    ('compensation_rate', 2),
    ('leverage', 1),
    ('amount', 1),
    ('used_amount', 1),
    ]


def rpc(sao, method, *params):
    return sao.page.evaluate(
        """([method, params]) => new Promise((resolve, reject) => Sao.rpc({
            'method': method, 'params': params.concat([{}]),
            }, Sao.Session.current_session).then(resolve, reject))""",
        [method, list(params)])


def menu_path(sao, module, fs_id):
    "The names of the menu entries down to module.fs_id, as the user sees"
    data, = rpc(sao, 'model.ir.model.data.search_read', [
            ('module', '=', module), ('fs_id', '=', fs_id)],
        0, None, None, ['db_id'])
    menu, = rpc(sao, 'model.ir.ui.menu.read', [data['db_id']],
        ['complete_name'])
    return menu['complete_name'].split(' / ')


@pytest.mark.parametrize('login', ['risk1'])
def test_risk_cockpit(sao, tryton_server, login):
    sao.login(login, tryton_server.users[login]['password'])
    sao.open_menu(*menu_path(sao, 'reguarantee_risk', 'menu_cockpit'))

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

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sao.page.screenshot(
        path=str(ARTIFACTS / 'risk-cockpit.png'), full_page=True)
    print(f"\n[risk cockpit] records per graph: "
        f"{[len(v) for v in records]}, shapes: {shapes}")
    sao.logout()
