# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The credit-bureau records and the look-ups of the direct guarantees
(reguarantee_direct activated), with records worked out by hand

Direct guarantees of the company (product D1), the month being this month:

- a1: B1 (enterprise) financing guarantee of 500,000, loan 400,000, in
  force from the 1st of the month: one opening record, business type
  financing (01), amount 500,000, balance 400,000 (the loan), in force;
  its classification changed to special mention (approved today): one
  classification record, special mention (2), which is also the
  classification of the opening record (the account's when the report is
  generated, as for the projects);
- a2: B2 performance letter of 300,000, in force since last month, released
  today: one closure record, non-financing (02), balance 0, closed, closing
  date today;
- a3: B1 financing in force since last month, nothing this month: none.

The company is the guarantor of the three records.

Then (test_compensation_records) a3's borrower defaults with a principal of
150,000 and an interest of 3,000: the company pays the bank 153,000 today
(one compensation record, compensated, balance 0, compensation 153,000),
recovers 53,000 today (one balance record, recovered 53,000), then the last
100,000 and closes the guarantee (one closure record, closed, recovered
153,000: the balance record is generated again with the month's last
recovery).
"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc, set_secret)
from trytond.modules.reguarantee_credit import bureau_format
from trytond.modules.reguarantee_credit.tests.tools import create_provider
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

TODAY = dt.date.today()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - dt.timedelta(days=1)).replace(day=1)


class CreditDirectTestCase(ModulesTestCase):
    "Test the credit-bureau records and look-ups of direct guarantees"
    modules = ['reguarantee_credit', 'reguarantee_direct']

    def _applications(self, company):
        "Create the direct guarantees of the module docstring"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Change = pool.get('reguarantee.classification.change')
        Party = pool.get('party.party')
        Product = pool.get('reguarantee.direct.product')
        product, = Product.create([{
                    'company': company.id, 'code': 'D1', 'name': "Direct",
                    'fee_rate': Decimal('0.015'),
                    'liability_class': 'small_micro',
                    }])
        b1, b2 = Borrower.create([{
                    'name': name, 'kind': 'enterprise',
                    'id_number': make_uscc(serial, '91340500'),
                    } for name, serial in [("B1", 601), ("B2", 602)]])
        bank, buyer = Party.create([{'name': "Bank"}, {'name': "Buyer"}])
        a1, a2, a3 = Application.create([{
                    'company': company.id,
                    'applicant': applicant.id,
                    'kind': kind,
                    'bank': bank.id if kind == 'financing' else None,
                    'beneficiary': buyer.id if kind != 'financing' else None,
                    'product': product.id,
                    'amount': Decimal(amount),
                    'loan_amount': Decimal(loan) if loan else None,
                    'term_months': 12,
                    'purpose': "Working capital",
                    'start_date': start,
                    'end_date': start + dt.timedelta(days=365),
                    'release_date': release_date,
                    'state': state,
                    } for applicant, kind, amount, loan, start, state,
                release_date in [
                    (b1, 'financing', 500_000, 400_000, MONTH, 'in_force',
                        None),
                    (b2, 'performance', 300_000, None, LAST_MONTH,
                        'released', TODAY),
                    (b1, 'financing', 200_000, 200_000, LAST_MONTH,
                        'in_force', None),
                    ]])
        change, = Change.create([{
                    'application': a1.id,
                    'date': TODAY,
                    'to_level': 'special_mention',
                    'reason': "Late interest",
                    }])
        Change.approve([change])
        Change.write([change], {'approval_date': TODAY})
        return a1, a2, a3

    @with_transaction()
    def test_records(self):
        "Test the month's records of the direct guarantees and their file"
        pool = Pool()
        Bureau = pool.get('reguarantee.credit.bureau')
        File = pool.get('reguarantee.credit.report.file')
        Identifier = pool.get('party.identifier')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            uscc = make_uscc(77, '91340100')
            Identifier.create([{
                        'party': company.party.id, 'type': 'cn_vat',
                        'code': uscc}])
            a1, a2, a3 = self._applications(company)
            report, = Report.create([{
                        'company': company.id, 'month': MONTH}])
            Report.generate([report])

            records = {(r.origin, r.kind): r for r in report.records}
            self.assertEqual(sorted(records, key=lambda k: (k[0].id, k[1])), [
                    (a1, 'classification'), (a1, 'open'), (a2, 'closure')])
            opening = records[a1, 'open']
            self.assertEqual(
                (opening.account_number, opening.event_date,
                    opening.business_type, opening.open_date,
                    opening.due_date, opening.amount, opening.balance,
                    opening.status, opening.classification,
                    opening.borrower_id_type, opening.borrower_id_number,
                    opening.borrower_name, opening.guarantor_uscc,
                    opening.guarantor_name, opening.creditor_name,
                    opening.closing_date),
                (a1.number, MONTH, 'financing', MONTH,
                    MONTH + dt.timedelta(days=365), Decimal(500_000),
                    Decimal(400_000), 'in_force', 'special_mention', 'uscc',
                    make_uscc(601, '91340500'), "B1", uscc,
                    company.party.name, "Bank", None))
            classification = records[a1, 'classification']
            self.assertEqual(
                (classification.event_date, classification.classification,
                    classification.balance),
                (TODAY, 'special_mention', Decimal(400_000)))
            closure = records[a2, 'closure']
            self.assertEqual(
                (closure.event_date, closure.business_type, closure.amount,
                    closure.balance, closure.status, closure.closing_date,
                    closure.creditor_name),
                (TODAY, 'non_financing', Decimal(300_000), Decimal(0),
                    'closed', TODAY, "Buyer"))

            # the records pass the bureau's rules and make a valid file
            set_secret('credit_bureau_token', 't')
            Bureau.create([{
                        'company': company.id, 'name': "Bureau",
                        'url': 'http://127.0.0.1:9/',
                        'provider_code': 'A1234567890123'}])
            Report.validate_report([report])
            self.assertEqual(report.state, 'validated')
            file = File.create_file(report, report.records, 'original')
            lines = [ln for ln in file.data.split(bureau_format.NEWLINE)
                if ln]
            self.assertEqual(len(lines), 4)
            self.assertEqual(
                {len(ln) for ln in lines[1:]}, {bureau_format.RECORD_WIDTH})
            header, values = bureau_format.read_file(file.data)
            self.assertEqual(header['record_count'], 3)
            by_kind = {v['kind_code']: v for v in values}
            self.assertEqual(sorted(by_kind), ['10', '40', '50'])
            self.assertEqual(
                (by_kind['10']['account_number'],
                    by_kind['10']['business_type'], by_kind['10']['amount'],
                    by_kind['10']['balance'], by_kind['10']['guarantor_uscc']),
                (a1.number, '01', Decimal(500_000), Decimal(400_000), uscc))
            self.assertEqual(
                (by_kind['50']['business_type'],
                    by_kind['50']['status_code'],
                    by_kind['50']['closing_date']),
                ('02', bureau_format.STATUS_CODES['closed'], TODAY))
            for record in values:
                self.assertEqual(
                    bureau_format.check_record(record, MONTH), [])

    @with_transaction()
    def test_compensation_records(self):
        "Test the records of a compensated, recovered and closed guarantee"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Bureau = pool.get('reguarantee.credit.bureau')
        Compensation = pool.get('reguarantee.compensation')
        Identifier = pool.get('party.identifier')
        Recovery = pool.get('reguarantee.recovery')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            Identifier.create([{
                        'party': company.party.id, 'type': 'cn_vat',
                        'code': make_uscc(77, '91340100')}])
            _, _, a3 = self._applications(company)
            compensation = Compensation(
                origin=a3, principal=Decimal(150_000),
                interest=Decimal(3_000), default_date=LAST_MONTH)
            compensation.save()
            Compensation.submit([compensation])
            Compensation.approve([compensation])
            Compensation.pay([compensation])
            self.assertEqual(compensation.claim_amount, Decimal(153_000))
            recovery = Recovery(
                compensation=compensation, date=TODAY,
                amount=Decimal(53_000))
            recovery.save()
            Recovery.confirm([recovery])

            report, = Report.create([{
                        'company': company.id, 'month': MONTH}])
            Report.generate([report])
            records = {
                r.kind: r for r in report.records if r.origin == a3}
            self.assertEqual(sorted(records), ['balance', 'compensation'])
            paid = records['compensation']
            self.assertEqual(
                (paid.event_date, paid.status, paid.balance,
                    paid.compensation_amount, paid.compensation_date,
                    paid.recovered_amount, paid.closing_date),
                (TODAY, 'compensated', Decimal(0), Decimal(153_000), TODAY,
                    Decimal(53_000), None))
            balance = records['balance']
            self.assertEqual(
                (balance.event_date, balance.status,
                    balance.recovered_amount),
                (TODAY, 'compensated', Decimal(53_000)))

            recovery = Recovery(
                compensation=compensation, date=TODAY,
                amount=Decimal(100_000))
            recovery.save()
            Recovery.confirm([recovery])
            Application.close([Application(a3.id)])
            Report.generate([report])
            records = {
                r.kind: r for r in report.records if r.origin == a3}
            self.assertEqual(
                sorted(records), ['balance', 'closure', 'compensation'])
            closure = records['closure']
            self.assertEqual(
                (closure.event_date, closure.status, closure.balance,
                    closure.recovered_amount, closure.closing_date),
                (TODAY, 'closed', Decimal(0), Decimal(153_000), TODAY))

            # the records pass the bureau's rules
            set_secret('credit_bureau_token', 't')
            Bureau.create([{
                        'company': company.id, 'name': "Bureau",
                        'url': 'http://127.0.0.1:9/',
                        'provider_code': 'A1234567890123'}])
            Report.validate_report([report])
            self.assertEqual(report.state, 'validated')

    @with_transaction()
    def test_update_from_origin(self):
        "Test a rejected record of a direct guarantee computed again"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Record = pool.get('reguarantee.credit.report.record')
        Report = pool.get('reguarantee.credit.report')
        company = create_company()
        with set_company(company):
            a1, _, _ = self._applications(company)
            report, = Report.create([{
                        'company': company.id, 'month': MONTH}])
            Report.generate([report])
            opening, = [r for r in report.records
                if r.origin == a1 and r.kind == 'open']
            Record.write([opening], {'state': 'rejected'})
            Borrower.write([a1.applicant], {'name': "B1 Registered"})
            Record.update_from_origin([opening])
            self.assertEqual(
                (opening.borrower_name, opening.corrected, opening.kind),
                ("B1 Registered", True, 'open'))

    @with_transaction()
    def test_look_up_applicant(self):
        """Test a direct application sent to investigation asks a look-up
        of its applicant, fresh for the provider's direct refresh days"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Request = pool.get('reguarantee.credit.request')
        company = create_company()
        with set_company(company):
            a1, a2, _ = self._applications(company)
            # no provider: nothing asked, the business goes on
            Application.credit_look_up_applicants([a1])
            self.assertEqual(Request.search([]), [])

            create_provider(
                company, 'http://127.0.0.1:9/', 't', refresh_direct=30)
            Application.credit_look_up_applicants([a1, a2])
            requests = Request.search([])
            self.assertEqual(
                sorted((str(r.subject), r.business) for r in requests),
                sorted([(str(a1.applicant), 'direct'),
                        (str(a2.applicant), 'direct')]))
            # the pending request is reused, not doubled
            Application.credit_look_up_applicants([a1])
            self.assertEqual(len(Request.search([])), 2)

            # sent to investigation: the applicant is looked up
            Request.delete(Request.search([]))
            draft, = Application.copy([a1])
            Application.investigate([draft])
            request, = Request.search([])
            self.assertEqual(
                (str(request.subject), request.business),
                (str(a1.applicant), 'direct'))
