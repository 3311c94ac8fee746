# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
from decimal import Decimal

from trytond.model import ModelSQL, Workflow, fields
from trytond.modules.reguarantee_base.model import (
    RelationGuardMixin, WorkflowGuardMixin)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction


def workflow_models():
    """Return the models of the pool with a workflow: the re-guarantee
    tables with a Workflow, and those guarded like them"""
    pool = Pool()
    models = []
    for name, Model in pool.iterobject():
        if (name.startswith('reguarantee.')
                and issubclass(Model, ModelSQL)
                and not Model._is_table_query()
                and issubclass(Model, (Workflow, WorkflowGuardMixin))):
            models.append(Model)
    return sorted(models, key=lambda m: m.__name__)


class WorkflowGuardTestMixin:
    """Check that every workflow model of the module's pool refuses the
    external writes of its state and of its read-only fields"""

    def assertGuarded(self, Model, mode, records, values=None):
        with self.assertRaises(Model._modification_error) as cm:
            Model.check_modification(mode, records, values, external=True)
        return cm.exception

    def assertUnchangedWritable(self, record):
        """Check the external writes of the read-only fields of the stored
        record pass with their stored values, as a client sends them again
        (a float for a Numeric, '' for an empty text), and are refused with
        other values; return the names of the fields checked"""
        Model = record.__class__
        state = Model._guarded_state()
        names = [
            n for n, f in Model._fields.items()
            if n in Model._readonly_fields and n != state
            and f._type in Model._compared_types
            and not isinstance(f, fields.Function)
            and Model.is_readonly(record, n)]
        stored, = Model.read([record.id], names)
        sent = {n: self._sent_value(Model._fields[n], stored[n])
            for n in names}
        # one at a time and all together
        for name in names:
            with self.subTest(
                    model=Model.__name__, field=name, unchanged=True):
                Model.check_modification(
                    'write', [record], {name: sent[name]}, external=True)
        Model.check_modification('write', [record], sent, external=True)
        for name in names:
            changed = self._changed_value(Model._fields[name], stored[name])
            if changed is None:
                continue
            with self.subTest(model=Model.__name__, field=name, changed=True):
                error = self.assertGuarded(
                    Model, 'write', [record], {**sent, name: changed})
                self.assertIn(Model.__names__(name)['field'], error.message)
        return names

    @staticmethod
    def _sent_value(field, value):
        "Return the stored value of field as a client sends it"
        if field._type == 'numeric' and value is not None:
            return float(value)
        elif field._type in {'char', 'text'} and value is None:
            return ''
        return value

    @staticmethod
    def _changed_value(field, value):
        "Return another value than the stored value of field or None"
        if field._type in {'char', 'text'}:
            return (value or '') + 'X'
        elif field._type in {'integer', 'biginteger', 'many2one'}:
            return (value or 0) + 1
        elif field._type == 'float':
            return (value or 0) + 0.5
        elif field._type == 'numeric':
            return (value or Decimal(0)) + Decimal('0.01')
        elif field._type == 'boolean':
            return not value
        elif field._type == 'date':
            # the datetime of the same day is another value
            return dt.datetime.combine(value, dt.time()) if value else (
                dt.date.today())
        elif field._type == 'datetime':
            return (value or dt.datetime.now()) + dt.timedelta(seconds=1)

    @with_transaction()
    def test_workflow_models_guarded(self):
        "Test the workflow models refuse external writes of their state"
        models = workflow_models()
        self.assertTrue(models)
        for Model in models:
            with self.subTest(model=Model.__name__):
                self.assertTrue(issubclass(Model, WorkflowGuardMixin))
                state = Model._guarded_state()
                initial = Model._defaults[state]()
                for value, _ in Model.fields_get(
                        [state])[state]['selection']:
                    record = Model(**{state: value})
                    error = self.assertGuarded(
                        Model, 'write', [record], {state: value})
                    self.assertIn(Model.__names__()['model'], error.message)
                    # the buttons and the server write without access checks
                    Model.check_modification(
                        'write', [record], {state: value}, external=False)
                    if value != initial:
                        self.assertGuarded(Model, 'create', [record])
                Model.check_modification(
                    'create', [Model(**{state: initial})], external=True)
                if Model._deletable_states is not None:
                    for value, _ in Model.fields_get(
                            [state])[state]['selection']:
                        record = Model(**{state: value})
                        if value not in Model._deletable_states:
                            self.assertGuarded(Model, 'delete', [record])

    @with_transaction()
    def test_workflow_models_readonly_create(self):
        """Test the workflow models refuse external creates giving a value to
        a field always read-only, and accept its empty or default value"""
        for Model in workflow_models():
            for name in sorted(Model._readonly_create_fields):
                field = Model._fields[name]
                value = self._changed_value(field, None)
                if value is None:
                    continue
                if name in Model._defaults:
                    default = Model._defaults[name]()
                    Model.check_readonly_create({name: default})
                    if value == default:
                        continue
                with self.subTest(model=Model.__name__, field=name):
                    Model.check_readonly_create({name: None})
                    with self.assertRaises(Model._modification_error) as cm:
                        Model.check_readonly_create({name: value})
                    self.assertIn(
                        Model.__names__(name)['field'], cm.exception.message)

    @with_transaction()
    def test_workflow_relations_guarded(self):
        """Test the relation tables of the read-only Many2Many fields of the
        workflow models are guarded"""
        pool = Pool()
        for Model in workflow_models():
            for name, field in Model._fields.items():
                if (not isinstance(field, fields.Many2Many)
                        or name not in Model._readonly_fields):
                    continue
                Relation = pool.get(field.relation_name)
                with self.subTest(model=Model.__name__, field=name):
                    self.assertTrue(issubclass(Relation, RelationGuardMixin))
                    self.assertEqual(
                        Relation._guarded_relation, (field.origin, name))

    @with_transaction()
    def test_workflow_models_readonly_fields(self):
        "Test the workflow models refuse external writes of read-only fields"
        for Model in workflow_models():
            state = Model._guarded_state()
            names = [
                n for n, f in Model._fields.items()
                if f.readonly and n != state
                and not isinstance(f, fields.Function)]
            for name in names:
                with self.subTest(model=Model.__name__, field=name):
                    self.assertGuarded(
                        Model, 'write', [Model(**{state: 'draft'})],
                        {name: None})
