# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Static checks of the production deployment (docker-compose.yml and
docker/Dockerfile); docker itself is not needed."""
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TRYTOND_SERVICES = ['trytond', 'trytond-cron', 'trytond-worker',
    'trytond-admin']
DATA_PATH = '/var/lib/trytond'


def module_names():
    return sorted(
        cfg.parent.name for cfg in (ROOT / 'modules').glob('*/tryton.cfg'))


@pytest.fixture(scope='module')
def compose():
    with (ROOT / 'docker-compose.yml').open() as fp:
        return yaml.safe_load(fp)


@pytest.fixture(scope='module')
def services(compose):
    return compose['services']


@pytest.fixture(scope='module')
def dockerfile():
    return (ROOT / 'docker' / 'Dockerfile').read_text()


def command(service):
    value = service['command']
    if isinstance(value, str):
        value = shlex.split(value)
    return value


def environment(service):
    value = service.get('environment', {})
    if isinstance(value, list):
        value = dict(v.split('=', 1) for v in value)
    return value


def volume_targets(service):
    targets = {}
    for volume in service.get('volumes', []):
        if isinstance(volume, str):
            source, target = volume.split(':')[:2]
        else:
            source, target = volume['source'], volume['target']
        targets[target] = source
    return targets


def test_services(services):
    assert set(services) == {
        'postgres', 'postgres-standby', *TRYTOND_SERVICES}


def test_postgres(compose, services):
    postgres = services['postgres']
    assert postgres['image'] == 'postgres:15'
    env = environment(postgres)
    assert env['POSTGRES_USER'] == 'tryton'
    assert env['POSTGRES_PASSWORD'].startswith('${POSTGRES_PASSWORD:?')
    assert 'TRYTON_DATABASE' in env['POSTGRES_DB']
    source = volume_targets(postgres)['/var/lib/postgresql/data']
    assert source in compose['volumes']
    assert 'pg_isready' in str(postgres['healthcheck']['test'])
    assert 'ports' not in postgres, "PostgreSQL must not be published"


def test_postgres_standby(compose, services):
    "Test the synchronous standby is optional and copies the primary"
    primary, standby = services['postgres'], services['postgres-standby']
    assert standby['image'] == primary['image']
    assert standby['profiles'] == ['standby']
    assert 'ports' not in standby, "PostgreSQL must not be published"
    source = volume_targets(standby)['/var/lib/postgresql/data']
    assert source in compose['volumes']
    assert source != volume_targets(primary)['/var/lib/postgresql/data']
    script = volume_targets(standby)['/usr/local/bin/standby.sh']
    text = (ROOT / script).read_text()
    assert 'pg_basebackup' in text and ' -R ' in text
    env = environment(standby)
    assert "application_name=$NAME" in text
    assert env['POSTGRES_STANDBY_NAME'] == 'standby1'
    # no standby by default: a commit waiting for an absent one would hang
    assert ('synchronous_standby_names='
        '${POSTGRES_SYNCHRONOUS_STANDBY_NAMES:-}') in command(primary)
    init = volume_targets(primary)[
        '/docker-entrypoint-initdb.d/replication.sh']
    assert 'host replication' in (ROOT / init).read_text()


@pytest.mark.parametrize('name', TRYTOND_SERVICES)
def test_trytond_image(services, name):
    service = services[name]
    assert service['build']['dockerfile'] == 'docker/Dockerfile'
    assert (ROOT / service['build']['context']
        / service['build']['dockerfile']).is_file()
    assert service['image'] == services['trytond']['image']


@pytest.mark.parametrize('name', TRYTOND_SERVICES)
def test_trytond_environment(compose, services, name):
    service = services[name]
    env = environment(service)
    uri = env['TRYTOND_DATABASE__URI']
    assert uri.startswith('postgresql://tryton:${POSTGRES_PASSWORD:?')
    # the writable one of the primary and the standby
    assert uri.endswith(
        '@${POSTGRES_HOSTS:-postgres:5432}/?target_session_attrs=read-write')
    assert env['TRYTOND_DATABASE__PATH'] == DATA_PATH
    assert env['TRYTOND_WEB__ROOT'] == '/opt/sao'
    assert env['TRYTOND_QUEUE__WORKER'] == 'True'
    assert env['TRYTOND_WEB__NUM_PROXIES'] == '1'
    for key in ['TRYTOND_EMAIL__URI', 'TRYTOND_EMAIL__FROM',
            'TRYTOND_SESSION__TIMEOUT', 'TRYTOND_SESSION__MAX_AGE']:
        assert env[key], key
    # The attachment store is on a named volume
    assert volume_targets(service)[DATA_PATH] in compose['volumes']
    assert (service['depends_on']['postgres']['condition']
        == 'service_healthy')


@pytest.mark.parametrize('name', TRYTOND_SERVICES)
def test_trytond_optimized(services, name):
    assert command(services[name])[:2] == ['python', '-O']


def test_trytond_web(services):
    service = services['trytond']
    cmd = command(service)
    assert cmd[2:4] == ['-m', 'gunicorn']
    assert '--bind=0.0.0.0:8000' in cmd
    assert cmd[-1] == 'trytond.application:app'
    assert 'TRYTON_DATABASE' in environment(service)[
        'TRYTOND_DATABASE_NAMES']
    # Plain HTTP only on the loopback: TLS is terminated in front
    for port in service['ports']:
        assert port.startswith('127.0.0.1:'), port
        assert port.endswith(':8000')
    assert 'profiles' not in service


@pytest.mark.parametrize('name,module', [
        ('trytond-cron', 'trytond.cli.cron'),
        ('trytond-worker', 'trytond.cli.worker'),
        ])
def test_trytond_daemons(services, name, module):
    service = services[name]
    cmd = command(service)
    assert cmd[2:4] == ['-m', module]
    assert cmd[cmd.index('-d') + 1] == '${TRYTON_DATABASE:-reguarantee}'
    assert 'profiles' not in service


def test_trytond_admin(compose, services):
    service = services['trytond-admin']
    assert service['profiles'] == ['init']
    assert service['restart'] == 'no'
    cmd = command(service)
    assert cmd[2:4] == ['-m', 'trytond.cli.admin']
    assert cmd[cmd.index('-d') + 1] == '${TRYTON_DATABASE:-reguarantee}'
    assert '--all' in cmd
    assert '--activate-dependencies' in cmd
    # Non-interactive: the e-mail would be asked on a terminal otherwise
    assert any(arg.startswith('--email=') for arg in cmd)
    # -u must come before --all: argparse replaces the list at -u
    assert cmd.index('-u') < cmd.index('--all')
    updated = cmd[cmd.index('-u') + 1:cmd.index('--all')]
    assert sorted(updated) == module_names()
    env = environment(service)
    secret, = service['secrets']
    assert env['TRYTONPASSFILE'] == f'/run/secrets/{secret}'
    assert 'file' in compose['secrets'][secret]


def test_dockerfile(dockerfile):
    assert re.search(
        r'^FROM python:3\.11-slim-bookworm\s*$', dockerfile, re.M)
    assert 'npm pack --silent tryton-sao@8.0' in dockerfile
    assert 'npm install --omit=dev --legacy-peer-deps' in dockerfile
    # the web root holds only what sao loads (scripts/sao_webroot.py)
    assert 'sao_webroot.py /build/package /build/web' in dockerfile
    assert 'COPY --from=sao-web /build/web /opt/sao' in dockerfile
    # Installed non-editable, with the WSGI server
    assert 'pip install ".[production]"' in dockerfile
    assert 'pip install -e' not in dockerfile
    assert 'TRYTOND_DATABASE__PATH=/var/lib/trytond' in dockerfile
    assert re.search(r'^USER trytond\s*$', dockerfile, re.M)


def test_dockerfile_copies_modules(dockerfile):
    assert 'COPY modules ./modules' in dockerfile
    ignored = (ROOT / '.dockerignore').read_text().split()
    for pattern in ['.venv', 'var', '.git']:
        assert pattern in ignored
    assert 'modules' not in ignored
