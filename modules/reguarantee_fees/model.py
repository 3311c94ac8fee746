# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.pool import Pool
from trytond.transaction import Transaction


class SequenceNumberMixin:
    """Number the new records from the company's sequence of the
    re-guarantee configuration field _number_sequence"""
    __slots__ = ()
    _number_sequence = None

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            company_id = values.get(
                'company', Transaction().context.get('company'))
            if company_id is not None:
                sequence = Configuration(1).get_multivalue(
                    cls._number_sequence, company=company_id)
                if sequence:
                    values['number'] = sequence.get()
        return values
