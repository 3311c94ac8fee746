# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.reguarantee_base.model import (
    NullEmptyTextMixin, PrevalidatedMixin, WorkflowGuardMixin)
from trytond.pyson import Eval

STATES = [
    ('pending', "Pending"),
    ('accepted', "Accepted"),
    ('rejected', "Rejected"),
    ]


class Record(
        WorkflowGuardMixin, NullEmptyTextMixin, PrevalidatedMixin, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.filing.record'

    batch = fields.Many2One(
        'reguarantee.filing.batch', "Batch", required=True,
        ondelete='CASCADE', readonly=True)
    project = fields.Many2One(
        'reguarantee.project', "Project", required=True,
        ondelete='RESTRICT', readonly=True)
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'get_institution', searcher='search_institution')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    fund_code = fields.Char(
        "Fund Code", readonly=True,
        states={'invisible': Eval('state') != 'rejected'},
        help="The code of the National Fund's rejection.")
    fund_reason = fields.Text(
        "Fund Reason", readonly=True,
        states={'invisible': Eval('state') != 'rejected'})
    fund_reference = fields.Char(
        "Fund Reference", readonly=True,
        states={'invisible': Eval('state') != 'accepted'},
        help="The National Fund's number of the filed project.")
    result_date = fields.Timestamp("Result Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.project, Index.Range())),
                Index(t, (t.batch, Index.Range())),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'pending'),
                })
        cls._order = [('batch', 'DESC'), ('id', 'ASC')]

    @classmethod
    def default_state(cls):
        return 'pending'

    def get_rec_name(self, name):
        return f'{self.batch.rec_name} / {self.project.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('batch.rec_name',) + tuple(clause[1:]),
            ('project.rec_name',) + tuple(clause[1:]),
            ]

    def get_institution(self, name):
        return self.project.institution.id

    @classmethod
    def search_institution(cls, name, clause):
        return [('project.' + clause[0],) + tuple(clause[1:])]
