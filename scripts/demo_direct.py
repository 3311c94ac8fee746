# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo data of the direct guarantee business (reguarantee_direct),
loaded by demo_data.py after the review committee's

Two products: small-micro financing guarantees (1.5 % a year, a risk
committee user approves too above 3,000,000) and letters of guarantee
(bid, performance, advance payment; 0.8 % a year).  Applications in every
state of the workflow: a draft, one under investigation, one waiting for
the upcoming direct-guarantee committee meeting, and those a closed
meeting decided: one rejected, one approved, one contracted waiting for
the bank's loan, one in force (loan confirmed), one released on
repayment, one compensated (the bank paid, nothing recovered yet), one
whose borrower defaulted: the bank compensated, the mortgage auctioned
and the rest repaid by the borrower, then closed; and
two letters of guarantee issued and in force, whose printed letter is
attached; and a partner bank's batch of small-micro guarantees, approved
by risk with its limit, into which the business user imports the bank's
file of a dozen loans (guarantees in force).  Idempotent like
demo_data.py, whose helpers it is given: once the closed meeting exists
nothing is done again."""
import datetime
import io
from decimal import Decimal

from dateutil.relativedelta import relativedelta

#: The products: code, name, values
PRODUCTS = [
    ('ZB-XW', '小微企业融资担保', {
            'fee_rate': Decimal('0.015'), 'fee_schedule': 'upfront',
            'kinds': ['financing'],
            'borrower_kinds': ['enterprise', 'individual_business', 'farmer'],
            'max_amount': Decimal('10000000'), 'max_term_months': 36,
            'min_coverage': Decimal('0.5'),
            'approval_level2_amount': Decimal('3000000'),
            'approval_level3_amount': Decimal('8000000'),
            }),
    ('ZB-BH', '非融资性保函', {
            'fee_rate': Decimal('0.008'), 'fee_schedule': 'upfront',
            'kinds': ['bid', 'performance', 'advance_payment'],
            'max_amount': Decimal('20000000'), 'max_term_months': 24,
            'min_coverage': Decimal('0.1'),
            'approval_level2_amount': Decimal('5000000'),
            }),
    ]
#: The applicants: name, kind, identity serial, industry, region
APPLICANTS = [
    # the credit demo's borrower of the same identity number (one borrower
    # per identity: its registered name is kept)
    ('合肥新兴电子科技有限公司', 'enterprise', 601, 'C3982', '340100'),
    ('芜湖长江建设工程有限公司', 'enterprise', 602, 'E4813', '340200'),
    ('六安绿源茶业有限公司', 'enterprise', 603, 'A0164', '341500'),
    ('合肥市包河区张记五金店', 'individual_business', 604, 'F5274', '340100'),
    ]
BENEFICIARIES = ['合肥市公共资源交易中心', '安徽省交通控股集团有限公司']
#: A mortgage securing 70 % of a property appraised at value
MORTGAGE = {
    'kind': 'mortgage', 'pledge_rate': Decimal('0.7'),
    'registration_number': '皖(2026)合肥市不动产证明第%07d号',
    }
#: The applications, found again by purpose: purpose, product, applicant
#: serial, kind, bank or beneficiary index, amount, term (months),
#: appraised value of the mortgage (or the deposit of a letter), target
APPLICATIONS = [
    ('购置数控加工设备', 'ZB-XW', 601, 'financing', 0,
        Decimal('1500000'), 24, Decimal('2400000'), 'draft'),
    ('春茶收购流动资金', 'ZB-XW', 603, 'financing', 1,
        Decimal('800000'), 12, Decimal('1500000'), 'investigating'),
    ('门店扩张及备货', 'ZB-XW', 604, 'financing', 0,
        Decimal('500000'), 12, Decimal('900000'), 'reviewing'),
    ('偿还民间借贷', 'ZB-XW', 604, 'financing', 1,
        Decimal('1200000'), 12, Decimal('1000000'), 'rejected'),
    ('智能终端生产线技改', 'ZB-XW', 601, 'financing', 0,
        Decimal('4500000'), 36, Decimal('7000000'), 'approved'),
    ('茶园基地建设', 'ZB-XW', 603, 'financing', 1,
        Decimal('2000000'), 24, Decimal('3200000'), 'contracted'),
    ('原材料采购', 'ZB-XW', 601, 'financing', 0,
        Decimal('3000000'), 12, Decimal('5000000'), 'in_force'),
    ('年度经营周转', 'ZB-XW', 603, 'financing', 0,
        Decimal('1000000'), 12, Decimal('1800000'), 'released'),
    ('农产品冷链仓储建设', 'ZB-XW', 604, 'financing', 1,
        Decimal('1000000'), 12, Decimal('1500000'), 'closed'),
    ('食品加工设备更新', 'ZB-XW', 603, 'financing', 0,
        Decimal('900000'), 12, Decimal('1400000'), 'compensated'),
    ('合肥市某道路工程施工投标', 'ZB-BH', 602, 'bid', 0,
        Decimal('800000'), 6, Decimal('100000'), 'in_force'),
    ('G3京台高速某标段施工履约', 'ZB-BH', 602, 'performance', 1,
        Decimal('6000000'), 24, Decimal('1200000'), 'in_force'),
    ]
#: The committee's votes: target → vote of every member
VOTES = {'rejected': 'reject'}
CLOSED = ('2026年第1次直保评审会', -7)
UPCOMING = ('2026年第2次直保评审会', 7)
#: The members (demo_review.py puts them in the committee): login, voting
MEMBERS = [
    ('committee', True), ('risk1', True), ('risk2', True),
    ('business', False)]
#: The states an application passes after the committee
AFTER_REVIEW = [
    'approved', 'contracted', 'in_force', 'released', 'compensated',
    'closed']
#: The default of the closed guarantee: principal, interest (the bank is
#: paid 812,000), the mortgage auctioned for 300,000, the borrower repays
#: the remaining 512,000
DEFAULT = (Decimal('800000'), Decimal('12000'))
AUCTION = Decimal('300000')
REPAID = Decimal('512000')
#: The partner bank's batch: bank index, product, approved limit
BATCH = (0, 'ZB-XW', Decimal('10000000'))
#: The loans of the bank's file: borrower, kind, identity serial, region,
#: amount, loan date (days before today), term (months), purpose
BATCH_LOANS = [
    ('合肥市蜀山区李记餐饮店', 'individual_business', 611, '340100',
        Decimal('300000'), 40, 12, '店面装修及周转'),
    ('肥西县丰收农机专业合作社', 'enterprise', 612, '340100',
        Decimal('800000'), 38, 24, '购置农机设备'),
    ('长丰县绿野草莓种植有限公司', 'enterprise', 613, '340100',
        Decimal('500000'), 35, 12, '草莓大棚建设'),
    ('合肥市瑶海区陈氏服装店', 'individual_business', 614, '340100',
        Decimal('200000'), 33, 12, '春季备货'),
    ('芜湖精工五金制品有限公司', 'enterprise', 615, '340200',
        Decimal('1000000'), 30, 24, '钢材采购'),
    ('芜湖市镜湖区王记水产店', 'individual_business', 616, '340200',
        Decimal('150000'), 28, 6, '冷库租赁'),
    ('六安市皖西白鹅养殖有限公司', 'enterprise', 617, '341500',
        Decimal('600000'), 25, 12, '养殖场扩建'),
    ('霍山县石斛种植专业合作社', 'enterprise', 618, '341500',
        Decimal('400000'), 21, 18, '种苗采购'),
    ('合肥市包河区刘记汽修厂', 'individual_business', 619, '340100',
        Decimal('250000'), 18, 12, '检测设备购置'),
    ('合肥启航电子商务有限公司', 'enterprise', 620, '340100',
        Decimal('700000'), 14, 12, '经营周转'),
    ('芜湖市鸠江区赵氏建材店', 'individual_business', 621, '340200',
        Decimal('350000'), 10, 12, '建材备货'),
    ('六安市金寨县山泉茶业有限公司', 'enterprise', 622, '341500',
        Decimal('450000'), 7, 12, '茶叶收购'),
    ]


def setup_direct(demo):
    "demo: the running demo_data module (its connections and helpers)"
    from proteus import Report, Wizard
    Module = demo.model('ir.module')
    if not Module.find([
                ('name', '=', 'reguarantee_direct'),
                ('state', '=', 'activated')]):
        return
    Meeting = demo.model('reguarantee.review.meeting', 'risk1')
    if Meeting.find([('name', '=', CLOSED[0])]):
        return
    demo.log("creating the direct guarantees")
    products = setup_products(demo)
    applicants = setup_applicants(demo)
    banks = demo.setup_banks()
    beneficiaries = setup_beneficiaries(demo)

    Application = demo.model('reguarantee.direct.application', 'business')
    Product = demo.model('reguarantee.direct.product', 'business')
    Borrower = demo.model('reguarantee.borrower', 'business')
    Party = demo.model('party.party', 'business')
    applications = {}
    for number, (purpose, code, serial, kind, other, amount, term, value,
            target) in enumerate(APPLICATIONS, 1):
        application = Application(
            applicant=Borrower(applicants[serial].id), kind=kind,
            product=Product(products[code].id), amount=amount,
            term_months=term, purpose=purpose,
            application_date=demo.TODAY - datetime.timedelta(days=30))
        if kind == 'financing':
            application.bank = Party(banks[other].id)
            mortgage = application.counter_guarantees.new(
                kind='mortgage', pledge_rate=MORTGAGE['pledge_rate'])
            mortgage.owner = applicants[serial].name
            mortgage.description = "法定代表人名下住宅房产"
            mortgage.appraised_value = value
            mortgage.registration_number = (
                MORTGAGE['registration_number'] % number)
            mortgage.registration_date = demo.TODAY - datetime.timedelta(
                days=10)
            guarantor = application.counter_guarantees.new(kind='personal')
            guarantor.owner = "法定代表人及其配偶"
            guarantor.description = "连带责任保证"
        else:
            application.beneficiary = Party(beneficiaries[other].id)
            application.counter_guarantees.new(
                kind='deposit', owner=applicants[serial].name,
                appraised_value=value, pledge_rate=Decimal(1),
                description="存入保证金专户")
        application.save()
        if target != 'draft':
            application.click('investigate')
        if target not in {'draft', 'investigating'}:
            application.dd_operations = (
                f"{applicants[serial].name}经营正常，近三年营业收入稳定增长。")
            application.dd_finances = "资产负债率低于60%，征信记录无不良。"
            application.dd_repayment_source = (
                "第一还款来源为经营现金流，第二还款来源为反担保措施。")
            application.dd_conclusion = (
                'not_recommended' if target == 'rejected' else 'recommended')
            application.dd_opinion = "同意提交评审会审议。"
            application.save()
        applications[purpose] = (application, target)

    User = demo.model('res.user', 'risk1')
    users = {
        login: User.find([('login', '=', login)])[0]
        for login, _ in MEMBERS}

    def new_meeting(name, days):
        meeting = Meeting(
            name=name, date=demo.TODAY + datetime.timedelta(days=days),
            location="公司三楼会议室", chair=users[MEMBERS[0][0]])
        for login, voting in MEMBERS:
            meeting.members.new(user=users[login], voting=voting)
        return meeting

    # the applications the closed meeting decided
    decided = [
        (a, t) for a, t in applications.values()
        if t in AFTER_REVIEW + ['rejected']]
    for application, _ in decided:
        application.click('review')
    closed = new_meeting(*CLOSED)
    for application, _ in decided:
        closed.items.new(
            origin=demo.browse(application, 'risk1'),
            presenter=users['business'],
            description="业务部汇报尽职调查情况。")
    closed.save()
    closed.click('convene')
    for item, (_, target) in zip(closed.items, decided):
        for login, voting in MEMBERS:
            if not voting:
                continue
            wizard = Wizard(
                'reguarantee.review.vote.cast',
                [demo.browse(item, login)], config=demo.as_user(login))
            wizard.form.vote = VOTES.get(target, 'approve')
            wizard.execute('cast')
    closed = demo.browse(closed, 'risk1')
    closed.click('close')

    # the upcoming meeting takes the application sent to it
    upcoming = new_meeting(*UPCOMING)
    upcoming.save()
    for application, target in applications.values():
        if target == 'reviewing':
            application.click('review')

    for application, target in decided:
        if target == 'rejected':
            application = demo.browse(application, 'risk1')
            application.rejection_reason = "评审会否决：借款用途不合规。"
            application.click('reject')
            continue
        for login in ['risk1', 'committee']:
            application = demo.click(application, 'approve', login)
            if application.state != 'reviewing':
                break
        if target == 'approved':
            continue
        application = demo.click(application, 'contract', 'business')
        if application.kind == 'financing' and target != 'contracted':
            application = demo.browse(application, 'business')
            application.loan_number = f'HSB-ZB-{application.id:05d}'
            application.loan_date = application.contract_date
            application.loan_amount = application.amount
            application.click('confirm_loan')
        if target == 'released':
            application = demo.click(application, 'release', 'business')
        elif target == 'compensated':
            compensate(demo, application)
            application = demo.browse(application, 'admin')
        elif target == 'closed':
            application = compensate_and_recover(demo, application)
        if application.kind != 'financing':
            attach_letter(demo, Report, application)

    for application, target in applications.values():
        application = demo.browse(application, 'admin')
        if application.state != target:
            raise RuntimeError(
                f"direct application {application.purpose} is "
                f"{application.state}, expected {target}")
    setup_batch(demo, products, banks)
    __import__('demo_direct_fee').setup_direct_fees(demo, applications)


def setup_batch(demo, products, banks):
    """The partner bank's batch: created by business, approved by risk, then
    the bank's file of loans imported by business through the wizard"""
    from proteus import Wizard
    Batch = demo.model('reguarantee.direct.batch', 'business')
    Party = demo.model('party.party', 'business')
    Product = demo.model('reguarantee.direct.product', 'business')
    bank, code, limit = BATCH
    batch = Batch(
        bank=Party(banks[bank].id), product=Product(products[code].id),
        limit=limit, start_date=demo.TODAY - datetime.timedelta(days=60),
        end_date=demo.TODAY + datetime.timedelta(days=300))
    batch.save()
    batch = demo.click(batch, 'approve', 'risk1')
    wizard = Wizard(
        'reguarantee.direct.batch.import', [demo.browse(batch, 'business')],
        config=demo.as_user('business'))
    wizard.form.file = batch_file(demo, batch.number)
    wizard.form.filename = f'{banks[bank].name}-{batch.number}.xlsx'
    wizard.execute('import_')
    if wizard.form.imported != len(BATCH_LOANS):
        raise RuntimeError(
            f"the batch {batch.number} imported {wizard.form.imported} "
            f"loans: {wizard.form.summary}")
    wizard.execute('end')
    return batch


def batch_file(demo, number):
    "Return the bank's .xlsx file of the loans of the batch"
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([
            '借款人名称', '借款人类型', '证件号码', '行政区划', '借款合同编号',
            '贷款金额', '放款日期', '到期日期', '借款用途'])
    kinds = {'enterprise': '企业', 'individual_business': '个体工商户'}
    for index, (name, kind, serial, region, amount, days, term,
            purpose) in enumerate(BATCH_LOANS, 1):
        loan_date = demo.TODAY - datetime.timedelta(days=days)
        maturity_date = (
            loan_date + relativedelta(months=term)
            - datetime.timedelta(days=1))
        sheet.append([
                name, kinds[kind], demo.make_uscc(region, serial), region,
                f'HSB-XW-{number}-{index:03d}', amount, loan_date,
                maturity_date, purpose])
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def compensate(demo, application):
    "The borrower defaults: compensate the bank; return the compensation"
    Compensation = demo.model('reguarantee.compensation', 'business')
    principal, interest = DEFAULT
    compensation = Compensation(
        origin=demo.browse(application, 'business'),
        default_date=application.start_date, principal=principal,
        interest=interest)
    compensation.save()
    compensation = demo.advance(
        demo.browse(compensation, 'admin'),
        [('submit', ['business']), ('approve', ['risk1', 'committee']),
            ('pay', ['finance'])],
        {'submit': 'draft', 'approve': 'submitted', 'pay': 'approved'})
    return compensation


def compensate_and_recover(demo, application):
    """The borrower defaults: compensate the bank, auction the mortgage,
    recover the rest from the borrower and close the guarantee"""
    Compensation = demo.model('reguarantee.compensation', 'business')
    compensation = compensate(demo, application)
    Recovery = demo.model('reguarantee.recovery', 'business')
    CounterGuarantee = demo.model('reguarantee.counter.guarantee', 'business')
    mortgage, = [
        c for c in application.counter_guarantees if c.kind == 'mortgage']
    for amount, values in [
            (AUCTION, {
                    'counter_guarantee': CounterGuarantee(mortgage.id),
                    'realisation_method': 'auction',
                    'realised_amount': AUCTION,
                    }),
            (REPAID, {})]:
        recovery = Recovery(
            compensation=Compensation(compensation.id),
            date=compensation.payment_date, amount=amount, **values)
        recovery.save()
        recovery.click('confirm')
    return demo.click(application, 'close', 'risk1')


def attach_letter(demo, Report, application):
    "Attach the printed letter of guarantee to the application"
    Attachment = demo.model('ir.attachment', 'business')
    letter = Report(
        'reguarantee.direct.application.letter',
        config=demo.as_user('business'))
    ext, content, _, _ = letter.execute(
        [demo.browse(application, 'business')], {})
    Attachment(
        resource=demo.browse(application, 'business'),
        name=f'保函{application.letter_number}.{ext}',
        data=content).save()


def setup_products(demo):
    Product = demo.model('reguarantee.direct.product', 'manager')
    result = {}
    for code, name, values in PRODUCTS:
        found = Product.find([('code', '=', code)])
        if found:
            product, = found
        else:
            product = Product(code=code, name=name, **values)
            product.save()
        result[code] = product
    return result


def setup_applicants(demo):
    Borrower = demo.model('reguarantee.borrower', 'business')
    result = {}
    for name, kind, serial, industry, region in APPLICANTS:
        id_number = demo.make_uscc(region, serial)
        found = Borrower.find([('id_number', '=', id_number)])
        if found:
            borrower = found[0]
        else:
            borrower = Borrower(
                name=name, kind=kind, id_number=id_number,
                industry=industry, region=region)
            borrower.save()
        result[serial] = borrower
    return result


def setup_beneficiaries(demo):
    Party = demo.model('party.party', 'business')
    result = []
    for name in BENEFICIARIES:
        found = Party.find([('name', '=', name)])
        if found:
            party = found[0]
        else:
            party = Party(name=name)
            party.save()
        result.append(party)
    return result
