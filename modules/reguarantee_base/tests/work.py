# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access


class WorkTestMixin:
    "Check the waiting work of the module counts and opens for its users"

    @with_transaction()
    def test_work_counts(self):
        "Test each waiting work of the module is counted and opened"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Work = pool.get('reguarantee.work')

        works = Work.browse([d.db_id for d in ModelData.search([
                        ('model', '=', Work.__name__),
                        ('module', '=', self.module),
                        ])])
        self.assertTrue(works)
        company = create_company()
        with set_company(company):
            for work in works:
                groups = work.groups or work.button.groups
                self.assertTrue(groups, msg=work.name)
                user, = User.create([{
                            'login': 'work-%s' % work.id,
                            'name': work.name,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [g.id for g in groups])],
                            }])
                with Transaction().set_user(user.id), check_access():
                    mine = Work.search([('mine', '=', True)])
                    self.assertIn(work, mine, msg=work.name)
                    work = Work(work.id)
                    self.assertEqual(work.record_count, 0, msg=work.name)
                    action = work.get_action_value()
                    Model = pool.get(action['res_model'])
                    self.assertEqual(Model.search(PYSONDecoder({}).decode(
                                action['pyson_domain'])), [])
