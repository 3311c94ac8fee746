# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import fields
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool, PoolMeta
from trytond.transaction import (
    Transaction, check_access, inactive_records, without_check_access)

#: The relational field types whose targets are searched in a sub-query
_TO_MANY = {'one2many', 'many2many', 'one2one'}


def _negative(operator):
    return operator.startswith('!') or operator.startswith('not ')


def _or_null(operator, value):
    "Whether a Many2One or Reference leaf matches Null, as Tryton converts it"
    return ((operator.startswith('not')
            and not (operator == 'not in' and None in value))
        or (operator == '!=' and value is not None))


class RelationRuleMixin:
    """Search and read the targets of relational fields with their record
    rules

    Tryton applies the read rules of the searched model only: the
    sub-queries of the relational leaves of a domain (dotted names, 'where'
    and 'not where', the ids and record names of x2Many fields, Reference
    paths) are converted without access checks, so that a count answers
    questions about records the user may not read.  This mixin, registered
    for every ModelSQL (tryton.cfg's register_mixin), converts each such
    leaf of a domain searched with access checks into a leaf on the ids of
    a search of the target model, made with the user's access rights and
    record rules, and so recursively: searches answer as if the records the
    user may not read did not exist.  Likewise the values of x2Many fields
    read with access checks leave out the targets the user may not read.

    The rule domains themselves are converted as Tryton does (they are
    trusted): only the domain of a search is rewritten, which ModelSQL
    converts with search_domain(domain) without active_test nor tables."""
    __slots__ = ()

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        if (active_test is None and tables is None
                and Transaction().check_access):
            domain = cls._rule_relation_domain(domain)
        return super().search_domain(
            domain, active_test=active_test, tables=tables)

    @classmethod
    def read(cls, ids, fields_names):
        """Read the x2Many fields without the targets the user may not read

        A Many2Many lists the rows of its relation table and a Function
        field what its getter found: neither is filtered by the target's
        record rules as a One2Many is."""
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        result = super().read(ids, fields_names)
        if not Transaction().check_access or not result:
            return result
        for name in fields_names:
            field = cls._fields.get(name)
            if field is None or field._type not in _TO_MANY:
                continue
            Target = field.get_target()
            if not ModelAccess.check(
                    Target.__name__, 'read', raise_exception=False):
                continue
            targets = {t for row in result for t in (row.get(name) or ())}
            if not targets:
                continue
            with inactive_records():
                readable = {
                    t.id for t in Target.search(
                        [('id', 'in', list(targets))], order=[])}
            if readable == targets:
                continue
            for row in result:
                if row.get(name):
                    row[name] = type(row[name])(
                        t for t in row[name] if t in readable)
        return result

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        # The records an RPC call instantiates are read without access
        # checks and ModelStorage checks their rules in Python, which
        # does not evaluate the relational operators of the rules
        if Transaction().check_access and records:
            cls.read([r.id for r in records], ['id'])
        return super().export_data(records, fields_names, header=header)

    @classmethod
    def _rule_relation_domain(cls, domain):
        "Return domain with the relational leaves searched with access checks"
        if is_leaf(domain):
            return cls._rule_relation_leaf(domain)
        elif isinstance(domain, (list, tuple)):
            return [cls._rule_relation_domain(d) for d in domain]
        return domain

    @classmethod
    def _rule_relation_leaf(cls, leaf):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        name, operator, value = leaf[:3]
        fname, _, nested = name.partition('.')
        field = cls._fields.get(fname)
        if field is None or hasattr(cls, f'domain_{fname}'):
            return leaf
        if isinstance(field, fields.Function):
            if not field.searcher:
                return leaf
            # as ModelSQL converts the searched model's own leaves, but
            # also those of the targets' sub-domains
            with without_check_access():
                converted = getattr(cls, field.searcher)(fname, leaf)
            if (not isinstance(converted, (list, tuple))
                    or converted == leaf or list(converted) == [leaf]):
                return leaf
            return cls._rule_relation_domain(converted)
        if (field._type in ({'many2one'} | _TO_MANY)
                and not ModelAccess.check(
                    field.get_target().__name__, 'read',
                    raise_exception=False)):
            # A model the user may not read at all has no record of another
            # institution to hide, and the searchers of fields the user
            # reads walk to such models (e.g. whether a bill is paid, from
            # its invoice): searched as Tryton does, without access checks
            with without_check_access():
                return cls._rule_relation_leaf(leaf)
        if field._type == 'many2one':
            return cls._rule_relation_many2one(field, leaf)
        elif field._type in _TO_MANY:
            return cls._rule_relation_x2many(field, leaf)
        elif field._type == 'reference' and nested and len(leaf) > 3:
            Target = pool.get(leaf[3])
            with inactive_records():
                query = Target.search(
                    [(nested, operator, value, *leaf[4:])],
                    order=[], query=True)
            expression = (f'{fname}.id', 'in', query, leaf[3])
            if _or_null(operator, value):
                expression = ['OR', expression, (fname, '=', None)]
            return expression
        return leaf

    @classmethod
    def _rule_relation_many2one(cls, field, leaf):
        Target = field.get_target()
        name, operator, value = leaf[:3]
        fname, _, nested = name.partition('.')
        if nested:
            sub_domain = [(nested, *leaf[1:])]
        elif operator in {'where', 'not where'}:
            sub_domain = [value] if is_leaf(value) else value
        elif operator.endswith('child_of') or operator.endswith('parent_of'):
            if len(leaf) < 4 or Target == cls:
                # A tree of the model itself, from the ids given
                return leaf
            sub_domain = [
                (leaf[3], operator.removeprefix('not '), value, *leaf[4:])]
        elif isinstance(value, str):
            sub_domain = [('rec_name', *leaf[1:])]
        else:
            # The ids of the record's own column
            return leaf
        with inactive_records():
            query = Target.search(sub_domain, order=[], query=True)
        if operator == 'not where' or (
                not nested and operator in {'not child_of', 'not parent_of'}):
            return (fname, 'not in', query)
        expression = (fname, 'in', query)
        if _or_null(operator, value):
            expression = ['OR', expression, (fname, '=', None)]
        return expression

    @classmethod
    def _rule_relation_x2many(cls, field, leaf):
        Target = field.get_target()
        name, operator, value = leaf[:3]
        fname, _, nested = name.partition('.')

        def search(domain):
            if field._type == 'one2many':
                return Target.search(domain, order=[], query=True)
            # A Many2Many goes through the Many2One of its relation
            with inactive_records():
                return Target.search(domain, order=[], query=True)

        if nested:
            sub_domain = [(nested, *leaf[1:])]
        elif operator in {'where', 'not where'}:
            sub_domain = [value] if is_leaf(value) else value
        elif operator.endswith('child_of') or operator.endswith('parent_of'):
            return leaf
        elif value is None:
            return (fname, 'not where' if operator == '=' else 'where',
                [('id', 'in', search([]))])
        elif isinstance(value, str):
            sub_domain = [('rec_name', *leaf[1:])]
        else:
            sub_domain = [('id', *leaf[1:])]
        query = search(sub_domain)
        if operator == 'not where':
            return (fname, 'not where', [('id', 'in', query)])
        expression = (fname, 'where', [('id', 'in', query)])
        if _negative(operator):
            # or without any target, as Tryton's x2Many convert_domain
            expression = ['OR', expression,
                (fname, 'not where', [('id', 'in', search([]))])]
        return expression


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "institutions" as list of ids of the re-guarantee '
            'institutions of the current user'
            '\n- "user_id" as the id of the current user')

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        return (
            *key, Transaction().user, User.get_reguarantee_institutions())

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        context['institutions'] = User.get_reguarantee_institutions()
        context['user_id'] = Transaction().user
        return context


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('reguarantee.contract|expire_contracts',
                    "Expire Re-guarantee Contracts"),
                ('reguarantee.project|remind_releases',
                    "Remind Re-guarantee Project Releases"),
                ])


class ModelButtonClick(metaclass=PoolMeta):
    __name__ = 'ir.model.button.click'

    button_string = fields.Function(
        fields.Char("Button"), 'get_button_string')
    record_readable = fields.Function(fields.Boolean(
            "Record Readable",
            help="Whether the current user may read the record whose "
            "button was pressed."),
        'get_record_readable', searcher='search_record_readable')

    def get_button_string(self, name):
        pool = Pool()
        Button = pool.get('ir.model.button')
        return Button.get_view_attributes(
            self.button.model, self.button.name).get(
                'string', self.button.name)

    @classmethod
    def get_record_readable(cls, clicks, name):
        with without_check_access():
            readable = cls.search([
                    ('id', 'in', [c.id for c in clicks]),
                    ('record_readable', '=', True),
                    ('active', 'in', [True, False]),
                    ], order=[])
        return {c.id: c in readable for c in clicks}

    @classmethod
    def search_record_readable(cls, name, clause):
        """Return the domain of the clicks on records the user may read:
        those of the models it may read, by their read rules (a record rule
        of the operators: who pressed which button of another institution's
        record is not theirs to know)"""
        pool = Pool()
        Button = pool.get('ir.model.button')
        ModelAccess = pool.get('ir.model.access')
        Rule = pool.get('ir.rule')
        transaction = Transaction()
        _, operator, value = clause[:3]
        # Rule.check tests the rules as root with the user in the context
        user = transaction.user or transaction.context.get('user') or 0
        with without_check_access(), inactive_records():
            models = sorted({b.model for b in Button.search([])})
        domain, unruled = ['OR'], []
        known = dict(pool.iterobject())
        with transaction.set_user(user), check_access():
            for model in models:
                if (model not in known
                        or not ModelAccess.check(
                            model, 'read', raise_exception=False)):
                    continue
                rule_domain = Rule.domain_get(model, mode='read')
                if not rule_domain:
                    unruled.append(model)
                    continue
                with without_check_access(), inactive_records():
                    query = pool.get(model).search(
                        rule_domain, order=[], query=True)
                domain.append([
                        ('button.model', '=', model),
                        ('record_id', 'in', query),
                        ])
        domain.append(('button.model', 'in', unruled))
        if (operator == '=') != bool(value):
            with without_check_access(), inactive_records():
                query = cls.search(domain, order=[], query=True)
            return [('id', 'not in', query)]
        return domain
