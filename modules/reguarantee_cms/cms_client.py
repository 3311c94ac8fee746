# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"The customer management system (CMS) over HTTP (docs/interfaces/cms.md)"
import json
from urllib.parse import quote, urljoin

from trytond.modules.reguarantee_base.http_client import JSONClient


class CMSClient(JSONClient):

    def customer_path(self, uscc):
        return 'api/v1/customers/' + quote(uscc, safe='')

    def customer_url(self, uscc):
        "Return the URL of the customer (as the log keeps it)"
        return urljoin(self.url, self.customer_path(uscc))

    def get_customer(self, uscc):
        "Look the customer up by USCC; a 404 is a success without data"
        return self.request(
            'GET', self.customer_path(uscc), expect={'uscc'}, not_found=True)

    def put_customer(self, uscc, values, key):
        "Create or update the customer (idempotent) with the values"
        body = json.dumps(values, ensure_ascii=False, sort_keys=True)
        return self.request(
            'PUT', self.customer_path(uscc), body=body, idempotency_key=key,
            expect={'uscc'})
