"""Fault injection: rules that make chosen requests fail, slow down or lose their connection.

A rule matches on method, host kind (arm, login, devops, site, scm) and a regular expression
searched in the path as the client sent it, ignoring case (ARM's and Azure DevOps' paths ignore
case: the Python client of Azure DevOps asks for ``_apis/Release/definitions``); it fires ``count``
times (None: until removed). A firing rule either answers with an error (status, body shape, code,
message, optional Retry-After), drops the connection before the service sees the request (``drop``),
serves the request and then drops the connection instead of answering (``drop_after``: the service
acted, the client never hears of it), or only adds latency and lets the request through. Rules are
checked in the order they were added. A rule may carry a follow-up (``then``): another rule, added
when this one first fires, so a fault can start at a chosen moment ("once the swap was accepted,
every read fails").

A rule with a ``rate`` is a rate limiter (a token bucket, as Azure DevOps and ARM throttle): it lets
``rate`` matching requests a second through (``burst`` at once) and fires only for the ones beyond,
answering with a ``Retry-After`` of the whole seconds until the next request would be let through.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from slotwise_emulator.errors import SHAPES, ServiceError, Shape

_KINDS = ("*", "arm", "login", "devops", "site", "scm")


@dataclass
class FaultRule:
    path: str = ".*"
    method: str = "*"
    kind: str = "*"
    status: int = 503
    shape: Shape = "arm"
    code: str = "ServiceUnavailable"
    message: str = "The service is temporarily unavailable. Please try again later."
    retry_after: float | None = None
    count: int | None = 1
    latency_ms: int = 0
    drop: bool = False  # lose the connection before the service handles the request
    drop_after: bool = False  # handle the request, then lose the connection instead of answering
    passthrough: bool = False  # only add latency_ms, then serve the request normally
    then: dict[str, Any] | None = None  # a rule added (validated) when this one first fires
    rate: float | None = None  # a rate limiter: matching requests let through per second
    burst: int = 1  # a rate limiter's bucket: how many may come at once
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    hits: int = 0
    passed: int = 0  # a rate limiter's requests let through
    tokens: float | None = None  # a rate limiter's bucket now (None: full)
    refilled: float | None = None  # when the bucket was last refilled

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def admits(self, now: float) -> bool:
        """A rate limiter: whether a request arriving at ``now`` is let through (taking a token);
        when it is not, ``retry_after`` becomes the whole seconds until one would be."""
        assert self.rate is not None
        held = float(self.burst) if self.tokens is None or self.refilled is None else self.tokens
        elapsed = max(0.0, now - self.refilled) if self.refilled is not None else 0.0
        self.tokens, self.refilled = min(float(self.burst), held + elapsed * self.rate), now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.passed += 1
            return True
        self.retry_after = float(max(1, math.ceil((1.0 - self.tokens) / self.rate)))
        return False

    def error(self) -> ServiceError:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return ServiceError(self.status, self.code, self.message, shape=self.shape, headers=headers)


def rule_from_dict(data: dict[str, Any]) -> FaultRule:
    """Validate a rule given to the control plane; a ``ValueError`` names the bad field."""
    known = set(FaultRule.__dataclass_fields__) - {"id", "hits", "passed", "tokens", "refilled"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(
            f"unknown fault field(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    rule = FaultRule(**data)
    try:
        re.compile(rule.path)
    except re.error as exc:
        raise ValueError(f"path is not a valid regular expression: {exc}") from exc
    if rule.shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    if rule.kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}")
    if not (100 <= int(rule.status) <= 599):
        raise ValueError("status must be an HTTP status between 100 and 599")
    if rule.count is not None and rule.count < 1:
        raise ValueError("count must be 1 or more, or null for a rule that fires until removed")
    if rule.drop and rule.drop_after:
        raise ValueError("drop and drop_after exclude each other: the connection is lost once")
    if rule.rate is not None and not (0 < rule.rate <= 100_000):
        raise ValueError("rate must be a number of requests per second above 0 (and at most 100000)")
    if rule.burst < 1:
        raise ValueError("burst must be 1 or more")
    if rule.rate is not None and (rule.drop or rule.drop_after or rule.passthrough):
        raise ValueError(
            "a rate limiter (rate) answers the requests beyond its rate; "
            "drop, drop_after and passthrough do not apply to it"
        )
    if rule.latency_ms < 0 or rule.latency_ms > 600_000:
        raise ValueError("latency_ms must be between 0 and 600000 (ten minutes)")
    if rule.then is not None:
        if not isinstance(rule.then, dict):
            raise ValueError("then must be a fault rule (an object)")
        try:
            rule_from_dict(rule.then)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"then: {exc}") from exc
    rule.method = rule.method.upper()
    return rule


class FaultBackend:
    """The active fault rules."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def match(self, method: str, kind: str, path: str, now: float = 0.0) -> FaultRule | None:
        """The first rule matching this request, counted as fired; None if none matches. A rate
        limiter that lets the request through (at ``now``) does not match it."""
        for rule in self.rules:
            if rule.method not in ("*", method.upper()):
                continue
            if rule.kind not in ("*", kind):
                continue
            if not re.search(rule.path, path, re.IGNORECASE):
                continue
            if rule.rate is not None and rule.admits(now):
                continue
            rule.hits += 1
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
            if rule.then is not None:
                follow, rule.then = rule_from_dict(rule.then), None
                self.rules.append(follow)
            return rule
        return None
