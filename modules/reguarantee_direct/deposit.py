# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The deposits (保证金) the applicants pay as security of their guarantee

A deposit is received, held while the guarantee is in force, then refunded
once the guarantee is released or closed, or applied against the
compensation paid for it.

When finance sets the deposit accounts in the configuration, each deposit
is booked: received, from the bank account to the deposit liability;
settled, from the liability back to the bank account (what is refunded) and
to the claim on the borrower (what is applied)."""
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.reguarantee_base.model import (
    RecNamesSearchMixin, SequenceNumberMixin, WorkflowGuardMixin)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import DirectDepositError

#: The states of the guarantees whose deposit may be refunded
REFUND_STATES = {'released', 'closed'}
#: The states of the guarantees whose deposit may be applied
APPLY_STATES = {'compensated', 'closed'}


class Deposit(
        WorkflowGuardMixin, SequenceNumberMixin, RecNamesSearchMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.direct.deposit'
    _number_sequence = 'direct_deposit_sequence'
    _deletable_states = {'draft'}
    _rec_names_search = ['number', 'application.rec_name']

    number = fields.Char(
        "Number", readonly=True,
        help="The number of the deposit's receipt.")
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('state') != 'draft',
            })
    application = fields.Many2One(
        'reguarantee.direct.application', "Guarantee", required=True,
        ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'readonly': Eval('state') != 'draft',
            })
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        domain=[('amount', '>', 0)],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The amount the customer pays as security.")
    received_date = fields.Date(
        "Received Date",
        states={
            'readonly': Eval('state') != 'draft',
            'required': Eval('state').in_(['held', 'refunded', 'applied']),
            })
    refund_date = fields.Date(
        "Refund Date",
        states={
            'readonly': Eval('state') != 'held',
            'required': Eval('state').in_(['refunded', 'applied']),
            },
        help="The day the deposit is refunded or applied.")
    refund_amount = Monetary(
        "Refund Amount", currency='currency', digits='currency',
        states={
            'readonly': Eval('state') != 'held',
            'invisible': Eval('state').in_(['draft', 'cancelled']),
            },
        help="The amount paid back; leave empty for the whole deposit.")
    receipt_move = fields.Many2One(
        'account.move', "Receipt Move", readonly=True, ondelete='RESTRICT',
        help="The posted move of the deposit received.")
    settlement_move = fields.Many2One(
        'account.move', "Settlement Move", readonly=True,
        ondelete='RESTRICT',
        help="The posted move of the deposit refunded or applied.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('held', "Held"),
            ('refunded', "Refunded"),
            ('applied', "Applied"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('received_date', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'held'),
            ('draft', 'cancelled'),
            ('held', 'refunded'),
            ('held', 'applied'),
            }
        cls._buttons.update({
                'receive': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'refund': {
                    'invisible': Eval('state') != 'held',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'apply': {
                    'invisible': Eval('state') != 'held',
                    'icon': 'tryton-forward',
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

    def get_rec_name(self, name):
        return '%s %s' % (self.number or '', self.application.rec_name)

    @classmethod
    def copy(cls, deposits, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('receipt_move', None)
        default.setdefault('settlement_move', None)
        return super().copy(deposits, default=default)

    @classmethod
    def _today(cls):
        return Pool().get('ir.date').today()

    @classmethod
    @ModelView.button
    @Workflow.transition('held')
    def receive(cls, deposits):
        today = cls._today()
        for deposit in deposits:
            if not deposit.received_date:
                deposit.received_date = today
        cls.book(deposits, 'receipt_move')
        cls.save(deposits)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, deposits):
        pass

    def check_refund(self, states, message):
        if self.application.state not in states:
            raise DirectDepositError(gettext(
                    message, deposit=self.rec_name,
                    application=self.application.rec_name,
                    state=self.application.state_string))
        if self.refund_amount is not None and not (
                0 <= self.refund_amount <= self.amount):
            raise DirectDepositError(gettext(
                    'reguarantee_direct.msg_direct_deposit_refund_amount',
                    deposit=self.rec_name, amount=self.refund_amount))

    @classmethod
    @ModelView.button
    @Workflow.transition('refunded')
    def refund(cls, deposits):
        "Pay the deposits back: their guarantee is released or closed"
        cls._settle(
            deposits, REFUND_STATES,
            'reguarantee_direct.msg_direct_deposit_refund_state',
            lambda deposit: deposit.amount)

    @classmethod
    @ModelView.button
    @Workflow.transition('applied')
    def apply(cls, deposits):
        "Apply the deposits against the compensation paid"
        cls._settle(
            deposits, APPLY_STATES,
            'reguarantee_direct.msg_direct_deposit_apply_state',
            lambda deposit: 0)

    @classmethod
    def _settle(cls, deposits, states, message, default_refund):
        """Settle the deposits of guarantees in states (else raise message):
        dated today unless dated, paid back default_refund(deposit) unless
        an amount is set"""
        today = cls._today()
        for deposit in deposits:
            deposit.check_refund(states, message)
            if not deposit.refund_date:
                deposit.refund_date = today
            if deposit.refund_amount is None:
                deposit.refund_amount = default_refund(deposit)
        cls.book(deposits, 'settlement_move')
        cls.save(deposits)

    @classmethod
    def book(cls, deposits, field):
        """Post the move of field (receipt_move or settlement_move) of the
        deposits whose company books them and set it on them, unsaved:
        pressing the deposit's button is what allows it, not access to the
        moves"""
        pool = Pool()
        Move = pool.get('account.move')
        moves = {}
        for deposit in deposits:
            move = getattr(deposit, 'get_%s' % field)()
            if move:
                moves[deposit] = move
        with without_check_access():
            Move.save(list(moves.values()))
            Move.post(list(moves.values()))
        for deposit, move in moves.items():
            setattr(deposit, field, move)

    def get_booking(self):
        """Return the configuration's journal and the deposit, cash and
        applied accounts of the deposit's company, or None when it does not
        book its deposits"""
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        configuration = Configuration(1)
        pattern = {'company': self.company.id}
        deposit_account = configuration.get_multivalue(
            'deposit_account', **pattern)
        if not deposit_account:
            return None
        booking = {'deposit_account': deposit_account}
        for name in [
                'deposit_journal', 'deposit_cash_account',
                'deposit_applied_account']:
            booking[name] = configuration.get_multivalue(name, **pattern)
            if not booking[name]:
                raise DirectDepositError(gettext(
                        'reguarantee_direct.msg_direct_deposit_booking',
                        deposit=self.rec_name,
                        field=Configuration.fields_get([name])[name][
                            'string']))
        return booking

    def get_receipt_move(self):
        "Return the move of the deposit received, or None"
        booking = self.get_booking()
        if booking:
            return self._get_move(self.received_date, booking, [
                    (booking['deposit_cash_account'], self.amount, 0),
                    (booking['deposit_account'], 0, self.amount),
                    ])

    def get_settlement_move(self):
        "Return the move of the deposit refunded or applied, or None"
        booking = self.get_booking()
        if booking:
            applied = self.amount - self.refund_amount
            return self._get_move(self.refund_date, booking, [
                    (booking['deposit_account'], self.amount, 0),
                    (booking['deposit_cash_account'], 0, self.refund_amount),
                    (booking['deposit_applied_account'], 0, applied),
                    ])

    def _get_move(self, date, booking, lines):
        """Return the move of the deposit at date in the booking's journal
        with the lines (account, debit, credit) that are not zero"""
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        Period = pool.get('account.period')
        party = self.application.applicant.party
        move = Move(
            company=self.company, journal=booking['deposit_journal'],
            date=date,
            period=Period.find(self.company, date=date),
            origin=self, description=self.application.number)
        move.lines = [
            Line(account=account, debit=debit, credit=credit,
                party=party if account.party_required else None)
            for account, debit, credit in lines
            if debit or credit]
        return move


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['reguarantee.direct.deposit']
