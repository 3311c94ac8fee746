# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta

from .exceptions import ReviewRequiredError


class ReviewMixin:
    "A record that goes to the review committee above an amount"
    __slots__ = ()
    #: the name of the threshold of the configuration and of the amount
    _review_amount = (None, None)
    #: the state in which the button that needs the review is pressed
    _review_state = None

    review_required = fields.Function(
        fields.Boolean(
            "Review Required",
            help="Whether the review committee must approve the record "
            "first, from the amounts of the configuration."),
        'get_review')
    review_decision = fields.Function(
        fields.Selection([
                (None, ""),
                ('approved', "Approved"),
                ('rejected', "Rejected"),
                ('deferred', "Deferred"),
                ('pending', "Pending"),
                ], "Review Decision",
            help="The decision of the latest review meeting on the record; "
            "pending while a meeting has yet to decide it."),
        'get_review')
    review_items = fields.Function(
        fields.Many2Many(
            'reguarantee.review.item', None, None, "Review Items",
            readonly=True,
            help="The items of the review meetings on the record, with "
            "their votes."),
        'get_review')

    @classmethod
    def get_review(cls, records, names):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Item = pool.get('reguarantee.review.item')
        configuration = Configuration(1)
        result = {n: {} for n in names}
        items = Item.search([
                ('origin', 'in', [str(r) for r in records]),
                ], order=[('meeting.date', 'ASC'), ('id', 'ASC')])
        per_record = {r.id: [] for r in records}
        for item in items:
            per_record[item.origin.id].append(item)
        threshold_name, amount_name = cls._review_amount
        for record in records:
            record_items = per_record[record.id]
            if 'review_required' in names:
                result['review_required'][record.id] = (
                    configuration.needs_review(
                        threshold_name, getattr(record, amount_name),
                        record.company.id))
            if 'review_decision' in names:
                decision = None
                if record_items:
                    decision = record_items[-1].decision or 'pending'
                result['review_decision'][record.id] = decision
            if 'review_items' in names:
                result['review_items'][record.id] = [
                    i.id for i in record_items]
        return result

    @classmethod
    def check_review(cls, records):
        "Raise if a record needs the approval of the review committee"
        records = [r for r in records if r.state == cls._review_state]
        for record in records:
            if (record.review_required
                    and record.review_decision != 'approved'):
                selection = dict(cls.fields_get(
                        ['review_decision'])['review_decision']['selection'])
                raise ReviewRequiredError(gettext(
                        'reguarantee_review.msg_review_required',
                        record=record.rec_name,
                        decision=selection.get(
                            record.review_decision)
                        or gettext('reguarantee_review.msg_review_none')))


class Project(ReviewMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.project'
    _review_amount = ('review_project_amount', 'guarantee_amount')
    _review_state = 'submitted'

    @classmethod
    def file(cls, projects):
        cls.check_review(projects)
        super().file(projects)


class Compensation(ReviewMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.compensation'
    _review_amount = ('review_compensation_amount', 'claim_amount')
    _review_state = 'submitted'

    @classmethod
    def approve(cls, compensations):
        cls.check_review(compensations)
        super().approve(compensations)
