# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"Records for the unit tests of the re-guarantee modules (in a transaction)"
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool

from .tools import make_uscc

__all__ = ['create_projects']


def create_projects(count, state, **product_values):
    """Create count projects of 365,000 (73,000 re-guaranteed) from
    1 January 2024 to 1 January 2025 in state, of a new institution, bank,
    borrower and product (of 1 % on the loan, with product_values); return
    them"""
    pool = Pool()
    Borrower = pool.get('reguarantee.borrower')
    Institution = pool.get('reguarantee.institution')
    Party = pool.get('party.party')
    Product = pool.get('reguarantee.product')
    Project = pool.get('reguarantee.project')
    institution = Institution(
        code='HF01', name='HF01', uscc=make_uscc(1), state='active',
        license_number='L1', license_expiry=dt.date(2099, 1, 1),
        net_assets=Decimal('100000000'))
    institution.save()
    product = Product(
        code='M', name='M', fee_rate=Decimal('0.01'),
        fee_basis='loan', day_count='act365',
        share_institution=Decimal('0.8'),
        share_reguarantor=Decimal('0.2'),
        start_date=dt.date(2024, 1, 1), **product_values)
    product.save()
    bank = Party(name='Bank')
    bank.save()
    borrower = Borrower(name='B', kind='enterprise', id_number=make_uscc(2))
    borrower.save()
    return Project.create([{
                'institution': institution.id,
                'product': product.id,
                'borrower': borrower.id,
                'bank': bank.id,
                'loan_contract_number': f'L{i}',
                'loan_amount': Decimal('365000'),
                'guarantee_amount': Decimal('365000'),
                'reguaranteed_amount': Decimal('73000'),
                'start_date': dt.date(2024, 1, 1),
                'end_date': dt.date(2025, 1, 1),
                'state': state,
                } for i in range(count)])
