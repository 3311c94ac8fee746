# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The compensation of the bank for a direct guarantee and its recovery

The guarantee of the tests (in_force): 1,000,000 for 18 months, the bank
lent 1,000,000; its counter-guarantees are a mortgage appraised 2,000,000 at
70 % and a personal guarantee.  The borrower defaults with a principal of
800,000 and an interest of 12,000: within the 1,000,000 guaranteed, the
company pays the bank 812,000 and bears all of it (share 1, no
institution).  The mortgage is auctioned for 300,000, all recovered; the
borrower repays 512,000: 300,000 + 512,000 = 812,000, fully recovered, the
guarantee can be closed."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import DomainValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.exceptions import (
    CompensationOpenError, RecoveryError)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.modules.reguarantee_direct.exceptions import (
    ApplicationError, DirectRecoveryError)
from trytond.modules.reguarantee_direct.tests import test_module
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, check_access


class DirectCompensationTestCase(unittest.TestCase):
    "Test the compensation and the recovery of direct guarantees"
    # the helpers of the module's tests (not its class: it would run again)
    create_product = test_module.ReguaranteeDirectTestCase.create_product
    fill_due_diligence = (
        test_module.ReguaranteeDirectTestCase.fill_due_diligence)
    create_meeting = test_module.ReguaranteeDirectTestCase.create_meeting
    decide = test_module.ReguaranteeDirectTestCase.decide

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('reguarantee_direct')

    def create_application(self, product, number=7, **values):
        "Return a draft financing application of a new applicant"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Party = pool.get('party.party')
        borrower = Borrower(
            name=f"Hefei Precision {number}", kind='enterprise',
            id_number=make_uscc(number))
        borrower.save()
        bank, = Party.create([{'name': "Bank"}])
        values.setdefault('counter_guarantees', [{
                    'kind': 'personal', 'owner': "Li Si",
                    }])
        values.setdefault('amount', Decimal('1000000'))
        application = Application(
            applicant=borrower, kind='financing', product=product,
            bank=bank, term_months=18, purpose="Working capital", **values)
        application.save()
        return application

    def put_in_force(self, company, amount=Decimal('1000000')):
        "Return a financing guarantee of amount taken to in force"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Date = pool.get('ir.date')
        today = Date.today()
        meeting = self.create_meeting(company)
        application = self.create_application(
            self.create_product(), amount=amount, counter_guarantees=[{
                    'kind': 'mortgage', 'owner': "Zhang San",
                    'appraised_value': Decimal('2000000'),
                    'pledge_rate': Decimal('0.7'),
                    'registration_number': 'REG-1',
                    'registration_date': today,
                    }, {
                    'kind': 'personal', 'owner': "Zhang San",
                    }])
        Application.investigate([application])
        self.fill_due_diligence(application)
        Application.review([application])
        self.decide(meeting, ['approve', 'approve', 'approve'])
        application = Application(application.id)
        Application.approve([application])
        Application.contract([application])
        application = Application(application.id)
        application.loan_number = 'LOAN-1'
        application.loan_date = today
        application.loan_amount = amount
        application.save()
        Application.confirm_loan([application])
        self.assertEqual(application.state, 'in_force')
        return application

    def create_compensation(self, application, **values):
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        values.setdefault('principal', Decimal('800000'))
        values.setdefault('interest', Decimal('12000'))
        values.setdefault(
            'default_date', application.start_date or dt.date.today())
        compensation = Compensation(origin=application, **values)
        compensation.save()
        return compensation

    def pay(self, compensation):
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Compensation.submit([compensation])
        Compensation.approve([compensation])
        Compensation.pay([compensation])

    @with_transaction()
    def test_compensation_recovery_close(self):
        "Test a direct guarantee compensated, recovered and closed"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Compensation = pool.get('reguarantee.compensation')
        Recovery = pool.get('reguarantee.recovery')
        Date = pool.get('ir.date')
        today = Date.today()
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            mortgage, personal = application.counter_guarantees
            compensation = self.create_compensation(application)
            # the project column is the origin's only for a project
            self.assertIsNone(compensation.project)
            self.assertIsNone(compensation.institution)
            self.assertIsNone(compensation.amount_paid_by_institution)
            self.assertEqual(compensation.claim_amount, Decimal('812000'))
            self.assertEqual(compensation.approval_level, 1)
            self.assertEqual(
                Compensation.search([
                        ('rec_name', 'ilike', application.number)]),
                [compensation])

            # no release while the bank is to be paid
            with self.assertRaises(ApplicationError) as cm:
                Application.release([application])
            self.assertIn(compensation.rec_name, cm.exception.message)

            Compensation.submit([compensation])
            self.assertEqual(compensation.share, Decimal(1))
            self.assertEqual(compensation.claim_amount, Decimal('812000'))
            self.assertEqual(application.state, 'in_force')
            Compensation.approve([compensation])
            Compensation.pay([compensation])
            application = Application(application.id)
            self.assertEqual(application.state, 'compensated')
            self.assertEqual(application.balance, Decimal(0))
            self.assertEqual(application.compensations, (compensation,))

            # the mortgage is auctioned for 300,000, all recovered
            recovery = Recovery(
                compensation=compensation, date=today,
                amount=Decimal('300000'), counter_guarantee=mortgage,
                realisation_method='auction')
            recovery.on_change_counter_guarantee()
            self.assertEqual(recovery.realised_amount, Decimal('300000'))
            self.assertEqual(
                recovery.on_change_with_direct_application(), application)
            recovery.save()
            Recovery.confirm([recovery])
            # the company keeps all it recovers: nothing due from an
            # institution shares it
            self.assertEqual(recovery.reguarantor_amount, Decimal('300000'))
            self.assertEqual(recovery.origin, application)
            mortgage = mortgage.__class__(mortgage.id)
            self.assertEqual(mortgage.recoveries, (recovery,))
            self.assertEqual(mortgage.realised_amount, Decimal('300000'))
            self.assertEqual(mortgage.recovered_amount, Decimal('300000'))
            self.assertEqual(mortgage.realisation_date, today)
            self.assertIsNone(personal.realised_amount)

            # 812,000 - 300,000 = 512,000 still to recover
            with self.assertRaises(ApplicationError) as cm:
                Application.close([application])
            self.assertIn(compensation.rec_name, cm.exception.message)

            # the borrower repays: at most the 512,000 left
            repayment = Recovery(
                compensation=compensation, date=today,
                amount=Decimal('512000.01'))
            repayment.save()
            with self.assertRaises(RecoveryError) as cm:
                Recovery.confirm([repayment])
            self.assertIn('812000.01', cm.exception.message)
            repayment.amount = Decimal('512000')
            repayment.save()
            Recovery.confirm([repayment])
            compensation = Compensation(compensation.id)
            self.assertEqual(
                compensation.recovered_amount, Decimal('812000'))
            self.assertEqual(
                compensation.recovered_reguarantor_amount, Decimal('812000'))
            application = Application(application.id)
            self.assertEqual(
                list(application.recoveries), [recovery, repayment])
            # the recovery closes nothing by itself: the button does
            self.assertEqual(application.state, 'compensated')
            Application.close([application])
            self.assertEqual(application.state, 'closed')
            self.assertEqual(application.close_date, today)

    @with_transaction()
    def test_one_open(self):
        "Test one open compensation per guarantee"
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            self.create_compensation(application)
            with self.assertRaises(CompensationOpenError) as cm:
                self.create_compensation(application)
            self.assertIn(application.rec_name, cm.exception.message)

    @with_transaction()
    def test_default_date(self):
        "Test no default before the guarantee started"
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            with self.assertRaises(UserError) as cm:
                self.create_compensation(
                    application, default_date=(
                        application.start_date - dt.timedelta(days=1)))
            self.assertIn(application.rec_name, cm.exception.message)

    @with_transaction()
    def test_approval_tiers_by_role(self):
        """Test the tiers of approval of a direct compensation as button
        rules, and its payment by the finance staff"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Compensation = pool.get('reguarantee.compensation')
        Configuration = pool.get('reguarantee.configuration')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            configuration = Configuration(1)
            configuration.compensation_level2_amount = Decimal('500000')
            configuration.save()
            application = self.put_in_force(company)
            users = {}
            for group in ['business', 'risk', 'risk_committee', 'finance']:
                users[group], = User.create([{
                            'login': f'direct_{group}', 'name': group,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [ModelData.get_id(
                                            'reguarantee_base',
                                            f'group_{group}')])],
                            }])

            def as_user(group):
                return Transaction().set_user(users[group].id)

            with as_user('business'), check_access():
                compensation = self.create_compensation(
                    Application(application.id))
                # 812,000 > 500,000: a risk committee user approves too
                self.assertEqual(compensation.approval_level, 2)
                Compensation.submit([compensation])
            with as_user('risk'), check_access():
                Compensation.approve([Compensation(compensation.id)])
                self.assertEqual(
                    Compensation(compensation.id).state, 'submitted')
            with as_user('risk_committee'), check_access():
                Compensation.approve([Compensation(compensation.id)])
                self.assertEqual(
                    Compensation(compensation.id).state, 'approved')
            with as_user('finance'), check_access():
                Compensation.pay([Compensation(compensation.id)])
            self.assertEqual(Compensation(compensation.id).state, 'paid')
            self.assertEqual(
                Application(application.id).state, 'compensated')
            with as_user('risk'), check_access():
                with self.assertRaises(ApplicationError):
                    Application.close([Application(application.id)])

    @with_transaction()
    def test_claim_within_guarantee(self):
        "Test the claim is the principal and interest within the amount"
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            # 1,000,000 + 20,000 > 1,000,000 guaranteed
            compensation = self.create_compensation(
                application, principal=Decimal('1000000'),
                interest=Decimal('20000'))
            self.assertEqual(compensation.claim_amount, Decimal('1000000'))

    @with_transaction()
    def test_approval_level(self):
        "Test the approval tiers of a direct compensation by its claim"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        company = create_company()
        with set_company(company):
            configuration = Configuration(1)
            configuration.compensation_level2_amount = Decimal('500000')
            configuration.compensation_level3_amount = Decimal('812000')
            configuration.save()
            application = self.put_in_force(company)
            compensation = self.create_compensation(application)
            # 812,000 > 500,000 but not > 812,000
            self.assertEqual(compensation.approval_level, 2)
            compensation.interest = Decimal('12000.01')
            compensation.save()
            self.assertEqual(compensation.approval_level, 3)

    @with_transaction()
    def test_refused(self):
        "Test the refused compensations, recoveries and transitions"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Compensation = pool.get('reguarantee.compensation')
        Recovery = pool.get('reguarantee.recovery')
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            draft = self.create_application(application.product, 8)
            # only a guarantee in force is compensated
            with self.assertRaises(DomainValidationError):
                self.create_compensation(draft)
            # nothing to pay the bank
            compensation = self.create_compensation(
                application, principal=Decimal(0), interest=Decimal(0))
            with self.assertRaises(ApplicationError) as cm:
                Compensation.submit([compensation])
            self.assertIn(compensation.rec_name, cm.exception.message)
            compensation.principal = Decimal('800000')
            compensation.save()
            # closed only once compensated
            Application.close([application])
            self.assertEqual(application.state, 'in_force')
            self.pay(compensation)
            application = Application(application.id)
            # no release once compensated
            Application.release([application])
            self.assertEqual(application.state, 'compensated')
            self.assertIsNone(application.release_date)

            # the counter-guarantee of another guarantee
            with self.assertRaises(DomainValidationError):
                Recovery.create([{
                            'compensation': compensation.id,
                            'amount': Decimal('1000'),
                            'counter_guarantee': (
                                draft.counter_guarantees[0].id),
                            'realisation_method': 'sale',
                            'realised_amount': Decimal('1000'),
                            }])
            # the realisation brought less than the amount recovered
            with self.assertRaises(DirectRecoveryError) as cm:
                Recovery.create([{
                            'compensation': compensation.id,
                            'amount': Decimal('300000'),
                            'counter_guarantee': (
                                application.counter_guarantees[0].id),
                            'realisation_method': 'auction',
                            'realised_amount': Decimal('299999.99'),
                            }])
            self.assertIn('299999.99', cm.exception.message)
            # a realisation needs its method and amount
            with self.assertRaises(UserError):
                Recovery.create([{
                            'compensation': compensation.id,
                            'amount': Decimal('1000'),
                            'counter_guarantee': (
                                application.counter_guarantees[0].id),
                            }])

            # written off: it may be closed
            Compensation.write_off([compensation])
            application = Application(application.id)
            self.assertEqual(application.state, 'compensated')
            Application.close([application])
            self.assertEqual(application.state, 'closed')

    @with_transaction()
    def test_release(self):
        "Test a guarantee released on repayment, then not compensated"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            application = self.put_in_force(company)
            Application.release([application])
            self.assertEqual(application.state, 'released')
            self.assertEqual(application.release_date, Date.today())
            with self.assertRaises(DomainValidationError):
                self.create_compensation(application)
