# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Quotas: the maximum re-guarantee balance of a product, a contract and an
institution, three tiers of limits that a project must all fit in"""
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, Union
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Substring
from sql.operators import Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.project import SubmissionError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .configuration import RATE_DIGITS
from .indicator import ratio, to_decimal
from .tier import format_rate

#: Most values in one SQL IN list
MAX_PARAMS = backend.MAX_QUERY_PARAMS
#: States of the projects whose re-guaranteed amount uses the quotas
LIVE_STATES = ['submitted', 'filed', 'compensating']
KINDS = [
    ('product', "Product"),
    ('contract', "Contract"),
    ('institution', "Institution"),
    ]


def quota_keys(projects):
    """Return the quota keys, (kind, record id), of each project and the
    records with a quota by key, the quota of each record read once"""
    records, keys = {}, []
    for project in projects:
        project_keys = []
        for kind, _ in KINDS:
            record = getattr(project, kind, None)
            if record is None:
                continue
            key = kind, record.id
            if key not in records:
                records[key] = (
                    record if record.quota_amount is not None else None)
            if records[key] is not None:
                project_keys.append(key)
        keys.append(project_keys)
    return keys, {k: r for k, r in records.items() if r is not None}


class Quota(ModelSQL, ModelView):
    __name__ = 'reguarantee.risk.quota'

    company = fields.Many2One('company.company', "Company")
    kind = fields.Selection(KINDS, "Kind", sort=False)
    kind_string = kind.translated('kind')
    product = fields.Many2One('reguarantee.product', "Product")
    contract = fields.Many2One('reguarantee.contract', "Contract")
    institution = fields.Many2One('reguarantee.institution', "Institution")
    name = fields.Function(
        fields.Char("Name"), 'get_rec_name', searcher='search_rec_name')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    quota_amount = Monetary("Quota", currency='currency', digits='currency')
    used_amount = Monetary(
        "Used", currency='currency', digits='currency',
        help="The re-guaranteed amounts of the submitted, filed and "
        "compensating projects.")
    available_amount = fields.Function(Monetary(
            "Available", currency='currency', digits='currency'),
        'get_rate')
    rate = fields.Function(fields.Numeric(
            "Rate Used", digits=RATE_DIGITS,
            help="The used amount ÷ the quota."),
        'get_rate')
    status = fields.Function(fields.Selection([
                ('normal', "Normal"),
                ('warning', "Warning"),
                ('alert', "Alert"),
                ('exceeded', "Exceeded"),
                ], "Status",
            help="Warning and alert from the rates of the configuration."),
        'get_rate', searcher='search_status')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('kind', 'ASC'), ('id', 'ASC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('status').in_(['alert', 'exceeded']), 'danger',
                    If(Eval('status') == 'warning', 'warning', ''))),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Contract = pool.get('reguarantee.contract')
        Institution = pool.get('reguarantee.institution')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        queries = []
        for offset, (kind, Model) in enumerate([
                    ('product', Product), ('contract', Contract),
                    ('institution', Institution)]):
            record = Model.__table__()
            project = Project.__table__()
            column = getattr(project, kind)
            used = project.select(
                column.as_('record'),
                Sum(Coalesce(project.reguaranteed_amount, 0)).as_('amount'),
                where=project.state.in_(LIVE_STATES),
                group_by=[column])
            columns = {
                'product': Literal(Null), 'contract': Literal(Null),
                'institution': Literal(Null)}
            columns[kind] = record.id
            queries.append(record.join(
                    used, 'LEFT', condition=used.record == record.id
                    ).select(
                    (record.id * len(KINDS) + offset).as_('id'),
                    Literal(0).as_('create_uid'),
                    CurrentTimestamp().as_('create_date'),
                    cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
                    cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
                    record.company.as_('company'),
                    cls.kind.sql_cast(Literal(kind)).as_('kind'),
                    *(cls.product.sql_cast(c).as_(n)
                        for n, c in columns.items()),
                    record.quota_amount.as_('quota_amount'),
                    cls.used_amount.sql_cast(
                        Coalesce(used.amount, 0)).as_('used_amount'),
                    where=record.quota_amount != Null))
        return Union(*queries, all_=True)

    def get_currency(self, name):
        return self.company.currency.id

    @classmethod
    def get_rate(cls, quotas, names):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        values = {name: {} for name in names}
        for quota in quotas:
            rate = ratio(quota.used_amount, quota.quota_amount)
            if 'rate' in values:
                values['rate'][quota.id] = rate
            if 'available_amount' in values:
                values['available_amount'][quota.id] = max(
                    quota.quota_amount - quota.used_amount, 0)
            if 'status' in values:
                if rate is None:
                    status = 'normal' if not quota.used_amount else (
                        'exceeded')
                elif rate > 1:
                    status = 'exceeded'
                elif rate >= configuration.quota_alert_rate:
                    status = 'alert'
                elif rate >= configuration.quota_warning_rate:
                    status = 'warning'
                else:
                    status = 'normal'
                values['status'][quota.id] = status
        return values

    @classmethod
    def search_status(cls, name, clause):
        "Search the status as get_rate computes it, in SQL"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        table = cls.__table__()
        _, operator, value = clause
        quota, used = table.quota_amount, table.used_amount
        status = Case(
            ((quota == 0) & (used == 0), 'normal'),
            (quota == 0, 'exceeded'),
            (used > quota, 'exceeded'),
            (used >= quota * configuration.quota_alert_rate, 'alert'),
            (used >= quota * configuration.quota_warning_rate, 'warning'),
            else_='normal')
        return [('id', 'in', table.select(
                    table.id, where=SQL_OPERATORS[operator](status, value)))]

    @property
    def record(self):
        return getattr(self, self.kind)

    def get_rec_name(self, name):
        return f'{self.kind_string} {self.record.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('product.rec_name', *clause[1:]),
            ('contract.rec_name', *clause[1:]),
            ('institution.rec_name', *clause[1:]),
            ]

    @classmethod
    def get_used(cls, keys, exclude=None):
        """Return the used amount of the quotas of keys, (kind, record id)
        pairs, leaving out the projects of the ids of exclude (one query by
        slice of keys)"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        cursor = Transaction().connection.cursor()
        used = defaultdict(Decimal)
        where = project.state.in_(LIVE_STATES)
        if exclude:
            where &= ~SQL_OPERATORS['in'](project.id, exclude)
        for sub_keys in grouped_slice(sorted(keys), MAX_PARAMS):
            ids = defaultdict(list)
            for kind, id_ in sub_keys:
                ids[kind].append(id_)
            cursor.execute(*project.select(
                    project.product, project.contract, project.institution,
                    Sum(Coalesce(project.reguaranteed_amount, 0)),
                    where=where & Or([
                            getattr(project, k).in_(v)
                            for k, v in ids.items()]),
                    group_by=[
                        project.product, project.contract,
                        project.institution]))
            for product, contract, institution, amount in cursor:
                for key in [
                        ('product', product), ('contract', contract),
                        ('institution', institution)]:
                    if key in keys:
                        used[key] += to_decimal(amount)
        return used

    @classmethod
    def get_quota_errors(cls, projects, pending=None):
        """Return (project, error) for the projects that would take a quota
        above its amount, the projects being added in their order

        The projects accepted by the earlier calls with the same pending
        (see Project.get_submission_errors) count against the quotas."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        keys, limits = quota_keys(projects)
        if not limits:
            return []
        lang = Lang.get()
        kinds = dict(cls.fields_get(['kind'])['kind']['selection'])
        used = cls.get_used(limits, exclude=[
                p.id for p in projects if p.id is not None and p.id >= 0])
        accepted = (pending if pending is not None else {}).setdefault(
            'reguarantee_risk.quotas', defaultdict(Decimal))
        for key in limits:
            used[key] += accepted[key]
        quota_amounts = {k: r.quota_amount for k, r in limits.items()}
        errors = []
        for project, project_keys in zip(projects, keys):
            amount = project.reguaranteed_amount or Decimal(0)
            over = [
                k for k in project_keys
                if used[k] + amount > quota_amounts[k]]
            for key in over:
                record = limits[key]

                def money(value):
                    return lang.currency(value, project.currency)
                errors.append((project, SubmissionError(gettext(
                                'reguarantee_risk.msg_quota_exceeded',
                                project=project.rec_name,
                                kind=kinds[key[0]],
                                quota=record.rec_name,
                                used=money(used[key]),
                                amount=money(amount),
                                total=money(used[key] + amount),
                                quota_amount=money(record.quota_amount)),
                            'guarantee_amount')))
            if not over:
                for key in project_keys:
                    used[key] += amount
                    accepted[key] += amount
        return errors

    @classmethod
    def notify_thresholds(cls, ids):
        """Notify the risk staff and the institutions' users of the quotas
        that the submitted projects of the ids took past a warning rate"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        cursor = Transaction().connection.cursor()
        added, record_ids = defaultdict(Decimal), defaultdict(set)
        for sub_ids in grouped_slice(ids, MAX_PARAMS):
            cursor.execute(*project.select(
                    project.product, project.contract, project.institution,
                    Sum(Coalesce(project.reguaranteed_amount, 0)),
                    where=SQL_OPERATORS['in'](project.id, list(sub_ids))
                    & (project.state == 'submitted'),
                    group_by=[
                        project.product, project.contract,
                        project.institution]))
            for *records, amount in cursor:
                for (kind, _), id_ in zip(KINDS, records):
                    if id_ is not None:
                        added[kind, id_] += to_decimal(amount)
                        record_ids[kind].add(id_)
        limits = {
            (kind, r.id): r
            for kind, kind_ids in record_ids.items()
            for r in pool.get('reguarantee.' + kind).browse(list(kind_ids))
            if r.quota_amount is not None}
        if not limits:
            return
        thresholds = Configuration(1).quota_thresholds
        used = cls.get_used(limits)
        for key, record in limits.items():
            limit = record.quota_amount
            before = used[key] - added[key]
            crossed = [
                t for t in thresholds if before < t * limit <= used[key]]
            if crossed:
                institution = (
                    record if key[0] == 'institution'
                    else getattr(record, 'institution', None))
                cls.notify_staff(
                    [record], institution, 'tryton-warning',
                    'msg_quota_threshold',
                    kind=key[0], quota=record.rec_name,
                    rate=format_rate(ratio(used[key], limit)),
                    threshold=format_rate(max(crossed)),
                    used=used[key], quota_amount=limit)

    @classmethod
    def notify_staff(cls, records, institution, icon, msg_id, **params):
        """Notify the risk staff and the users of the institution, each in
        their language; amounts in params are formatted in the currency"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        users = set(User.search([
                    ('groups', '=', ModelData.get_id(
                            'reguarantee_base', 'group_risk')),
                    ]))
        if institution:
            users.update(institution.users)
        currency = records[0].company.currency
        for user in users:
            with Transaction().set_context(language=user.language.code
                    if user.language else None):
                lang = Lang.get()
                values = {
                    k: lang.currency(v, currency)
                    if isinstance(v, Decimal) else v
                    for k, v in params.items()}
                if 'kind' in values:
                    values['kind'] = dict(cls.fields_get(['kind'])['kind'][
                            'selection'])[values['kind']]
                label = gettext('reguarantee_risk.' + msg_id, **values)
            records[0].__class__.notify_user(
                records, icon, label, user=user.id)

    @classmethod
    def get_industry_concentrations(cls, ids):
        """Return (product, industry section, share) for the sections of the
        submitted projects of the ids whose share of their product's
        balance is above the product's industry concentration limit"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        Product = pool.get('reguarantee.product')
        Project = pool.get('reguarantee.project')
        project = Project.__table__()
        borrower = Borrower.__table__()
        product = Product.__table__()
        cursor = Transaction().connection.cursor()
        # The section is computed in a sub-query so that the GROUP BY names
        # a column: PostgreSQL does not take SUBSTRING with parameters in
        # the SELECT and in the GROUP BY as the same expression
        line = project.join(
            borrower, condition=project.borrower == borrower.id
            ).join(product, condition=project.product == product.id
            ).select(
            project.id, project.product, project.state,
            Substring(
                Coalesce(project.industry, borrower.industry), 1, 1
                ).as_('section'),
            Coalesce(project.reguaranteed_amount, 0).as_('amount'),
            where=product.industry_limit != Null)
        touched = set()
        for sub_ids in grouped_slice(ids, MAX_PARAMS):
            cursor.execute(*line.select(
                    line.product, line.section,
                    where=SQL_OPERATORS['in'](line.id, list(sub_ids))
                    & (line.state == 'submitted'),
                    group_by=[line.product, line.section]))
            touched.update(cursor)
        if not touched:
            return []
        cursor.execute(*line.select(
                line.product, line.section, Sum(line.amount),
                where=line.state.in_(LIVE_STATES)
                & line.product.in_(list({p for p, _ in touched})),
                group_by=[line.product, line.section]))
        amounts, totals = {}, defaultdict(Decimal)
        for product_id, code, amount in cursor:
            amounts[product_id, code] = to_decimal(amount)
            totals[product_id] += to_decimal(amount)
        concentrations = []
        for product_id, code in sorted(
                touched, key=lambda k: (k[0], k[1] or '')):
            product = Product(product_id)
            share = ratio(amounts.get((product_id, code), 0),
                totals[product_id])
            if share is not None and share > product.industry_limit:
                concentrations.append((product, code, share))
        return concentrations
