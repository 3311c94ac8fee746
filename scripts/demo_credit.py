# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Demo data of credit look-ups and letter screening (reguarantee_credit)

Configures the business-information provider's simulator started by
scripts/demo.sh (DEMO_CREDIT_URL; its token is the server's configuration,
[reguarantee] credit_token, given by demo.sh as
TRYTOND_REGUARANTEE__CREDIT_TOKEN), gives one demo borrower an enforcement
record and another a lawsuit at the provider, asks a look-up of every
registered borrower and screens a batch of four letter applications as the
business user; the queue worker sends the look-ups when it starts.

setup_review_report (after demo_review.py) sends at once the look-up of the
borrower of the upcoming committee meeting's item, as the worker would, and
generates its review report as the presenter (the business user)."""
import datetime as dt
import os
from collections import Counter
from decimal import Decimal


def setup_credit(demo):
    "demo: the running demo_data module (its connections and helpers)"
    from trytond.modules.reguarantee_base.configuration import get_secret
    url = os.environ.get('DEMO_CREDIT_URL')
    if not url:
        demo.log("no provider simulator (DEMO_CREDIT_URL): credit not "
            "configured")
        return
    if not get_secret('credit_token'):
        demo.log("no TRYTOND_REGUARANTEE__CREDIT_TOKEN: credit not "
            "configured")
        return
    Provider = demo.model('reguarantee.credit.provider')
    if Provider.find([]):
        return
    demo.log("configuring the business-information provider")
    provider = Provider(
        name="工商信息服务（模拟）", url=url, daily_quota=1000,
        cost=Decimal('2.00'), workers=8, retry_delay=10)
    provider.save()

    Borrower = demo.model('reguarantee.borrower', 'business')
    borrowers = Borrower.find(
        [('kind', 'in', ['enterprise', 'individual_business'])],
        order=[('id', 'ASC')])
    today = dt.date.today()
    profiles = {}
    if len(borrowers) >= 3:
        profiles[borrowers[2].id_number] = {'enforcements': [{
                    'caseNumber': f'({today.year})皖03执188号',
                    'date': (today - dt.timedelta(days=40)).isoformat(),
                    'court': '蚌埠市蚌山区人民法院',
                    'amount': '860000.00', 'status': '执行中'}]}
        profiles[borrowers[1].id_number] = {'lawsuits': [{
                    'caseNumber': f'({today.year})皖01民初2051号',
                    'date': (today - dt.timedelta(days=20)).isoformat(),
                    'role': 'defendant', 'cause': '买卖合同纠纷',
                    'amount': '320000.00'}]}
    from simulators.server import SimulatorClient
    SimulatorClient(url).set_options({'profiles': profiles})
    if borrowers:
        demo.log("asking a look-up of %d borrowers" % len(borrowers))
        Borrower.click(borrowers, 'credit_look_up')

    Institution = demo.model('reguarantee.institution', 'business')
    institutions = Institution.find(
        [('state', '=', 'active')], order=[('code', 'ASC')], limit=1)
    if not institutions or len(borrowers) < 3:
        return
    demo.log("screening a batch of letter applications")
    Screening = demo.model('reguarantee.letter.screening', 'business')
    screening = Screening(institution=institutions[0])
    end = today + dt.timedelta(days=365)
    applicants = [
        (b.name, b.kind, b.id_number, b.industry, b.region)
        for b in borrowers[:3]] + [
        ('合肥新兴电子科技有限公司', 'enterprise',
            demo.make_uscc('340100', 601), 'C3971', '340100')]
    for i, (name, kind, code, industry, region) in enumerate(applicants, 1):
        screening.lines.new(
            row=i, borrower_name=name, borrower_kind=kind, id_number=code,
            industry=industry, region=region, bank_name="徽商银行",
            loan_contract_number=f'LS-DEMO-{i:04d}',
            loan_amount=Decimal('2000000'),
            guarantee_amount=Decimal('1600000'),
            start_date=today, end_date=end)
    screening.save()
    screening.click('screen')


#: The presenter's opinion written in the demo review report
REVIEW_OPINION = (
    "借款人经营正常，近三年销售收入稳定增长；反担保措施为实际控制人个人连带"
    "责任保证。\n建议同意再担保，保后重点关注借款人涉诉及现金流情况。")


def setup_review_report(demo):
    """Generate the review report of the upcoming meeting's item from its
    project and the borrower's look-up"""
    from demo_review import UPCOMING

    from proteus import Wizard
    Module = demo.model('ir.module')
    if not Module.find([
                ('name', '=', 'reguarantee_credit'),
                ('state', '=', 'activated')]):
        return
    Item = demo.model('reguarantee.review.item', 'business')
    items = Item.find([
            ('meeting.name', '=', UPCOMING[0]),
            ('review_reports', '=', None),
            ])
    if not items:
        return
    borrowers = [i.borrower for i in items if i.borrower]
    if os.environ.get('DEMO_CREDIT_URL') and borrowers:
        send_lookups(demo, borrowers)
    demo.log("generating the review report of %d committee items"
        % len(items))
    from trytond.exceptions import UserWarning
    config = demo.as_user('business')
    Warning = demo.model('res.user.warning', 'business')
    for item in items:
        wizard = Wizard(
            'reguarantee.review.report.generate', [item], config=config)
        wizard.form.opinion = REVIEW_OPINION
        try:
            wizard.execute('generate')
        except UserWarning as warning:
            # without a look-up (no provider) the presenter is warned and
            # goes on, as in sao: the report says so
            Warning.skip(warning.name, False, config.context)
            wizard.execute('generate')


def send_lookups(demo, borrowers):
    """Send the pending look-up requests of the borrowers now, as the queue
    worker (started after the demo data) would"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    subjects = [f'reguarantee.borrower,{b.id}' for b in borrowers]
    with Transaction().start(demo._OPTIONS['database'], 0) as transaction:
        Request = Pool().get('reguarantee.credit.request')
        requests = Request.search([
                ('subject', 'in', subjects),
                ('state', '=', 'pending'),
                ])
        Request.send(requests)
        transaction.commit()


def _settle(demo, report, timeout=60):
    """Run the queue's due tasks here, as the worker (started after the demo
    data) would, until the report's file has its feedback"""
    import time

    from trytond.modules.reguarantee_base.queue_worker import run_once
    deadline = time.monotonic() + timeout
    while True:
        report.reload()
        if report.state != 'sent' or time.monotonic() > deadline:
            return report
        if not run_once(demo._OPTIONS['database']):
            time.sleep(0.2)


def setup_bureau(demo):
    """Credit-bureau reporting: the bureau's simulator (DEMO_CREDIT_BUREAU_URL,
    token TRYTOND_REGUARANTEE__CREDIT_BUREAU_TOKEN) configured, and this
    month's report of the demo's guarantee accounts sent by the risk
    department; the bureau's register knows one borrower under another name,
    so the opening of his account is rejected (E203), the business
    department corrects the borrower's name, risk updates the record from
    the data and sends it alone in a correction file, which the bureau
    accepts.  Called after demo_monitoring (the month's classification
    changes)."""
    from trytond.modules.reguarantee_base.configuration import get_secret
    url = os.environ.get('DEMO_CREDIT_BUREAU_URL')
    if not url:
        demo.log("no credit bureau simulator (DEMO_CREDIT_BUREAU_URL): "
            "bureau reporting not configured")
        return
    if not get_secret('credit_bureau_token'):
        demo.log("no TRYTOND_REGUARANTEE__CREDIT_BUREAU_TOKEN: bureau "
            "reporting not configured")
        return
    Bureau = demo.model('reguarantee.credit.bureau')
    if Bureau.find([]):
        return
    demo.log("configuring the credit bureau")
    Company = demo.model('company.company')
    company, = Company.find([], limit=1)
    party = company.party
    if not any(i.type == 'cn_vat' for i in party.identifiers):
        party.identifiers.new(
            type='cn_vat', code=demo.make_uscc('340100', 1))
        party.save()
    Bureau(
        name="征信中心（模拟）", url=url, provider_code='Z3401000000001',
        retry_delay=5, poll_interval=1).save()

    Report = demo.model('reguarantee.credit.report', 'risk1')
    report = Report(month=dt.date.today().replace(day=1))
    report.save()
    report.click('generate')
    opened = [r for r in report.records if r.kind == 'open']
    if not opened:
        demo.log("no guarantee account to report this month")
        return
    # the bureau's register holds the borrower's full registered name: the
    # account opening of a borrower who opens one account this month is
    # rejected, his other records name the account and pass
    counts = Counter(r.borrower_id_number for r in opened)
    record = min(opened, key=lambda r: (counts[r.borrower_id_number], r.id))
    registered = record.borrower_name.replace('有限公司', '股份有限公司')
    if registered == record.borrower_name:
        registered += '（个体工商户）'
    from simulators.server import SimulatorClient
    SimulatorClient(url).set_options({
            'processing_delay': 0.5,
            'registered_names': {record.borrower_id_number: registered}})
    demo.log("sending this month's credit bureau file (%d records)"
        % len(report.records))
    report.click('validate_report')
    report.click('send')
    report = _settle(demo, report)
    rejected = [r for r in report.records if r.state == 'rejected']
    if report.state != 'partially_rejected' or not rejected:
        demo.log("the bureau's feedback is not there yet: report %s"
            % report.state)
        return
    demo.log("correcting the rejected record %s" % rejected[0].rec_name)
    Borrower = demo.model('reguarantee.borrower', 'business')
    borrower, = Borrower.find(
        [('id_number', '=', rejected[0].borrower_id_number)])
    borrower.name = registered
    borrower.save()
    Record = demo.model('reguarantee.credit.report.record', 'risk1')
    Record.click([Record(r.id) for r in rejected], 'update_from_origin')
    report.reload()
    report.click('send_corrections')
    report = _settle(demo, report)
    demo.log("credit bureau report %s: %s" % (report.rec_name, report.state))
