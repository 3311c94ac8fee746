# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The web tier of a live trytond (tests/conftest.py): security headers on
sao's page and the JSON-RPC answers, only sao's files served, a foreign
Origin refused with 403, failed logins throttled per address and login."""
import threading

import pytest
import requests

SECURITY_HEADERS = {
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    }


def rpc(server, method, params, database=None, **headers):
    "POST a JSON-RPC call; return the response"
    url = server.url + (f'{database}/' if database else '') + 'rpc/'
    return requests.post(
        url, json={'id': 1, 'method': method, 'params': params},
        headers=headers, timeout=120)


def login(server, user, password, address):
    "Log in with JSON-RPC from the address; return the response"
    return rpc(
        server, 'common.db.login', [user, {'password': password}, 'en'],
        database=server.database, **{'X-Forwarded-For': address})


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (
            response.url, name, response.headers)


@pytest.fixture
def web_root(live_server):
    if live_server.web_root is None:
        pytest.skip("sao's web root is not built: run scripts/install.sh")
    return live_server.web_root


def test_security_headers(live_server, web_root):
    "Test sao's page, its files, JSON-RPC and errors carry the headers"
    page = requests.get(live_server.url, timeout=30)
    assert page.status_code == 200
    assert b'tryton-sao' in page.content
    assert_security_headers(page)
    script = requests.get(live_server.url + 'dist/tryton-sao.js', timeout=30)
    assert script.status_code == 200
    assert_security_headers(script)

    version = rpc(live_server, 'common.server.version', [])
    assert version.status_code == 200
    assert version.json()['result'].startswith('8.0')
    assert_security_headers(version)
    assert_security_headers(
        login(live_server, 'nobody', 'wrong', '192.0.2.200'))
    assert_security_headers(
        requests.get(live_server.url + 'no/such/page', timeout=30))


SERVED = [
    'index.html', 'dist/tryton-sao.js', 'dist/tryton-sao.css',
    'locale/zh_CN.json', 'images/tryton-icon.png', 'sounds/success.wav',
    'node_modules/jquery/dist/jquery.js',
    'node_modules/bootstrap/dist/js/bootstrap.js',
    'node_modules/bootstrap/fonts/glyphicons-halflings-regular.woff2',
    'node_modules/billboard.js/dist/billboard.css',
    ]
NOT_SERVED = [
    'package.json', 'package-lock.json', 'Gruntfile.js', 'README.md',
    'tests/', 'tests/index.html', 'tests/sao.js', 'src/sao.js',
    'locale/zh_CN.po', 'node_modules/', 'node_modules/.package-lock.json',
    'node_modules/jquery/package.json', 'node_modules/jquery/README.md',
    'node_modules/jquery/src/jquery.js', 'node_modules/bootstrap/',
    'node_modules/moment/package.json',
    ]


@pytest.mark.parametrize('path', SERVED)
def test_sao_files_served(live_server, web_root, path):
    "Test the files sao loads are served"
    response = requests.get(live_server.url + path, timeout=30)
    assert response.status_code == 200, path
    assert response.content


@pytest.mark.parametrize('path', NOT_SERVED)
def test_other_files_not_served(live_server, web_root, path):
    "Test the package's other files are not served"
    response = requests.get(live_server.url + path, timeout=30)
    assert response.status_code == 404, path
    assert_security_headers(response)


def test_index_references_served(live_server, web_root):
    "Test every file index.html loads is served"
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'scripts'))
    from sao_webroot import References
    parser = References()
    parser.feed((web_root / 'index.html').read_text(encoding='utf-8'))
    assert len(parser.paths) > 15
    for path in parser.paths:
        response = requests.get(live_server.url + path, timeout=30)
        assert response.status_code == 200, path


@pytest.mark.parametrize('origin', [
        'http://evil.example', 'https://127.0.0.1.evil.example',
        'null'])
def test_foreign_origin(live_server, origin):
    "Test a request with a foreign Origin is refused with 403, not 500"
    call = rpc(live_server, 'common.server.version', [], Origin=origin)
    assert call.status_code == 403
    assert_security_headers(call)
    call = rpc(
        live_server, 'common.db.login', ['admin', {'password': 'x'}, 'en'],
        database=live_server.database, Origin=origin)
    assert call.status_code == 403
    page = requests.get(
        live_server.url + f'{live_server.database}/',
        headers={'Origin': origin}, timeout=30)
    # trytond matches the route of a null Origin first: nothing is there
    assert page.status_code == (404 if origin == 'null' else 403)
    api = requests.get(
        live_server.api_url + '/projects/RP1',
        headers={'Origin': origin}, timeout=30)
    assert api.status_code == 403
    # sao's static files are the same for everyone (and a browser does not
    # let the foreign page read them without CORS headers)
    page = requests.get(
        live_server.url, headers={'Origin': origin}, timeout=30)
    assert page.status_code in {200, 403}
    assert 'Access-Control-Allow-Origin' not in page.headers


def test_own_origin(live_server):
    "Test a request from the server's own origin is answered"
    origin = live_server.url.rstrip('/')
    call = rpc(live_server, 'common.server.version', [], Origin=origin)
    assert call.status_code == 200
    assert_security_headers(call)


def test_login_throttle(live_server):
    """Test failed logins from one address lock the login out from that
    address only: the user logs in from his own"""
    user = 'finance'
    password = live_server.users[user]
    stranger, own = '198.51.100.7', '203.0.113.9'

    # the failures at once: trytond delays each by up to 2^failures s
    responses = [None] * 6
    barrier = threading.Barrier(len(responses))

    def fail(index):
        barrier.wait()
        responses[index] = login(live_server, user, 'wrong', stranger)
    threads = [
        threading.Thread(target=fail, args=(i,))
        for i in range(len(responses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.status_code for r in responses} <= {401, 429}

    # more than [session] max_attempt failures: refused from there
    assert login(live_server, user, 'wrong', stranger).status_code == 429
    assert login(live_server, user, password, stranger).status_code == 429
    # but not from the user's own address
    response = login(live_server, user, password, own)
    assert response.status_code == 200, response.text
    user_id, session = response.json()['result'][:2]
    assert user_id and session
    # nor another login from the stranger's
    response = login(live_server, 'risk1', 'wrong', stranger)
    assert response.status_code == 401
