# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.modules.currency.fields import Monetary
from trytond.transaction import Transaction

from .exceptions import AmountError, DateOrderError, ShareError
from .model import RecNamesSearchMixin

BORROWER_KINDS = [
    ('enterprise', "Enterprise"),
    ('individual_business', "Individual Business"),
    ('farmer', "Farmer"),
    ('person', "Person"),
    ]
#: Sections of the Industrial classification for national economic
#: activities (GB/T 4754-2017)
INDUSTRY_SECTIONS = [
    ('A', "A Agriculture, Forestry, Animal Husbandry and Fishery"),
    ('B', "B Mining"),
    ('C', "C Manufacturing"),
    ('D', "D Electricity, Heat, Gas and Water Supply"),
    ('E', "E Construction"),
    ('F', "F Wholesale and Retail Trade"),
    ('G', "G Transport, Storage and Post"),
    ('H', "H Accommodation and Catering"),
    ('I', "I Information Transmission, Software and IT Services"),
    ('J', "J Finance"),
    ('K', "K Real Estate"),
    ('L', "L Leasing and Business Services"),
    ('M', "M Scientific Research and Technical Services"),
    ('N', "N Water Conservancy, Environment and Public Facilities"),
    ('O', "O Resident Services, Repair and Other Services"),
    ('P', "P Education"),
    ('Q', "Q Health and Social Work"),
    ('R', "R Culture, Sports and Entertainment"),
    ('S', "S Public Management, Social Security and Social Organization"),
    ('T', "T International Organizations"),
    ]
SHARE_FIELDS = [
    'share_institution', 'share_reguarantor', 'share_fund', 'share_bank',
    'share_government']
RATE_DIGITS = (16, 6)


def _share(string, help):
    return fields.Numeric(
        string, digits=RATE_DIGITS, required=True, help=help)


class Product(RecNamesSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.product'
    _rec_names_search = ['code', 'name']

    company = fields.Many2One('company.company', "Company", required=True)
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True, translate=True)
    guarantee_type = fields.Selection([
            ('financing', "Financing Guarantee"),
            ('non_financing', "Non-financing Guarantee"),
            ], "Guarantee Type", required=True)
    mode = fields.Selection([
            ('batch', "Small-micro Batch"),
            ('individual', "Project by Project"),
            ], "Mode", required=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    fee_rate = fields.Numeric(
        "Annual Fee Rate", digits=RATE_DIGITS, required=True,
        help="The re-guarantee fee per year, as a fraction of the basis.")
    fee_basis = fields.Selection([
            ('loan', "Loan Amount"),
            ('guarantee', "Guarantee Amount"),
            ('reguaranteed', "Re-guaranteed Amount"),
            ], "Fee Basis", required=True)
    day_count = fields.Selection([
            ('act365', "Actual/365"),
            ('act360', "Actual/360"),
            ], "Day Count", required=True)
    share_institution = _share(
        "Institution Share", "The part of the risk kept by the institution.")
    share_reguarantor = _share(
        "Re-guarantor Share",
        "The part of the risk taken by the re-guarantor.")
    share_fund = _share(
        "Fund Share",
        "The part of the risk taken by the National Financing Guarantee Fund.")
    share_bank = _share("Bank Share", "The part of the risk kept by the bank.")
    share_government = _share(
        "Government Share",
        "The part of the risk taken by the local government.")
    max_loan_amount = Monetary(
        "Maximum Loan Amount", currency='currency', digits='currency',
        help="Leave empty for no limit.")
    max_term_months = fields.Integer(
        "Maximum Term (months)", help="Leave empty for no limit.")
    borrower_kinds = fields.MultiSelection(
        BORROWER_KINDS, "Borrower Kinds", sort=False,
        help="The kinds of borrowers eligible; leave empty for all.")
    industries = fields.MultiSelection(
        INDUSTRY_SECTIONS, "Industries", sort=False,
        help="The GB/T 4754 sections eligible; leave empty for all.")
    quota_amount = Monetary(
        "Quota", currency='currency', digits='currency',
        help="The maximum re-guarantee balance of the product.")
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date("End Date", help="Leave empty for no end.")
    contracts = fields.Many2Many(
        'reguarantee.contract-reguarantee.product', 'product', 'contract',
        "Contracts", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'reguarantee_base.msg_product_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_guarantee_type(cls):
        return 'financing'

    @classmethod
    def default_mode(cls):
        return 'individual'

    @classmethod
    def default_fee_basis(cls):
        return 'reguaranteed'

    @classmethod
    def default_day_count(cls):
        return 'act365'

    @classmethod
    def default_fee_rate(cls):
        return Decimal(0)

    @classmethod
    def default_share_institution(cls):
        return Decimal(0)

    default_share_reguarantor = default_share_institution
    default_share_fund = default_share_institution
    default_share_bank = default_share_institution
    default_share_government = default_share_institution

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}'

    @property
    def total_share(self):
        return sum((getattr(self, f) or 0 for f in SHARE_FIELDS), Decimal(0))

    def is_valid_on(self, start_date, end_date):
        "Return whether the product can be used from start to end dates"
        return (self.start_date <= start_date
            and (not self.end_date or end_date <= self.end_date))

    @classmethod
    def validate_fields(cls, products, field_names):
        super().validate_fields(products, field_names)
        cls.check_shares(products, field_names)
        cls.check_amounts(products, field_names)
        cls.check_dates(products, field_names)

    @classmethod
    def check_shares(cls, products, field_names=None):
        if field_names and not (set(SHARE_FIELDS) & set(field_names)):
            return
        for product in products:
            for name in SHARE_FIELDS:
                if getattr(product, name) < 0:
                    raise ShareError(gettext(
                            'reguarantee_base.msg_product_share_negative',
                            product=product.rec_name,
                            field=cls.__names__(name)['field']))
            if product.total_share != 1:
                raise ShareError(gettext(
                        'reguarantee_base.msg_product_shares_sum',
                        product=product.rec_name,
                        total=f'{product.total_share * 100:.4f}'))

    @classmethod
    def check_amounts(cls, products, field_names=None):
        names = {
            'fee_rate', 'max_loan_amount', 'max_term_months', 'quota_amount'}
        if field_names and not (names & set(field_names)):
            return
        for product in products:
            for name in sorted(names):
                value = getattr(product, name)
                if value is not None and value < 0:
                    raise AmountError(gettext(
                            'reguarantee_base.msg_product_amount_negative',
                            product=product.rec_name,
                            field=cls.__names__(name)['field']))

    @classmethod
    def check_dates(cls, products, field_names=None):
        if field_names and not ({'start_date', 'end_date'} & set(field_names)):
            return
        for product in products:
            if product.end_date and product.end_date < product.start_date:
                raise DateOrderError(gettext(
                        'reguarantee_base.msg_product_dates',
                        product=product.rec_name))
