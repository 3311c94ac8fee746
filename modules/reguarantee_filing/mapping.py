# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal

from sql import Column

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Model, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import MappingError

#: The types of the fields that Mapping.read_values reads from their column
COLUMN_TYPES = {
    'char', 'text', 'selection', 'integer', 'biginteger', 'numeric', 'date',
    'many2one'}
TRANSFORMS = [
    ('none', "As Is"),
    ('text', "Text"),
    ('upper', "Upper Case"),
    ('amount', "Amount (2 decimals)"),
    ('cents', "Amount in Cents"),
    ('date', "Date (YYYY-MM-DD)"),
    ('date_compact', "Date (YYYYMMDD)"),
    ('map', "Code Map"),
    ]


def _plain(value):
    "Return value as JSON can hold it"
    if isinstance(value, Model):
        return value.rec_name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _date(value, format):
    if not isinstance(value, dt.date):
        raise ValueError(value)
    return value.strftime(format)


#: The conversion of a value (neither None nor '') by each transform, with
#: the code map
CONVERTERS = {
    'none': lambda value, codes: _plain(value),
    'text': lambda value, codes: str(_plain(value)),
    'upper': lambda value, codes: str(_plain(value)).upper(),
    'amount': lambda value, codes: str(
        Decimal(value).quantize(Decimal('0.01'))),
    'cents': lambda value, codes: int(
        Decimal(value).quantize(Decimal('0.01')) * 100),
    'date': lambda value, codes: _date(value, '%Y-%m-%d'),
    'date_compact': lambda value, codes: _date(value, '%Y%m%d'),
    'map': lambda value, codes: codes[str(_plain(value))],
    }


class Mapping(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.filing.mapping'

    field = fields.Char(
        "Field", required=True, strip=True,
        help="The project's field, or a path of fields through records "
        "such as borrower.id_number.")
    fund_name = fields.Char(
        "Fund Name", required=True, strip=True,
        help="The name of the field in the National Fund's interface.")
    transform = fields.Selection(
        TRANSFORMS, "Transform", required=True,
        help="How the value is written for the National Fund.")
    code_map = fields.Text(
        "Code Map",
        states={
            'invisible': Eval('transform') != 'map',
            'required': Eval('transform') == 'map',
            },
        help="One \"our value=Fund's code\" per line.")
    required = fields.Boolean(
        "Required",
        help="A project without a value is not sent to the National Fund.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('fund_name_unique', Unique(t, t.fund_name),
                'reguarantee_filing.msg_mapping_fund_name_unique'),
            ]

    @classmethod
    def default_transform(cls):
        return 'none'

    @classmethod
    def default_required(cls):
        return False

    def get_rec_name(self, name):
        return f'{self.field} → {self.fund_name}'

    @classmethod
    def validate_fields(cls, mappings, field_names):
        super().validate_fields(mappings, field_names)
        cls.check_field(mappings, field_names)
        cls.check_code_map(mappings, field_names)

    @classmethod
    def check_field(cls, mappings, field_names=None):
        if field_names and not ({'field', 'fund_name'} & field_names):
            return
        Project = Pool().get('reguarantee.project')
        for mapping in mappings:
            if mapping.fund_name == 'projectNo':
                raise MappingError(gettext(
                        'reguarantee_filing.msg_mapping_fund_name_reserved',
                        fund_name=mapping.fund_name))
            model = Project
            for name in mapping.field.split('.'):
                field = model._fields.get(name) if model else None
                if field is None:
                    raise MappingError(gettext(
                            'reguarantee_filing.msg_mapping_field_unknown',
                            field=mapping.field, name=name))
                target = getattr(field, 'get_target', None)
                model = target() if target else None

    @classmethod
    def check_code_map(cls, mappings, field_names=None):
        if field_names and not ({'code_map', 'transform'} & field_names):
            return
        for mapping in mappings:
            if mapping.transform == 'map':
                for line in (mapping.code_map or '').splitlines():
                    if line.strip() and '=' not in line:
                        raise MappingError(gettext(
                                'reguarantee_filing.msg_mapping_code_map',
                                mapping=mapping.rec_name, line=line))

    @property
    def codes(self):
        "The code map as a dictionary"
        codes = {}
        for line in (self.code_map or '').splitlines():
            if '=' in line:
                key, value = line.split('=', 1)
                codes[key.strip()] = value.strip()
        return codes

    @property
    def read_name(self):
        "The name to read the value with: a relation is read by its name"
        pool = Pool()
        model = pool.get('reguarantee.project')
        for name in self.field.split('.'):
            field = model._fields[name]
            target = getattr(field, 'get_target', None)
            model = target() if target else None
        return self.field + ('.rec_name' if model else '')

    @staticmethod
    def get_value(data, name):
        "Return the value of the dotted name in the data read"
        *parents, last = name.split('.')
        for parent in parents:
            data = data.get(parent + '.')
            if data is None:
                return None
        return data.get(last)

    def convert(self, value, codes=None):
        "Return the value as the Fund wants it; raise ValueError if invalid"
        return self.get_converter(codes)(value)

    def get_converter(self, codes=None):
        """Return the function of convert for the mapping's transform and
        code map (codes, or the mapping's own when None)"""
        transform = self.transform
        if transform == 'map':
            codes = self.codes if codes is None else codes
        convert = CONVERTERS.get(transform)

        def converter(value):
            if value is None or value == '':
                return None
            if convert is None:
                raise ValueError(transform)
            return convert(value, codes)
        return converter

    @classmethod
    def read_values(cls, projects, names):
        """Return the value of each dotted name (read_name) of the projects:
        a dictionary by project id of the values by name

        A name through stored Many2One fields to a column of the last
        record is read with the projects by one query per slice, joined to
        the tables of the path (a filing of thousands of projects read them
        with Project.read, which instantiates the records of each relation
        and their rec_name for each project: a quarter of the batches'
        time).  The rec_name of a relation is read once for each record it
        names.  Any other name (a Function field, a translated text…) is
        read by Project.read."""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        table = Project.__table__()
        tables = {(): table}
        from_ = table
        selected, targets, others = [], {}, []
        for name in names:
            path = name.split('.')
            if len(path) > 1 and path[-1] == 'rec_name':
                path = path[:-1]
            model, key, column = Project, (), None
            for index, field_name in enumerate(path):
                field = model._fields.get(field_name)
                if (field is None or isinstance(field, fields.Function)
                        or field._type not in COLUMN_TYPES
                        or getattr(field, 'translate', False)):
                    break
                column = Column(tables[key], field_name)
                if field._type != 'many2one':
                    if index < len(path) - 1:
                        break
                    continue
                model = field.get_target()
                if (not issubclass(model, ModelSQL)
                        or model._is_table_query()):
                    break
                if index == len(path) - 1:
                    targets[name] = model
                    continue
                key += (field_name,)
                if key not in tables:
                    tables[key] = model.__table__()
                    from_ = from_.join(tables[key], 'LEFT',
                        condition=column == tables[key].id)
            else:
                if backend.name == 'sqlite' and name not in targets:
                    # the type of the column, as ModelSQL.read names it
                    column = column.as_('%s [%s]' % (
                            name, field.sql_type().base))
                selected.append((name, column))
                continue
            others.append(name)
        values = {p.id: {} for p in projects}
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(list(values), backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            if selected:
                cursor.execute(*from_.select(
                        table.id, *(c for _, c in selected),
                        where=table.id.in_(sub_ids)))
                for id_, *row in cursor:
                    values[id_].update(zip((n for n, _ in selected), row))
            if others:
                for data in Project.read(sub_ids, others):
                    for name in others:
                        values[data['id']][name] = cls.get_value(data, name)
        for name, Target in targets.items():
            ids = {v.get(name) for v in values.values()} - {None}
            rec_names = {r.id: r.rec_name for r in Target.browse(list(ids))}
            for project_values in values.values():
                if project_values.get(name) is not None:
                    project_values[name] = rec_names[project_values[name]]
        return values

    @classmethod
    def build_rows(cls, projects):
        """Return the Fund's row of each project and the list of its errors,
        one message per missing or invalid value"""
        pool = Pool()
        Project = pool.get('reguarantee.project')
        mappings = cls.search([])
        codes = {m.id: m.codes for m in mappings if m.transform == 'map'}
        names = {m.id: m.read_name for m in mappings}
        values = cls.read_values(projects, ['number', *set(names.values())])
        # what each mapping needs, read once: the fields of a record cost a
        # look-up at each access, for each value of thousands of projects
        columns = [(
                m.fund_name, names[m.id], m.get_converter(codes.get(m.id)),
                m.required, m.field) for m in mappings]
        rows, all_errors = [], []
        for project in projects:
            data = values[project.id]
            row, errors = {'projectNo': data.get('number')}, []
            for fund_name, name, converter, required, field in columns:
                value = data.get(name)
                try:
                    value = converter(value)
                except (ValueError, KeyError, ArithmeticError):
                    errors.append(gettext(
                            'reguarantee_filing.msg_mapping_value_invalid',
                            project=Project(project.id).rec_name,
                            field=field, fund_name=fund_name, value=value))
                    continue
                if value is None:
                    if required:
                        errors.append(gettext(
                                'reguarantee_filing.msg_mapping_required',
                                project=Project(project.id).rec_name,
                                field=field, fund_name=fund_name))
                    continue
                row[fund_name] = value
            rows.append(row)
            all_errors.append(errors)
        return rows, all_errors
