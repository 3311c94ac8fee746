# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'reguarantee.configuration'

    inspection_reminder_days = fields.Integer(
        "Inspection Reminder Days",
        domain=['OR',
            ('inspection_reminder_days', '=', None),
            ('inspection_reminder_days', '>=', 0),
            ],
        help="How many days before its due date the users of a planned "
        "inspection are reminded of it.")

    @classmethod
    def default_inspection_reminder_days(cls):
        return 7
