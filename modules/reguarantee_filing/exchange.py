# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.reguarantee_base.exchange import ExchangeLogMixin


class Exchange(ExchangeLogMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.filing.exchange'

    batch = fields.Many2One(
        'reguarantee.filing.batch', "Batch", required=True,
        ondelete='RESTRICT', readonly=True)
    kind = fields.Selection([
            ('submit', "Submission"),
            ('poll', "Results"),
            ], "Kind", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.batch, Index.Range())))

    def get_rec_name(self, name):
        return f'{self.batch.rec_name} {self.method} {self.status_code or ""}'
