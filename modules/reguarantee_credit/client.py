# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The business-information provider over HTTP (docs/interfaces/credit.md)"
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from trytond.modules.reguarantee_base.http_client import JSONClient


class CreditClient(JSONClient):

    def report(self, id_number, name, key):
        "POST the report request of the code under the idempotency key"
        body = {'idNumber': id_number}
        if name:
            body['name'] = name
        return self.request(
            'POST', 'api/v1/reports',
            body=json.dumps(body, ensure_ascii=False),
            idempotency_key=key,
            expect={'reportId', 'idNumber', 'charged'})


def fetch_reports(url, token, timeout, workers, queries):
    """Return the Answer of each query (id_number, name, key), asked with
    workers threads at once

    Only the network happens here, never the database: it runs between
    two transactions' work (see reguarantee.credit.request send)."""
    local = threading.local()

    def ask(query):
        client = getattr(local, 'client', None)
        if client is None:
            # a requests.Session per thread: sessions are not thread-safe
            client = local.client = CreditClient(url, token, timeout)
        return client.report(*query)

    if not queries:
        return []
    with ThreadPoolExecutor(
            max_workers=max(1, min(workers, len(queries)))) as executor:
        return list(executor.map(ask, queries))
