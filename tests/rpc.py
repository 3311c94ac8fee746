# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""A small JSON-RPC client of trytond, as sao talks to it: a login gives a
session, each call is one HTTP request (one transaction).  Used by
tests/test_failover.py and bench/load.py."""
import base64
import datetime as dt
from decimal import Decimal

import requests


class RPCError(Exception):
    "trytond answered with an error (a user error, an access error, ...)"


def encode(value):
    "Encode value as trytond's JSON-RPC does (JSONEncoder of trytond)"
    if isinstance(value, Decimal):
        return {'__class__': 'Decimal', 'decimal': str(value)}
    if isinstance(value, dt.datetime):
        return {'__class__': 'datetime', 'year': value.year,
            'month': value.month, 'day': value.day, 'hour': value.hour,
            'minute': value.minute, 'second': value.second,
            'microsecond': value.microsecond}
    if isinstance(value, dt.date):
        return {'__class__': 'date', 'year': value.year,
            'month': value.month, 'day': value.day}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


class Client:
    "One user of sao: a session on one database"

    def __init__(self, url, database, timeout=60, session=None):
        self.url = f'{url.rstrip("/")}/{database}/rpc/'
        self.http = session or requests.Session()
        self.timeout = timeout
        self.auth = None
        self.context = {}
        self._id = 0

    def call(self, method, *params):
        "Return the result of method; raise RPCError on trytond's errors"
        self._id += 1
        headers = {}
        if self.auth:
            headers['Authorization'] = self.auth
        response = self.http.post(
            self.url, json={
                'id': self._id, 'method': method,
                'params': encode(list(params))},
            headers=headers, timeout=self.timeout)
        response.raise_for_status()
        result = response.json()
        if result.get('error'):
            raise RPCError(result['error'])
        return result['result']

    def login(self, login, password, language='en'):
        user_id, key = self.call(
            'common.db.login', login, {'password': password}, language)[:2]
        self.auth = 'Session ' + base64.b64encode(
            f'{login}:{user_id}:{key}'.encode()).decode()
        self.context = self.call('model.res.user.get_preferences', True, {})
        return user_id

    def model(self, model, method, *args):
        "Call method of model with the user's context"
        return self.call(f'model.{model}.{method}', *args, self.context)
