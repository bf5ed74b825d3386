"""Fault rules as the backend applies them; here the rate limiter (a token bucket) with time given."""

from __future__ import annotations

import pytest

from slotwise_emulator.backends.faults import FaultBackend, rule_from_dict


def _limiter(rate: float, burst: int, **more: object) -> FaultBackend:
    faults = FaultBackend()
    faults.add(
        rule_from_dict(
            {
                "kind": "devops",
                "status": 429,
                "shape": "devops",
                "code": "TooManyRequests",
                "count": None,
                "rate": rate,
                "burst": burst,
                **more,
            }
        )
    )
    return faults


def test_a_rate_limiter_lets_its_burst_through_then_answers_with_the_wait() -> None:
    faults = _limiter(rate=2.0, burst=3)
    admitted = [faults.match("GET", "devops", "/contoso/_apis/projects", now=100.0) is None for _ in range(5)]
    assert admitted == [True, True, True, False, False]
    fired = faults.match("GET", "devops", "/contoso/_apis/projects", now=100.0)
    assert fired is not None
    assert fired.status == 429
    assert fired.error().headers["Retry-After"] == "1"  # a token comes back in 0.5 s: said in whole seconds


def test_a_rate_limiter_refills_at_its_rate_and_never_above_its_burst() -> None:
    faults = _limiter(rate=1.0, burst=2)
    assert faults.match("GET", "devops", "/p", now=0.0) is None
    assert faults.match("GET", "devops", "/p", now=0.0) is None
    assert faults.match("GET", "devops", "/p", now=0.0) is not None
    assert faults.match("GET", "devops", "/p", now=1.0) is None  # one token back after a second
    assert faults.match("GET", "devops", "/p", now=1.0) is not None
    # a long quiet spell refills the bucket to its burst, not beyond
    assert [faults.match("GET", "devops", "/p", now=60.0) is None for _ in range(3)] == [True, True, False]


def test_a_slow_rate_asks_for_a_longer_wait() -> None:
    faults = _limiter(rate=0.25, burst=1)
    assert faults.match("POST", "devops", "/p", now=0.0) is None
    fired = faults.match("POST", "devops", "/p", now=0.0)
    assert fired is not None
    assert fired.error().headers["Retry-After"] == "4"


def test_a_rate_limiter_passes_what_it_admits_to_later_rules_and_ignores_other_paths() -> None:
    faults = _limiter(rate=1.0, burst=1, path="/_apis/release/")
    faults.add(rule_from_dict({"kind": "devops", "status": 503, "count": None}))
    limiter = faults.rules[0]
    admitted = faults.match("GET", "devops", "/o/p/_apis/release/definitions", now=0.0)
    assert admitted is not None
    assert admitted.status == 503  # let through by the limiter, the next rule answers
    throttled = faults.match("GET", "devops", "/o/p/_apis/release/definitions", now=0.0)
    assert throttled is limiter
    assert throttled.status == 429
    other = faults.match("GET", "devops", "/o/_apis/projects", now=0.0)
    assert other is not None
    assert other.status == 503
    assert (limiter.passed, limiter.hits) == (1, 1)


def test_a_rate_limiter_with_a_count_stops_after_firing_that_many_times() -> None:
    faults = _limiter(rate=1.0, burst=1, count=1)
    assert faults.match("GET", "devops", "/p", now=0.0) is None
    assert faults.match("GET", "devops", "/p", now=0.0) is not None
    assert faults.rules == []
    assert faults.match("GET", "devops", "/p", now=0.0) is None


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"rate": 0}, "rate"),
        ({"rate": -1}, "rate"),
        ({"rate": 1, "burst": 0}, "burst"),
        ({"rate": 1, "drop": True}, "rate"),
        ({"rate": 1, "passthrough": True}, "rate"),
    ],
)
def test_a_bad_rate_limiter_is_refused_with_the_field_named(rule: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        rule_from_dict(rule)


def test_a_rule_path_ignores_case_as_the_services_do() -> None:
    faults = FaultBackend()
    faults.add(rule_from_dict({"path": "/_apis/release/definitions", "kind": "devops", "status": 429}))
    fired = faults.match("GET", "devops", "/contoso/Fabrikam/_apis/Release/definitions")
    assert fired is not None
    assert fired.status == 429
