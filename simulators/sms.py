# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The SMS gateway (docs/interfaces/sms.md)

It takes a text message for one mobile number and answers its id; the
messages are kept for the tests (state()['messages']) instead of being
delivered."""
import datetime as dt
import itertools
import re

from werkzeug.routing import Rule

from simulators.app import APIError, SimulatorApp, json_response, read_json

# E.164: a + and up to 15 digits
NUMBER_RE = re.compile(r'^\+[1-9][0-9]{6,14}$')
MAX_TEXT = 500


class SMSApp(SimulatorApp):
    """Options:
    - reject: numbers the gateway refuses (422 UNDELIVERABLE)"""
    name = 'sms'
    rules = [
        Rule('/api/v1/messages', endpoint='send', methods=['POST']),
        Rule('/api/v1/messages/<message_id>', endpoint='get_message',
            methods=['GET']),
        ]

    def __init__(self, tokens=('sms-secret',), faults=None, reject=()):
        super().__init__(tokens=tokens, faults=faults)
        self.configure({'reject': reject})

    def reset(self):
        with self.lock:
            super().reset()
            self.messages = []
            self.reject = set()
            self.sequence = itertools.count(1)

    def configure(self, options):
        options = dict(options)
        with self.lock:
            if 'reject' in options:
                self.reject = set(options.pop('reject') or ())
        super().configure(options)

    def state(self):
        state = super().state()
        with self.lock:
            state['messages'] = [dict(m) for m in self.messages]
        return state

    def on_send(self, request):
        self.check_token(request)
        body = read_json(request)
        if not isinstance(body, dict):
            raise APIError(400, 'INVALID_MESSAGE', "the body is an object")
        unknown = set(body) - {'to', 'text', 'from'}
        if unknown:
            raise APIError(
                400, 'INVALID_MESSAGE',
                f"unknown fields: {', '.join(sorted(unknown))}")
        to, text = body.get('to'), body.get('text')
        if not isinstance(to, str) or not NUMBER_RE.match(to):
            raise APIError(
                400, 'INVALID_NUMBER',
                f"{to!r} is not an E.164 number (+ and 7 to 15 digits)")
        if not isinstance(text, str) or not text.strip():
            raise APIError(400, 'INVALID_MESSAGE', "text is required")
        if len(text) > MAX_TEXT:
            raise APIError(
                400, 'INVALID_MESSAGE',
                f"text is longer than {MAX_TEXT} characters")
        sender = body.get('from')
        if sender is not None and not isinstance(sender, str):
            raise APIError(400, 'INVALID_MESSAGE', "from must be a string")
        with self.lock:
            if to in self.reject:
                raise APIError(
                    422, 'UNDELIVERABLE', f"{to} cannot receive messages")
            message = {
                'id': 'M%06d' % next(self.sequence),
                'to': to,
                'from': sender,
                'text': text,
                'status': 'accepted',
                'createdAt': dt.datetime.now(dt.timezone.utc).isoformat(),
                }
            self.messages.append(message)
            return json_response(dict(message), status=201)

    def on_get_message(self, request, message_id):
        self.check_token(request)
        with self.lock:
            for message in self.messages:
                if message['id'] == message_id:
                    return json_response(dict(message))
        raise APIError(404, 'MESSAGE_NOT_FOUND', f"no message {message_id}")
