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
                ('reguarantee.credit.request|process_due',
                    "Resume Credit Look-ups"),
                ('reguarantee.credit.request|refresh_borrowers',
                    "Refresh the Credit Look-ups of Borrowers"),
                ('reguarantee.credit.report.file|process_due',
                    "Resume the Credit Bureau Files"),
                ])
