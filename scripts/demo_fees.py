# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Demo data of reguarantee_fees, loaded by demo_data.py after the projects

Tryton's minimal chart of accounts, a fiscal year, the fee service and its
accounts, fee schedules on the products; then, through the wizards and
buttons of the users of each role: the fee runs of the two last months,
an approved special fee, one bill a month for GI001 confirmed into posted
customer invoices (the older one paid), and one approved invoice request.
Idempotent like demo_data.py."""
import datetime
from decimal import Decimal

from proteus import Wizard

#: The demo_data module running (its connections to the database), set by
#: setup_fees: demo_data.py runs as __main__, importing it would start over
demo = None
TODAY = datetime.date.today()

FEE_SERVICE = '再担保费'
#: product code → fee schedule
SCHEDULES = {
    'PH-4222': 'monthly',
    'DB-4321': 'upfront',
    'NZ-5050': 'quarterly',
    }
FINANCE_MANAGER = {
    'login': 'finmanager',
    'name': '吴静（财务负责人）',
    'password': 'Demo-finmanager-2025',
    }
REVIEW_FEE = "项目评审费"


def log(message):
    demo.log(message)


def model(name, login='admin'):
    return demo.model(name, login)


def browse(record, login):
    return demo.browse(record, login)


def ref(module, fs_id):
    return demo.ref(module, fs_id)


def wizard(name, login):
    return Wizard(name, config=demo.as_user(login))


def month_bounds(date, months_back):
    "Return the first and last day of the month months_back before date"
    first = date.replace(day=1)
    for _ in range(months_back):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def setup_chart(company):
    "Create Tryton's minimal chart of accounts for the company once"
    Account = model('account.account')
    if Account.find([('company', '=', company.id)], limit=1):
        return
    log("creating the minimal chart of accounts")
    AccountTemplate = model('account.account.template')
    template = AccountTemplate(
        ref('account', 'account_template_root_en'))
    create = wizard('account.create_chart', 'admin')
    create.execute('account')
    create.form.account_template = template
    create.form.company = company
    create.execute('create_account')
    create.form.account_receivable, = Account.find([
            ('company', '=', company.id), ('type.receivable', '=', True),
            ('closed', '!=', True)], limit=1)
    create.form.account_payable, = Account.find([
            ('company', '=', company.id), ('type.payable', '=', True),
            ('closed', '!=', True)], limit=1)
    create.execute('create_properties')


def setup_fiscalyear(company):
    "Create the fiscal year of today with its sequences and periods"
    FiscalYear = model('account.fiscalyear')
    if FiscalYear.find([
                ('company', '=', company.id),
                ('start_date', '<=', TODAY), ('end_date', '>=', TODAY)]):
        return
    log("creating fiscal year %s" % TODAY.year)
    SequenceStrict = model('ir.sequence.strict')
    SequenceType = model('ir.sequence.type')
    move_type, = SequenceType.find([('name', '=', "Account Move")], limit=1)
    invoice_type, = SequenceType.find([('name', '=', "Invoice")], limit=1)
    name = str(TODAY.year)
    move_sequence = SequenceStrict(
        name=name, sequence_type=move_type, company=company)
    move_sequence.save()
    invoice_sequence = SequenceStrict(
        name=name, sequence_type=invoice_type, company=company,
        prefix='INV%s-' % name, padding=6)
    invoice_sequence.save()
    fiscalyear = FiscalYear(
        name=name, company=company, move_sequence=move_sequence,
        start_date=TODAY.replace(month=1, day=1),
        end_date=TODAY.replace(month=12, day=31))
    sequences, = fiscalyear.invoice_sequences
    for field in ['out_invoice_sequence', 'in_invoice_sequence',
            'out_credit_note_sequence', 'in_credit_note_sequence']:
        setattr(sequences, field, invoice_sequence)
    fiscalyear.save()
    fiscalyear.click('create_period')


def account(company, code):
    Account = model('account.account')
    found, = Account.find([('company', '=', company.id), ('code', '=', code)])
    return found


def setup_fee_service(company):
    "Return the fee service, revenue to the chart's revenue account"
    Product = model('product.product')
    found = Product.find([('name', '=', FEE_SERVICE)])
    if found:
        return found[0]
    log("creating the fee service")
    Category = model('product.category')
    Template = model('product.template')
    Uom = model('product.uom')
    Account = model('account.account')
    category = Category(name="再担保费收入", accounting=True)
    category.account_revenue, = Account.find([
            ('company', '=', company.id), ('type.revenue', '=', True),
            ('closed', '!=', True)], limit=1)
    category.save()
    template = Template(name=FEE_SERVICE, type='service')
    template.default_uom, = Uom.find([('name', '=', "Unit")])
    template.account_category = category
    template.save()
    service, = template.products
    return service


def setup_products(service):
    Product = model('reguarantee.product', 'manager')
    for product in Product.find([('code', 'in', list(SCHEDULES))]):
        if not product.invoice_product:
            product.invoice_product = model(
                'product.product', 'manager')(service.id)
            product.fee_schedule = SCHEDULES[product.code]
            product.save()


def setup_finance_users(company):
    "Let finance pay invoices; create the finance manager"
    User = model('res.user')
    Group = model('res.group')
    Company = model('company.company')
    finance, = User.find([('login', '=', 'finance')])
    group_account = ref('account', 'group_account')
    if group_account not in [g.id for g in finance.groups]:
        finance.groups.append(Group(group_account))
        finance.save()
    found = User.find([('login', '=', FINANCE_MANAGER['login'])])
    if found:
        return
    log("creating user %s" % FINANCE_MANAGER['login'])
    manager = User(
        login=FINANCE_MANAGER['login'], name=FINANCE_MANAGER['name'],
        password=FINANCE_MANAGER['password'], language=finance.language)
    manager.groups.append(Group(ref('account', 'group_account_admin')))
    manager.groups.append(Group(ref('reguarantee_base', 'group_finance')))
    manager.companies.append(Company(company.id))
    manager.company = Company(company.id)
    manager.save()


def setup_addresses():
    "Give the parties of the active institutions an invoice address"
    Institution = model('reguarantee.institution')
    Party = model('party.party')
    for institution in Institution.find([('party', '!=', None)]):
        party = Party(institution.party.id)
        if not party.addresses:
            party.addresses.new(street="安徽省合肥市 %s" % institution.name)
            party.save()


def setup_payment_method(company):
    PaymentMethod = model('account.invoice.payment.method')
    found = PaymentMethod.find([('name', '=', "银行存款")])
    if found:
        return found[0]
    Journal = model('account.journal')
    cash = account(company, '1.1.1')
    method = PaymentMethod(name="银行存款", company=company)
    method.journal, = Journal.find([('type', '=', 'cash')], limit=1)
    method.credit_account = method.debit_account = cash
    method.save()
    return method


def run_fees(period):
    run = wizard('reguarantee.fee.run', 'finance')
    run.form.period_start, run.form.period_end = period
    run.execute('run')
    log("fee run %s to %s: %s fees" % (*period, run.form.created))


def setup_special_fee():
    Fee = model('reguarantee.fee', 'business')
    if Fee.find([('description', '=', REVIEW_FEE)]):
        return
    Project = model('reguarantee.project', 'business')
    projects = Project.find([
            ('institution.code', '=', 'GI001'), ('state', '=', 'filed')],
        order=[('start_date', 'ASC')], limit=1)
    if not projects:
        return
    log("creating the special fee %s" % REVIEW_FEE)
    fee = Fee(project=projects[0], description=REVIEW_FEE)
    fee.period_start = fee.period_end = month_bounds(TODAY, 1)[1]
    fee.amount = Decimal('2000.00')
    fee.save()
    browse(fee, 'finance').click('approve')


def bill_month(period):
    "Create and confirm the bills of the period; return them"
    Bill = model('reguarantee.fee.bill', 'finance')
    bills = Bill.find([
            ('period_start', '=', period[0]),
            ('period_end', '=', period[1]),
            ('state', '!=', 'cancelled')])
    if not bills:
        create = wizard('reguarantee.fee.bill.create', 'finance')
        create.form.period_start, create.form.period_end = period
        create.execute('create_')
        bills = Bill.find([
                ('period_start', '=', period[0]),
                ('period_end', '=', period[1]),
                ('state', '=', 'draft')])
    drafts = [b for b in bills if b.state == 'draft']
    if drafts:
        log("confirming %s bills of %s" % (len(drafts), period[1]))
        Bill.click(drafts, 'confirm')
    return Bill.find([
            ('period_start', '=', period[0]),
            ('period_end', '=', period[1]),
            ('state', '=', 'confirmed')])


def pay(bill, payment_method):
    Invoice = model('account.invoice', 'finance')
    invoice = Invoice(bill.invoice.id)
    if invoice.state != 'posted':
        return
    log("paying invoice %s" % invoice.number)
    payment = invoice.click('pay')
    payment.form.payment_method = model(
        'account.invoice.payment.method', 'finance')(payment_method.id)
    payment.execute('choice')


def setup_invoice_request(bill):
    Request = model('reguarantee.invoice.request', 'operator')
    if Request.find([]):
        return
    log("creating the invoice request of bill %s" % bill.number)
    request = Request()
    request.institution = model(
        'reguarantee.institution', 'operator')(bill.institution.id)
    request.invoice_kind = 'special'
    request.address_phone = "安徽省合肥市蜀山区 0551-12345678"
    request.bank_account = "徽商银行合肥分行 1020 3040 5060 7080"
    request.bills.append(model('reguarantee.fee.bill', 'operator')(bill.id))
    request.save()
    request.click('request')
    browse(request, 'finance').click('approve')
    browse(request, FINANCE_MANAGER['login']).click('approve')


def setup_fees(company, demo_data):
    """Accounting, fee settings, fees, bills, invoices and an invoice request,
    through the connections of the demo_data module"""
    global demo
    demo = demo_data
    setup_chart(company)
    setup_fiscalyear(company)
    service = setup_fee_service(company)
    setup_products(service)
    setup_finance_users(company)
    setup_addresses()
    payment_method = setup_payment_method(company)
    older, last = month_bounds(TODAY, 2), month_bounds(TODAY, 1)
    run_fees(older)
    older_bills = bill_month(older)
    run_fees(last)
    setup_special_fee()
    last_bills = bill_month(last)
    for bill in older_bills:
        pay(bill, payment_method)
    if older_bills or last_bills:
        setup_invoice_request((older_bills or last_bills)[0])
