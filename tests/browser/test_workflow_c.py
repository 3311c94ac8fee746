# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Workflow c: an institution operator imports projects from a file.

The template downloads before any file is chosen; "check only" lists every
error, by row and column, and writes nothing; the operator then imports the
valid rows, which are submitted, and downloads the rejected rows with their
reasons as an .xlsx workbook whose sheet has a translated name.
"""
import datetime
import os
import re

import demo_data
from openpyxl import load_workbook
from playwright.sync_api import expect
from sao_workflow import Workflow

TODAY = datetime.date.today()
END = TODAY + datetime.timedelta(days=365)
BANK = demo_data.BANKS[0]
SUBMITTED = 1  # the tab of the submitted projects in the list


def rows():
    "The rows of the file: two valid, three wrong (four errors)"
    uscc = demo_data.make_uscc
    return [
        # 2, 3: valid, new borrowers
        [None, '合肥导入示范甲科技有限公司', '企业', uscc('340100', 931),
            'C3421', None, BANK, 'WF-C-0001', 300_000, 200_000,
            TODAY, END, None],
        [None, '合肥导入示范乙科技有限公司', '企业', uscc('340100', 932),
            'C3421', None, BANK, 'WF-C-0002', 200_000, 100_000,
            TODAY, END, None],
        # 4: a wrong check character of the ID number
        [None, '合肥导入示范丙科技有限公司', '企业', '913401000000000010',
            'C3421', None, BANK, 'WF-C-0003', 1_000_000, 800_000,
            TODAY, END, None],
        # 5: the guarantee above the loan
        [None, '合肥导入示范丁科技有限公司', '企业', uscc('340100', 934),
            'C3421', None, BANK, 'WF-C-0004', 500_000, 800_000,
            TODAY, END, None],
        # 6: a wrong borrower kind and a wrong date
        [None, '合肥导入示范戊科技有限公司', '公司', uscc('340100', 935),
            'C3421', None, BANK, 'WF-C-0005', 500_000, 400_000,
            'not a date', END, None],
        ]


def test_operator_imports_projects(sao, tryton_server, tmp_path):
    user = Workflow(sao, tryton_server)
    user.login_as('operator')
    user.open_wizard('reguarantee_base.menu_project_import')

    # the template, before any file is chosen
    template = user.download(lambda: user.click_wizard('template'))
    assert template.suggested_filename.endswith('.xlsx')
    path = tmp_path / 'template.xlsx'
    template.save_as(path)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert len(headers) == 13, headers
    # still on the first step, for the import
    expect(user.wizard_button('check')).to_be_visible()

    # the operator fills it in
    for row in rows():
        sheet.append(row)
    upload = tmp_path / 'projects.xlsx'
    workbook.save(upload)
    user.wizard_file('file', upload)
    user.snapshot('import-file-chosen')

    # "check only": every error, nothing written
    user.click_wizard('check')
    expect(user.wizard_field('valid')).to_have_value('2')
    expect(user.wizard_field('rejected')).to_have_value('3')
    expect(user.wizard_field('error_count')).to_have_value('4')
    errors = user.wizard_rows('errors')
    expect(errors).to_have_count(4)
    for index, row in enumerate([4, 5, 6, 6]):
        expect(errors.nth(index).locator('td').filter(
                has_text=re.compile(r'^\s*%d\s*$' % row))).to_have_count(1)
    expect(user.wizard_text('summary')).not_to_have_value('')
    user.snapshot('import-checked')

    # then imports the valid rows
    user.click_wizard('import_valid')
    expect(user.wizard_field('imported')).to_have_value('2')
    expect(user.wizard_field('rejected')).to_have_value('3')
    summary = user.wizard_text('summary').input_value()
    assert '2' in summary.splitlines()[0], summary
    user.snapshot('import-result')

    # the rejected rows download as .xlsx, its sheet named in the language
    rejected = user.save_as(user.wizard_form, 'rejected_file')
    assert rejected.suggested_filename.endswith('.xlsx')
    rejected_path = tmp_path / 'rejected.xlsx'
    rejected.save_as(rejected_path)
    rejected_book = load_workbook(rejected_path)
    rejected_sheet = rejected_book.worksheets[0]
    assert rejected_sheet.title not in {'Sheet', 'Sheet1'}
    if os.environ.get('BROWSER_TEST_LANG', 'en') == 'en':
        assert rejected_sheet.title == 'Rejected Rows'
    assert [r[0].value for r in rejected_sheet.iter_rows(min_row=2)] == [
        4, 5, 6]
    user.click_wizard('end')

    # the imported projects are submitted; the rejected ones were not written
    user.open('reguarantee_base.menu_project')
    user.select_domain(SUBMITTED)
    search = user.tab.locator('.filter-box input.form-control').first
    search.fill('WF-C-')
    search.press('Enter')
    user.wait_idle()
    expect(user.rows()).to_have_count(2)
    for number in ['WF-C-0001', 'WF-C-0002']:
        expect(user.rows().filter(has_text=number)).to_have_count(1)
    user.select_domain(user.tab.locator('.tab-domain li').count() - 1)
    expect(user.rows()).to_have_count(2)
    user.snapshot('import-projects-submitted')
