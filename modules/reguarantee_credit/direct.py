# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The direct guarantees (reguarantee_direct, when it is activated): their
credit-bureau records and the business-information look-ups of their
applicants"""
from decimal import Decimal

from trytond.model import ModelView, Workflow
from trytond.modules.reguarantee_base.borrower import USCC_KINDS
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .report import account_status, record_order

#: the states of the direct guarantees once they were in force
OPENED_STATES = ['in_force', 'released', 'compensated', 'closed']


class Report(metaclass=PoolMeta):
    __name__ = 'reguarantee.credit.report'

    @classmethod
    def get_record_values(cls, report):
        pool = Pool()
        Record = pool.get('reguarantee.credit.report.record')
        values = super().get_record_values(report)
        values += Record.values_from_applications(
            report, cls.get_application_events(report))
        return sorted(values, key=record_order)

    @classmethod
    def get_application_events(cls, report):
        """Return the events (application id, kind, date, values) of the
        month's direct guarantees: opened when put in force"""
        return cls.get_guarantee_events(
            report, 'reguarantee.direct.application', 'start_date',
            OPENED_STATES, 'application')


class ReportRecord(metaclass=PoolMeta):
    __name__ = 'reguarantee.credit.report.record'

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['reguarantee.direct.application']

    @classmethod
    @ModelView.button
    def update_from_origin(cls, records):
        cls.set_values_from_origin(
            records, 'reguarantee.direct.application',
            cls.values_from_applications)
        # saves all the records and marks them corrected
        super().update_from_origin(records)

    @classmethod
    def values_from_applications(cls, report, events):
        """Return the values of a record for each event (application id,
        kind, date, values) of the report's month: the company is the
        guarantor of its direct guarantees"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        party = report.company.party
        usccs = [i.code for i in party.identifiers if i.type == 'cn_vat']
        currency = report.company.currency
        ids = sorted({e[0] for e in events})
        paid, recovered = cls.get_compensated(
            report, 'reguarantee.direct.application', ids)
        applications = {a.id: a for a in Application.browse(ids)}
        vlist = []
        for application_id, kind, date, extra in events:
            application = applications[application_id]
            applicant = application.applicant
            compensation_amount, compensation_date = paid.get(
                application_id, (None, None))
            status = account_status(kind, date, compensation_date)
            # a financing guarantee covers the loan granted, a letter its
            # amount
            liability = (
                application.loan_amount or application.amount
                if application.kind == 'financing' else application.amount)
            creditor = application.bank or application.beneficiary
            vlist.append({
                    'origin': str(application),
                    'kind': kind,
                    'account_number': application.number,
                    'event_date': date,
                    'business_type': (
                        'financing' if application.kind == 'financing'
                        else 'non_financing'),
                    'open_date': application.start_date,
                    'due_date': application.end_date,
                    'currency_code': currency.code,
                    'amount': application.amount,
                    'borrower_id_type': (
                        'uscc' if applicant.kind in USCC_KINDS
                        else 'resident_id'),
                    'borrower_id_number': applicant.id_number,
                    'borrower_name': applicant.name,
                    'guarantor_uscc': usccs[0] if usccs else None,
                    'guarantor_name': party.name,
                    'creditor_name': creditor.rec_name if creditor else None,
                    'status': status,
                    'balance': (
                        liability or Decimal(0) if status == 'in_force'
                        else Decimal(0)),
                    'classification': extra.get(
                        'classification', application.classification),
                    'compensation_amount': compensation_amount,
                    'compensation_date': compensation_date,
                    'recovered_amount': (
                        recovered.get(application_id) if compensation_amount
                        else None),
                    'closing_date': date if kind == 'closure' else None,
                    })
        return vlist


class Application(metaclass=PoolMeta):
    __name__ = 'reguarantee.direct.application'

    @classmethod
    @ModelView.button
    @Workflow.transition('investigating')
    def investigate(cls, applications):
        super().investigate(applications)
        cls.credit_look_up_applicants(applications)

    @classmethod
    @ModelView.button
    @Workflow.transition('reviewing')
    def review(cls, applications):
        super().review(applications)
        cls.credit_look_up_applicants(applications)

    @classmethod
    def credit_look_up_applicants(cls, applications):
        """Ask a look-up of the applicants whose latest one is older than
        the provider's refresh days for direct guarantees (through the
        queue); nothing is asked when the company has no provider"""
        pool = Pool()
        Provider = pool.get('reguarantee.credit.provider')
        Request = pool.get('reguarantee.credit.request')
        by_company = {}
        for application in applications:
            by_company.setdefault(application.company, []).append(
                application.applicant)
        for company, applicants in by_company.items():
            providers = Provider.search(
                [('company', '=', company.id)], order=[('id', 'ASC')],
                limit=1)
            if not providers:
                continue
            # the requests are the module's bookkeeping, not the user's
            with without_check_access():
                _, requests = Request.ask(
                    set(applicants), 'direct', provider=providers[0])
            if requests:
                Request.__queue__.process(requests)


class Request(metaclass=PoolMeta):
    __name__ = 'reguarantee.credit.request'

    @classmethod
    def refresh_borrowers(cls):
        """Ask also a new look-up for the applicants of the direct
        guarantees in force whose latest one is older than the direct
        refresh days"""
        pool = Pool()
        Application = pool.get('reguarantee.direct.application')
        Borrower = pool.get('reguarantee.borrower')
        Provider = pool.get('reguarantee.credit.provider')
        super().refresh_borrowers()
        application = Application.__table__()
        cursor = Transaction().connection.cursor()
        for provider in Provider.search([]):
            cursor.execute(*application.select(
                    application.applicant,
                    where=(application.company == provider.company.id)
                    & (application.state == 'in_force'),
                    group_by=[application.applicant]))
            applicant_ids = [a for a, in cursor]
            with Transaction().set_context(company=provider.company.id):
                _, requests = cls.ask(
                    Borrower.browse(applicant_ids),
                    'direct', provider=provider)
                if requests:
                    cls.__queue__.process(requests)
