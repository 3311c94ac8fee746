# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The institutions in the customer management system: the look-up of the
USCC at submission and the pushes of their data (cms.py)"""
import datetime as dt
from decimal import Decimal

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.reguarantee_base.exchange import run_apart
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .cms import CMS_STATUS, SOURCE_SYSTEM
from .exceptions import CMSDuplicateError, CMSUnavailableError, CMSWarning

#: How long a successful look-up (a retry's) serves the submissions
LOOKUP_VALIDITY = dt.timedelta(minutes=15)


class Institution(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution'

    cms_customer = fields.Function(
        fields.Char(
            "CMS Customer",
            help="The identifier of the institution in the customer "
            "management system."),
        'get_cms_sync')
    cms_state = fields.Function(
        fields.Selection([
                (None, ""),
                ('pending', "Pending"),
                ('synced', "Synchronised"),
                ('failed', "Failed"),
                ], "CMS Synchronisation",
            help="Whether the customer management system holds the "
            "institution's latest data."),
        'get_cms_sync')
    cms_logs = fields.One2Many(
        'reguarantee.cms.sync.log', 'institution', "CMS Log", readonly=True,
        help="Every exchange with the customer management system.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'cms_sync': {
                    'invisible': ~Eval('state').in_(list(CMS_STATUS)),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def get_cms_sync(cls, institutions, names):
        pool = Pool()
        Sync = pool.get('reguarantee.cms.sync')
        result = {n: dict.fromkeys(map(int, institutions)) for n in names}
        with without_check_access():
            syncs = Sync.search([
                    ('institution', 'in', list(map(int, institutions))),
                    ])
        for sync in syncs:
            if 'cms_customer' in result:
                result['cms_customer'][sync.institution.id] = sync.customer
            if 'cms_state' in result:
                result['cms_state'][sync.institution.id] = sync.state
        return result

    @classmethod
    def copy(cls, institutions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('cms_logs', None)
        return super().copy(institutions, default=default)

    def get_cms_values(self):
        "Return the customer of the CMS for the institution (a PUT body)"
        digits = self.currency.digits if self.currency else 2

        def text(value):
            if value is None:
                return None
            elif isinstance(value, dt.date):
                return value.isoformat()
            return str(Decimal(value).quantize(Decimal(1).scaleb(-digits)))
        return {
            'name': self.name,
            'registeredCapital': text(self.registered_capital),
            'netAssets': text(self.net_assets),
            'region': self.region,
            'licenseNumber': self.license_number,
            'licenseExpiry': text(self.license_expiry),
            'status': CMS_STATUS.get(self.state, 'active'),
            'sourceSystem': SOURCE_SYSTEM,
            'sourceId': str(self.id),
            }

    def check_onboarding(self):
        super().check_onboarding()
        # Submitted only once: at approval the check is not repeated
        if self.state == 'draft':
            self.check_cms_uniqueness()

    def check_cms_uniqueness(self):
        """Check that the CMS knows no other customer with the USCC

        Skipped when the CMS is not configured.  A customer of another
        source system is a warning (the push will update it), another
        institution of this system an error.  The CMS is asked once; the
        exchange is logged in a transaction of its own (a failure's log
        survives the user's error), a failure's retries are queued and the
        answer of a retry serves the next submission (LOOKUP_VALIDITY)."""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Log = pool.get('reguarantee.cms.sync.log')
        Warning = pool.get('res.user.warning')
        client = Configuration(1).get_cms_client()
        if client is None:
            return
        with without_check_access():
            found, customer = Log.get_lookup(
                self, client.customer_url(self.uscc),
                dt.datetime.now() - LOOKUP_VALIDITY)
        if not found:
            answer = self.lookup_cms(client, attempt=1, apart=True)
            if answer.outcome != 'success':
                raise CMSUnavailableError(gettext(
                        'reguarantee_cms.msg_institution_cms_unavailable',
                        institution=self.rec_name,
                        error=answer.error or answer.status_code))
            customer = answer.data
        if not customer:
            return
        source = customer.get('sourceSystem')
        if source == SOURCE_SYSTEM and customer.get('sourceId') == str(
                self.id):
            return
        params = {
            'institution': self.rec_name,
            'uscc': self.uscc,
            'customer': customer.get('customerId', ''),
            'name': customer.get('name', ''),
            'source': source or '',
            }
        if source == SOURCE_SYSTEM:
            raise CMSDuplicateError(gettext(
                    'reguarantee_cms.msg_institution_cms_duplicate',
                    **params))
        key = Warning.format('reguarantee_cms_customer', [self])
        if Warning.check(key):
            raise CMSWarning(key, gettext(
                    'reguarantee_cms.msg_institution_cms_customer',
                    **params))

    def lookup_cms(self, client, attempt, apart=False):
        """Look the USCC up in the CMS, log the exchange and queue a retry of
        a transient failure, in a transaction of their own when apart
        (run_apart); return the Answer"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        answer = client.get_customer(self.uscc)
        retry = (
            answer.outcome == 'transient'
            and attempt < configuration.cms_max_attempts
            # Without a worker the task would run at once, without delay:
            # the next submission looks up again instead
            and config.getboolean('queue', 'worker', default=False))
        if answer.outcome == 'success':
            state = 'success'
        else:
            state = 'retry' if retry else 'failed'
        delay = configuration.get_cms_retry_delay(
            attempt, answer.retry_after) if retry else None
        args = (
            self.id, answer, state, attempt, dt.datetime.now(), delay)
        if apart:
            # The log and the retry survive the user's error
            run_apart(self.__class__.log_cms_lookup, *args)
        else:
            self.__class__.log_cms_lookup(*args)
        return answer

    @classmethod
    def log_cms_lookup(cls, institution_id, answer, state, attempt, date,
            retry_delay=None):
        """Log the look-up's answer and queue its retry in retry_delay
        seconds"""
        pool = Pool()
        Log = pool.get('reguarantee.cms.sync.log')
        with without_check_access():
            # as ir.queue does: the institution may be gone with the
            # transaction that created it
            if not cls.search([('id', '=', institution_id)]):
                return
            institution = cls(institution_id)
            Log.add(institution, 'lookup', answer, state, attempt=attempt,
                date=date)
            if retry_delay is not None:
                with Transaction().set_context(
                        queue_scheduled_at=dt.timedelta(
                            seconds=retry_delay)):
                    cls.__queue__.retry_cms_lookup(
                        [institution], attempt + 1)

    @classmethod
    def retry_cms_lookup(cls, institutions, attempt):
        """Look the USCC of the draft institutions up again (queue task): a
        success serves their next submission"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        client = Configuration(1).get_cms_client()
        if client is None:
            return
        for institution in institutions:
            if institution.state == 'draft':
                institution.lookup_cms(client, attempt)

    @classmethod
    def approve(cls, institutions):
        super().approve(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def suspend(cls, institutions):
        super().suspend(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def reactivate(cls, institutions):
        super().reactivate(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    def deregister(cls, institutions):
        super().deregister(institutions)
        cls.request_cms_sync(institutions)

    @classmethod
    @ModelView.button
    def cms_sync(cls, institutions):
        cls.request_cms_sync(institutions)

    @classmethod
    def request_cms_sync(cls, institutions):
        """Queue a push to the CMS of those of the institutions in a state
        the CMS knows"""
        pool = Pool()
        Sync = pool.get('reguarantee.cms.sync')
        # the button rules may have left some in their state
        institutions = cls.browse(institutions)
        with without_check_access():
            Sync.request([i for i in institutions if i.state in CMS_STATUS])


class InstitutionChange(metaclass=PoolMeta):
    __name__ = 'reguarantee.institution.change'

    @classmethod
    def approve(cls, changes):
        pool = Pool()
        Institution = pool.get('reguarantee.institution')
        super().approve(changes)
        Institution.request_cms_sync(list({
                    c.institution for c in cls.browse(changes)
                    if c.state == 'approved'}))
