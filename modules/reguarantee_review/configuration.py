# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.modules.reguarantee_base.configuration import amount_field
from trytond.pool import Pool, PoolMeta

review_project_amount = amount_field(
    'review_project_amount', "Project Review Amount",
    help="Above this guarantee amount, a re-guarantee project is filed "
    "only once the review committee approved it; leave empty for never.")
review_compensation_amount = amount_field(
    'review_compensation_amount', "Compensation Review Amount",
    help="Above this claim amount, a compensation is approved only once "
    "the review committee approved it; leave empty for never.")
REVIEW_AMOUNTS = {'review_project_amount', 'review_compensation_amount'}


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    review_project_amount = fields.MultiValue(review_project_amount)
    review_compensation_amount = fields.MultiValue(
        review_compensation_amount)
    review_rule = fields.Many2One(
        'reguarantee.review.rule', "Review Rule",
        help="The decision rule of the new review meetings.")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in REVIEW_AMOUNTS:
            return pool.get('reguarantee.configuration.company')
        return super().multivalue_model(field)

    def needs_review(self, amount_name, amount, company):
        """Return whether a record of amount must be approved by the review
        committee, from the company threshold amount_name

        The hook of the modules that add records to review (e.g. direct
        guarantees): they add their own threshold field."""
        threshold = self.get_multivalue(amount_name, company=company)
        return threshold is not None and (amount or 0) > threshold


class ConfigurationCompany(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration.company'

    review_project_amount = review_project_amount
    review_compensation_amount = review_compensation_amount
