# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The log of the exchanges with the outside systems (http_client.py)

The logs of the exchanges with the customer management system and with the
National Fund (their own modules) keep the same HTTP fields:
ExchangeLogMixin.
A log is written by the server only: its access rights grant reading, and
check_modification refuses to change or delete a row."""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import ExchangeLogAccessError

logger = logging.getLogger(__name__)


def run_apart(func, *args, **kwargs):
    """Call func(*args, **kwargs) in a transaction of its own, committed,
    once the current transaction is over, committed or rolled back: what it
    writes (the log of an exchange, the task of a retry) survives a user's
    error

    It runs after the current transaction rather than beside it: beside it,
    a transaction could not see the records the current one has created
    and, on SQLite, would wait for it (it has one writer at a time, and
    Tryton's buttons write before their method runs) or, in memory, share
    its connection.  func must take ids or plain values, not records of the
    current transaction."""
    transaction = Transaction()
    transaction.atexit(
        _run, transaction.database.name, transaction.user,
        dict(transaction.context), func, args, kwargs)


def _run(database_name, user, context, func, args, kwargs):
    try:
        with Transaction(new=True).start(
                database_name, user, context=context):
            func(*args, **kwargs)
    except Exception:
        # the error of the current transaction, if any, goes on
        logger.exception("%s failed after the transaction", func)


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
    outcome = fields.Selection([
            ('success', "Success"),
            ('transient', "Transient Failure"),
            ('final', "Final Failure"),
            ], "Outcome", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('outcome') == 'final', 'danger',
                    If(Eval('outcome') == 'transient', 'warning', ''))),
            ]

    def get_rec_name(self, name):
        return f'{self.method} {self.url} {self.status_code or ""}'

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
