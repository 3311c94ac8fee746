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
business user; the queue worker sends the look-ups when it starts."""
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
