# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"Helpers for the tests of the re-guarantee modules"
from proteus import Model
from trytond.modules.reguarantee_base.identity import uscc_check_character

__all__ = ['GROUPS', 'make_uscc', 'create_user']

#: Names of the groups of reguarantee_base by XML id
GROUPS = {
    'group_institution_operator': "Re-guarantee Institution Operator",
    'group_business': "Re-guarantee Business",
    'group_risk': "Re-guarantee Risk",
    'group_risk_committee': "Re-guarantee Risk Committee",
    'group_finance': "Re-guarantee Finance",
    'group_admin': "Re-guarantee Administrator",
    }


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
