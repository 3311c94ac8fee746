# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo data of risk control (reguarantee_risk), loaded by demo_data.py

The re-guarantor's net assets, an institution quota used at about 90 %, an
industry concentration limit, the compensation-rate tiers, one defaulted
project whose compensation is paid and whose claim is being settled, two
projects of the past months, and the risk snapshots of the last month ends
and of today (the cockpit's graphs).  So that the month ends have a
history, what the demo files, releases and pays today is dated back to
when it would have happened: filed on the start date, released at the end,
the compensation paid a few weeks ago.  Idempotent like demo_data.py,
whose helpers it is given."""
import datetime
from decimal import Decimal

#: The re-guarantor's own net assets (yuan)
NET_ASSETS = Decimal('2000000000.00')
#: Above this book amount an administrator approves a disposal too
NPA_ADMIN_AMOUNT = Decimal('1000000.00')
#: Institution quotas (re-guarantee balance, yuan)
QUOTAS = {'GI001': Decimal('5000000.00')}
#: Industry concentration limits of products
INDUSTRY_LIMITS = {'PH-4222': Decimal('0.60')}
#: Tiers of the cumulative compensation rate: name, scope, action, from,
#: to, fee rate adjustment
TIERS = [
    ('关注类', 'institution', 'adjust', Decimal('0.015'), Decimal('0.03'),
        Decimal('0.001')),
    ('预警类', 'institution', 'warning', Decimal('0.03'), Decimal('0.05'),
        Decimal('0.002')),
    ('熔断类', 'institution', 'breaker', Decimal('0.05'), None,
        Decimal('0.005')),
    ]
#: The project that defaults: loan contract number, borrower serial, bank,
#: loan and guarantee amounts, start offset and term in days from today;
#: and the amount the institution paid the bank
DEFAULTED = ('HSB-RISK-0001', 503, 0, Decimal('500000'), Decimal('500000'),
    -120, 365)
PAID = Decimal('30000')
#: Days before today the institution defaulted and the compensation was paid
DEFAULT_DAYS_AGO, PAID_DAYS_AGO = 60, 50
#: Projects of the past months, released at their end: loan contract
#: number, borrower serial, bank, loan and guarantee amounts, start offset
#: and term in days from today
HISTORY = [
    ('HSB-HIST-0001', 502, 0, Decimal('2000000'), Decimal('1600000'),
        -320, 120),
    ('ABC-HIST-0002', 504, 1, Decimal('800000'), Decimal('800000'),
        -260, 150),
    ]
#: Past month ends with a snapshot, for the trends
MONTHS = 6


def setup_configuration(demo):
    configuration = demo.model('reguarantee.configuration', 'manager')(1)
    if configuration.net_assets is None:
        configuration.net_assets = NET_ASSETS
        configuration.npa_admin_amount = NPA_ADMIN_AMOUNT
        configuration.save()


def setup_limits(demo):
    Institution = demo.model('reguarantee.institution', 'manager')
    for code, amount in QUOTAS.items():
        institution, = Institution.find([('code', '=', code)])
        if institution.quota_amount is None:
            institution.quota_amount = amount
            institution.save()
    Product = demo.model('reguarantee.product', 'manager')
    for code, limit in INDUSTRY_LIMITS.items():
        product, = Product.find([('code', '=', code)])
        if product.industry_limit is None:
            product.industry_limit = limit
            product.save()


def setup_tiers(demo):
    Tier = demo.model('reguarantee.risk.tier', 'committee')
    for sequence, (name, scope, action, min_rate, max_rate, adjustment) in (
            enumerate(TIERS, 1)):
        if Tier.find([('name', '=', name)]):
            continue
        demo.log("creating risk tier %s" % name)
        Tier(
            name=name, sequence=sequence, scope=scope, action=action,
            min_rate=min_rate, max_rate=max_rate,
            fee_rate_adjustment=adjustment).save()


def setup_compensation(demo, institutions):
    """File the project that defaults, pay its compensation and submit the
    settlement of the claim"""
    Project = demo.model('reguarantee.project', 'business')
    number, serial, bank, loan, guarantee, start, term = DEFAULTED
    found = Project.find([('loan_contract_number', '=', number)])
    if found:
        project, = found
    else:
        demo.log("creating the defaulted project %s" % number)
        banks = demo.setup_banks()
        borrowers = demo.setup_borrowers()
        start_date = max(
            demo.TODAY + datetime.timedelta(days=start),
            datetime.date(demo.YEAR, 1, 1))
        project = Project(
            institution=demo.model('reguarantee.institution', 'business')(
                institutions['GI001'].id),
            borrower=demo.model('reguarantee.borrower', 'business')(
                borrowers[serial].id),
            bank=demo.model('party.party', 'business')(banks[bank].id),
            loan_contract_number=number, loan_amount=loan,
            guarantee_amount=guarantee, start_date=start_date,
            end_date=start_date + datetime.timedelta(days=term))
        project.save()
    project = demo.advance(
        demo.browse(project, 'admin'),
        [('submit', ['business']), ('file', ['business'])],
        {'submit': 'draft', 'file': 'submitted'})

    Compensation = demo.model('reguarantee.compensation', 'business')
    found = Compensation.find([('project', '=', project.id)])
    if found:
        compensation, = found
    else:
        compensation = Compensation(
            project=demo.model('reguarantee.project', 'business')(
                project.id),
            default_date=max(
                demo.TODAY - datetime.timedelta(days=DEFAULT_DAYS_AGO),
                project.start_date), principal=PAID, interest=Decimal(0),
            amount_paid_by_institution=PAID)
        compensation.save()
    compensation = demo.advance(
        demo.browse(compensation, 'admin'),
        [('submit', ['business']), ('approve', ['risk1']),
            ('pay', ['finance'])],
        {'submit': 'draft', 'approve': 'submitted', 'pay': 'approved'})

    Disposal = demo.model('reguarantee.npa.disposal', 'risk1')
    if not Disposal.find([('compensation', '=', compensation.id)]):
        disposal = Disposal(
            compensation=demo.model('reguarantee.compensation', 'risk1')(
                compensation.id),
            method='settlement', proceeds=(
                compensation.claim_amount / 2).quantize(Decimal('0.01')),
            description="借款人一次性清偿一半，其余豁免")
        disposal.save()
        demo.click(disposal, 'submit', 'risk1')


def setup_history(demo, institutions):
    "Create the projects of the past months, filed and released"
    Project = demo.model('reguarantee.project', 'business')
    banks = demo.setup_banks()
    borrowers = demo.setup_borrowers()
    for number, serial, bank, loan, guarantee, start, term in HISTORY:
        found = Project.find([('loan_contract_number', '=', number)])
        if found:
            project, = found
        else:
            demo.log("creating the past project %s" % number)
            start_date = max(
                demo.TODAY + datetime.timedelta(days=start),
                datetime.date(demo.YEAR, 1, 1))
            project = Project(
                institution=demo.model(
                    'reguarantee.institution', 'business')(
                    institutions['GI001'].id),
                borrower=demo.model('reguarantee.borrower', 'business')(
                    borrowers[serial].id),
                bank=demo.model('party.party', 'business')(banks[bank].id),
                loan_contract_number=number, loan_amount=loan,
                guarantee_amount=guarantee, start_date=start_date,
                end_date=min(
                    start_date + datetime.timedelta(days=term),
                    demo.TODAY))
            project.save()
        project = demo.advance(
            demo.browse(project, 'admin'),
            [('submit', ['business']), ('file', ['business', 'risk1'])],
            {'submit': 'draft', 'file': 'submitted'})
        if project.state == 'filed':
            demo.release_project(project)


def date_back(demo):
    """Date the filings, releases and payments the demo did today back to
    when they would have happened; return whether any was changed

    A demo shortcut, in SQL as root: no user may change these dates."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    today = demo.TODAY
    with Transaction().start(
            demo._OPTIONS['database'], 0) as transaction:
        pool = Pool()
        project = pool.get('reguarantee.project').__table__()
        compensation = pool.get('reguarantee.compensation').__table__()
        cursor = transaction.connection.cursor()
        changed = 0
        for query in [
                project.update(
                    [project.filing_date], [project.start_date],
                    where=(project.filing_date == today)
                    & (project.start_date < today)),
                project.update(
                    [project.release_date], [project.end_date],
                    where=(project.release_date == today)
                    & (project.end_date < today)),
                compensation.update(
                    [compensation.payment_date],
                    [today - datetime.timedelta(days=PAID_DAYS_AGO)],
                    where=(compensation.payment_date == today)
                    & (compensation.default_date
                        <= today - datetime.timedelta(
                            days=PAID_DAYS_AGO))),
                ]:
            cursor.execute(*query)
            changed += max(cursor.rowcount, 0)
    return bool(changed)


def month_ends(count, today):
    "Return the last day of each of the count months before today's"
    ends, day = [], today.replace(day=1)
    for _ in range(count):
        day -= datetime.timedelta(days=1)
        ends.append(day)
        day = day.replace(day=1)
    return sorted(ends)


def setup_snapshots(demo, again=False):
    """Compute the snapshots of the past month ends (again: even those
    computed already) and, by the cron, today's"""
    from proteus import Wizard
    Snapshot = demo.model('reguarantee.risk.snapshot', 'risk1')
    for date in month_ends(MONTHS, demo.TODAY):
        if again or not Snapshot.find([('date', '=', date)]):
            demo.log("computing the risk snapshots of %s" % date)
            compute = Wizard(
                'reguarantee.risk.snapshot.compute',
                config=demo.as_user('risk1'))
            compute.form.date = date
            compute.execute('compute')
    Cron = demo.model('ir.cron')
    cron, = Cron.find([
            ('method', '=', 'reguarantee.risk.snapshot|compute_today')])
    cron.click('run_once')


def setup_risk(demo, institutions):
    "Load the risk demo data with the helpers of the demo_data module"
    setup_configuration(demo)
    setup_limits(demo)
    setup_tiers(demo)
    setup_compensation(demo, institutions)
    setup_history(demo, institutions)
    setup_snapshots(demo, again=date_back(demo))
