"""Checks files: the published schema, YAML and JSON, the plan they make, the messages for mistakes,
and the small JSON path language. Pure, except the few tests of ``load_checks`` reading a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from slotwise.cli.remedies import advice as told
from slotwise.errors import UsageError
from slotwise.slots.smoke_checks import load_checks, parse_checks, schema_text
from slotwise.slots.smoke_jsonpath import json_equal, lookup, parse_path, render
from slotwise.slots.smoke_plan import (
    DEFAULT_TIMEOUT,
    Body,
    HeaderExpectation,
    JsonExpectation,
    Target,
    Warmup,
)

FULL = """\
# every field once
version: 1
defaults:
  timeout: 10
  latencyMs: 800
  headers: {X-Smoke: "1", Accept: application/json}
warmup:
  function: health
  attempts: 5
  timeout: 60
  interval: 3
  expect: {status: [200, 204]}
checks:
  - name: health
    path: /api/health
    method: get
    headers: {Accept: text/plain}
    query: {verbose: true, n: 2}
    timeout: 5
    expect:
      status: 200
      bodyContains: [healthy, version]
      bodyMatches: '"version": "\\\\d+"'
      json:
        - {path: "$.items[0].id", equals: 1}
        - {path: $.gone, exists: false}
      headers:
        X-Build: "42"
        Content-Type: {matches: ^application/json}
      latencyMs: 250
  - name: hello
    function: hello
    routeParams: {name: world, n: 3}
    auth: host
    body: {ping: true}
  - name: echo
    path: /api/echo
    method: POST
    auth: master
    body: plain text
"""


def problem(text: str, syntax: Any = "yaml") -> str:
    with pytest.raises(UsageError) as raised:
        parse_checks(text, source="checks.yaml", syntax=syntax)
    return raised.value.message


# ---- the schema ---------------------------------------------------------------------------------------
def test_the_schema_is_a_valid_draft_2020_12_schema_with_docs() -> None:
    schema = json.loads(schema_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert schema["description"]
    undocumented = [
        name for name, sub in schema["$defs"].items() if "title" not in sub and "description" not in sub
    ]
    assert undocumented == []


def test_the_schema_accepts_the_full_example() -> None:
    import yaml

    Draft202012Validator(json.loads(schema_text())).validate(yaml.safe_load(FULL))


# ---- the plan -----------------------------------------------------------------------------------------
def test_a_full_file_becomes_a_plan_with_defaults_merged() -> None:
    plan = parse_checks(FULL, source="checks.yaml")
    health, hello, echo = plan.checks
    assert plan.source == "checks.yaml"
    assert plan.default_timeout == 10
    assert health.target == Target(path="/api/health", method="GET")
    assert health.headers == {"X-Smoke": "1", "Accept": "text/plain"}  # the check's own header wins
    assert health.query == {"verbose": "true", "n": "2"}
    assert health.expect.status == (200,)
    assert health.expect.body_contains == ("healthy", "version")
    assert health.expect.json == (
        JsonExpectation("$.items[0].id", equals=1),
        JsonExpectation("$.gone", exists=False),
    )
    assert health.expect.headers == (
        HeaderExpectation("X-Build", equals="42"),
        HeaderExpectation("Content-Type", matches="^application/json"),
    )
    assert health.expect.latency_ms == 250
    assert hello.expect.latency_ms == 800
    assert hello.target == Target(function="hello", route_params={"name": "world", "n": "3"}, auth="host")
    assert hello.body == Body(b'{"ping":true}', "application/json")
    assert echo.body == Body(b"plain text", "text/plain; charset=utf-8")
    assert plan.warmup == Warmup(
        Target(function="health"), status=(200, 204), attempts=5, timeout=60, interval=3
    )


def test_timeouts_the_check_then_the_command_line_then_the_file_then_30_s() -> None:
    plan = parse_checks(FULL)
    health, hello, _ = plan.checks
    assert plan.timeout_of(health, 20) == 5
    assert plan.timeout_of(hello, 20) == 20
    assert plan.timeout_of(hello) == 10
    bare = parse_checks("checks: [{name: a, path: /}]")
    assert bare.timeout_of(bare.checks[0]) == DEFAULT_TIMEOUT


def test_the_default_warm_up_asks_for_the_root_until_it_answers() -> None:
    warmup = parse_checks("checks: [{name: a, path: /}]").warmup
    assert warmup.target == Target(path="/")
    assert warmup.accepts(200)
    assert warmup.accepts(404)
    assert not warmup.accepts(503)
    assert not warmup.accepts(429)
    keyed = parse_checks("warmup: {auth: master, attempts: 2}\nchecks: [{name: a, path: /}]").warmup
    assert keyed.target == Target(path="/", auth="master")
    assert keyed.attempts == 2


def test_json_files_are_read_as_json(tmp_path: Path) -> None:
    file = tmp_path / "checks.json"
    file.write_text(
        json.dumps({"checks": [{"name": "a", "function": "hello", "expect": {"status": [200, 201]}}]})
    )
    plan = load_checks(file)
    assert plan.checks[0].expect.status == (200, 201)
    assert plan.source == str(file)


def test_yaml_values_json_does_not_have_are_seen_as_json() -> None:
    plan = parse_checks("checks:\n  - {name: a, path: /, query: {since: 2025-01-02}}\n")
    assert plan.checks[0].query == {"since": "2025-01-02"}


# ---- mistakes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "checks:\n  - name: a\n    path: /x\n    expct: {status: 200}\n",
            "checks.yaml: /checks/0/expct (line 4): unknown field 'expct' (did you mean 'expect'?); allowed: "
            "auth, body, expect, function, headers, method, name, path, query, routeParams, timeout.",
        ),
        (
            "checks:\n  - name: a\n    path: /x\n    expect: {status: ok}\n",
            'checks.yaml: /checks/0/expect/status (line 4): got the text "ok"; '
            "expected an HTTP status code (100-599) or a non-empty list of them.",
        ),
        (
            "checks:\n  - name: a\n    path: /x\n    expect: {status: [200, 700]}\n",
            "checks.yaml: /checks/0/expect/status/1 (line 4): got the number 700; "
            "expected an HTTP status code (100-599).",
        ),
        (
            "checks:\n  - {name: a, path: /x, function: f}\n",
            "checks.yaml: /checks/0 (line 2): gives both 'function' and 'path'; "
            "expected a check: 'name' and exactly one of 'function' or 'path'.",
        ),
        (
            "checks:\n  - name: a\n",
            "checks.yaml: /checks/0 (line 2): gives none of 'function' or 'path'; "
            "expected a check: 'name' and exactly one of 'function' or 'path'.",
        ),
        (
            "checks:\n  - {path: /x}\n",
            "checks.yaml: /checks/0 (line 2): missing field 'name'; "
            "expected a check: 'name' and exactly one of 'function' or 'path'.",
        ),
        (
            "checks: []\n",
            "checks.yaml: /checks (line 1): the list is empty; expected a non-empty list of checks.",
        ),
        (
            "defaults: {}\n",
            "checks.yaml: the top level (line 1): missing field 'checks'; "
            "expected a mapping with a 'checks' list (and optionally 'defaults' and 'warmup').",
        ),
        ("", "checks.yaml: the top level: the file is empty; expected a mapping with a 'checks' list"),
        (
            "checks:\n  - {name: a, path: api/x}\n",
            'checks.yaml: /checks/0/path (line 2): got the text "api/x"; '
            "expected a path starting with '/', without '?' or '#'.",
        ),
        (
            "checks:\n  - {name: a, path: /x, method: FETCH}\n",
            'checks.yaml: /checks/0/method (line 2): got the text "FETCH"; expected an HTTP method',
        ),
        (
            "defaults: {timeout: 0}\nchecks: [{name: a, path: /x}]\n",
            "checks.yaml: /defaults/timeout (line 1): got the number 0; "
            "expected a number of seconds greater than 0 (at most 230).",
        ),
        (
            "checks:\n  - {name: a, path: /x, headers: {'bad name': v}}\n",
            "checks.yaml: /checks/0/headers/bad name (line 2): "
            'the text "bad name" is not a valid header name',
        ),
        (
            "checks:\n  - {name: a, path: /x, expect: {json: [{path: $.a}]}}\n",
            "checks.yaml: /checks/0/expect/json/0 (line 2): gives none of 'equals' or 'exists'",
        ),
        (
            "warmup: {path: /, function: f}\nchecks: [{name: a, path: /x}]\n",
            "checks.yaml: /warmup (line 1): gives both 'path' and 'function'",
        ),
        (
            "checks:\n  - {name: a, path: /x}\n  - {name: a, path: /y}\n",
            "checks.yaml: /checks/1/name (line 3): the name 'a' is used twice (also /checks/0/name).",
        ),
        (
            "checks:\n  - name: a\n    path: /x\n    expect:\n      bodyMatches: '(unclosed'\n",
            "checks.yaml: /checks/0/expect/bodyMatches (line 5): not a valid regular expression: missing ),",
        ),
        (
            "checks:\n  - {name: a, path: /x, expect: {headers: {X: {matches: '['}}}}\n",
            "checks.yaml: /checks/0/expect/headers/X/matches (line 2): not a valid regular expression",
        ),
        (
            "checks:\n  - {name: a, path: /x, expect: {json: [{path: '$.a[*]', equals: 1}]}}\n",
            "checks.yaml: /checks/0/expect/json/0/path (line 2): expected [number] or ['name'] at position 4 "
            "of '$.a[*]' (filters and wildcards are not supported).",
        ),
        (
            "checks:\n  - {name: a, path: /x, auth: function}\n",
            "checks.yaml: /checks/0/auth (line 2): auth 'function' needs a 'function' to take the key of",
        ),
    ],
)
def test_a_mistake_names_the_file_the_field_and_what_is_expected(text: str, message: str) -> None:
    assert problem(text).startswith(message)


def test_a_yaml_syntax_error_names_line_and_column() -> None:
    assert problem("checks:\n  - name: a\n   path: /x\n").startswith(
        "checks.yaml, line 3, column 4: not valid YAML:"
    )


def test_a_duplicate_yaml_key_is_refused_where_it_is() -> None:
    message = problem("checks:\n  - name: a\n    path: /x\n    path: /y\n")
    assert (
        message == "checks.yaml, line 4, column 5: not valid YAML: "
        "while reading a mapping found duplicate key 'path'."
    )


def test_a_json_syntax_error_names_line_and_column() -> None:
    assert problem('{"checks": [\n  }', syntax="json") == (
        "checks.yaml, line 2, column 3: not valid JSON: Expecting value."
    )


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"Cannot read the checks file .*nope\.yaml: No such file"):
        load_checks(tmp_path / "nope.yaml")


def test_mistakes_carry_a_hint_to_the_schema() -> None:
    with pytest.raises(UsageError) as raised:
        parse_checks("checks: []")
    assert "--print-schema" in told(raised.value)


# ---- JSON paths ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$.items[0].id", ("items", 0, "id")),
        ("$['odd name'][-1]", ("odd name", -1)),
        ('$["it\'s"].x-y', ("it's", "x-y")),
        ("$.a.b.c", ("a", "b", "c")),
    ],
)
def test_paths_parse_into_steps_and_render_back(path: str, steps: tuple[Any, ...]) -> None:
    assert parse_path(path) == steps
    assert parse_path(render(steps)) == steps


@pytest.mark.parametrize("path", ["items", "$.", "$[", "$[*]", "$..a", "$.a[?(@.x)]", "$ .a"])
def test_bad_paths_are_refused_with_a_position(path: str) -> None:
    with pytest.raises(ValueError, match=r"starts with|position"):
        parse_path(path)


def test_lookup_finds_values_and_says_what_is_missing() -> None:
    doc = {"items": [{"id": 1}, {"id": 2}], "name": None}
    assert lookup(doc, parse_path("$.items[-1].id")).value == 2
    assert lookup(doc, parse_path("$.name")).found  # null is a value
    missing = lookup(doc, parse_path("$.items[5].id"))
    assert (missing.found, missing.missing_at) == (False, "$.items[5]")
    assert lookup(doc, parse_path("$.name.first")).missing_at == "$.name.first"
    assert lookup([1], parse_path("$.a")).missing_at == "$.a"


def test_json_equality_is_jsons() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal(1, True)
    assert not json_equal("1", 1)
    assert json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal([1, 2], [2, 1])
