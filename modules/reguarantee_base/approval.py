# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict

from trytond.model import fields
from trytond.pool import Pool


class ApprovalHistoryMixin:
    "Show who pressed which button of a record, and when"
    __slots__ = ()

    approvals = fields.Function(fields.Many2Many(
            'ir.model.button.click', None, None, "Approvals", readonly=True,
            help="Every press of a button that needs approvals, "
            "including the presses that did not yet reach the required "
            "number of users."),
        'get_approvals')
    history = fields.One2Many(
        'ir.model.log', 'resource', "History", readonly=True,
        filter=[('event', 'in', ['button', 'transition', 'wizard'])],
        order=[('create_date', 'ASC'), ('id', 'ASC')],
        help="The buttons pressed on the record and its state changes.")

    @classmethod
    def get_approvals(cls, records, name):
        pool = Pool()
        ButtonClick = pool.get('ir.model.button.click')
        approvals = defaultdict(list)
        clicks = ButtonClick.search([
                ('button.model', '=', cls.__name__),
                ('record_id', 'in', [r.id for r in records]),
                ('active', 'in', [True, False]),
                ],
            order=[('create_date', 'ASC'), ('id', 'ASC')])
        for click in clicks:
            approvals[click.record_id].append(click.id)
        return {r.id: approvals[r.id] for r in records}
