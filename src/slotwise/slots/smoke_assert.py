"""Judging one answer of a slot against a check's expectations, as sentences people can act on.

Owns the failure sentences ("expected status 200, got 500"): status (redirects are reported with
their target, never followed), body text and regex, JSON paths, headers and the latency budget.
Every piece of remote text in a sentence is masked and neutralised (``smoke_text.py``) and so is
the whole sentence. Pure: no IO, no clock.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slotwise.azure.functions_host import HostAnswer
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke_jsonpath import json_equal, lookup, parse_path
from slotwise.slots.smoke_plan import Expectation, HeaderExpectation, JsonExpectation
from slotwise.slots.smoke_text import safe_text

_PIECE = 80  # characters of remote text quoted in a sentence
_SENTENCE = 400


def judge(expect: Expectation, answer: HostAnswer, secrets: SecretRegistry) -> list[str]:
    """The failures of ``answer`` (empty: it passed)."""
    text = answer.body.decode("utf-8", "replace")
    failures = [
        *_status(expect.status, answer, secrets),
        *_body(expect, text),
        *_json(expect.json, text, secrets),
        *(_header(h, answer, secrets) for h in expect.headers),
        *_latency(expect.latency_ms, answer.latency),
    ]
    return [safe_text(f, secrets, _SENTENCE) for f in failures if f]


def expected_status(statuses: tuple[int, ...]) -> str:
    """``status 200``, ``status 200 or 204``, ``a 2xx status``."""
    if not statuses:
        return "a 2xx status"
    codes = [str(s) for s in statuses]
    return "status " + (codes[0] if len(codes) == 1 else f"{', '.join(codes[:-1])} or {codes[-1]}")


def status_passes(statuses: tuple[int, ...], status: int) -> bool:
    return status in statuses if statuses else 200 <= status <= 299


def _status(statuses: tuple[int, ...], answer: HostAnswer, secrets: SecretRegistry) -> list[str]:
    if status_passes(statuses, answer.status):
        return []
    sentence = f"expected {expected_status(statuses)}, got {answer.status}"
    location = answer.header("location")
    if 300 <= answer.status <= 399 and location:
        sentence += f": redirected to {_quote(location, secrets)} (redirects are not followed)"
    return [sentence]


def _body(expect: Expectation, text: str) -> list[str]:
    failures = [f'expected the body to contain "{s}"' for s in expect.body_contains if s not in text]
    if expect.body_matches is not None and re.search(expect.body_matches, text) is None:
        failures.append(f"expected the body to match /{expect.body_matches}/")
    return failures


def _json(expectations: tuple[JsonExpectation, ...], text: str, secrets: SecretRegistry) -> list[str]:
    if not expectations:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        paths = ", ".join(e.path for e in expectations)
        return [f"expected a JSON body (for {paths}), but the body is not JSON"]
    return [f for f in (_json_one(e, document, secrets) for e in expectations) if f]


def _json_one(expectation: JsonExpectation, document: Any, secrets: SecretRegistry) -> str | None:
    path = expectation.path
    found = lookup(document, parse_path(path))
    if expectation.exists is True:
        return None if found.found else f"expected {path} to exist, but {found.missing_at} is missing"
    if expectation.exists is False:
        return (
            f"expected {path} not to exist, but it is {_value(found.value, secrets)}" if found.found else None
        )
    wanted = json.dumps(expectation.equals)
    if not found.found:
        return f"expected {path} to equal {wanted}, but {found.missing_at} is missing"
    if json_equal(found.value, expectation.equals):
        return None
    return f"expected {path} to equal {wanted}, got {_value(found.value, secrets)}"


def _header(expectation: HeaderExpectation, answer: HostAnswer, secrets: SecretRegistry) -> str | None:
    name = expectation.name
    value = answer.header(name)
    if value is None:
        return f"expected header {name}, but the answer has none"
    if expectation.equals is not None and value.strip() != expectation.equals:
        return f'expected header {name} to be "{expectation.equals}", got {_quote(value, secrets)}'
    if expectation.matches is not None and re.search(expectation.matches, value) is None:
        return f"expected header {name} to match /{expectation.matches}/, got {_quote(value, secrets)}"
    return None


def _latency(budget_ms: int | None, latency: float) -> list[str]:
    took = latency * 1000
    if budget_ms is None or took <= budget_ms:
        return []
    return [f"took {took:,.0f} ms, over the budget of {budget_ms:,} ms"]


def _value(value: Any, secrets: SecretRegistry) -> str:
    return safe_text(json.dumps(value, ensure_ascii=True), secrets, _PIECE)


def _quote(text: str, secrets: SecretRegistry) -> str:
    return f'"{safe_text(text, secrets, _PIECE)}"'
