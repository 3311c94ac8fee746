# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import gc
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from itertools import repeat

from sql import Cast, Column, Flavor, Null, Select, Table
from sql.aggregate import Count
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import EvalEnvironment, fields
from trytond.pool import Pool
from trytond.pyson import PYSON, PYSONDecoder, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import ModificationError

#: The fields Model.create fills itself
MAGIC_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


class RecNamesSearchMixin:
    "Search the record name on each of the fields of _rec_names_search"
    __slots__ = ()
    _rec_names_search = []

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op, *(
                (field, operator, operand, *extra)
                for field in cls._rec_names_search)]


def sequence_values(sequence, count):
    """Return the count next values of the ir.sequence (or
    ir.sequence.strict) as its get_many yields them

    ir.sequence.get_many formats the prefix and suffix again for each value
    (≈ 70 µs: the substitutions and today's date are looked up each time),
    which is 15 % of an import of thousands of projects.  This formats them
    once, for the numbering of SequenceNumberMixin only: ir.sequence itself
    is not changed, for the other models of the database.  It relies on
    the sequence's _get_many and _process, which get_many calls."""
    if not count:
        return []
    with without_check_access():
        if sequence._strict:
            sequence.lock()
        prefix = sequence._process(sequence.prefix)
        suffix = sequence._process(sequence.suffix)
        return [
            f'{prefix}{value}{suffix}'
            for value in sequence._get_many(n=count)]


def count_by(table, parent, column, records, names, total):
    """Return the counts of the rows of table per record and value of
    column, as a Function field's getter of names returns them: the name
    f'{value}_count' for each value, total for all the rows

    parent is the column of table that points to the records."""
    cursor = Transaction().connection.cursor()
    result = {name: {r.id: 0 for r in records} for name in names}
    for sub_records in grouped_slice(records, backend.MAX_QUERY_PARAMS):
        cursor.execute(*table.select(
                parent, column, Count(parent),
                where=parent.in_([r.id for r in sub_records]),
                group_by=[parent, column]))
        for record_id, value, count in cursor:
            if total in result:
                result[total][record_id] += count
            name = f'{value}_count'
            if name in result:
                result[name][record_id] += count
    return result


class SequenceNumberMixin:
    """Number the new records from the company's sequence of the
    re-guarantee configuration field _number_sequence

    The records created one by one are numbered by preprocess_values; a
    caller creating thousands at once numbers their values first with
    set_numbers (e.g. Project.enter_submitted)."""
    __slots__ = ()
    _number_sequence = None

    @classmethod
    def get_number_sequence(cls, company_id):
        "Return the sequence numbering the records of the company or None"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        if company_id is None:
            return None
        return Configuration(1).get_multivalue(
            cls._number_sequence, company=company_id)

    @classmethod
    def set_numbers(cls, vlist):
        """Number the values to create that have no number, by company, with
        one call to the sequence per company"""
        default_company = Transaction().context.get('company')
        by_company = {}
        for values in vlist:
            if not values.get('number'):
                by_company.setdefault(
                    values.get('company', default_company), []).append(
                    values)
        for company_id, company_vlist in by_company.items():
            sequence = cls.get_number_sequence(company_id)
            if sequence:
                for values, number in zip(company_vlist, sequence_values(
                            sequence, len(company_vlist))):
                    values['number'] = number

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            cls.set_numbers([values])
        return values


class PrevalidatedMixin:
    """Skip Tryton's field checks (required, domain, digits, validate) of
    the records created or written under the context key
    _reguarantee_prevalidated

    Project.enter_submitted creates under it the new projects and borrowers
    that Project.get_submission_errors has just validated, which checks
    more (the fee run and the filing batches likewise their fees and
    records); the key starts with an underscore so clients cannot set
    it."""
    __slots__ = ()

    @classmethod
    def _validate(cls, records, field_names=None):
        if not Transaction().context.get('_reguarantee_prevalidated'):
            super()._validate(records, field_names=field_names)


class WorkflowGuardMixin:
    """Refuse the external changes (RPC: access checks on, even for an
    administrator) of the state and of the read-only fields

    A field is read-only when it is declared so or when its states make it
    read-only for the record as stored.  Only the buttons and the server,
    which write without access checks, change them: sao hides them, but a
    client speaking trytond's protocol would otherwise skip the approvals.
    A record is created in its first state and without values for the
    fields always read-only (numbers, moves, amounts computed by the
    server), unless the server validated it as its button would under
    _reguarantee_prevalidated (the project import creates the projects
    submitted, see PrevalidatedMixin); a copy takes them from the record
    copied, not from the client.  The rules are read from the fields of
    the complete class, so that a module relaxing or adding read-only
    states (e.g. reguarantee_filing) is followed."""
    __slots__ = ()
    #: the exception raised, a module may use its own
    _modification_error = ModificationError
    #: the states in which a record may be deleted, None when the model
    #: checks it itself
    _deletable_states = None

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        encoder = PYSONEncoder()
        # field name: True when always read-only, else the encoded PYSON
        cls._readonly_fields = {}
        for name, field in cls._fields.items():
            readonly = field.readonly or (field.states or {}).get('readonly')
            if isinstance(readonly, PYSON):
                cls._readonly_fields[name] = encoder.encode(readonly)
            elif readonly:
                cls._readonly_fields[name] = True
        # the fields the clients never send (sao and proteus skip those
        # declared read-only), the state has its own message
        cls._readonly_create_fields = {
            n for n, f in cls._fields.items()
            if f.readonly and not isinstance(f, fields.Function)
            } - {cls._guarded_state()}

    @classmethod
    def _before_create(cls, vlist):
        # Tryton gives check_modification no values on create: they are
        # checked where ModelStorage checks the access to their fields
        transaction = Transaction()
        if (transaction.user and transaction.check_access
                and not transaction.context.get('_reguarantee_prevalidated')
                and not transaction.context.get('_reguarantee_copy')):
            for values in vlist:
                cls.check_readonly_create(values)
        return super()._before_create(vlist)

    @classmethod
    def copy(cls, records, default=None):
        transaction = Transaction()
        if transaction.user and transaction.check_access and default:
            cls.check_readonly_create({
                    k: v for k, v in default.items() if not callable(v)})
        with transaction.set_context(_reguarantee_copy=True):
            return super().copy(records, default=default)

    @classmethod
    def check_readonly_create(cls, values):
        """Raise if values of a new record set a field always read-only

        An empty value or the field's default is what the server would
        store anyway."""
        for name in sorted(values.keys() & cls._readonly_create_fields):
            value = values[name]
            if value is None or value == '' or value == []:
                continue
            if name in cls._defaults and value == cls._defaults[name]():
                continue
            raise cls._modification_error(gettext(
                    'reguarantee_base.msg_create_readonly',
                    **cls.__names__(name)))

    @classmethod
    def _guarded_state(cls):
        "Return the name of the state field"
        return getattr(cls, '_transition_state', 'state')

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode == 'create':
            if not Transaction().context.get('_reguarantee_prevalidated'):
                cls.check_initial_state(records)
        elif external and mode == 'write':
            cls.check_readonly_write(records, values)
        elif mode == 'delete' and cls._deletable_states is not None:
            cls.check_delete_state(records)

    @classmethod
    def check_delete_state(cls, records):
        "Raise if a record is deleted in a state where it may not be"
        state = cls._guarded_state()
        for record in records:
            if getattr(record, state) not in cls._deletable_states:
                raise cls._modification_error(gettext(
                        'reguarantee_base.msg_delete_state',
                        **cls.__names__(state, record)))

    @classmethod
    def check_initial_state(cls, records):
        "Raise if a record is created in another state than its first"
        state = cls._guarded_state()
        initial = cls._defaults[state]()
        for record in records:
            if getattr(record, state) != initial:
                selection = dict(cls.fields_get([state])[state]['selection'])
                raise cls._modification_error(gettext(
                        'reguarantee_base.msg_create_initial_state',
                        initial=selection.get(initial, initial),
                        **cls.__names__(state, record)))

    @classmethod
    def is_readonly(cls, record, name):
        "Return whether the field is read-only for the record as stored"
        readonly = cls._readonly_fields.get(name, False)
        if readonly is True or not readonly:
            return readonly
        env = EvalEnvironment(record, cls)
        env['context'] = Transaction().context
        env['active_model'] = cls.__name__
        env['active_id'] = record.id
        return bool(PYSONDecoder(env).decode(readonly))

    @classmethod
    def check_readonly_write(cls, records, values):
        """Raise if values change the state or a read-only field of records

        A read-only field written with its stored value is not changed: sao
        sends such values again (e.g. those an on_change returned while it
        was reloading the record)."""
        state = cls._guarded_state()
        names = sorted((values.keys() & cls._readonly_fields.keys()) - {state})
        if state not in values and names:
            stored = cls._readonly_stored_values(records, names)
        else:
            stored = {}
        for record in records:
            if state in values:
                raise cls._modification_error(gettext(
                        'reguarantee_base.msg_write_state',
                        **cls.__names__(state, record)))
            for name in names:
                if (name in stored.get(record.id, {})
                        and cls._same_value(
                            name, stored[record.id][name], values[name])):
                    continue
                cls.check_writable(record, name)

    @classmethod
    def _readonly_stored_values(cls, records, names):
        """Return the stored values of the fields names of the records by id

        Only the fields compared by _same_value are read, those stored in
        columns (not the Function and x2Many fields); the records not yet
        stored are left out."""
        names = [
            n for n in names
            if cls._fields[n]._type in cls._compared_types
            and not isinstance(cls._fields[n], fields.Function)]
        ids = [r.id for r in records if r.id is not None and r.id >= 0]
        if not names or not ids:
            return {}
        # the values of the fields, not their read-only states: the caller
        # checks the access (called without access checks by write)
        return {v['id']: v for v in cls.read(ids, names)}

    #: the field types whose stored value _same_value compares
    _compared_types = {
        'boolean', 'char', 'text', 'selection', 'integer', 'biginteger',
        'float', 'numeric', 'date', 'datetime', 'timestamp', 'time',
        'timedelta', 'many2one', 'reference'}

    @classmethod
    def _same_value(cls, name, stored, value):
        "Return whether value written in field name is the stored value"
        type_ = cls._fields[name]._type
        if type_ in {'char', 'text', 'selection'}:
            # sao sends '' for an empty text, stored as NULL
            return (stored or None) == (value or None)
        elif type_ == 'boolean':
            return bool(stored) == bool(value)
        elif type_ == 'many2one':
            return stored == getattr(value, 'id', value)
        elif type_ == 'reference':
            if isinstance(value, (list, tuple)):
                value = '%s,%s' % tuple(value)
            return (stored or None) == (str(value) if value else None)
        elif type_ == 'numeric':
            if stored is None or value is None:
                return stored is value
            try:
                # a float as it is written, not its binary expansion
                return Decimal(str(stored)) == Decimal(str(value))
            except ArithmeticError:
                return False
        elif type_ in {'date', 'datetime', 'timestamp'}:
            # a date is not the datetime of its midnight
            return type(stored) is type(value) and stored == value
        return stored == value

    @classmethod
    def check_writable(cls, record, name):
        "Raise if the field is read-only for the record as stored"
        if cls.is_readonly(record, name):
            msg_id = (
                'msg_write_readonly' if cls._readonly_fields[name] is True
                else 'msg_write_readonly_state')
            raise cls._modification_error(gettext(
                    'reguarantee_base.' + msg_id,
                    state=cls.__names__(cls._guarded_state(), record)['value'],
                    **cls.__names__(name, record)))


class OneOpenMixin:
    """Keep at most one open record (in a state of _open_states) per record
    of the Many2One or Reference _open_parent: one open compensation per
    guarantee, one open disposal per compensation

    The model returns its error with _open_error."""
    __slots__ = ()
    _open_parent = None
    _open_states = ()

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        cls.check_open(records, field_names)

    @classmethod
    def check_open(cls, records, field_names=None):
        "Check that the open records are the only open ones of their parent"
        parent = cls._open_parent
        state = getattr(cls, '_transition_state', 'state')
        if field_names and not ({parent, state} & set(field_names)):
            return
        records = [
            r for r in records if getattr(r, state) in cls._open_states]
        if not records:
            return
        if isinstance(cls._fields[parent], fields.Reference):
            values = {str(getattr(r, parent)) for r in records}
        else:
            values = {getattr(r, parent).id for r in records}
        others = cls.search([
                (parent, 'in', list(values)),
                (state, 'in', list(cls._open_states)),
                ('id', 'not in', [r.id for r in records]),
                ], order=[('id', 'ASC')])
        seen = {}
        for record in others + records:
            other = seen.setdefault(getattr(record, parent), record)
            if other != record:
                raise cls._open_error(record, other)

    @classmethod
    def _open_error(cls, record, other):
        "Return the error to raise as record is open while other is"
        raise NotImplementedError


class DraftComputedMixin:
    """Store the fields computed from others while the record is a draft
    (e.g. the claim amount of a compensation): they are kept as they were
    once it leaves the draft state

    _draft_computed maps each field to the method computing it and the
    fields it is computed from."""
    __slots__ = ()
    _draft_computed = {}

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if self.state != 'draft':
            return values
        for name, (method, depends) in self._draft_computed.items():
            if (field_names is None
                    or (set(depends) | {'state'}) & set(field_names)):
                value = getattr(self, method)()
                if value != getattr(self, name):
                    values[name] = value
        return values


class RelationGuardMixin:
    """Refuse the external changes of the rows of the relation table of a
    Many2Many field while the field is read-only for its record (see
    WorkflowGuardMixin): a client could otherwise add a product to a signed
    contract through the table

    _guarded_relation is the name of the Many2One to the record and the
    name of its Many2Many field."""
    __slots__ = ()
    _guarded_relation = (None, None)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if not external:
            return
        name, field = cls._guarded_relation
        Parent = cls._fields[name].get_target()
        parents = {getattr(r, name) for r in records}
        if mode == 'write' and values.get(name) is not None:
            parents.add(Parent(values[name]))
        for parent in parents:
            if parent:
                Parent.check_writable(parent, field)


class NullEmptyTextMixin:
    """Store as NULL the empty text of the optional Char fields

    sao sends '' for a field left or made empty.  Searches take '' and NULL
    alike, but SQL keys and groupings do not: every borrower without a
    related group would make one group.  The existing empty texts are
    migrated on update."""
    __slots__ = ()

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        cls._null_empty_fields = frozenset(
            name for name, field in cls._fields.items()
            if isinstance(field, fields.Char)
            and not field.required and not field.translate)

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # Migration from empty text kept as ''
        for name in sorted(cls._null_empty_fields):
            if table_h.column_exist(name):
                column = Column(table, name)
                cursor.execute(*table.update(
                        [column], [Null], where=column == ''))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        for name in cls._null_empty_fields & values.keys():
            value = values[name]
            if isinstance(value, str) and not value.strip():
                values[name] = None
        return values


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector: a batch (the fee run, the
    project import) that allocates hundreds of thousands of objects living
    until they are inserted would start a full collection of the whole
    process (every model of the pool) again and again, a quarter of the
    run; they hold no cycles"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plain_types(field):
    """Return the Python types of the values that sql_format of the field
    returns unchanged (None included)"""
    method = type(field).sql_format
    if method is fields.Many2One.sql_format:
        types = {int}
    elif method is fields.Date.sql_format:
        types = {dt.date}
    elif (method is fields.Field.sql_format and field._py_type
            and field._sql_type != 'BLOB'):
        # Integer, Numeric, Boolean, Selection…: the database formats
        # only a BLOB (PostgreSQL) and an INTEGER as an int (SQLite)
        types = {field._py_type}
    else:
        types = set()
    return types | {type(None)}


def currency_rounder(currency):
    """Return a function that rounds an amount as currency.round does

    Currency.round divides by the rounding, quantizes to the unit and
    multiplies back under a local context, several times the cost of the
    arithmetic of a fee or of a re-guaranteed amount.  For a rounding that
    is a power of ten (0.01), quantizing to it gives the same Decimal
    (value and exponent); an amount too long for the context and any other
    rounding are left to currency.round."""
    rounding = currency.rounding
    sign, digits, _ = rounding.as_tuple() if rounding else (1, (), 0)
    if sign or digits != (1,):
        return currency.round

    def round_(amount):
        try:
            return amount.quantize(rounding, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            return currency.round(amount)
    return round_


#: The method of str that Char.sql_format calls for each strip of the field
_STRIPS = {
    False: None, True: str.strip, 'leading': str.lstrip,
    'trailing': str.rstrip}


def sql_formatted(field, values):
    """Return the list of the values as field.sql_format returns them,
    calling it only when a value is not already of its SQL type"""
    types = set(map(type, values))
    if types <= _plain_types(field):
        return values
    elif (type(field).sql_format is fields.Char.sql_format
            and types <= {str, type(None)}):
        # Char.sql_format strips a text as the field says (as its setter
        # did) and returns it
        strip = _STRIPS[field.strip]
        if strip is None:
            return values
        return [v if v is None else strip(v) for v in values]
    return [field.sql_format(v) for v in values]


def create_in_bulk(Model, vlist):
    """Create records of Model from vlist as Model.create does, with one
    INSERT for many rows, and return them

    Model.create inserts the rows one by one on SQLite.  This is for values
    validated beforehand, under the _reguarantee_prevalidated context (see
    PrevalidatedMixin), of models without translated, MPTT, path or history
    fields nor fields stored by a setter (x2Many, Function): access rights,
    preprocess_values and the create hooks (check_modification,
    on_modification, triggers) run as with Model.create; the create record
    rules are not checked again."""
    transaction = Transaction()
    database = transaction.database
    cursor = transaction.connection.cursor()
    assert not (Model._history or Model._mptt_fields or Model._path_fields)
    vlist = Model._before_create(vlist)
    if not vlist:
        return []
    names = sorted(vlist[0])
    missing = [
        n for n, f in Model._fields.items()
        if n not in names and n not in MAGIC_FIELDS
        and not isinstance(f, fields.Function)]
    defaults = Model._clean_defaults(
        Model.default_get(missing, with_rec_name=False))
    names += sorted(defaults)
    for name in names:
        field = Model._fields[name]
        assert not hasattr(field, 'set') and not getattr(
            field, 'translate', False), name
    user, now = transaction.user, CurrentTimestamp()
    assert all(sorted(v) == names[:len(v)] for v in vlist)
    # column by column: a column of values that need no conversion (ids,
    # Decimals, dates…) is kept as it is (sql_format of each value cost as
    # much as the INSERT), the others go through sql_format
    columns = []
    for name in names:
        if name in defaults:
            default = defaults[name]
            column = [values.get(name, default) for values in vlist]
        else:
            column = [values[name] for values in vlist]
        columns.append(sql_formatted(Model._fields[name], column))
    ids = database.nextid(
        transaction.connection, Model._table, count=len(vlist))
    if ids is not None:
        if len(vlist) == 1:
            ids = [ids]
        # PostgreSQL: one COPY of the rows with their ids, which psycopg
        # writes in C (an INSERT of an array per column, unnested, had
        # each value converted in Python by psycopg, or parsed in a query
        # of many rows), with the timestamp of the transaction as the
        # INSERT of Model.create stores it, read once
        cursor.execute(*Select([Cast(now, 'TIMESTAMP')]))
        timestamp, = cursor.fetchone()
        query = 'COPY "%s" (%s) FROM STDIN' % (
            Model._table,
            ', '.join('"%s"' % n
                for n in ['create_uid', 'create_date', 'id'] + names))
        with cursor.copy(query) as copy:
            for row in zip(repeat(user), repeat(timestamp), ids, *columns):
                copy.write_row(row)
    else:
        # SQLite: one prepared INSERT executed for every row (a statement
        # of many rows may hold only MAX_QUERY_PARAMS parameters: building
        # and parsing thousands of them cost more than the inserts); the
        # ids of an AUTOINCREMENT table follow its sequence, which no other
        # transaction moves while this one writes (SQLite locks the
        # database); the timestamp of the transaction is read once (as a
        # parameter, not a call of trytond's NOW() in Python for each row)
        param = Flavor.get().param
        query = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
            Model._table,
            ', '.join('"%s"' % n for n in ['create_uid', 'create_date']
                + names),
            ', '.join([param] * (len(names) + 2)))
        cursor.execute(*Select([now]))
        timestamp, = cursor.fetchone()
        sequence = Table('sqlite_sequence')
        select = sequence.select(
            sequence.seq, where=sequence.name == Model._table)
        cursor.execute(*select)
        last, = cursor.fetchone() or (0,)
        cursor.executemany(query, zip(
                [user] * len(vlist), [timestamp] * len(vlist), *columns))
        cursor.execute(*select)
        end, = cursor.fetchone()
        assert end - last == len(vlist), (last, end, len(vlist))
        ids = list(range(last + 1, end + 1))
    Model._after_create(ids)
    return Model.browse(ids)
