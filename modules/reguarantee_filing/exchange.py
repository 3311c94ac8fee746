# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields

from .exceptions import ExchangeAccessError


class Exchange(ModelSQL, ModelView):
    __name__ = 'reguarantee.filing.exchange'

    batch = fields.Many2One(
        'reguarantee.filing.batch', "Batch", required=True,
        ondelete='RESTRICT', readonly=True)
    kind = fields.Selection([
            ('submit', "Submission"),
            ('poll', "Results"),
            ], "Kind", required=True, readonly=True)
    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    method = fields.Char("Method", readonly=True)
    url = fields.Char("URL", readonly=True)
    idempotency_key = fields.Char("Idempotency Key", readonly=True)
    request_body = fields.Text("Request", readonly=True)
    status_code = fields.Integer("HTTP Status", readonly=True)
    response_body = fields.Text("Response", readonly=True)
    error = fields.Text("Error", readonly=True)
    duration = fields.Float(
        "Duration (ms)", digits=(16, 1), readonly=True)
    outcome = fields.Selection([
            ('success', "Success"),
            ('transient', "Transient Failure"),
            ('final', "Final Failure"),
            ], "Outcome", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.batch, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return f'{self.batch.rec_name} {self.method} {self.status_code or ""}'

    @classmethod
    def check_modification(cls, mode, exchanges, values=None, external=False):
        super().check_modification(
            mode, exchanges, values=values, external=external)
        if mode in {'write', 'delete'}:
            raise ExchangeAccessError(gettext(
                    'reguarantee_filing.msg_exchange_read_only'))
