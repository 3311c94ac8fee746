# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from sql import Cast, Column, Literal, Select
from sql.functions import CurrentTimestamp, Function

from trytond import backend
from trytond.model import fields
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

#: The fields Model.create fills itself
MAGIC_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


class Unnest(Function):
    "PostgreSQL's UNNEST: the rows of an array"
    __slots__ = ()
    _function = 'UNNEST'


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


class PrevalidatedMixin:
    """Skip Tryton's field checks (required, domain, digits, validate) of
    the records created or written under the context key
    _reguarantee_prevalidated

    The project import creates the projects and borrowers it has just
    validated with Project.get_submission_errors, which checks more; the
    key starts with an underscore so clients cannot set it."""
    __slots__ = ()

    @classmethod
    def _validate(cls, records, field_names=None):
        if not Transaction().context.get('_reguarantee_prevalidated'):
            super()._validate(records, field_names=field_names)


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
    table = Model.__table__()
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
    formats = [Model._fields[n].sql_format for n in names]
    user, now = transaction.user, CurrentTimestamp()
    rows = []
    for values in vlist:
        assert sorted(values) == names[:len(values)], values
        values = {**defaults, **values}
        rows.append([f(values[n]) for f, n in zip(formats, names)])
    ids = database.nextid(
        transaction.connection, Model._table, count=len(rows))
    if ids is not None:
        if len(rows) == 1:
            ids = [ids]
        # PostgreSQL: one statement of an array per column, unnested
        # together; a query of many rows costs more to send and parse, a
        # statement per row more to execute
        types = [
            Model._fields[n].sql_type().base + '[]' for n in names]
        cursor.execute(*table.insert(
                [table.create_uid, table.create_date, table.id]
                + [Column(table, n) for n in names],
                Select([Literal(user), now, Unnest(Cast(ids, 'INTEGER[]'))]
                    + [Unnest(Cast(list(c), t))
                        for c, t in zip(zip(*rows), types)])))
    else:
        # SQLite: the ids of an AUTOINCREMENT table follow each other
        # within one INSERT
        columns = [table.create_uid, table.create_date] + [
            Column(table, n) for n in names]
        ids = []
        size = max(backend.MAX_QUERY_PARAMS // len(columns), 1)
        for sub_rows in grouped_slice(rows, size):
            sub_rows = [[user, now] + r for r in sub_rows]
            cursor.execute(*table.insert(columns, sub_rows))
            last = database.lastid(cursor)
            ids.extend(range(last - len(sub_rows) + 1, last + 1))
    Model._after_create(ids)
    return Model.browse(ids)
