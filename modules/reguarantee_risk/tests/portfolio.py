# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""A small portfolio whose risk indicators are worked out by hand

The snapshot date is 2026-06-30 and its period starts on 2026-01-01.  The
re-guarantor's net assets are 20,000,000.  Two institutions:

- HF01, small/micro and agriculture (leverage limit 15), net assets
  50,000,000, quota 4,000,000;
- WH01, net assets 50,000,000 (leverage limit 10), no quota.

Products: P1 "4321" small/micro (re-guarantor 30 %), P2 housing (re-guarantor
50 %).  Borrowers (kind, industry, region, related group): b1 enterprise
C1311 340102 G1, b2 individual business C2000 340103 G1, b3 farmer A0111
341502, b4 person K7010 340104, b5 enterprise F5100 340200.

Projects (institution, borrower, product, loan, guarantee, re-guaranteed,
state), started on 2025-07-01 unless said:

==== ===== ==== === ========= ========= ========= ===========================
name inst. bor. pr. loan      guarantee reguar.   state
==== ===== ==== === ========= ========= ========= ===========================
a1   HF01  b1   P1  4,000,000 3,000,000   900,000 filed (weight 75 %)
a2   HF01  b2   P1  6,000,000 5,000,000 1,500,000 filed (loan ≥ 5 M: 100 %)
a3   HF01  b3   P1  1,000,000   800,000   240,000 filed (farmer < 2 M: 75 %)
a4   HF01  b4   P2  2,000,000 2,000,000 1,000,000 filed (housing: 30 %)
a5   HF01  b1   P1  1,000,000 1,000,000   300,000 released 2026-03-31
a6   HF01  b5   P1  2,000,000 2,000,000   600,000 compensated, paid
                                                  2026-02-15: 1,000,000 ×
                                                  30 % = claim 300,000;
                                                  recovery 2026-05-10 of
                                                  200,000 × 30 % = 60,000
a7   HF01  b3   P1  3,000,000 1,000,000   300,000 filed, starts 2026-07-15
a8   HF01  b1   P1  1,000,000 1,000,000   300,000 submitted
b1   WH01  b5   P1  4,000,000 3,000,000   900,000 filed (75 %)
b2   WH01  b1   P1  2,000,000 1,500,000   450,000 filed (75 %)
b3   WH01  b4   P1  1,000,000 1,000,000   300,000 filed (person: 100 %)
b4   WH01  b2   P1  2,000,000 2,000,000   600,000 released 2025-10-31
b5   WH01  b5   P1  1,000,000 1,000,000   300,000 closed, paid 2025-12-20:
                                                  500,000 × 30 % = claim
                                                  150,000; settled
                                                  2026-04-01: book 150,000,
                                                  proceeds 50,000, loss
                                                  100,000
==== ===== ==== === ========= ========= ========= ===========================
"""
import datetime as dt
from decimal import Decimal

from trytond.modules.reguarantee_base.identity import (
    resident_id_check_character)
from trytond.modules.reguarantee_base.tests.tools import make_uscc
from trytond.pool import Pool

DATE = dt.date(2026, 6, 30)
START = dt.date(2025, 7, 1)


def resident_id(serial):
    "Return a valid resident identity number of a farmer or a person"
    body = f'34010219800101{serial:03d}'
    return body + resident_id_check_character(body)


def create_portfolio(company):
    "Create the portfolio of the module docstring; return records by name"
    pool = Pool()
    Borrower = pool.get('reguarantee.borrower')
    Compensation = pool.get('reguarantee.compensation')
    Configuration = pool.get('reguarantee.configuration')
    Disposal = pool.get('reguarantee.npa.disposal')
    Institution = pool.get('reguarantee.institution')
    Party = pool.get('party.party')
    Product = pool.get('reguarantee.product')
    Project = pool.get('reguarantee.project')
    Recovery = pool.get('reguarantee.recovery')

    configuration = Configuration(1)
    configuration.net_assets = Decimal(20_000_000)
    configuration.save()

    records = {}
    hf01, wh01 = Institution.create([{
                'company': company.id, 'code': code, 'name': code,
                'uscc': make_uscc(serial), 'state': 'active',
                'license_number': f'WD-{code}',
                'license_expiry': dt.date(2030, 1, 1),
                'net_assets': Decimal(50_000_000),
                'small_micro_agriculture': small_micro,
                'quota_amount': quota,
                } for serial, code, small_micro, quota in [
                (1, 'HF01', True, Decimal(4_000_000)),
                (2, 'WH01', False, None)]])
    records.update(HF01=hf01, WH01=wh01)
    p1, p2 = Product.create([{
                'company': company.id, 'code': code, 'name': code,
                'guarantee_type': 'financing', 'mode': 'batch',
                'fee_rate': Decimal('0.005'), 'fee_basis': 'guarantee',
                'day_count': 'act365',
                'share_institution': institution,
                'share_reguarantor': reguarantor,
                'share_fund': Decimal(0),
                'share_bank': bank,
                'share_government': government,
                'liability_class': liability_class,
                'start_date': dt.date(2025, 1, 1),
                } for code, liability_class, institution, reguarantor, bank,
            government in [
                ('P1', 'small_micro', Decimal('0.4'), Decimal('0.3'),
                    Decimal('0.2'), Decimal('0.1')),
                ('P2', 'housing', Decimal('0.5'), Decimal('0.5'),
                    Decimal(0), Decimal(0))]])
    records.update(P1=p1, P2=p2)
    borrowers = Borrower.create([{
                'name': name, 'kind': kind, 'id_number': id_number,
                'industry': industry, 'region': region,
                'related_group': group,
                } for name, kind, id_number, industry, region, group in [
                ('b1', 'enterprise', make_uscc(101), 'C1311', '340102', 'G1'),
                ('b2', 'individual_business', make_uscc(102), 'C2000',
                    '340103', 'G1'),
                ('b3', 'farmer', resident_id(103), 'A0111', '341502', None),
                ('b4', 'person', resident_id(104), 'K7010', '340104', None),
                ('b5', 'enterprise', make_uscc(105), 'F5100', '340200',
                    None),
                ]])
    records.update((b.name, b) for b in borrowers)
    bank, = Party.create([{'name': "Bank"}])

    projects = Project.create([{
                'company': company.id,
                'institution': records[institution].id,
                'product': records[product].id,
                'borrower': records[borrower].id,
                'bank': bank.id,
                'loan_contract_number': name,
                'loan_amount': Decimal(loan),
                'guarantee_amount': Decimal(guarantee),
                'reguaranteed_amount': Decimal(reguaranteed),
                'start_date': start,
                'end_date': dt.date(2028, 7, 1),
                'release_date': release_date,
                'state': state,
                } for (name, institution, borrower, product, loan, guarantee,
                reguaranteed, state, start, release_date) in [
                ('a1', 'HF01', 'b1', 'P1', 4_000_000, 3_000_000, 900_000,
                    'filed', START, None),
                ('a2', 'HF01', 'b2', 'P1', 6_000_000, 5_000_000, 1_500_000,
                    'filed', START, None),
                ('a3', 'HF01', 'b3', 'P1', 1_000_000, 800_000, 240_000,
                    'filed', START, None),
                ('a4', 'HF01', 'b4', 'P2', 2_000_000, 2_000_000, 1_000_000,
                    'filed', START, None),
                ('a5', 'HF01', 'b1', 'P1', 1_000_000, 1_000_000, 300_000,
                    'released', START, dt.date(2026, 3, 31)),
                ('a6', 'HF01', 'b5', 'P1', 2_000_000, 2_000_000, 600_000,
                    'compensated', START, None),
                ('a7', 'HF01', 'b3', 'P1', 3_000_000, 1_000_000, 300_000,
                    'filed', dt.date(2026, 7, 15), None),
                ('a8', 'HF01', 'b1', 'P1', 1_000_000, 1_000_000, 300_000,
                    'submitted', START, None),
                ('b1', 'WH01', 'b5', 'P1', 4_000_000, 3_000_000, 900_000,
                    'filed', START, None),
                ('b2', 'WH01', 'b1', 'P1', 2_000_000, 1_500_000, 450_000,
                    'filed', START, None),
                ('b3', 'WH01', 'b4', 'P1', 1_000_000, 1_000_000, 300_000,
                    'filed', START, None),
                ('b4', 'WH01', 'b2', 'P1', 2_000_000, 2_000_000, 600_000,
                    'released', START, dt.date(2025, 10, 31)),
                ('b5', 'WH01', 'b5', 'P1', 1_000_000, 1_000_000, 300_000,
                    'closed', START, None),
                ]])
    records.update(
        ('project_' + p.loan_contract_number, p) for p in projects)

    a6_compensation, b5_compensation = Compensation.create([{
                'company': company.id,
                'project': records[project].id,
                'default_date': default_date,
                'principal': Decimal(paid),
                'interest': Decimal(0),
                'amount_paid_by_institution': Decimal(paid),
                'share': Decimal('0.3'),
                'claim_amount': Decimal(claim),
                'payment_date': payment_date,
                'state': 'paid',
                } for project, default_date, paid, claim, payment_date in [
                ('project_a6', dt.date(2026, 1, 20), 1_000_000, 300_000,
                    dt.date(2026, 2, 15)),
                ('project_b5', dt.date(2025, 11, 20), 500_000, 150_000,
                    dt.date(2025, 12, 20)),
                ]])
    records.update(
        compensation_a6=a6_compensation, compensation_b5=b5_compensation)
    Recovery.create([{
                'company': company.id,
                'compensation': a6_compensation.id,
                'date': dt.date(2026, 5, 10),
                'amount': Decimal(200_000),
                'reguarantor_amount': Decimal(60_000),
                'state': 'confirmed',
                }])
    disposal, = Disposal.create([{
                'company': company.id,
                'compensation': b5_compensation.id,
                'method': 'settlement',
                'date': dt.date(2026, 4, 1),
                'book_amount': Decimal(150_000),
                'proceeds': Decimal(50_000),
                'loss_amount': Decimal(100_000),
                'state': 'approved',
                }])
    records['disposal_b5'] = disposal
    return records
