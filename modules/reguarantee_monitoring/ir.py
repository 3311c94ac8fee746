# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('reguarantee.inspection|generate_plans',
                    "Generate Inspection Plans"),
                ('reguarantee.inspection|check_due',
                    "Remind Due and Overdue Inspections"),
                ])
