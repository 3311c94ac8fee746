# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import BorrowerAccessError, IdentityNumberError
from .identity import is_valid_resident_id, is_valid_uscc
from .model import NullEmptyTextMixin, PrevalidatedMixin, RecNamesSearchMixin
from .product import BORROWER_KINDS

#: Borrower kinds identified by a unified social credit code; the others
#: are identified by a resident identity number.
USCC_KINDS = {'enterprise', 'individual_business'}


def is_valid_borrower_id(kind, id_number):
    "Return whether the identity number is valid for the kind of borrower"
    if kind in USCC_KINDS:
        return is_valid_uscc(id_number)
    return is_valid_resident_id(id_number)


class Borrower(
        NullEmptyTextMixin, PrevalidatedMixin, RecNamesSearchMixin, ModelSQL,
        ModelView):
    __name__ = 'reguarantee.borrower'
    _rec_names_search = ['name', 'id_number']

    name = fields.Char("Name", required=True, strip=True)
    kind = fields.Selection(BORROWER_KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    id_number = fields.Char(
        "ID Number", size=18, required=True, strip=True,
        help="Unified social credit code for enterprises and individual "
        "businesses, resident identity number for farmers and persons.")
    industry = fields.Char(
        "Industry", strip=True,
        help="The industry code (GB/T 4754), e.g. C1311.")
    region = fields.Char(
        "Region", strip=True,
        help="Administrative division code (GB/T 2260), e.g. 340100.")
    related_group = fields.Char(
        "Related Group", strip=True,
        help="The group of related parties the borrower belongs to.")
    projects = fields.One2Many(
        'reguarantee.project', 'borrower', "Projects", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('id_number_unique', Unique(t, t.id_number),
                'reguarantee_base.msg_borrower_id_number_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]
        # searched by text from the lists (trigram indexes when PostgreSQL
        # has pg_trgm)
        cls._sql_indexes.update({
                Index(t, (t.name, Index.Similarity())),
                Index(t, (t.id_number, Index.Similarity())),
                })

    @classmethod
    def default_kind(cls):
        return 'enterprise'

    def get_rec_name(self, name):
        return f'{self.name} ({self.id_number})'

    @classmethod
    def validate_fields(cls, borrowers, field_names):
        super().validate_fields(borrowers, field_names)
        cls.check_id_number(borrowers, field_names)

    @classmethod
    def check_id_number(cls, borrowers, field_names=None):
        if field_names and not ({'kind', 'id_number'} & set(field_names)):
            return
        for borrower in borrowers:
            if not is_valid_borrower_id(borrower.kind, borrower.id_number):
                raise IdentityNumberError(gettext(
                        'reguarantee_base.msg_borrower_id_number_invalid',
                        borrower=borrower.name,
                        id_number=borrower.id_number,
                        kind=borrower.kind_string))


class Project(metaclass=PoolMeta):
    """The borrower of a project, named by its identity number

    Borrowers are shared by the institutions (docs/borrowers.md): an
    institution files a project for a borrower another institution
    registered by naming its identity number, never by picking a borrower it
    cannot see."""
    __name__ = 'reguarantee.project'

    borrower_id_number = fields.Char(
        "Borrower ID Number", size=18, strip=True,
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The identity number of the borrower as the institution "
        "filed it; it finds a borrower another institution registered.")

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        borrower = Borrower.__table__()
        super().__register__(module)
        cursor.execute(*table.update(
                [table.borrower_id_number],
                [borrower.select(
                        borrower.id_number,
                        where=borrower.id == table.borrower)],
                where=table.borrower_id_number == Null))

    @fields.depends('borrower_id_number', 'borrower')
    def on_change_borrower_id_number(self):
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        if not self.borrower_id_number or (
                self.borrower
                and self.borrower.id_number == self.borrower_id_number):
            return
        # The identity number is the key: it finds the borrower even when
        # another institution registered it
        with without_check_access():
            borrowers = Borrower.search([
                    ('id_number', '=', self.borrower_id_number.upper()),
                    ], limit=1)
        self.borrower = borrowers[0] if borrowers else None
        if self.borrower:
            self.on_change_borrower()

    @fields.depends('borrower_id_number')
    def on_change_borrower(self):
        super().on_change_borrower()
        if self.borrower:
            self.borrower_id_number = self.borrower.id_number

    @classmethod
    def validate_fields(cls, projects, field_names):
        super().validate_fields(projects, field_names)
        cls.check_borrower_id_number(projects, field_names)

    @classmethod
    def check_borrower_id_number(cls, projects, field_names=None):
        "Check the borrower has the identity number filed"
        if field_names and not (
                {'borrower', 'borrower_id_number'} & set(field_names)):
            return
        for project in projects:
            if (project.borrower_id_number and project.borrower
                    and project.borrower_id_number
                    != project.borrower.id_number):
                raise IdentityNumberError(gettext(
                        'reguarantee_base.msg_project_borrower_id_number',
                        project=project.rec_name,
                        id_number=project.borrower_id_number))

    @classmethod
    def check_modification(cls, mode, projects, values=None, external=False):
        super().check_modification(
            mode, projects, values=values, external=external)
        if external and (
                mode == 'create'
                or (mode == 'write' and 'borrower' in values)):
            cls.check_borrower_named(projects)

    @classmethod
    def check_borrower_named(cls, projects):
        """Check the user of an institution links only borrowers it sees
        (without these projects), or names by their identity number"""
        pool = Pool()
        Borrower = pool.get('reguarantee.borrower')
        User = pool.get('res.user')
        institutions = User.get_reguarantee_institutions()
        if not institutions:
            return
        unnamed = {
            p.borrower.id: p for p in projects
            if p.borrower and p.borrower_id_number != p.borrower.id_number}
        if not unnamed:
            return
        seen = Borrower.search([
                ('id', 'in', list(unnamed)),
                ['OR',
                    ('create_uid', '=', Transaction().user),
                    ('projects', 'where', [
                            ('institution', 'in', institutions),
                            ('id', 'not in', [p.id for p in projects]),
                            ]),
                    ],
                ], order=[])
        for borrower_id in unnamed.keys() - {b.id for b in seen}:
            raise BorrowerAccessError(gettext(
                    'reguarantee_base.msg_project_borrower_not_named',
                    project=unnamed[borrower_id].rec_name))
