# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.modules.reguarantee_base.configuration import get_secret
from trytond.modules.reguarantee_base.http_client import retry_delay
from trytond.pool import PoolMeta
from trytond.transaction import without_check_access

from .cms_client import CMSClient


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    cms_url = fields.Char(
        "CMS Endpoint",
        help="The base URL of the customer management system, "
        "e.g. https://cms.example.cn/; leave empty to work without it.\n"
        "Its token is read from the server's configuration: "
        "[reguarantee] cms_token or TRYTOND_REGUARANTEE__CMS_TOKEN.")
    cms_timeout = fields.Float(
        "CMS Timeout", required=True,
        domain=[('cms_timeout', '>', 0)],
        help="Seconds to wait for an answer of the customer management "
        "system.")
    cms_max_attempts = fields.Integer(
        "CMS Attempts", required=True,
        domain=[('cms_max_attempts', '>', 0)],
        help="How many times pushing an institution to the customer "
        "management system is tried before it is marked failed.")
    cms_retry_delay = fields.Float(
        "CMS Retry Delay", required=True,
        domain=[('cms_retry_delay', '>=', 0)],
        help="Seconds before the first retry; each next one waits twice as "
        "long, at most an hour.")

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        # Migration from 8.0.0: the token of the CMS is read from the
        # server's configuration, never stored in the database
        table_h.drop_column('cms_token')

    @classmethod
    def default_cms_timeout(cls):
        return 10.

    @classmethod
    def default_cms_max_attempts(cls):
        return 8

    @classmethod
    def default_cms_retry_delay(cls):
        return 30.

    def get_cms_client(self):
        "Return the client of the CMS, or None when it is not configured"
        with without_check_access():
            url = self.cms_url
        token = get_secret('cms_token')
        if url and token:
            return CMSClient(url, token, self.cms_timeout)

    def get_cms_retry_delay(self, attempts, retry_after=None):
        "Return the seconds to wait after the attempts-th failure"
        return retry_delay(self.cms_retry_delay, attempts, retry_after)
