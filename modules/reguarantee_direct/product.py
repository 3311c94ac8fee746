# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.model import RecNamesSearchMixin
from trytond.modules.reguarantee_base.product import (
    BORROWER_KINDS, RATE_DIGITS)
from trytond.transaction import Transaction

from .exceptions import DirectProductError

#: The kinds of direct guarantees
KINDS = [
    ('financing', "Financing Guarantee"),
    ('bid', "Bid Guarantee"),
    ('performance', "Performance Guarantee"),
    ('advance_payment', "Advance Payment Guarantee"),
    ]
#: The kinds of non-financing guarantees: letters to a beneficiary
LETTER_KINDS = {'bid', 'performance', 'advance_payment'}


class Product(RecNamesSearchMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.direct.product'
    _rec_names_search = ['code', 'name']

    company = fields.Many2One('company.company', "Company", required=True)
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    kinds = fields.MultiSelection(
        KINDS, "Kinds", sort=False,
        help="The kinds of guarantees the product covers; leave empty for "
        "all.")
    borrower_kinds = fields.MultiSelection(
        BORROWER_KINDS, "Applicant Kinds", sort=False,
        help="The kinds of applicants eligible; leave empty for all.")
    fee_rate = fields.Numeric(
        "Annual Fee Rate", digits=RATE_DIGITS, required=True,
        domain=[('fee_rate', '>=', 0)],
        help="The guarantee fee per year, as a fraction of the amount.")
    fee_schedule = fields.Selection([
            ('upfront', "Upfront"),
            ('periodic', "Periodic"),
            ], "Fee Schedule", required=True,
        help="Upfront: the fee of the whole term is due when the guarantee "
        "is contracted; periodic: the fee is due year by year.")
    max_amount = Monetary(
        "Maximum Amount", currency='currency', digits='currency',
        domain=['OR',
            ('max_amount', '=', None),
            ('max_amount', '>', 0),
            ],
        help="The largest amount guaranteed; leave empty for no limit.")
    max_term_months = fields.Integer(
        "Maximum Term (months)",
        domain=['OR',
            ('max_term_months', '=', None),
            ('max_term_months', '>', 0),
            ],
        help="Leave empty for no limit.")
    min_coverage = fields.Numeric(
        "Minimum Coverage", digits=RATE_DIGITS, required=True,
        domain=[('min_coverage', '>=', 0)],
        help="The secured value of the counter-guarantees an application "
        "needs before it goes to the committee, as a fraction of its "
        "amount; 0 for none.")
    approval_level2_amount = Monetary(
        "Approval Level 2 Amount", currency='currency', digits='currency',
        domain=['OR',
            ('approval_level2_amount', '=', None),
            ('approval_level2_amount', '>=', 0),
            ],
        help="Above this amount, approving an application also needs a "
        "re-guarantee risk committee user; leave empty for never.")
    approval_level3_amount = Monetary(
        "Approval Level 3 Amount", currency='currency', digits='currency',
        domain=['OR',
            ('approval_level3_amount', '=', None),
            ('approval_level3_amount', '>=', 0),
            ],
        help="Above this amount, approving an application needs two "
        "re-guarantee risk committee users; leave empty for never.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'reguarantee_direct.msg_direct_product_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_fee_rate(cls):
        return Decimal(0)

    @classmethod
    def default_fee_schedule(cls):
        return 'upfront'

    @classmethod
    def default_min_coverage(cls):
        return Decimal(0)

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}'

    @classmethod
    def validate_fields(cls, products, field_names):
        super().validate_fields(products, field_names)
        cls.check_approval_amounts(products, field_names)

    @classmethod
    def check_approval_amounts(cls, products, field_names=None):
        "Check the level 3 amount is not below the level 2 amount"
        if field_names and not (
                {'approval_level2_amount', 'approval_level3_amount'}
                & set(field_names)):
            return
        for product in products:
            level2 = product.approval_level2_amount
            level3 = product.approval_level3_amount
            if level2 is not None and level3 is not None and level3 < level2:
                raise DirectProductError(gettext(
                        'reguarantee_direct'
                        '.msg_direct_product_approval_amounts',
                        product=product.rec_name,
                        level2=level2, level3=level3))

    def get_approval_level(self, amount):
        """Return the approval level of the amount: 1, 2 above the level 2
        amount, 3 above the level 3 amount"""
        level = 1
        for number, threshold in [
                (2, self.approval_level2_amount),
                (3, self.approval_level3_amount)]:
            if threshold is not None and (amount or 0) > threshold:
                level = number
        return level

    def get_ineligibility(self, application):
        "Return the reasons why the product does not cover the application"
        reasons = []
        if not self.active:
            reasons.append(gettext(
                    'reguarantee_direct.msg_eligibility_inactive'))
        if self.kinds and application.kind not in self.kinds:
            reasons.append(gettext(
                    'reguarantee_direct.msg_eligibility_kind',
                    kind=application.kind_string))
        applicant = application.applicant
        if (self.borrower_kinds and applicant
                and applicant.kind not in self.borrower_kinds):
            reasons.append(gettext(
                    'reguarantee_direct.msg_eligibility_applicant_kind',
                    kind=applicant.kind_string))
        if (self.max_amount is not None
                and (application.amount or 0) > self.max_amount):
            reasons.append(gettext(
                    'reguarantee_direct.msg_eligibility_amount',
                    amount=application.amount, max_amount=self.max_amount))
        if (self.max_term_months is not None
                and (application.term_months or 0) > self.max_term_months):
            reasons.append(gettext(
                    'reguarantee_direct.msg_eligibility_term',
                    term=application.term_months,
                    max_term=self.max_term_months))
        return reasons
