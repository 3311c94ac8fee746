# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The batches of small-micro guarantees of a partner bank

The batch of the tests: an approved limit of 1,000,000.00; rows of
500,000 + 300,000 + 150,000 = 950,000.00 fit (50,000.00 remaining); one more
row of 100,000 would make 1,050,000.00 and is refused naming the amounts.

The bank's files: with 600,000.00 used of the 1,000,000.00 limit (400,000.00
remaining), a file of 3 loans of 150,000 (450,000.00) would make
1,050,000.00 and is refused whole; a file of 3 loans of 100,000 + 120,000 +
80,000 = 300,000.00 is imported (100,000.00 remaining), the loan of
2026-03-15 maturing on 2027-03-14 for 12 months."""
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.project_import_file import SheetReader
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc)
from trytond.modules.reguarantee_direct.batch_import import (
    COLUMNS, BatchImport, BatchImportTemplate)
from trytond.modules.reguarantee_direct.exceptions import BatchError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access


class DirectBatchTestCase(ModulesTestCase):
    "Test the batches of direct guarantees"
    modules = ['reguarantee_direct']

    def create_batch(self, company):
        pool = Pool()
        Product = pool.get('reguarantee.direct.product')
        Batch = pool.get('reguarantee.direct.batch')
        Party = pool.get('party.party')
        product = Product(
            code='SM1', name="Small-micro batch",
            fee_rate=Decimal('0.01'), fee_schedule='upfront',
            max_amount=Decimal('500000'), max_term_months=36,
            kinds=['financing'], borrower_kinds=['enterprise'],
            min_coverage=Decimal('0'))
        product.save()
        bank, = Party.create([{'name': "Partner Bank"}])
        batch, = Batch.create([{
                    'bank': bank.id, 'product': product.id,
                    'limit': Decimal('1000000'),
                    'start_date': dt.date(2026, 1, 1),
                    'end_date': dt.date(2026, 12, 31),
                    }])
        return batch

    def rows(self, amounts, first=1):
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        vlist = []
        for i, amount in enumerate(amounts, first):
            borrower, = Borrower.create([{
                        'name': f"Enterprise {i}", 'kind': 'enterprise',
                        'id_number': make_uscc(i),
                        }])
            vlist.append({
                    'applicant': borrower.id,
                    'amount': Decimal(amount),
                    'term_months': 12,
                    'purpose': "Working capital",
                    'loan_number': f'L{i:03d}',
                    'loan_date': dt.date(2026, 3, 1),
                    'loan_amount': Decimal(amount),
                    'start_date': dt.date(2026, 3, 1),
                    'end_date': dt.date(2027, 3, 1),
                    })
        return vlist

    @with_transaction()
    def test_limit(self):
        "The guarantees of a batch stay within its approved limit"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            self.assertEqual(batch.number[:2], 'DB')

            with self.assertRaisesRegex(BatchError, 'approved batch'):
                Application.create_in_batch(
                    batch, self.rows(['100'], first=10))
            Batch.approve([batch])
            applications = Application.create_in_batch(
                batch, self.rows(['500000', '300000', '150000']))
            self.assertEqual(
                {a.state for a in applications}, {'in_force'})
            self.assertEqual({a.bank for a in applications}, {batch.bank})
            batch = Batch(batch.id)
            self.assertEqual(batch.used_amount, Decimal('950000.00'))
            self.assertEqual(batch.remaining_limit, Decimal('50000.00'))

            with self.assertRaises(BatchError) as cm:
                Application.create_in_batch(
                    batch, self.rows(['100000'], first=4))
            message = cm.exception.message
            for amount in [
                    '1,000,000.00', '950,000.00', '100,000.00',
                    '1,050,000.00']:
                self.assertIn(amount, message)
            self.assertEqual(
                Batch(batch.id).used_amount, Decimal('950000.00'))

    def loan_file(self, loans, header=None):
        "Return the .xlsx file of the loans: (serial, loan number, amount)"
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header or [
                '借款人名称', '借款人类型', '证件号码', '借款合同编号', '贷款金额',
                '放款日期', '到期日期', '借款用途'])
        for serial, loan_number, amount in loans:
            sheet.append([
                    f"Enterprise {serial}", '企业', make_uscc(serial),
                    loan_number, amount, dt.date(2026, 3, 15),
                    dt.date(2027, 3, 14), "Working capital"])
        content = io.BytesIO()
        workbook.save(content)
        return content.getvalue()

    def counts(self):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        return (
            Application.search([], count=True),
            Borrower.search([], count=True))

    @with_transaction()
    def test_import_over_limit(self):
        "A file over the remaining limit is refused whole"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            Batch.approve([batch])
            Application.create_in_batch(
                batch, self.rows(['300000', '300000']))
            batch = Batch(batch.id)
            self.assertEqual(batch.remaining_limit, Decimal('400000.00'))
            before = self.counts()

            result = BatchImport.import_file(
                batch, self.loan_file([
                        (101, 'B001', 150000), (102, 'B002', 150000),
                        (103, 'B003', 150000)]),
                'loans.xlsx')

            self.assertEqual(result.guarantees, [])
            self.assertEqual(result.errors, {})
            self.assertEqual(result.amount, Decimal('450000.00'))
            for amount in [
                    '1,000,000.00', '600,000.00', '450,000.00',
                    '1,050,000.00']:
                self.assertIn(amount, result.limit_error)
            self.assertIn(
                result.limit_error, BatchImport.get_summary(result))
            self.assertEqual(self.counts(), before)
            self.assertEqual(
                Batch(batch.id).used_amount, Decimal('600000.00'))

    @with_transaction()
    def test_import(self):
        "A valid file creates the guarantees in force of its loans"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Batch = pool.get('reguarantee.direct.batch')
        Borrower = pool.get('reguarantee.borrower')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            with self.assertRaisesRegex(BatchError, 'approved batch'):
                BatchImport.import_file(
                    batch, self.loan_file([(201, 'C001', 100000)]),
                    'loans.xlsx')
            Batch.approve([batch])
            # a borrower known already is found by its ID number
            known, = Borrower.create([{
                        'name': "Known Enterprise", 'kind': 'enterprise',
                        'id_number': make_uscc(201),
                        }])
            data = self.loan_file([
                    (201, 'C001', 100000), (202, 'C002', '120,000.00'),
                    (203, 'C003', 80000)])

            checked = BatchImport.import_file(
                batch, data, 'loans.xlsx', check=True)
            self.assertEqual((checked.read, checked.valid), (3, 3))
            self.assertEqual(checked.guarantees, [])
            self.assertEqual(Batch(batch.id).used_amount, Decimal('0.00'))

            result = BatchImport.import_file(batch, data, 'loans.xlsx')

            self.assertEqual(result.errors, {})
            applications = Application.search(
                [('batch', '=', batch.id)], order=[('loan_number', 'ASC')])
            self.assertEqual(
                [a.loan_number for a in applications],
                ['C001', 'C002', 'C003'])
            self.assertEqual(
                [a.amount for a in applications],
                [Decimal('100000.00'), Decimal('120000.00'),
                    Decimal('80000.00')])
            self.assertEqual(
                {a.state for a in applications}, {'in_force'})
            self.assertEqual(applications[0].applicant, known)
            self.assertEqual(
                applications[1].applicant.id_number, make_uscc(202))
            first = applications[0]
            self.assertEqual(first.bank, batch.bank)
            self.assertEqual(first.product, batch.product)
            self.assertEqual(first.loan_amount, Decimal('100000.00'))
            self.assertEqual(first.loan_date, dt.date(2026, 3, 15))
            self.assertEqual(
                (first.start_date, first.end_date),
                (dt.date(2026, 3, 15), dt.date(2027, 3, 14)))
            self.assertEqual(first.term_months, 12)
            self.assertTrue(first.number)
            batch = Batch(batch.id)
            self.assertEqual(batch.used_amount, Decimal('300000.00'))
            self.assertEqual(batch.remaining_limit, Decimal('700000.00'))
            self.assertIn('3', BatchImport.get_summary(result))

    @with_transaction()
    def test_import_duplicate_loan(self):
        "A loan of the bank guaranteed already is refused with its row"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            Batch.approve([batch])
            existing, = Application.create_in_batch(
                batch, self.rows(['100000']))
            self.assertEqual(existing.loan_number, 'L001')
            # whatever creates the guarantees of a batch
            vlist = self.rows(['1000'], first=7)
            vlist[0]['loan_number'] = 'L001'
            with self.assertRaisesRegex(BatchError, existing.number):
                Application.create_in_batch(batch, vlist)
            before = self.counts()

            result = BatchImport.import_file(
                batch, self.loan_file([
                        (301, 'D001', 100000), (302, 'L001', 50000),
                        (303, 'D001', 70000)]),
                'loans.xlsx')

            self.assertEqual(result.guarantees, [])
            self.assertEqual(result.rejected, [3, 4])
            lines = list(result.error_lines())
            self.assertEqual(lines[0][:2], (3, '借款合同编号'))
            self.assertIn('L001', lines[0][2])
            self.assertIn(existing.number, lines[0][2])
            # the same loan twice in the file names its first row
            self.assertEqual(lines[1][:2], (4, '借款合同编号'))
            self.assertIn('2', lines[1][2])
            self.assertTrue(result.rejected_file())
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_import_bad_rows(self):
        "Rows with errors are listed by row and column, nothing imported"
        pool = Pool()
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            Batch.approve([batch])
            before = self.counts()
            workbook = Workbook()
            sheet = workbook.active
            sheet.append([
                    'Borrower Name', 'Borrower Kind', 'ID Number',
                    'Loan Number', 'Loan Amount', 'Guarantee Amount',
                    'Loan Date', 'Maturity Date'])
            sheet.append([
                    "Good", 'enterprise', make_uscc(401), 'E001', 1000,
                    None, '2026-04-01', '2027-04-01'])
            sheet.append([
                    "Bad ID", 'enterprise', '123', 'E002', 1000,
                    None, '2026-04-01', '2027-04-01'])
            sheet.append([
                    "Above", 'enterprise', make_uscc(403), 'E003', 1000,
                    2000, '2026-04-01', '2027-04-01'])
            sheet.append([
                    "Dates", 'enterprise', make_uscc(404), 'E004', 'x',
                    None, '2025-04-01', '2025-03-01'])
            content = io.BytesIO()
            workbook.save(content)

            result = BatchImport.import_file(
                batch, content.getvalue(), 'loans.xlsx')

            self.assertEqual(result.rejected, [3, 4, 5])
            self.assertEqual(
                [(r, c) for r, c, _ in result.error_lines()], [
                    (3, 'ID Number'), (4, 'Guarantee Amount'),
                    (5, 'Loan Amount')])
            self.assertEqual(self.counts(), before)

    @with_transaction()
    def test_import_bad_file(self):
        "A file of another type is refused"
        pool = Pool()
        Batch = pool.get('reguarantee.direct.batch')
        company = create_company()
        with set_company(company):
            batch = self.create_batch(company)
            Batch.approve([batch])
            with self.assertRaisesRegex(BatchError, 'loans.pdf'):
                BatchImport.import_file(
                    batch, self.loan_file([(501, 'F001', 1000)]),
                    'loans.pdf')
            with self.assertRaisesRegex(BatchError, 'Maturity Date'):
                BatchImport.import_file(
                    batch, self.loan_file([(501, 'F001', 1000)], header=[
                            '借款人名称', '借款人类型', '证件号码', '借款合同编号',
                            '贷款金额', '放款日期']),
                    'loans.xlsx')

    @with_transaction()
    def test_template(self):
        "The template is read back with the columns of a loan file"
        company = create_company()
        with set_company(company):
            _, data, _, _ = BatchImportTemplate.execute([], {})
            reader = SheetReader(data, 'template.xlsx', COLUMNS)
            self.assertEqual(list(reader), [])
            self.assertEqual(list(reader.headers), [c.name for c in COLUMNS])

    @with_transaction()
    def test_import_access(self):
        """The business department imports the loans of the batches of its
        company; the risk department may not"""
        pool = Pool()
        Batch = pool.get('reguarantee.direct.batch')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        company = create_company()
        other = create_company(name="Other Company")
        with set_company(company):
            batch = self.create_batch(company)
            Batch.approve([batch])
        users = {}
        for group in ['business', 'risk']:
            users[group], = User.create([{
                        'login': f'batch_{group}', 'name': group,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'reguarantee_base',
                                        f'group_{group}')])],
                        }])
        with Transaction().set_user(users['business'].id), \
                Transaction().set_context(company=company.id), \
                check_access():
            # the id of the action of the wizard
            self.assertTrue(Batch.import_loans([Batch(batch.id)]))
        with Transaction().set_user(users['risk'].id), \
                Transaction().set_context(company=company.id), \
                check_access():
            with self.assertRaises(UserError):
                Batch.import_loans([Batch(batch.id)])
        # the record rule: a user of another company does not see it
        User.write([users['business']], {
                'companies': [('remove', [company.id]), ('add', [other.id])],
                'company': other.id})
        with Transaction().set_user(users['business'].id), \
                Transaction().set_context(company=other.id), \
                check_access():
            self.assertEqual(Batch.search([('id', '=', batch.id)]), [])
