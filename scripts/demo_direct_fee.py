# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo guarantee fees and deposits (保证金) of the direct guarantees

Run by demo_direct.setup_direct: the upfront fee of the in-force loan
guarantee is invoiced to its applicant; a deposit is held on it and the
deposit of the released guarantee is refunded.  The deposits are booked:
finance's configuration names the deposit liability (存入保证金), the bank
account and the account of the deposits applied."""
import datetime
from decimal import Decimal

from demo_fees import FEE_SERVICE

#: The guarantees (by purpose) whose fee is invoiced and deposit held
IN_FORCE = '原材料采购'
#: The released guarantee whose deposit is refunded
RELEASED = '年度经营周转'
#: The deposits: purpose → amount
DEPOSITS = {
    IN_FORCE: Decimal('300000'),
    RELEASED: Decimal('100000'),
    }


def setup_direct_fees(demo, applications):
    "applications: purpose → (application, target state)"
    from proteus import Wizard
    demo.log("creating the direct guarantee fees and deposits")
    Service = demo.model('product.product', 'manager')
    Product = demo.model('reguarantee.direct.product', 'manager')
    service, = Service.find([('name', '=', FEE_SERVICE)])
    for product in Product.find([('invoice_product', '=', None)]):
        product.invoice_product = service
        product.save()

    in_force = demo.browse(applications[IN_FORCE][0], 'admin')
    released = demo.browse(applications[RELEASED][0], 'admin')
    # the invoice of the applicant's fee needs an address
    party = in_force.applicant.party
    if not party.addresses:
        party.addresses.new(city="合肥市")
        party.save()

    wizard = Wizard(
        'reguarantee.direct.fee.create', config=demo.as_user('finance'))
    wizard.execute('create_')
    Fee = demo.model('reguarantee.direct.fee', 'finance')
    fee, = Fee.find([('application', '=', in_force.id)])
    fee.click('invoice_')
    if fee.state != 'invoiced' or fee.invoice.state != 'posted':
        raise RuntimeError(f"direct fee {fee.id} is not invoiced")

    setup_deposit_booking(demo)
    Deposit = demo.model('reguarantee.direct.deposit', 'finance')
    Application = demo.model('reguarantee.direct.application', 'finance')
    for application in [in_force, released]:
        deposit = Deposit(
            application=Application(application.id),
            amount=DEPOSITS[application.purpose],
            received_date=application.contract_date
            - datetime.timedelta(days=1))
        deposit.save()
        deposit.click('receive')
        if application.state == 'released':
            # two finance users refund a deposit (button rule)
            deposit.click('refund')
            deposit = demo.browse(deposit, 'finmanager')
            deposit.click('refund')
            if deposit.state != 'refunded':
                raise RuntimeError(f"deposit {deposit.id} is not refunded")
            if not deposit.settlement_move:
                raise RuntimeError(f"deposit {deposit.id} is not booked")


def setup_deposit_booking(demo):
    """Book the deposits: a liability account 存入保证金 beside the chart's
    payables, received on the chart's cash account, applied to its
    receivables, in the cash journal"""
    Account = demo.model('account.account', 'admin')
    Configuration = demo.model('reguarantee.configuration', 'admin')
    Journal = demo.model('account.journal', 'admin')
    configuration = Configuration(1)
    if configuration.deposit_account:
        return
    payable, = Account.find([
            ('type.payable', '=', True), ('closed', '!=', True),
            ('party_required', '=', True)], limit=1)
    liability, = Account.duplicate([payable], default={
            'name': "存入保证金", 'code': None})
    configuration.deposit_account = liability
    configuration.deposit_cash_account, = Account.find([
            ('code', '=', '1.1.1')])
    configuration.deposit_applied_account, = Account.find([
            ('type.receivable', '=', True), ('closed', '!=', True),
            ('party_required', '=', True)], limit=1)
    configuration.deposit_journal, = Journal.find([('code', '=', 'CASH')])
    configuration.save()
