# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Demo data of the CMS synchronisation (reguarantee_cms) and of the REST
API (reguarantee_api), each when its module is activated (called by
demo_data.py; reused by tests/test_api.py)

scripts/demo.sh starts the CMS simulator and gives its address in
DEMO_CMS_URL and its token in TRYTOND_REGUARANTEE__CMS_TOKEN (the server's
configuration, [reguarantee] cms_token: the token is never stored in the
database): the configuration points to it and the institutions are pushed
there (the simulator forgets them when it stops); the institution operator
gets an API key."""
import os
import sys

from proteus import Model


def log(message):
    print(f'[demo_data] {message}', file=sys.stderr, flush=True)


def setup_cms(config, url=None):
    """Point the configuration to the CMS simulator, when it runs and the
    server has its token (config: proteus's of an administrator)"""
    # imported here: importing trytond fixes its backend from the
    # configuration, which proteus's connection loads
    from trytond.modules.reguarantee_base.configuration import get_secret
    url = url or os.environ.get('DEMO_CMS_URL')
    if not url:
        return False
    if not get_secret('cms_token'):
        log("no TRYTOND_REGUARANTEE__CMS_TOKEN: the CMS is not configured")
        return False
    configuration = Model.get('reguarantee.configuration', config=config)(1)
    if configuration.cms_url != url:
        log(f"customer management system: {url}")
        configuration.cms_url = url
        configuration.save()
    return True


def setup_integration(as_user, login='manager', operator='operator'):
    """Configure the CMS, push the institutions there, create an API key, as
    the administrator login (as_user returns a user's proteus configuration:
    one made now, those made before other users' are stale)"""
    config = as_user(login)
    if activated(config, 'reguarantee_cms') and setup_cms(config):
        Institution = Model.get('reguarantee.institution', config=config)
        institutions = Institution.find([
                ('state', 'in', ['active', 'suspended', 'deregistered']),
                ])
        log(f"pushing {len(institutions)} institutions to the CMS")
        Institution.click(institutions, 'cms_sync')
    if activated(config, 'reguarantee_api'):
        log(f"REST API key of {operator}: "
            f"{setup_api_key(config, operator)}")


def activated(config, name):
    "Return whether the module name is activated"
    Module = Model.get('ir.module', config=config)
    return bool(Module.find([
                ('name', '=', name), ('state', '=', 'activated')]))


def setup_api_key(config, login):
    "Return the REST API key of the user login, created when missing"
    Application = Model.get('res.user.application', config=config)
    User = Model.get('res.user', config=config)
    user, = User.find([('login', '=', login)])
    applications = Application.find([
            ('user', '=', user.id),
            ('application', '=', 'reguarantee'),
            ('state', '=', 'validated'),
            ])
    if applications:
        return applications[0].key
    log(f"creating the REST API key of {login}")
    application = Application(user=user, application='reguarantee')
    application.save()
    return application.key
