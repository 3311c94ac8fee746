# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The work waiting for the user: one row per kind of waiting records, with
their count and the list they open in (the start page "My Work")

Each module adds its kinds as reguarantee.work records in its own XML:
the list (an act_window), the domain of the waiting records, the button
they wait for and the groups the work is for."""
import operator

from sql import Literal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import PYSON, Eval, If, PYSONDecoder, PYSONEncoder
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import StateAction, Wizard

from .exceptions import WorkDomainError

OPERATORS = {
    '=': operator.eq,
    '!=': operator.ne,
    '<': operator.lt,
    '<=': operator.le,
    '>': operator.gt,
    '>=': operator.ge,
    'in': lambda count, values: count in values,
    'not in': lambda count, values: count not in values,
    }


class Work(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'reguarantee.work'

    name = fields.Char("Name", required=True, translate=True)
    action = fields.Many2One(
        'ir.action.act_window', "List", required=True, ondelete='CASCADE',
        domain=[('res_model', '!=', None)],
        help="The list the waiting records are opened in, without its "
        "tabs.")
    model = fields.Function(
        fields.Char("Model"), 'on_change_with_model')
    domain = fields.Char(
        "Domain",
        help="The PYSON domain of the waiting records, added to the "
        "list's domain.")
    button = fields.Many2One(
        'ir.model.button', "Button", ondelete='CASCADE',
        domain=[('model', '=', Eval('model', ''))],
        help="The button the records wait for: the records on which the "
        "user already pressed it (an approval waiting for other users) "
        "are left out.")
    groups = fields.Many2Many(
        'reguarantee.work-res.group', 'work', 'group', "Groups",
        help="The groups whose users the work is for; "
        "when empty, the groups that may press the button.")
    mine = fields.Function(
        fields.Boolean("Mine", help="The work is for the current user."),
        'get_mine', searcher='search_mine')
    record_count = fields.Function(
        fields.Integer(
            "Count",
            help="How many records wait, among those the user may see."),
        'get_record_count', searcher='search_record_count')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('record_count', 0), '', 'muted')),
            ]

    @classmethod
    def validate_fields(cls, works, field_names):
        super().validate_fields(works, field_names)
        cls.check_domain(works, field_names)

    @classmethod
    def check_domain(cls, works, field_names=None):
        "Check the domain is a PYSON list of clauses"
        if field_names and 'domain' not in field_names:
            return
        for work in works:
            if not work.domain:
                continue
            try:
                value = PYSONDecoder(noeval=True).decode(work.domain)
                if isinstance(value, PYSON):
                    valid = value.types() == {list}
                else:
                    valid = isinstance(value, list)
                    fields.domain_validate(value)
            except Exception as exception:
                raise WorkDomainError(gettext(
                        'reguarantee_base.msg_work_invalid_domain',
                        work=work.rec_name,
                        domain=work.domain)) from exception
            if not valid:
                raise WorkDomainError(gettext(
                        'reguarantee_base.msg_work_invalid_domain',
                        work=work.rec_name, domain=work.domain))

    @fields.depends('action')
    def on_change_with_model(self, name=None):
        return self.action.res_model if self.action else None

    @classmethod
    def _mine_domain(cls):
        pool = Pool()
        User = pool.get('res.user')
        groups = list(User.get_groups())
        return ['OR',
            ('groups', 'in', groups),
            [
                ('groups', '=', None),
                ('button.groups', 'in', groups),
                ],
            ]

    @classmethod
    def get_mine(cls, works, name):
        mine = {w.id: False for w in works}
        with without_check_access():
            for work in cls.search([
                        ('id', 'in', list(mine)),
                        cls._mine_domain(),
                        ]):
                mine[work.id] = True
        return mine

    @classmethod
    def search_mine(cls, name, clause):
        _, operator_, value = clause
        domain = cls._mine_domain()
        if (operator_ == '=') != bool(value):
            domain = [('id', 'not in', cls.search(domain, query=True))]
        return domain

    def _pyson_context(self):
        context = dict(Transaction().context)
        context['_user'] = Transaction().user
        return context

    def get_domain(self, clicked=None, pyson=False):
        """Return the domain of the records waiting for the user

        clicked is the value of the ids to leave out as the user already
        pressed the button on them (a query, or a list of ids); the
        query of _clicked_query when None.  With pyson the domain keeps
        its PYSON statements, for the client."""
        decoder = PYSONDecoder(self._pyson_context(), noeval=pyson)
        domain = [
            decoder.decode(self.action.domain or '[]'),
            decoder.decode(self.domain or '[]'),
            ]
        if self.button:
            if clicked is None:
                clicked = self._clicked_query()
            domain.append(('id', 'not in', clicked))
        return domain

    def _clicked_query(self):
        "Return the query of the ids on which the user pressed the button"
        pool = Pool()
        ButtonClick = pool.get('ir.model.button.click')
        click = ButtonClick.__table__()
        return click.select(
            click.record_id,
            where=(click.button == self.button.id)
            & (click.user == Transaction().user)
            & (click.active == Literal(True)))

    def count_records(self):
        """Return how many records wait for the user, the record rules of
        the user applied, or None when the user may not read them"""
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Model = pool.get(self.model)
        with check_access():
            if not ModelAccess.check(
                    self.model, 'read', raise_exception=False):
                return None
            return Model.search_count(self.get_domain())

    @classmethod
    def get_record_count(cls, works, name):
        return {w.id: w.count_records() for w in works}

    @classmethod
    def search_record_count(cls, name, clause):
        _, operator_, value = clause
        compare = OPERATORS[operator_]
        works = cls.search([('mine', '=', True)], order=[])
        return [('id', 'in', [
                    w.id for w in works
                    if compare(w.count_records() or 0, value)])]

    def get_action_value(self):
        "Return the action that opens the records waiting for the user"
        value = self.action.action.get_action_value()
        clicked = []
        if self.button:
            cursor = Transaction().connection.cursor()
            cursor.execute(*self._clicked_query())
            clicked = [i for i, in cursor]
        domain = PYSONEncoder().encode(
            self.get_domain(clicked=clicked, pyson=True))
        value.update({
                'name': self.name,
                'domain': domain,
                'pyson_domain': domain,
                # The tabs of the list would filter the waiting records
                'domains': [],
                })
        return value


class WorkGroup(ModelSQL):
    __name__ = 'reguarantee.work-res.group'

    work = fields.Many2One(
        'reguarantee.work', "Work", required=True, ondelete='CASCADE')
    group = fields.Many2One(
        'res.group', "Group", required=True, ondelete='CASCADE')


class StateWorkAction(StateAction):
    "The action of the work the wizard is run on (see do_open_)"

    def __init__(self):
        super().__init__(None)

    def get_action(self):
        return None


class WorkOpen(Wizard):
    __name__ = 'reguarantee.work.open'
    _readonly = True
    start_state = 'open_'
    open_ = StateWorkAction()

    def do_open_(self, action):
        return self.record.get_action_value(), {}


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        """Open "My Work" at login for the users of a group that may run it
        and who have no other login action"""
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        preferences = super()._get_preferences(
            user, context_only=context_only)
        if not context_only and not user.actions:
            action = ActWindow(
                ModelData.get_id('reguarantee_base', 'act_work'))
            if set(action.groups) & set(user.groups):
                preferences.setdefault('actions', []).append(
                    action.action.id)
        return preferences
