# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Send the login codes of authentication_sms through the SMS gateway
(docs/interfaces/sms.md):

    [authentication_sms]
    function = trytond.modules.authentication_totp.sms.send
    [authentication_totp]
    sms_url = https://sms.example.com/
    sms_token = ...
"""
import logging

import requests

from trytond import config

logger = logging.getLogger(__name__)


def send(text, to, from_=None):
    "Post the message to the gateway; return its id, or None on failure"
    url = config.get('authentication_totp', 'sms_url')
    if not url:
        logger.error("No SMS gateway ([authentication_totp] sms_url)")
        return
    token = config.get('authentication_totp', 'sms_token', default='')
    timeout = config.getfloat(
        'authentication_totp', 'sms_timeout', default=10)
    body = {'to': to, 'text': text}
    if from_:
        body['from'] = from_
    try:
        response = requests.post(
            url.rstrip('/') + '/api/v1/messages', json=body,
            headers={'Authorization': f'Bearer {token}'}, timeout=timeout)
        response.raise_for_status()
        return response.json().get('id')
    except (requests.RequestException, ValueError):
        # The login fails as with a wrong code; never show the gateway's
        # error to the user being logged in
        logger.exception("Could not send the SMS to %s", to)
