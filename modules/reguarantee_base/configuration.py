# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id

contract_sequence = fields.Many2One(
    'ir.sequence', "Contract Sequence", required=True,
    domain=[
        ('company', 'in', [Eval('context', {}).get('company', -1), None]),
        ('sequence_type', '=',
            Id('reguarantee_base', 'sequence_type_contract')),
        ],
    help="Used to number the re-guarantee contracts.")
institution_min_net_assets = fields.Numeric(
    "Minimum Net Assets", digits=(16, 2),
    domain=['OR',
        ('institution_min_net_assets', '=', None),
        ('institution_min_net_assets', '>=', 0),
        ],
    help="The net assets an institution must reach to be onboarded, "
    "in the company currency.")


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    __name__ = 'reguarantee.configuration'

    contract_sequence = fields.MultiValue(contract_sequence)
    institution_min_net_assets = fields.MultiValue(institution_min_net_assets)

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {'contract_sequence', 'institution_min_net_assets'}:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    @classmethod
    def default_contract_sequence(cls, **pattern):
        return cls.multivalue_model(
            'contract_sequence').default_contract_sequence()


class ConfigurationCompany(ModelSQL, CompanyValueMixin):
    __name__ = 'reguarantee.configuration.company'

    contract_sequence = fields.Many2One(
        'ir.sequence', "Contract Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_base', 'sequence_type_contract')),
            ])
    institution_min_net_assets = institution_min_net_assets

    @classmethod
    def default_contract_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('reguarantee_base', 'sequence_contract')
        except KeyError:
            return None
