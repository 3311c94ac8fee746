# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The web tier of trytond: sao's pages, the JSON-RPC and the routes that
other modules add (a REST API)

- every answer carries the headers of SECURITY_HEADERS (no framing, no
  content sniffing, no referrer to other sites);
- a request with a foreign Origin is answered 403: trytond 8.0 aborts it in
  TrytondWSGI.wsgi_app, outside of its error handling, which werkzeug
  answers 500;
- a GET of a path that is neither a file of [web] root nor a route is
  answered 404 (trytond answers 405);
- failed logins are counted per login *and* network (LoginAttempt): a
  stranger who fails [session] max_attempt times from one address blocks
  that login from that address only, not the user from his own; all the
  failures of one network are capped by max_attempt_ip_network.

The middleware is installed on trytond's WSGI application when the module
is imported: trytond and its WSGI entry point (trytond.application:app,
e.g. under gunicorn) import every module before serving."""
from sql.aggregate import Count

from trytond.pool import PoolMeta
from trytond.protocols.wrappers import exceptions
from trytond.transaction import Transaction
from trytond.wsgi import app

SECURITY_HEADERS = [
    ('X-Frame-Options', 'DENY'),
    ('Content-Security-Policy', "frame-ancestors 'none'"),
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'same-origin'),
    ]


class SecurityMiddleware:
    """Add SECURITY_HEADERS to the answers, answer the HTTP errors raised and
    answer 404 to a GET of a path nothing serves (trytond answers 405: its
    CORS route /<path:path> takes only OPTIONS)"""

    def __init__(self, application):
        self.application = application

    @staticmethod
    def _nothing_served(environ, status, headers):
        if (environ.get('REQUEST_METHOD') not in {'GET', 'HEAD'}
                or not status.startswith('405')):
            return False
        allowed = {
            m.strip().upper() for n, v in headers if n.lower() == 'allow'
            for m in v.split(',')}
        return allowed <= {'OPTIONS'}

    def __call__(self, environ, start_response):
        nothing_served = []

        def start(status, headers, exc_info=None):
            if self._nothing_served(environ, status, headers):
                nothing_served.append(True)
                return lambda data: None
            names = {name.lower() for name, _ in headers}
            headers = list(headers) + [
                (name, value) for name, value in SECURITY_HEADERS
                if name.lower() not in names]
            return start_response(status, headers, exc_info)
        try:
            answer = self.application(environ, start)
        except exceptions.HTTPException as exception:
            # the 403 of a foreign Origin (or the 405 of trytond matching
            # the route of a null Origin)
            answer = exception(environ, start)
        if nothing_served:
            if hasattr(answer, 'close'):
                answer.close()
            return exceptions.NotFound()(environ, start)
        return answer


def install(application):
    "Install SecurityMiddleware on the TrytondWSGI application, once"
    if not isinstance(application.wsgi_app, SecurityMiddleware):
        application.wsgi_app = SecurityMiddleware(application.wsgi_app)


install(app)


class LoginAttempt(metaclass=PoolMeta):
    __name__ = 'res.user.login.attempt'

    @classmethod
    def count(cls, login, device_cookie=None):
        """Return the recent failed attempts of the login from the network
        of the request (all of them without a request)"""
        transaction = Transaction()
        _, ip_network = transaction.remote_address()
        if ip_network is None:
            return super().count(login, device_cookie)
        login = login[:cls.login.size]
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(Count(),
                where=(table.login == login)
                & (table.device_cookie == device_cookie)
                & (table.ip_network == str(ip_network))
                & (table.create_date >= cls.delay())))
        return cursor.fetchone()[0]
