# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.reguarantee_base.exceptions import WorkDomainError
from trytond.modules.reguarantee_base.tests.tools import (
    ModulesTestCase, make_uscc)
from trytond.pool import Pool
from trytond.pyson import Date, PYSONDecoder, PYSONEncoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

ROLES = {
    'operator': ['group_institution_operator'],
    'other_operator': ['group_institution_operator'],
    'business': ['group_business'],
    'risk': ['group_risk'],
    'committee': ['group_risk_committee'],
    'finance': ['group_finance'],
    'nobody': [],
    }


class WorkTestCase(ModulesTestCase):
    "Test the work waiting for each user (the start page)"

    def create_data(self, company):
        """Create a user per role, two institutions and projects in every
        state that waits for someone; return the users and the projects"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Configuration = pool.get('reguarantee.configuration')
        Institution = pool.get('reguarantee.institution')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Project = pool.get('reguarantee.project')
        User = pool.get('res.user')

        configuration = Configuration(1)
        configuration.project_file_approval_amount = Decimal('5000000')
        configuration.save()
        users = dict(zip(ROLES, User.create([{
                            'login': login, 'name': login,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [
                                        ModelData.get_id(
                                            'reguarantee_base', xml_id)
                                        for xml_id in groups])],
                            } for login, groups in ROLES.items()])))
        today = dt.date.today()
        hf01, wh01 = Institution.create([{
                    'company': company.id, 'code': code, 'name': code,
                    'uscc': make_uscc(serial), 'state': 'active',
                    'license_number': 'WD-%s' % code,
                    'license_expiry': today + dt.timedelta(days=700),
                    'net_assets': Decimal('300000000'),
                    'users': [('add', [users[login].id])],
                    } for serial, (code, login) in enumerate([
                        ('HF01', 'operator'),
                        ('WH01', 'other_operator'),
                        ], 1)])
        borrower, = Borrower.create([{
                    'name': "合肥禾丰农业科技有限公司",
                    'id_number': make_uscc(501),
                    }])
        bank, = Party.create([{'name': "Bank"}])
        rows = [
            # name, institution, state, guarantee amount, days to the end
            ('draft1', hf01, 'draft', 1000, 300),
            ('draft2', hf01, 'draft', 1000, 300),
            ('submitted', hf01, 'submitted', 1000, 300),
            ('submitted_big', hf01, 'submitted', 8000000, 300),
            ('rejected', hf01, 'rejected', 1000, 300),
            ('due', hf01, 'filed', 1000, 10),
            ('overdue', hf01, 'filed', 1000, -5),
            ('filed', hf01, 'filed', 1000, 300),
            ('other_draft', wh01, 'draft', 1000, 300),
            ('other_submitted', wh01, 'submitted', 1000, 300),
            ]
        projects = dict(zip((r[0] for r in rows), Project.create([{
                            'company': company.id,
                            'institution': institution.id,
                            'borrower': borrower.id,
                            'bank': bank.id,
                            'loan_contract_number': 'L-%s' % name,
                            'loan_amount': Decimal(amount),
                            'guarantee_amount': Decimal(amount),
                            'start_date': today - dt.timedelta(days=400),
                            'end_date': today + dt.timedelta(days=days),
                            'state': state,
                            } for name, institution, state, amount, days
                        in rows])))
        return users, projects

    def work_counts(self, user):
        "Return the count of each work of the user by its XML id"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Work = pool.get('reguarantee.work')
        xml_ids = {
            d.db_id: d.fs_id for d in ModelData.search([
                    ('model', '=', 'reguarantee.work'),
                    ('module', '=', 'reguarantee_base'),
                    ])}
        with Transaction().set_user(user.id), check_access():
            works = Work.search([('mine', '=', True)])
            return {
                xml_ids[w.id]: w.record_count for w in works
                if w.id in xml_ids}

    @with_transaction()
    def test_counts_per_role(self):
        "Test each role sees its own work with the counts it may see"
        company = create_company()
        with set_company(company):
            users, _ = self.create_data(company)

            self.assertEqual(self.work_counts(users['operator']), {
                    'work_project_draft': 2,
                    'work_project_rejected': 1,
                    'work_project_release_due': 1,
                    'work_project_release_overdue': 1,
                    'work_institution_change_draft': 0,
                    'work_compensation_draft': 0,
                    })
            self.assertEqual(self.work_counts(users['other_operator']), {
                    'work_project_draft': 1,
                    'work_project_rejected': 0,
                    'work_project_release_due': 0,
                    'work_project_release_overdue': 0,
                    'work_institution_change_draft': 0,
                    'work_compensation_draft': 0,
                    })
            self.assertEqual(self.work_counts(users['business']), {
                    'work_project_draft': 3,
                    'work_project_rejected': 1,
                    'work_project_file': 3,
                    'work_project_release_due': 1,
                    'work_project_release_overdue': 1,
                    'work_institution_draft': 0,
                    'work_institution_change_draft': 0,
                    'work_contract_draft': 0,
                    'work_compensation_draft': 0,
                    'work_recovery_draft': 0,
                    })
            self.assertEqual(self.work_counts(users['risk']), {
                    'work_project_file_approval': 1,
                    'work_institution_submitted': 0,
                    'work_institution_change_submitted': 0,
                    'work_contract_approving': 0,
                    'work_compensation_submitted': 0,
                    })
            self.assertEqual(self.work_counts(users['committee']), {
                    'work_compensation_committee': 0,
                    })
            self.assertEqual(self.work_counts(users['finance']), {
                    'work_compensation_approved': 0,
                    'work_recovery_draft': 0,
                    })
            with self.assertRaises(AccessError):
                self.work_counts(users['nobody'])

    @with_transaction()
    def test_pressed_button_not_waiting(self):
        "Test a record the user approved waits no more for him"
        pool = Pool()
        ButtonClick = pool.get('ir.model.button.click')
        company = create_company()
        with set_company(company):
            users, projects = self.create_data(company)

            # The big project waits for a risk user too: it stays submitted
            with Transaction().set_user(users['business'].id):
                ButtonClick.register(
                    'reguarantee.project', 'file',
                    [projects['submitted_big']])

            self.assertEqual(
                self.work_counts(users['business'])['work_project_file'], 2)
            self.assertEqual(
                self.work_counts(users['risk'])['work_project_file_approval'],
                1)

    @with_transaction()
    def test_waiting_tab(self):
        "Test the work can be searched on its count"
        pool = Pool()
        Work = pool.get('reguarantee.work')
        company = create_company()
        with set_company(company):
            users, _ = self.create_data(company)

            with Transaction().set_user(users['operator'].id), check_access():
                works = Work.search([
                        ('mine', '=', True),
                        ('record_count', '>', 0),
                        ])
                self.assertEqual(len(works), 4)
                self.assertTrue(all(w.record_count for w in works))

    @with_transaction()
    def test_open_waiting_records(self):
        "Test opening a work lists its waiting records, without tabs"
        pool = Pool()
        ButtonClick = pool.get('ir.model.button.click')
        ModelData = pool.get('ir.model.data')
        Project = pool.get('reguarantee.project')
        Work = pool.get('reguarantee.work')
        WorkOpen = pool.get('reguarantee.work.open', type='wizard')
        company = create_company()
        with set_company(company):
            users, projects = self.create_data(company)
            with Transaction().set_user(users['business'].id):
                ButtonClick.register(
                    'reguarantee.project', 'file', [projects['submitted']])

            work = Work(ModelData.get_id(
                    'reguarantee_base', 'work_project_file'))
            with Transaction().set_user(users['business'].id), \
                    Transaction().set_context(
                        active_model='reguarantee.work',
                        active_id=work.id, active_ids=[work.id]), \
                    check_access():
                session_id, _, _ = WorkOpen.create()
                result = WorkOpen.execute(session_id, {}, 'open_')
                (action, _), = result['actions']
                domain = PYSONDecoder({}).decode(action['pyson_domain'])
                records = Project.search(domain)

        self.assertEqual(action['name'], work.name)
        self.assertEqual(action['res_model'], 'reguarantee.project')
        self.assertEqual(action['domains'], [])
        self.assertEqual(
            sorted(records), sorted([
                    projects['submitted_big'], projects['other_submitted']]))

    @with_transaction()
    def test_invalid_domain(self):
        "Test a work refuses a domain that is not one"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Work = pool.get('reguarantee.work')
        action = ModelData.get_id('reguarantee_base', 'act_project_form')

        for domain in ['[["state", "=", "submitted"]', '{"state": 1}']:
            with self.subTest(domain=domain):
                with self.assertRaises(WorkDomainError):
                    Work.create([{
                                'name': "Test", 'action': action,
                                'domain': domain,
                                }])
        Work.create([{
                    'name': "Test", 'action': action,
                    'domain': PYSONEncoder().encode(
                        [('end_date', '<', Date())]),
                    }])

    @with_transaction()
    def test_start_page_at_login(self):
        "Test My Work opens at login for the users of a re-guarantee group"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        ActWindow = pool.get('ir.action.act_window')
        company = create_company()
        with set_company(company):
            users, _ = self.create_data(company)
        action = ActWindow(ModelData.get_id('reguarantee_base', 'act_work'))

        for login in ['operator', 'business', 'risk', 'finance']:
            with self.subTest(login=login):
                with Transaction().set_user(users[login].id):
                    preferences = User.get_preferences()
                self.assertIn(action.action.id, preferences['actions'])
        with Transaction().set_user(users['nobody'].id):
            preferences = User.get_preferences()
        self.assertNotIn(action.action.id, preferences['actions'])
