# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id

fee_bill_sequence = fields.Many2One(
    'ir.sequence', "Fee Bill Sequence", required=True,
    domain=[
        ('company', 'in', [Eval('context', {}).get('company', -1), None]),
        ('sequence_type', '=',
            Id('reguarantee_fees', 'sequence_type_fee_bill')),
        ],
    help="Used to number the fee bills.")
invoice_request_sequence = fields.Many2One(
    'ir.sequence', "Invoice Request Sequence", required=True,
    domain=[
        ('company', 'in', [Eval('context', {}).get('company', -1), None]),
        ('sequence_type', '=',
            Id('reguarantee_fees', 'sequence_type_invoice_request')),
        ],
    help="Used to number the invoice requests.")


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    fee_bill_sequence = fields.MultiValue(fee_bill_sequence)
    invoice_request_sequence = fields.MultiValue(invoice_request_sequence)
    fee_invoice_grouping = fields.Selection([
            ('product', "Per Product"),
            ('project', "Per Project"),
            ], "Fee Invoice Lines", required=True,
        help="Whether a bill's invoice has one line per product (and "
        "special fee) or one line per project (and special fee).")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {'fee_bill_sequence', 'invoice_request_sequence'}:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    @classmethod
    def default_fee_invoice_grouping(cls):
        return 'product'

    @classmethod
    def default_fee_bill_sequence(cls, **pattern):
        return cls.multivalue_model(
            'fee_bill_sequence').default_fee_bill_sequence()

    @classmethod
    def default_invoice_request_sequence(cls, **pattern):
        return cls.multivalue_model(
            'invoice_request_sequence').default_invoice_request_sequence()


class ConfigurationCompany(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration.company'

    fee_bill_sequence = fields.Many2One(
        'ir.sequence', "Fee Bill Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_fees', 'sequence_type_fee_bill')),
            ])
    invoice_request_sequence = fields.Many2One(
        'ir.sequence', "Invoice Request Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('reguarantee_fees', 'sequence_type_invoice_request')),
            ])

    @classmethod
    def default_fee_bill_sequence(cls):
        return cls._default_fees_sequence('sequence_fee_bill')

    @classmethod
    def default_invoice_request_sequence(cls):
        return cls._default_fees_sequence('sequence_invoice_request')

    @classmethod
    def _default_fees_sequence(cls, xml_id):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('reguarantee_fees', xml_id)
        except KeyError:
            return None
