# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The results of filing batches as an .xlsx spreadsheet"
import io

from trytond.pool import Pool
from trytond.report import Report

#: the columns: fields of reguarantee.filing.record and how to read them
COLUMNS = [
    ('batch', lambda r: r.batch.number),
    ('project', lambda r: r.project.number),
    ('institution', lambda r: r.project.institution.rec_name),
    ('state', lambda r: r.state_string),
    ('fund_code', lambda r: r.fund_code),
    ('fund_reason', lambda r: r.fund_reason),
    ('fund_reference', lambda r: r.fund_reference),
    ('result_date', lambda r: r.result_date),
    ]


def results_workbook(batch_ids):
    "Return the .xlsx of the records of the batches, in the user's language"
    from openpyxl import Workbook
    pool = Pool()
    Record = pool.get('reguarantee.filing.record')
    strings = Record.fields_get([name for name, _ in COLUMNS])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    header = []
    for name, _ in COLUMNS:
        header.append(strings[name]['string'])
    sheet.append(header)
    records = Record.search(
        [('batch', 'in', list(batch_ids))],
        order=[('batch', 'ASC'), ('id', 'ASC')])
    for record in records:
        sheet.append([getter(record) for _, getter in COLUMNS])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


class BatchResults(Report):
    __name__ = 'reguarantee.filing.batch.results'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        action_report, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        cls.check_access(
            action_report, 'reguarantee.filing.batch', ids)
        return (
            'xlsx', results_workbook(ids), False, action_report.name)
