"""Smoke reports: JUnit XML that parses with the right counts, the markdown summary, the table rows, and
the judging and sanitising of remote text that feeds them. Pure: no emulator, no network."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from slotwise.azure.functions_host import HostAnswer
from slotwise.azure.models import FunctionInfo, SlotRef
from slotwise.errors import UsageError
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke_assert import judge
from slotwise.slots.smoke_plan import Expectation, HeaderExpectation, JsonExpectation
from slotwise.slots.smoke_report import (
    CheckResult,
    SmokeReport,
    WarmupResult,
    junit_xml,
    markdown,
    summary_line,
    table_rows,
)
from slotwise.slots.smoke_targets import choose_method, fill_route, route_of
from slotwise.slots.smoke_text import body_excerpt, neutralise, safe_text

STAGING = SlotRef("rg-demo", "func-demo", "staging")
STARTED = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
WARM = WarmupResult("GET /", True, 2, 1.5, 200)
KEY = "s3cr3t-key-value=="


def report(*results: CheckResult, warmup: WarmupResult = WARM) -> SmokeReport:
    return SmokeReport(STAGING, "https://func-demo-staging.azurewebsites.net", STARTED, 2.25, warmup, results)


PASSED = CheckResult("health", "GET /api/health", True, 200, 12.3, excerpt='{"status": "healthy"}')
FAILED = CheckResult(
    "hello <b>&</b>",
    "GET /api/hello",
    False,
    500,
    40.0,
    ("expected status 200, got 500", 'expected the body to contain "hi"'),
    excerpt="boom | [link](https://evil.example) \ufffe",
)
NOT_RUN = CheckResult(
    "items", "function items", False, failures=("not run: the warm-up failed",), skipped=True
)


# ---- JUnit ---------------------------------------------------------------------------------------------
def test_junit_has_one_suite_a_case_per_check_and_the_right_counts() -> None:
    root = ET.fromstring(junit_xml(report(PASSED, FAILED)))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "0",
    }
    assert (suite.get("time"), suite.get("timestamp")) == ("2.250", "2025-03-01T12:00:00")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["warm-up", "health", "hello <b>&</b>"]
    assert cases[1].get("time") == "0.012"
    assert cases[1].find("failure") is None
    failure = cases[2].find("failure")
    assert failure is not None
    assert failure.get("message") == 'expected status 200, got 500; expected the body to contain "hi"'
    assert "request: GET /api/hello" in (failure.text or "")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["slot"] == "staging"


def test_junit_escapes_and_drops_what_xml_cannot_carry() -> None:
    evil = CheckResult('a"<&>\x01', "GET /", False, 500, 1.0, ("got \x00 and \x1b]",), excerpt="\ud800")
    text = junit_xml(report(evil))
    root = ET.fromstring(text)  # parses: nothing unescaped, no characters XML 1.0 forbids  # noqa: S314 - our own output
    case = root.findall("testsuite/testcase")[1]
    assert case.get("name") == 'a"<&>\ufffd'
    assert "\x00" not in text
    assert "\x1b" not in text


def test_junit_marks_checks_that_did_not_run_as_skipped_and_the_warm_up_as_failed() -> None:
    cold = WarmupResult("GET /", False, 5, 20.0, 503, "the slot did not answer GET / as expected")
    root = ET.fromstring(junit_xml(report(NOT_RUN, warmup=cold)))  # noqa: S314 - our own output
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    warm, items = suite.findall("testcase")
    assert warm.find("failure") is not None
    assert items.find("skipped") is not None


# ---- markdown and table --------------------------------------------------------------------------------
def test_markdown_tells_approvers_the_verdict_counts_and_reasons() -> None:
    text = markdown(report(PASSED, FAILED))
    assert text.startswith("## Smoke tests FAILED: func-demo/staging\n")
    assert "<https://func-demo-staging.azurewebsites.net>" in text
    assert "**1 passed**, **1 failed** of 2 checks in 2.2 s" in text
    assert "| health | passed | 200 | 12 ms | GET /api/health |" in text
    assert "### Failures" in text
    assert "expected status 200, got 500" in text


def test_markdown_cells_cannot_break_the_table_or_become_links_or_html() -> None:
    text = markdown(report(FAILED))
    assert "hello &lt;b&gt;&amp;&lt;/b&gt;" in text
    assert "boom \\| \\[link\\](https://evil.example)" in text
    assert "<b>" not in text
    assert "[link](" not in text


def test_markdown_of_a_passing_run() -> None:
    text = markdown(report(PASSED))
    assert text.startswith("## Smoke tests passed")
    assert "### Failures" not in text


def test_table_rows_and_summary() -> None:
    assert table_rows(report(PASSED, FAILED)) == [
        ["health", "PASS", "200", "12 ms", "GET /api/health"],
        [
            "hello <b>&</b>",
            "FAILED",
            "500",
            "40 ms",
            'expected status 200, got 500; expected the body to contain "hi"',
        ],
    ]
    assert summary_line(report(PASSED, FAILED)) == "1 of 2 checks passed on func-demo/staging in 2.2 s"
    cold = report(NOT_RUN, warmup=WarmupResult("GET /", False, 3, 9.0, None, "no answer"))
    assert table_rows(cold)[0] == ["warm-up", "FAILED", "-", "-", "no answer"]
    assert cold.as_dict()["counts"] == {"total": 1, "passed": 0, "failed": 0, "notRun": 1}
    assert not cold.passed
    assert cold.failed_count == 2


# ---- judging answers -----------------------------------------------------------------------------------
def answer(
    status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None, latency: float = 0.01
) -> HostAnswer:
    return HostAnswer(status, {k.lower(): v for k, v in (headers or {}).items()}, body, False, latency, 0.0)


def test_judging_says_what_was_expected_and_what_came() -> None:
    expect = Expectation(
        status=(200, 204),
        body_contains=("ok",),
        body_matches=r"v\d",
        json=(JsonExpectation("$.a", equals=1), JsonExpectation("$.b[0]", exists=True)),
        headers=(HeaderExpectation("X-Build", equals="7"), HeaderExpectation("X-Zone", matches="^eu")),
        latency_ms=100,
    )
    got = answer(503, b'{"a": true, "b": []}', {"X-Build": "6", "X-Zone": "us-1"}, latency=0.25)
    assert judge(expect, got, SecretRegistry()) == [
        "expected status 200 or 204, got 503",
        'expected the body to contain "ok"',
        r"expected the body to match /v\d/",
        "expected $.a to equal 1, got true",
        "expected $.b[0] to exist, but $.b[0] is missing",
        'expected header X-Build to be "7", got "6"',
        'expected header X-Zone to match /^eu/, got "us-1"',
        "took 250 ms, over the budget of 100 ms",
    ]


def test_judging_a_body_that_is_not_json_and_a_missing_header() -> None:
    expect = Expectation(
        json=(JsonExpectation("$.a", equals=1),), headers=(HeaderExpectation("X-A", equals="1"),)
    )
    assert judge(expect, answer(200, b"<html>"), SecretRegistry()) == [
        "expected a JSON body (for $.a), but the body is not JSON",
        "expected header X-A, but the answer has none",
    ]


def test_judging_passes_a_matching_answer() -> None:
    expect = Expectation(json=(JsonExpectation("$.n", equals=2.0), JsonExpectation("$.x", exists=False)))
    assert judge(expect, answer(201, b'{"n": 2}'), SecretRegistry()) == []


def test_remote_text_in_sentences_is_masked_and_neutralised() -> None:
    secrets = SecretRegistry()
    secrets.add(KEY)
    got = answer(302, b"", {"Location": f"https://x/?code={KEY}\n##vso[task.complete result=Succeeded]"})
    (sentence,) = judge(Expectation(), got, secrets)
    assert KEY not in sentence
    assert "***" in sentence
    assert "##vso[" not in sentence
    assert "\n" not in sentence
    assert sentence.startswith('expected a 2xx status, got 302: redirected to "https://x/?code=***')


def test_neutralising_breaks_logging_commands_and_escapes_controls() -> None:
    assert neutralise("a\r\nb\tc") == "a b c"
    assert (
        neutralise("x ##vso[task.setvariable]y ##[error]z ###")
        == "x # #vso[task.setvariable]y # #[error]z # # #"
    )
    assert neutralise("\x1b[31mred\x07\u202e") == "\\x1b[31mred\\x07\\u202e"
    assert safe_text("a" * 300, SecretRegistry(), 10) == "aaaaaaaaa\u2026"
    assert body_excerpt(b"\xff\xfeok", SecretRegistry()) == "\ufffd\ufffdok"


def test_a_secret_cut_by_the_excerpt_is_still_masked() -> None:
    secrets = SecretRegistry()
    secrets.add(KEY)
    excerpt = body_excerpt(b"x" * 190 + KEY.encode(), secrets)
    assert "s3cr" not in excerpt


# ---- targets -------------------------------------------------------------------------------------------
def fn(route: str | None, methods: tuple[str, ...] = ()) -> FunctionInfo:
    url = f"https://func-demo-staging.azurewebsites.net/api/{route}" if route is not None else None
    return FunctionInfo("hello", url, "function", methods)


@pytest.mark.parametrize(
    ("template", "values", "path"),
    [
        ("/api/hello/{name?}", {}, "/api/hello"),
        ("/api/hello/{name?}", {"name": "a b/c"}, "/api/hello/a%20b%2Fc"),
        ("/api/items/{id:int}", {"id": "42"}, "/api/items/42"),
        ("/api/items/{id:int=5}/x", {}, "/api/items/5/x"),
        ("/api/files/{*rest}", {"rest": "a/b c"}, "/api/files/a/b%20c"),
        ("/api/files/{*rest}", {}, "/api/files"),
        ("/api/v{version:int}/status", {"version": "2"}, "/api/v2/status"),
    ],
)
def test_routes_are_filled_from_route_params(template: str, values: dict[str, str], path: str) -> None:
    assert fill_route("hello", template, values) == path


def test_a_required_route_parameter_without_a_value_is_a_clear_problem() -> None:
    with pytest.raises(
        UsageError, match="function 'items' needs a value for route parameter 'id' \\(routeParams\\)"
    ):
        fill_route("items", "/api/items/{id:int}", {})


def test_the_route_comes_from_the_invoke_url_template_not_the_host() -> None:
    assert route_of(fn("hello/{name?}")) == "/api/hello/{name?}"
    assert route_of(fn("%7Bx%7D")) == "/api/{x}"
    with pytest.raises(UsageError, match="has no HTTP trigger"):
        route_of(fn(None))


def test_the_method_is_one_the_function_accepts() -> None:
    assert choose_method(fn("x"), None) == "GET"
    assert choose_method(fn("x", ("POST", "PUT")), None) == "POST"
    assert choose_method(fn("x", ("GET", "POST")), "POST") == "POST"
    with pytest.raises(UsageError, match="function 'hello' accepts POST, not GET"):
        choose_method(fn("x", ("POST",)), "GET")
