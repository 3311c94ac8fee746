# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Null
from sql.aggregate import Max

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .configuration import RATE_DIGITS
from .indicator import Portfolio, StoredPortfolio, loss_figures, ratio

#: Concentration limits against net assets: one borrower, one borrower
#: with its related parties
SINGLE_LIMIT = Decimal('0.1')
RELATED_LIMIT = Decimal('0.15')
#: Leverage limits: liability balance ÷ net assets
LEVERAGE_LIMIT = Decimal(10)
SMALL_MICRO_LEVERAGE_LIMIT = Decimal(15)
#: The part of a limit from which an indicator is a warning
WARNING_PART = Decimal('0.8')
LEVERAGE_DIGITS = (16, 4)


def money_field(string, help):
    "Return a read-only amount of a snapshot in the company's currency"
    return Monetary(
        string, currency='currency', digits='currency', readonly=True,
        help=help)


def rate_field(string, help):
    "Return a read-only rate of a snapshot"
    return fields.Numeric(string, digits=RATE_DIGITS, readonly=True, help=help)


class Snapshot(ModelSQL, ModelView):
    __name__ = 'reguarantee.risk.snapshot'

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    institution = fields.Many2One(
        'reguarantee.institution', "Institution", readonly=True,
        ondelete='CASCADE',
        help="Empty for the indicators of the whole company.")
    latest = fields.Boolean(
        "Latest", readonly=True,
        help="The latest snapshot of the institution or of the company.")
    month_end = fields.Boolean(
        "Month End", readonly=True,
        help="The latest snapshot of its month for the institution or the "
        "company.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    project_count = fields.Integer(
        "Projects in Force", readonly=True,
        help="The filed projects started and neither released nor "
        "compensated on the date.")
    guarantee_balance = money_field(
        "Guarantee Balance",
        "The guarantee amounts of the projects in force.")
    reguarantee_balance = money_field(
        "Re-guarantee Balance",
        "The re-guaranteed amounts of the projects in force.")
    weighted_balance = money_field(
        "Weighted Liability Balance",
        "The liability balance weighted 75 % for the loans of a small/micro "
        "enterprise whose guarantee balance in force (all its loans "
        "together) is under 5 million and of a farmer whose balance is "
        "under 2 million, 30 % for housing guarantees, 100 % otherwise: of "
        "the guarantee amounts for an institution, with the borrower's "
        "balance with the institution; of the re-guaranteed amounts "
        "company-wide, with its balance with all the institutions.")
    net_assets = money_field(
        "Net Assets",
        "The institution's net assets, or the re-guarantor's of the "
        "configuration company-wide.")
    leverage = fields.Numeric(
        "Leverage", digits=LEVERAGE_DIGITS, readonly=True,
        help="The weighted liability balance ÷ net assets.")
    leverage_limit = fields.Numeric(
        "Leverage Limit", digits=LEVERAGE_DIGITS, readonly=True,
        help="10, or 15 for the institutions mainly serving small/micro "
        "enterprises and agriculture.")
    top1_amount = money_field(
        "Largest Borrower",
        "The balance of the largest borrower (guarantee amounts for an "
        "institution, re-guaranteed amounts company-wide).")
    top1_rate = rate_field(
        "Largest Borrower Rate",
        "The largest borrower's balance ÷ net assets (limit 10 %).")
    top10_amount = money_field(
        "Top 10 Borrowers", "The balance of the 10 largest borrowers.")
    top10_rate = rate_field(
        "Top 10 Borrowers Rate",
        "The 10 largest borrowers' balance ÷ net assets.")
    related_amount = money_field(
        "Largest Related Group",
        "The balance of the largest borrower with its related parties "
        "(the borrowers of its related group).")
    related_rate = rate_field(
        "Largest Related Group Rate",
        "The largest related group's balance ÷ net assets (limit 15 %).")
    period_start = fields.Date(
        "Period Start", readonly=True,
        help="The first day of the period of the period rates: "
        "the first day of the year.")
    period_compensation = money_field(
        "Period Compensation",
        "The re-guarantor's compensations paid in the period.")
    period_released = money_field(
        "Period Released",
        "The re-guaranteed amounts released in the period, normally or by "
        "compensation.")
    period_compensation_rate = rate_field(
        "Period Compensation Rate",
        "The period compensation ÷ the period released amounts.")
    compensation_amount = money_field(
        "Compensation", "The re-guarantor's compensations paid.")
    released_amount = money_field(
        "Released",
        "The re-guaranteed amounts released, normally or by compensation.")
    compensation_rate = rate_field(
        "Compensation Rate",
        "The cumulative compensation ÷ the released amounts.")
    recovered_amount = money_field(
        "Recovered",
        "The re-guarantor's part of the confirmed recoveries and the "
        "proceeds of the approved disposals.")
    recovery_rate = rate_field(
        "Recovery Rate", "The recovered amount ÷ the compensation.")
    npa_balance = money_field(
        "Non-performing Assets",
        "The compensation neither recovered nor disposed of.")
    loss_amount = money_field(
        "Losses", "The losses of the approved disposals.")
    quota_amount = money_field("Quota", "The institution's quota.")
    quota_rate = rate_field(
        "Quota Used", "The re-guarantee balance ÷ the institution's quota.")
    status = fields.Selection([
            ('normal', "Normal"),
            ('warning', "Warning"),
            ('breach', "Breach"),
            ], "Status", readonly=True, sort=False,
        help="Breach when an indicator is above its limit, warning when "
        "it reaches 80 % of it.")
    shares = fields.One2Many(
        'reguarantee.risk.snapshot.share', 'snapshot', "Shares",
        readonly=True)
    industry_shares = fields.One2Many(
        'reguarantee.risk.snapshot.share', 'snapshot', "Industry Shares",
        readonly=True, filter=[('kind', '=', 'industry')])
    region_shares = fields.One2Many(
        'reguarantee.risk.snapshot.share', 'snapshot', "Region Shares",
        readonly=True, filter=[('kind', '=', 'region')])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'), ('institution', 'ASC NULLS FIRST'),
            ('id', 'DESC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('status') == 'breach', 'danger',
                    If(Eval('status') == 'warning', 'warning', ''))),
            ]

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        subject = (
            self.institution.rec_name if self.institution
            else self.company.rec_name)
        return f'{subject} @ {self.date}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('institution.rec_name', *clause[1:]),
            ('company.rec_name', *clause[1:]),
            ]

    @classmethod
    def compute(cls, date, companies=None):
        """Compute and store the snapshots of the companies on the date,
        replacing those of that date, and return them"""
        pool = Pool()
        Company = pool.get('company.company')
        if companies is None:
            companies = Company.search([])
        snapshots = []
        for company in companies:
            with Transaction().set_context(company=company.id):
                snapshots.extend(cls._compute_company(company, date))
        return snapshots

    @classmethod
    def _compute_company(cls, company, date):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Date = pool.get('ir.date')
        Institution = pool.get('reguarantee.institution')
        cls.delete(cls.search([
                    ('company', '=', company.id),
                    ('date', '=', date),
                    ]))
        period_start = date.replace(month=1, day=1)
        # today's from the balances stored by borrower, brought up to date;
        # another date's from the projects
        if date == Date.today():
            portfolio = StoredPortfolio(
                company.id, date, company.currency.digits)
        else:
            portfolio = Portfolio(company.id, date, company.currency.digits)
        losses = loss_figures(company.id, date, period_start)
        ids = set(portfolio.totals) | set(losses)
        institutions = Institution.search(['OR',
                ('id', 'in', list(ids - {None})),
                [
                    ('company', '=', company.id),
                    ('state', 'in', ['active', 'suspended']),
                    ],
                ])
        configuration = Configuration(1)
        vlist = [cls._company_values(
                company, date, period_start, portfolio, losses,
                configuration)]
        for institution in institutions:
            vlist.append(cls._institution_values(
                    company, date, period_start, portfolio, losses,
                    institution))
        snapshots = cls.create(vlist)
        cls._set_flags(company, date)
        return snapshots

    @classmethod
    def _base_values(cls, company, date, period_start, losses):
        "Return the values common to the company and an institution"
        round_ = company.currency.round
        amounts = {
            name: round_(losses.get(name, Decimal(0)))
            for name in [
                'compensation', 'period_compensation', 'released',
                'period_released', 'recovered', 'proceeds', 'disposed',
                'loss']}
        compensation = amounts['compensation']
        recovered = amounts['recovered'] + amounts['proceeds']
        return {
            'company': company.id,
            'date': date,
            'period_start': period_start,
            'period_compensation': amounts['period_compensation'],
            'period_released': amounts['period_released'],
            'period_compensation_rate': ratio(
                amounts['period_compensation'], amounts['period_released']),
            'compensation_amount': compensation,
            'released_amount': amounts['released'],
            'compensation_rate': ratio(compensation, amounts['released']),
            'recovered_amount': recovered,
            'recovery_rate': ratio(recovered, compensation),
            # the book amount disposed of holds the proceeds
            'npa_balance': (
                compensation - amounts['recovered'] - amounts['disposed']),
            'loss_amount': amounts['loss'],
            }

    @classmethod
    def _balance_values(
            cls, values, round_, count, guarantee, reguaranteed, weighted,
            net_assets, leverage_limit, top, related, shares):
        "Fill values with the balances, leverage and concentration"
        top1, top10 = top
        related = max(related, top1)
        values.update({
                'project_count': count,
                'guarantee_balance': round_(guarantee),
                'reguarantee_balance': round_(reguaranteed),
                'weighted_balance': round_(weighted),
                'net_assets': net_assets,
                'leverage': ratio(
                    round_(weighted), net_assets, LEVERAGE_DIGITS[1]),
                'leverage_limit': leverage_limit,
                'top1_amount': round_(top1),
                'top1_rate': ratio(round_(top1), net_assets),
                'top10_amount': round_(top10),
                'top10_rate': ratio(round_(top10), net_assets),
                'related_amount': round_(related),
                'related_rate': ratio(round_(related), net_assets),
                })
        balance = round_(
            guarantee if values.get('institution') else reguaranteed)
        values['shares'] = [('create', [{
                        'kind': kind,
                        'code': code,
                        'amount': round_(amount),
                        'rate': ratio(round_(amount), balance),
                        } for kind, code, amount in shares])]

    @classmethod
    def _company_values(
            cls, company, date, period_start, portfolio, losses,
            configuration):
        round_ = company.currency.round
        total = defaultdict(Decimal)
        for institution_losses in losses.values():
            for name, amount in institution_losses.items():
                total[name] += amount
        values = cls._base_values(company, date, period_start, total)
        count, guarantee, reguaranteed = 0, Decimal(0), Decimal(0)
        weighted = Decimal(0)
        for i_count, i_guarantee, i_reguaranteed, _, i_weighted in (
                portfolio.totals.values()):
            count += i_count
            guarantee += i_guarantee
            reguaranteed += i_reguaranteed
            weighted += i_weighted
        shares = []
        for kind, by_institution in [
                ('industry', portfolio.industries),
                ('region', portfolio.regions)]:
            amounts = defaultdict(Decimal)
            for institution_shares in by_institution.values():
                for code, (_, amount) in institution_shares.items():
                    amounts[code] += amount
            shares.extend((kind, c, a) for c, a in amounts.items())
        net_assets = configuration.get_multivalue(
            'net_assets', company=company.id)
        small_micro = configuration.get_multivalue(
            'small_micro_agriculture', company=company.id)
        company_top = portfolio.company_top
        cls._balance_values(
            values, round_, count, guarantee, reguaranteed, weighted,
            net_assets,
            SMALL_MICRO_LEVERAGE_LIMIT if small_micro else LEVERAGE_LIMIT,
            (company_top[0] if company_top else Decimal(0),
                sum(company_top, Decimal(0))),
            portfolio.company_related, shares)
        values['status'] = cls._status(values)
        return values

    @classmethod
    def _institution_values(
            cls, company, date, period_start, portfolio, losses,
            institution):
        round_ = company.currency.round
        id_ = institution.id
        values = cls._base_values(
            company, date, period_start, losses.get(id_, {}))
        values['institution'] = id_
        count, guarantee, reguaranteed, weighted, _ = portfolio.totals.get(
            id_, (0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)))
        shares = [
            (kind, code, amount)
            for kind, by_institution in [
                ('industry', portfolio.industries),
                ('region', portfolio.regions)]
            for code, (amount, _) in by_institution.get(id_, {}).items()]
        cls._balance_values(
            values, round_, count, guarantee, reguaranteed, weighted,
            institution.net_assets,
            SMALL_MICRO_LEVERAGE_LIMIT if institution.small_micro_agriculture
            else LEVERAGE_LIMIT,
            portfolio.top.get(id_, (Decimal(0), Decimal(0))),
            portfolio.related.get(id_, Decimal(0)), shares)
        values['quota_amount'] = institution.quota_amount
        values['quota_rate'] = ratio(
            values['reguarantee_balance'], institution.quota_amount)
        values['status'] = cls._status(values)
        return values

    @classmethod
    def _status(cls, values):
        "Return the status of the indicators of the values"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        quota_warning = Configuration(1).quota_warning_rate
        status = 'normal'
        for name, limit, warning in [
                ('leverage', values['leverage_limit'], None),
                ('top1_rate', SINGLE_LIMIT, None),
                ('related_rate', RELATED_LIMIT, None),
                ('quota_rate', Decimal(1), quota_warning),
                ]:
            value = values.get(name)
            if value is None:
                continue
            if value > limit:
                return 'breach'
            if value >= (warning or limit * WARNING_PART):
                status = 'warning'
        return status

    @classmethod
    def _set_flags(cls, company, date):
        """Flag the latest snapshot of each institution and of the company,
        overall and in the month of the date"""
        table = cls.__table__()
        other = cls.__table__()
        cursor = Transaction().connection.cursor()
        same = (other.company == table.company) & (
            (other.institution == table.institution)
            | ((other.institution == Null) & (table.institution == Null)))
        cursor.execute(*table.update(
                [table.latest],
                [table.date == other.select(Max(other.date), where=same)],
                where=table.company == company.id))
        first = date.replace(day=1)
        last = first + relativedelta(months=1, days=-1)
        cursor.execute(*table.update(
                [table.month_end],
                [table.date == other.select(
                        Max(other.date),
                        where=same & (other.date >= first)
                        & (other.date <= last))],
                where=(table.company == company.id)
                & (table.date >= first) & (table.date <= last)))

    @classmethod
    def compute_today(cls):
        """Compute the snapshots of today and assign the risk tiers, today
        in the timezone of each company (cron)"""
        pool = Pool()
        Assignment = pool.get('reguarantee.risk.tier.assignment')
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                today = Date.today()
                cls.compute(today, [company])
                Assignment.update(today, [company])


class SnapshotShare(ModelSQL, ModelView):
    __name__ = 'reguarantee.risk.snapshot.share'

    snapshot = fields.Many2One(
        'reguarantee.risk.snapshot', "Snapshot", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('industry', "Industry"),
            ('region', "Region"),
            ], "Kind", required=True, readonly=True)
    code = fields.Char(
        "Code", readonly=True,
        help="The industry section (GB/T 4754) or the prefecture code "
        "(GB/T 2260); empty when the projects have none.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    rate = fields.Numeric(
        "Share", digits=RATE_DIGITS, readonly=True,
        help="The amount ÷ the balance of the snapshot.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('amount', 'DESC'), ('code', 'ASC'), ('id', 'ASC')]

    @fields.depends('snapshot', '_parent_snapshot.company')
    def on_change_with_currency(self, name=None):
        if self.snapshot and self.snapshot.company:
            return self.snapshot.company.currency


class SnapshotCompute(Wizard):
    __name__ = 'reguarantee.risk.snapshot.compute'

    start = StateView(
        'reguarantee.risk.snapshot.compute.start',
        'reguarantee_risk.snapshot_compute_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Compute", 'compute', 'tryton-ok', default=True),
            ])
    compute = StateTransition()
    done = StateView(
        'reguarantee.risk.snapshot.compute.done',
        'reguarantee_risk.snapshot_compute_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open Snapshots", 'open_', 'tryton-forward',
                default=True),
            ])
    open_ = StateAction('reguarantee_risk.act_snapshot_form')

    def transition_compute(self):
        pool = Pool()
        Company = pool.get('company.company')
        Snapshot = pool.get('reguarantee.risk.snapshot')
        company = Company(Transaction().context['company'])
        snapshots = Snapshot.compute(self.start.date, [company])
        self.done.summary = self.get_summary(snapshots)
        return 'done'

    def get_summary(self, snapshots):
        "Return the text that says which snapshots were computed"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        lines = []
        institutions = [s for s in snapshots if s.institution]
        over = [
            s for s in institutions
            if s.leverage is not None and s.leverage_limit is not None
            and s.leverage > s.leverage_limit]
        lines.append(gettext(
                'reguarantee_risk.msg_snapshot_compute_summary',
                count=len(snapshots), institutions=len(institutions),
                date=lang.strftime(self.start.date)))
        for snapshot in snapshots:
            if snapshot.institution:
                continue
            lines.append(gettext(
                    'reguarantee_risk.msg_snapshot_compute_summary_company',
                    projects=snapshot.project_count or 0,
                    balance=lang.currency(
                        snapshot.reguarantee_balance or 0,
                        snapshot.currency, grouping=True),
                    leverage=lang.format(
                        '%.2f', snapshot.leverage or 0),
                    rate=lang.format(
                        '%.2f', (snapshot.compensation_rate or 0) * 100)))
        if over:
            lines.append(gettext(
                    'reguarantee_risk.msg_snapshot_compute_summary_leverage',
                    institutions=', '.join(
                        s.institution.rec_name for s in over)))
        return '\n'.join(lines)

    def default_done(self, fields):
        return {
            'summary': self.done.summary,
            }

    def do_open_(self, action):
        company = Transaction().context['company']
        action['pyson_domain'] = PYSONEncoder().encode([
                ('company', '=', company),
                ('date', '=', self.start.date),
                ])
        action['name'] += f' @ {self.start.date}'
        return action, {}


class SnapshotComputeStart(ModelView):
    __name__ = 'reguarantee.risk.snapshot.compute.start'

    date = fields.Date("Date", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class SnapshotComputeDone(ModelView):
    __name__ = 'reguarantee.risk.snapshot.compute.done'

    summary = fields.Text("Summary", readonly=True)
