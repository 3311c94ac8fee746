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
    for item in items:
        # without a look-up (no provider), the report says so
        wizard = Wizard(
            'reguarantee.review.report.generate', [item],
            config=demo.as_user('business'),
            context={'_skip_warnings': True})
        wizard.form.opinion = REVIEW_OPINION
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
