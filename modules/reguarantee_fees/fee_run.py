# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql.aggregate import Count, Max, Min, Sum
from sql.operators import Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.reguarantee_base.model import (
    create_in_bulk, currency_rounder, gc_paused)
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import FeeError
from .fee_calculation import covered_periods, days_between, fee_amount

#: The states of the projects that are or have been covered
COVERED_STATES = [
    'filed', 'released', 'compensating', 'compensated', 'closed']
#: The states of the compensations paid: the cover ended on their default
#: date
PAID_COMPENSATION_STATES = ['paid', 'written_off']
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
        'reguaranteed_amount', 'default_date')

    def __init__(self, row):
        for name, value in zip(self.__slots__, row):
            setattr(self, name, value)
        if isinstance(self.default_date, str):
            # SQLite gives an aggregate of dates as text
            self.default_date = dt.date.fromisoformat(self.default_date)

    @property
    def cover_end(self):
        """The day the cover ends (excluded): the end date, or the release
        date of a released project, or the default date of its paid
        compensation, whichever comes first"""
        end = self.end_date
        if self.state == 'released' and self.release_date:
            end = min(end, self.release_date)
        if self.default_date:
            end = min(end, self.default_date)
        return max(end, self.start_date)


class ProductRow:
    """The fields of a product the fee run reads, once: a field of a record
    costs a look-up at each access, several for each fee"""
    __slots__ = (
        'id', 'fee_schedule', 'fee_basis', 'fee_early_release', 'day_count')

    def __init__(self, product):
        for name in self.__slots__:
            setattr(self, name, getattr(product, name))


class FeeRow:
    "The columns of a standard fee the fee run reads"
    __slots__ = (
        'id', 'project', 'period_start', 'period_end', 'credit',
        'base_amount', 'rate', 'amount', 'state', 'bill')

    def __init__(self, row):
        for name, value in zip(self.__slots__, row):
            setattr(self, name, value)
        self.credit = bool(self.credit)


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
        late gets the fees of the periods it missed.  The fees of a project
        whose cover ended earlier than they say are corrected first (see
        recalculate)."""
        if period_end < period_start:
            raise FeeError(gettext(
                    'reguarantee_fees.msg_fee_run_period',
                    start=period_start, end=period_end))
        # the fees that exist are read before the missing ones are created:
        # a run at the same time (the cron and the wizard) must wait
        cls.lock()
        products = cls._fee_run_products(company)
        round_ = currency_rounder(company.currency)
        created = 0
        with gc_paused():
            for rows in cls._fee_run_projects(
                    period_start, period_end, company):
                created += cls._fee_run_batch(
                    rows, products, period_end, round_, company)
        return created

    @classmethod
    def _fee_run_batch(cls, rows, products, period_end, round_, company):
        """Create the missing fees of the ProjectRow rows (see run); return
        the number of fees created"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        fees = cls._fee_run_existing([r.id for r in rows])
        rates = Project.get_fee_rates(
            Project.browse([r.id for r in rows]), period_end)
        to_cancel, vlist = [], []
        for row in rows:
            product = products[row.product]
            project_fees = fees.get(row.id, [])
            cancel, corrections = cls._get_fee_corrections(
                row, product, project_fees, round_, company)
            to_cancel.extend(cancel)
            vlist.extend(corrections)
            existing = {(f.period_start, f.credit) for f in project_fees}
            vlist.extend(cls._get_run_fees(
                    row, product, rates[row.id], existing, period_end,
                    round_, company))
        return cls._save_run_fees(to_cancel, vlist)

    @classmethod
    def recalculate(cls, projects):
        """Bring the standard fees of the projects to their cover, once it
        ended before the end date (release, paid compensation), even at a
        date in the past; return the number of fees created

        A draft fee that runs past the end of the cover is cancelled and
        replaced by a draft fee of its covered days, at its base and rate,
        on its draft bill if any; a billed fee is credited by a negative
        fee (credit) of what it charged for the days after the cover, to
        bill next.  An upfront fee of a product that keeps it on an early
        end of the cover is left as is."""
        if not projects:
            return 0
        with without_check_access():
            return cls._recalculate(projects)

    @classmethod
    def _recalculate(cls, projects):
        pool = Pool()
        Company = pool.get('company.company')
        project_ids = [p.id for p in projects]
        created = 0
        for company in Company.browse(list({p.company.id for p in projects})):
            products = cls._fee_run_products(company)
            round_ = currency_rounder(company.currency)

            def corrections():
                to_cancel, vlist = [], []
                for rows in cls._fee_run_projects_of(project_ids, company):
                    fees = cls._fee_run_existing([r.id for r in rows])
                    for row in rows:
                        cancel, values = cls._get_fee_corrections(
                            row, products[row.product], fees.get(row.id, []),
                            round_, company)
                        to_cancel.extend(cancel)
                        vlist.extend(values)
                return to_cancel, vlist
            to_cancel, vlist = corrections()
            if to_cancel or vlist:
                # read again once no run can create fees at the same time
                cls.lock()
                to_cancel, vlist = corrections()
                created += cls._save_run_fees(to_cancel, vlist)
        return created

    @classmethod
    def _fee_run_products(cls, company):
        "Return the ProductRow of the products of the company by id"
        pool = Pool()
        Product = pool.get('reguarantee.product')
        with Transaction().set_context(active_test=False):
            return {
                p.id: ProductRow(p) for p in Product.search([
                        ('company', '=', company.id),
                        ])}

    @classmethod
    def _fee_run_query(cls, where):
        """Return the query of the ProjectRow columns of the projects of
        where (a condition on the project table given as argument)"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        compensation = Compensation.__table__()
        paid = compensation.select(
            compensation.project.as_('project'),
            Min(compensation.default_date).as_('default_date'),
            where=compensation.state.in_(PAID_COMPENSATION_STATES),
            group_by=[compensation.project])
        columns = [getattr(project, n) for n in ProjectRow.__slots__[:-1]]
        return project.join(
            paid, 'LEFT', condition=paid.project == project.id
            ).select(
            *columns, paid.default_date,
            where=where(project)
            & project.state.in_(COVERED_STATES)
            & (project.product != None),  # noqa: E711
            order_by=[project.id.asc],
            limit=BATCH_SIZE)

    @classmethod
    def _fee_run_projects(cls, period_start, period_end, company):
        "Yield lists of ProjectRow of the projects the run may charge"
        cursor = Transaction().connection.cursor()
        last_id = 0
        while True:
            cursor.execute(*cls._fee_run_query(
                    lambda project: (project.company == company.id)
                    & (project.start_date <= period_end)
                    & Or([
                            project.end_date > period_start,
                            project.filing_date >= period_start,
                            ])
                    & (project.id > last_id)))
            rows = [ProjectRow(r) for r in cursor]
            if not rows:
                break
            yield rows
            last_id = rows[-1].id

    @classmethod
    def _fee_run_projects_of(cls, project_ids, company):
        "Yield lists of ProjectRow of the projects of the company"
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(project_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*cls._fee_run_query(
                    lambda project: (project.company == company.id)
                    & project.id.in_(list(sub_ids))))
            rows = [ProjectRow(r) for r in cursor]
            if rows:
                yield rows

    @classmethod
    def _fee_run_existing(cls, project_ids):
        """Return for each project the list of FeeRow of its standard
        fees"""
        fee = cls.__table__()
        cursor = Transaction().connection.cursor()
        existing = defaultdict(list)
        columns = [getattr(fee, n) for n in FeeRow.__slots__]
        for sub_ids in grouped_slice(project_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*fee.select(*columns,
                    where=fee.project.in_(list(sub_ids))
                    & (fee.kind == 'standard'),
                    order_by=[fee.id.asc]))
            for row in cursor:
                row = FeeRow(row)
                existing[row.project].append(row)
        return existing

    @classmethod
    def _fee_values(
            cls, row, product, first, last, base, rate, round_, company,
            credit=False, amount=None, bill=None):
        "Return the values of a standard fee of the project row"
        days = days_between(first, last)
        if amount is None:
            amount = fee_amount(base, rate, days, product.day_count, round_)
        return {
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
            'amount': amount,
            'state': 'draft',
            'bill': bill,
            }

    @classmethod
    def _get_run_fees(
            cls, row, product, rate, existing, until, round_, company):
        """Return the values of the standard fees the project is missing,
        from its row, its product, its annual rate and the (period start,
        credit) of its existing fees

        An upfront fee charges the days of cover once it is known to end
        early (so a project compensated or released before its first run
        gets no fee for the whole term) unless the product keeps the
        fee."""
        base = getattr(row, BASIS_COLUMNS[product.fee_basis]) or Decimal(0)
        rate = Decimal(rate or 0)
        vlist = []

        def add(first, last):
            if (first, False) not in existing:
                vlist.append(cls._fee_values(
                        row, product, first, last, base, rate, round_,
                        company))

        if product.fee_schedule == 'upfront':
            end = (row.end_date if product.fee_early_release == 'keep'
                else row.cover_end)
            if end > row.start_date:
                add(row.start_date, end - dt.timedelta(days=1))
        else:
            for first, last in covered_periods(
                    product.fee_schedule, row.start_date, row.cover_end,
                    until):
                add(first, last)
        return vlist

    @classmethod
    def _get_fee_corrections(cls, row, product, fees, round_, company):
        """Return the ids of the fees to cancel and the values of the fees
        to create that bring the project's standard fees (FeeRow) to its
        cover (see recalculate)"""
        cover_end = row.cover_end
        if (product.fee_schedule == 'upfront'
                and product.fee_early_release == 'keep'):
            return [], []
        live = [f for f in fees if f.state != 'cancelled']
        credited = {f.period_start for f in live if f.credit}
        replaced = {
            f.period_start for f in live
            if not f.credit and f.period_end < cover_end}
        to_cancel, vlist = [], []
        for fee in live:
            if fee.credit or fee.period_end < cover_end:
                continue
            first = max(fee.period_start, cover_end)
            if first in credited:
                # credited already (then billed again after its invoice
                # was cancelled): the fee and its credit charge the cover
                continue
            last_covered = cover_end - dt.timedelta(days=1)
            if fee.period_start <= last_covered:
                covered = fee_amount(
                    fee.base_amount, fee.rate,
                    days_between(fee.period_start, last_covered),
                    product.day_count, round_)
            else:
                covered = None
            if fee.state == 'draft':
                to_cancel.append(fee.id)
                if covered is not None and fee.period_start not in replaced:
                    vlist.append(cls._fee_values(
                            row, product, fee.period_start, last_covered,
                            fee.base_amount, fee.rate, round_, company,
                            amount=covered, bill=fee.bill))
            elif fee.state == 'billed':
                credit = Decimal(fee.amount) - (covered or Decimal(0))
                if credit:
                    vlist.append(cls._fee_values(
                            row, product, first, fee.period_end,
                            fee.base_amount, fee.rate, round_, company,
                            credit=True, amount=-credit))
        return to_cancel, vlist

    @classmethod
    def _save_run_fees(cls, to_cancel, vlist):
        """Cancel the fees of ids to_cancel and create the fees of vlist;
        return the number of fees created"""
        if to_cancel:
            fees = cls.browse(to_cancel)
            # the correction of computed fees is no user's button press
            with without_check_access():
                cls.write(fees, {'bill': None})
                cls.cancel(fees)
        if vlist:
            with Transaction().set_context(_reguarantee_prevalidated=True):
                return len(create_in_bulk(cls, vlist))
        return 0

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


class LastMonthStartMixin:
    "The start of a wizard on a company's month, last month by default"
    __slots__ = ()

    company = fields.Many2One('company.company', "Company", required=True)
    period_start = fields.Date("Period Start", required=True)
    period_end = fields.Date("Period End", required=True)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_period_start(cls):
        return last_month(Pool().get('ir.date').today())[0]

    @classmethod
    def default_period_end(cls):
        return last_month(Pool().get('ir.date').today())[1]


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


class FeeRunStart(LastMonthStartMixin, ModelView):
    __name__ = 'reguarantee.fee.run.start'

    period_end = fields.Date(
        "Period End", required=True,
        help="Fees of the periods ending on or before this date are "
        "created.")


class FeeRunDone(ModelView):
    __name__ = 'reguarantee.fee.run.done'

    created = fields.Integer("Fees Created", readonly=True)
    summary = fields.Text("Summary", readonly=True)
