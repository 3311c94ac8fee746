# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.reguarantee_base.model import WorkflowGuardMixin
from trytond.modules.reguarantee_review.project import ReviewMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import ClassificationError

#: The five-level classification of the loans (五级分类), best first
CLASSIFICATIONS = [
    ('normal', "Normal"),
    ('special_mention', "Special Mention"),
    ('substandard', "Substandard"),
    ('doubtful', "Doubtful"),
    ('loss', "Loss"),
    ]
LEVELS = [c for c, _ in CLASSIFICATIONS]
#: The non-performing levels (次级 + 可疑 + 损失)
NPL_LEVELS = ['substandard', 'doubtful', 'loss']
#: The states of the projects in force that are classified
CLASSIFIED_STATES = ['filed', 'compensating']


def level_index(level):
    "Return the rank of the level, 0 for normal and for none"
    return LEVELS.index(level) if level in LEVELS else 0


def is_worse(level, than):
    "Return whether level is a worse classification than than"
    return level_index(level) > level_index(than)


class ClassifiedMixin:
    """A guarantee in five-level classification while it is in force (its
    _classified_states): the level, changed only by an approved
    classification change, and its inspections.  The classes add their
    classification_changes (the One2Many of the change's column naming
    them)."""
    __slots__ = ()
    _classified_states = CLASSIFIED_STATES

    classification = fields.Selection(
        CLASSIFICATIONS, "Classification", required=True, readonly=True,
        sort=False,
        help="The five-level classification of the guarantee, changed only "
        "by an approved classification change.")
    classification_string = classification.translated('classification')
    inspections = fields.One2Many(
        'reguarantee.inspection', 'origin', "Inspections", readonly=True)

    @classmethod
    def default_classification(cls):
        return 'normal'

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form//page[@id="monitoring"]', 'states', {
                    'invisible': ~Eval('state').in_(
                        cls._classified_states + [
                            'released', 'compensated', 'closed']),
                    }),
            ]

    @property
    def classifiable(self):
        "Whether the guarantee is in force, so that it can be reclassified"
        return self.state in self._classified_states

    @classmethod
    def copy(cls, guarantees, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('classification', 'normal')
        default.setdefault('classification_changes', None)
        default.setdefault('inspections', None)
        return super().copy(guarantees, default=default)


class Project(ClassifiedMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.project'

    classification_changes = fields.One2Many(
        'reguarantee.classification.change', 'project',
        "Classification History", readonly=True)
    risk_signals = fields.One2Many(
        'reguarantee.risk.signal', 'project', "Risk Signals", readonly=True)

    def get_inspection_pattern(self):
        "Return the pattern to match the inspection plan rules"
        product = self.product
        return {
            'product': product.id if product else None,
            'mode': product.mode if product else None,
            }

    @classmethod
    def copy(cls, projects, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('risk_signals', None)
        return super().copy(projects, default=default)


_states = {
    'readonly': Eval('state') != 'proposed',
    }


class ClassificationChange(
        ReviewMixin, WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.classification.change'
    _review_state = 'proposed'
    _deletable_states = {'proposed'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    project = fields.Many2One(
        'reguarantee.project', "Project", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'proposed',
                ('state', 'in', CLASSIFIED_STATES),
                ()),
            ],
        states=_states)
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_institution')
    date = fields.Date("Date", required=True, states=_states)
    from_level = fields.Selection(
        CLASSIFICATIONS, "From", readonly=True, sort=False,
        help="The classification of the project when the change was "
        "proposed.")
    from_level_string = from_level.translated('from_level')
    to_level = fields.Selection(
        CLASSIFICATIONS, "To", required=True, sort=False, states=_states)
    to_level_string = to_level.translated('to_level')
    direction = fields.Function(
        fields.Selection([
                (None, ""),
                ('downgrade', "Downgrade"),
                ('upgrade', "Upgrade"),
                ], "Direction"),
        'on_change_with_direction')
    reason = fields.Text("Reason", required=True, states=_states)
    origin = fields.Reference(
        "Proposed From", selection='get_origin', readonly=True,
        help="The inspection or the risk signal that proposed the change.")
    proposed_by = fields.Many2One(
        'res.user', "Proposed By", readonly=True, ondelete='RESTRICT')
    approved_by = fields.Many2One(
        'res.user', "Decided By", readonly=True, ondelete='RESTRICT',
        help="The user who approved or rejected the change.")
    approval_date = fields.Date(
        "Effective Date", readonly=True,
        help="The date the approved classification applies from.")
    state = fields.Selection([
            ('proposed', "Proposed"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('proposed', 'approved'),
            ('proposed', 'rejected'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'proposed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'proposed',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })
        cls.review_required.string = "Committee Required"
        cls.review_required.help = (
            "An upgrade from substandard or worse is approved only once "
            "the review committee approved it.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'proposed'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_proposed_by(cls):
        return Transaction().user or None

    @fields.depends('project', '_parent_project.institution')
    def on_change_with_institution(self, name=None):
        return self.project.institution if self.project else None

    @classmethod
    def search_institution(cls, name, clause):
        return [('project.institution' + clause[0][len(name):],
                *clause[1:])]

    @fields.depends('project', 'state', '_parent_project.classification')
    def on_change_project(self):
        if self.project and self.state == 'proposed':
            self.from_level = self.project.classification

    @fields.depends('from_level', 'to_level')
    def on_change_with_direction(self, name=None):
        if self.from_level and self.to_level:
            if is_worse(self.to_level, self.from_level):
                return 'downgrade'
            elif is_worse(self.from_level, self.to_level):
                return 'upgrade'

    @classmethod
    def _get_origin(cls):
        """Return the models of the records that propose a change: the hook
        of the modules that add some"""
        return ['reguarantee.inspection', 'reguarantee.risk.signal']

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origin()]

    @classmethod
    def _get_guarantee_fields(cls):
        """Return the field of the change holding the classified guarantee
        by its model name: the hook of the modules that classify other
        guarantees (e.g. direct guarantees); each of these guarantees has
        `company`, `classification` and `classifiable`"""
        return {'reguarantee.project': 'project'}

    @property
    def guarantee(self):
        "The classified guarantee: the project or another module's"
        for name in self._get_guarantee_fields().values():
            guarantee = getattr(self, name, None)
            if guarantee:
                return guarantee

    def get_rec_name(self, name):
        selection = dict(self.fields_get(['to_level'])['to_level'][
                'selection'])
        guarantee = self.guarantee
        guarantee = guarantee.rec_name if guarantee else ''
        return f'{guarantee} → {selection.get(self.to_level, "")}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('project.rec_name', *clause[1:])]

    def needs_committee(self):
        """Return whether the review committee must approve the change: an
        upgrade from substandard or worse"""
        return bool(
            self.from_level in NPL_LEVELS
            and is_worse(self.from_level, self.to_level))

    @classmethod
    def get_review(cls, changes, names):
        others = [n for n in names if n != 'review_required']
        result = super().get_review(changes, others) if others else {}
        if 'review_required' in names:
            result['review_required'] = {
                c.id: c.needs_committee() for c in changes}
        return result

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            for model, name in cls._get_guarantee_fields().items():
                if values.get(name):
                    guarantee = pool.get(model)(values[name])
                    # the level the change starts from is the guarantee's,
                    # not the client's
                    values['from_level'] = guarantee.classification
                    values.setdefault('company', guarantee.company.id)
        return values

    @classmethod
    def validate_fields(cls, changes, field_names):
        super().validate_fields(changes, field_names)
        cls.check_levels(changes, field_names)

    @classmethod
    def check_levels(cls, changes, field_names=None):
        "Check a change changes the classification"
        if field_names and not (field_names & {'from_level', 'to_level'}):
            return
        for change in changes:
            if change.from_level == change.to_level:
                raise ClassificationError(gettext(
                        'reguarantee_monitoring.msg_classification_same',
                        change=change.rec_name,
                        level=change.to_level_string))

    @classmethod
    def copy(cls, changes, default=None):
        default = default.copy() if default is not None else {}
        for name in ['approved_by', 'approval_date', 'origin']:
            default.setdefault(name, None)
        default.setdefault('proposed_by', Transaction().user or None)
        return super().copy(changes, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, changes):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.check_review(changes)
        to_write = defaultdict(list)
        for change in changes:
            guarantee = change.guarantee
            if guarantee.classification != change.from_level:
                raise ClassificationError(gettext(
                        'reguarantee_monitoring'
                        '.msg_classification_changed_since',
                        change=change.rec_name,
                        project=guarantee.rec_name,
                        level=guarantee.classification_string))
            to_write[guarantee.__name__].extend(
                [[guarantee], {'classification': change.to_level}])
        for model, args in to_write.items():
            pool.get(model).write(*args)
        cls.write(changes, {
                'approved_by': Transaction().user,
                'approval_date': Date.today(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, changes):
        cls.write(changes, {'approved_by': Transaction().user})

    @classmethod
    def propose_downgrades(cls, proposals):
        """Create the proposed changes of (guarantee, level, reason,
        origin) for the guarantees (projects or those of
        _get_guarantee_fields) in force whose classification is better than
        the level and that have no proposal pending at that level or worse;
        return them"""
        fields_ = cls._get_guarantee_fields()
        ids = defaultdict(set)
        for guarantee, _, _, _ in proposals:
            ids[guarantee.__name__].add(guarantee.id)
        pending = {}
        if ids:
            for change in cls.search([
                        ('state', '=', 'proposed'),
                        ['OR'] + [
                            (fields_[m], 'in', list(i))
                            for m, i in ids.items()],
                        ]):
                guarantee = change.guarantee
                level = pending.get(guarantee)
                if not level or is_worse(change.to_level, level):
                    pending[guarantee] = change.to_level
        to_create = []
        for guarantee, level, reason, origin in proposals:
            if (not guarantee.classifiable
                    or not is_worse(level, guarantee.classification)):
                continue
            if (guarantee in pending
                    and not is_worse(level, pending[guarantee])):
                continue
            pending[guarantee] = level
            change = cls(
                company=guarantee.company,
                from_level=guarantee.classification, to_level=level,
                reason=reason, origin=origin)
            setattr(change, fields_[guarantee.__name__], guarantee)
            to_create.append(change)
        cls.save(to_create)
        return to_create


class ReviewItem(metaclass=PoolMeta):
    __name__ = 'reguarantee.review.item'

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['reguarantee.classification.change']
