# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.model import fields
from trytond.modules.reguarantee_base.configuration import amount_field
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

RATE_DIGITS = (16, 6)

net_assets = amount_field(
    'net_assets', "Net Assets",
    help="The net assets of the re-guarantor, against which its leverage "
    "and concentration are measured.")
small_micro_agriculture = fields.Boolean(
    "Small/Micro and Agriculture",
    help="Check if the re-guarantor mainly serves small and micro "
    "enterprises and agriculture (leverage limit 15× instead of 10×).")
npa_admin_amount = amount_field(
    'npa_admin_amount', "NPA Disposal Administrator Amount",
    help="Above this book amount, a disposal of a non-performing asset "
    "is approved by a re-guarantee administrator too; leave empty for "
    "never.")
#: The fields of the configuration kept per company
COMPANY_FIELDS = {'net_assets', 'small_micro_agriculture', 'npa_admin_amount'}


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    net_assets = fields.MultiValue(net_assets)
    small_micro_agriculture = fields.MultiValue(small_micro_agriculture)
    npa_admin_amount = fields.MultiValue(npa_admin_amount)
    quota_warning_rate = fields.Numeric(
        "Quota Warning Rate", digits=RATE_DIGITS, required=True,
        domain=[
            ('quota_warning_rate', '>', 0),
            ('quota_warning_rate', '<=', Eval('quota_alert_rate')),
            ],
        help="The use of a quota from which the risk staff is warned.")
    quota_alert_rate = fields.Numeric(
        "Quota Alert Rate", digits=RATE_DIGITS, required=True,
        domain=[
            ('quota_alert_rate', '>', 0),
            ('quota_alert_rate', '<=', 1),
            ],
        help="The use of a quota from which the risk staff is warned again.")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in COMPANY_FIELDS:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    @classmethod
    def default_small_micro_agriculture(cls, **pattern):
        return False

    @classmethod
    def default_quota_warning_rate(cls):
        return Decimal('0.8')

    @classmethod
    def default_quota_alert_rate(cls):
        return Decimal('0.95')

    @property
    def quota_thresholds(self):
        "The rates of use of a quota at which the risk staff is warned"
        return sorted({self.quota_warning_rate, self.quota_alert_rate})


class ConfigurationCompany(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration.company'

    net_assets = net_assets
    small_micro_agriculture = small_micro_agriculture
    npa_admin_amount = npa_admin_amount

    @classmethod
    def default_small_micro_agriculture(cls):
        return False
