# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_risk.configuration import RATE_DIGITS
from trytond.modules.reguarantee_risk.indicator import (
    in_force_where, ratio, to_decimal)
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .classification import LEVELS, NPL_LEVELS


def _balance(string, help):
    return Monetary(
        string, currency='currency', digits='currency', readonly=True,
        help=help)


class Snapshot(metaclass=PoolMeta):
    __name__ = 'reguarantee.risk.snapshot'

    balance_normal = _balance(
        "Normal Balance",
        "The balance of the projects in force classified normal: the "
        "guarantee amounts for an institution, the re-guaranteed amounts "
        "company-wide.")
    balance_special_mention = _balance(
        "Special Mention Balance",
        "The balance of the projects in force classified special mention.")
    balance_substandard = _balance(
        "Substandard Balance",
        "The balance of the projects in force classified substandard.")
    balance_doubtful = _balance(
        "Doubtful Balance",
        "The balance of the projects in force classified doubtful.")
    balance_loss = _balance(
        "Loss Balance",
        "The balance of the projects in force classified loss.")
    npl_ratio = fields.Numeric(
        "Non-performing Ratio", digits=RATE_DIGITS, readonly=True,
        help="The substandard, doubtful and loss balances ÷ the balance.")
    inspection_completion = fields.Numeric(
        "Inspection Completion", digits=RATE_DIGITS, readonly=True,
        help="The inspections due in the period up to the date and done "
        "by then ÷ the inspections due in the period.")

    @classmethod
    def _compute_company(cls, company, date):
        snapshots = super()._compute_company(company, date)
        cls._set_monitoring_values(company, date, snapshots)
        return snapshots

    @classmethod
    def _set_monitoring_values(cls, company, date, snapshots):
        "Write the classification balances and the inspection completion"
        round_ = company.currency.round
        period_start = date.replace(month=1, day=1)
        balances = cls._classification_balances(company, date)
        completion = cls._inspection_completion(company, period_start, date)
        to_write = []
        for snapshot in snapshots:
            institution = (
                snapshot.institution.id if snapshot.institution else None)
            if institution:
                amounts = {
                    level: guarantee
                    for level, (guarantee, _) in balances.get(
                        institution, {}).items()}
                due, done = completion.get(institution, (0, 0))
            else:
                amounts = defaultdict(Decimal)
                for by_level in balances.values():
                    for level, (_, reguaranteed) in by_level.items():
                        amounts[level] += reguaranteed
                due = sum(d for d, _ in completion.values())
                done = sum(d for _, d in completion.values())
            values = {
                'balance_' + level: round_(amounts.get(level, Decimal(0)))
                for level in LEVELS}
            total = sum(values.values(), Decimal(0))
            values['npl_ratio'] = ratio(
                sum((values['balance_' + level] for level in NPL_LEVELS),
                    Decimal(0)),
                total)
            values['inspection_completion'] = ratio(
                Decimal(done), Decimal(due))
            to_write.extend([[snapshot], values])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def _classification_balances(cls, company, date):
        """Return per institution and classification on the date the
        guarantee and re-guaranteed balances of the projects in force

        The projects in force are those of in_force_where of
        reguarantee_risk's indicator; the classification on the date is
        the one of the latest change approved by then, normal without."""
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        change = Change.__table__()
        cursor = Transaction().connection.cursor()

        level = change.select(
            change.to_level,
            where=(change.project == project.id)
            & (change.state == 'approved')
            & (change.approval_date <= date),
            order_by=[change.approval_date.desc, change.id.desc],
            limit=1)
        lines = project.select(
            project.institution.as_('institution'),
            Coalesce(level, 'normal').as_('level'),
            Coalesce(project.guarantee_amount, 0).as_('guarantee'),
            Coalesce(project.reguaranteed_amount, 0).as_('reguaranteed'),
            where=in_force_where(project, company.id, date))
        cursor.execute(*lines.select(
                lines.institution, lines.level,
                Sum(lines.guarantee), Sum(lines.reguaranteed),
                group_by=[lines.institution, lines.level]))
        result = defaultdict(dict)
        for institution, level, guarantee, reguaranteed in cursor:
            result[institution][level] = (
                to_decimal(guarantee), to_decimal(reguaranteed))
        return result

    @classmethod
    def _inspection_completion(cls, company, period_start, date):
        """Return per institution the number of inspections due from
        period_start to date and of those done by the date"""
        pool = Pool()
        Inspection = pool.get('reguarantee.inspection')
        inspection = Inspection.__table__()
        cursor = Transaction().connection.cursor()
        done = (inspection.state == 'done') & (inspection.done_date <= date)
        cursor.execute(*inspection.select(
                inspection.institution,
                Count(inspection.id),
                # typed columns only: PostgreSQL cannot type a lone parameter
                Count(Case((done, inspection.id))),
                where=(inspection.company == company.id)
                & (inspection.due_date >= period_start)
                & (inspection.due_date <= date),
                group_by=[inspection.institution]))
        return {i: (due, n_done or 0) for i, due, n_done in cursor}
