# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The National Fund's filing API over HTTP (docs/interfaces/fund.md)"
from trytond.modules.reguarantee_base.http_client import JSONClient


class FundClient(JSONClient):

    def post_batch(self, body, key):
        "POST the batch (a JSON text) under the idempotency key"
        return self.request(
            'POST', 'api/v1/batches', body=body, idempotency_key=key,
            expect={'batchId'})

    def get_batch(self, batch_id):
        "GET the batch's status and results"
        return self.request(
            'GET', f'api/v1/batches/{batch_id}', expect={'status'})
