# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.reguarantee_base.configuration import get_secret
from trytond.pool import PoolMeta

from .exceptions import FilingConfigurationError


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    fund_url = fields.Char(
        "Fund Endpoint",
        help="The base URL of the National Fund's filing API, "
        "e.g. https://fund.example.cn/.\n"
        "Its token is read from the server's configuration: "
        "[reguarantee] fund_token or TRYTOND_REGUARANTEE__FUND_TOKEN.")
    fund_timeout = fields.Float(
        "Fund Timeout", required=True,
        domain=[('fund_timeout', '>', 0)],
        help="Seconds to wait for an answer of the National Fund.")
    fund_batch_size = fields.Integer(
        "Fund Batch Size", required=True,
        domain=[('fund_batch_size', '>', 0)],
        help="The most projects in one batch.")
    fund_max_attempts = fields.Integer(
        "Fund Attempts", required=True,
        domain=[('fund_max_attempts', '>', 0)],
        help="How many times a failed exchange is tried before the batch "
        "is marked failed.")
    fund_retry_delay = fields.Float(
        "Fund Retry Delay", required=True,
        domain=[('fund_retry_delay', '>=', 0)],
        help="Seconds before the first retry; each next one waits twice as "
        "long, at most an hour.")
    fund_poll_interval = fields.Float(
        "Fund Poll Interval", required=True,
        domain=[('fund_poll_interval', '>=', 0)],
        help="Seconds between two requests for the results of a batch.")

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        # Migration from 8.0.0: the token of the Fund is read from the
        # server's configuration, never stored in the database
        table_h.drop_column('fund_token')

    @classmethod
    def default_fund_timeout(cls):
        return 30.

    @classmethod
    def default_fund_batch_size(cls):
        return 1000

    @classmethod
    def default_fund_max_attempts(cls):
        return 8

    @classmethod
    def default_fund_retry_delay(cls):
        return 30.

    @classmethod
    def default_fund_poll_interval(cls):
        return 60.

    def get_fund_client(self):
        "Return the client of the National Fund's API"
        from .fund_client import FundClient
        token = get_secret('fund_token')
        if not self.fund_url or not token:
            raise FilingConfigurationError(gettext(
                    'reguarantee_filing.msg_fund_not_configured'))
        return FundClient(self.fund_url, token, self.fund_timeout)

    def get_retry_delay(self, attempts, retry_after=None):
        "Return the seconds to wait after the attempts-th failure"
        from trytond.modules.reguarantee_base.http_client import retry_delay
        return retry_delay(self.fund_retry_delay, attempts, retry_after)
