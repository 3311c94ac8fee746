# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from sql import Cast, Null
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, Model, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from .approval import ApprovalHistoryMixin
from .exceptions import (
    AmountError, CompensationError, CompensationOpenError, DateOrderError)
from .model import DraftComputedMixin, OneOpenMixin, WorkflowGuardMixin
from .product import RATE_DIGITS

_states = {
    'readonly': Eval('state') != 'draft',
    }
#: States of a compensation still to be decided or paid
OPEN_STATES = ['draft', 'submitted', 'approved']


class Compensation(
        DraftComputedMixin, OneOpenMixin, WorkflowGuardMixin,
        ApprovalHistoryMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.compensation'
    _deletable_states = {'draft'}
    _draft_computed = {
        'claim_amount': (
            'compute_claim_amount', {
                'origin', 'project', 'principal', 'interest',
                'amount_paid_by_institution'}),
        }
    _open_parent = 'origin'
    _open_states = OPEN_STATES

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    origin = fields.Reference(
        "Origin", selection='get_origins', required=True, states=_states,
        domain={
            'reguarantee.project': [
                ('company', '=', Eval('company', -1)),
                If(Eval('state') == 'draft',
                    ('state', '=', 'filed'),
                    ()),
                ],
            },
        help="The guarantee whose borrower defaulted: a filed re-guarantee "
        "project (or, with the direct guarantees, a direct guarantee in "
        "force).")
    # The origin when it is a project, else empty: kept in its own indexed
    # column (filled from the origin by preprocess_values, checked by
    # check_origin) so that the statistics of the re-guarantee business
    # (risk, fees, credit, review, monitoring) join it as before.
    project = fields.Many2One(
        'reguarantee.project', "Project",
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'draft',
                ('state', '=', 'filed'),
                ()),
            ],
        help="The origin when it is a project, else empty.")
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_institution')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    default_date = fields.Date(
        "Default Date", required=True, states=_states,
        help="The date the borrower defaulted.")
    principal = Monetary(
        "Principal", currency='currency', digits='currency', required=True,
        states=_states, help="The principal of the loan in default.")
    interest = Monetary(
        "Interest", currency='currency', digits='currency', required=True,
        states=_states, help="The interest of the loan in default.")
    amount_paid_by_institution = Monetary(
        "Amount Paid by Institution", currency='currency',
        digits='currency',
        states={
            'readonly': _states['readonly'],
            'required': Bool(Eval('institution')),
            'invisible': ~Eval('institution') & Bool(Eval('origin')),
            },
        help="The amount the institution paid to the bank for the borrower "
        "(a re-guarantee project's).")
    share = fields.Numeric(
        "Re-guarantor Share", digits=RATE_DIGITS, readonly=True,
        help="The re-guarantor's share of the project's product, "
        "kept on submission.")
    claim_amount = Monetary(
        "Claim Amount", currency='currency', digits='currency',
        readonly=True,
        help="What the company pays: for a project, the amount paid by the "
        "institution times the re-guarantor's share.")
    approval_level = fields.Function(
        fields.Integer(
            "Approval Level",
            help="1, 2 or 3 as the claim amount is above the amounts of "
            "the configuration that need higher approvals."),
        'get_approval_level', searcher='search_approval_level')
    payment_date = fields.Date("Payment Date", readonly=True)
    write_off_date = fields.Date("Write-off Date", readonly=True)
    written_off_by = fields.Many2One(
        'res.user', "Written off By", readonly=True)
    recoveries = fields.One2Many(
        'reguarantee.recovery', 'compensation', "Recoveries", readonly=True)
    recovered_amount = fields.Function(Monetary(
            "Recovered Amount", currency='currency', digits='currency',
            help="The total of the confirmed recoveries."),
        'get_recovered_amounts')
    recovered_reguarantor_amount = fields.Function(Monetary(
            "Re-guarantor's Recovered Amount", currency='currency',
            digits='currency',
            help="The re-guarantor's part of the confirmed recoveries, due "
            "from the institution."),
        'get_recovered_amounts')
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('paid', "Paid"),
            ('written_off', "Written off"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('default_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.origin, Index.Equality())),
                Index(
                    t, (t.project, Index.Equality()),
                    where=t.project != Null),
                })
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'approved'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            ('approved', 'paid'),
            ('paid', 'written_off'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'rejected',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'pay': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'write_off': {
                    'invisible': Eval('state') != 'paid',
                    'icon': 'tryton-delete',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        exist = backend.TableHandler.table_exist(cls._table)
        origin_exist = exist and cls.__table_handler__(module).column_exist(
            'origin')

        super().__register__(module)

        # Migration from the compensations of projects only: the project
        # becomes the origin
        if exist and not origin_exist:
            cursor.execute(*table.update(
                    [table.origin],
                    [Concat('reguarantee.project,',
                            Cast(table.project, cls.origin.sql_type().base))],
                    where=table.project != Null))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def _get_origins(cls):
        """Return the models of the guarantees a compensation pays for: the
        hook of the modules that add some (e.g. direct guarantees)"""
        return ['reguarantee.project']

    @classmethod
    def get_origins(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origins()]

    @classmethod
    def _origin_project(cls, origin):
        """Return the id of the project of the origin value (a record, a
        'model,id' string or a (model, id) pair), None if it is no project

        The project is kept in its own indexed column, filled from the
        origin, so that the statistics of the re-guarantee business (risk,
        fees, credit, review, monitoring) join it as before."""
        if isinstance(origin, Model):
            model, id_ = origin.__name__, origin.id
        elif isinstance(origin, str):
            model, _, id_ = origin.partition(',')
        elif isinstance(origin, (list, tuple)) and len(origin) == 2:
            model, id_ = origin
        else:
            return None
        if model == 'reguarantee.project' and id_ not in {None, ''}:
            id_ = int(id_)
            if id_ >= 0:
                return id_

    @classmethod
    def preprocess_values(cls, mode, values):
        """Keep the project and the origin consistent: the project is
        filled from the origin; an origin is made from a project given
        alone (as before the origin existed)"""
        values = super().preprocess_values(mode, values)
        if values.get('origin'):
            values['project'] = cls._origin_project(values['origin'])
        elif values.get('project') is not None:
            project = values['project']
            project = getattr(project, 'id', project)
            values['origin'] = f'reguarantee.project,{project}'
        return values

    @fields.depends('origin')
    def on_change_with_project(self):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        if isinstance(self.origin, Project) and self.origin.id >= 0:
            return self.origin

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends(methods=['on_change_with_project'])
    def on_change_with_institution(self, name=None):
        project = self.on_change_with_project()
        return project.institution if project else None

    @classmethod
    def search_institution(cls, name, clause):
        return [('project.' + clause[0], *clause[1:])]

    @fields.depends(methods=['on_change_with_project'])
    def compute_share(self):
        """Return the share of the paid amount the company bears: the
        re-guarantor's share of the project's product"""
        project = self.on_change_with_project()
        if project and project.product:
            return project.product.share_reguarantor

    @fields.depends('share', methods=['compute_share'])
    def get_reguarantor_share(self):
        "Return the kept share or else the share computed from the origin"
        if self.share is not None:
            return self.share
        return self.compute_share()

    @fields.depends(
        'amount_paid_by_institution', 'currency',
        methods=['get_reguarantor_share'])
    def compute_claim_amount(self):
        """Return what the company pays: the amount paid by the institution
        times the share"""
        share = self.get_reguarantor_share()
        if (self.amount_paid_by_institution is not None
                and share is not None and self.currency):
            return self.currency.round(
                self.amount_paid_by_institution * share)

    @fields.depends(methods=['compute_claim_amount'])
    def on_change_with_claim_amount(self):
        return self.compute_claim_amount()

    def get_recoverable_amount(self):
        """Return the amount the recoveries add up to at most: what was paid
        to the bank (by the institution for a project)"""
        return self.amount_paid_by_institution

    @classmethod
    def get_approval_level(cls, compensations, name):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        return {
            c.id: configuration.get_approval_level(
                c.claim_amount,
                ['compensation_level2_amount', 'compensation_level3_amount'],
                c.company.id)
            for c in compensations}

    @classmethod
    def search_approval_level(cls, name, clause):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        table = cls.__table__()
        _, operator, value = clause
        level = Configuration(1).get_approval_level_sql(
            table.claim_amount,
            ['compensation_level2_amount', 'compensation_level3_amount'],
            table.company)
        return [('id', 'in', table.select(
                    table.id, where=fields.SQL_OPERATORS[operator](
                        level, value)))]

    @classmethod
    def get_recovered_amounts(cls, compensations, names):
        amounts = {name: {} for name in names}
        for compensation in compensations:
            confirmed = [
                r for r in compensation.recoveries if r.state == 'confirmed']
            for name, field in [
                    ('recovered_amount', 'amount'),
                    ('recovered_reguarantor_amount', 'reguarantor_amount')]:
                if name in names:
                    amounts[name][compensation.id] = sum(
                        (getattr(r, field) or 0 for r in confirmed),
                        compensation.currency.round(Decimal(0)))
        return amounts

    def get_rec_name(self, name):
        if self.origin and self.origin.id >= 0:
            return f'{self.origin.rec_name} ({self.default_date})'
        return str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        # each clause is limited to its model: one of them holds
        domain = ['OR']
        for model in cls._get_origins():
            domain.append(('origin.rec_name', operator, value, model))
        return domain

    @classmethod
    def copy(cls, compensations, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'share', 'claim_amount', 'payment_date', 'write_off_date',
                'written_off_by', 'recoveries']:
            default.setdefault(name, None)
        return super().copy(compensations, default=default)

    @classmethod
    def validate_fields(cls, compensations, field_names):
        super().validate_fields(compensations, field_names)
        cls.check_origin(compensations, field_names)
        cls.check_amounts(compensations, field_names)
        cls.check_default_date(compensations, field_names)

    @classmethod
    def check_origin(cls, compensations, field_names=None):
        "Check that the project is the origin when it is a project"
        if field_names and not ({'origin', 'project'} & set(field_names)):
            return
        for compensation in compensations:
            project = cls._origin_project(compensation.origin)
            if (compensation.project.id if compensation.project else None
                    ) != project:
                raise CompensationError(gettext(
                        'reguarantee_base.msg_compensation_origin_project',
                        compensation=compensation.rec_name,
                        project=(compensation.project.rec_name
                            if compensation.project else ''),
                        origin=compensation.origin.rec_name))

    @classmethod
    def check_amounts(cls, compensations, field_names=None):
        names = {'principal', 'interest', 'amount_paid_by_institution'}
        if field_names and not (names & set(field_names)):
            return
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for compensation in compensations:
            for name in sorted(names):
                value = getattr(compensation, name)
                if value is not None and value < 0:
                    raise AmountError(gettext(
                            'reguarantee_base.msg_compensation_negative',
                            compensation=compensation.rec_name,
                            field=cls.__names__(name)['field']))
            debt = compensation.principal + compensation.interest
            amount_paid = compensation.amount_paid_by_institution
            if amount_paid is not None and amount_paid > debt:
                raise AmountError(gettext(
                        'reguarantee_base.msg_compensation_paid_above_debt',
                        compensation=compensation.rec_name,
                        amount_paid=lang.currency(
                            amount_paid, compensation.currency),
                        debt=lang.currency(debt, compensation.currency)))

    @classmethod
    def check_default_date(cls, compensations, field_names=None):
        names = {'origin', 'default_date'}
        if field_names and not (names & set(field_names)):
            return
        for compensation in compensations:
            origin = compensation.origin
            start_date = origin.start_date
            if start_date and compensation.default_date < start_date:
                raise DateOrderError(gettext(
                        'reguarantee_base.msg_compensation_default_date',
                        compensation=compensation.rec_name,
                        default_date=compensation.default_date,
                        origin=origin.rec_name,
                        start_date=start_date))

    @classmethod
    def _open_error(cls, compensation, other):
        return CompensationOpenError(gettext(
                'reguarantee_base.msg_compensation_open_unique',
                compensation=compensation.rec_name,
                origin=compensation.origin.rec_name,
                other=other.rec_name))

    def check_submit(self):
        "Raise if the compensation cannot be submitted"
        if self.project and not (self.amount_paid_by_institution or 0) > 0:
            raise CompensationError(gettext(
                    'reguarantee_base.msg_compensation_paid_not_positive',
                    compensation=self.rec_name))

    @classmethod
    def _projects(cls, compensations):
        "Return the projects of the compensations whose origin is one"
        return list({c.project for c in compensations if c.project})

    @classmethod
    def close_origins(cls, compensations):
        """Close the origins of the compensations fully recovered or written
        off: the projects (a module's origins may be closed otherwise)"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Project.close(cls._projects(compensations))

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, compensations):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        for compensation in compensations:
            compensation.check_submit()
            compensation.share = compensation.compute_share()
            compensation.claim_amount = compensation.compute_claim_amount()
        cls.save(compensations)
        Project.start_compensation(cls._projects(compensations))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, compensations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, compensations):
        pool = Pool()
        Project = pool.get('reguarantee.project')
        Project.revert_compensation(cls._projects(compensations))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, compensations):
        cls.write(compensations, {'share': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('paid')
    def pay(cls, compensations):
        pool = Pool()
        Date = pool.get('ir.date')
        Project = pool.get('reguarantee.project')
        cls.write(compensations, {'payment_date': Date.today()})
        Project.compensate(cls._projects(compensations))

    @classmethod
    @ModelView.button
    @Workflow.transition('written_off')
    def write_off(cls, compensations):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(compensations, {
                'write_off_date': Date.today(),
                'written_off_by': Transaction().user,
                })
        cls.close_origins(compensations)


class CompensationRecordMixin:
    """A record of a paid compensation (a recovery, a disposal): the
    project and the institution of its compensation, its name

    The model defines its compensation Many2One (its own help and domain)
    and its date."""
    __slots__ = ()

    project = fields.Function(
        fields.Many2One('reguarantee.project', "Project"),
        'on_change_with_project', searcher='search_compensation')
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_compensation')

    @fields.depends('compensation', '_parent_compensation.project')
    def on_change_with_project(self, name=None):
        return self.compensation.project if self.compensation else None

    @fields.depends(
        'compensation', '_parent_compensation.project',
        '_parent_compensation.institution')
    def on_change_with_institution(self, name=None):
        return self.compensation.institution if self.compensation else None

    @classmethod
    def search_compensation(cls, name, clause):
        return [('compensation.' + clause[0], *clause[1:])]

    def get_rec_name(self, name):
        if self.compensation:
            return f'{self.compensation.origin.rec_name} ({self.date})'
        return str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('compensation.rec_name', *clause[1:])]
