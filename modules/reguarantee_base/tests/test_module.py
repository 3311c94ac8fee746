# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import gc
import unittest
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.exceptions import (
    ModificationError, ProjectDuplicateError)
from trytond.modules.reguarantee_base.identity import (
    is_valid_resident_id, is_valid_uscc, resident_id_check_character,
    uscc_check_character)
from trytond.modules.reguarantee_base.model import (
    currency_rounder, gc_paused, sequence_values)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, WorkTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.tools import find_path
from trytond.transaction import Transaction, check_access

SEND_MESSAGE = (
    'trytond.modules.reguarantee_base.project.send_message_transactional')


class IdentityTestCase(unittest.TestCase):
    "Test the check digits of identity numbers"

    def test_uscc_valid(self):
        "Test published unified social credit codes"
        for code in ['91350100M000100Y43', '91110000600037341L']:
            with self.subTest(code=code):
                self.assertTrue(is_valid_uscc(code))

    def test_uscc_check_character(self):
        "Test the check character of a USCC"
        # Σ value × 3^(i-1) mod 31 over '91350100M000100Y4' is 28:
        # (31 - 28) mod 31 = 3
        self.assertEqual(uscc_check_character('91350100M000100Y4'), '3')

    def test_uscc_invalid(self):
        "Test wrong unified social credit codes"
        for code in [
                None, '', '91350100M000100Y4', '91350100M000100Y44',
                '91350100M000100Y430', '91350100I000100Y43',
                '91350100m000100y43']:
            with self.subTest(code=code):
                self.assertFalse(is_valid_uscc(code))

    def test_resident_id_valid(self):
        "Test a resident identity number"
        self.assertTrue(is_valid_resident_id('11010519491231002X'))
        self.assertEqual(
            resident_id_check_character('11010519491231002'), 'X')

    def test_resident_id_invalid(self):
        "Test wrong resident identity numbers"
        for code in [
                None, '110105194912310021', '11010519491331002X',
                '1101051949123100', 'A1010519491231002X']:
            with self.subTest(code=code):
                self.assertFalse(is_valid_resident_id(code))


class ReguaranteeBaseTestCase(
        WorkTestMixin, WorkflowGuardTestMixin,
        ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Base module"
    module = 'reguarantee_base'

    def create_release_projects(self, company):
        """Create two institutions with their users, a business user and
        filed projects: due for release, overdue and due of the other
        institution; return the users and the projects by name"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Institution = pool.get('reguarantee.institution')
        Lang = pool.get('ir.lang')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Project = pool.get('reguarantee.project')
        User = pool.get('res.user')

        today = dt.date.today()
        zh_cn, = Lang.search([('code', '=', 'zh_CN')])
        Lang.write([zh_cn], {'translatable': True})
        users = dict(zip(['operator', 'other', 'business', 'no_email'],
                User.create([{
                            'login': 'operator', 'name': "Operator",
                            'email': 'operator@example.com',
                            'language': zh_cn.id,
                            }, {
                            'login': 'other', 'name': "Other",
                            'email': 'other@example.com',
                            }, {
                            'login': 'business', 'name': "Business",
                            'email': 'business@example.com',
                            'groups': [('add', [ModelData.get_id(
                                            'reguarantee_base',
                                            'group_business')])],
                            }, {
                            'login': 'no_email', 'name': "No E-mail",
                            }])))
        institution, other = Institution.create([{
                    'company': company.id, 'code': code, 'name': code,
                    'uscc': make_uscc(serial), 'state': 'active',
                    'license_number': 'WD-%s' % code,
                    'license_expiry': today + dt.timedelta(days=700),
                    'net_assets': Decimal('300000000'),
                    'users': [('add', [u.id for u in institution_users])],
                    } for serial, (code, institution_users) in enumerate([
                        ('HF01', [users['operator'], users['no_email']]),
                        ('WH01', [users['other']]),
                        ], 1)])
        borrower, = Borrower.create([{
                    'name': "合肥禾丰农业科技有限公司",
                    'id_number': make_uscc(501),
                    }])
        bank, = Party.create([{'name': "Bank"}])
        projects = dict(zip(['due', 'overdue', 'other_due'],
                Project.create([{
                            'company': company.id,
                            'institution': project_institution.id,
                            'borrower': borrower.id,
                            'bank': bank.id,
                            'loan_contract_number': 'L-%s' % days,
                            'loan_amount': Decimal(1000),
                            'guarantee_amount': Decimal(1000),
                            'start_date': today - dt.timedelta(days=400),
                            'end_date': today + dt.timedelta(days=days),
                            'state': 'filed',
                            } for project_institution, days in [
                            (institution, 10), (institution, -5),
                            (other, 20)]])))
        return users, projects

    @with_transaction()
    def test_zh_cn_override(self):
        "Test Tryton's strings left in English are translated by override"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Translation = pool.get('ir.translation')
        zh_cn, = Lang.search([('code', '=', 'zh_CN')])
        Lang.write([zh_cn], {'translatable': True})
        for module in ['ir', 'res', 'company', 'party']:
            Translation.translation_import(
                'zh_CN', module, find_path(f'{module}/locale/zh_CN.po'))
        Translation.translation_import('zh_CN', 'reguarantee_base', [
                find_path('reguarantee_base/locale/zh_CN.po'),
                find_path('reguarantee_base/locale/override/zh_CN.po')])

        with Transaction().set_context(language='zh_CN'):
            self.assertEqual(
                Party.fields_get(['email'])['email']['string'], "电子邮件")
            menu = Menu(ModelData.get_id('party', 'menu_identifier_form'))
            self.assertEqual(menu.name, "标识符")

    @with_transaction()
    def test_sequence_values(self):
        "Test sequence_values gives the values of get_many, ir.sequence as is"
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        SequenceStrict = pool.get('ir.sequence.strict')
        SequenceType = pool.get('ir.sequence.type')
        sequence_type, = SequenceType.create([{'name': "Test"}])
        for Model in [Sequence, SequenceStrict]:
            with self.subTest(model=Model.__name__):
                sequence, = Model.create([{
                            'name': "Test",
                            'sequence_type': sequence_type.id,
                            'prefix': 'P${year}-',
                            'suffix': '-${month}',
                            'padding': 4,
                            }])
                with Transaction().set_context(date=dt.date(2026, 3, 1)):
                    values = sequence_values(sequence, 3)
                    self.assertEqual(sequence_values(sequence, 0), [])
                    value = sequence.get()

                self.assertEqual(values, [
                        'P2026-0001-03', 'P2026-0002-03', 'P2026-0003-03'])
                self.assertEqual(value, 'P2026-0004-03')
        # no module of the project changes the values of ir.sequence for
        # every model of the database
        for Model in [Sequence, SequenceStrict]:
            self.assertFalse([
                    c for c in Model.__mro__
                    if c.__module__.startswith('trytond.modules.reguarantee')
                    and {'get', 'get_many', '_get_many', '_process'}
                    & vars(c).keys()])

    @with_transaction()
    def test_currency_rounder(self):
        "Test currency_rounder rounds as Currency.round does, to the exponent"
        pool = Pool()
        Currency = pool.get('currency.currency')
        amounts = [
            '0', '0.125', '0.135', '-0.125', '-0.001', '35000.035',
            '35000.0175', '80.0', '1.5', '2.5', '1E+3', '150',
            '123456789012345678901234567890.125']
        for rounding in ['0.01', '1', '1E+2', '0.05', '0.001']:
            currency = Currency(rounding=Decimal(rounding))
            round_ = currency_rounder(currency)
            for amount in map(Decimal, amounts):
                with self.subTest(rounding=rounding, amount=amount):
                    expected = currency.round(amount)
                    rounded = round_(amount)
                    self.assertEqual(rounded, expected)
                    self.assertEqual(rounded.as_tuple(), expected.as_tuple())

    def test_gc_paused(self):
        "Test gc_paused pauses the garbage collector and restores it"
        self.assertTrue(gc.isenabled())
        with self.assertRaises(ZeroDivisionError):
            with gc_paused():
                self.assertFalse(gc.isenabled())
                1 / 0
        self.assertTrue(gc.isenabled())
        gc.disable()
        try:
            with gc_paused():
                pass
            self.assertFalse(gc.isenabled())
        finally:
            gc.enable()

    @with_transaction()
    def test_set_numbers(self):
        "Test the values of many projects are numbered at once, by company"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        other = create_company(name="Other")
        with set_company(company):
            sequence = Project.get_number_sequence(company.id)
            # PostgreSQL does not roll back its sequences: count from the
            # next value, whatever earlier tests took
            start = sequence.number_next
            vlist = [{}, {'number': 'KEPT'}, {'company': other.id}, {}]
            Project.set_numbers(vlist)
            last = sequence.get()

        # the companies share the sequence by default: one call each
        prefix = 'RP%s-' % dt.date.today().year

        def number(offset):
            return prefix + '%07d' % (start + offset)
        self.assertEqual(
            [v.get('number') for v in vlist],
            [number(0), 'KEPT', number(2), number(1)])
        self.assertEqual(last, number(3))

    @with_transaction()
    def test_search_release_due(self):
        "Test the searches of the projects due for release and overdue"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            _, projects = self.create_release_projects(company)
            due, overdue, other_due = (
                projects[n] for n in ['due', 'overdue', 'other_due'])

            for domain, result in [
                    ([('release_due', '=', True)], [due, other_due]),
                    ([('release_due', '=', False)], [overdue]),
                    ([('release_overdue', '=', True)], [overdue]),
                    ([('release_overdue', '!=', True)], [due, other_due]),
                    ]:
                with self.subTest(domain=domain):
                    self.assertEqual(
                        Project.search(domain, order=[('id', 'ASC')]),
                        result)

    @with_transaction()
    def test_release_tabs_index(self):
        """Test the list's order is indexed with the state and end date
        the release tabs test (by state, and by institution for the
        operators)"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        indexes = {
            tuple(str(e) for e, _ in index.expressions)
            for index in Project._sql_indexes}
        order = ('"start_date"', '"id"')
        state = ('"state"', '"end_date"')
        self.assertIn(('"state"', *order, '"end_date"'), indexes)
        self.assertIn(('"institution"', *order, *state), indexes)

    @with_transaction()
    def test_remind_releases_no_email(self):
        "Test the release reminders are not e-mailed by default"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            self.create_release_projects(company)
            with patch(SEND_MESSAGE) as send_message:
                Project.remind_releases()

            send_message.assert_not_called()
            self.assertEqual(len(Transaction().user_notifications), 7)

    @with_transaction()
    def test_remind_releases_email(self):
        "Test the release reminders are e-mailed once to users with address"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Project = pool.get('reguarantee.project')
        Translation = pool.get('ir.translation')
        company = create_company()
        Translation.translation_import(
            'zh_CN', 'reguarantee_base',
            find_path('reguarantee_base/locale/zh_CN.po'))
        with set_company(company):
            users, projects = self.create_release_projects(company)
            configuration = Configuration(1)
            configuration.release_reminder_email = True
            configuration.save()
            with patch(SEND_MESSAGE) as send_message:
                Project.remind_releases()
            with patch(SEND_MESSAGE) as send_again:
                Project.remind_releases()

            send_again.assert_not_called()
            messages = {
                (m['To'], m['Subject']): m.get_content()
                for m, in (c.args for c in send_message.call_args_list)}
            due_subject = "%s re-guarantee projects are due for release"
            self.assertEqual(sorted(messages), [
                    ('business@example.com',
                        "1 re-guarantee project is past its end date "
                        "and not released"),
                    ('business@example.com', due_subject % 2),
                    ('operator@example.com', "1 个再担保项目即将到期，待解保"),
                    ('operator@example.com', "1 个再担保项目已过到期日仍未解保"),
                    ('other@example.com',
                        "1 re-guarantee project is due for release"),
                    ])
            self.assertEqual(send_message.call_count, len(messages))
            notified = [n.user for n in Transaction().user_notifications]
            self.assertEqual(len(notified), 7)
            self.assertEqual(notified.count(users['no_email']), 2)

            due, other_due = projects['due'], projects['other_due']
            operator = messages[
                'operator@example.com', "1 个再担保项目即将到期，待解保"]
            self.assertIn(
                "- %s，合肥禾丰农业科技有限公司，到期日 %s\n" % (
                    due.number, due.end_date.strftime('%Y-%m-%d')),
                operator)
            self.assertNotIn(other_due.number, operator)
            business = messages['business@example.com', due_subject % 2]
            for project in [due, other_due]:
                self.assertIn(
                    "- %s, 合肥禾丰农业科技有限公司, ending on %s\n" % (
                        project.number,
                        project.end_date.strftime('%m/%d/%Y')),
                    business)
            self.assertLess(
                business.index(due.number), business.index(other_due.number))

    @with_transaction()
    def test_project_external_write(self):
        """Test a write through RPC, even by an administrator, cannot change
        the state of a project nor its read-only fields, its buttons can"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            _, projects = self.create_release_projects(company)
            filed = projects['due']
            draft, = Project.copy([filed])
            # a product is matched on submission, never written by a client
            product, = Product.create([{
                        'company': company.id, 'code': 'P1', 'name': 'P1',
                        'guarantee_type': 'financing', 'mode': 'batch',
                        'fee_rate': Decimal('0.005'),
                        'fee_basis': 'guarantee', 'day_count': 'act365',
                        'share_institution': Decimal('0.4'),
                        'share_reguarantor': Decimal('0.3'),
                        'share_fund': Decimal(0),
                        'share_bank': Decimal('0.2'),
                        'share_government': Decimal('0.1'),
                        'start_date': dt.date(2025, 1, 1),
                        }])
            User.write([User(Transaction().user)], {
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_business')])],
                    })

            def rpc():
                "Check the access rights as for a call through RPC"
                return Transaction().set_context(_check_access=True)

            for project, values in [
                    (draft, {'state': 'filed'}),
                    (filed, {'state': 'released'}),
                    (filed, {'loan_amount': Decimal(2000)}),
                    (filed, {'filing_date': dt.date.today()}),
                    (filed, {'reguaranteed_amount': Decimal(0)}),
                    (draft, {'product': product.id}),
                    ]:
                with self.subTest(state=project.state, values=values), rpc():
                    with self.assertRaises(ModificationError) as cm:
                        Project.write([project], values)
                    name, = values
                    self.assertIn(
                        Project.__names__(name)['field']
                        if name != 'state' else Project.__names__()['model'],
                        cm.exception.message)
            new_values = {
                'company': company.id,
                'institution': filed.institution.id,
                'borrower': filed.borrower.id,
                'bank': filed.bank.id,
                'loan_contract_number': 'L-NEW',
                'loan_amount': Decimal(1000),
                'guarantee_amount': Decimal(1000),
                'start_date': filed.start_date,
                'end_date': filed.end_date,
                }
            with rpc(), self.assertRaises(ModificationError):
                Project.create([{**new_values, 'state': 'filed'}])
            # nor with the values the server fills, nor copied with them
            for values in [
                    {'number': 'P-HACK'},
                    {'reguaranteed_amount': Decimal(0)},
                    {'product': product.id},
                    ]:
                with self.subTest(create=values), rpc():
                    with self.assertRaises(ModificationError) as cm:
                        Project.create([{**new_values, **values}])
                    name, = values
                    self.assertIn(
                        Project.__names__(name)['field'], cm.exception.message)
                with self.subTest(copy=values), rpc():
                    with self.assertRaises(ModificationError):
                        Project.copy([filed], default=values)

            with rpc():
                Project.write([draft], {'loan_amount': Decimal(2000)})
                Project.cancel([draft])
                self.assertEqual(draft.state, 'cancelled')
                Project.draft([draft])
                self.assertEqual(draft.state, 'draft')
                copy, = Project.copy([filed])
                self.assertEqual(copy.state, 'draft')
            self.assertEqual(draft.loan_amount, Decimal(2000))
            # the server is not refused
            Project.write([filed], {'loan_amount': Decimal(3000)})
            self.assertEqual(filed.loan_amount, Decimal(3000))

            with rpc():
                with self.assertRaises(ModificationError):
                    Project.delete([filed])
                Project.delete([draft, copy])

    @with_transaction()
    def test_project_external_write_unchanged(self):
        """Test a write through RPC of the read-only fields of a project
        with their stored values passes (sao sends them again after an
        on_change), with other values it is refused"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Project = pool.get('reguarantee.project')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            _, projects = self.create_release_projects(company)
            filed = projects['due']
            Project.write([filed], {
                    'borrower_id_number': filed.borrower.id_number,
                    })
            User.write([User(Transaction().user)], {
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_business')])],
                    })
            names = self.assertUnchangedWritable(filed)
            # a Many2One, a text, a Numeric and a date at least
            self.assertLessEqual(
                {'borrower', 'borrower_id_number', 'loan_amount',
                    'start_date'}, set(names))

            rpc = Transaction().set_context(_check_access=True)
            with rpc:
                # as sao sends it after the identity number's on_change
                Project.write([filed], {
                        'borrower': filed.borrower.id,
                        'borrower_id_number': filed.borrower.id_number,
                        'loan_amount': float(filed.loan_amount),
                        'start_date': filed.start_date,
                        })
                other, = Project.copy([filed], default={
                        'loan_contract_number': 'L-OTHER',
                        })
                for values in [
                        {'borrower': None},
                        {'loan_amount': filed.loan_amount + 1},
                        {'start_date': filed.end_date},
                        # the relation is never compared
                        {'history': []},
                        ]:
                    with self.subTest(values=values), \
                            self.assertRaises(ModificationError):
                        Project.write([filed], values)
                # a draft copy is written as before
                Project.write([other], {'loan_amount': Decimal(5)})
            self.assertEqual(other.loan_amount, Decimal(5))

    @with_transaction()
    def test_contract_products_external_write(self):
        "Test the products of a signed contract are not changed through RPC"
        pool = Pool()
        Contract = pool.get('reguarantee.contract')
        ContractProduct = pool.get('reguarantee.contract-reguarantee.product')
        ModelData = pool.get('ir.model.data')
        Product = pool.get('reguarantee.product')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            _, projects = self.create_release_projects(company)
            institution = projects['due'].institution
            p1, p2 = Product.create([{
                        'company': company.id, 'code': code, 'name': code,
                        'guarantee_type': 'financing', 'mode': 'batch',
                        'fee_rate': Decimal('0.005'),
                        'fee_basis': 'guarantee', 'day_count': 'act365',
                        'share_institution': Decimal('0.4'),
                        'share_reguarantor': Decimal('0.3'),
                        'share_fund': Decimal(0),
                        'share_bank': Decimal('0.2'),
                        'share_government': Decimal('0.1'),
                        'start_date': dt.date(2025, 1, 1),
                        } for code in ['P1', 'P2']])
            draft, signed = Contract.create([{
                        'company': company.id,
                        'institution': institution.id,
                        'products': [('add', [p1.id])],
                        'start_date': dt.date(2025, 1, 1),
                        'end_date': dt.date(2030, 12, 31),
                        'state': state,
                        } for state in ['draft', 'signed']])
            User.write([User(Transaction().user)], {
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_business')])],
                    })

            with Transaction().set_context(_check_access=True):
                link, = ContractProduct.create([{
                            'contract': draft.id, 'product': p2.id}])
                ContractProduct.delete([link])
                Contract.write([draft], {'products': [('add', [p2.id])]})
                # a create is refused once done: the last, as the
                # transaction of the call is not rolled back here
                for action in [
                        lambda: ContractProduct.delete(
                            ContractProduct.search([
                                    ('contract', '=', signed.id)])),
                        lambda: ContractProduct.write(
                            ContractProduct.search([
                                    ('contract', '=', draft.id)]),
                            {'contract': signed.id}),
                        lambda: Contract.write([signed], {
                                'products': [('add', [p2.id])]}),
                        lambda: ContractProduct.create([{
                                    'contract': signed.id,
                                    'product': p2.id}]),
                        ]:
                    self.assertEqual(signed.products, (p1,))
                    with self.assertRaises(ModificationError):
                        action()
            self.assertEqual(draft.products, (p1, p2))

    @with_transaction()
    def test_project_duplicate_key(self):
        "Test no write makes two projects past their draft duplicates"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        company = create_company()
        with set_company(company):
            _, projects = self.create_release_projects(company)
            due, overdue = projects['due'], projects['overdue']
            number = overdue.loan_contract_number

            # A refused write is rolled back with its transaction: the test
            # writes the number back
            with self.assertRaises(ProjectDuplicateError) as cm:
                Project.write([overdue], {
                        'loan_contract_number': due.loan_contract_number,
                        })
            self.assertIn(due.rec_name, cm.exception.message)
            Project.write([overdue], {'loan_contract_number': number})
            with self.assertRaises(ProjectDuplicateError):
                Project.write([due, overdue], {'loan_contract_number': 'L'})
            Project.write([overdue], {'loan_contract_number': number})

            # a draft may duplicate: its submission refuses it
            draft, = Project.copy([due])
            Project.write([due], {'state': 'released'})
            with self.assertRaises(ProjectDuplicateError):
                Project.write([draft], {'state': 'submitted'})
            Project.write([draft], {'state': 'cancelled'})
            Project.write([overdue], {'loan_contract_number': 'L-other'})

    @with_transaction()
    def test_empty_text_null(self):
        "Test empty optional text is stored and migrated as NULL"
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Project = pool.get('reguarantee.project')
        borrower_table = Borrower.__table__()
        cursor = Transaction().connection.cursor()

        def stored(borrower):
            cursor.execute(*borrower_table.select(
                    borrower_table.related_group, borrower_table.industry,
                    borrower_table.region,
                    where=borrower_table.id == borrower.id))
            return cursor.fetchone()

        borrower, = Borrower.create([{
                    'name': "Borrower",
                    'id_number': make_uscc(601),
                    'related_group': '',
                    'industry': ' ',
                    'region': '340100',
                    }])
        self.assertEqual(stored(borrower), (None, None, '340100'))
        Borrower.write([borrower], {'related_group': 'G1'})
        self.assertEqual(stored(borrower), ('G1', None, '340100'))
        borrower.related_group = ''
        borrower.save()
        self.assertEqual(stored(borrower), (None, None, '340100'))
        self.assertIn('industry', Project._null_empty_fields)
        self.assertNotIn('loan_contract_number', Project._null_empty_fields)

        cursor.execute(*borrower_table.update(
                [borrower_table.related_group, borrower_table.industry],
                ['', ''], where=borrower_table.id == borrower.id))
        Borrower.__register__('reguarantee_base')
        self.assertEqual(stored(borrower), (None, None, '340100'))

    @with_transaction()
    def test_approval_button_rules_admin(self):
        "Test the re-guarantee administrator edits the re-guarantee rules only"
        pool = Pool()
        Button = pool.get('ir.model.button')
        ModelData = pool.get('ir.model.data')
        Rule = pool.get('ir.model.button.rule')
        User = pool.get('res.user')
        manager, other = User.create([{
                    'login': 'manager', 'name': "Manager",
                    'groups': [('add', [ModelData.get_id(
                                    'reguarantee_base', 'group_admin')])],
                    }, {
                    'login': 'other', 'name': "Other",
                    }])
        rule = Rule(ModelData.get_id(
                'reguarantee_base', 'institution_approve_button_rule'))
        foreign_button, = Button.search([
                ('model', 'not like', 'reguarantee.%')], limit=1)
        foreign_rule, = Rule.create([{
                    'button': foreign_button.id, 'number_user': 1}])

        with Transaction().set_user(manager.id), check_access():
            Rule.write([Rule(rule.id)], {'number_user': 1})
            self.assertEqual(Rule(rule.id).number_user, 1)
            # they still see every rule
            self.assertIn(foreign_rule, Rule.search([]))
            with self.assertRaises(AccessError):
                Rule.write([Rule(foreign_rule.id)], {'number_user': 2})
            with self.assertRaises(AccessError):
                Rule.create([{
                            'button': foreign_button.id, 'number_user': 1}])
        with Transaction().set_user(other.id), check_access():
            with self.assertRaises(AccessError):
                Rule.write([Rule(rule.id)], {'number_user': 2})
        with Transaction().set_user(1), check_access():
            Rule.write([Rule(foreign_rule.id)], {'number_user': 2})


del ModuleTestCase
