# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The National Fund's filing API (docs/interfaces/fund.md)

A batch of projects is POSTed with an Idempotency-Key; the Fund answers at
once that it is received and checks the projects later: GET the batch for
each project's result.  A repeated POST with the same key returns the same
batch and files nothing again."""
import datetime as dt
import hashlib
import itertools
import re
import time
from decimal import Decimal, InvalidOperation

from werkzeug.routing import Rule

from simulators.app import (
    APIError, SimulatorApp, json_response, read_keyed_json)

USCC_RE = re.compile(r'^[0-9A-HJ-NPQRTUWXY]{18}$')
RESIDENT_ID_RE = re.compile(r'^[0-9]{17}[0-9X]$')
REGION_RE = re.compile(r'^[0-9]{6}$')
BORROWER_TYPES = {
    '01': USCC_RE,  # enterprise
    '02': USCC_RE,  # individual business
    '03': RESIDENT_ID_RE,  # farmer
    '04': RESIDENT_ID_RE,  # person
    }
REQUIRED = [
    'projectNo', 'institutionUscc', 'borrowerName', 'borrowerType',
    'borrowerIdNo', 'bankName', 'loanContractNo', 'loanAmount',
    'guaranteeAmount', 'startDate', 'endDate',
    ]


def _amount(value):
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or (
            amount.as_tuple().exponent < -2):
        return None
    return amount


def _date(value):
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def check_project(project):
    "Return (code, reason) of the first rule the project breaks, or None"
    for name in REQUIRED:
        value = project.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return 'E101', f"missing field {name}"
    pattern = BORROWER_TYPES.get(project['borrowerType'])
    if pattern is None:
        return 'E102', f"unknown borrowerType {project['borrowerType']!r}"
    if not pattern.match(str(project['borrowerIdNo'])):
        return 'E102', (
            f"borrowerIdNo {project['borrowerIdNo']!r} is not valid for "
            f"borrowerType {project['borrowerType']}")
    if not USCC_RE.match(str(project['institutionUscc'])):
        return 'E102', "institutionUscc is not a USCC"
    loan = _amount(project['loanAmount'])
    guarantee = _amount(project['guaranteeAmount'])
    if loan is None or guarantee is None:
        return 'E103', (
            "loanAmount and guaranteeAmount must be positive decimal "
            "strings with at most 2 decimals")
    if guarantee > loan:
        return 'E103', "guaranteeAmount is above loanAmount"
    if 'reguaranteeAmount' in project and (
            _amount(project['reguaranteeAmount']) is None
            or _amount(project['reguaranteeAmount']) > guarantee):
        return 'E103', "reguaranteeAmount is not a positive amount at most "\
            "guaranteeAmount"
    start, end = _date(project['startDate']), _date(project['endDate'])
    if start is None or end is None:
        return 'E104', "startDate and endDate must be dates (YYYY-MM-DD)"
    if end <= start:
        return 'E104', "endDate is not after startDate"
    region = project.get('regionCode')
    if region and not REGION_RE.match(str(region)):
        return 'E105', f"regionCode {region!r} is not a 6-digit code"
    return None


class FundApp(SimulatorApp):
    """Options:
    - processing_delay: seconds before a received batch has its results
    - reject_rate: share of projects rejected (E301) the first time they
      are filed, whatever their data (decided by a hash of projectNo)
    - max_batch_size: more projects in one batch are refused (413)"""
    name = 'fund'
    rules = [
        Rule('/api/v1/batches', endpoint='post_batch', methods=['POST']),
        Rule('/api/v1/batches/<batch_id>', endpoint='get_batch',
            methods=['GET']),
        ]

    def __init__(
            self, tokens=('fund-secret',), faults=None, processing_delay=0.5,
            reject_rate=0, reject_seed='fund', max_batch_size=5000):
        self.processing_delay = float(processing_delay)
        self.reject_rate = float(reject_rate)
        self.reject_seed = str(reject_seed)
        self.max_batch_size = int(max_batch_size)
        super().__init__(tokens=tokens, faults=faults)

    def reset(self):
        with self.lock:
            super().reset()
            self.batches = {}
            self.keys = {}
            # projectNo → the results it got, in order
            self.filings = {}
            self.sequence = itertools.count(1)
            self.references = itertools.count(1)

    def configure(self, options):
        "Change the options above (PUT /_sim/options)"
        options = dict(options)
        with self.lock:
            for name, type_ in [
                    ('processing_delay', float), ('reject_rate', float),
                    ('reject_seed', str), ('max_batch_size', int)]:
                if name in options:
                    setattr(self, name, type_(options.pop(name)))
        super().configure(options)

    def state(self):
        state = super().state()
        with self.lock:
            for batch in self.batches.values():
                self._process(batch)
            state['batches'] = [
                self._summary(b) for b in self.batches.values()]
            state['accepted'] = {
                number: sum(r['result'] == 'accepted' for r in results)
                for number, results in self.filings.items()}
            state['submissions'] = {
                number: len(results)
                for number, results in self.filings.items()}
        return state

    def on_post_batch(self, request):
        self.check_token(request)
        key, body, digest = read_keyed_json(request)
        with self.lock:
            if key in self.keys:
                batch = self.batches[self.keys[key]]
                if batch['digest'] != digest:
                    raise APIError(
                        422, 'IDEMPOTENCY_KEY_REUSED',
                        f"the key {key} was used for another batch")
                return json_response(
                    self._summary(batch), status=200,
                    headers={'Idempotent-Replayed': 'true'})
            projects = self._check_batch(body)
            batch_id = 'NFB%06d' % next(self.sequence)
            batch = {
                'batchId': batch_id,
                'batchNumber': body.get('batchNumber'),
                'idempotencyKey': key,
                'digest': digest,
                'receivedAt': time.time(),
                'status': 'processing',
                'projects': projects,
                'results': None,
                }
            self.batches[batch_id] = batch
            self.keys[key] = batch_id
            return json_response(
                self._summary(batch), status=202,
                headers={'Location': f'/api/v1/batches/{batch_id}'})

    def _check_batch(self, body):
        if not isinstance(body, dict) or not isinstance(
                body.get('projects'), list) or not body['projects']:
            raise APIError(
                400, 'INVALID_BATCH',
                "the body must be an object with a non-empty projects list")
        projects = body['projects']
        if len(projects) > self.max_batch_size:
            raise APIError(
                413, 'BATCH_TOO_LARGE',
                f"at most {self.max_batch_size} projects per batch")
        for index, project in enumerate(projects):
            if not isinstance(project, dict):
                raise APIError(
                    400, 'INVALID_BATCH',
                    f"projects[{index}] is not an object")
        return projects

    def on_get_batch(self, request, batch_id):
        self.check_token(request)
        with self.lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                raise APIError(
                    404, 'BATCH_NOT_FOUND', f"no batch {batch_id}")
            self._process(batch)
            summary = self._summary(batch)
            if batch['results'] is not None:
                summary['results'] = batch['results']
            return json_response(summary)

    def _summary(self, batch):
        summary = {
            'batchId': batch['batchId'],
            'batchNumber': batch['batchNumber'],
            'idempotencyKey': batch['idempotencyKey'],
            'status': batch['status'],
            'received': len(batch['projects']),
            'receivedAt': dt.datetime.fromtimestamp(
                batch['receivedAt'], dt.timezone.utc).isoformat(),
            }
        if batch['results'] is None:
            summary['retryAfter'] = self.processing_delay
        else:
            summary['accepted'] = sum(
                r['result'] == 'accepted' for r in batch['results'])
            summary['rejected'] = len(batch['results']) - summary['accepted']
        return summary

    def _process(self, batch):
        "Check the batch's projects once its processing delay is over"
        if batch['results'] is not None or (
                time.time() < batch['receivedAt'] + self.processing_delay):
            return
        results, numbers = [], set()
        for project in batch['projects']:
            number = project.get('projectNo')
            error = check_project(project)
            if error is None and number in numbers:
                error = 'E106', "projectNo appears twice in the batch"
            previous = self.filings.get(number, [])
            if error is None and any(
                    r['result'] == 'accepted' for r in previous):
                error = 'E201', f"project {number} is already filed"
            if error is None and not previous and self._injected(number):
                error = 'E301', "the lending bank did not confirm the loan"
            numbers.add(number)
            if error:
                result = {
                    'projectNo': number, 'result': 'rejected',
                    'code': error[0], 'reason': error[1]}
            else:
                result = {
                    'projectNo': number, 'result': 'accepted',
                    'fundReference': 'NF%08d' % next(self.references)}
            results.append(result)
            if number is not None:
                self.filings.setdefault(number, []).append(
                    dict(result, batchId=batch['batchId']))
        batch['results'] = results
        batch['status'] = 'done'

    def _injected(self, number):
        if not self.reject_rate:
            return False
        digest = hashlib.sha256(
            f'{self.reject_seed}:{number}'.encode()).digest()
        return int.from_bytes(digest[:4], 'big') < self.reject_rate * 2 ** 32
