# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.configuration import get_secret
from trytond.modules.reguarantee_base.http_client import retry_delay
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import CreditConfigurationError

#: The kinds of business whose look-ups are refreshed on their own period:
#: the field refresh_<kind> of the provider holds its days
BUSINESSES = [
    ('reguarantee', "Re-guarantee"),
    ('direct', "Direct Guarantee"),
    ('committee', "Committee Review"),
    ('screening', "Letter Screening"),
    ('manual', "Manual"),
    ]


class Provider(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.credit.provider'

    company = fields.Many2One(
        'company.company', "Company", required=True)
    name = fields.Char("Name", required=True)
    url = fields.Char(
        "URL", required=True,
        help="The base URL of the provider's API, e.g. "
        "https://credit.example.cn/.")
    token_name = fields.Char(
        "Token Name", required=True,
        help="The key of the server's configuration [reguarantee] that "
        "holds the token (or the variable TRYTOND_REGUARANTEE__<KEY>); "
        "never stored in the database.")
    timeout = fields.Float(
        "Timeout", required=True, domain=[('timeout', '>', 0)],
        help="Seconds to wait for an answer.")
    workers = fields.Integer(
        "Concurrent Look-ups", required=True,
        domain=[('workers', '>', 0)],
        help="How many look-ups are asked at once.")
    max_attempts = fields.Integer(
        "Attempts", required=True, domain=[('max_attempts', '>', 0)],
        help="How many times a look-up that failed transiently is asked "
        "before it is given up.")
    retry_delay = fields.Float(
        "Retry Delay", required=True, domain=[('retry_delay', '>=', 0)],
        help="Seconds before the first retry; each next one waits twice as "
        "long, at most an hour.")
    daily_quota = fields.Integer(
        "Daily Quota", domain=['OR',
            ('daily_quota', '=', None),
            ('daily_quota', '>=', 0),
            ],
        help="The most look-ups charged a day; no limit when empty.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    cost = Monetary(
        "Cost per Look-up", currency='currency', digits='currency',
        required=True,
        help="The contract's price; each look-up keeps the cost the "
        "provider answered.")
    refresh_reguarantee = fields.Integer(
        "Re-guarantee Refresh", required=True,
        domain=[('refresh_reguarantee', '>=', 0)],
        help="Days a look-up is reused for re-guarantee borrowers; "
        "0 always asks the provider.")
    refresh_direct = fields.Integer(
        "Direct Guarantee Refresh", required=True,
        domain=[('refresh_direct', '>=', 0)],
        help="Days a look-up is reused for direct guarantees; "
        "0 always asks the provider.")
    refresh_committee = fields.Integer(
        "Committee Refresh", required=True,
        domain=[('refresh_committee', '>=', 0)],
        help="Days a look-up is reused for a committee meeting; "
        "0 always asks the provider.")
    refresh_screening = fields.Integer(
        "Screening Refresh", required=True,
        domain=[('refresh_screening', '>=', 0)],
        help="Days a look-up is reused for letter screening; "
        "0 always asks the provider.")
    refresh_manual = fields.Integer(
        "Manual Refresh", required=True,
        domain=[('refresh_manual', '>=', 0)],
        help="Days a look-up is reused when a user asks for one; "
        "0 always asks the provider.")
    used_today = fields.Function(
        fields.Integer(
            "Used Today", help="The look-ups charged today."),
        'get_used_today')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_token_name(cls):
        return 'credit_token'

    @classmethod
    def default_timeout(cls):
        return 10.

    @classmethod
    def default_workers(cls):
        return 16

    @classmethod
    def default_max_attempts(cls):
        return 5

    @classmethod
    def default_retry_delay(cls):
        return 60.

    @classmethod
    def default_cost(cls):
        return 0

    @classmethod
    def default_refresh_reguarantee(cls):
        return 90

    @classmethod
    def default_refresh_direct(cls):
        return 30

    @classmethod
    def default_refresh_committee(cls):
        return 0

    @classmethod
    def default_refresh_screening(cls):
        return 30

    @classmethod
    def default_refresh_manual(cls):
        return 0

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def get_default(cls, company=None):
        "Return the active provider of the company (of the context)"
        company = company or Transaction().context.get('company')
        providers = cls.search(
            [('company', '=', company)], order=[('id', 'ASC')], limit=1)
        if not providers:
            raise CreditConfigurationError(gettext(
                    'reguarantee_credit.msg_provider_missing'))
        return providers[0]

    def get_token(self):
        token = get_secret(self.token_name)
        if not token:
            raise CreditConfigurationError(gettext(
                    'reguarantee_credit.msg_provider_token',
                    provider=self.rec_name, name=self.token_name))
        return token

    def get_refresh_days(self, business):
        "Return the days a look-up is reused for the kind of business"
        return getattr(self, f'refresh_{business}', 0) or 0

    def get_retry_delay(self, attempts, retry_after=None):
        "Return the seconds to wait after the attempts-th failure"
        return retry_delay(self.retry_delay, attempts, retry_after)

    @classmethod
    def get_used(cls, providers, date):
        "Return the look-ups charged on date by provider id"
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        lookup = Lookup.__table__()
        cursor = Transaction().connection.cursor()
        start = dt.datetime.combine(date, dt.time())
        used = {p.id: 0 for p in providers}
        cursor.execute(*lookup.select(
                lookup.provider, Count(lookup.id),
                where=lookup.provider.in_(list(used))
                & (lookup.charged == True)  # noqa: E712
                & (lookup.date >= start)
                & (lookup.date < start + dt.timedelta(days=1)),
                group_by=[lookup.provider]))
        used.update(cursor)
        return used

    @classmethod
    def get_used_today(cls, providers, name):
        return cls.get_used(providers, dt.date.today())

    def get_available(self, date=None):
        "Return how many look-ups may still be charged on date, None: any"
        if self.daily_quota is None:
            return None
        date = date or dt.date.today()
        return max(self.daily_quota - self.get_used([self], date)[self.id], 0)
