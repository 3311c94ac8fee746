# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo guarantee fees and deposits (保证金) of the direct guarantees

Run by demo_direct.setup_direct: the upfront fee of the in-force loan
guarantee is invoiced to its applicant; a deposit is held on it and the
deposit of the released guarantee is refunded."""
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
            deposit.click('refund')
            if deposit.state != 'refunded':
                raise RuntimeError(f"deposit {deposit.id} is not refunded")
