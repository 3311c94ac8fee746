# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The direct guarantees in the company's risk indicators

The company-wide snapshot of reguarantee_risk holds the re-guarantor's
liability (the re-guaranteed amounts); the direct guarantees are the
company's own liability beside it.  Both are added up in the total balance,
weighted liability, leverage and borrower concentration (a borrower may be
in both businesses), and the classification balances of
reguarantee_monitoring get their direct part."""
from decimal import Decimal

from sql import Null, Union, Window
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import fields
from trytond.modules.reguarantee_monitoring.classification import (
    LEVELS, NPL_LEVELS)
from trytond.modules.reguarantee_risk.indicator import (
    PAID_STATES, TOP, in_force_where, ratio, to_decimal, units, weight)
from trytond.modules.reguarantee_risk.snapshot import (
    LEVERAGE_DIGITS, SINGLE_LIMIT, WARNING_PART, money_field, rate_field)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

#: The states of the direct guarantees that may have been in force on a
#: past date (see Application.in_force_where)
ACCEPTED_STATES = ['in_force', 'released']


class DirectProduct(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.product'

    liability_class = fields.Selection([
            ('small_micro', "Small/Micro and Agriculture"),
            ('housing', "Housing"),
            ('other', "Other"),
            ], "Liability Class", required=True,
        help="How the financing guarantees of the product weigh in the "
        "company's liability balance: loans of a small/micro enterprise "
        "whose direct guarantee balance is under 5 million and of a farmer "
        "under 2 million 75 %, housing guarantees 30 %, the others 100 %.")

    @classmethod
    def default_liability_class(cls):
        return 'small_micro'


class Application(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'

    @classmethod
    def in_force_where(cls, table, company, date):
        """Return the SQL condition on the application table of the direct
        guarantees of the company in force on the date: started and not
        released by then

        The compensated guarantees are left out: the date of their
        compensation is the hook of the module that records it (as
        reguarantee_risk's in_force_where with the paid compensations)."""
        return ((table.company == company)
            & table.state.in_(ACCEPTED_STATES)
            & (table.start_date <= date)
            & ((table.release_date == Null) | (table.release_date > date)))

    @classmethod
    def balance_column(cls, table):
        """Return the SQL balance of a direct guarantee in force (see
        balance): the loan amount of a financing guarantee, the amount of a
        letter"""
        return Case(
            (table.kind == 'financing',
                Coalesce(table.loan_amount, table.amount)),
            else_=table.amount)


class Snapshot(metaclass=PoolMeta):
    __name__ = 'reguarantee.risk.snapshot'

    direct_count = fields.Integer(
        "Direct Guarantees in Force", readonly=True,
        help="The company's direct guarantees in force on the date, "
        "financing and non-financing.")
    direct_balance = money_field(
        "Direct Guarantee Balance",
        "The loan amounts of the company's direct financing guarantees in "
        "force: its own financing guarantee liability.")
    direct_letter_balance = money_field(
        "Non-financing Balance",
        "The amounts of the letters of guarantee (bid, performance, advance "
        "payment) in force: outside the financing guarantee liability, "
        "reported beside it.")
    direct_weighted_balance = money_field(
        "Direct Weighted Liability",
        "The direct guarantee balance weighted 75 % for the loans of a "
        "small/micro enterprise whose direct guarantee balance (all its "
        "loans together) is under 5 million and of a farmer under 2 "
        "million, 30 % for housing guarantees, 100 % otherwise.")
    total_balance = money_field(
        "Total Balance",
        "The re-guarantee balance and the direct guarantee balance.")
    total_weighted_balance = money_field(
        "Total Weighted Liability",
        "The weighted liability of the re-guarantees and of the direct "
        "guarantees.")
    total_leverage = fields.Numeric(
        "Total Leverage", digits=LEVERAGE_DIGITS, readonly=True,
        help="The total weighted liability ÷ net assets.")
    total_top1_amount = money_field(
        "Largest Borrower (Both)",
        "The balance of the largest borrower in both businesses: its "
        "re-guaranteed amounts and its direct guarantees.")
    total_top1_rate = rate_field(
        "Largest Borrower Rate (Both)",
        "The largest borrower's balance in both businesses ÷ net assets "
        "(limit 10 %).")
    total_top10_amount = money_field(
        "Top 10 Borrowers (Both)",
        "The balance of the 10 largest borrowers in both businesses.")
    total_top10_rate = rate_field(
        "Top 10 Borrowers Rate (Both)",
        "The 10 largest borrowers' balance in both businesses ÷ net assets.")
    direct_released_amount = money_field(
        "Direct Released",
        "The balances of the direct guarantees released, normally or by "
        "compensation.")
    direct_compensation_amount = money_field(
        "Direct Compensation",
        "The compensations paid to the banks for the direct guarantees.")
    direct_compensation_rate = rate_field(
        "Direct Compensation Rate",
        "The direct compensation ÷ the direct released amounts.")
    direct_recovered_amount = money_field(
        "Direct Recovered",
        "The confirmed recoveries of the direct compensations.")
    direct_recovery_rate = rate_field(
        "Direct Recovery Rate",
        "The direct recovered amount ÷ the direct compensation.")
    total_compensation_rate = rate_field(
        "Total Compensation Rate",
        "The compensations of both businesses ÷ their released amounts.")
    direct_balance_normal = money_field(
        "Direct Normal Balance",
        "The balance of the direct guarantees in force classified normal "
        "(loan amounts and letter amounts).")
    direct_balance_special_mention = money_field(
        "Direct Special Mention Balance",
        "The balance of the direct guarantees in force classified special "
        "mention.")
    direct_balance_substandard = money_field(
        "Direct Substandard Balance",
        "The balance of the direct guarantees in force classified "
        "substandard.")
    direct_balance_doubtful = money_field(
        "Direct Doubtful Balance",
        "The balance of the direct guarantees in force classified "
        "doubtful.")
    direct_balance_loss = money_field(
        "Direct Loss Balance",
        "The balance of the direct guarantees in force classified loss.")
    direct_npl_ratio = rate_field(
        "Direct Non-performing Ratio",
        "The direct substandard, doubtful and loss balances ÷ the direct "
        "balances of all the levels.")
    total_npl_ratio = rate_field(
        "Total Non-performing Ratio",
        "The substandard, doubtful and loss balances of both businesses ÷ "
        "their balances of all the levels.")
    total_balance_normal = fields.Function(money_field(
            "Total Normal Balance",
            "The normal balances of both businesses."),
        'get_total_level_balance')
    total_balance_special_mention = fields.Function(money_field(
            "Total Special Mention Balance",
            "The special mention balances of both businesses."),
        'get_total_level_balance')
    total_balance_substandard = fields.Function(money_field(
            "Total Substandard Balance",
            "The substandard balances of both businesses."),
        'get_total_level_balance')
    total_balance_doubtful = fields.Function(money_field(
            "Total Doubtful Balance",
            "The doubtful balances of both businesses."),
        'get_total_level_balance')
    total_balance_loss = fields.Function(money_field(
            "Total Loss Balance",
            "The loss balances of both businesses."),
        'get_total_level_balance')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form//page[@id="direct"]', 'states', {
                    'invisible': Bool(Eval('institution')),
                    }),
            ]

    def get_total_level_balance(self, name):
        level = name[len('total_balance_'):]
        direct = getattr(self, 'direct_balance_' + level)
        reguarantee = getattr(self, 'balance_' + level)
        if direct is None and reguarantee is None:
            return None
        return (direct or Decimal(0)) + (reguarantee or Decimal(0))

    @classmethod
    def _company_values(
            cls, company, date, period_start, portfolio, losses,
            configuration):
        values = super()._company_values(
            company, date, period_start, portfolio, losses, configuration)
        values.update(cls._direct_values(company, date, values))
        values['status'] = cls._status(values)
        return values

    @classmethod
    def _direct_values(cls, company, date, values):
        """Return the values of the direct guarantees and of both businesses
        of the company snapshot of values"""
        round_ = company.currency.round
        digits = company.currency.digits
        unit = Decimal(1).scaleb(-digits)
        count, financing, letters, weighted, levels = cls._direct_figures(
            company.id, date, digits)
        result = {
            'direct_count': count,
            'direct_balance': round_(financing * unit),
            'direct_letter_balance': round_(letters * unit),
            'direct_weighted_balance': round_(weighted * unit / 100),
            }
        for level in LEVELS:
            result['direct_balance_' + level] = round_(
                levels.get(level, 0) * unit)
        released, compensation, recovered = (
            round_(a * unit) for a in cls._direct_loss_figures(
                company.id, date, digits))
        result.update({
                'direct_released_amount': released,
                'direct_compensation_amount': compensation,
                'direct_compensation_rate': ratio(compensation, released),
                'direct_recovered_amount': recovered,
                'direct_recovery_rate': ratio(recovered, compensation),
                'total_compensation_rate': ratio(
                    values['compensation_amount'] + compensation,
                    values['released_amount'] + released),
                })
        result['direct_npl_ratio'] = ratio(
            sum((result['direct_balance_' + level] for level in NPL_LEVELS),
                Decimal(0)),
            sum((result['direct_balance_' + level] for level in LEVELS),
                Decimal(0)))
        net_assets = values.get('net_assets')
        result['total_balance'] = (
            values['reguarantee_balance'] + result['direct_balance'])
        result['total_weighted_balance'] = (
            values['weighted_balance'] + result['direct_weighted_balance'])
        result['total_leverage'] = ratio(
            result['total_weighted_balance'], net_assets,
            LEVERAGE_DIGITS[1])
        top = [a * unit for a in cls._total_top(company.id, date, digits)]
        top1 = round_(top[0] if top else Decimal(0))
        top10 = round_(sum(top, Decimal(0)))
        result.update({
                'total_top1_amount': top1,
                'total_top1_rate': ratio(top1, net_assets),
                'total_top10_amount': top10,
                'total_top10_rate': ratio(top10, net_assets),
                })
        return result

    @classmethod
    def _direct_figures(cls, company, date, digits):
        """Return the count, the financing and the letter balances, the
        weighted financing balance (in hundredths) and the balance per
        classification on the date of the direct guarantees of the company
        in force on the date, in integers of the smallest unit of the
        currency of digits

        The weight follows the borrower's direct financing guarantee balance
        in force (all its loans together); the classification on the date
        is the one of the latest change approved by then, normal without."""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Change = pool.get('reguarantee.classification.change')
        Product = pool.get('reguarantee.direct.product')
        application = Application.__table__()
        borrower = Borrower.__table__()
        product = Product.__table__()
        change = Change.__table__()
        cursor = Transaction().connection.cursor()

        financing = application.kind == 'financing'
        amount = units(Application.balance_column(application), digits)
        financing_amount = Case((financing, amount), else_=0)
        level = change.select(
            change.to_level,
            where=(change.application == application.id)
            & (change.state == 'approved')
            & (change.approval_date <= date),
            order_by=[change.approval_date.desc, change.id.desc],
            limit=1)
        lines = (application
            .join(borrower, condition=application.applicant == borrower.id)
            .join(product, condition=application.product == product.id)
            .select(
                Coalesce(level, 'normal').as_('level'),
                Case((financing, 1), else_=0).as_('financing'),
                amount.as_('amount'),
                (financing_amount * weight(product, borrower, Sum(
                            financing_amount,
                            window=Window([application.applicant])),
                        digits)).as_('weighted'),
                where=Application.in_force_where(application, company, date)))
        cursor.execute(*lines.select(
                lines.level, lines.financing,
                Count(lines.amount), Sum(lines.amount), Sum(lines.weighted),
                group_by=[lines.level, lines.financing]))
        count, financing_balance, letters, weighted = 0, 0, 0, 0
        levels = {}
        # one row per level and business kind: at most ten
        for level_, is_financing, n, balance, weighted_ in cursor:
            balance = to_decimal(balance)
            count += n
            levels[level_] = levels.get(level_, 0) + balance
            if is_financing:
                financing_balance += balance
                weighted += to_decimal(weighted_)
            else:
                letters += balance
        return count, financing_balance, letters, weighted, levels

    @classmethod
    def _direct_loss_figures(cls, company, date, digits):
        """Return the balances of the company's direct guarantees released
        by the date, normally or by a compensation paid, their compensations
        paid and the recoveries of these confirmed by then, in integers of
        the smallest unit of the currency of digits"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Compensation = pool.get('reguarantee.compensation')
        Recovery = pool.get('reguarantee.recovery')
        application = Application.__table__()
        compensation = Compensation.__table__()
        recovery = Recovery.__table__()
        cursor = Transaction().connection.cursor()

        paid = ((compensation.company == company)
            & compensation.origin.like(Application.__name__ + ',%')
            & compensation.state.in_(PAID_STATES)
            & (compensation.payment_date <= date))
        cursor.execute(*compensation.select(
                Sum(units(compensation.claim_amount, digits)), where=paid))
        compensated, = cursor.fetchone()
        cursor.execute(*recovery.join(compensation,
                condition=recovery.compensation == compensation.id).select(
                Sum(units(recovery.reguarantor_amount, digits)),
                where=paid
                & (recovery.state == 'confirmed') & (recovery.date <= date)))
        recovered, = cursor.fetchone()
        compensated_ids = compensation.select(
            Compensation.origin.sql_id(compensation.origin, Application),
            where=paid)
        released_by_date = (
            (application.release_date != Null)
            & (application.release_date <= date))
        cursor.execute(*application.select(
                Sum(units(Application.balance_column(application), digits)),
                where=(application.company == company)
                & (released_by_date
                    | application.id.in_(compensated_ids))))
        released, = cursor.fetchone()
        return to_decimal(released), to_decimal(compensated), to_decimal(
            recovered)

    @classmethod
    def _total_top(cls, company, date, digits):
        """Return the balances of the TOP largest borrowers in both
        businesses on the date, largest first, in integers of the smallest
        unit of the currency of digits: the re-guaranteed amounts of their
        projects in force (see reguarantee_risk's in_force_where) and their
        direct financing guarantees in force"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        application = Application.__table__()
        cursor = Transaction().connection.cursor()
        reguaranteed = project.select(
            project.borrower.as_('borrower'),
            units(project.reguaranteed_amount, digits).as_('amount'),
            where=in_force_where(project, company, date))
        direct = application.select(
            application.applicant.as_('borrower'),
            units(Application.balance_column(application), digits).as_(
                'amount'),
            where=Application.in_force_where(application, company, date)
            & (application.kind == 'financing'))
        lines = Union(reguaranteed, direct, all_=True)
        borrowers = lines.select(
            lines.borrower, Sum(lines.amount).as_('amount'),
            group_by=[lines.borrower])
        cursor.execute(*borrowers.select(
                borrowers.amount,
                order_by=[borrowers.amount.desc], limit=TOP))
        return [to_decimal(a) for a, in cursor]

    @classmethod
    def _set_monitoring_values(cls, company, date, snapshots):
        super()._set_monitoring_values(company, date, snapshots)
        to_write = []
        for snapshot in cls.browse([s.id for s in snapshots]):
            if snapshot.institution:
                continue
            balances = {
                level: (getattr(snapshot, 'balance_' + level) or Decimal(0))
                + (getattr(snapshot, 'direct_balance_' + level)
                    or Decimal(0))
                for level in LEVELS}
            to_write.extend([[snapshot], {
                        'total_npl_ratio': ratio(
                            sum((balances[level] for level in NPL_LEVELS),
                                Decimal(0)),
                            sum(balances.values(), Decimal(0))),
                        }])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def _status(cls, values):
        """Add the leverage and the largest borrower of both businesses to
        the indicators of the company"""
        status = super()._status(values)
        if status == 'breach':
            return status
        for name, limit in [
                ('total_leverage', values.get('leverage_limit')),
                ('total_top1_rate', SINGLE_LIMIT),
                ]:
            value = values.get(name)
            if value is None or limit is None:
                continue
            if value > limit:
                return 'breach'
            if value >= limit * WARNING_PART:
                status = 'warning'
        return status
