# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp, DateTrunc

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .model import RecNamesSearchMixin


class ProjectMonth(RecNamesSearchMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.project.month'
    _rec_names_search = ['institution.rec_name', 'product.rec_name']

    month = fields.Date(
        "Month", help="The first day of the month the projects start in.")
    company = fields.Many2One('company.company', "Company")
    institution = fields.Many2One('reguarantee.institution', "Institution")
    product = fields.Many2One('reguarantee.product', "Product")
    state = fields.Selection('get_states', "State", sort=False)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    project_count = fields.Integer("Number of Projects")
    loan_amount = Monetary(
        "Loan Amount", currency='currency', digits='currency')
    guarantee_amount = Monetary(
        "Guarantee Amount", currency='currency', digits='currency')
    reguaranteed_amount = Monetary(
        "Re-guaranteed Amount", currency='currency', digits='currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'DESC'),
            ('institution', 'ASC'),
            ('product', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def get_states(cls):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        return Project.fields_get(['state'])['state']['selection']

    @classmethod
    def table_query(cls):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        # The month is computed in a sub-query so that the GROUP BY names a
        # column: PostgreSQL does not take DATE_TRUNC($1, ...) in the SELECT
        # and DATE_TRUNC($2, ...) in the GROUP BY as the same expression.
        line = project.select(
            project.id, project.company, project.institution,
            project.product, project.state, project.loan_amount,
            project.guarantee_amount, project.reguaranteed_amount,
            cls.month.sql_cast(
                DateTrunc('month', project.start_date)).as_('month'),
            where=cls._where(project))

        def total(column):
            return cls.loan_amount.sql_cast(Sum(Coalesce(column, 0)))

        return line.select(
            Min(line.id).as_('id'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
            line.month.as_('month'),
            line.company.as_('company'),
            line.institution.as_('institution'),
            line.product.as_('product'),
            line.state.as_('state'),
            Count(line.id).as_('project_count'),
            total(line.loan_amount).as_('loan_amount'),
            total(line.guarantee_amount).as_('guarantee_amount'),
            total(line.reguaranteed_amount).as_('reguaranteed_amount'),
            group_by=[
                line.month, line.company, line.institution, line.product,
                line.state])

    @classmethod
    def _where(cls, project):
        "Return the condition on the projects to report"
        context = Transaction().context
        where = Literal(True)
        from_date = context.get('from_date')
        if from_date:
            where &= project.start_date >= from_date
        to_date = context.get('to_date')
        if to_date:
            where &= project.start_date <= to_date
        return where

    def get_currency(self, name):
        return self.company.currency.id

    def get_rec_name(self, name):
        return ' - '.join(filter(None, [
                    self.month.strftime('%Y-%m') if self.month else None,
                    self.institution.rec_name if self.institution else None,
                    self.product.rec_name if self.product else None,
                    ]))


class ProjectMonthContext(ModelView):
    __name__ = 'reguarantee.project.month.context'

    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="Count only the projects starting on or after this date.")
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="Count only the projects starting on or before this date.")

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')
