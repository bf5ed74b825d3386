"""``slotwise slot smoke`` and ``run_smoke`` against the live emulator: checks, keys, warm-up, faults.

Builds are put into the staging slot the way another tool would (a raw Kudu zip deploy); what a
function answers comes from its ``emulator.json``. Operations run on a ``FastClock``: retries and
warm-up waits are recorded in ``fast_clock.sleeps`` instead of being waited out; delays the emulator
itself takes (``delayMs``) are real.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.azure.models import SlotRef
from slotwise.cli.main import cli
from slotwise.events import RecordingReporter
from slotwise.services import Services
from slotwise.slots.smoke import SmokeReport, load_checks, run_smoke
from slotwise.slots.smoke_checks import schema_text
from slotwise_emulator import Emulator, FunctionApp
from tests.fakes import FastClock
from tests.packages import app_files, http_function, write_zip

STAGING = SlotRef("rg-demo", "func-demo", "staging")

ALL_KINDS = """\
checks:
  - name: health
    path: /api/health
    expect:
      status: 200
      bodyContains: healthy
      json:
        - {path: $.version, equals: "7"}
        - {path: $.missing, exists: false}
      headers:
        Content-Type: {matches: ^application/json}
  - name: hello with its function key
    function: hello
    routeParams: {name: world}
    query: {greeting: hi}
    expect:
      json: [{path: $.params.name, equals: world}, {path: $.query.greeting, equals: hi}]
  - name: items with a host key
    function: items
    auth: host
    routeParams: {id: 42}
    expect: {json: [{path: "$.params.id", equals: "42"}]}
  - name: hello with the master key
    function: hello
    auth: master
    method: POST
    body: {"ping": true}
  - name: reset takes the master key by default
    function: reset
  - name: build header
    path: /api/stamped
    expect:
      headers: {X-Build: "7"}
"""


class Staging:
    """The staging slot of func-demo: its hosts, and builds put into it with a raw zip deploy."""

    def __init__(self, emulator: Emulator, token: str, tmp_path: Path) -> None:
        self.emulator, self.token, self.tmp_path = emulator, token, tmp_path
        sub = emulator.subscription_id
        self.slot = emulator.call(lambda b: b.web.slot(sub, "rg-demo", "func-demo", "staging"))
        self.verify = str(emulator.ca_path)

    def deploy(self, version: str = "7", **functions: dict[str, Any]) -> None:
        """A build: tests/packages' functions plus ``functions`` (name -> emulator.json), each an
        anonymous GET function at ``/api/<name>``."""
        files = app_files(version)
        for name, answer in functions.items():
            files[f"{name}/function.json"] = http_function(name, auth="anonymous")
            files[f"{name}/emulator.json"] = answer
        files["stamped/function.json"] = http_function("stamped", auth="anonymous")
        files["stamped/emulator.json"] = {"body": "ok", "headers": {"X-Build": version}}
        package = write_zip(self.tmp_path / f"build-{version}.zip", files)
        with package.open("rb") as body:
            answer = requests.post(
                f"https://{self.slot.scm_host_name}/api/zipdeploy",
                data=body,
                headers={"Authorization": f"Bearer {self.token}"},
                verify=self.verify,
                timeout=60,
            )
        assert answer.status_code == 200, answer.text

    def fault(self, **rule: Any) -> None:
        answer = requests.post(
            f"{self.emulator.arm_url}/_emulator/faults", json=rule, verify=self.verify, timeout=30
        )
        assert answer.status_code in (200, 201), answer.text

    def secrets(self) -> list[str]:
        found = requests.get(f"{self.emulator.arm_url}/_emulator/secrets", verify=self.verify, timeout=30)
        data = found.json()
        return [s for group in ("clientSecrets", "keys", "tokens") for s in data[group] if s]


@pytest.fixture
def staging(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> Staging:
    return Staging(emulator, arm_token, tmp_path)


def smoke(
    services: Services, tmp_path: Path, checks: str, **options: Any
) -> tuple[SmokeReport, RecordingReporter]:
    file = tmp_path / "checks.yaml"
    file.write_text(checks)
    reporter = RecordingReporter()
    return run_smoke(services, STAGING, load_checks(file), reporter=reporter, **options), reporter


def invoke(services: Services, *args: str) -> Result:
    """The CLI, with the test's services (FastClock) instead of ones built from the environment."""
    command = ["slot", "smoke", "-g", "rg-demo", "-n", "func-demo", "-s", "staging", *args]
    return CliRunner().invoke(cli, command, obj={"services": services})


def by_name(report: SmokeReport) -> dict[str, Any]:
    return {r.name: r for r in report.results}


# ---- checks ----------------------------------------------------------------------------------------
def test_every_kind_of_check_passes_on_a_good_build(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    report, reporter = smoke(services, tmp_path, ALL_KINDS)
    assert report.passed, [(r.name, r.failures) for r in report.results]
    assert [r.name for r in report.results][:2] == ["health", "hello with its function key"]  # file order
    results = by_name(report)
    assert results["hello with its function key"].request == "GET /api/hello/world"
    assert results["hello with the master key"].request == "POST /api/hello"
    assert results["reset takes the master key by default"].request == "POST /api/ops/reset"
    assert all(r.status == 200 and r.latency_ms is not None for r in report.results)
    assert report.url == f"https://{staging.slot.host_name}"
    assert report.warmup.passed
    assert report.warmup.attempts == 1
    assert any("6 check(s)" in text for text in reporter.texts("step"))


def test_requests_go_to_the_slots_own_host(staging: Staging, services: Services, tmp_path: Path) -> None:
    staging.deploy("7")
    requests.delete(f"{staging.emulator.arm_url}/_emulator/requests", verify=staging.verify, timeout=30)
    report, _ = smoke(services, tmp_path, ALL_KINDS)
    assert report.passed
    log = requests.get(f"{staging.emulator.arm_url}/_emulator/requests", verify=staging.verify, timeout=30)
    site_calls = [r for r in log.json()["value"] if r["kind"] == "site"]
    assert {r["host"] for r in site_calls} == {staging.slot.host_name}
    assert all("code" not in (r.get("query") or "") for r in site_calls)  # keys travel in a header


def test_a_key_the_check_does_not_send_is_refused(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    report, _ = smoke(services, tmp_path, "checks:\n  - {name: keyless, function: hello, auth: none}\n")
    assert not report.passed
    assert report.results[0].failures == ("expected a 2xx status, got 401",)


def test_a_broken_build_fails_with_the_reason(
    staging: Staging, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    staging.deploy("8", health={"status": 500, "body": {"status": "unhealthy", "version": "8"}})
    report, _ = smoke(services, tmp_path, ALL_KINDS)
    assert not report.passed
    health = by_name(report)["health"]
    assert health.status == 500
    assert health.failures[0] == "expected status 200, got 500"
    assert 'expected the body to contain "healthy"' not in health.failures  # "unhealthy" contains it
    assert 'expected $.version to equal "7", got "8"' in health.failures
    assert "unhealthy" in health.excerpt
    assert (report.failed_count, report.passed_count) == (2, 4)
    assert by_name(report)["build header"].failures == ('expected header X-Build to be "7", got "8"',)
    assert len(fast_clock.sleeps) == 2  # 500 was retried 3 times: at once, then after two backoffs


def test_the_latency_budget_is_enforced(staging: Staging, services: Services, tmp_path: Path) -> None:
    staging.deploy("7", slow={"body": "late", "delayMs": 600})
    checks = (
        "defaults: {latencyMs: 300}\n"
        "checks:\n  - {name: slow, path: /api/slow}\n  - {name: fast, path: /api/health}\n"
    )
    report, _ = smoke(services, tmp_path, checks)
    slow, fast = report.results
    assert not slow.passed
    assert fast.passed
    assert slow.latency_ms is not None
    assert slow.latency_ms >= 600
    assert slow.failures[0].startswith("took ")
    assert slow.failures[0].endswith("over the budget of 300 ms")


def test_a_wrong_function_name_says_which_functions_exist(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    report, _ = smoke(services, tmp_path, "checks:\n  - {name: typo, function: helo}\n")
    assert report.results[0].failures == (
        "there is no function named 'helo' on func-demo/staging "
        "(its HTTP functions: health, hello, items, reset, stamped)",
    )


def test_a_redirect_is_reported_not_followed(staging: Staging, services: Services, tmp_path: Path) -> None:
    staging.deploy(
        "7", moved={"status": 302, "body": None, "headers": {"Location": "https://elsewhere.example/"}}
    )
    report, _ = smoke(services, tmp_path, "checks:\n  - {name: moved, path: /api/moved}\n")
    assert report.results[0].failures == (
        'expected a 2xx status, got 302: redirected to "https://elsewhere.example/" '
        "(redirects are not followed)",
    )


# ---- warm-up and transient faults -------------------------------------------------------------------
def test_the_warm_up_waits_until_the_slot_answers(
    staging: Staging, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    staging.deploy("7")
    staging.fault(kind="site", status=503, count=3)
    report, reporter = smoke(
        services, tmp_path, "warmup: {interval: 5}\nchecks:\n  - {name: health, path: /api/health}\n"
    )
    assert report.passed
    assert report.warmup.attempts == 4
    assert fast_clock.sleeps == [5.0, 5.0, 5.0]
    assert sum("Warm-up attempt" in t for t in reporter.texts("detail")) == 3


def test_the_warm_up_gives_up_within_its_bounds(
    staging: Staging, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    staging.deploy("7")
    staging.fault(kind="site", status=503, count=None)
    checks = (
        "warmup: {attempts: 100, timeout: 20, interval: 3}\nchecks:\n  - {name: health, path: /api/health}\n"
    )
    report, reporter = smoke(services, tmp_path, checks)
    assert not report.passed
    assert not report.warmup.passed
    assert report.warmup.attempts == 7  # 0, 3, 6, ... 18 s: the next one would start after 20 s
    assert sum(fast_clock.sleeps) <= 20
    assert report.results[0].skipped
    assert report.results[0].failures == ("not run: the warm-up failed",)
    assert "answered 503" in (report.warmup.failure or "")
    assert reporter.texts("warning")


def test_the_warm_up_attempts_are_bounded_too(
    staging: Staging, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    staging.fault(kind="site", drop=True, count=None)
    report, _ = smoke(
        services, tmp_path, "warmup: {attempts: 3}\nchecks:\n  - {name: h, path: /api/health}\n"
    )
    assert (report.warmup.passed, report.warmup.attempts) == (False, 3)
    assert len(fast_clock.sleeps) == 2


def test_throttling_with_retry_after_is_survived(
    staging: Staging, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    staging.deploy("7")
    staging.fault(
        kind="site", path="/api/health$", status=429, retry_after=2, count=1, code="TooManyRequests"
    )
    report, _ = smoke(services, tmp_path, "checks:\n  - {name: health, path: /api/health}\n")
    assert report.passed
    assert 2.0 in fast_clock.sleeps
    assert report.results[0].waited_s == pytest.approx(2.0)


def test_a_dropped_connection_and_503s_are_survived(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    staging.fault(kind="site", path="/api/health$", drop=True, count=1)
    staging.fault(kind="site", path="/api/hello", status=503, count=2)
    checks = "checks:\n  - {name: health, path: /api/health}\n  - {name: hello, function: hello}\n"
    report, _ = smoke(services, tmp_path, checks)
    assert report.passed, [r.failures for r in report.results]


def test_a_fault_that_outlasts_the_retries_fails_the_check(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    staging.fault(kind="site", path="/api/health$", drop=True, count=None)
    report, _ = smoke(services, tmp_path, "checks:\n  - {name: health, path: /api/health}\n")
    (failure,) = report.results[0].failures
    assert failure.startswith(f"the connection to {staging.slot.host_name} failed before a full answer")


# ---- the command ------------------------------------------------------------------------------------
def test_the_command_prints_a_table_and_writes_reports(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("7")
    (tmp_path / "checks.yaml").write_text(ALL_KINDS)
    junit, summary = tmp_path / "out" / "smoke.xml", tmp_path / "out" / "smoke.md"
    result = invoke(
        services, "--checks", str(tmp_path / "checks.yaml"), "--junit", str(junit), "--markdown", str(summary)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["CHECK", "RESULT", "STATUS", "LATENCY", "DETAILS"]
    assert "6 of 6 checks passed on func-demo/staging" in result.stdout
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314 - our own output
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("7", "0")
    assert "Smoke tests passed" in summary.read_text()


def test_a_broken_build_exits_8_after_printing_everything(
    staging: Staging, services: Services, tmp_path: Path
) -> None:
    staging.deploy("8", health={"status": 500, "body": "boom"})
    (tmp_path / "checks.yaml").write_text(ALL_KINDS)
    junit = tmp_path / "smoke.xml"
    result = invoke(services, "--checks", str(tmp_path / "checks.yaml"), "--junit", str(junit), "-o", "json")
    assert result.exit_code == 8, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["counts"]["failed"] == 2
    assert "expected status 200, got 500" in data["checks"][0]["failures"]
    assert "2 of 6 smoke checks failed on func-demo/staging: health, build header." in result.stderr
    assert "Traceback" not in result.output
    failure = ET.parse(junit).getroot().find("testsuite/testcase[@name='health']/failure")  # noqa: S314 - our own output
    assert failure is not None
    assert failure.get("message", "").startswith("expected status 200, got 500")


def test_a_bad_checks_file_exits_2_naming_the_field(services: Services, tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text(
        "checks:\n  - name: x\n    path: /api/x\n    expect: {status: ok}\n"
    )
    result = invoke(services, "--checks", str(tmp_path / "checks.yaml"))
    assert result.exit_code == 2
    assert '/checks/0/expect/status (line 4): got the text "ok"' in result.stderr
    assert "Traceback" not in result.output


def test_the_schema_is_printed_without_other_options() -> None:
    result = CliRunner().invoke(cli, ["slot", "smoke", "--print-schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(schema_text())


def test_no_key_reaches_any_output(staging: Staging, services: Services, tmp_path: Path) -> None:
    sub = staging.emulator.subscription_id
    hello_key = staging.emulator.call(
        lambda b: b.web.function_keys(b.web.slot(sub, "rg-demo", "func-demo", "staging"), "hello")["default"]
    )
    master = staging.slot.master_key
    leaky = {"status": 500, "body": f"master={master} hello={hello_key} ##vso[task.setvariable variable=x]1"}
    staging.deploy("9", leaky=leaky, echo={"body": f"{master}", "headers": {"X-Key": hello_key}})
    checks = ALL_KINDS + (
        "  - {name: leaky, path: /api/leaky}\n"
        "  - {name: echo, path: /api/echo, expect: {headers: {X-Key: nope}, bodyContains: nope}}\n"
    )
    (tmp_path / "checks.yaml").write_text(checks)
    junit, summary = tmp_path / "smoke.xml", tmp_path / "smoke.md"
    outputs = []
    for fmt in ("table", "json"):
        result = invoke(
            services,
            "--checks",
            str(tmp_path / "checks.yaml"),
            "--junit",
            str(junit),
            "--markdown",
            str(summary),
            "-o",
            fmt,
        )
        assert result.exit_code == 8, result.output
        outputs += [result.stdout, result.stderr, junit.read_text(), summary.read_text()]
    secrets = staging.secrets()
    assert master in secrets
    assert hello_key in secrets
    for text in outputs:
        assert not [s for s in secrets if s in text]
        assert "##vso[" not in text
    assert "master=*** hello=***" in outputs[0] or "master=*** hello=***" in outputs[2]
