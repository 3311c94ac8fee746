# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Issue 15.4: the business department imports a partner bank's file of
loans into the demo's approved batch.

The batch holds the dozen loans of the demo's file.  The user downloads
the template from the Import Loans wizard and fills in three loans, the
third one a loan of the demo's file: the check lists that row under the
loan number column and the import writes nothing (all or nothing).  Back
to the first step, the corrected file (two loans) is checked, then
imported from the check's result: the batch shows its two new guarantees
in force and its used amount grows by their 500,000.00.
"""
import datetime
import re

import demo_data
import demo_direct
from openpyxl import load_workbook
from playwright.sync_api import expect
from sao_workflow import Workflow

TODAY = datetime.date.today()
BANK = demo_data.BANKS[demo_direct.BATCH[0]]
DEMO_LOANS = len(demo_direct.BATCH_LOANS)
DEMO_AMOUNT = sum(loan[4] for loan in demo_direct.BATCH_LOANS)
#: The loans of the test: name, identity serial, loan number suffix, amount
LOANS = [
    ('合肥浏览器测试甲贸易有限公司', 951, 'WB-001', 300_000),
    ('合肥浏览器测试乙贸易有限公司', 952, 'WB-002', 200_000),
    ]


def loan_file(template, path, number, duplicate):
    "Fill the template with the loans, and the demo's first one if duplicate"
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert len(headers) == 11, headers
    rows = [
        (name, serial, f'{number}-{suffix}', amount)
        for name, serial, suffix, amount in LOANS]
    if duplicate:
        rows.append(("合肥浏览器测试丙贸易有限公司", 953, f'HSB-XW-{number}-001',
                100_000))
    for name, serial, loan_number, amount in rows:
        sheet.append([
                name, '企业', demo_data.make_uscc('340100', serial),
                'F5123', '340100', loan_number, amount, None,
                TODAY - datetime.timedelta(days=5),
                TODAY + datetime.timedelta(days=360), "经营周转"])
    workbook.save(path)
    return path


def test_direct_batch_import(sao, tryton_server, tmp_path):
    user = Workflow(sao, tryton_server)
    user.login_as('business')
    user.open('reguarantee_direct.menu_batch_form')
    user.find_record(BANK)
    user.expect_selection('state', 'approved')
    number = user.value('number')
    assert number
    expect(user.field_rows('guarantees')).to_have_count(DEMO_LOANS)
    user.expect_digits('used_amount', f'{DEMO_AMOUNT * 100:.0f}')
    user.snapshot('batch-demo')

    user.click_button('import_loans')
    template = user.download(lambda: user.click_wizard('template'))
    assert template.suggested_filename.endswith('.xlsx')
    template_path = tmp_path / 'template.xlsx'
    template.save_as(template_path)

    # a file with a loan of the bank guaranteed already: nothing imported
    user.wizard_file('file', loan_file(
            template_path, tmp_path / 'loans-duplicate.xlsx', number, True))
    user.click_wizard('import_')
    expect(user.wizard_field('imported')).to_have_value('0')
    expect(user.wizard_field('rejected')).to_have_value('1')
    errors = user.wizard_rows('errors')
    expect(errors).to_have_count(1)
    expect(errors.first.locator('td').filter(
            has_text=re.compile(r'^\s*4\s*$'))).to_have_count(1)
    expect(errors.first).to_contain_text(f'HSB-XW-{number}-001')
    user.snapshot('batch-import-refused')

    # the corrected file, checked then imported
    user.click_wizard('start')
    user.wizard_file('file', loan_file(
            template_path, tmp_path / 'loans.xlsx', number, False))
    user.click_wizard('check')
    expect(user.wizard_field('rejected')).to_have_value('0')
    expect(user.wizard_field('imported')).to_have_value('0')
    user.snapshot('batch-import-checked')
    user.click_wizard('import_')
    expect(user.wizard_field('imported')).to_have_value(str(len(LOANS)))
    summary = user.wizard_text('summary').input_value()
    assert str(len(LOANS)) in summary.splitlines()[0], summary
    user.snapshot('batch-import-result')
    user.click_wizard('end')

    user.reload()
    expect(user.field_rows('guarantees')).to_have_count(
        DEMO_LOANS + len(LOANS))
    for _, _, suffix, _ in LOANS:
        expect(user.field_rows('guarantees').filter(
                has_text=f'{number}-{suffix}')).to_have_count(1)
    user.expect_digits(
        'used_amount',
        f'{(DEMO_AMOUNT + sum(loan[3] for loan in LOANS)) * 100:.0f}')
    user.snapshot('batch-imported')
