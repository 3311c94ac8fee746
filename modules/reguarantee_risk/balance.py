# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The balances in force by borrower, kept for the snapshot of today

The snapshot's figures need the balance of each borrower (with each
institution and with all of them) to weigh its projects: hundreds of
thousands of groups that cost seconds to recompute from the projects.  The
balances of the lines in force grouped by borrower, institution, industry
and region are stored once, then at each snapshot of today only the rows of
the borrowers whose inputs changed since the last refresh are recomputed:
projects created or written (every path that changes a project in force
writes its write_date, the bulk paths included), projects started, filed
or released and compensations paid since the last refresh's date,
compensations and borrowers written.  A product written (its liability
class), a borrower changed on a project in force, another currency or an
earlier date rebuild them all."""
import datetime as dt

from sql import Literal, Null, Select, Union
from sql.aggregate import Count, Sum
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .indicator import LINE_COLUMNS, WORK_MEM, in_force_query

#: A write may commit this long after its write_date (its transaction's
#: start): the borrowers written since the last refresh less this margin are
#: recomputed
MARGIN = dt.timedelta(hours=1)
#: Above this many borrowers to recompute, all are rebuilt at once
MAX_DIRTY = 50_000


class BigInteger(fields.Integer):
    "An integer of 64 bits"
    _sql_type = 'BIGINT'


def timestamp(value):
    "Return the value of a timestamp of the database as a datetime"
    if isinstance(value, str):
        # SQLite
        return dt.datetime.fromisoformat(value)
    return value


class Balance(ModelSQL):
    "The balances in force of a borrower with an institution"
    __name__ = 'reguarantee.risk.balance'

    # ids rather than Many2One: the foreign keys' triggers tripled the
    # time of writing the rows of a rebuild (about 600,000); the rows are
    # rebuilt from the projects, whose references are kept
    company = fields.Integer("Company", required=True)
    institution = fields.Integer("Institution", required=True)
    borrower = fields.Integer("Borrower", required=True)
    related_group = fields.Char("Related Group")
    industry = fields.Char("Industry")
    region = fields.Char("Region")
    count = fields.Integer("Count")
    # in the smallest unit of the currency
    guarantee = BigInteger("Guarantee")
    reguaranteed = BigInteger("Re-guaranteed")
    # in hundredths of the smallest unit
    weighted_guarantee = BigInteger("Weighted Guarantee")
    weighted_reguaranteed = BigInteger("Weighted Re-guaranteed")
    # on one row of each borrower and institution: its guarantee balance
    # with the institution
    borrower_guarantee = BigInteger("Borrower Guarantee")
    # on one row of each borrower: its re-guaranteed balance
    borrower_reguaranteed = BigInteger("Borrower Re-guaranteed")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.company, Index.Equality()),
                    (t.borrower, Index.Equality())),
                # the largest borrowers of each institution
                Index(t,
                    (t.company, Index.Equality()),
                    (t.institution, Index.Equality()),
                    (t.borrower_guarantee, Index.Range()),
                    where=t.borrower_guarantee != Null),
                # the company's largest borrowers
                Index(t,
                    (t.company, Index.Equality()),
                    (t.borrower_reguaranteed, Index.Range()),
                    where=t.borrower_reguaranteed != Null),
                })

    @classmethod
    def lines(cls, company):
        "Return the query of the LINE_COLUMNS and count of the company"
        table = cls.__table__()
        return table.select(
            *(getattr(table, n) for n, _ in LINE_COLUMNS), table.count,
            where=table.company == company)

    @classmethod
    def refresh(cls, company, date, digits=2):
        """Bring the balances of the company up to the date (today)
        recomputing only the borrowers changed since the last refresh"""
        pool = Pool()
        Refresh = pool.get('reguarantee.risk.balance.refresh')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        # the start of the transaction (PostgreSQL), as write_date
        cursor.execute(*Select([CurrentTimestamp()]))
        row = cursor.fetchone()
        now = timestamp(row[0])
        with without_check_access():
            refreshes = Refresh.search([('company', '=', company)])
            borrowers = None
            if (len(refreshes) == 1
                    and refreshes[0].digits == digits
                    and refreshes[0].date <= date):
                last, = refreshes
                borrowers = cls._changed_borrowers(
                    company, last.date, last.timestamp - MARGIN, date)
                if borrowers is not None and len(borrowers) > MAX_DIRTY:
                    borrowers = None
            if backend.name == 'postgresql':
                cursor.execute("SET LOCAL work_mem = '%s'" % WORK_MEM)
                cursor.execute('SET LOCAL jit = off')
            if borrowers is None:
                cursor.execute(*table.delete(where=table.company == company))
                cls._insert(company, date, digits)
            else:
                for sub in grouped_slice(
                        sorted(borrowers), backend.MAX_QUERY_PARAMS // 2):
                    sub = list(sub)
                    cursor.execute(*table.delete(
                            where=(table.company == company)
                            & table.borrower.in_(sub)))
                    cls._insert(company, date, digits, sub)
            Refresh.delete(refreshes)
            Refresh.create([{
                        'company': company,
                        'date': date,
                        'timestamp': now,
                        'digits': digits,
                        }])
        return borrowers

    @classmethod
    def _insert(cls, company, date, digits, borrowers=None):
        "Insert the balances of the borrowers (all when None) on the date"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        query = in_force_query(company, date, digits, borrowers=borrowers)
        query.columns = [
            c.as_(n) for c, (n, _) in zip(query.columns, LINE_COLUMNS)]
        keys = ['institution', 'borrower', 'related_group', 'industry',
            'region']
        sums = [n for n, _ in LINE_COLUMNS if n not in keys]
        columns = [getattr(query, n) for n in keys]
        cursor.execute(*table.insert(
                [table.company, table.create_uid, table.create_date]
                + [getattr(table, n) for n in keys + sums + ['count']],
                query.select(
                    Literal(company), Literal(transaction.user),
                    CurrentTimestamp(), *columns,
                    *(Sum(getattr(query, n)) for n in sums),
                    Count(Literal(1)),
                    group_by=columns)))

    @classmethod
    def _changed_borrowers(cls, company, last_date, since, date):
        """Return the ids of the borrowers whose balances may have changed
        since the last refresh on last_date at since, or None when all
        may have"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Compensation = pool.get('reguarantee.compensation')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        cursor = Transaction().connection.cursor()
        project = Project.__table__()
        borrower = Borrower.__table__()
        compensation = Compensation.__table__()
        product = Product.__table__()

        def written(table):
            return (table.write_date >= since) | (table.create_date >= since)

        def passed(column):
            return (column > last_date) & (column <= date)

        cursor.execute(*product.select(
                Literal(1), where=written(product), limit=1))
        if cursor.fetchone():
            return None
        query = Union(
            project.select(project.borrower,
                where=(project.company == company) & (
                    written(project)
                    | passed(project.start_date)
                    | passed(project.filing_date)
                    | passed(project.release_date))),
            compensation.join(project,
                condition=compensation.project == project.id).select(
                project.borrower,
                where=(compensation.company == company) & (
                    written(compensation)
                    | passed(compensation.payment_date))),
            borrower.select(borrower.id, where=written(borrower)))
        cursor.execute(*query)
        return {b for b, in cursor}

    @classmethod
    def invalidate(cls, companies=None):
        "Have the next refresh of the companies (all when None) rebuild all"
        pool = Pool()
        Refresh = pool.get('reguarantee.risk.balance.refresh')
        table = Refresh.__table__()
        cursor = Transaction().connection.cursor()
        where = None
        if companies is not None:
            where = table.company.in_(list(companies))
        cursor.execute(*table.delete(where=where))


class BalanceRefresh(ModelSQL):
    "The last refresh of the balances in force of a company"
    __name__ = 'reguarantee.risk.balance.refresh'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    timestamp = fields.Timestamp("Timestamp", required=True)
    digits = fields.Integer("Digits", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.company, Index.Equality())))
