# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""A commercial business-information provider (docs/interfaces/credit.md)

It answers a report on an enterprise (registration, legal representative,
capital, shareholders, changes, abnormal operations, lawsuits, enforcement
records) for its unified social credit code, charging each report once per
Idempotency-Key and at most daily_quota reports a day.  The data of a code
is made up from the code (the same code gives the same company) unless the
tests or the demo set it in the option `profiles`."""
import datetime as dt
import hashlib
import itertools
import random
import re
from decimal import Decimal

from werkzeug.routing import Rule

from simulators.app import APIError, SimulatorApp, json_response, read_json

USCC_RE = re.compile(
    r'^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$')
SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'
GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚'
TRADES = ['科技', '农业', '商贸', '机械', '食品', '建材', '物流', '纺织']
COURTS = ['合肥市中级人民法院', '芜湖市鸠江区人民法院', '蚌埠市蚌山区人民法院']
ABNORMAL_REASONS = [
    '未按规定期限公示年度报告', '通过登记的住所或者经营场所无法联系']
LAWSUIT_CAUSES = ['买卖合同纠纷', '金融借款合同纠纷', '劳动争议', '租赁合同纠纷']


def _person(rng):
    return rng.choice(SURNAMES) + ''.join(
        rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def make_company(id_number, seed=0):
    """Return the provider's data of the code: the same for the same code
    and seed"""
    digest = hashlib.sha256(f'{seed}:{id_number}'.encode()).hexdigest()
    rng = random.Random(int(digest[:16], 16))
    today = dt.date.today()
    registered = today - dt.timedelta(days=rng.randint(400, 7000))
    legal = _person(rng)
    capital = Decimal(rng.choice([1, 2, 3, 5, 10, 20, 50])) * 1000000
    holders = [legal] + [_person(rng) for _ in range(rng.randint(0, 2))]
    shares = [Decimal(60), Decimal(30), Decimal(10)][:len(holders)]
    if len(holders) == 1:
        shares = [Decimal(100)]
    elif len(holders) == 2:
        shares = [Decimal(70), Decimal(30)]
    company = {
        'name': id_number[8:12] + rng.choice(TRADES) + '有限公司',
        'registration': {
            'status': '存续',
            'registeredDate': registered.isoformat(),
            'registeredCapital': f'{capital:.2f}',
            'authority': '市场监督管理局',
            'address': f'安徽省合肥市{rng.randint(1, 999)}号',
            },
        'legalRepresentative': legal,
        'shareholders': [
            {'name': n, 'share': f'{s / 100:.4f}', 'controller': i == 0}
            for i, (n, s) in enumerate(zip(holders, shares))],
        'changes': [],
        'abnormalOperations': [],
        'lawsuits': [],
        'enforcements': [],
        }
    draw = rng.random()
    if draw < 0.05:
        company['abnormalOperations'].append({
                'date': (today - dt.timedelta(days=rng.randint(10, 300))
                    ).isoformat(),
                'reason': rng.choice(ABNORMAL_REASONS),
                'authority': '市场监督管理局',
                })
    elif draw < 0.08:
        company['enforcements'].append({
                'caseNumber': f'({today.year})皖01执{rng.randint(1, 9999)}号',
                'date': (today - dt.timedelta(days=rng.randint(10, 300))
                    ).isoformat(),
                'court': rng.choice(COURTS),
                'amount': f'{rng.randint(10, 500) * 10000:.2f}',
                'status': '执行中',
                })
    if rng.random() < 0.10:
        company['lawsuits'].append({
                'caseNumber': f'({today.year})皖01民初{rng.randint(1, 9999)}号',
                'date': (today - dt.timedelta(days=rng.randint(10, 600))
                    ).isoformat(),
                'role': rng.choice(['defendant', 'plaintiff']),
                'cause': rng.choice(LAWSUIT_CAUSES),
                'amount': f'{rng.randint(5, 300) * 10000:.2f}',
                })
    if rng.random() < 0.2:
        company['changes'].append({
                'date': (registered + dt.timedelta(days=rng.randint(30, 300))
                    ).isoformat(),
                'item': 'address',
                'before': '安徽省合肥市',
                'after': company['registration']['address'],
                })
    return company


class CreditApp(SimulatorApp):
    """Options:
    - cost: the price of a report (decimal string, default "2.00");
    - daily_quota: the most reports charged a day (none by default), then
      429 QUOTA_EXCEEDED;
    - profiles: {code: {...}} the data of these codes, replacing the made-up
      ones key by key (e.g. {"lawsuits": [...]}); null for a code the
      provider does not know (404 SUBJECT_NOT_FOUND);
    - seed: changes every made-up company."""
    name = 'credit'
    rules = [
        Rule('/api/v1/reports', endpoint='report', methods=['POST']),
        Rule('/api/v1/usage', endpoint='usage', methods=['GET']),
        ]

    def __init__(
            self, tokens=('credit-secret',), faults=None, cost='2.00',
            daily_quota=None, profiles=None, seed=0):
        super().__init__(tokens=tokens, faults=faults)
        self.configure({
                'cost': cost, 'daily_quota': daily_quota,
                'profiles': profiles or {}, 'seed': seed})

    def reset(self):
        with self.lock:
            super().reset()
            self.reports = {}
            self.charged = {}
            self.profiles = {}
            self.sequence = itertools.count(1)

    def configure(self, options):
        options = dict(options)
        with self.lock:
            if 'cost' in options:
                self.cost = Decimal(str(options.pop('cost')))
            if 'daily_quota' in options:
                quota = options.pop('daily_quota')
                self.daily_quota = int(quota) if quota is not None else None
            if 'profiles' in options:
                self.profiles.update(options.pop('profiles') or {})
            if 'seed' in options:
                self.seed = options.pop('seed')
        super().configure(options)

    def state(self):
        state = super().state()
        with self.lock:
            state['reports'] = len(self.reports)
            state['charged'] = {
                d.isoformat(): n for d, n in self.charged.items()}
            state['keys'] = sorted(self.reports)
        return state

    def company(self, id_number):
        company = make_company(id_number, self.seed)
        if id_number in self.profiles:
            profile = self.profiles[id_number]
            if profile is None:
                return None
            company.update(profile)
        return company

    def on_report(self, request):
        self.check_token(request)
        key = request.headers.get('Idempotency-Key')
        if not key or len(key) > 64:
            raise APIError(
                400, 'IDEMPOTENCY_KEY_REQUIRED',
                "an Idempotency-Key header of at most 64 characters is "
                "required")
        body = read_json(request)
        if not isinstance(body, dict) or set(body) - {'idNumber', 'name'}:
            raise APIError(
                400, 'INVALID_REQUEST',
                "the body is {\"idNumber\": ..., \"name\": ...}")
        id_number = body.get('idNumber')
        if not isinstance(id_number, str) or not USCC_RE.match(id_number):
            raise APIError(
                400, 'INVALID_ID_NUMBER',
                f"{id_number!r} is not a unified social credit code")
        with self.lock:
            if key in self.reports:
                report = self.reports[key]
                if report['idNumber'] != id_number:
                    raise APIError(
                        422, 'IDEMPOTENCY_KEY_REUSED',
                        f"the key {key} was used for another code")
                return json_response(
                    dict(report, charged=False),
                    headers={'Idempotent-Replayed': 'true'})
            company = self.company(id_number)
            if company is None:
                raise APIError(
                    404, 'SUBJECT_NOT_FOUND',
                    f"no enterprise registered under {id_number}")
            today = dt.date.today()
            if (self.daily_quota is not None
                    and self.charged.get(today, 0) >= self.daily_quota):
                midnight = dt.datetime.combine(
                    today + dt.timedelta(days=1), dt.time())
                raise APIError(
                    429, 'QUOTA_EXCEEDED',
                    f"the daily quota of {self.daily_quota} reports is used",
                    headers={'Retry-After': str(int(
                                (midnight - dt.datetime.now()
                                    ).total_seconds()) + 1)})
            report = {
                'reportId': 'R%08d' % next(self.sequence),
                'idNumber': id_number,
                'generatedAt': dt.datetime.now(
                    dt.timezone.utc).isoformat(),
                'cost': f'{self.cost:.2f}',
                **company,
                }
            self.reports[key] = report
            self.charged[today] = self.charged.get(today, 0) + 1
            return json_response(dict(report, charged=True))

    def on_usage(self, request):
        self.check_token(request)
        with self.lock:
            today = dt.date.today()
            return json_response({
                    'date': today.isoformat(),
                    'charged': self.charged.get(today, 0),
                    'dailyQuota': self.daily_quota,
                    })
