# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond.model.exceptions import ValidationError
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests import set_invoice_sequences
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_direct.exceptions import (
    ApplicationError, CounterGuaranteeError, CounterGuaranteeModificationError,
    DirectDepositError, DirectFeeError, EligibilityError)
from trytond.modules.reguarantee_review.exceptions import ReviewRequiredError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, check_access

# The product of the tests (create_product): 1.5 % a year, up to 5,000,000
# and 36 months, financing and performance guarantees of enterprises;
# approval level 2 above 3,000,000, level 3 above 4,000,000; the
# counter-guarantees must secure half of the amount.
#
# The application of the tests (create_application): 2,000,000 for 18
# months, with
# - a mortgage appraised 2,000,000 at 70 %: 1,400,000.00 secured;
# - a pledge appraised 333,333.33 at 60 %: 199,999.998 → 200,000.00;
# - a personal guarantee: nothing secured;
# so 1,600,000.00 secured, a coverage of 1,600,000 / 2,000,000 = 0.8;
# the fee of the term: 2,000,000 × 1.5 % × 18 / 12 = 45,000.00.


class ReguaranteeDirectTestCase(
        WorkflowGuardTestMixin, ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Direct module"
    module = 'reguarantee_direct'

    def create_product(self, **values):
        pool = Pool()
        Product = pool.get('reguarantee.direct.product')
        product = Product(
            code='ZB1', name="Small business loans",
            fee_rate=Decimal('0.015'), fee_schedule='upfront',
            max_amount=Decimal('5000000'), max_term_months=36,
            kinds=['financing', 'performance'],
            borrower_kinds=['enterprise'],
            min_coverage=Decimal('0.5'),
            approval_level2_amount=Decimal('3000000'),
            approval_level3_amount=Decimal('4000000'))
        for name, value in values.items():
            setattr(product, name, value)
        product.save()
        return product

    def create_application(self, product, kind='financing', **values):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Party = pool.get('party.party')
        borrower = Borrower(
            name="Hefei Precision", kind='enterprise',
            id_number=make_uscc(7))
        borrower.save()
        party = Party(name="Bank")
        party.save()
        application = Application(
            applicant=borrower, kind=kind, product=product,
            amount=Decimal('2000000'), term_months=18,
            purpose="Working capital",
            counter_guarantees=[{
                    'kind': 'mortgage', 'owner': "Zhang San",
                    'appraised_value': Decimal('2000000'),
                    'pledge_rate': Decimal('0.7'),
                    }, {
                    'kind': 'pledge', 'owner': "Hefei Precision",
                    'appraised_value': Decimal('333333.33'),
                    'pledge_rate': Decimal('0.6'),
                    }, {
                    'kind': 'personal', 'owner': "Zhang San",
                    }])
        if kind == 'financing':
            application.bank = party
        else:
            application.beneficiary = party
        for name, value in values.items():
            setattr(application, name, value)
        application.save()
        return application

    def fill_due_diligence(self, application):
        application.dd_operations = "Machining for the car industry."
        application.dd_finances = "Revenue 30 million, debt ratio 45 %."
        application.dd_repayment_source = "Operating cash flow."
        application.dd_conclusion = 'recommended'
        application.save()

    def create_meeting(self, company, voting=3):
        "Create a draft meeting of new users, the first chairs it"
        pool = Pool()
        User = pool.get('res.user')
        Meeting = pool.get('reguarantee.review.meeting')
        Rule = pool.get('reguarantee.review.rule')
        ModelData = pool.get('ir.model.data')
        group = ModelData.get_id('reguarantee_review', 'group_review_member')
        users = User.create([{
                    'login': f'member{i}', 'name': f'Member {i}',
                    'groups': [('add', [group])],
                    } for i in range(voting)])
        rule, = Rule.search([], limit=1)
        meeting, = Meeting.create([{
                    'company': company.id,
                    'name': "Meeting",
                    'date': dt.date.today() + dt.timedelta(days=7),
                    'chair': users[0].id,
                    'rule': rule.id,
                    'members': [('create', [
                                {'user': u.id, 'voting': True}
                                for u in users])],
                    }])
        return meeting

    def decide(self, meeting, votes):
        "Convene the meeting, cast the votes on its first item and close it"
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        Vote = pool.get('reguarantee.review.vote')
        item = meeting.items[0]
        Meeting.convene([meeting])
        Vote.create([
                {'item': item.id, 'member': m.id, 'vote': v}
                for m, v in zip(meeting.members, votes)])
        Meeting.close([meeting])
        return item

    @with_transaction()
    def test_secured_value(self):
        "Test the secured values of the counter-guarantees and the coverage"
        company = create_company()
        with set_company(company):
            application = self.create_application(self.create_product())
            mortgage, pledge, personal = application.counter_guarantees
            self.assertEqual(mortgage.secured_value, Decimal('1400000.00'))
            self.assertEqual(pledge.secured_value, Decimal('200000.00'))
            self.assertEqual(personal.secured_value, Decimal('0'))
            self.assertEqual(
                application.secured_value, Decimal('1600000.00'))
            self.assertEqual(application.coverage, Decimal('0.8'))

    @with_transaction()
    def test_fee_amount(self):
        "Test the fee of the term: amount × rate × months ÷ 12"
        company = create_company()
        with set_company(company):
            application = self.create_application(self.create_product())
            self.assertEqual(application.fee_amount, Decimal('45000.00'))
            # 1,234,567 × 1.5 % × 7 / 12 = 10,802.46125 → 10,802.46
            application.amount = Decimal('1234567')
            application.term_months = 7
            self.assertEqual(
                application.on_change_with_fee_amount(),
                Decimal('10802.46'))

    @with_transaction()
    def test_approval_level(self):
        "Test the approval levels by amount and their search"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        company = create_company()
        with set_company(company):
            product = self.create_product()
            application = self.create_application(product)
            levels = []
            # at the threshold is not above it
            for amount in [
                    Decimal('3000000'), Decimal('3000000.01'),
                    Decimal('4000000'), Decimal('4000000.01')]:
                Application.write([application], {'amount': amount})
                levels.append(Application(application.id).approval_level)
            self.assertEqual(levels, [1, 2, 2, 3])
            self.assertEqual(
                Application.search([('approval_level', '=', 3)]),
                [application])
            self.assertEqual(
                Application.search([('approval_level', '<', 3)]), [])
            # no level 2 amount: straight to level 3
            product.approval_level2_amount = None
            product.save()
            Application.write([application], {'amount': Decimal('3500000')})
            self.assertEqual(Application(application.id).approval_level, 1)
            self.assertEqual(
                Application.search([('approval_level', '=', 1)]),
                [application])

    @with_transaction()
    def test_product_approval_amounts(self):
        "Test the level 3 amount is not below the level 2 amount"
        company = create_company()
        with set_company(company):
            with self.assertRaises(ValidationError) as cm:
                self.create_product(
                    approval_level3_amount=Decimal('2000000'))
            self.assertIn('[ZB1]', cm.exception.message)

    @with_transaction()
    def test_eligibility(self):
        "Test every reason of ineligibility is given"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        company = create_company()
        with set_company(company):
            product = self.create_product()
            application = self.create_application(
                product, kind='bid', amount=Decimal('5000000.01'),
                term_months=37)
            application.applicant.kind = 'farmer'
            application.applicant.id_number = '11010519491231002X'
            application.applicant.save()
            self.assertEqual(len(application.get_ineligibility()), 4)
            with self.assertRaises(EligibilityError) as cm:
                Application.investigate([application])
            self.assertIn(application.rec_name, cm.exception.message)
            self.assertIn('5000000.01', cm.exception.message)
            self.assertEqual(application.state, 'draft')

            application.kind = 'performance'
            application.amount = Decimal('5000000')
            application.term_months = 36
            application.save()
            application.applicant.kind = 'enterprise'
            application.applicant.id_number = make_uscc(8)
            application.applicant.save()
            self.assertEqual(application.get_ineligibility(), [])

    @with_transaction()
    def test_financing_workflow(self):
        "Test a financing guarantee from draft to released"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Date = pool.get('ir.date')
        Item = pool.get('reguarantee.review.item')
        company = create_company()
        today = Date.today()
        with set_company(company):
            meeting = self.create_meeting(company)
            product = self.create_product(min_coverage=Decimal('0.81'))
            application = self.create_application(product)
            self.assertTrue(application.number)
            self.assertTrue(application.review_required)

            Application.investigate([application])
            self.assertEqual(application.state, 'investigating')
            self.assertEqual(application.investigator.id, Transaction().user)
            # the report is needed
            with self.assertRaises(ApplicationError) as cm:
                Application.review([application])
            self.assertIn(application.rec_name, cm.exception.message)
            self.fill_due_diligence(application)
            # 1,600,000 secured < 2,000,000 × 81 % = 1,620,000
            with self.assertRaises(ApplicationError) as cm:
                Application.review([application])
            self.assertIn('1620000', cm.exception.message)
            product.min_coverage = Decimal('0.8')
            product.save()
            Application.review([application])
            self.assertEqual(application.state, 'reviewing')
            # put on the agenda of the next meeting
            item, = Item.search([('origin', '=', str(application))])
            self.assertEqual(item.meeting, meeting)
            self.assertEqual(item.borrower, application.applicant)
            self.assertEqual(item.guarantee_amount, Decimal('2000000'))
            self.assertEqual(
                Application(application.id).review_decision, 'pending')

            with self.assertRaises(ReviewRequiredError):
                Application.approve([application])
            self.decide(meeting, ['approve', 'approve', 'reject'])
            application = Application(application.id)
            self.assertEqual(application.review_decision, 'approved')
            Application.approve([application])
            self.assertEqual(application.state, 'approved')

            # the mortgage and the pledge must be registered
            with self.assertRaises(CounterGuaranteeError):
                Application.contract([application])
            mortgage, pledge, _ = application.counter_guarantees
            for number, counter_guarantee in enumerate([mortgage, pledge]):
                counter_guarantee.registration_number = f'REG{number}'
                counter_guarantee.registration_date = today
                counter_guarantee.save()
            self.assertIsNone(application.applicant.party)
            Application.contract([application])
            application = Application(application.id)
            self.assertEqual(application.state, 'contracted')
            self.assertTrue(application.contract_number)
            self.assertEqual(application.contract_date, today)
            self.assertEqual(
                application.applicant.party.name, application.applicant.name)
            self.assertIsNone(application.letter_number)

            with self.assertRaises(ApplicationError):
                Application.confirm_loan([application])
            application.loan_number = 'LOAN-1'
            application.loan_date = today
            application.loan_amount = Decimal('2000000.01')
            application.save()
            with self.assertRaises(ApplicationError) as cm:
                Application.confirm_loan([application])
            self.assertIn('2000000.01', cm.exception.message)
            application.loan_amount = Decimal('1800000')
            application.save()
            Application.confirm_loan([application])
            self.assertEqual(application.state, 'in_force')
            self.assertEqual(application.start_date, today)
            self.assertEqual(
                application.end_date, today + relativedelta(months=18))
            self.assertEqual(application.balance, Decimal('1800000'))

            Application.release([application])
            self.assertEqual(application.state, 'released')
            self.assertEqual(application.release_date, today)
            self.assertEqual(application.balance, Decimal(0))

    @with_transaction()
    def test_letter_in_force_when_issued(self):
        "Test a performance letter is in force once contracted"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Date = pool.get('ir.date')
        company = create_company()
        today = Date.today()
        with set_company(company):
            meeting = self.create_meeting(company)
            application = self.create_application(
                self.create_product(min_coverage=Decimal(0)),
                kind='performance', counter_guarantees=[])
            Application.investigate([application])
            self.fill_due_diligence(application)
            Application.review([application])
            self.decide(meeting, ['approve', 'approve', 'approve'])
            Application.approve([application])
            Application.contract([application])
            application = Application(application.id)
            self.assertEqual(application.state, 'in_force')
            self.assertTrue(application.contract_number)
            self.assertTrue(application.letter_number)
            self.assertEqual(application.letter_date, today)
            self.assertEqual(application.start_date, today)
            self.assertEqual(application.balance, Decimal('2000000'))

    @with_transaction()
    def test_committee_rejection(self):
        "Test an application the committee rejected is not approved"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        company = create_company()
        with set_company(company):
            meeting = self.create_meeting(company)
            application = self.create_application(self.create_product())
            Application.investigate([application])
            self.fill_due_diligence(application)
            Application.review([application])
            self.decide(meeting, ['reject', 'reject', 'approve'])
            application = Application(application.id)
            self.assertEqual(application.review_decision, 'rejected')
            with self.assertRaises(ReviewRequiredError):
                Application.approve([application])
            with self.assertRaises(ApplicationError):
                Application.reject([application])
            application.rejection_reason = "The committee rejected it."
            application.save()
            Application.reject([application])
            self.assertEqual(application.state, 'rejected')

    @with_transaction()
    def test_counter_guarantee_locked(self):
        "Test the counter-guarantees are kept once sent to the committee"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        CounterGuarantee = pool.get('reguarantee.counter.guarantee')
        company = create_company()
        with set_company(company):
            application = self.create_application(self.create_product())
            mortgage = application.counter_guarantees[0]
            value = {'appraised_value': Decimal('3000000')}
            registration = {'registration_number': 'REG1'}
            CounterGuarantee.check_modification(
                'write', [mortgage], value, external=True)
            Application.investigate([application])
            self.fill_due_diligence(application)
            Application.review([application])
            mortgage = CounterGuarantee(mortgage.id)
            with self.assertRaises(CounterGuaranteeModificationError) as cm:
                CounterGuarantee.check_modification(
                    'write', [mortgage], value, external=True)
            self.assertIn(application.rec_name, cm.exception.message)
            with self.assertRaises(CounterGuaranteeModificationError):
                CounterGuarantee.check_modification(
                    'delete', [mortgage], external=True)
            with self.assertRaises(CounterGuaranteeModificationError):
                CounterGuarantee.check_modification(
                    'create', [CounterGuarantee(
                            application=application, kind='personal',
                            owner="Li Si")], external=True)
            # the registration is recorded until the contract
            CounterGuarantee.check_modification(
                'write', [mortgage], registration, external=True)
            # the server writes
            CounterGuarantee.check_modification(
                'write', [mortgage], value, external=False)

    def put_in_force(self, application, start_date):
        "Put the application in force from start_date, as confirm_loan does"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Application.set_applicant_parties([application])
        application.set_term(start_date)
        application.state = 'in_force'
        application.save()

    @with_transaction()
    def test_fee_upfront(self):
        "Test the upfront fee of 12 months at 1.5 %"
        pool = Pool()
        Fee = pool.get('reguarantee.direct.fee')
        company = create_company()
        with set_company(company):
            product = self.create_product()
            application = self.create_application(product, term_months=12)
            # not in force: no fee
            self.assertEqual(
                Fee.create_fees([application], dt.date(2026, 12, 31)), [])
            self.put_in_force(application, dt.date(2026, 1, 1))
            # 2026-01-01 to 2027-01-01 excluded: 365 days
            # 2,000,000 × 1.5 % × 365 / 365 = 30,000.00
            fee, = Fee.create_fees([application], dt.date(2026, 1, 1))
            self.assertEqual(fee.kind, 'upfront')
            self.assertEqual(fee.days, 365)
            self.assertEqual(fee.period_end, dt.date(2026, 12, 31))
            self.assertEqual(fee.amount, Decimal('30000.00'))
            self.assertEqual(fee.party, application.applicant.party)
            # created once
            self.assertEqual(
                Fee.create_fees([application], dt.date(2026, 6, 1)), [])

    @with_transaction()
    def test_fee_periodic(self):
        "Test the monthly fees of a guarantee starting mid-month"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Fee = pool.get('reguarantee.direct.fee')
        company = create_company()
        with set_company(company):
            product = self.create_product(fee_schedule='periodic')
            application = self.create_application(product)
            self.put_in_force(application, dt.date(2026, 1, 16))
            # the months over on 2026-03-31; 2,000,000 × 1.5 % = 30,000 a
            # year: 30,000 × 16 / 365 = 1,315.068..., × 28 / 365 =
            # 2,301.369..., × 31 / 365 = 2,547.945...
            fees = Fee.create_fees([application], dt.date(2026, 3, 31))
            self.assertEqual(
                [(f.period_start, f.period_end, f.days, f.amount)
                    for f in sorted(fees, key=lambda f: f.period_start)], [
                    (dt.date(2026, 1, 16), dt.date(2026, 1, 31), 16,
                        Decimal('1315.07')),
                    (dt.date(2026, 2, 1), dt.date(2026, 2, 28), 28,
                        Decimal('2301.37')),
                    (dt.date(2026, 3, 1), dt.date(2026, 3, 31), 31,
                        Decimal('2547.95')),
                    ])
            # April is not over
            self.assertEqual(
                Fee.create_fees([application], dt.date(2026, 4, 29)), [])

            # the fees not invoiced stop at the release
            Application.release([application])
            self.assertEqual(
                {f.state for f in Fee.search([])}, {'cancelled'})
            self.assertEqual(
                Fee.create_fees([application], dt.date(2026, 6, 30)), [])

    @with_transaction()
    def test_fee_invoice(self):
        "Test the fee is invoiced to the applicant, posted"
        pool = Pool()
        Fee = pool.get('reguarantee.direct.fee')
        Address = pool.get('party.address')
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        FiscalYear = pool.get('account.fiscalyear')
        company = create_company()
        with set_company(company):
            create_chart(company)
            fiscalyear = set_invoice_sequences(get_fiscalyear(company))
            fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            revenue, = Account.search([
                    ('type.revenue', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            category = Category(
                name="Fees", accounting=True, account_revenue=revenue)
            category.save()
            unit, = Uom.search([('symbol', '=', 'u')])
            template = Template(
                name="Guarantee fee", type='service', default_uom=unit,
                account_category=category, products=[{}])
            template.save()
            invoice_product, = template.products
            product = self.create_product()
            application = self.create_application(product, term_months=12)
            self.put_in_force(application, dt.date(2026, 1, 1))
            fee, = Fee.create_fees([application], dt.date(2026, 1, 1))

            with self.assertRaises(DirectFeeError) as cm:
                Fee.invoice_([fee])
            self.assertIn(product.rec_name, cm.exception.message)
            product.invoice_product = invoice_product
            product.save()
            with self.assertRaises(DirectFeeError) as cm:
                Fee.invoice_([fee])
            self.assertIn(fee.rec_name, cm.exception.message)
            Address(party=fee.party).save()

            Fee.invoice_([fee])
            self.assertEqual(fee.state, 'invoiced')
            invoice = fee.invoice
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.type, 'out')
            self.assertEqual(invoice.party, application.applicant.party)
            self.assertEqual(invoice.total_amount, Decimal('30000.00'))
            line, = invoice.lines
            self.assertEqual(line.origin, fee)
            self.assertEqual(line.account, revenue)

    @with_transaction()
    def test_deposit_booking(self):
        """Test a deposit of 200,000 booked: received to the deposit
        liability, then 150,000 refunded and 50,000 applied"""
        pool = Pool()
        Account = pool.get('account.account')
        Application = pool.get('reguarantee.direct.application')
        Configuration = pool.get('reguarantee.configuration')
        Deposit = pool.get('reguarantee.direct.deposit')
        FiscalYear = pool.get('account.fiscalyear')
        Journal = pool.get('account.journal')
        company = create_company()
        with set_company(company):
            create_chart(company)
            fiscalyear = get_fiscalyear(company, today=dt.date(2026, 1, 1))
            fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            cash, = Account.search([('code', '=', '1.1.1')])
            receivable, = Account.search([
                    ('type.receivable', '=', True),
                    ('closed', '!=', True),
                    ('party_required', '=', True),
                    ], limit=1)
            payable, = Account.search([
                    ('type.payable', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            liability, = Account.copy([payable], {
                    'name': "Deposits received", 'code': None,
                    'party_required': True,
                    })
            journal, = Journal.search([('code', '=', 'CASH')])
            product = self.create_product()
            application = self.create_application(product)
            self.put_in_force(application, dt.date(2026, 1, 5))
            deposit = Deposit(
                application=application, amount=Decimal('200000'),
                received_date=dt.date(2026, 1, 5))
            deposit.save()

            # the accounts are set but the journal: refused, not received
            configuration = Configuration(1)
            configuration.deposit_account = liability
            configuration.deposit_cash_account = cash
            configuration.deposit_applied_account = receivable
            configuration.save()
            with self.assertRaises(DirectDepositError) as cm:
                Deposit.receive([deposit])
            self.assertIn(deposit.rec_name, cm.exception.message)
            self.assertIn("Deposit Journal", cm.exception.message)
            configuration.deposit_journal = journal
            configuration.save()

            Deposit.receive([Deposit(deposit.id)])
            deposit = Deposit(deposit.id)
            self.assertEqual(deposit.state, 'held')
            move = deposit.receipt_move
            self.assertEqual(
                (move.state, move.date, move.origin, move.journal),
                ('posted', dt.date(2026, 1, 5), deposit, journal))
            self.assertEqual(
                sorted((l.account.name, l.debit, l.credit, l.party)
                    for l in move.lines),
                sorted([
                        (cash.name, Decimal('200000'), 0, None),
                        ("Deposits received", 0, Decimal('200000'),
                            application.applicant.party)]))

            Application.release([application])
            deposit.refund_amount = Decimal('150000')
            deposit.refund_date = dt.date(2026, 6, 30)
            deposit.save()
            Deposit.refund([deposit])
            move = Deposit(deposit.id).settlement_move
            self.assertEqual(
                (move.state, move.date), ('posted', dt.date(2026, 6, 30)))
            self.assertEqual(
                sorted((l.account.name, l.debit, l.credit)
                    for l in move.lines),
                sorted([
                        ("Deposits received", Decimal('200000'), 0),
                        (cash.name, 0, Decimal('150000')),
                        (receivable.name, 0, Decimal('50000'))]))
            # the liability is settled
            self.assertEqual(Account(liability.id).balance, Decimal(0))
            self.assertEqual(Account(cash.id).balance, Decimal('50000'))

    @with_transaction()
    def test_deposit(self):
        """Test a deposit received, refused refund before release, refunded
        (by two finance users through the button)"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Deposit = pool.get('reguarantee.direct.deposit')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            product = self.create_product()
            application = self.create_application(product)
            deposit = Deposit(
                application=application, amount=Decimal('200000'),
                received_date=dt.date(2026, 1, 5))
            deposit.save()
            Deposit.receive([deposit])
            self.assertEqual(deposit.state, 'held')
            self.assertEqual(deposit.received_date, dt.date(2026, 1, 5))
            # numbered from the deposit sequence, a receipt number
            self.assertRegex(deposit.number, r'^BZJ\d{4}-\d{5}$')
            self.assertIn(deposit.number, deposit.rec_name)
            self.assertEqual(
                Deposit.search([('rec_name', '=', deposit.number)]),
                [deposit])

            self.put_in_force(application, dt.date(2026, 1, 5))
            with self.assertRaises(DirectDepositError) as cm:
                Deposit.refund([deposit])
            self.assertIn(application.rec_name, cm.exception.message)
            self.assertEqual(Deposit(deposit.id).state, 'held')
            with self.assertRaises(DirectDepositError):
                Deposit.apply([deposit])

            Application.release([application])
            deposit = Deposit(deposit.id)
            deposit.refund_amount = Decimal('200000.01')
            with self.assertRaises(DirectDepositError) as cm:
                Deposit.refund([deposit])
            self.assertIn('200000.01', cm.exception.message)
            deposit = Deposit(deposit.id)
            Deposit.refund([deposit])
            self.assertEqual(deposit.state, 'refunded')
            self.assertEqual(deposit.refund_amount, Decimal('200000'))
            self.assertTrue(deposit.refund_date)

            # two finance users refund a deposit (button rule)
            other = Deposit(application=application, amount=Decimal(1000))
            other.save()
            Deposit.receive([other])
            first, second = User.create([{
                        'login': f'deposit_finance{i}', 'name': "Finance",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(
                                        'reguarantee_base',
                                        'group_finance')])],
                        } for i in range(2)])
            for user, state in [
                    (first, 'held'), (first, 'held'), (second, 'refunded')]:
                with Transaction().set_user(user.id), check_access():
                    Deposit.refund([Deposit(other.id)])
                self.assertEqual(Deposit(other.id).state, state)

            # a held deposit cannot be deleted
            other = Deposit(application=application, amount=Decimal(1))
            other.save()
            Deposit.receive([other])
            with self.assertRaises(Exception):
                Deposit.delete([other])


del ModuleTestCase
