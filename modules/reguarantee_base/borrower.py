# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields

from .exceptions import IdentityNumberError
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
