# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Start a simulator on 127.0.0.1: in a thread of the tests (Simulator), or
as a process (`python -m simulators fund --port 8101`, the demo)"""
import argparse
import json
import logging
import signal
import sys
import threading

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from simulators.cms import CMSApp
from simulators.credit import CreditApp
from simulators.credit_bureau import CreditBureauApp
from simulators.fund import FundApp
from simulators.sms import SMSApp

APPS = {
    'fund': FundApp,
    'cms': CMSApp,
    'sms': SMSApp,
    'credit': CreditApp,
    'credit_bureau': CreditBureauApp,
    }
logger = logging.getLogger('simulators')


def create_app(name, tokens=None, options=None, faults=None):
    "Return the WSGI application of the simulator name"
    kwargs = dict(options or {})
    if tokens:
        kwargs['tokens'] = tokens
    return APPS[name](faults=faults, **kwargs)


class QuietRequestHandler(WSGIRequestHandler):
    "Log nothing: the tests check the simulator's state instead"

    def log_request(self, *args, **kwargs):
        pass


class Simulator:
    """A simulator served by a thread on a free port of 127.0.0.1

        with Simulator('fund', tokens=['t']) as fund:
            requests.post(fund.url + 'api/v1/batches', ...)
            fund.app.state()
    """

    def __init__(
            self, name, tokens=None, options=None, faults=None,
            host='127.0.0.1', port=0, quiet=True):
        self.app = create_app(
            name, tokens=tokens, options=options, faults=faults)
        self.host, self.port = host, port
        self.quiet = quiet
        self.server = self.thread = None

    @property
    def url(self):
        return f'http://{self.host}:{self.port}/'

    def start(self):
        self.server = make_server(
            self.host, self.port, self.app, threaded=True,
            request_handler=QuietRequestHandler if self.quiet else None)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={'poll_interval': 0.05},
            name=f'simulator-{self.port}', daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            # wake up the requests that wait for an injected delay
            self.app.faults.stop()
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(10)
            self.server = self.thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class SimulatorClient:
    "The /_sim/ endpoints of a simulator running elsewhere"

    def __init__(self, url, timeout=10):
        self.url = url.rstrip('/') + '/_sim/'
        self.timeout = timeout

    def _call(self, method, path, data=None):
        response = requests.request(
            method, self.url + path, json=data, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def state(self):
        return self._call('GET', 'state')

    def set_faults(self, faults):
        return self._call('PUT', 'faults', faults)

    def set_options(self, options):
        return self._call('PUT', 'options', options)

    def reset(self):
        return self._call('POST', 'reset')

    def health(self):
        return self._call('GET', 'health')


def get_parser():
    parser = argparse.ArgumentParser(
        prog='python -m simulators',
        description="Run a simulator of an external system on 127.0.0.1")
    parser.add_argument('name', choices=sorted(APPS))
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument(
        '--port', type=int, default=0, help="0 (default): a free port")
    parser.add_argument(
        '--token', action='append', dest='tokens',
        help="a bearer token the simulator accepts (repeatable)")
    parser.add_argument(
        '--token-file', action='append', dest='token_files', default=[],
        type=argparse.FileType('r'),
        help="a file holding a token on its first line (repeatable)")
    parser.add_argument(
        '--config', type=argparse.FileType('r'),
        help='a JSON file {"options": {...}, "faults": {...}}')
    parser.add_argument(
        '--port-file', help="write the port there once listening")
    return parser


def main(argv=None):
    args = get_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format='%(asctime)s %(name)s %(message)s')
    config = json.load(args.config) if args.config else {}
    tokens = (args.tokens or []) + [
        fp.readline().strip() for fp in args.token_files]
    simulator = Simulator(
        args.name, tokens=tokens, options=config.get('options'),
        faults=config.get('faults'), host=args.host, port=args.port,
        quiet=False)
    simulator.start()
    if args.port_file:
        with open(args.port_file, 'w') as fp:
            print(simulator.port, file=fp)
    logger.info("%s simulator listening on %s", args.name, simulator.url)
    stopped = threading.Event()
    for signum in [signal.SIGTERM, signal.SIGINT]:
        signal.signal(signum, lambda *args: stopped.set())
    while not stopped.wait(1):
        pass
    simulator.stop()
    logger.info("%s simulator stopped", args.name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
