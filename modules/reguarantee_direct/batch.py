# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from decimal import Decimal

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.model import (
    RecNamesSearchMixin, SequenceNumberMixin, WorkflowGuardMixin,
    create_in_bulk)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import BatchError

_states = {
    'readonly': Eval('state') != 'draft',
    }


class Batch(
        WorkflowGuardMixin, SequenceNumberMixin, RecNamesSearchMixin,
        Workflow, ModelSQL, ModelView):
    "A partner bank's batch of small-micro guarantees within its limit"
    __name__ = 'reguarantee.direct.batch'
    _number_sequence = 'direct_batch_sequence'
    _deletable_states = {'draft'}
    _rec_names_search = ['number', 'bank.rec_name']

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    bank = fields.Many2One(
        'party.party', "Bank", required=True, ondelete='RESTRICT',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The partner bank lending the loans of the batch.")
    product = fields.Many2One(
        'reguarantee.direct.product', "Product", required=True,
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    limit = Monetary(
        "Approved Limit", currency='currency', digits='currency',
        required=True, states=_states, domain=[('limit', '>', 0)],
        help="The total amount the guarantees of the batch may reach.")
    start_date = fields.Date(
        "Start Date", required=True, states=_states,
        domain=[('start_date', '<=', Eval('end_date', None))])
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[('end_date', '>=', Eval('start_date', None))])
    guarantees = fields.One2Many(
        'reguarantee.direct.application', 'batch', "Guarantees",
        readonly=True)
    used_amount = fields.Function(Monetary(
            "Used Amount", currency='currency', digits='currency',
            help="The total amount of the guarantees of the batch."),
        'get_amounts')
    remaining_limit = fields.Function(Monetary(
            "Remaining Limit", currency='currency', digits='currency'),
        'get_amounts')
    state = fields.Selection([
            ('draft', "Draft"),
            ('approved', "Approved"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.company, t.number),
                'reguarantee_direct.msg_batch_number_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'approved'),
            ('approved', 'closed'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'import_loans': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-import',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def get_amounts(cls, batches, names):
        "Sum the guarantees of the batches in SQL"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        application = Application.__table__()
        cursor = Transaction().connection.cursor()
        used = {b.id: Decimal(0) for b in batches}
        for sub in grouped_slice(
                [b.id for b in batches], backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub)
            cursor.execute(*application.select(
                    application.batch, Coalesce(Sum(application.amount), 0),
                    where=fields.SQL_OPERATORS['in'](
                        application.batch, sub_ids),
                    group_by=[application.batch]))
            for batch_id, amount in cursor:
                used[batch_id] = Decimal(str(amount))
        result = {}
        if 'used_amount' in names:
            result['used_amount'] = {
                b.id: b.currency.round(used[b.id]) for b in batches}
        if 'remaining_limit' in names:
            result['remaining_limit'] = {
                b.id: b.currency.round(b.limit - used[b.id])
                for b in batches}
        return result

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def validate(cls, batches):
        super().validate(batches)
        cls.check_limit(batches)

    @classmethod
    def check_limit(cls, batches, extra=None):
        """Raise if the guarantees of a batch, with the extra amounts by
        batch id about to be added, exceed its approved limit"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        extra = extra or {}
        for batch in batches:
            added = extra.get(batch.id, Decimal(0))
            total = batch.used_amount + added
            if total > batch.limit:
                def amount(value):
                    return lang.currency(
                        value, batch.currency, grouping=True)
                raise BatchError(gettext(
                        'reguarantee_direct.msg_batch_limit_exceeded',
                        batch=batch.rec_name,
                        used=amount(batch.used_amount), added=amount(added),
                        total=amount(total), limit=amount(batch.limit)))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, batches):
        "Approved by the risk department: rows may be imported"
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, batches):
        pass

    @classmethod
    @ModelView.button_action('reguarantee_direct.wizard_batch_import')
    def import_loans(cls, batches):
        "Import the bank's file of loans as guarantees in force"
        pass


class Application(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'

    batch = fields.Many2One(
        'reguarantee.direct.batch', "Batch", readonly=True,
        ondelete='RESTRICT',
        help="The partner bank's batch the guarantee was imported with.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('batch_loan_unique', Unique(t, t.batch, t.bank, t.loan_number),
                'reguarantee_direct.msg_batch_loan_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.batch, Index.Range())),
                # the loans of a bank file are looked up by bank and number
                Index(t,
                    (t.bank, Index.Equality()),
                    (t.loan_number, Index.Equality())),
                })

    @classmethod
    def validate(cls, applications):
        pool = Pool()
        Batch = pool.get('reguarantee.direct.batch')
        super().validate(applications)
        batches = {a.batch.id for a in applications if a.batch}
        if batches:
            Batch.check_limit(Batch.browse(batches))

    @classmethod
    def get_bank_loans(cls, bank, loan_numbers):
        """Return the numbers of the direct guarantees of the bank by loan
        number, for the loan numbers, in every company and batch"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub_numbers in grouped_slice(
                set(filter(None, loan_numbers)), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.loan_number, table.number,
                    where=(table.bank == bank.id)
                    & fields.SQL_OPERATORS['in'](
                        table.loan_number, list(sub_numbers))))
            result.update(cursor)
        return result

    @classmethod
    def create_in_batch(cls, batch, vlist):
        """Create the guarantees of the rows of the batch in force

        They bypass the individual committee review and approvals: the
        batch itself, its bank, product and limit, was approved by the risk
        department."""
        pool = Pool()
        Batch = pool.get('reguarantee.direct.batch')
        if batch.state != 'approved':
            raise BatchError(gettext(
                    'reguarantee_direct.msg_batch_not_approved',
                    batch=batch.rec_name))
        added = sum((v['amount'] for v in vlist), Decimal(0))
        Batch.check_limit([batch], {batch.id: added})
        # a loan of the bank is guaranteed once, whatever its batch
        loan_numbers = [v['loan_number'] for v in vlist]
        existing = cls.get_bank_loans(batch.bank, loan_numbers)
        seen = set()
        for loan_number in loan_numbers:
            if loan_number and (
                    loan_number in existing or loan_number in seen):
                raise BatchError(gettext(
                        'reguarantee_direct.msg_batch_import_loan_exists',
                        loan_number=loan_number, bank=batch.bank.rec_name,
                        application=existing.get(loan_number, '')))
            seen.add(loan_number)
        to_create = []
        for values in vlist:
            values = values.copy()
            values.update({
                    'company': batch.company.id,
                    'batch': batch.id,
                    'bank': batch.bank.id,
                    'product': batch.product.id,
                    'kind': 'financing',
                    'state': 'in_force',
                    })
            to_create.append(values)
        # A bank's file holds thousands of loans: one INSERT for them all
        # (Model.create inserts them one by one on SQLite); Tryton's field
        # checks and validate still run (the application is not a
        # PrevalidatedMixin), the key only skips WorkflowGuardMixin's check
        # of the initial state
        cls.set_numbers(to_create)
        with Transaction().set_context(_reguarantee_prevalidated=True):
            applications = create_in_bulk(cls, to_create)
        cls.check_eligibility(applications)
        return applications
