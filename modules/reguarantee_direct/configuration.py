# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id


def sequence_field(string, sequence_type, help):
    "Return the Many2One of a company sequence of the configuration"
    return fields.Many2One(
        'ir.sequence', string, required=True,
        domain=[
            ('company', 'in', [Eval('context', {}).get('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_direct', sequence_type)),
            ],
        help=help)


def company_sequence_field(string, sequence_type):
    "Return the Many2One of a sequence of the company configuration"
    return fields.Many2One(
        'ir.sequence', string, required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_direct', sequence_type)),
            ])


#: The sequence fields of the configuration and their default sequence
SEQUENCES = {
    'direct_application_sequence': 'sequence_direct_application',
    'direct_contract_sequence': 'sequence_direct_contract',
    'direct_letter_sequence': 'sequence_direct_letter',
    'direct_batch_sequence': 'sequence_direct_batch',
    }


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    direct_application_sequence = fields.MultiValue(sequence_field(
            "Direct Application Sequence",
            'sequence_type_direct_application',
            help="Used to number the direct guarantee applications."))
    direct_contract_sequence = fields.MultiValue(sequence_field(
            "Direct Contract Sequence", 'sequence_type_direct_contract',
            help="Used to number the guarantee contracts of the direct "
            "guarantees."))
    direct_letter_sequence = fields.MultiValue(sequence_field(
            "Letter of Guarantee Sequence", 'sequence_type_direct_letter',
            help="Used to number the letters of guarantee."))
    direct_batch_sequence = fields.MultiValue(sequence_field(
            "Direct Batch Sequence", 'sequence_type_direct_batch',
            help="Used to number the batches of small-micro guarantees."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in SEQUENCES:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    @classmethod
    def default_direct_application_sequence(cls, **pattern):
        return cls.multivalue_model(
            'direct_application_sequence')._default_direct_sequence(
            'direct_application_sequence')

    @classmethod
    def default_direct_contract_sequence(cls, **pattern):
        return cls.multivalue_model(
            'direct_contract_sequence')._default_direct_sequence(
            'direct_contract_sequence')

    @classmethod
    def default_direct_letter_sequence(cls, **pattern):
        return cls.multivalue_model(
            'direct_letter_sequence')._default_direct_sequence(
            'direct_letter_sequence')

    @classmethod
    def default_direct_batch_sequence(cls, **pattern):
        return cls.multivalue_model(
            'direct_batch_sequence')._default_direct_sequence(
            'direct_batch_sequence')


class ConfigurationCompany(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration.company'

    direct_application_sequence = company_sequence_field(
        "Direct Application Sequence", 'sequence_type_direct_application')
    direct_contract_sequence = company_sequence_field(
        "Direct Contract Sequence", 'sequence_type_direct_contract')
    direct_letter_sequence = company_sequence_field(
        "Letter of Guarantee Sequence", 'sequence_type_direct_letter')
    direct_batch_sequence = company_sequence_field(
        "Direct Batch Sequence", 'sequence_type_direct_batch')

    @classmethod
    def default_direct_application_sequence(cls):
        return cls._default_direct_sequence('direct_application_sequence')

    @classmethod
    def default_direct_contract_sequence(cls):
        return cls._default_direct_sequence('direct_contract_sequence')

    @classmethod
    def default_direct_letter_sequence(cls):
        return cls._default_direct_sequence('direct_letter_sequence')

    @classmethod
    def default_direct_batch_sequence(cls):
        return cls._default_direct_sequence('direct_batch_sequence')

    @classmethod
    def _default_direct_sequence(cls, field):
        "Return the id of the default sequence of the field"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('reguarantee_direct', SEQUENCES[field])
        except KeyError:
            return None
