# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction


class Project(metaclass=PoolMeta):
    __name__ = 'reguarantee.project'

    fees = fields.One2Many(
        'reguarantee.fee', 'project', "Fees", readonly=True)

    @classmethod
    def get_fee_rates(cls, projects, date):
        """Return the annual fee rate of each project on date as a
        dictionary {project id: Decimal}

        The fee run calls it once per batch of projects.  This returns the
        product's fee rate; other modules override it to adjust the rate
        (e.g. by the institution's risk tier effective on date)."""
        pool = Pool()
        Product = pool.get('reguarantee.product')
        project = cls.__table__()
        product = Product.__table__()
        cursor = Transaction().connection.cursor()
        rates = {}
        for sub_ids in grouped_slice(
                [p.id for p in projects], backend.MAX_QUERY_PARAMS):
            cursor.execute(*project.join(
                    product, condition=project.product == product.id
                    ).select(
                    project.id, product.fee_rate,
                    where=project.id.in_(list(sub_ids))))
            rates.update(cursor)
        return rates

    @classmethod
    def do_release(cls, projects, date, type_):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        super().do_release(projects, date, type_)
        # a release entered late ends the cover in the past
        Fee.recalculate(projects)

    @classmethod
    def copy(cls, projects, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('fees', None)
        return super().copy(projects, default=default)
