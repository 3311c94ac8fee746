# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Every screen of every role opens in sao, in Chinese.

For each role (one demo user per role, and Tryton's administrator) the crawl
asks the server, as that user, which menu entries the user sees, and opens
each of them as the menu does (sao's ``tree_open`` keyword of the entry).  In
a list it opens the first record's form and, when the user may create, a new
record's form, then switches through every view of the action (list, form,
graph, calendar); a board is shown with its actions; a wizard shows its first
step and is cancelled.  The project's wizards bound to a model (buttons and
actions of a record: their names start with ``reguarantee.``) are opened on
the first record of their model's list.  Nothing is saved: new records are
dropped, wizards end at their first step.

A screen fails on a JavaScript error (page errors and console.error), an
error or warning dialog of sao, an alert() of the browser, an entry that
opens nothing, or a "Processing..." overlay that does not go away.  The crawl
goes on after a failure (it reloads sao) and fails at the end with the list
of problems.  A screenshot of every screen is saved in
var/test-logs/crawl/<login>/ and the figures are printed.

The menus, models and wizards come from the server at run time: a new module,
menu entry, model or wizard is crawled without editing this test.

Environment:
    CRAWL_ROLES        logins to crawl (default: one user per role and admin)
    CRAWL_LANG         the users' language during the crawl (default zh_CN)
    CRAWL_SCREENSHOTS  folder of the screenshots (default var/test-logs/crawl)
    CRAWL_MENUS        only the menu entries whose path contains this text
    CRAWL_JOBS         how many roles are crawled at the same time (2)
"""
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, DATABASE, ROOT
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright
from sao_client import JsonRpc, Sao

LANGUAGE = os.environ.get('CRAWL_LANG', 'zh_CN')
SCREENSHOTS = Path(os.environ.get(
        'CRAWL_SCREENSHOTS', ROOT / 'var' / 'test-logs' / 'crawl'))
#: the wizards bound to a model that are opened on a record (the project's)
BOUND_WIZARDS = re.compile(r'^reguarantee[._]')
#: how long a "Processing..." overlay may stay once sao is idle
PROCESSING_GRACE = 10
#: how many times the view switch is pressed at most in one tab
MAX_SWITCHES = 6
#: how long sao may take to open a screen
OPEN_TIMEOUT = 20
#: how many roles are crawled at the same time
JOBS = int(os.environ.get('CRAWL_JOBS', 2))


class CrawlRpc(JsonRpc):
    "What the crawl asks the server as the user"

    def set_language(self, code):
        "Set the user's language; return the previous one's code"
        preferences = self.model('res.user', 'get_preferences', False)
        previous = preferences.get('language') or 'en'
        if previous != code:
            self.model('res.user', 'set_preferences', {'language': code})
            self.context['language'] = code
        return previous

    def menus(self):
        "The menu entries with an action that the user sees, in menu order"
        menus = self.model(
            'ir.ui.menu', 'search_read', [], 0, None, None,
            ['complete_name', 'action', 'parent', 'sequence'])
        return [m for m in menus if m['action']]

    def bound_wizards(self):
        "{model: [wizard action]} of the project's wizards the user may run"
        groups = set(self.context.get('groups', []))
        wizards = {}
        for action in self.model(
                'ir.action.wizard', 'search_read',
                [('model', '!=', None)], 0, None, None,
                ['wiz_name', 'model', 'name', 'groups', 'action']):
            if not BOUND_WIZARDS.match(action['wiz_name']):
                continue
            if action['groups'] and not groups & set(action['groups']):
                continue
            wizards.setdefault(action['model'], []).append(action)
        return wizards


def roles(server):
    "[(login, password, role)]: one user per role and the administrator"
    seen, result = set(), []
    for user in server.users.values():
        if user['role'] not in seen:
            seen.add(user['role'])
            result.append((user['login'], user['password'], user['role']))
    only = os.environ.get('CRAWL_ROLES', '').split()
    if only:
        result = [r for r in result if r[0] in only]
    # the administrator sees the most: first, for the jobs to end together
    result.sort(key=lambda r: r[0] != 'admin')
    return result


@contextmanager
def user_language(rpc, code):
    "The user works in language code during the block"
    previous = rpc.set_language(code)
    try:
        yield
    finally:
        rpc.set_language(previous)


def slug(text, length=60):
    text = re.sub(r'[\s/\\:*?"<>|]+', '_', text).strip('_')
    return text[:length] or 'screen'


class Problem(Exception):
    pass


class Crawler:
    "One user's crawl of every screen"

    def __init__(self, sao, rpc, login, folder):
        self.sao = sao
        self.page = sao.page
        self.rpc = rpc
        self.login = login
        self.folder = folder
        self.screens = 0
        self.problems = []  # (screen, message)
        self.notes = []  # (screen, message): not failures, reported
        self.opened_models = {}  # model → first record id
        self.current = ''
        self.downloads = 0
        self.timings = []  # (kind, seconds to open, seconds to screenshot)
        self.page.on('download', self._on_download)

    def _on_download(self, download):
        self.downloads += 1

    # --- observation --------------------------------------------------------
    def settle(self):
        "Wait until sao is idle; raise Problem for anything wrong"
        sao = self.sao
        sao.wait_quiet()
        deadline = time.monotonic() + PROCESSING_GRACE
        while sao.processing_shown():
            if time.monotonic() > deadline:
                raise Problem("the 'Processing...' overlay does not go away")
            self.page.wait_for_timeout(100)
            sao.wait_quiet()
        errors = []
        if sao.page_errors:
            errors += [f'JavaScript error: {e}' for e in sao.page_errors]
            sao.page_errors.clear()
        if sao.console_errors:
            errors += [f'console error: {e}' for e in sao.console_errors]
            sao.console_errors.clear()
        if sao.browser_dialogs:
            errors += [f'browser dialog: {e}' for e in sao.browser_dialogs]
            sao.browser_dialogs.clear()
        dialog = self.page.locator(
            '.error-dialog.in, .warning-dialog.in, .user-warning-dialog.in,'
            ' .message-dialog.in, .concurrency-dialog.in,'
            ' .confirmation-dialog.in').filter(visible=True)
        if dialog.count():
            errors.append('sao shows a dialog: ' + ' '.join(
                    dialog.first.inner_text().split()))
            # "save the changes?" of a record nobody changed: which fields
            errors.append('changed: ' + self.js("""() => {
                const tab = Sao.Tab.tabs.get_current();
                const record = tab && tab.screen && tab.screen.current_record;
                return record ? JSON.stringify(
                    Object.keys(record._changed || {})) : '';
                }"""))
        if errors:
            raise Problem('; '.join(errors))

    def shot(self, kind):
        "Count a screen and save its screenshot"
        self.screens += 1
        name = f'{self.screens:03d}-{slug(self.current)}-{kind}.png'
        self.page.screenshot(path=str(self.folder / name))

    def step(self, kind, action):
        """Run action (a callable), wait until sao settles and take the
        screenshot of kind; record a problem and recover on failure.  Return
        whether it went well."""
        start = time.monotonic()
        try:
            action()
            self.settle()
        except Exception as exception:  # noqa: BLE001 (recorded, reported)
            self.fail(kind, exception)
            return False
        middle = time.monotonic()
        self.shot(kind)
        self.timings.append((kind, middle - start, time.monotonic() - middle))
        return True

    def fail(self, kind, exception):
        message = ' '.join(str(exception).split())[:1500]
        self.problems.append((f'{self.current} [{kind}]', message))
        if os.environ.get('CRAWL_VERBOSE'):
            print(f'[crawl] {self.login}: {self.current} [{kind}]: {message}')
        try:
            self.screens += 1
            self.page.screenshot(path=str(
                    self.folder / f'{self.screens:03d}-{slug(self.current)}'
                    f'-{kind}-FAILED.png'))
        except Exception:  # noqa: BLE001 (the page may be gone)
            pass
        self.recover()

    def recover(self):
        "Reload sao on a fresh state (its session is kept)"
        sao = self.sao
        self.page.goto(f'{sao.url}#{DATABASE}')
        self.page.reload(wait_until='domcontentloaded')
        self.page.locator('#menu div.column-char').first.wait_for()
        self.no_animations()
        sao.wait_quiet()
        sao.page_errors.clear()
        sao.console_errors.clear()
        sao.browser_dialogs.clear()

    # --- sao ----------------------------------------------------------------
    def no_animations(self):
        "Show dialogs at once: nothing to wait for between two screens"
        self.js("() => { jQuery.support.transition = false; }")
        self.page.add_style_tag(content=(
                '*, *::before, *::after { transition: none !important;'
                ' animation: none !important; }'))

    def js(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def tab_state(self):
        return self.js("""() => {
            const tab = Sao.Tab.tabs.get_current();
            if (!tab) {
                return null;
            }
            const state = {tabs: Sao.Tab.tabs.length, kind: 'other'};
            if (tab instanceof Sao.Tab.Form) {
                const screen = tab.screen;
                const button = (id) => {
                    const el = tab.el.find(`.btn-toolbar button#${id}`);
                    return el.length > 0 && el.is(':visible')
                        && !el.prop('disabled');
                };
                Object.assign(state, {
                    kind: 'form',
                    model: screen.model_name,
                    view: screen.current_view ?
                        screen.current_view.view_type : null,
                    view_id: screen.current_view ?
                        screen.current_view.view_id : null,
                    records: screen.group.length,
                    first: screen.group.length ? screen.group[0].id : null,
                    can_new: button('new_'),
                    views: screen.views.length + screen.view_to_load.length,
                    domains: tab.el.find('.tab-domain li a').length,
                    // views of the action (a list without form: a report)
                    has_form: !tab.attributes.mode
                        || tab.attributes.mode.includes('form'),
                    can_switch: button('switch_'),
                });
            } else if (tab instanceof Sao.Tab.Board) {
                state.kind = 'board';
            }
            return state;
        }""")

    def wizard_open(self):
        return self.page.locator('.wizard-dialog').filter(
            visible=True).count() > 0

    def close_wizard(self):
        """Cancel the wizard dialog shown with its end button (a click while
        sao still builds the step is ignored by sao: tried again)"""
        dialog = self.page.locator('.wizard-dialog').filter(
            visible=True).last
        end = dialog.locator('.modal-footer button.btn-link')
        other = dialog.locator('.modal-footer button:not(.btn-primary)')
        for _ in range(3):
            if end.count():
                end.last.click()
            elif other.count():  # "Cancel" comes first
                other.first.click()
            else:
                dialog.press('Escape')
            self.sao.wait_quiet()
            try:
                dialog.wait_for(state='hidden', timeout=3000)
                return
            except PlaywrightTimeoutError:
                pass
        raise Problem("the wizard cannot be cancelled")

    def close_tabs(self):
        """Close every tab without saving anything; note the records that
        sao takes as modified although nothing was typed (it would ask the
        user whether to save them)"""
        modified = self.js("""() => {
            const modified = [];
            for (const tab of [...Sao.Tab.tabs]) {
                const screen = tab.screen;
                if (screen && screen.current_record
                        && screen.current_record.id >= 0) {
                    screen.current_view.set_value();
                    if (screen.modified()) {
                        modified.push(screen.model_name + ' '
                            + JSON.stringify(Object.keys(
                                screen.current_record._changed || {})));
                    }
                }
                const cancel = screen ?
                    screen.cancel_current() : jQuery.when();
                if (screen) {
                    // nothing typed is kept: close without asking
                    tab._close_allowed = () => jQuery.when();
                }
                cancel.then(() => tab.close());
            }
            return modified;
        }""")
        for text in modified:
            self.notes.append((self.current, f'modified on display: {text}'))
        if not self.expect("() => !Sao.Tab.tabs.length", timeout=10):
            raise Problem("a tab cannot be closed")

    def toolbar(self, id_):
        self.sao.toolbar_button(id_).click()

    # --- the crawl ----------------------------------------------------------
    def run(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.no_animations()
        wizards = self.rpc.bound_wizards()
        only = os.environ.get('CRAWL_MENUS')
        for menu in self.rpc.menus():
            if only and only not in menu['complete_name']:
                continue
            self.current = menu['complete_name']
            self.crawl_menu(menu)
        for model, actions in sorted(wizards.items()):
            record_id = self.opened_models.get(model)
            if record_id is None:
                continue
            for action in actions:
                self.current = f'{model} ▸ {action["name"]}'
                self.crawl_bound_wizard(model, record_id, action)

    def expect(self, condition, arg=None, timeout=OPEN_TIMEOUT):
        """Wait until the JavaScript condition holds in sao; return whether
        it did"""
        try:
            self.page.wait_for_function(condition, arg=arg,
                timeout=timeout * 1000, polling=20)
        except PlaywrightTimeoutError:
            return False
        return True

    def crawl_menu(self, menu):
        downloads = self.downloads
        opened = None

        def open_():
            nonlocal opened
            # what a click on the entry does
            opened = self.js("""(id) => {
                const tabs = Sao.Tab.tabs.length;
                Sao.Action.exec_keyword('tree_open',
                    {model: 'ir.ui.menu', id: id}, null, false);
                return tabs;
                }""", menu['id'])
            self.expect("""(tabs) => Sao.Tab.tabs.length > tabs
                || jQuery('.modal:visible').length""", opened)
        if not self.step('open', open_):
            return
        if self.wizard_open():
            self.close_step('wizard', self.close_wizard)
            return
        state = self.tab_state()
        if not state or state['tabs'] <= opened:
            if self.downloads > downloads:  # a report
                return
            self.fail('open', Problem(
                    f"the entry opens nothing ({menu['action']})"))
            return
        if state['kind'] == 'form':
            self.crawl_tab(state)
        self.close_step('close', self.close_tabs)

    def close_step(self, kind, action):
        start = time.monotonic()
        try:
            action()
            self.settle()
        except Exception as exception:  # noqa: BLE001
            self.fail(kind, exception)
        self.timings.append((kind, time.monotonic() - start, 0))

    def crawl_tab(self, state):
        "Every view of the tab, the first record's form and a new record"
        tabs = state['tabs']
        seen = {(state['view'], state['view_id'])}
        if (state['view'] == 'tree' and not state['records']
                and state['domains'] > 1):
            # the first tab of the list is empty: its last one (all)
            if not self.step('all', self.last_domain):
                return
            state = self.tab_state()
        if state['view'] == 'tree' and state['records']:
            self.opened_models.setdefault(state['model'], state['first'])
            if state['has_form']:
                if not self.step('record', self.open_first_record):
                    return
                state = self.tab_state()
                if state['tabs'] > tabs:  # it opened a related action
                    return
                seen.add((state['view'], state['view_id']))
        # the other views of the action, in the order of the switch button
        for _ in range(min(state['views'] + 1, MAX_SWITCHES)):
            if len(seen) >= state['views'] or not state['can_switch']:
                break
            before = (state['view'], state['view_id'])
            try:
                self.switch(before)
                self.settle()
            except Exception as exception:  # noqa: BLE001
                self.fail('switch', exception)
                return
            state = self.tab_state()
            key = (state['view'], state['view_id'])
            if key not in seen:
                seen.add(key)
                self.shot(state['view'])
        if state['can_new'] and state['has_form']:
            self.step('new', self.new_record)

    def last_domain(self):
        "Show the last tab of the list's domains (usually all the records)"
        self.sao.tab.locator('.tab-domain li a').last.click()
        self.sao.wait_quiet()

    def switch(self, before):
        "Press the switch button, wait for another view"
        self.toolbar('switch_')
        self.expect("""([view, view_id]) => {
            const screen = Sao.Tab.tabs.get_current().screen;
            return screen.current_view.view_type != view
                || screen.current_view.view_id != view_id;
            }""", list(before), timeout=5)

    def open_first_record(self):
        """Activate the first row (a double click: its form); once more when
        sao was still loading the list (as a user double-clicks again)"""
        for _ in range(2):
            tabs = self.js("""() => {
                const screen = Sao.Tab.tabs.get_current().screen;
                screen.current_record = screen.group[0];
                const tabs = Sao.Tab.tabs.length;
                screen.row_activate();
                return tabs;
            }""")
            if self.expect("""(tabs) => Sao.Tab.tabs.length > tabs
                    || Sao.Tab.tabs.get_current().screen.current_view
                        .view_type == 'form'""", tabs):
                return
            self.sao.wait_quiet()
        raise Problem("the first record's form does not open")

    def new_record(self):
        self.toolbar('new_')
        if not self.expect("""() => {
                const screen = Sao.Tab.tabs.get_current().screen;
                return screen.current_view.view_type == 'form'
                    && screen.current_record
                    && screen.current_record.id < 0;
                }"""):
            raise Problem("the form of a new record does not open")

    def crawl_bound_wizard(self, model, record_id, action):
        """The first step of a wizard run on a record, then cancelled.  The
        record may not suit the wizard: a business message (a warning, as
        when the user runs it on that record) is noted, not a failure."""
        def run():
            self.js("""([model, id, action]) => {
                Sao.Action.execute(action, {
                    model: model, id: id, ids: [id]}, {}, true);
                }""", [model, record_id, action['action']])
            self.expect("() => jQuery('.modal:visible').length")
            self.sao.wait_quiet()
            warning = self.page.locator('.warning-dialog.in').filter(
                visible=True)
            if warning.count():
                self.notes.append((self.current, 'refused: ' + ' '.join(
                            warning.first.inner_text().split())))
                warning.locator('.modal-footer button').last.click()
                self.sao.wait_quiet()
        if not self.step('wizard', run):
            return
        if self.wizard_open():
            self.close_step('cancel', self.close_wizard)
        else:
            # it ended at once (an action) or said why it may not run
            self.close_step('close', self.close_tabs)


def crawl_role(browser, server, login, password, folder):
    rpc = CrawlRpc(server.url, DATABASE, login, password)
    with user_language(rpc, LANGUAGE):
        context = browser.new_context(
            viewport={'width': 1280, 'height': 800},
            locale='zh-CN' if LANGUAGE == 'zh_CN' else 'en-US',
            timezone_id='Asia/Shanghai')
        try:
            page = context.new_page()
            sao = Sao(page, server.url, database=DATABASE)
            sao.login(login, password)
            crawler = Crawler(sao, rpc, login, folder)
            # the start page opened at login: its entry opens it again
            crawler.close_tabs()
            crawler.run()
        finally:
            context.close()
    return crawler


def crawl_in_thread(server, login, password, role):
    """Crawl a role with a browser of its own (Playwright's sync API wants
    one instance per thread); return its figures, problems and notes"""
    start = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            crawler = crawl_role(
                browser, server, login, password, SCREENSHOTS / login)
        finally:
            browser.close()
    figure = (login, role, crawler.screens, len(crawler.problems),
        time.monotonic() - start,
        sum(t[1] for t in crawler.timings), sum(t[2] for t in crawler.timings))
    return (figure,
        [(login, screen, message) for screen, message in crawler.problems],
        [(login, screen, message) for screen, message in crawler.notes])


def test_crawl_every_screen(tryton_server):
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    problems, notes, figures = [], [], []
    start = time.monotonic()
    # the roles in parallel: the browser and the server take turns
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        for figure, role_problems, role_notes in pool.map(
                lambda role: crawl_in_thread(tryton_server, *role),
                roles(tryton_server)):
            figures.append(figure)
            problems += role_problems
            notes += role_notes
    total = time.monotonic() - start
    print(f"\n[crawl] {len(figures)} roles, "
        f"{sum(f[2] for f in figures)} screens in {total:.0f} s "
        f"(language {LANGUAGE}, chromium {CHROMIUM}); screenshots in "
        f"{SCREENSHOTS}")
    for login, role, screens, failed, seconds, opening, shots in figures:
        print(f"[crawl]   {login:<11} {screens:4d} screens {failed:3d} "
            f"problems {seconds:5.0f} s (opening {opening:4.0f} s, "
            f"screenshots {shots:4.0f} s)  {role}")
    for login, screen, message in notes:
        print(f"[crawl] note: {login}: {screen}: {message}")
    report = '\n'.join(
        f'{login}: {screen}: {message}'
        for login, screen, message in problems)
    if problems:
        (SCREENSHOTS / 'problems.txt').write_text(report + '\n')
    assert not problems, f"{len(problems)} problems:\n{report}"


if __name__ == '__main__':  # pragma: no cover
    pytest.main([__file__, '-s'])
