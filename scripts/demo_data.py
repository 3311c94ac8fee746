#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Load the demo data of the re-guarantee system into a Tryton database.

The database must exist with the reguarantee modules activated (see
scripts/demo.sh).  The script is idempotent: what already exists is found
again by its code, login or name and reused, never duplicated; records that
are not yet in their demo state are moved on through their workflow.

Every state change goes through the real buttons pressed by the user of the
right role (through proteus, with access checks on), so that button groups,
button rules (two distinct risk officers approve an institution), record
rules and the approval history apply exactly as they do in the web client.

    python scripts/demo_data.py -c trytond.conf -d demo
    python scripts/demo_data.py -c trytond.conf -d test --base-only \\
        --language en --summary users.json

The functions are reused by the browser tests (tests/browser/conftest.py).
"""
import argparse
import datetime
import json
import os
import sys
from decimal import Decimal

#: The re-guarantor itself (fictional)
COMPANY_NAME = '示范省融资再担保有限公司'
COMPANY_TIMEZONE = 'Asia/Shanghai'
CURRENCY = {
    'code': 'CNY',
    'name': 'Chinese Yuan Renminbi',
    'symbol': '¥',
    'numeric_code': '156',
    }
#: Net assets a guarantee institution must reach to be onboarded
MIN_NET_ASSETS = Decimal('50000000.00')
ADMIN_EMAIL = 'admin@example.com'

#: The staff users, one per role.  The passwords pass trytond's password
#: rules: at least 8 bytes ([password] length, default 8; these have 13+),
#: different from the login, the name and the e-mail.
USERS = [
    {
        'login': 'business',
        'name': '王芳（业务部）',
        'password': 'Demo-business-2025',
        'groups': ['group_business'],
        'role': "Re-guarantee Business",
        },
    {
        'login': 'risk1',
        'name': '李强（风险管理部）',
        'password': 'Demo-risk1-2025',
        'groups': ['group_risk'],
        'role': "Re-guarantee Risk",
        },
    {
        'login': 'risk2',
        'name': '赵敏（风险管理部）',
        'password': 'Demo-risk2-2025',
        'groups': ['group_risk'],
        'role': "Re-guarantee Risk",
        },
    {
        'login': 'committee',
        'name': '陈建国（风险管理委员会）',
        'password': 'Demo-committee-2025',
        'groups': ['group_risk_committee'],
        'role': "Re-guarantee Risk Committee",
        },
    {
        'login': 'finance',
        'name': '刘洋（计划财务部）',
        'password': 'Demo-finance-2025',
        'groups': ['group_finance'],
        'role': "Re-guarantee Finance",
        },
    {
        'login': 'finmanager',
        'name': '吴静（财务负责人）',
        'password': 'Demo-finmanager-2025',
        # demo_fees.py adds Tryton's Accounting Administration group
        'groups': ['group_finance'],
        'role': "Re-guarantee Finance, finance manager",
        },
    {
        'login': 'manager',
        'name': '孙丽（系统管理员）',
        'password': 'Demo-manager-2025',
        'groups': ['group_admin'],
        'role': "Re-guarantee Administrator",
        },
    {
        'login': 'operator',
        'name': '周杰（合肥瑞丰担保经办）',
        'password': 'Demo-operator-2025',
        'groups': ['group_institution_operator'],
        'role': "Re-guarantee Institution Operator (GI001)",
        'institution': 'GI001',
        },
    ]

TODAY = datetime.date.today()
YEAR = TODAY.year

#: Guarantee institutions: code → values and the state to reach.
#: registered_capital / net_assets in yuan.
INSTITUTIONS = [
    {
        'code': 'GI001', 'name': '合肥瑞丰融资担保有限公司',
        'region': '340100', 'small_micro_agriculture': True,
        'registered_capital': Decimal('500000000.00'),
        'net_assets': Decimal('623450000.00'),
        'state': 'active',
        },
    {
        'code': 'GI002', 'name': '芜湖惠信融资担保有限公司',
        'region': '340200', 'small_micro_agriculture': False,
        'registered_capital': Decimal('300000000.00'),
        'net_assets': Decimal('341200000.00'),
        'state': 'active',
        },
    {
        'code': 'GI003', 'name': '蚌埠鑫科融资担保有限公司',
        'region': '340300', 'small_micro_agriculture': True,
        'registered_capital': Decimal('200000000.00'),
        'net_assets': Decimal('218760000.00'),
        'state': 'active',
        },
    {
        'code': 'GI004', 'name': '安庆皖禾农业融资担保有限公司',
        'region': '340800', 'small_micro_agriculture': True,
        'registered_capital': Decimal('150000000.00'),
        'net_assets': Decimal('96300000.00'),
        'state': 'suspended',
        },
    {
        'code': 'GI005', 'name': '黄山徽旅融资担保有限公司',
        'region': '341000', 'small_micro_agriculture': False,
        'registered_capital': Decimal('120000000.00'),
        'net_assets': Decimal('131500000.00'),
        'state': 'submitted',
        },
    {
        'code': 'GI006', 'name': '阜阳普泽融资担保有限公司',
        'region': '341200', 'small_micro_agriculture': True,
        'registered_capital': Decimal('100000000.00'),
        'net_assets': Decimal('104800000.00'),
        'state': 'draft',
        'documents': False,
        },
    {
        'code': 'GI007', 'name': '宿州利民融资担保有限公司',
        'region': '341300', 'small_micro_agriculture': False,
        'registered_capital': Decimal('80000000.00'),
        'net_assets': Decimal('61200000.00'),
        'state': 'rejected',
        },
    {
        'code': 'GI008', 'name': '六安绿源融资担保有限公司',
        'region': '341500', 'small_micro_agriculture': True,
        'registered_capital': Decimal('100000000.00'),
        'net_assets': Decimal('87900000.00'),
        'state': 'deregistered',
        },
    ]

#: The documents attached to an institution before it is submitted
DOCUMENTS = [
    ('营业执照.pdf', "Business licence"),
    ('融资担保业务经营许可证.pdf', "Financing guarantee business licence"),
    ]

PRODUCTS = [
    {
        'code': 'PH-4222',
        'name': "Inclusive small-micro batch re-guarantee (4222)",
        'name_zh': '普惠小微批量再担保（4222）',
        'guarantee_type': 'financing', 'mode': 'batch',
        'fee_rate': Decimal('0.0050'), 'fee_basis': 'reguaranteed',
        'day_count': 'act365',
        'share_institution': Decimal('0.40'),
        'share_reguarantor': Decimal('0.20'),
        'share_fund': Decimal('0.20'),
        'share_bank': Decimal('0.20'),
        'share_government': Decimal('0.00'),
        'max_loan_amount': Decimal('10000000.00'), 'max_term_months': 36,
        'borrower_kinds': ['enterprise', 'individual_business', 'farmer'],
        'industries': ['A', 'C', 'E', 'F', 'G', 'H', 'I', 'M'],
        'quota_amount': Decimal('5000000000.00'),
        'start_years_ago': 3,
        },
    {
        'code': 'DB-4321',
        'name': "Project re-guarantee, Anhui model (4321)",
        'name_zh': '单笔再担保（4321 安徽模式）',
        'guarantee_type': 'financing', 'mode': 'individual',
        'fee_rate': Decimal('0.0080'), 'fee_basis': 'guarantee',
        'day_count': 'act360',
        'share_institution': Decimal('0.40'),
        'share_reguarantor': Decimal('0.30'),
        'share_fund': Decimal('0.00'),
        'share_bank': Decimal('0.20'),
        'share_government': Decimal('0.10'),
        'max_loan_amount': Decimal('50000000.00'), 'max_term_months': 60,
        'borrower_kinds': ['enterprise', 'individual_business'],
        'industries': ['C', 'D', 'F', 'G', 'I', 'L', 'M'],
        'quota_amount': Decimal('3000000000.00'),
        'start_years_ago': 3,
        },
    {
        'code': 'NZ-5050',
        'name': "Non-financing guarantee re-guarantee",
        'name_zh': '非融资担保再担保（履约、投标保函）',
        'guarantee_type': 'non_financing', 'mode': 'individual',
        'fee_rate': Decimal('0.0030'), 'fee_basis': 'guarantee',
        'day_count': 'act365',
        'share_institution': Decimal('0.50'),
        'share_reguarantor': Decimal('0.50'),
        'share_fund': Decimal('0.00'),
        'share_bank': Decimal('0.00'),
        'share_government': Decimal('0.00'),
        'max_loan_amount': Decimal('20000000.00'), 'max_term_months': 24,
        'borrower_kinds': ['enterprise'],
        'industries': ['E', 'F'],
        'quota_amount': Decimal('1000000000.00'),
        'start_years_ago': 1,
        },
    ]

#: Contracts, found again by institution and quota (unique in the demo)
CONTRACTS = [
    {
        'institution': 'GI001', 'products': ['PH-4222', 'DB-4321'],
        'quota_amount': Decimal('800000000.00'),
        'start_date': datetime.date(YEAR, 1, 1),
        'end_date': datetime.date(YEAR + 2, 12, 31),
        'state': 'signed',
        },
    {
        'institution': 'GI001', 'products': ['PH-4222'],
        'quota_amount': Decimal('600000000.00'),
        'start_date': datetime.date(YEAR - 2, 1, 1),
        'end_date': datetime.date(YEAR - 1, 12, 31),
        'state': 'expired',
        },
    {
        'institution': 'GI002', 'products': ['PH-4222'],
        'quota_amount': Decimal('400000000.00'),
        'start_date': datetime.date(YEAR, 1, 1),
        'end_date': datetime.date(YEAR + 1, 12, 31),
        'state': 'invalidated',
        'reason': '机构发生重大风险事件，经风险管理委员会审议终止合作。',
        },
    {
        'institution': 'GI002', 'products': ['DB-4321', 'NZ-5050'],
        'quota_amount': Decimal('300000000.00'),
        'start_date': datetime.date(YEAR, 7, 1),
        'end_date': datetime.date(YEAR + 2, 6, 30),
        'state': 'approving',
        },
    {
        'institution': 'GI003', 'products': ['PH-4222'],
        'quota_amount': Decimal('250000000.00'),
        'start_date': datetime.date(YEAR, 3, 1),
        'end_date': datetime.date(YEAR + 2, 2, 28),
        'state': 'signed',
        },
    {
        'institution': 'GI005', 'products': ['DB-4321'],
        'quota_amount': Decimal('150000000.00'),
        'start_date': datetime.date(YEAR + 1, 1, 1),
        'end_date': datetime.date(YEAR + 2, 12, 31),
        'state': 'draft',
        },
    ]

#: Change requests, found again by institution and reason
CHANGES = [
    {
        'institution': 'GI002', 'by': 'business',
        'reason': '年度审计后更新净资产。',
        'values': {'net_assets': Decimal('356800000.00')},
        'state': 'approved',
        },
    {
        'institution': 'GI001', 'by': 'operator',
        'reason': '经营许可证换发，更新证号和有效期。',
        'values': {
            'license_number': 'X340100000123',
            'license_expiry': datetime.date(YEAR + 5, 6, 30),
            },
        'state': 'submitted',
        },
    ]

#: Banks lending to the borrowers (parties)
BANKS = ['徽商银行合肥分行', '中国农业银行合肥分行']
#: Above this guarantee amount a risk user files the project too
FILE_APPROVAL_AMOUNT = Decimal('5000000.00')

#: Borrowers: name, kind, identity serial, industry, region
BORROWERS = [
    ('合肥禾丰农业科技有限公司', 'enterprise', 501, 'A0111', '340100'),
    ('合肥精工机械制造有限公司', 'enterprise', 502, 'C3421', '340100'),
    ('蚌埠新材料科技有限公司', 'enterprise', 503, 'C2929', '340300'),
    ('肥西县李记餐饮店', 'individual_business', 504, 'H6210', '340100'),
    ]

#: Projects, found again by loan contract number: institution, borrower
#: serial, bank, loan and guarantee amounts, start offset and term in days
#: from today, state to reach
PROJECTS = [
    ('GI001', 'HSB-DEMO-0001', 501, 0, Decimal('3000000'),
        Decimal('2400000'), -60, 365, 'filed'),
    ('GI001', 'HSB-DEMO-0002', 502, 0, Decimal('9000000'),
        Decimal('8000000'), -30, 720, 'filed'),
    ('GI001', 'ABC-DEMO-0003', 504, 1, Decimal('500000'),
        Decimal('500000'), -300, 320, 'filed'),
    ('GI001', 'ABC-DEMO-0004', 501, 1, Decimal('1000000'),
        Decimal('800000'), -200, 150, 'released'),
    ('GI001', 'HSB-DEMO-0005', 503, 0, Decimal('6000000'),
        Decimal('4800000'), -10, 1000, 'submitted'),
    ('GI001', 'HSB-DEMO-0006', 502, 0, Decimal('2000000'),
        Decimal('1600000'), 0, 365, 'draft'),
    ]
PROJECT_PATHS = {
    'draft': [],
    'submitted': [('submit', ['operator'])],
    'filed': [('submit', ['business']), ('file', ['business', 'risk1'])],
    'released': [('submit', ['business']), ('file', ['business', 'risk1'])],
    }

_CONFIGS = {}
_OPTIONS = {}


def log(message):
    print(f'[demo_data] {message}', file=sys.stderr, flush=True)


# --- identity numbers ------------------------------------------------------
def organization_code(body):
    "Return the 9-character organization code (GB 11714) of an 8-digit body"
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c, 36) * w for c, w in zip(body, weights))
    check = 11 - total % 11
    return body + {10: 'X', 11: '0'}.get(check, str(check))


def make_uscc(region, number):
    """Return a valid USCC of an enterprise ("91") registered in region
    (GB/T 2260 code) with a deterministic organization code from number"""
    body = f'{(number * 7919 + 31415926) % 10 ** 8:08d}'
    # imported here: importing trytond fixes its backend from the
    # configuration, which the callers set up first
    from trytond.modules.reguarantee_base.identity import uscc_check_character
    code = '91' + region + organization_code(body)
    return code + uscc_check_character(code)


def demo_pdf(title):
    "Return a small valid one-page PDF showing title (ASCII)"
    text = title.replace('\\', '\\\\').replace('(', '\\(').replace(')', '\\)')
    stream = f'BT /F1 18 Tf 72 720 Td ({text}) Tj ET'.encode('ascii')
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
        b'/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        b'<< /Length %d >>\nstream\n' % len(stream) + stream
        + b'\nendstream',
        ]
    out = bytearray(b'%PDF-1.4\n')
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b'%d 0 obj\n' % i + obj + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for offset in offsets:
        out += b'%010d 00000 n \n' % offset
    out += (b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n'
        % (len(objects) + 1, xref))
    return bytes(out)


# --- proteus connections ---------------------------------------------------
def connect(database, config_file=None):
    "Connect proteus to database as admin and remember how to connect"
    from proteus import config as pconfig
    _OPTIONS.update(database=database, config_file=config_file)
    _CONFIGS.clear()
    cfg = pconfig.set_trytond(
        database=database, user='admin', config_file=config_file)
    _CONFIGS['admin'] = cfg
    return cfg


def as_user(login):
    "Return the proteus configuration of login (access checks on)"
    from proteus.config import TrytondConfig
    if login not in _CONFIGS:
        _CONFIGS[login] = TrytondConfig(
            _OPTIONS['database'], login,
            config_file=_OPTIONS['config_file'])
        rebind_models()
    return _CONFIGS[login]


def rebind_models():
    """Give the proteus models made so far the pool's current classes

    TrytondConfig() initialises the pool again, which builds new classes: the
    proxies of earlier models would call the old ones, whose records fail the
    new classes' Many2One checks."""
    import proteus
    for models in vars(proteus._MODELS).values():
        for name, Model in models.items():
            Model._proxy = Model._config.get_proxy(name)


def refresh_users():
    "Forget the connections of users so that preferences are reloaded"
    for login in list(_CONFIGS):
        if login != 'admin':
            del _CONFIGS[login]


def model(name, login='admin'):
    from proteus import Model
    return Model.get(name, config=as_user(login))


def browse(record, login):
    "Return record loaded again as login"
    return model(record.__class__.__name__, login)(record.id)


def ref(module, fs_id):
    "Return the id of the XML record module.fs_id"
    ModelData = model('ir.model.data')
    return ModelData.get_id(module, fs_id, {})


# --- base: languages, company, configuration, users ------------------------
def setup_languages(codes=('zh_CN',)):
    "Make the languages translatable (and load their translations)"
    Lang = model('ir.lang')
    langs = Lang.find([
            ('code', 'in', list(codes)),
            ('translatable', '=', False),
            ])
    if langs:
        log("loading translations: %s" % ', '.join(l.code for l in langs))
        Lang.click(langs, 'load_translations')


def setup_config_wizard():
    "Mark the module configuration wizard as done (no pop-up for admin)"
    Item = model('ir.module.config_wizard.item')
    items = Item.find([('state', '!=', 'done')])
    for item in items:
        item.state = 'done'
    Item.save(items)


def get_currency():
    Currency = model('currency.currency')
    Rate = model('currency.currency.rate')
    currencies = Currency.find([('code', '=', CURRENCY['code'])])
    if currencies:
        currency, = currencies
    else:
        log("creating currency %s" % CURRENCY['code'])
        currency = Currency(
            name=CURRENCY['name'], code=CURRENCY['code'],
            symbol=CURRENCY['symbol'], numeric_code=CURRENCY['numeric_code'],
            rounding=Decimal('0.01'), digits=2)
        currency.save()
    if not currency.rates:
        Rate(date=datetime.date(2000, 1, 1), rate=Decimal(1),
            currency=currency).save()
    return currency


def setup_company():
    "Return the demo company (in CNY), created when missing"
    from proteus import Wizard
    Company = model('company.company')
    Party = model('party.party')
    User = model('res.user')
    companies = Company.find([('party.name', '=', COMPANY_NAME)])
    if companies:
        company, = companies
    else:
        log("creating company %s" % COMPANY_NAME)
        currency = get_currency()
        parties = Party.find([('name', '=', COMPANY_NAME)])
        party = parties[0] if parties else Party(name=COMPANY_NAME)
        party.save()
        wizard = Wizard('company.company.config', config=as_user('admin'))
        wizard.execute('company')
        wizard.form.party = party
        wizard.form.currency = currency
        if hasattr(wizard.form, 'timezone'):
            wizard.form.timezone = COMPANY_TIMEZONE
        wizard.execute('add')
        company, = Company.find([('party', '=', party.id)])
    admin, = User.find([('login', '=', 'admin')])
    if admin.company != company or company not in admin.companies:
        if company not in admin.companies:
            admin.companies.append(Company(company.id))
        admin.company = Company(company.id)
        admin.save()
    if not admin.email:
        admin.email = ADMIN_EMAIL
        admin.save()
    # The preferences of admin (company, currency) changed
    as_user('admin')._context = User.get_preferences(True, {})
    return company


def setup_configuration(company, min_net_assets=MIN_NET_ASSETS):
    Configuration = model('reguarantee.configuration')
    configuration = Configuration(1)
    if configuration.institution_min_net_assets != min_net_assets:
        configuration.institution_min_net_assets = min_net_assets
        configuration.save()


def setup_users(company, language='zh_CN', users=USERS):
    "Create or update the staff users; return {login: user}"
    User = model('res.user')
    Group = model('res.group')
    Lang = model('ir.lang')
    Company = model('company.company')
    lang, = Lang.find([('code', '=', language)])
    result = {}
    for values in users:
        found = User.find([
                ('login', '=', values['login']),
                ('active', 'in', [True, False]),
                ])
        if found:
            user, = found
        else:
            log("creating user %s" % values['login'])
            user = User(login=values['login'])
        user.name = values['name']
        user.active = True
        user.language = lang
        group_ids = {ref('reguarantee_base', g) for g in values['groups']}
        current = {g.id for g in user.groups}
        for group_id in sorted(group_ids - current):
            user.groups.append(Group(group_id))
        if company.id not in [c.id for c in user.companies]:
            user.companies.append(Company(company.id))
        user.company = Company(company.id)
        # Always set the password: the printed one must work, even if it
        # was changed since the last run (hashing 7 passwords is cheap).
        user.password = values['password']
        user.save()
        result[values['login']] = user
    refresh_users()
    return result


def menu_names(login, fs_ids=('menu_reguarantee', 'menu_institution')):
    "Return the names of the menus of reguarantee_base as login sees them"
    Menu = model('ir.ui.menu', login)
    return {
        fs_id: Menu(ref('reguarantee_base', fs_id)).name for fs_id in fs_ids}


def setup_base(database, config_file=None, language='zh_CN', users=USERS,
        min_net_assets=MIN_NET_ASSETS):
    "Languages, company, configuration and users; return the company"
    connect(database, config_file)
    setup_languages(['zh_CN'] if language == 'en' else [language, 'zh_CN'])
    setup_config_wizard()
    company = setup_company()
    setup_configuration(company, min_net_assets)
    setup_users(company, language=language, users=users)
    return company


# --- demo records ----------------------------------------------------------
def attach_documents(institution, login='business'):
    "Attach the onboarding documents to institution (when missing)"
    Attachment = model('ir.attachment', login)
    resource = f'reguarantee.institution,{institution.id}'
    existing = {a.name for a in Attachment.find([
                ('resource', '=', resource)])}
    for name, title in DOCUMENTS:
        if name in existing:
            continue
        attachment = Attachment(
            name=name, resource=browse(institution, login), type='data',
            data=demo_pdf(f'{institution.code} - {title} (demo)'))
        attachment.save()


#: Workflow of an institution: state → (button, users) leading on to the
#: next state on the way to each target state
INSTITUTION_PATHS = {
    'draft': [],
    'submitted': [('submit', ['business'])],
    'active': [
        ('submit', ['business']), ('approve', ['risk1', 'risk2'])],
    'suspended': [
        ('submit', ['business']), ('approve', ['risk1', 'risk2']),
        ('suspend', ['risk1'])],
    'rejected': [('submit', ['business']), ('reject', ['risk2'])],
    'deregistered': [
        ('submit', ['business']), ('approve', ['risk1', 'risk2']),
        ('deregister', ['manager'])],
    }
INSTITUTION_BUTTON_FROM = {
    'submit': 'draft',
    'approve': 'submitted',
    'reject': 'submitted',
    'suspend': 'active',
    'deregister': 'active',
    }


def click(record, button, login):
    "Press button on record as login; return record reloaded as admin"
    browse(record, login).click(button)
    return browse(record, 'admin')


def advance(record, path, button_from):
    "Press the buttons of path that apply from the record's current state"
    for button, logins in path:
        if record.state != button_from[button]:
            continue
        for login in logins:
            record = click(record, button, login)
            if record.state != button_from[button]:
                break
    return record


def setup_institutions(company, institutions=INSTITUTIONS):
    Institution = model('reguarantee.institution', 'business')
    result = {}
    for number, values in enumerate(institutions, 1):
        found = Institution.find([('code', '=', values['code'])])
        if found:
            institution, = found
        else:
            log("creating institution %s %s" % (
                    values['code'], values['name']))
            institution = Institution(
                code=values['code'], name=values['name'],
                uscc=make_uscc(values['region'], number),
                license_number=f"X{values['region']}{number:07d}",
                license_expiry=datetime.date(YEAR + 3, 12, 31),
                registered_capital=values['registered_capital'],
                net_assets=values['net_assets'],
                region=values['region'],
                small_micro_agriculture=values['small_micro_agriculture'])
            institution.save()
        if values.get('documents', True) and institution.state == 'draft':
            attach_documents(institution)
        target = values['state']
        if institution.state != target:
            log("institution %s: %s → %s" % (
                    values['code'], institution.state, target))
        institution = advance(
            browse(institution, 'admin'), INSTITUTION_PATHS[target],
            INSTITUTION_BUTTON_FROM)
        if institution.state != target:
            raise RuntimeError(
                f"institution {values['code']} is {institution.state}, "
                f"expected {target}")
        result[values['code']] = institution
    return result


def setup_institution_users(institutions, users=USERS):
    "Give the institution operators their institution"
    Institution = model('reguarantee.institution', 'business')
    User = model('res.user', 'business')
    for values in users:
        code = values.get('institution')
        if not code:
            continue
        institution = Institution(institutions[code].id)
        user, = model('res.user').find([('login', '=', values['login'])])
        if user.id not in [u.id for u in institution.users]:
            institution.users.append(User(user.id))
            institution.save()


def setup_products(company, products=PRODUCTS):
    cfg = as_user('business')
    result = {}
    for values in products:
        values = values.copy()
        name_zh = values.pop('name_zh')
        years = values.pop('start_years_ago')
        with cfg.set_context(language='en'):
            Product = model('reguarantee.product', 'business')
            found = Product.find([('code', '=', values['code'])])
            if found:
                product, = found
            else:
                log("creating product %s" % values['code'])
                product = Product(
                    start_date=datetime.date(YEAR - years, 1, 1), **values)
                product.save()
        with cfg.set_context(language='zh_CN'):
            Product = model('reguarantee.product', 'business')
            product_zh = Product(product.id)
            if product_zh.name != name_zh:
                product_zh.name = name_zh
                product_zh.save()
        result[values['code']] = product
    return result


CONTRACT_PATHS = {
    'draft': [],
    'approving': [('request_approval', ['business'])],
    'signed': [('request_approval', ['business']), ('sign', ['risk1'])],
    'expired': [('request_approval', ['business']), ('sign', ['risk1'])],
    'invalidated': [
        ('request_approval', ['business']), ('sign', ['risk1'])],
    }
CONTRACT_BUTTON_FROM = {
    'request_approval': 'draft',
    'sign': 'approving',
    }


def invalidate_contract(contract, reason, login='risk1'):
    "Invalidate a signed contract through its wizard"
    wizard = browse(contract, login).click('invalidate')
    wizard.form.reason = reason
    wizard.form.date = TODAY
    wizard.execute('invalidate')
    return browse(contract, 'admin')


def expire_contracts():
    "Run the contract expiry of the scheduler once, as admin"
    Cron = model('ir.cron')
    crons = Cron.find([
            ('method', '=', 'reguarantee.contract|expire_contracts'),
            ('active', 'in', [True, False]),
            ])
    if crons:
        Cron.click(crons, 'run_once')


def setup_contracts(company, institutions, products, contracts=CONTRACTS):
    Contract = model('reguarantee.contract', 'business')
    Product = model('reguarantee.product', 'business')
    result = []
    for values in contracts:
        institution = institutions[values['institution']]
        found = Contract.find([
                ('institution', '=', institution.id),
                ('quota_amount', '=', values['quota_amount']),
                ])
        if found:
            contract = found[0]
        else:
            log("creating contract for %s, quota %s" % (
                    values['institution'], values['quota_amount']))
            contract = Contract(
                institution=model(
                    'reguarantee.institution', 'business')(institution.id),
                quota_amount=values['quota_amount'],
                start_date=values['start_date'],
                end_date=values['end_date'])
            for code in values['products']:
                contract.products.append(Product(products[code].id))
            contract.save()
        target = values['state']
        contract = advance(
            browse(contract, 'admin'), CONTRACT_PATHS[target],
            CONTRACT_BUTTON_FROM)
        if target == 'invalidated' and contract.state == 'signed':
            contract = invalidate_contract(contract, values['reason'])
        if target == 'expired' and contract.state == 'signed':
            expire_contracts()
            contract = browse(contract, 'admin')
        if contract.state != target:
            raise RuntimeError(
                f"contract {contract.number} is {contract.state}, "
                f"expected {target}")
        result.append(contract)
    return result


CHANGE_PATHS = {
    'draft': [],
    'submitted': [('submit', None)],
    'approved': [('submit', None), ('approve', ['risk1'])],
    'rejected': [('submit', None), ('reject', ['risk1'])],
    }


def setup_changes(institutions, changes=CHANGES):
    result = []
    for values in changes:
        login = values['by']
        Change = model('reguarantee.institution.change', login)
        institution = institutions[values['institution']]
        found = Change.find([
                ('institution', '=', institution.id),
                ('reason', '=', values['reason']),
                ])
        if found:
            change = found[0]
        else:
            log("creating change request for %s" % values['institution'])
            change = Change(
                institution=model(
                    'reguarantee.institution', login)(institution.id),
                reason=values['reason'], **values['values'])
            change.save()
        path = [(b, users or [login])
            for b, users in CHANGE_PATHS[values['state']]]
        change = advance(browse(change, 'admin'), path, {
                'submit': 'draft', 'approve': 'submitted',
                'reject': 'submitted'})
        if change.state != values['state']:
            raise RuntimeError(
                f"change request of {values['institution']} is "
                f"{change.state}, expected {values['state']}")
        result.append(change)
    return result


def setup_banks(banks=BANKS):
    # as business: admin's proxies predate the other users' connections,
    # which reinitialise the pool
    Party = model('party.party', 'business')
    result = []
    for name in banks:
        found = Party.find([('name', '=', name)])
        if found:
            party = found[0]
        else:
            party = Party(name=name)
            party.save()
        result.append(party)
    return result


def setup_borrowers(borrowers=BORROWERS):
    Borrower = model('reguarantee.borrower', 'business')
    result = {}
    for name, kind, serial, industry, region in borrowers:
        id_number = make_uscc(region, serial)
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


def release_project(project, login='business'):
    "Release a filed project through its wizard"
    wizard = browse(project, login).click('release')
    wizard.form.type = 'normal'
    wizard.execute('release')
    return browse(project, 'admin')


def setup_projects(institutions, projects=PROJECTS):
    configuration = model('reguarantee.configuration')(1)
    if configuration.project_file_approval_amount is None:
        configuration.project_file_approval_amount = FILE_APPROVAL_AMOUNT
        configuration.save()
    banks = setup_banks()
    borrowers = setup_borrowers()
    Project = model('reguarantee.project', 'business')
    result = []
    for (code, loan_number, serial, bank, loan_amount, guarantee_amount,
            start, term, target) in projects:
        found = Project.find([('loan_contract_number', '=', loan_number)])
        if found:
            project = found[0]
        else:
            log("creating project %s for %s" % (loan_number, code))
            # within the institution's signed contract whatever today is
            contract_start = min(
                c['start_date'] for c in CONTRACTS
                if c['institution'] == code and c['state'] == 'signed')
            start_date = max(
                TODAY + datetime.timedelta(days=start), contract_start)
            project = Project(
                institution=model('reguarantee.institution', 'business')(
                    institutions[code].id),
                borrower=model('reguarantee.borrower', 'business')(
                    borrowers[serial].id),
                bank=model('party.party', 'business')(banks[bank].id),
                loan_contract_number=loan_number,
                loan_amount=loan_amount, guarantee_amount=guarantee_amount,
                start_date=start_date,
                end_date=start_date + datetime.timedelta(days=term))
            project.save()
        project = advance(
            browse(project, 'admin'), PROJECT_PATHS[target],
            {'submit': 'draft', 'file': 'submitted'})
        if target == 'released' and project.state == 'filed':
            project = release_project(project)
        if project.state != target:
            raise RuntimeError(
                f"project {loan_number} is {project.state}, "
                f"expected {target}")
        result.append(project)
    return result


def setup_demo(company):
    "The demo records: institutions, products, contracts, change requests"
    institutions = setup_institutions(company)
    setup_institution_users(institutions)
    products = setup_products(company)
    setup_contracts(company, institutions, products)
    setup_changes(institutions)
    setup_projects(institutions)
    from demo_fees import setup_fees
    setup_fees(company, sys.modules[__name__])
    import demo_risk
    demo_risk.setup_risk(sys.modules[__name__], institutions)
    from demo_filing import setup_filing
    setup_filing(sys.modules[__name__])
    from demo_credit import setup_credit
    setup_credit(sys.modules[__name__])
    __import__('demo_review').setup_review(sys.modules[__name__])
    __import__('demo_credit').setup_review_report(sys.modules[__name__])
    __import__('demo_monitoring').setup_monitoring(sys.modules[__name__])
    __import__('demo_direct').setup_direct(sys.modules[__name__])
    __import__('demo_direct_monitoring').setup_direct_monitoring(
        sys.modules[__name__])
    __import__('demo_credit').setup_bureau(sys.modules[__name__])
    from demo_integration import setup_integration
    setup_integration(as_user)


def summary(users=USERS, language=None):
    result = {
        'users': [{
                'login': u['login'],
                'password': u['password'],
                'name': u['name'],
                'role': u['role'],
                } for u in users],
        }
    result['menus'] = {u['login']: menu_names(u['login']) for u in users}
    return result


def print_users(users=USERS, file=sys.stdout):
    for u in users:
        print(f"  {u['login']:<10} {u['password']:<20} {u['role']}",
            file=file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '-c', '--config', dest='config_file', nargs='+',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="trytond configuration files, later ones win "
        "(default: $TRYTOND_CONFIG)")
    parser.add_argument(
        '-d', '--database', required=True, help="the database name")
    parser.add_argument(
        '--language', default='zh_CN',
        help="language of the staff users (default zh_CN)")
    parser.add_argument(
        '--base-only', action='store_true',
        help="only languages, company, configuration and users")
    parser.add_argument(
        '--summary', metavar='FILE',
        help="write the users, passwords and menu names as JSON to FILE")
    parser.add_argument(
        '--print-users', action='store_true',
        help="print the logins, passwords and roles at the end")
    options = parser.parse_args(argv)

    company = setup_base(
        options.database, options.config_file, language=options.language)
    if not options.base_only:
        setup_demo(company)
    if options.summary:
        with open(options.summary, 'w', encoding='utf-8') as file:
            json.dump(summary(), file, ensure_ascii=False, indent=2)
    if options.print_users:
        print_users()
    log("done")


if __name__ == '__main__':
    main()
