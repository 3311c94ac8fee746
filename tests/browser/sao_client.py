# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Drive sao 8.0, Tryton's web client, with Playwright like a user does.

The helpers find widgets by what does not depend on the user's language:
field and button names (``input[name="code"]``, ``button[name="submit"]``),
selection values, sao's element ids (``#login``, ``button#save``) and the
position of fixed menu entries; menu entries by the names the server gives
them in the user's language.  They wait on sao's DOM and on the RPC calls in
flight, never for a fixed time.
"""
import base64
import datetime
import json
import re
import time
import urllib.request

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

#: sao's dialogs that report a problem to the user
PROBLEM_DIALOGS = ('.warning-dialog', '.error-dialog', '.user-warning-dialog')
#: files sao's page asks for that a web root may not have
OPTIONAL_FILES = re.compile(r'/custom\.(css|js)$')


class SaoError(AssertionError):
    "sao showed an error or warning dialog"


class Sao:
    "A user's session in sao"

    def __init__(self, page: Page, url: str, timeout: float = 30,
            snapshots=None, database=None):
        self.page = page
        self.url = url
        self.database = database  # to choose when the server lists several
        self.timeout = timeout
        self.snapshots = snapshots  # folder of step screenshots, if any
        self._snapshot_count = 0
        self._inflight = set()
        self._last_activity = time.monotonic()
        self.page_errors = []
        self.console_errors = []  # console.error() of the page
        self.browser_dialogs = []  # alert(), confirm() (dismissed)
        page.set_default_timeout(timeout * 1000)
        expect.set_options(timeout=timeout * 1000)
        page.on('request', self._on_request)
        page.on('requestfinished', self._on_request_done)
        page.on('requestfailed', self._on_request_done)
        page.on('pageerror', lambda error: self.page_errors.append(error))
        page.on('console', self._on_console)
        page.on('dialog', self._on_dialog)

    # --- RPC tracking -------------------------------------------------------
    @staticmethod
    def _is_rpc(request):
        return request.method == 'POST' and (
            '/rpc' in request.url or '/session/' in request.url)

    def _on_request(self, request):
        if self._is_rpc(request):
            self._inflight.add(request)
            self._last_activity = time.monotonic()

    def _on_request_done(self, request):
        if request in self._inflight:
            self._inflight.discard(request)
            self._last_activity = time.monotonic()

    def _on_console(self, message):
        if message.type != 'error':
            return
        url = (message.location or {}).get('url') or ''
        # sao's index.html loads these optional files of its web root
        if OPTIONAL_FILES.search(url):
            return
        self.console_errors.append(
            f'{message.text} ({url})' if url else message.text)

    def _on_dialog(self, dialog):
        if dialog.type == 'beforeunload':  # leaving (reload, logout)
            dialog.accept()
            return
        self.browser_dialogs.append(f'{dialog.type}: {dialog.message}')
        dialog.dismiss()

    def wait_quiet(self, timeout=None):
        """Wait in the page until no RPC call of sao (jQuery.ajax) has been
        in flight for a few turns of its event loop: faster than wait_idle's
        quiet time, for the many steps of the crawl"""
        timeout = timeout or self.timeout
        quiet = self.page.evaluate("""(timeout) => new Promise(resolve => {
            const end = Date.now() + timeout;
            let calm = 0;
            const tick = () => {
                calm = jQuery.active ? 0 : calm + 1;
                if (calm >= 4) {
                    resolve(true);
                } else if (Date.now() > end) {
                    resolve(false);
                } else {
                    setTimeout(tick, 10);
                }
            };
            tick();
        })""", timeout * 1000)
        if not quiet:
            raise TimeoutError(
                "sao still waits for %d RPC call(s)" % self.page.evaluate(
                    "() => jQuery.active"))

    def processing_shown(self):
        "Whether sao shows its 'Processing...' overlay"
        return self.page.locator('#processing:visible').count() > 0

    def wait_idle(self, quiet=0.3, timeout=None):
        """Wait until sao has no RPC call in flight for quiet seconds, then
        fail if sao shows an error dialog"""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            now = time.monotonic()
            if not self._inflight and now - self._last_activity >= quiet:
                break
            if now > deadline:
                raise TimeoutError(
                    "sao still waits for %d RPC call(s)" % len(self._inflight))
            self.page.wait_for_timeout(50)
        self.check_no_problem()

    def flush_events(self):
        "Let the page run the events already queued (e.g. hashchange)"
        self.page.evaluate(
            "() => new Promise(resolve => setTimeout(resolve, 0))")

    def check_no_problem(self):
        """Raise SaoError for a JavaScript error in sao or with the message
        of a visible error/warning dialog"""
        if self.page_errors:
            errors, self.page_errors[:] = list(self.page_errors), []
            raise SaoError("sao failed with a JavaScript error: %s" % (
                    '; '.join(map(str, errors))))
        for selector in PROBLEM_DIALOGS:
            dialog = self.page.locator(f'{selector}.in:visible')
            if dialog.count():
                raise SaoError(
                    "sao shows a dialog: %s" % dialog.first.inner_text())

    # --- session ------------------------------------------------------------
    def login(self, login, password):
        "Open sao (without any tab to restore) and log in, in two steps"
        page = self.page
        page.goto(self.url)
        page.locator('#login').wait_for()
        # sao shows the database field once it has the list of databases;
        # a login sent before has no database and sao silently ignores it
        page.locator('#database:visible').wait_for()
        databases = page.locator('select#database:visible')
        if self.database and databases.count():
            databases.select_option(self.database)
        page.locator('#login').fill(login)
        page.locator('#login').press('Enter')
        page.locator('#ask-dialog-entry').fill(password)
        page.locator('#ask-dialog-entry').press('Enter')
        page.locator('#menu div.column-char').first.wait_for()
        self.wait_idle()

    def logout(self):
        page = self.page
        page.locator('#user-preferences > a').click()
        page.locator('#user-preferences li.notification-item').last.click()
        # With tabs open sao asks to close them first
        login = page.locator('#login')
        confirm = page.locator(
            '.confirmation-dialog.in .modal-footer .btn-primary')
        expect(login.or_(confirm).first).to_be_visible()
        if confirm.count() and confirm.first.is_visible():
            confirm.first.click()
        expect(login).to_be_visible()

    @property
    def user_name(self):
        return self.page.locator('#user-preferences > a').inner_text()

    # --- navigation ---------------------------------------------------------
    def _menu_entry(self, name):
        return self.page.locator('#menu div.column-char').filter(
            has_text=re.compile('^%s$' % re.escape(name)))

    def open_menu(self, *path, tab=True):
        """Open the action of the menu path (names as the user sees them);
        tab: whether it opens a tab (a wizard opens a dialog)"""
        for parent, child in zip(path, path[1:]):
            entry = self._menu_entry(child)
            if not entry.first.is_visible():
                row = self._menu_entry(parent).first.locator(
                    'xpath=ancestor::tr')
                row.locator('span.expander').click()
            entry.first.wait_for()
        tabs = self.page.locator('#tablist > li')
        count = tabs.count()
        self._menu_entry(path[-1]).first.click()
        if tab:
            expect(tabs).to_have_count(count + 1)
        self.wait_idle()

    def close_tabs(self):
        "Close every tab (as its cross does; sao asks about unsaved changes)"
        tabs = self.page.locator('#tablist > li')
        # sao may ask whether to save a record: nothing was typed there
        # (sao 8.0 takes a record with a timestamp as modified once shown):
        # no
        no = self.page.locator(
            '.modal.in .modal-footer button.btn-default').filter(
            visible=True)
        for _ in range(5):
            if no.count():
                no.first.click()
                self.wait_idle()
                continue
            if not tabs.count():
                break
            self.page.evaluate("""() => {
                for (const tab of [...Sao.Tab.tabs]) {
                    tab.close();
                }
            }""")
            self.wait_idle()
        expect(tabs).to_have_count(0)
        expect(self.page.locator('.modal.in').filter(visible=True)
            ).to_have_count(0)

    @property
    def tab(self) -> Locator:
        "The active tab"
        return self.page.locator('#tabcontent > .tab-pane.active')

    @property
    def form(self) -> Locator:
        "The form of the active tab"
        return self.tab.locator('.form').first

    def toolbar_button(self, id_):
        return self.tab.locator(f'.btn-toolbar button#{id_}')

    def open_record(self, text):
        """Find the record matching text through the search box of the list
        of the active tab (in its last domain tab, "All") and open it"""
        tab = self.tab
        domains = tab.locator('.tab-domain li a')
        if domains.count():
            domains.last.click()
            self.wait_idle()
        search = tab.locator('.filter-box input.form-control').first
        search.fill(text)
        search.press('Enter')
        self.wait_idle()
        rows = tab.locator('.treeview tbody tr')
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(text)
        # Select the row, then switch to the form.  Not a double click: sao
        # sets the URL of the tab when the row is selected and compares it
        # in its hashchange handler; when that handler runs after the switch
        # to the form has begun (as with an instant double click), the URLs
        # differ and sao opens the record in a second tab.
        # on the cell of the text: the middle of the row may be a link
        # (a many2one), which opens the linked record in another tab
        cell = rows.first.locator('td').filter(has_text=text)
        (cell.first if cell.count() else rows.first).click()
        self.wait_idle()
        self.flush_events()
        self.toolbar_button('switch_').click()
        self.wait_idle()
        expect(self.form).to_be_visible()

    # --- records ------------------------------------------------------------
    def new_record(self):
        self.toolbar_button('new_').click()
        self.wait_idle()
        expect(self.form).to_be_visible()

    def save(self):
        self.toolbar_button('save').click()
        # sao may send the create only after the quiet time of wait_idle
        # (validation, pending changes): wait for the saved record itself
        try:
            self.page.wait_for_function(
                "() => { const record = "
                "Sao.Tab.tabs.get_current().screen.current_record; "
                "return record && record.id >= 0; }")
        except PlaywrightTimeoutError:
            self.check_no_problem()  # an error dialog says why
            raise AssertionError("the record was not saved")
        self.wait_idle()
        return self.page.evaluate(
            "() => Sao.Tab.tabs.get_current().screen.current_record.id")

    def reload(self):
        self.toolbar_button('reload').click()
        self.wait_idle()

    def field(self, name) -> Locator:
        "The input of field name in the form (the visible one)"
        return self.form.locator(
            f'input[name="{name}"]:visible, select[name="{name}"]:visible, '
            f'textarea[name="{name}"]:visible').first

    def fill(self, name, value):
        "Type value in a Char, Numeric, Integer field and leave it"
        widget = self.field(name)
        widget.fill(str(value))
        widget.press('Tab')

    def fill_date(self, name, date: datetime.date):
        "Type date in the user's date format and leave the field"
        text = self.page.evaluate(
            "([y, m, d]) => Sao.common.format_date("
            "Sao.i18n.locale.date, Sao.Date(y, m - 1, d))",
            [date.year, date.month, date.day])
        self.fill(name, text)

    def selection(self, name):
        "The value (not the label) of a Selection field"
        value = self.form.locator(f'select[name="{name}"]').input_value()
        return value.strip('"') if value != 'null' else None

    def expect_selection(self, name, value):
        expect(self.form.locator(f'select[name="{name}"]')).to_have_value(
            f'"{value}"')

    # --- attachments --------------------------------------------------------
    def attachment_button(self):
        return self.toolbar_button('attach')

    def attach(self, path):
        """Attach the file at path to the current record through sao's
        attachment dialog (Attachment ▸ Manage…)"""
        self.attachment_button().click()
        menu = self.tab.locator('ul[aria-labelledby="attach"]')
        manage = menu.locator('li a').last  # "Manage..." is the last entry
        manage.wait_for()
        manage.click()
        dialog = self.page.locator('.modal.in:visible').last
        new = dialog.locator('.window-form-toolbar button#new_')
        new.wait_for()
        self.wait_idle()
        new.click()
        row = dialog.locator('tbody tr.selected').first
        row.locator('input[type="file"]').set_input_files(str(path))
        expect(row.locator('input[name="name"]')).not_to_have_value('')
        self.wait_idle()
        dialog.locator('.modal-footer button#save').click()  # "Close"
        expect(dialog).to_be_hidden()
        self.wait_idle()

    def expect_attachments(self, count):
        expect(self.attachment_button()).to_have_attribute(
            'title', re.compile(r'\(%d\)' % count))

    # --- buttons ------------------------------------------------------------
    def button(self, name) -> Locator:
        return self.form.locator(f'button[name="{name}"]')

    def click_button(self, name):
        "Press the button name of the form (confirming when sao asks)"
        self.button(name).click()
        self.wait_idle()
        confirm = self.page.locator('.confirmation-dialog.in:visible')
        if confirm.count():
            confirm.locator('.modal-footer .btn-primary').click()
            self.wait_idle()

    def snapshot(self, name):
        "Save a screenshot of this step when snapshots are on"
        if self.snapshots is None:
            return
        self._snapshot_count += 1
        self.snapshots.mkdir(parents=True, exist_ok=True)
        name = f'step-{self._snapshot_count:02d}-{name}.png'
        self.page.screenshot(path=str(self.snapshots / name))


class RPCError(Exception):
    pass


class JsonRpc:
    "A user's JSON-RPC session on trytond (what sao does, without sao)"

    def __init__(self, url, database, login, password):
        self.url = f'{url.rstrip("/")}/{database}/rpc/'
        self.auth = None
        user_id, session, *_ = self.call(
            'common.db.login', login, {'password': password}, 'en')
        token = f'{login}:{user_id}:{session}'
        self.auth = 'Session ' + base64.b64encode(token.encode()).decode()
        self.user_id = user_id
        # the user's context (company, language) as sao sends it
        self.context = {}
        self.context = self.model('res.user', 'get_preferences', True)

    def call(self, method, *params):
        request = urllib.request.Request(
            self.url, json.dumps({
                    'id': 0, 'method': method, 'params': params,
                    }).encode(),
            {'Content-Type': 'application/json'})
        if self.auth:
            request.add_header('Authorization', self.auth)
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.load(response)
        if result.get('error'):
            raise RPCError(f"{method}: {result['error']}")
        return result['result']

    def model(self, model, method, *params):
        return self.call(f'model.{model}.{method}', *params, self.context)

    def menu_path(self, model=None, wizard=None):
        """The names of the menu entries (as the user sees them) down to the
        entry of the action of model (a list) or of the wizard wiz_name"""
        if model:
            kind, domain = 'ir.action.act_window', [('res_model', '=', model)]
        else:
            kind, domain = 'ir.action.wizard', [('wiz_name', '=', wizard)]
        actions = {
            f'{kind},{a["id"]}' for a in self.model(
                kind, 'search_read', domain, 0, None, None, ['id'])}
        menus = [
            m for m in self.model(
                'ir.ui.menu', 'search_read', [], 0, None, None,
                ['complete_name', 'action'])
            if m['action'] in actions]
        assert menus, f"no menu entry for {model or wizard}"
        return menus[0]['complete_name'].split(' / ')
