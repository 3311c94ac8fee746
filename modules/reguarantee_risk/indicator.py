# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The SQL aggregates behind the risk indicators

The projects in force on a date are selected once, with their weight in the
liability balance, into a temporary table of narrow rows; every indicator
is then one GROUP BY over it.  The compensations, releases, recoveries and
disposals are summed from their own tables."""
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from sql import Cast, Literal, Null, Table, Window
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Round, RowNumber, Substring
from sql.operators import Concat

from trytond import backend
from trytond.pool import Pool
from trytond.transaction import Transaction

#: States of the projects whose guarantee the re-guarantor accepted
ACCEPTED_STATES = [
    'filed', 'released', 'compensating', 'compensated', 'closed']
#: States of the compensations paid to the institution
PAID_STATES = ['paid', 'written_off']
#: Liability balance weights (2018 rules of the financing guarantee
#: regulation): a small/micro enterprise or a farmer weighs less while its
#: guarantee balance in force with the guarantor (单户在保余额, all its
#: loans together) is under these amounts
SMALL_MICRO_WEIGHT = Decimal('0.75')
HOUSING_WEIGHT = Decimal('0.3')
#: (integers: SQLite compares a sum with a Decimal parameter as text)
SMALL_MICRO_MAX_BALANCE = 5_000_000
FARMER_MAX_BALANCE = 2_000_000
SMALL_MICRO_KINDS = ['enterprise', 'individual_business']
#: How many of the largest borrowers make the top-N concentration
TOP = 10

LINE_TABLE = 'reguarantee_risk_line'
#: The memory of each sort and hash of the snapshot queries on PostgreSQL
WORK_MEM = '128MB'
LINE_COLUMNS = [
    ('institution', 'INTEGER'),
    ('borrower', 'INTEGER'),
    ('related_group', 'VARCHAR'),
    ('industry', 'VARCHAR'),
    ('region', 'VARCHAR'),
    ('guarantee', 'BIGINT'),
    ('reguaranteed', 'BIGINT'),
    # in hundredths of units
    ('weighted_guarantee', 'BIGINT'),
    ('weighted_reguaranteed', 'BIGINT'),
    # on one line of each borrower and institution (null on the others):
    # the borrower's guarantee balance with the institution
    ('borrower_guarantee', 'BIGINT'),
    # on one line of each borrower (null on the others): the borrower's
    # re-guaranteed balance with all the institutions
    ('borrower_reguaranteed', 'BIGINT'),
    ]


def to_decimal(value):
    "Return the value of an aggregate as a Decimal (SQLite gives floats)"
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def weight(product, borrower, balance, digits=2):
    """Return the SQL weight in hundredths (an integer) in the liability
    balance of a project of the product for the borrower whose guarantee
    balance in force with the guarantor, in units of digits, is balance"""
    unit = 10 ** digits
    small_micro = (product.liability_class == 'small_micro') & (
        (borrower.kind.in_(SMALL_MICRO_KINDS)
            & (balance < SMALL_MICRO_MAX_BALANCE * unit))
        | ((borrower.kind == 'farmer')
            & (balance < FARMER_MAX_BALANCE * unit)))
    return Case(
        (product.liability_class == 'housing', int(HOUSING_WEIGHT * 100)),
        (small_micro, int(SMALL_MICRO_WEIGHT * 100)),
        else_=100)


def units(amount, digits=2):
    """Return the SQL amount as an integer of the smallest unit of the
    currency of digits"""
    amount = Coalesce(amount, 0) * 10 ** digits
    if backend.name != 'postgresql':
        # SQLite truncates a real cast to an integer
        amount = Round(amount)
    return Cast(amount, 'BIGINT')


def in_force_where(project, company, date):
    """Return the SQL condition on the project table of the projects of the
    company in force on the date: accepted, started, neither released nor
    compensated by then"""
    pool = Pool()
    Compensation = pool.get('reguarantee.compensation')
    compensation = Compensation.__table__()
    # the compensations of projects only (a direct guarantee's has none):
    # a NULL in the NOT IN would leave no project in force
    paid = compensation.select(
        compensation.project,
        where=compensation.state.in_(PAID_STATES)
        & (compensation.project != Null)
        & (compensation.payment_date <= date))
    return ((project.company == company)
        & project.state.in_(ACCEPTED_STATES)
        & (project.start_date <= date)
        & ((project.filing_date == Null) | (project.filing_date <= date))
        & ((project.release_date == Null) | (project.release_date > date))
        # a hashed sub-plan, rather than an index scan of all the
        # projects to merge with the paid compensations
        & ~project.id.in_(paid))


def in_force_query(company, date, digits=2, borrowers=None):
    """Return the query of the LINE_COLUMNS of the projects of the company
    in force on the date (see in_force_where), of the borrowers only when
    given (the windows partition by borrower: their lines are the same)

    The amounts are integers of the smallest unit of the currency (of
    digits) and the weighted amounts integers of hundredths of it: adding,
    grouping and sorting them is several times faster than numerics on
    PostgreSQL.  The weight of the guarantee amount (the institution's
    liability) follows the borrower's guarantee balance in force with the
    institution, the weight of the re-guaranteed amount (the
    re-guarantor's) its guarantee balance in force with all the
    institutions: both windows partition the projects sorted once, by
    borrower then institution."""
    pool = Pool()
    Borrower = pool.get('reguarantee.borrower')
    Product = pool.get('reguarantee.product')
    Project = pool.get('reguarantee.project')
    project = Project.__table__()
    product = Product.__table__()
    borrower = Borrower.__table__()
    guarantee = units(project.guarantee_amount, digits)
    reguaranteed = units(project.reguaranteed_amount, digits)
    by_institution = Window([project.borrower, project.institution])
    by_borrower = Window([project.borrower])
    institution_balance = Sum(guarantee, window=by_institution)
    institution_weight = weight(
        product, borrower, institution_balance, digits)
    company_weight = weight(product, borrower, Sum(guarantee,
            window=by_borrower), digits)
    where = in_force_where(project, company, date)
    if borrowers is not None:
        where &= project.borrower.in_(list(borrowers))
    return (project
        .join(borrower, condition=project.borrower == borrower.id)
        .join(product, 'LEFT', condition=project.product == product.id)
        .select(
            project.institution,
            project.borrower,
            borrower.related_group,
            Substring(Coalesce(project.industry, borrower.industry), 1, 1),
            Concat(Substring(
                    Coalesce(project.region, borrower.region), 1, 4), '00'),
            guarantee,
            reguaranteed,
            guarantee * institution_weight,
            reguaranteed * company_weight,
            # the balances by borrower, once: the concentrations rank them
            # without grouping the lines again
            Case((
                    RowNumber(window=by_institution) == 1,
                    Cast(institution_balance, 'BIGINT'))),
            Case((
                    RowNumber(window=by_borrower) == 1,
                    Cast(Sum(reguaranteed, window=by_borrower), 'BIGINT'))),
            where=where))


@contextmanager
def in_force_lines(company, date, digits=2):
    "Yield a temporary table of the projects in force (see LINE_COLUMNS)"
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    postgresql = backend.name == 'postgresql'
    if postgresql:
        # The joins and the groupings by borrower hash hundreds of
        # thousands of rows: in memory rather than in batches on disk
        cursor.execute("SET LOCAL work_mem = '%s'" % WORK_MEM)
        # compiling the expressions of hundreds of thousands of rows costs
        # more than it saves
        cursor.execute('SET LOCAL jit = off')
    table = Table(LINE_TABLE)
    query = in_force_query(company, date, digits)
    query.columns = [
        c.as_(n) for c, (n, _) in zip(query.columns, LINE_COLUMNS)]
    cursor.execute('DROP TABLE IF EXISTS "%s"' % LINE_TABLE)
    # One statement that writes the rows as it reads them (and may use
    # parallel workers on PostgreSQL) rather than an INSERT of a SELECT
    query_string, params = tuple(query)
    cursor.execute(
        'CREATE TEMPORARY TABLE "%s" AS %s' % (LINE_TABLE, query_string),
        params)
    try:
        if postgresql:
            # autovacuum never analyzes temporary tables
            cursor.execute('ANALYZE "%s"' % LINE_TABLE)
        yield table
    finally:
        cursor.execute('DROP TABLE "%s"' % LINE_TABLE)


class Portfolio:
    """The indicators of the projects in force of a company on a date, per
    institution (on the guarantee amounts, the institution's liability) and
    company-wide (on the re-guaranteed amounts, the re-guarantor's)"""

    def __init__(self, company, date, digits=2):
        self.company = company
        self.date = date
        self.unit = Decimal(1).scaleb(-digits)
        cursor = Transaction().connection.cursor()
        with in_force_lines(company, date, digits) as line:
            self._read(cursor, line)

    def _read(self, cursor, line, count=None):
        "Read the indicators from the lines (each of count projects, or one)"
        unit = self.unit
        self.totals, self.industries, self.regions = self._totals(
            cursor, line, unit, count=count)
        self.top = self._institutions_top(cursor, line)
        self.company_top = self._company_top(cursor, line, unit)
        self.related, self.company_related = self._related(
            cursor, line, unit)

    def _institutions_top(self, cursor, line):
        return self._top(cursor, line, self.unit)

    @staticmethod
    def _totals(cursor, line, unit, count=None):
        """Return by institution the count, balances and weighted balances,
        and the guarantee and re-guaranteed balances by industry and by
        region, from one grouping of the lines (each of count projects, or
        one)"""
        hundredth = unit / 100
        cursor.execute(*line.select(
                line.institution, line.industry, line.region,
                Sum(count) if count is not None else Count(Literal(1)),
                Sum(line.guarantee),
                Sum(line.reguaranteed),
                Sum(line.weighted_guarantee),
                Sum(line.weighted_reguaranteed),
                group_by=[line.institution, line.industry, line.region]))
        totals = defaultdict(lambda: [0, 0, 0, 0, 0])
        industries = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        regions = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for (institution, industry, region, count, guarantee, reguaranteed,
                weighted_guarantee, weighted_reguaranteed) in cursor:
            guarantee = to_decimal(guarantee)
            reguaranteed = to_decimal(reguaranteed)
            total = totals[institution]
            total[0] += count
            total[1] += guarantee
            total[2] += reguaranteed
            total[3] += to_decimal(weighted_guarantee)
            total[4] += to_decimal(weighted_reguaranteed)
            for shares, code in [
                    (industries, industry), (regions, region)]:
                share = shares[institution][code]
                share[0] += guarantee
                share[1] += reguaranteed
        totals = {
            institution: (
                count, guarantee * unit, reguaranteed * unit,
                weighted_guarantee * hundredth,
                weighted_reguaranteed * hundredth)
            for institution, (count, guarantee, reguaranteed,
                weighted_guarantee, weighted_reguaranteed)
            in totals.items()}

        def balances(shares):
            return defaultdict(dict, {
                    institution: {
                        code: (guarantee * unit, reguaranteed * unit)
                        for code, (guarantee, reguaranteed)
                        in by_code.items()}
                    for institution, by_code in shares.items()})
        return totals, balances(industries), balances(regions)

    @staticmethod
    def _top(cursor, line, unit):
        """Return the guarantee balance of the largest borrower and of the
        TOP largest by institution"""
        ranked = line.select(
            line.institution, line.borrower_guarantee.as_('amount'),
            RowNumber(window=Window(
                    [line.institution],
                    order_by=[
                        line.borrower_guarantee.desc, line.borrower.asc])
                ).as_('rank'),
            where=line.borrower_guarantee != Null)
        cursor.execute(*ranked.select(
                ranked.institution, Max(ranked.amount), Sum(ranked.amount),
                where=ranked.rank <= TOP,
                group_by=[ranked.institution]))
        return {
            institution: (to_decimal(top1) * unit, to_decimal(top) * unit)
            for institution, top1, top in cursor}

    @staticmethod
    def _company_top(cursor, line, unit):
        "Return the re-guaranteed balances of the TOP largest borrowers"
        cursor.execute(*line.select(
                line.borrower_reguaranteed,
                where=line.borrower_reguaranteed != Null,
                order_by=[line.borrower_reguaranteed.desc], limit=TOP))
        return [to_decimal(a) * unit for a, in cursor]

    @staticmethod
    def _related(cursor, line, unit):
        """Return the guarantee balance of the largest group of related
        borrowers by institution and the re-guaranteed balance of the
        largest group"""
        group = line.select(
            line.institution, Sum(line.guarantee).as_('amount'),
            where=line.related_group != Null,
            group_by=[line.institution, line.related_group])
        cursor.execute(*group.select(
                group.institution, Max(group.amount),
                group_by=[group.institution]))
        related = {
            institution: to_decimal(a) * unit for institution, a in cursor}
        group = line.select(
            Sum(line.reguaranteed).as_('amount'),
            where=line.related_group != Null,
            group_by=[line.related_group])
        cursor.execute(*group.select(Max(group.amount)))
        amount, = cursor.fetchone()
        return related, to_decimal(amount) * unit


class StoredPortfolio(Portfolio):
    """The indicators of Portfolio read from the balances stored by borrower
    (reguarantee.risk.balance), refreshed up to the date"""

    def __init__(self, company, date, digits=2):
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        self.company = company
        self.date = date
        self.unit = Decimal(1).scaleb(-digits)
        cursor = Transaction().connection.cursor()
        Balance.refresh(company, date, digits)
        line = Balance.lines(company)
        self._read(cursor, line, count=line.count)

    def _institutions_top(self, cursor, line):
        """Return the guarantee balance of the largest borrower and of the
        TOP largest by institution, each read from the index"""
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        balance = Balance.__table__()
        company, unit = self.company, self.unit
        top = {}
        for institution in self.totals:
            cursor.execute(*balance.select(
                    balance.borrower_guarantee,
                    where=(balance.company == company)
                    & (balance.institution == institution)
                    & (balance.borrower_guarantee != Null),
                    order_by=[balance.borrower_guarantee.desc],
                    limit=TOP))
            amounts = [to_decimal(a) for a, in cursor]
            if amounts:
                top[institution] = (
                    amounts[0] * unit, sum(amounts, Decimal(0)) * unit)
        return top


def loss_figures(company, date, period_start, key='institution'):
    """Return by the project's key (institution or product) the
    re-guarantor's compensations paid, guarantees released (normally or by
    compensation), recoveries and disposals up to the date, cumulative and
    since period_start, as a dictionary of Decimals"""
    pool = Pool()
    Compensation = pool.get('reguarantee.compensation')
    Disposal = pool.get('reguarantee.npa.disposal')
    Project = pool.get('reguarantee.project')
    Recovery = pool.get('reguarantee.recovery')
    project = Project.__table__()
    compensation = Compensation.__table__()
    recovery = Recovery.__table__()
    disposal = Disposal.__table__()
    cursor = Transaction().connection.cursor()
    figures = defaultdict(lambda: defaultdict(Decimal))
    group = getattr(project, key)

    def in_period(column, amount):
        return Sum(Case((column >= period_start, amount), else_=0))

    def add(names):
        for key_id, *amounts in cursor:
            for name, amount in zip(names, amounts):
                figures[key_id][name] += to_decimal(amount)

    paid = compensation.join(
        project, condition=compensation.project == project.id)
    cursor.execute(*paid.select(
            group,
            Sum(compensation.claim_amount),
            in_period(compensation.payment_date, compensation.claim_amount),
            Sum(project.reguaranteed_amount),
            in_period(
                compensation.payment_date, project.reguaranteed_amount),
            where=(compensation.company == company)
            & compensation.state.in_(PAID_STATES)
            & (compensation.payment_date <= date),
            group_by=[group]))
    add([
            'compensation', 'period_compensation', 'released',
            'period_released'])

    cursor.execute(*project.select(
            group,
            Sum(project.reguaranteed_amount),
            in_period(project.release_date, project.reguaranteed_amount),
            where=(project.company == company)
            & (project.release_date != Null)
            & (project.release_date <= date),
            group_by=[group]))
    add(['released', 'period_released'])

    recovered = recovery.join(
        compensation, condition=recovery.compensation == compensation.id
        ).join(project, condition=compensation.project == project.id)
    cursor.execute(*recovered.select(
            group, Sum(recovery.reguarantor_amount),
            where=(recovery.company == company)
            & (recovery.state == 'confirmed')
            & (recovery.date <= date),
            group_by=[group]))
    add(['recovered'])

    disposed = disposal.join(
        compensation, condition=disposal.compensation == compensation.id
        ).join(project, condition=compensation.project == project.id)
    cursor.execute(*disposed.select(
            group,
            Sum(disposal.book_amount),
            Sum(disposal.proceeds),
            Sum(disposal.loss_amount),
            where=(disposal.company == company)
            & (disposal.state == 'approved')
            & (disposal.date <= date),
            group_by=[group]))
    add(['disposed', 'proceeds', 'loss'])
    return figures


def ratio(numerator, denominator, digits=6):
    "Return numerator ÷ denominator rounded, or None when it is zero"
    if not denominator:
        return None
    return (numerator / denominator).quantize(Decimal(1).scaleb(-digits))
