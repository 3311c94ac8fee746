# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from sql import Literal
from sql.conditionals import Case, Coalesce

from trytond import config
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id


def get_secret(name):
    """Return the secret of an outside system from the server's
    configuration: [reguarantee] name, or the TRYTOND_REGUARANTEE__NAME
    variable; None when it is not set"""
    return config.get('reguarantee', name) or None


def amount_field(name, string, help):
    """Return the Numeric field name of the configuration: an optional
    amount in the company currency, never negative (a threshold left empty
    means never)"""
    return fields.Numeric(
        string, digits=(16, 2),
        domain=['OR',
            (name, '=', None),
            (name, '>=', 0),
            ],
        help=help)


contract_sequence = fields.Many2One(
    'ir.sequence', "Contract Sequence", required=True,
    domain=[
        ('company', 'in', [Eval('context', {}).get('company', -1), None]),
        ('sequence_type', '=',
            Id('reguarantee_base', 'sequence_type_contract')),
        ],
    help="Used to number the re-guarantee contracts.")
project_sequence = fields.Many2One(
    'ir.sequence', "Project Sequence", required=True,
    domain=[
        ('company', 'in', [Eval('context', {}).get('company', -1), None]),
        ('sequence_type', '=',
            Id('reguarantee_base', 'sequence_type_project')),
        ],
    help="Used to number the projects.")
project_file_approval_amount = amount_field(
    'project_file_approval_amount', "Project Filing Approval Amount",
    help="Above this guarantee amount, filing a project also needs a "
    "re-guarantee risk user; leave empty for never.")
compensation_level2_amount = amount_field(
    'compensation_level2_amount', "Compensation Level 2 Amount",
    help="Above this claim amount, approving a compensation also needs a "
    "re-guarantee risk committee user; leave empty for never.")
compensation_level3_amount = amount_field(
    'compensation_level3_amount', "Compensation Level 3 Amount",
    help="Above this claim amount, approving a compensation needs two "
    "re-guarantee risk committee users; leave empty for never.")
institution_min_net_assets = amount_field(
    'institution_min_net_assets', "Minimum Net Assets",
    help="The net assets an institution must reach to be onboarded, "
    "in the company currency.")


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    __name__ = 'reguarantee.configuration'

    contract_sequence = fields.MultiValue(contract_sequence)
    project_sequence = fields.MultiValue(project_sequence)
    institution_min_net_assets = fields.MultiValue(institution_min_net_assets)
    project_file_approval_amount = fields.MultiValue(
        project_file_approval_amount)
    compensation_level2_amount = fields.MultiValue(
        compensation_level2_amount)
    compensation_level3_amount = fields.MultiValue(
        compensation_level3_amount)
    release_reminder_days = fields.Integer(
        "Release Reminder Days", required=True,
        domain=[('release_reminder_days', '>=', 0)],
        help="How many days before a project's end date its institution "
        "and the business staff are reminded to release it.")
    release_reminder_email = fields.Boolean(
        "Release Reminder E-mail",
        help="Also send the release reminders by e-mail to the users who "
        "have an e-mail address (the server needs an [email] uri).")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {
                'contract_sequence', 'project_sequence',
                'institution_min_net_assets',
                'project_file_approval_amount',
                'compensation_level2_amount',
                'compensation_level3_amount'}:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    def get_approval_level(self, amount, threshold_names, company):
        """Return the approval level of the amount: 1, or n + 1 when it is
        above the n-th company threshold of threshold_names"""
        level = 1
        for number, name in enumerate(threshold_names, 2):
            threshold = self.get_multivalue(name, company=company)
            if threshold is not None and (amount or 0) > threshold:
                level = number
        return level

    def get_approval_level_sql(self, amount, threshold_names, company):
        """Return the SQL expression of the approval level (as
        get_approval_level) of the amount column for the company column"""
        pool = Pool()
        Company = pool.get('company.company')
        whens = []
        for company_ in Company.search([]):
            for number, name in reversed(list(
                        enumerate(threshold_names, 2))):
                threshold = self.get_multivalue(name, company=company_.id)
                if threshold is not None:
                    whens.append((
                            (company == company_.id)
                            & (Coalesce(amount, 0) > threshold),
                            number))
        if not whens:
            return Literal(1)
        return Case(*whens, else_=1)

    @classmethod
    def default_release_reminder_days(cls):
        return 30

    @classmethod
    def default_release_reminder_email(cls):
        return False

    @classmethod
    def default_contract_sequence(cls, **pattern):
        return cls.multivalue_model(
            'contract_sequence').default_contract_sequence()

    @classmethod
    def default_project_sequence(cls, **pattern):
        return cls.multivalue_model(
            'project_sequence').default_project_sequence()


class ConfigurationCompany(ModelSQL, CompanyValueMixin):
    __name__ = 'reguarantee.configuration.company'

    contract_sequence = fields.Many2One(
        'ir.sequence', "Contract Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_base', 'sequence_type_contract')),
            ])
    project_sequence = fields.Many2One(
        'ir.sequence', "Project Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_base', 'sequence_type_project')),
            ])
    institution_min_net_assets = institution_min_net_assets
    project_file_approval_amount = project_file_approval_amount
    compensation_level2_amount = compensation_level2_amount
    compensation_level3_amount = compensation_level3_amount

    @classmethod
    def default_contract_sequence(cls):
        return cls._default_sequence('sequence_contract')

    @classmethod
    def default_project_sequence(cls):
        return cls._default_sequence('sequence_project')

    @classmethod
    def _default_sequence(cls, xml_id):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('reguarantee_base', xml_id)
        except KeyError:
            return None
