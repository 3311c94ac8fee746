# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Demo data of National Fund filing (reguarantee_filing)

Points the configuration at the Fund's simulator started by scripts/demo.sh
(DEMO_FUND_URL; its token is the server's configuration, [reguarantee]
fund_token, which demo.sh gives as TRYTOND_REGUARANTEE__FUND_TOKEN: it is
never stored in the database) and, the first time, files the demo's filed
projects in one batch through the Create Filing Batches wizard as the
business user; the queue worker sends it when it starts."""
import os


def setup_filing(demo):
    "demo: the running demo_data module (its connections and helpers)"
    from trytond.modules.reguarantee_base.configuration import get_secret
    url = os.environ.get('DEMO_FUND_URL')
    if not url:
        demo.log("no Fund simulator (DEMO_FUND_URL): filing not configured")
        return
    if not get_secret('fund_token'):
        demo.log("no TRYTOND_REGUARANTEE__FUND_TOKEN: filing not configured")
        return
    configuration = demo.model('reguarantee.configuration')(1)
    configuration.fund_url = url
    configuration.fund_poll_interval = 5
    configuration.fund_retry_delay = 10
    configuration.save()
    Batch = demo.model('reguarantee.filing.batch', 'business')
    if Batch.find([]):
        return
    Project = demo.model('reguarantee.project', 'business')
    if not Project.find([('state', '=', 'filed')]):
        return
    from proteus import Wizard
    demo.log("filing the filed projects with the National Fund")
    wizard = Wizard(
        'reguarantee.filing.batch.create', config=demo.as_user('business'))
    wizard.form.send = True
    wizard.execute('create_')
