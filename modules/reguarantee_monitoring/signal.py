# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

#: The kinds of risk signals (a published interface: other modules create
#: signals of these kinds)
SIGNAL_KINDS = [
    ('overdue_payment', "Overdue Payment"),
    ('lawsuit', "Lawsuit"),
    ('enforcement', "Enforcement"),
    ('abnormal_operation', "Abnormal Operation"),
    ('controller_change', "Change of Controller"),
    ('collateral_loss', "Collateral Loss"),
    ('other', "Other"),
    ]
#: The classification a signal of the kind proposes at least for the
#: project in force (a downgrade when the project is better classified)
SIGNAL_LEVELS = {
    'overdue_payment': 'special_mention',
    'lawsuit': 'special_mention',
    'enforcement': 'substandard',
    'abnormal_operation': 'special_mention',
    'controller_change': 'special_mention',
    'collateral_loss': 'substandard',
    }


class RiskSignal(ModelSQL, ModelView):
    __name__ = 'reguarantee.risk.signal'

    date = fields.Date("Date", required=True)
    kind = fields.Selection(SIGNAL_KINDS, "Kind", required=True, sort=False)
    kind_string = kind.translated('kind')
    source = fields.Selection([
            ('inspection', "Inspection"),
            ('credit_lookup', "Credit Look-up"),
            ('payment', "Payment"),
            ('manual', "Manual"),
            ], "Source", required=True, sort=False)
    source_string = source.translated('source')
    borrower = fields.Many2One(
        'reguarantee.borrower', "Borrower", required=True,
        ondelete='RESTRICT')
    project = fields.Many2One(
        'reguarantee.project', "Project", ondelete='CASCADE',
        domain=[
            ('borrower', '=', Eval('borrower', -1)),
            ],
        help="The project concerned; empty for a sign on the borrower.")
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'on_change_with_institution', searcher='search_institution')
    origin = fields.Reference(
        "Origin", selection='get_origin', readonly=True,
        help="The record the signal comes from.")
    description = fields.Text("Description")
    classification_changes = fields.One2Many(
        'reguarantee.classification.change', 'origin',
        "Classification Changes", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_source(cls):
        return 'manual'

    @classmethod
    def _get_origin(cls):
        """Return the models of the records that raise signals: the hook of
        the modules that add some (e.g. credit look-ups)"""
        return ['reguarantee.inspection']

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origin()]

    @fields.depends('project', '_parent_project.institution')
    def on_change_with_institution(self, name=None):
        return self.project.institution if self.project else None

    @classmethod
    def search_institution(cls, name, clause):
        return [('project.institution' + clause[0][len(name):],
                *clause[1:])]

    @fields.depends('project', '_parent_project.borrower')
    def on_change_project(self):
        if self.project:
            self.borrower = self.project.borrower

    def get_rec_name(self, name):
        return f'{self.borrower.rec_name}: {self.kind_string} ({self.date})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('borrower.rec_name', *clause[1:])]

    @classmethod
    def copy(cls, signals, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('origin', None)
        default.setdefault('classification_changes', None)
        return super().copy(signals, default=default)

    @classmethod
    def on_modification(cls, mode, signals, field_names=None):
        super().on_modification(mode, signals, field_names=field_names)
        if mode == 'create':
            cls.propose_downgrades(signals)

    def get_proposed_level(self):
        "Return the classification the signal proposes, or None"
        return SIGNAL_LEVELS.get(self.kind)

    @classmethod
    def propose_downgrades(cls, signals):
        """Propose to downgrade the projects of the signals classified
        better than the signals' levels"""
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        proposals = []
        for signal in signals:
            level = signal.get_proposed_level()
            if signal.project and level:
                proposals.append((
                        signal.project, level,
                        signal.description or signal.rec_name, signal))
        if proposals:
            # the proposals are the system's, whoever raised the signals
            with without_check_access():
                Change.propose_downgrades(proposals)
