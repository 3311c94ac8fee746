# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The credit bureau (征信中心) the company reports its guarantee accounts to,
and the log of the exchanges with it"""
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, fields
from trytond.modules.reguarantee_base.configuration import get_secret
from trytond.modules.reguarantee_base.exchange import ExchangeLogMixin
from trytond.modules.reguarantee_base.http_client import retry_delay
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from .exceptions import CreditConfigurationError


class Bureau(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.bureau'

    company = fields.Many2One(
        'company.company', "Company", required=True)
    name = fields.Char("Name", required=True)
    url = fields.Char(
        "URL", required=True,
        help="The base URL of the bureau's reporting API, e.g. "
        "https://bureau.example.cn/.")
    token_name = fields.Char(
        "Token Name", required=True,
        help="The key of the server's configuration [reguarantee] that "
        "holds the token (or the variable TRYTOND_REGUARANTEE__<KEY>); "
        "never stored in the database.")
    provider_code = fields.Char(
        "Data Provider Code", required=True, size=14,
        help="The 14-character code the bureau gave the company as a data "
        "provider, written in the header of every file.")
    timeout = fields.Float(
        "Timeout", required=True, domain=[('timeout', '>', 0)],
        help="Seconds to wait for an answer.")
    max_attempts = fields.Integer(
        "Attempts", required=True, domain=[('max_attempts', '>', 0)],
        help="How many times a failed exchange is tried before the file "
        "is marked failed.")
    retry_delay = fields.Float(
        "Retry Delay", required=True, domain=[('retry_delay', '>=', 0)],
        help="Seconds before the first retry; each next one waits twice as "
        "long, at most an hour.")
    poll_interval = fields.Float(
        "Feedback Interval", required=True,
        domain=[('poll_interval', '>=', 0)],
        help="Seconds between two requests for the feedback of a file.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_token_name(cls):
        return 'credit_bureau_token'

    @classmethod
    def default_timeout(cls):
        return 30.

    @classmethod
    def default_max_attempts(cls):
        return 8

    @classmethod
    def default_retry_delay(cls):
        return 30.

    @classmethod
    def default_poll_interval(cls):
        return 60.

    @classmethod
    def get_default(cls, company):
        "Return the active bureau of the company"
        bureaus = cls.search(
            [('company', '=', company.id)], order=[('id', 'ASC')], limit=1)
        if not bureaus:
            raise CreditConfigurationError(gettext(
                    'reguarantee_credit.msg_bureau_missing',
                    company=company.rec_name))
        return bureaus[0]

    def get_client(self):
        "Return the client of the bureau's API"
        from .bureau_client import BureauClient
        token = get_secret(self.token_name)
        if not token:
            raise CreditConfigurationError(gettext(
                    'reguarantee_credit.msg_provider_token',
                    provider=self.rec_name, name=self.token_name))
        return BureauClient(self.url, token, self.timeout)

    def get_retry_delay(self, attempts, retry_after=None):
        "Return the seconds to wait after the attempts-th failure"
        return retry_delay(self.retry_delay, attempts, retry_after)


class BureauExchange(ExchangeLogMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.bureau.exchange'

    bureau = fields.Many2One(
        'reguarantee.credit.bureau', "Bureau", readonly=True,
        ondelete='RESTRICT')
    report = fields.Many2One(
        'reguarantee.credit.report', "Report", readonly=True,
        ondelete='RESTRICT')
    file = fields.Many2One(
        'reguarantee.credit.report.file', "File", readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection([
            ('submit', "Submission"),
            ('feedback', "Feedback"),
            ], "Kind", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.file, Index.Range())),
                Index(t, (t.report, Index.Range())),
                })

    @classmethod
    def log_apart(cls, values):
        """Create the log of values (run_apart: in a transaction of its own
        once the exchange's is over)"""
        pool = Pool()
        File = pool.get('reguarantee.credit.report.file')
        with without_check_access():
            # as ir.queue does: the file may be gone with the transaction
            # that created it; the exchange is logged all the same
            if values.get('file') and not File.search(
                    [('id', '=', values['file'])]):
                values = dict(values, file=None, report=None)
            cls.create([values])
