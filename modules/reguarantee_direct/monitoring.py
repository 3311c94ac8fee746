# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Post-guarantee management of the direct guarantees: the inspection plans
and inspections of reguarantee_monitoring with the direct application as
their origin, and its five-level classification with its change history"""
from trytond.model import fields
from trytond.modules.reguarantee_monitoring.classification import (
    ClassifiedMixin)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If

from .product import KINDS

#: The states of the direct guarantees in force that are classified
CLASSIFIED_STATES = ['in_force']
#: The businesses an inspection plan rule applies to
BUSINESSES = [
    ('reguarantee', "Re-guarantee"),
    ('direct', "Direct Guarantee"),
    ]


class PlanRule(metaclass=PoolMeta):
    __name__ = 'reguarantee.inspection.plan.rule'

    business = fields.Selection(
        BUSINESSES, "Business", required=True,
        help="Whether the rule plans the inspections of the re-guarantee "
        "projects or of the direct guarantees.")
    direct_product = fields.Many2One(
        'reguarantee.direct.product', "Direct Product", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'invisible': Eval('business') != 'direct',
            },
        help="The product of the direct guarantees; empty for any product.")
    direct_kind = fields.Selection(
        [(None, "")] + KINDS, "Direct Kind", sort=False,
        states={
            'invisible': Eval('business') != 'direct',
            },
        help="The kind of the direct guarantees; empty for any kind.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in ['product', 'mode', 'spot_check_rate']:
            field = getattr(cls, name)
            field.states = field.states.copy()
            field.states['invisible'] = Eval('business') != 'reguarantee'

    @classmethod
    def default_business(cls):
        return 'reguarantee'

    def get_plan(self, start_date, end_date):
        """The company inspects its direct guarantees itself: off-site on
        the dates of the periodic reports (there is no institution to report
        nor to spot-check), on-site before maturity"""
        plan = super().get_plan(start_date, end_date)
        if self.business == 'direct':
            plan = sorted({
                    ('offsite' if k == 'institution_report' else k, d)
                    for k, d in plan}, key=lambda p: (p[1], p[0]))
        return plan


class Project(metaclass=PoolMeta):
    __name__ = 'reguarantee.project'

    def get_inspection_pattern(self):
        pattern = super().get_inspection_pattern()
        pattern['business'] = 'reguarantee'
        return pattern


class Application(ClassifiedMixin, metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'
    _classified_states = CLASSIFIED_STATES

    classification_changes = fields.One2Many(
        'reguarantee.classification.change', 'application',
        "Classification History", readonly=True)

    def get_inspection_pattern(self):
        "Return the pattern to match the inspection plan rules"
        return {
            'business': 'direct',
            'direct_product': self.product.id if self.product else None,
            'direct_kind': self.kind,
            }

    @classmethod
    def issue(cls, letters):
        super().issue(letters)
        cls.plan_inspections(letters)

    @classmethod
    def confirm_loan(cls, applications):
        super().confirm_loan(applications)
        cls.plan_inspections(applications)

    @classmethod
    def plan_inspections(cls, applications):
        "Plan the inspections of the applications that went in force"
        pool = Pool()
        Inspection = pool.get('reguarantee.inspection')
        Inspection.plan([
                a for a in cls.browse([a.id for a in applications])
                if a.state == 'in_force'])


class ClassificationChange(metaclass=PoolMeta):
    __name__ = 'reguarantee.classification.change'

    application = fields.Many2One(
        'reguarantee.direct.application', "Direct Guarantee",
        ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('state') == 'proposed',
                ('state', 'in', CLASSIFIED_STATES),
                ()),
            ],
        states={
            'readonly': Eval('state') != 'proposed',
            'required': ~Eval('project'),
            'invisible': Bool(Eval('project')),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a change classifies a project or a direct guarantee
        cls.project.required = False
        cls.project.states = cls.project.states.copy()
        cls.project.states.update({
                'required': ~Eval('application'),
                'invisible': Bool(Eval('application')),
                })

    @classmethod
    def _get_guarantee_fields(cls):
        return super()._get_guarantee_fields() | {
            'reguarantee.direct.application': 'application',
            }

    @fields.depends(
        'application', 'state', '_parent_application.classification')
    def on_change_application(self):
        if self.application and self.state == 'proposed':
            self.from_level = self.application.classification

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            super().search_rec_name(name, clause),
            ('application.rec_name', *clause[1:]),
            ]


class Inspection(metaclass=PoolMeta):
    __name__ = 'reguarantee.inspection'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['reguarantee.direct.application']

    @classmethod
    def _get_origin_values(cls, origin):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        if isinstance(origin, Application):
            # the company inspects its own guarantees: no institution
            return {
                'institution': None,
                'borrower': origin.applicant.id,
                }
        return super()._get_origin_values(origin)

    def get_classified(self):
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        if isinstance(self.origin, Application):
            return self.origin
        return super().get_classified()

    @classmethod
    def generate_plans(cls):
        "Plan the inspections of the direct guarantees in force too"
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        return super().generate_plans() + cls.plan(
            Application.search([('state', '=', 'in_force')]))


class ReviewItem(metaclass=PoolMeta):
    __name__ = 'reguarantee.review.item'

    def get_project_value(self, name):
        "Show the direct guarantee of a classification change on the agenda"
        pool = Pool()
        Change = pool.get('reguarantee.classification.change')
        if isinstance(self.origin, Change) and self.origin.application:
            application = self.origin.application
            if name == 'borrower':
                return application.applicant.id
            elif name == 'guarantee_amount':
                return application.amount
            return None
        return super().get_project_value(name)
