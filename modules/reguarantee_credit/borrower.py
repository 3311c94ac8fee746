# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import CreditConfigurationError

#: The fields of the latest look-up shown on the subject, by look-up field
LATEST_FIELDS = {
    'date': 'credit_date',
    'registration_status': 'credit_registration_status',
    'legal_representative': 'credit_legal_representative',
    'controller': 'credit_controller',
    'registered_capital': 'credit_registered_capital',
    'abnormal_count': 'credit_abnormal_count',
    'lawsuit_count': 'credit_lawsuit_count',
    'enforcement_count': 'credit_enforcement_count',
    'abnormal_operations': 'credit_abnormal_operations',
    'lawsuits': 'credit_lawsuits',
    'enforcements': 'credit_enforcements',
    'differences': 'credit_differences',
    }


class CreditSubjectMixin:
    "The latest look-up of a record and a button to ask a new one"
    __slots__ = ()
    credit_lookup = fields.Function(fields.Many2One(
            'reguarantee.credit.lookup', "Latest Look-up"),
        'get_credit')
    credit_date = fields.Function(
        fields.DateTime("Looked up on"), 'get_credit')
    credit_registration_status = fields.Function(
        fields.Char("Registration Status"), 'get_credit')
    credit_legal_representative = fields.Function(
        fields.Char("Legal Representative"), 'get_credit')
    credit_controller = fields.Function(
        fields.Char("Controller"), 'get_credit')
    credit_registered_capital = fields.Function(
        fields.Numeric("Registered Capital", digits=(16, 2)), 'get_credit')
    credit_abnormal_count = fields.Function(
        fields.Integer("Abnormal Operations"), 'get_credit')
    credit_lawsuit_count = fields.Function(
        fields.Integer("Lawsuits"), 'get_credit')
    credit_enforcement_count = fields.Function(
        fields.Integer("Enforcement Records"), 'get_credit')
    credit_abnormal_operations = fields.Function(
        fields.Text("Abnormal Operations"), 'get_credit')
    credit_lawsuits = fields.Function(
        fields.Text("Lawsuits"), 'get_credit')
    credit_enforcements = fields.Function(
        fields.Text("Enforcement Records"), 'get_credit')
    credit_differences = fields.Function(
        fields.Text(
            "Changes since the Previous Look-up"), 'get_credit')
    credit_lookups = fields.One2Many(
        'reguarantee.credit.lookup', 'subject', "Look-ups", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'credit_look_up': {
                    'icon': 'tryton-search',
                    # hidden with the data from those who may not read it
                    'depends': ['credit_lookup'],
                    },
                })

    @classmethod
    def get_credit(cls, records, names):
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        latest = Lookup.get_latest(records)
        result = {name: {} for name in names}
        fields_ = {v: k for k, v in LATEST_FIELDS.items()}
        for record in records:
            lookup = latest.get(str(record))
            for name in names:
                if name == 'credit_lookup':
                    value = lookup.id if lookup else None
                else:
                    value = getattr(lookup, fields_[name]) if lookup else None
                result[name][record.id] = value
        return result

    @classmethod
    @ModelView.button
    def credit_look_up(cls, records):
        """Ask the provider for a new look-up of the records (through the
        queue: no network call in the user's transaction)"""
        pool = Pool()
        Request = pool.get('reguarantee.credit.request')
        subjects = [r for r in records if Request.subject_id_number(r)]
        if not subjects:
            raise CreditConfigurationError(gettext(
                    'reguarantee_credit.msg_lookup_not_registered',
                    record=records[0].rec_name if records else ''))
        # the requests are the module's bookkeeping, not the user's records
        with without_check_access():
            _, requests = Request.ask(subjects, 'manual')
        if requests:
            Request.__queue__.process(requests)


class Borrower(CreditSubjectMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.borrower'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons['credit_look_up']['invisible'] = ~Eval('kind').in_(
            ['enterprise', 'individual_business'])
        cls._buttons['credit_look_up']['depends'] = [
            'kind', 'credit_lookup']


class Institution(CreditSubjectMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.institution'
