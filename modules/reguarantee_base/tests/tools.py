# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"Helpers for the tests of the re-guarantee modules"
import os
import unittest

from proteus import Model
from proteus.config import get_config
from trytond import config
from trytond.modules.reguarantee_base.identity import uscc_check_character
from trytond.tests.test_tryton import activate_module, drop_db
from trytond.tests.tools import set_user

__all__ = ['GROUPS', 'make_uscc', 'create_user', 'onboard', 'set_secret']

#: Names of the groups of reguarantee_base by XML id
GROUPS = {
    'group_institution_operator': "Re-guarantee Institution Operator",
    'group_business': "Re-guarantee Business",
    'group_risk': "Re-guarantee Risk",
    'group_risk_committee': "Re-guarantee Risk Committee",
    'group_finance': "Re-guarantee Finance",
    'group_admin': "Re-guarantee Administrator",
    }


def set_secret(name, value):
    """Set the secret of an outside system name (e.g. fund_token) in the
    server's configuration, [reguarantee] name, here and in the processes
    started afterwards (TRYTOND_REGUARANTEE__NAME); None unsets it"""
    if not config.has_section('reguarantee'):
        config.add_section('reguarantee')
    # an empty value is no value (configuration.get_secret)
    config.set('reguarantee', name, value or '')
    variable = 'TRYTOND_REGUARANTEE__' + name.upper()
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value


def make_uscc(serial, prefix='91340100'):
    "Return a valid USCC built from a prefix and a serial number"
    body = f'{prefix}{serial:09d}'[:17]
    return body + uscc_check_character(body)


def create_user(login, group_xml_ids, company, config=None):
    "Create a user of the company in the groups of reguarantee_base"
    User = Model.get('res.user', config=config)
    Group = Model.get('res.group', config=config)
    user = User(name=login.title(), login=login)
    for xml_id in group_xml_ids:
        group, = Group.find([('name', '=', GROUPS[xml_id])])
        user.groups.append(group)
    Company = Model.get('company.company', config=config)
    user.companies.append(Company(company.id))
    user.company = Company(company.id)
    user.save()
    return user


def onboard(institution, business, approvers, config=None):
    "Attach a document, submit the institution and approve it as each approver"
    if not config:
        config = get_config()
    user = config.user
    Attachment = Model.get('ir.attachment', config=config)
    Institution = Model.get('reguarantee.institution', config=config)
    Attachment(
        resource=institution, name='license.pdf', data=b'%PDF-1.4').save()
    set_user(business, config)
    Institution(institution.id).click('submit')
    for approver in approvers:
        set_user(approver, config)
        Institution(institution.id).click('approve')
    set_user(user, config)
    institution.reload()


class ModulesTestCase(unittest.TestCase):
    """Tests on a database of their own where the modules are activated

    A module's ModuleTestCase runs Tryton's checks of the module too; this
    runs only the tests of one subject."""
    modules = ['reguarantee_base']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(cls.modules)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()
