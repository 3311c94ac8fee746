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


#: The accounts booking the deposits: field name → (string, help)
DEPOSIT_ACCOUNTS = {
    'deposit_account': (
        "Deposit Account",
        "The liability account holding the deposits received (存入保证金). "
        "Leave empty not to book the deposits."),
    'deposit_cash_account': (
        "Deposit Cash Account",
        "The bank account the deposits are received on and refunded "
        "from."),
    'deposit_applied_account': (
        "Applied Deposit Account",
        "The account credited with the deposits applied against a "
        "compensation: the claim on the borrower for the compensation paid "
        "(代偿款)."),
    }
#: The fields of the configuration booking the deposits
DEPOSIT_FIELDS = {'deposit_journal', *DEPOSIT_ACCOUNTS}


def account_field(name, company):
    "Return the Many2One of the deposit account name of the company"
    string, help = DEPOSIT_ACCOUNTS[name]
    return fields.Many2One(
        'account.account', string, ondelete='RESTRICT',
        domain=[
            ('company', '=', company),
            ('closed', '!=', True),
            ('type', '!=', None),
            ],
        help=help)


def journal_field():
    "Return the Many2One of the journal of the deposits"
    return fields.Many2One(
        'account.journal', "Deposit Journal", ondelete='RESTRICT',
        help="The journal of the deposits' moves.")


#: The sequence fields of the configuration and their default sequence
SEQUENCES = {
    'direct_application_sequence': 'sequence_direct_application',
    'direct_contract_sequence': 'sequence_direct_contract',
    'direct_letter_sequence': 'sequence_direct_letter',
    'direct_batch_sequence': 'sequence_direct_batch',
    'direct_deposit_sequence': 'sequence_direct_deposit',
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
    direct_deposit_sequence = fields.MultiValue(sequence_field(
            "Deposit Sequence", 'sequence_type_direct_deposit',
            help="Used to number the deposits (the receipts' numbers)."))
    deposit_journal = fields.MultiValue(journal_field())
    deposit_account = fields.MultiValue(account_field(
            'deposit_account', Eval('context', {}).get('company', -1)))
    deposit_cash_account = fields.MultiValue(account_field(
            'deposit_cash_account', Eval('context', {}).get('company', -1)))
    deposit_applied_account = fields.MultiValue(account_field(
            'deposit_applied_account',
            Eval('context', {}).get('company', -1)))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in SEQUENCES or field in DEPOSIT_FIELDS:
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

    @classmethod
    def default_direct_deposit_sequence(cls, **pattern):
        return cls.multivalue_model(
            'direct_deposit_sequence')._default_direct_sequence(
            'direct_deposit_sequence')


class ConfigurationCompany(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration.company'

    deposit_journal = journal_field()
    deposit_account = account_field('deposit_account', Eval('company', -1))
    deposit_cash_account = account_field(
        'deposit_cash_account', Eval('company', -1))
    deposit_applied_account = account_field(
        'deposit_applied_account', Eval('company', -1))

    direct_application_sequence = company_sequence_field(
        "Direct Application Sequence", 'sequence_type_direct_application')
    direct_contract_sequence = company_sequence_field(
        "Direct Contract Sequence", 'sequence_type_direct_contract')
    direct_letter_sequence = company_sequence_field(
        "Letter of Guarantee Sequence", 'sequence_type_direct_letter')
    direct_batch_sequence = company_sequence_field(
        "Direct Batch Sequence", 'sequence_type_direct_batch')
    direct_deposit_sequence = company_sequence_field(
        "Deposit Sequence", 'sequence_type_direct_deposit')

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
    def default_direct_deposit_sequence(cls):
        return cls._default_direct_sequence('direct_deposit_sequence')

    @classmethod
    def _default_direct_sequence(cls, field):
        "Return the id of the default sequence of the field"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('reguarantee_direct', SEQUENCES[field])
        except KeyError:
            return None
