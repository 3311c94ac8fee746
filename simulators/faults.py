# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Failures injected by configuration into a simulator's responses

A configuration is a list of rules (docs/interfaces/README.md), e.g.::

    {"seed": 1, "faults": [
        {"mode": "503", "rate": 0.5, "count": 3, "retry_after": 1},
        {"mode": "timeout", "delay": 2, "path": "/api/v1/batches",
         "method": "POST", "when": "after"},
        {"mode": "latency", "delay": 0.05}]}

Every rule whose filters match a request fires with its probability
(`rate`, default 1) until it has fired `count` times (default: no limit);
the rules are tried in order, latency ones add up, and the first failure
that fires is the request's only one.
`when` says whether the failure happens before the request is processed
(nothing is stored) or after (the request took effect but the client does
not get its answer): the default is "before" for 500 and 503, "after" for
timeout and malformed."""
import random
import threading

MODES = {'latency', '429', '500', '503', 'timeout', 'malformed'}
DEFAULT_WHEN = {
    'latency': 'before',
    '429': 'before',
    '500': 'before',
    '503': 'before',
    'timeout': 'after',
    'malformed': 'after',
    }


class FaultConfigError(ValueError):
    pass


class Fault:
    "One rule of the configuration"
    __slots__ = (
        'mode', 'rate', 'count', 'when', 'path', 'method', 'delay',
        'jitter', 'retry_after', 'fired')

    def __init__(self, rule):
        if not isinstance(rule, dict):
            raise FaultConfigError(f"a fault must be an object: {rule!r}")
        unknown = set(rule) - (set(self.__slots__) - {'fired'})
        if unknown:
            raise FaultConfigError(
                f"unknown fault keys: {', '.join(sorted(unknown))}")
        self.mode = str(rule.get('mode'))
        if self.mode not in MODES:
            raise FaultConfigError(
                f"mode must be one of {', '.join(sorted(MODES))}")
        self.rate = float(rule.get('rate', 1))
        self.count = rule.get('count')
        if self.count is not None:
            self.count = int(self.count)
        self.when = rule.get('when', DEFAULT_WHEN[self.mode])
        if self.when not in {'before', 'after'}:
            raise FaultConfigError("when must be before or after")
        self.path = rule.get('path', '/api/')
        self.method = rule.get('method')
        self.delay = float(rule.get('delay', 30 if self.mode == 'timeout'
                else 0))
        self.jitter = float(rule.get('jitter', 0))
        self.retry_after = rule.get('retry_after')
        self.fired = 0

    def matches(self, method, path):
        return (path.startswith(self.path)
            and (not self.method or self.method.upper() == method)
            and (self.count is None or self.fired < self.count))

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


class Faults:
    "The fault rules of one simulator, thread-safe"

    def __init__(self, config=None):
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.configure(config or {})

    def configure(self, config):
        if not isinstance(config, dict):
            raise FaultConfigError("the configuration must be an object")
        rules = [Fault(rule) for rule in config.get('faults', [])]
        with self._lock:
            self.rules = rules
            self.random = random.Random(config.get('seed'))
            self.injected = {mode: 0 for mode in sorted(MODES)}

    def draw(self, method, path):
        """Return the rules that fire for this request: the latency rules
        and the first failure rule, in order"""
        fired = []
        with self._lock:
            for rule in self.rules:
                if (rule.matches(method, path)
                        and self.random.random() < rule.rate):
                    rule.fired += 1
                    self.injected[rule.mode] += 1
                    fired.append(rule)
                    if rule.mode != 'latency':
                        break
        return fired

    def sleep(self, rule):
        "Wait the rule's delay, or until the simulator stops"
        delay = rule.delay
        if rule.jitter:
            with self._lock:
                delay += self.random.uniform(0, rule.jitter)
        self._stopped.wait(delay)

    def stop(self):
        self._stopped.set()

    def state(self):
        with self._lock:
            return {
                'injected': dict(self.injected),
                'rules': [r.as_dict() for r in self.rules],
                }
