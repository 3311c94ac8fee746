# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import hashlib

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .exceptions import IndustryConcentrationWarning
from .indicator import ACCEPTED_STATES
from .tier import format_rate


class Project(metaclass=PoolMeta):
    __name__ = 'reguarantee.project'

    @classmethod
    def get_submission_errors(cls, projects, pending=None):
        """Refuse also the projects stopped by a circuit breaker and those
        over a quota (one query each for all the projects)"""
        pool = Pool()
        Assignment = pool.get('reguarantee.risk.tier.assignment')
        Quota = pool.get('reguarantee.risk.quota')
        errors = super().get_submission_errors(projects, pending=pending)
        index = {id(p): i for i, p in enumerate(projects)}

        def valid():
            return [p for p, e in zip(projects, errors) if not e]

        for project, error in Assignment.get_breaker_errors(valid()):
            errors[index[id(project)]].append(error)
        for project, error in Quota.get_quota_errors(valid(), pending):
            errors[index[id(project)]].append(error)
        return errors

    @classmethod
    def get_fee_rates(cls, projects, date):
        "Add the fee rate adjustments of the risk tiers in effect on date"
        pool = Pool()
        Assignment = pool.get('reguarantee.risk.tier.assignment')
        rates = super().get_fee_rates(projects, date)
        adjustments = Assignment.get_fee_adjustments(projects, date)
        return {
            id_: max(rate + adjustments.get(id_, 0), 0)
            for id_, rate in rates.items()}

    @classmethod
    def enter_submitted(cls, projects, errors=None):
        """Warn when the submitted projects take an industry above its
        product's limit, whichever way they enter (button, import, API)"""
        projects = super().enter_submitted(projects, errors=errors)
        cls.check_industry_concentration(projects)
        return projects

    @classmethod
    def check_industry_concentration(cls, projects):
        "Warn when the projects take an industry above its product's limit"
        pool = Pool()
        Quota = pool.get('reguarantee.risk.quota')
        Warning = pool.get('res.user.warning')
        concentrations = Quota.get_industry_concentrations(
            [p.id for p in projects])
        if concentrations:
            key = cls._industry_concentration_warning(projects)
            if Warning.check(key):
                raise IndustryConcentrationWarning(key, '\n'.join(
                        cls._industry_concentration_message(*c)
                        for c in concentrations))

    @classmethod
    def _industry_concentration_warning(cls, projects):
        """Return the name of the warning of the projects: the same when
        the same projects are submitted again once the user confirmed it

        It is made of the projects' duplicate keys, not of their ids as
        Warning.format does: an import creates its projects again when the
        user confirms (with new ids on PostgreSQL), and Warning.format
        looks each new record up in a list (quadratic for thousands)."""
        keys = sorted(repr(p.duplicate_key) for p in projects)
        digest = hashlib.md5('|'.join(keys).encode('utf-8')).hexdigest()
        return '%s.industry_concentration' % digest

    @classmethod
    def _industry_concentration_message(cls, product, industry, share):
        return gettext(
            'reguarantee_risk.msg_industry_concentration',
            product=product.rec_name, industry=industry or '',
            share=format_rate(share),
            limit=format_rate(product.industry_limit))

    @classmethod
    def on_modification(cls, mode, projects, field_names=None):
        pool = Pool()
        Balance = pool.get('reguarantee.risk.balance')
        Quota = pool.get('reguarantee.risk.quota')
        super().on_modification(mode, projects, field_names=field_names)
        # the stored balances of a borrower no longer holding a project in
        # force would be left: those of every borrower are rebuilt
        moved = mode == 'delete' or (
            mode == 'write' and 'borrower' in field_names)
        if moved and any(
                p.state in ACCEPTED_STATES
                or (mode == 'write' and 'state' in field_names)
                for p in projects):
            Balance.invalidate({p.company.id for p in projects})
        if mode == 'create' or (mode == 'write' and 'state' in field_names):
            ids = [p.id for p in projects]
            Quota.notify_thresholds(ids)
            for product, industry, share in (
                    Quota.get_industry_concentrations(ids)):
                Quota.notify_staff(
                    [product], None, 'tryton-warning',
                    'msg_industry_concentration',
                    product=product.rec_name, industry=industry or '',
                    share=format_rate(share),
                    limit=format_rate(product.industry_limit))
