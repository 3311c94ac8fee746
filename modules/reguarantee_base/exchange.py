# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The log of the exchanges with the outside systems (http_client.py)

The customer management system's log (reguarantee_cms) and the National
Fund's (reguarantee_filing) keep the same HTTP fields: ExchangeLogMixin.
A log is written by the server only: its access rights grant reading, and
check_modification refuses to change or delete a row."""
import datetime as dt
from contextlib import contextmanager

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.transaction import Transaction

from .exceptions import ExchangeLogAccessError


@contextmanager
def transaction_apart():
    """Run the block in a transaction of its own, committed at its end: what
    it writes (the log of an exchange, the task of a retry) survives a
    rollback of the current transaction (a user's error)

    SQLite has one writer at a time: once the current transaction has
    written, a transaction of its own would wait for it (and, in memory,
    would share its connection and commit it), so the block then runs in the
    current transaction."""
    transaction = Transaction()
    if backend.name == 'sqlite' and transaction.connection.in_transaction:
        yield transaction
        return
    with transaction.new_transaction() as new_transaction:
        yield new_transaction
        new_transaction.commit()


class ExchangeLogMixin:
    "One HTTP exchange with an outside system (an Answer of http_client)"
    __slots__ = ()

    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    method = fields.Char("Method", readonly=True)
    url = fields.Char("URL", readonly=True)
    idempotency_key = fields.Char("Idempotency Key", readonly=True)
    request_body = fields.Text("Request", readonly=True)
    status_code = fields.Integer("HTTP Status", readonly=True)
    response_body = fields.Text("Response", readonly=True)
    error = fields.Text("Error", readonly=True)
    duration = fields.Float("Duration (ms)", digits=(16, 1), readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        super().check_modification(
            mode, logs, values=values, external=external)
        if mode in {'write', 'delete'}:
            raise ExchangeLogAccessError(gettext(
                    'reguarantee_base.msg_exchange_log_read_only',
                    **cls.__names__()))

    @classmethod
    def get_exchange_values(cls, answer):
        "Return the values of a log of the answer"
        return {
            'date': dt.datetime.now(),
            # the cron and the queue run as root, whose name is no user's
            'user': Transaction().user or None,
            **answer.log_values(),
            }

    @classmethod
    def log_exchange(cls, answer, **values):
        "Log the exchange of the answer in the current transaction"
        log, = cls.create([{**cls.get_exchange_values(answer), **values}])
        return log
