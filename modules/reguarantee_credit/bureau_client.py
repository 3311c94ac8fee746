# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The credit bureau's reporting API over HTTP
(docs/interfaces/credit-bureau.md)"""
from trytond.modules.reguarantee_base.http_client import JSONClient


class BureauClient(JSONClient):

    def post_file(self, body, key):
        "POST the file (a JSON text of its envelope) under the idempotency key"
        return self.request(
            'POST', 'api/v1/files', body=body, idempotency_key=key,
            expect={'fileId', 'status'})

    def get_feedback(self, file_id):
        "GET the feedback of the file: its status and rejected records"
        return self.request(
            'GET', f'api/v1/files/{file_id}', expect={'fileId', 'status'})
