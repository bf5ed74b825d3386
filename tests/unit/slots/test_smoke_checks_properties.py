"""Any checks file is a plan or one clear mistake: properties of ``parse_checks`` over generated text and
generated structures shaped like the schema, written as YAML and as JSON.

A mistake is one ``UsageError`` whose message starts with the file's name and says where (a JSON
pointer, the top level, or a line); never another exception type. A plan holds only what its types
promise: ints where the schema says integer, finite numbers in the schema's ranges.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slotwise.errors import UsageError
from slotwise.slots.smoke_checks import MAX_DEPTH, MAX_VALUES, parse_checks, schema_text
from slotwise.slots.smoke_plan import SmokePlan

SOURCE = "checks.yaml"
# where a mistake is: a JSON pointer or the top level (schema), a line (syntax), or the whole file
PLACE = re.compile(r"^checks\.yaml(: (/|the top level)|, line \d+|: (not valid|nested|more than))")
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names.update(schema.get("properties", {}))
        for sub in schema.values():
            names |= _property_names(sub)
    elif isinstance(schema, list):
        for sub in schema:
            names |= _property_names(sub)
    return names


NAMES = sorted(_property_names(json.loads(schema_text())))
EDGE_NUMBERS = st.sampled_from(
    [0, 1, -1, 2, 99, 100, 200, 200.0, 230, 230.5, 599, 600, 1000, 230000, 230001, 10**20, 1e20, 1e400,
     -1e400, math.nan, 0.0001, 1.5, 2**63]
)  # fmt: skip
EDGE_TEXT = st.sampled_from(
    ["", "/", "/api/health", "/a?b", "api", "$", "$.a", "$.items[0].id", "$[99999999999999999999]",
     "$..x", "GET", "get", "TRACE", "function", "host", "master", "none", "hello", "X-Build", "bad header",
     "a{99999999999}", "(" * 2000, "[z-a]", "\\", "2024-01-01", "1e20", "NaN", "~1", "é"]
)  # fmt: skip
LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats() | EDGE_NUMBERS | EDGE_TEXT | st.text(max_size=12)
)
KEYS = st.sampled_from(NAMES) | st.text(max_size=8)
SHAPED = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
CHECK = st.dictionaries(KEYS, SHAPED, max_size=5).map(lambda d: {"name": "c", "path": "/", **d})
FILES = st.fixed_dictionaries(
    {"checks": st.lists(CHECK, max_size=3) | SHAPED},
    optional={"defaults": SHAPED, "warmup": SHAPED, "version": SHAPED, "extra": SHAPED},
)


def outcome(text: str, syntax: Any) -> SmokePlan | UsageError:
    """The plan, or the one UsageError; anything else fails the test (with its traceback)."""
    try:
        return parse_checks(text, source=SOURCE, syntax=syntax)
    except UsageError as error:
        return error


def assert_sound(result: SmokePlan | UsageError) -> None:
    if isinstance(result, UsageError):
        assert PLACE.match(result.message), result.message
        assert result.hint
        return
    assert result.checks
    for check in result.checks:
        assert (check.target.function is None) != (check.target.path is None)
        latency = check.expect.latency_ms
        assert latency is None or (type(latency) is int and 1 <= latency <= 230000), latency
        assert all(type(s) is int and 100 <= s <= 599 for s in check.expect.status)
        assert check.timeout is None or 0 < check.timeout <= 230
        assert all(isinstance(v, str) for v in (*check.query.values(), *check.target.route_params.values()))
    warmup = result.warmup
    assert type(warmup.attempts) is int
    assert 1 <= warmup.attempts <= 1000
    assert all(type(s) is int for s in warmup.status)
    assert 0 < warmup.timeout <= 230
    assert 0 <= warmup.interval <= 60


def dump(data: Any, syntax: str) -> str:
    return json.dumps(data) if syntax == "json" else yaml.safe_dump(data, allow_unicode=True)


@FEW
@given(st.text(max_size=200), st.sampled_from(["yaml", "json"]))
@example("a: [" * 5000, "yaml")
@example("[" * 100000 + "]" * 100000, "json")
def test_any_text_is_a_plan_or_one_clear_mistake(text: str, syntax: str) -> None:
    assert_sound(outcome(text, syntax))


@FEW
@given(FILES, st.sampled_from(["yaml", "json"]))
def test_any_structure_is_a_plan_or_one_clear_mistake(data: dict[str, Any], syntax: str) -> None:
    assert_sound(outcome(dump(data, syntax), syntax))


@FEW
@given(st.dictionaries(st.sampled_from(["status", "latencyMs", "bodyMatches", "json", "headers"]), SHAPED))
def test_any_expectation_is_a_plan_or_one_clear_mistake(expect: dict[str, Any]) -> None:
    data = {"checks": [{"name": "c", "path": "/", "expect": expect}]}
    for syntax in ("yaml", "json"):
        assert_sound(outcome(dump(data, syntax), syntax))


# ---- what the properties found, pinned ----------------------------------------------------------------
def one_check(expect: str) -> str:
    return f'{{"checks": [{{"name": "c", "path": "/", "expect": {expect}}}]}}'


@pytest.mark.parametrize(
    ("text", "syntax", "where"),
    [
        (one_check('{"latencyMs": 1e20}'), "json", "/checks/0/expect/latencyMs"),
        (one_check('{"latencyMs": 230001}'), "json", "/checks/0/expect/latencyMs"),
        ('{"defaults": {"latencyMs": 99999999999999999999}, "checks": [{"name": "c", "path": "/"}]}', "json",
         "/defaults/latencyMs"),
        ('{"checks": [{"name": "c", "path": "/", "timeout": NaN}]}', "json", "/checks/0/timeout"),
        ('{"checks": [{"name": "c", "path": "/", "query": {"q": 1e400}}]}', "json", "/checks/0/query/q"),
        ("checks:\n- {name: c, path: /, body: {x: .nan}}\n", "yaml", "/checks/0/body/x"),
        (one_check('{"bodyMatches": "a{99999999999}"}'), "json", "/checks/0/expect/bodyMatches"),
        (one_check(json.dumps({"bodyMatches": "(" * 5000})), "json", "/checks/0/expect/bodyMatches"),
        ("[" * 100000 + "]" * 100000, "json", "nested more than"),
        ("[" * 5000 + "]" * 5000, "yaml", "nested more than"),
    ],
)  # fmt: skip
def test_what_cannot_be_a_plan_is_one_usage_error_naming_it(text: str, syntax: Any, where: str) -> None:
    error = outcome(text, syntax)
    assert isinstance(error, UsageError)
    assert error.message.startswith(SOURCE)
    assert where in error.message


def test_yaml_keys_json_cannot_hold_are_read_as_text() -> None:
    plan = parse_checks("checks:\n- name: c\n  path: /\n  query: {2024-01-01: x, 7: y, true: z, null: n}\n")
    assert plan.checks[0].query == {"2024-01-01": "x", "7": "y", "true": "z", "null": "n"}


def test_whole_numbers_written_as_decimals_are_ints_in_the_plan() -> None:
    text = '{"warmup": {"attempts": 5.0}, "checks": [{"name": "c", "path": "/", "expect": ' + (
        '{"status": 200.0, "latencyMs": 250.0}}]}'
    )
    plan = parse_checks(text, source=SOURCE, syntax="json")
    assert plan.warmup.attempts == 5
    assert type(plan.warmup.attempts) is int
    assert plan.checks[0].expect.status == (200,)
    assert type(plan.checks[0].expect.status[0]) is int
    assert plan.checks[0].expect.latency_ms == 250
    assert type(plan.checks[0].expect.latency_ms) is int


def test_a_yaml_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 values
    error = outcome("\n".join(lines) + "\nchecks: []\n", "yaml")
    assert isinstance(error, UsageError)
    assert f"more than {MAX_VALUES:,} values" in error.message


def test_nesting_past_the_limit_names_where() -> None:
    body: Any = "deep"
    for _ in range(MAX_DEPTH):
        body = [body]
    error = outcome(json.dumps({"checks": [{"name": "c", "path": "/", "body": body}]}), "json")
    assert isinstance(error, UsageError)
    assert error.message.startswith(f"{SOURCE}: /checks/0/body/0/")
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message
