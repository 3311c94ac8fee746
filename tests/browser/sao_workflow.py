# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""What the workflow tests do in sao beyond tests/browser/sao_client.py:
menu entries found by their XML id, relation fields, wizards, the counters
of the list tabs, text fields, downloads and the rows of a list.

Like sao_client, the helpers find widgets by what does not depend on the
user's language (field names, the states of the wizard buttons, XML ids of
the menus) and type and click as a user does.  Only the names of the menu
entries in the user's language are read, from the test database, to know
what to click.
"""
import datetime
import os
import re
import sqlite3
from decimal import Decimal

import demo_data
from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sao_client import Sao

#: sao gives the buttons of a wizard no name: mark each with the state it
#: leads to, to find them whatever the language (and the x2Many widgets with
#: their field)
MARK_WIZARD_BUTTONS_JS = """
() => {
    const get_button = Sao.Wizard.prototype._get_button;
    if (get_button.marked) {
        return;
    }
    Sao.Wizard.prototype._get_button = function(definition) {
        const button = get_button.call(this, definition);
        button.el.attr('data-state', definition.state);
        return button;
    };
    Sao.Wizard.prototype._get_button.marked = true;
    // and mark the wizard once a state's view has its defaults and values
    // (set after the dialog shows, a field filled before would be reset)
    const process = Sao.Wizard.prototype.process;
    Sao.Wizard.prototype.process = function(state) {
        this.widget.removeAttr('data-processed');
        return process.call(this, state).always(() => {
            this.widget.attr('data-processed', this.state);
        });
    };
    // nor the widgets of x2Many fields: mark them with the field name
    for (const Widget of [Sao.View.Form.One2Many, Sao.View.Form.Many2Many]) {
        const init = Widget.prototype.init;
        Widget.prototype.init = function(view, attributes) {
            init.call(this, view, attributes);
            this.el.attr('data-name', attributes.name);
        };
    }
}
"""


def same_value(shown, typed):
    "Whether the text a field shows is the value typed (numbers formatted)"
    if shown == typed:
        return True
    try:
        return Decimal(re.sub(r'[^\d.-]', '', shown)) == Decimal(typed)
    except ArithmeticError:
        return False


class Workflow(Sao):
    "A user's session in sao doing the work of the workflow tests"

    def __init__(self, sao: Sao, server):
        super().__init__(
            sao.page, sao.url, timeout=sao.timeout, snapshots=sao.snapshots,
            database=sao.database)
        self.server = server

    def login_as(self, login):
        self.login(login, self.server.users[login]['password'])
        # sao opens the user's start page ("My Work") after the menu: wait
        # for it, else it opens late over what the test does next (a tab
        # or a wizard of the menu) and takes the place of the active tab
        try:
            self.page.locator('#tablist > li').first.wait_for(timeout=10000)
        except PlaywrightTimeoutError:
            pass  # a user without a start page
        self.wait_idle()
        self.page.evaluate(MARK_WIZARD_BUTTONS_JS)

    def menu_path(self, xml_id):
        """The names of the menu entries, from the root, to xml_id, in the
        language of the users, read from the test database"""
        module, fs_id = xml_id.split('.')
        language = os.environ.get('BROWSER_TEST_LANG', 'en')
        database = self.server.workdir / 'db' / f'{self.database}.sqlite'
        names = []
        with sqlite3.connect(f'file:{database}?mode=ro', uri=True) as db:
            id_, = db.execute(
                'SELECT db_id FROM ir_model_data WHERE module = ? '
                'AND fs_id = ? AND model = ?',
                (module, fs_id, 'ir.ui.menu')).fetchone()
            while id_ is not None:
                name, parent = db.execute(
                    'SELECT name, parent FROM ir_ui_menu WHERE id = ?',
                    (id_,)).fetchone()
                translation = db.execute(
                    'SELECT value FROM ir_translation WHERE name = ? '
                    'AND res_id = ? AND lang = ? AND type = ?',
                    ('ir.ui.menu,name', id_, language, 'model')).fetchone()
                if translation and translation[0]:
                    name = translation[0]
                names.insert(0, name)
                id_ = parent
        return names

    def open(self, xml_id):
        """Open the action of the menu entry of xml_id (the last entry shown
        of its name: a folder and its entry may share it)"""
        path = self.menu_path(xml_id)
        self.expand_menu(path)
        tabs = self.page.locator('#tablist > li')
        count = tabs.count()
        self.menu_entry(path[-1]).click()
        expect(tabs).to_have_count(count + 1)
        self.wait_idle()

    def menu_entry(self, name):
        return self.page.locator('#menu div.column-char:visible').filter(
            has_text=re.compile('^%s$' % re.escape(name))).last

    def expand_menu(self, path):
        for parent, child in zip(path, path[1:]):
            entry = self.page.locator('#menu div.column-char:visible').filter(
                has_text=re.compile('^%s$' % re.escape(child)))
            # a folder may have the name of its entry
            needed = 2 if child == parent else 1
            if entry.count() < needed:
                row = self._menu_entry(parent).first.locator(
                    'xpath=ancestor::tr')
                row.locator('span.expander').click()
            expect(entry.nth(needed - 1)).to_be_visible()

    def configure(self, **values):
        """Set values in the re-guarantee configuration as its administrator
        (the manager), through its form"""
        self.login_as('manager')
        self.open('reguarantee_base.menu_configuration_form')
        for name, value in values.items():
            self.fill(name, value)
        self.save()
        self.logout()

    def open_wizard(self, xml_id):
        """Launch the wizard of the menu entry of xml_id (sao shows it in a
        dialog)"""
        path = self.menu_path(xml_id)
        self.expand_menu(path)
        self.menu_entry(path[-1]).click()
        dialog = self.page.locator('.wizard-dialog.in:visible')
        expect(dialog).to_have_count(1)
        # sao shows the dialog before it sets the defaults of the form
        expect(dialog.locator('.wizard[data-processed]')).to_have_count(1)
        self.wait_idle()

    def close_messages(self):
        "Close the messages of the active tab (they cover its toolbar)"
        for close in self.tab.locator('.infobar .close:visible').all():
            close.click()

    def click_button(self, name):
        "Press the button name of the form, confirming when sao asks"
        self.button(name).click()
        confirm = self.page.locator('.confirmation-dialog:visible')
        try:
            confirm.first.wait_for(timeout=2000)
        except PlaywrightTimeoutError:
            pass
        if confirm.count():
            confirm.last.locator('.modal-footer .btn-primary').click()
        self.wait_idle()

    def find_record(self, text):
        """Find the record matching text through the search box of the list
        of the active tab (in its last tab, "All") and open it"""
        domains = self.tab.locator('.tab-domain li a')
        if domains.count():
            domains.last.click()
            self.wait_idle()
        search = self.tab.locator('.filter-box input.form-control').first
        search.fill(text)
        search.press('Enter')
        self.wait_idle()
        rows = self.rows()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(text)
        self.open_row(rows.first)

    def open_row(self, row: Locator):
        "Open the record of the row of the list in the form"
        # its selection box (a click on the row may hit a link)
        cell = row.locator('td[data-title]').first
        row.locator('td.selection-state input').click()
        self.wait_idle()
        self.flush_events()
        switch = self.toolbar_button('switch_')
        if switch.is_enabled():
            switch.click()
        else:  # the row was not selected: open it as sao does on activation
            cell.dblclick()
        self.wait_idle()
        expect(self.form).to_be_visible()

    def back_to_list(self):
        "Switch the active tab from its form to its list and reload it"
        self.close_messages()
        # the switch goes through the views in turn (list, form, graph)
        for _ in range(3):
            self.toolbar_button('switch_').click()
            self.wait_idle()
            if not self.form.is_visible() and self.tab.locator(
                    '.treeview:visible').count():
                break
        expect(self.form).to_be_hidden()
        expect(self.tab.locator('.treeview:visible').first).to_be_visible()
        self.reload()

    def new_project(
            self, loan_contract_number, loan_amount, guarantee_amount,
            institution=None, industry=None):
        """Enter a new project of a demo borrower of manufacturing (the
        demo's farming is above its concentration limit) with the first demo
        bank, starting today for a year, in the form of the project list
        open (for institution, a code, or the user's default one); return
        its number once saved"""
        borrower = demo_data.BORROWERS[1][0]
        today = datetime.date.today()
        self.new_record()
        if institution:
            self.fill_many2one('institution', institution)
        self.fill_many2one('borrower', borrower)
        self.fill_many2one('bank', demo_data.BANKS[0])
        if industry:
            self.fill('industry', industry)
        self.fill('loan_contract_number', loan_contract_number)
        self.fill('loan_amount', Decimal(loan_amount))
        self.fill('guarantee_amount', Decimal(guarantee_amount))
        self.fill_date('start_date', today)
        self.fill_date('end_date', today + datetime.timedelta(days=365))
        self.save()
        self.expect_selection('state', 'draft')
        expect(self.field('number')).not_to_have_value('')
        return self.value('number')

    # --- list tabs ----------------------------------------------------------
    def domain_count(self, index) -> Locator:
        "The counter of the index-th tab (domain) of the list"
        return self.tab.locator(f'.tab-domain li#nav-{index} .badge')

    def expect_domain_count(self, index, count):
        expect(self.domain_count(index)).to_have_text(str(count))

    def read_domain_count(self, index):
        badge = self.domain_count(index)
        expect(badge).to_have_text(re.compile(r'^\d+$'))
        return int(badge.inner_text())

    def rows(self, within=None) -> Locator:
        "The rows of the list of the active tab (or within a form field)"
        scope = within if within is not None else self.tab
        return scope.locator('.treeview tbody tr:not(.more-row)')

    def select_domain(self, index):
        "Show the index-th tab (domain) of the list"
        self.tab.locator(f'.tab-domain li#nav-{index} a').click()
        self.wait_idle()

    # --- fields -------------------------------------------------------------
    def fill(self, name, value):
        """Type value in the field name and leave it, again when sao did not
        take it (its number widgets swap inputs on focus)"""
        text = str(value)
        for _ in range(3):
            widget = self.field(name)
            widget.fill('')
            widget.fill(text)
            widget.press('Tab')
            self.wait_idle()
            if same_value(self.field(name).input_value(), text):
                break
        assert same_value(self.field(name).input_value(), text), (
            name, self.field(name).input_value(), text)

    def fill_many2one(self, name, text, shown=None):
        """Type text in the Many2One field name and leave it; choose the
        record showing text when sao asks which one; the field then shows
        shown (a regular expression), by default text"""
        widget = self.field(name)
        widget.fill(text)
        # sao searches the completion 300 ms after the input (then its
        # autocomplete RPC): a Tab before that is overtaken by the menu the
        # completion opens late, which ignores the Tab and may clear the
        # field or write it again later; so choose the record in the menu
        # as a user does, once sao is idle
        dropdown = widget.locator('xpath=ancestor::div[contains('
            'concat(" ", @class, " "), " dropdown ")][1]')
        entries = dropdown.locator(
            '.dropdown-completion li.completion > a:visible')
        completion = dropdown.count() > 0
        if completion:
            match = entries.filter(has_text=text).first
            try:
                match.wait_for(state='visible', timeout=5000)
            except PlaywrightTimeoutError:
                completion = False
            else:
                self.wait_idle()
                match.click()
                self.wait_idle()
        if not completion:
            if dropdown.count() and 'open' in (
                    dropdown.get_attribute('class') or ''):
                widget.press('Escape')
            widget.press('Tab')
            self.wait_idle()
        dialog = self.page.locator('.modal.in:visible').filter(
            has=self.page.locator('.treeview'))
        if dialog.count():
            self._choose(dialog.last, text)
            dialog.last.locator('.modal-footer .btn-primary').click()
            expect(dialog).to_have_count(0)
            self.wait_idle()
        expect(self.field(name)).to_have_value(
            re.compile(shown if shown is not None else re.escape(text)))

    def add_many2many(self, name, text):
        """Add to the Many2Many field name of the form the record found by
        text, through its search dialog"""
        widget = self.form.locator(f'.form-many2many[data-name="{name}"]')
        entry = widget.locator('input:not([type="checkbox"])').first
        entry.fill(text)
        # sao searches the completion of the text 300 ms after the input:
        # let it answer and close its menu before the search dialog opens
        self.page.wait_for_timeout(400)
        self.wait_idle()
        dropdown = entry.locator('xpath=ancestor::div[contains('
            'concat(" ", @class, " "), " dropdown ")][1]')
        if dropdown.count() and 'open' in (
                dropdown.get_attribute('class') or ''):
            entry.press('Escape')
        # its "Add" button searches the text
        add = entry.locator('xpath=following::button[1]')
        expect(add).to_be_enabled()
        add.click()
        self.wait_idle()
        # sao adds the one record found, else opens its search dialog
        # (which may show after the RPC calls)
        row = self.rows(widget).filter(has_text=text)
        dialog = self.page.locator('.modal.in:visible').filter(
            has=self.page.locator('.treeview'))
        expect(dialog.or_(row).first).to_be_visible()
        if dialog.count():
            self._choose(dialog.last, text)
            dialog.last.locator('.modal-footer .btn-primary').click()
            expect(dialog).to_have_count(0)
            self.wait_idle()
        expect(self.rows(widget).filter(has_text=text)).to_have_count(1)

    def digits(self, name):
        "The digits of the value the field name shows (amounts)"
        return re.sub(r'\D', '', self.value(name))

    def expect_digits(self, name, digits):
        """Wait until the field name shows an amount of exactly digits (the
        form may still be loading the record)"""
        widget = self.form.locator(f'input[name="{name}"]').first
        expect(widget).to_have_value(
            re.compile(r'^\D*' + r'\D*'.join(digits) + r'\D*$'))

    def _choose(self, dialog, text):
        """Choose in the search dialog the record of the row showing text
        (or the first one if none shows it)"""
        rows = dialog.locator('.treeview tbody tr')
        expect(rows.first).to_be_visible()
        row = rows.filter(has_text=text)
        row = row.first if row.count() else rows.first
        # its selection box (a click on the row may hit a link)
        row.locator('td.selection-state input').click()

    def value(self, name):
        "The text shown by the field name of the form"
        widget = self.form.locator(
            f'input[name="{name}"], textarea[name="{name}"]').first
        return widget.input_value()

    def text(self, name) -> Locator:
        "The widget of the Text field name of the form"
        return self.form.locator(f'textarea[name="{name}"]').first

    def field_rows(self, name) -> Locator:
        "The rows of the x2Many field name of the form"
        return self.rows(self.form.locator(
                f'.form-one2many[data-name="{name}"], '
                f'.form-many2many[data-name="{name}"]').first)

    def open_many2one(self, name):
        "Open the record of the Many2One field name in its own dialog"
        widget = self.field(name)
        widget.locator('xpath=..').locator(
            '.icon-input.icon-primary').click()
        self.wait_idle()

    def fill_date(self, name, date: datetime.date):
        super().fill_date(name, date)
        self.wait_idle()

    # --- wizards ------------------------------------------------------------
    def wizard_button(self, state) -> Locator:
        """The button of the active wizard (of a tab or a dialog) leading to
        state (see MARK_WIZARD_BUTTONS_JS)"""
        return self.page.locator(f'button[data-state="{state}"]:visible').last

    def click_wizard(self, state):
        button = self.wizard_button(state)
        expect(button).to_be_enabled()
        button.click()
        self.wait_idle()

    @property
    def wizard_form(self) -> Locator:
        "The form of the wizard of the active tab or of the dialog over it"
        dialog = self.page.locator('.wizard-dialog.in:visible')
        if dialog.count():
            return dialog.last.locator('.form').first
        return self.tab.locator('.wizard-form .form').first

    def wizard_text(self, name) -> Locator:
        return self.wizard_form.locator(f'textarea[name="{name}"]').first

    def wizard_field(self, name) -> Locator:
        return self.wizard_form.locator(
            f'input[name="{name}"]:visible, select[name="{name}"]:visible, '
            f'textarea[name="{name}"]:visible').first

    def wizard_fill(self, name, value):
        """Type value in the field name of the wizard and leave it, again
        when sao did not take it"""
        text = str(value)
        for _ in range(3):
            widget = self.wizard_field(name)
            widget.fill(text)
            widget.press('Tab')
            self.wait_idle()
            if same_value(self.wizard_field(name).input_value(), text):
                break
        assert same_value(self.wizard_field(name).input_value(), text), (
            name, self.wizard_field(name).input_value(), text)

    def wizard_fill_date(self, name, date: datetime.date):
        text = self.page.evaluate(
            "([y, m, d]) => Sao.common.format_date("
            "Sao.i18n.locale.date, Sao.Date(y, m - 1, d))",
            [date.year, date.month, date.day])
        self.wizard_fill(name, text)

    def wizard_rows(self, name) -> Locator:
        return self.rows(self.wizard_form.locator(
                f'.form-one2many[data-name="{name}"], '
                f'.form-many2many[data-name="{name}"]').first)

    def wizard_file(self, name, path):
        "Choose the file at path for the Binary field name of the wizard"
        widget = self.wizard_form.locator(
            f'input[name="{name}"]').first.locator(
            'xpath=ancestor::div[contains(@class, "form-binary")]')
        widget.locator('input[type="file"]').set_input_files(str(path))
        # the file name, shown beside its size
        expect(widget.locator('input:not([name])').first).to_have_value(
            path.name)
        self.wait_idle()

    def download(self, click):
        """Run click (a function) and return the file sao gives to save,
        closing sao's download dialog"""
        with self.page.expect_download() as info:
            click()
        download = info.value
        dialog = self.page.locator('.modal.in:visible').filter(
            has=self.page.locator('a[download]'))
        if dialog.count():
            dialog.last.locator('.modal-footer button').last.click()
        self.wait_idle()
        return download

    def save_as(self, form: Locator, name):
        "Download the Binary field name of form through its save button"
        widget = form.locator(f'input[name="{name}"]').first.locator(
            'xpath=ancestor::div[contains(@class, "form-binary")]')
        # "Save As..." is the first button of the widget's toolbar
        button = widget.locator('.input-group-btn').last.locator(
            'button').first
        return self.download(lambda: button.click())
