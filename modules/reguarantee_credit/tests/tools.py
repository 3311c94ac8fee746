# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Helpers for the credit tests, the demo and the benchmark: a provider, an
institution with a signed contract, applications"""
import datetime as dt
from decimal import Decimal

from trytond.modules.reguarantee_base.tests.tools import make_uscc, set_secret
from trytond.pool import Pool

__all__ = ['create_provider', 'create_institution', 'application_rows']


def create_provider(company, url, token, **values):
    "Create the provider of the company, its token in the configuration"
    pool = Pool()
    Provider = pool.get('reguarantee.credit.provider')
    set_secret('credit_token', token)
    provider, = Provider.create([{
                'company': company.id,
                'name': "Test Provider",
                'url': url,
                'timeout': 2,
                'retry_delay': 0,
                'cost': Decimal('2.00'),
                **values,
                }])
    return provider


def create_institution(company, code='CR01', net_assets=Decimal('50000000')):
    """Return an active institution of the company with a signed contract of
    a 4222 product (loans up to 5,000,000) and a bank"""
    pool = Pool()
    Contract = pool.get('reguarantee.contract')
    Institution = pool.get('reguarantee.institution')
    Party = pool.get('party.party')
    Product = pool.get('reguarantee.product')
    today = dt.date.today()
    institution, = Institution.create([{
                'company': company.id,
                'code': code,
                'name': f"Credit Test Guarantee {code}",
                'uscc': make_uscc(hash(code) % 10 ** 6, '91340100'),
                'license_number': code,
                'license_expiry': today + dt.timedelta(days=700),
                'net_assets': net_assets,
                'region': '340100',
                'state': 'active',
                }])
    product, = Product.create([{
                'company': company.id,
                'code': code + '4222',
                'name': "4222",
                'guarantee_type': 'financing',
                'mode': 'batch',
                'fee_rate': Decimal('0.005'),
                'fee_basis': 'reguaranteed',
                'day_count': 'act365',
                'share_institution': Decimal('0.4'),
                'share_reguarantor': Decimal('0.2'),
                'share_fund': Decimal('0.2'),
                'share_bank': Decimal('0.2'),
                'share_government': Decimal('0'),
                'max_loan_amount': Decimal('5000000'),
                'start_date': today - dt.timedelta(days=800),
                }])
    Contract.create([{
                'company': company.id,
                'institution': institution.id,
                'products': [('add', [product.id])],
                'start_date': today - dt.timedelta(days=800),
                'end_date': today + dt.timedelta(days=1000),
                'state': 'signed',
                }])
    Party.create([{'name': "Credit Test Bank"}])
    return institution


def application_rows(serials, loan=Decimal('1000000'),
        guarantee=Decimal('800000'), prefix='91340300'):
    "Return application rows (see screening.COLUMNS) of enterprises"
    today = dt.date.today()
    return [[
            f"Applicant {i}", 'enterprise', make_uscc(i, prefix), 'C3911',
            '340300', "Credit Test Bank", f'LC-{i:06d}', str(loan),
            str(guarantee), today.isoformat(),
            (today + dt.timedelta(days=365)).isoformat()]
        for i in serials]
