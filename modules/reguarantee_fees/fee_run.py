# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql.aggregate import Count, Max, Sum
from sql.operators import Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.reguarantee_base.model import create_in_bulk
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import FeeError
from .fee_calculation import covered_periods, days_between, fee_amount

#: The states of the projects that are or have been covered
COVERED_STATES = [
    'filed', 'released', 'compensating', 'compensated', 'closed']
#: The projects read, computed and created at once
BATCH_SIZE = 10_000
BASIS_COLUMNS = {
    'loan': 'loan_amount',
    'guarantee': 'guarantee_amount',
    'reguaranteed': 'reguaranteed_amount',
    }


class ProjectRow:
    "The columns of a project the fee run reads"
    __slots__ = (
        'id', 'institution', 'product', 'state', 'start_date', 'end_date',
        'release_date', 'loan_amount', 'guarantee_amount',
        'reguaranteed_amount')

    def __init__(self, row):
        for name, value in zip(self.__slots__, row):
            setattr(self, name, value)

    @property
    def cover_end(self):
        "The day the cover ends (excluded)"
        if self.state == 'released' and self.release_date:
            return min(self.end_date, self.release_date)
        return self.end_date


class FeeRunMixin:
    "The fee run of reguarantee.fee: the standard fees of the projects"
    __slots__ = ()

    @classmethod
    def run(cls, period_start, period_end, company):
        """Create the missing standard fees, up to period_end, of the
        projects of the company covered from period_start to period_end or
        filed since period_start; return the number of fees created

        A fee exists once per project, first day and credit flag whatever
        its state, so running again creates nothing new and a project filed
        late gets the fees of the periods it missed."""
        pool = Pool()
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        if period_end < period_start:
            raise FeeError(gettext(
                    'reguarantee_fees.msg_fee_run_period',
                    start=period_start, end=period_end))
        # the fees that exist are read before the missing ones are created:
        # a run at the same time (the cron and the wizard) must wait
        cls.lock()
        with Transaction().set_context(active_test=False):
            products = {
                p.id: p for p in Product.search([
                        ('company', '=', company.id),
                        ])}
        round_ = company.currency.round
        created = 0
        for rows in cls._fee_run_projects(period_start, period_end, company):
            existing = cls._fee_run_existing([r.id for r in rows])
            rates = Project.get_fee_rates(
                Project.browse([r.id for r in rows]), period_end)
            vlist = []
            for row in rows:
                vlist.extend(cls._get_run_fees(
                        row, products[row.product], rates[row.id],
                        existing.get(row.id, {}), period_end, round_,
                        company))
            if vlist:
                with Transaction().set_context(
                        _reguarantee_prevalidated=True):
                    created += len(create_in_bulk(cls, vlist))
        return created

    @classmethod
    def _fee_run_projects(cls, period_start, period_end, company):
        "Yield lists of ProjectRow of the projects the run may charge"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        cursor = Transaction().connection.cursor()
        columns = [getattr(project, n) for n in ProjectRow.__slots__]
        last_id = 0
        while True:
            cursor.execute(*project.select(*columns,
                    where=(project.company == company.id)
                    & project.state.in_(COVERED_STATES)
                    & (project.product != None)  # noqa: E711
                    & (project.start_date <= period_end)
                    & Or([
                            project.end_date > period_start,
                            project.filing_date >= period_start,
                            ])
                    & (project.id > last_id),
                    order_by=[project.id.asc],
                    limit=BATCH_SIZE))
            rows = [ProjectRow(r) for r in cursor]
            if not rows:
                break
            yield rows
            last_id = rows[-1].id

    @classmethod
    def _fee_run_existing(cls, project_ids):
        """Return for each project the standard fees it has, as
        {(period start, credit): (base amount, rate)}"""
        fee = cls.__table__()
        cursor = Transaction().connection.cursor()
        existing = defaultdict(dict)
        for sub_ids in grouped_slice(project_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*fee.select(
                    fee.project, fee.period_start, fee.credit,
                    fee.base_amount, fee.rate,
                    where=fee.project.in_(list(sub_ids))
                    & (fee.kind == 'standard')))
            for project, start, credit, base, rate in cursor:
                existing[project][(start, bool(credit))] = (base, rate)
        return existing

    @classmethod
    def _get_run_fees(
            cls, row, product, rate, existing, until, round_, company):
        """Return the values of the standard fees the project is missing,
        from its row, its product, its annual rate and its existing fees"""
        base = getattr(row, BASIS_COLUMNS[product.fee_basis]) or Decimal(0)
        rate = Decimal(rate or 0)
        vlist = []

        def add(first, last, days, base, rate, credit=False):
            if (first, credit) in existing:
                return
            amount = fee_amount(base, rate, days, product.day_count, round_)
            vlist.append({
                    'company': company.id,
                    'project': row.id,
                    'institution': row.institution,
                    'product': product.id,
                    'kind': 'standard',
                    'credit': credit,
                    'description': None,
                    'period_start': first,
                    'period_end': last,
                    'days': days,
                    'base_amount': base,
                    'rate': rate,
                    'amount': -amount if credit else amount,
                    'state': 'draft',
                    })

        if product.fee_schedule == 'upfront':
            if row.end_date <= row.start_date:
                return vlist
            last = row.end_date - dt.timedelta(days=1)
            add(row.start_date, last, days_between(row.start_date, last),
                base, rate)
            released = row.cover_end
            if (product.fee_early_release == 'credit'
                    and released < row.end_date and released <= until):
                first = max(released, row.start_date)
                upfront_base, upfront_rate = existing.get(
                    (row.start_date, False), (base, rate))
                add(first, last, days_between(first, last),
                    upfront_base, upfront_rate, credit=True)
        else:
            for first, last in covered_periods(
                    product.fee_schedule, row.start_date, row.cover_end,
                    until):
                add(first, last, days_between(first, last), base, rate)
        return vlist

    @classmethod
    def run_monthly(cls):
        "Create the fees of last month of the context company (cron)"
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        company_id = Transaction().context.get('company')
        companies = (
            [Company(company_id)] if company_id is not None
            else Company.search([]))
        for company in companies:
            with Transaction().set_context(company=company.id):
                today = Date.today()
            period_start, period_end = last_month(today)
            cls.run(period_start, period_end, company)


def last_month(date):
    "Return the first and last day of the month before date"
    first = date + relativedelta(months=-1, day=1)
    return first, first + relativedelta(day=31)


class FeeRun(Wizard):
    __name__ = 'reguarantee.fee.run'

    start = StateView(
        'reguarantee.fee.run.start',
        'reguarantee_fees.fee_run_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Run", 'run', 'tryton-ok', default=True),
            ])
    run = StateTransition()
    done = StateView(
        'reguarantee.fee.run.done',
        'reguarantee_fees.fee_run_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_run(self):
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        fee = Fee.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*fee.select(Max(fee.id)))
        last_id, = cursor.fetchone()
        start, end, company = (
            self.start.period_start, self.start.period_end,
            self.start.company)
        self.done.created = Fee.run(start, end, company)
        self.done.summary = self.get_summary(last_id or 0)
        return 'done'

    def get_summary(self, last_id):
        """Return the text that says which fees the run created, after the
        fee last_id, or why it created none"""
        pool = Pool()
        Fee = pool.get('reguarantee.fee')
        Institution = pool.get('reguarantee.institution')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        start, end, company = (
            self.start.period_start, self.start.period_end,
            self.start.company)
        currency = company.currency

        def amount(value):
            return lang.currency(
                value or Decimal(0), currency, grouping=True)

        period = {
            'start': lang.strftime(start),
            'end': lang.strftime(end),
            }
        fee = Fee.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*fee.select(
                fee.institution, Count(fee.id),
                Count(fee.project, distinct=True), Sum(fee.amount),
                where=(fee.id > last_id) & (fee.company == company.id),
                group_by=[fee.institution]))
        rows = cursor.fetchall()
        if not rows:
            covered = sum(
                len(r) for r in Fee._fee_run_projects(start, end, company))
            if not covered:
                return gettext(
                    'reguarantee_fees.msg_fee_run_summary_no_project',
                    **period)
            return gettext(
                'reguarantee_fees.msg_fee_run_summary_up_to_date',
                projects=covered, **period)
        lines = [gettext(
                'reguarantee_fees.msg_fee_run_summary',
                fees=sum(r[1] for r in rows),
                projects=sum(r[2] for r in rows),
                institutions=len(rows),
                amount=amount(sum(r[3] or 0 for r in rows)),
                **period)]
        institutions = Institution.browse([r[0] for r in rows])
        for institution, (_, fees, projects, total) in sorted(
                zip(institutions, rows), key=lambda x: x[0].rec_name):
            lines.append(gettext(
                    'reguarantee_fees.msg_fee_run_summary_institution',
                    institution=institution.rec_name, fees=fees,
                    projects=projects, amount=amount(total)))
        return '\n'.join(lines)

    def default_done(self, fields):
        return {
            'created': self.done.created,
            'summary': self.done.summary,
            }


class FeeRunStart(ModelView):
    __name__ = 'reguarantee.fee.run.start'

    company = fields.Many2One('company.company', "Company", required=True)
    period_start = fields.Date("Period Start", required=True)
    period_end = fields.Date(
        "Period End", required=True,
        help="Fees of the periods ending on or before this date are "
        "created.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_period_start(cls):
        return last_month(Pool().get('ir.date').today())[0]

    @classmethod
    def default_period_end(cls):
        return last_month(Pool().get('ir.date').today())[1]


class FeeRunDone(ModelView):
    __name__ = 'reguarantee.fee.run.done'

    created = fields.Integer("Fees Created", readonly=True)
    summary = fields.Text("Summary", readonly=True)
