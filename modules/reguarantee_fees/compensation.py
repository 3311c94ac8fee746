# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.pool import Pool, PoolMeta


class Compensation(metaclass=PoolMeta):
    __name__ = 'reguarantee.compensation'

    @classmethod
    def pay(cls, compensations):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        super().pay(compensations)
        # the re-guarantee ends with the payment: the fees stop at the
        # default date (once the compensation is paid, which the fee
        # calculation reads)
        Fee.recalculate(list({c.project for c in compensations if c.project}))
