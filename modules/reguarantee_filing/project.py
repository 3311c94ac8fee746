# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.model import Index, fields
from trytond.pool import PoolMeta
from trytond.pyson import And, Eval, Not

#: the fields a user may correct on a project the Fund rejected
CORRECTABLE = ['industry', 'region', 'bank', 'loan_contract_number']


class Project(metaclass=PoolMeta):
    __name__ = 'reguarantee.project'

    fund_state = fields.Selection([
            (None, ""),
            ('pending', "Pending"),
            ('accepted', "Accepted"),
            ('rejected', "Rejected"),
            ], "Fund State", readonly=True, sort=False,
        help="Where the project is in its filing with the National Fund.")
    fund_reference = fields.Char(
        "Fund Reference", readonly=True,
        help="The National Fund's number of the filed project.")
    fund_rejection = fields.Text(
        "Fund Rejection", readonly=True,
        states={'invisible': Eval('fund_state') != 'rejected'},
        help="Why the National Fund rejected the project the last time.")
    filing_records = fields.One2Many(
        'reguarantee.filing.record', 'project', "Fund Filings",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.fund_state, Index.Equality(cardinality='low')),
                (t.state, Index.Equality(cardinality='low'))))
        correctable = (
            (Eval('state') == 'filed') & (Eval('fund_state') == 'rejected'))
        for name in CORRECTABLE:
            field = getattr(cls, name)
            field.states = field.states.copy()
            field.states['readonly'] = And(
                field.states.get('readonly', False), Not(correctable))

    @classmethod
    def copy(cls, projects, default=None):
        default = default.copy() if default is not None else {}
        for name in ['fund_state', 'fund_reference', 'fund_rejection']:
            default.setdefault(name, None)
        default.setdefault('filing_records', None)
        return super().copy(projects, default=default)

    @classmethod
    def fund_eligible_domain(cls):
        "The domain of the projects to file with the Fund"
        return [
            ('state', '=', 'filed'),
            ('fund_state', 'in', [None, 'rejected']),
            ]
