"""A swap Azure accepted is followed to its end whatever its status poll answers, through the CLI.

The swap's ``operationresults`` poll fails (503 after retries, 404, 403, 401, 409, a dropped
connection) while the service finishes the swap: slotwise finds the outcome out from the slots' own
state, and the hold record, the smoke checks and the swap-back follow as on the happy path. Only when
neither the poll nor the slots can be read is the outcome unknown (exit 10), said as such.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.azure.models import SlotRef
from slotwise.cli.main import cli
from slotwise.errors import OutcomeUnknown, SmokeFailed
from slotwise.services import Services
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests.functional.control import add_fault
from tests.functional.deploying import deploy_build, serving
from tests.packages import SMOKE_CHECKS

STAGING = SlotRef("rg-demo", "func-demo", "staging")
POLL = "/operationresults/"
SITE_READS = r"/sites/func-demo(/slots/[a-z]+)?$"
POLL_FAULTS: dict[str, dict[str, Any]] = {
    "503 after retries": {"status": 503, "count": None},
    "404": {"status": 404, "code": "NotFound", "message": "The operation is not found.", "count": None},
    "403": {"status": 403, "code": "AuthorizationFailed", "message": "No access.", "count": None},
    "401": {"status": 401, "code": "InvalidAuthenticationToken", "message": "Expired.", "count": None},
    "409": {"status": 409, "code": "Conflict", "shape": "appservice", "count": None,
            "message": "Cannot modify this site because another operation is in progress."},
    "dropped": {"drop": True, "count": None},
}  # fmt: skip


def run(services: Services, *args: str) -> Result:
    """The CLI, on ``services`` (sleeping on a FastClock, so retries and polls do not wait)."""
    return CliRunner().invoke(
        cli, ["slot", *args, "-g", "rg-demo", "-n", "func-demo"], obj={"services": services}
    )


def status(services: Services) -> dict[str, dict[str, Any]]:
    result = run(services, "status", "-o", "json")
    assert result.exit_code == 0, result.output
    return {entry["slot"]: entry for entry in json.loads(result.stdout)["slots"]}


def swaps_started(emulator: Emulator) -> int:
    return emulator.call(lambda b: len(b.web.operations))


@pytest.fixture
def checks(tmp_path: Path) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(SMOKE_CHECKS, encoding="utf-8")
    return path


@pytest.fixture
def builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    """Build 1 in production, build 2 in staging."""
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")


@pytest.fixture
def broken_staging(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    """Build 1 in production, broken build 2 (its health answers 500) in staging."""
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2", broken=True)


# ---- the poll fails, the swap completes -------------------------------------------------------------
@pytest.mark.usefixtures("builds")
@pytest.mark.parametrize("rule", list(POLL_FAULTS.values()), ids=list(POLL_FAULTS))
def test_a_failing_poll_of_a_completed_swap_still_records_the_hold_and_runs_the_checks(
    emulator: Emulator, services: Services, checks: Path, rule: dict[str, Any]
) -> None:
    add_fault(emulator, path=POLL, method="GET", **rule)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == 0, result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert "Smoke checks on production: all 2 passed" in result.output
    assert "refused" not in result.stdout
    hold = status(services)["staging"]["hold"]
    assert hold is not None
    assert hold["build"]
    assert swaps_started(emulator) == 1


@pytest.mark.usefixtures("builds")
def test_a_failing_poll_of_a_slow_swap_follows_it_by_reading_the_slots(
    emulator: Emulator, services: Services
) -> None:
    emulator.set_speed(Speed(swap_seconds=1.5))
    add_fault(emulator, path=POLL, method="GET", status=404, code="NotFound", count=None)
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == 0, result.output
    assert serving(emulator, "production") == "2"
    assert status(services)["staging"]["hold"] is not None
    assert "reading the slots" in result.output


@pytest.mark.usefixtures("broken_staging")
@pytest.mark.parametrize("name", ["404", "409", "dropped"])
def test_a_failing_poll_does_not_keep_a_build_that_fails_its_checks_live(
    emulator: Emulator, services: Services, checks: Path, name: str
) -> None:
    add_fault(emulator, path=POLL, method="GET", **POLL_FAULTS[name])
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == SmokeFailed.exit_code, result.output
    assert "swapped back" in result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
    assert status(services)["staging"]["hold"] is None  # the failing build is not a rollback
    assert swaps_started(emulator) == 2  # the swap and the swap back, nothing more


@pytest.mark.usefixtures("builds")
def test_a_swap_that_fails_on_the_service_is_a_refusal_even_when_its_poll_fails(
    emulator: Emulator, services: Services
) -> None:
    sub = emulator.subscription_id
    emulator.call(lambda b: b.web.fail_next_swap(sub, "rg-demo", "func-demo", message="did not warm up"))
    add_fault(emulator, path=POLL, method="GET", status=404, code="NotFound", count=None)
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == 4, result.output
    assert "did not take place" in result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
    assert status(services)["production"]["lastSwap"] is None


# ---- the answer to the start is lost -------------------------------------------------------------
@pytest.mark.usefixtures("builds")
@pytest.mark.parametrize("seconds", [0.0, 1.0])
def test_a_start_whose_answer_is_lost_is_followed_not_started_twice(
    emulator: Emulator, services: Services, checks: Path, seconds: float
) -> None:
    emulator.set_speed(Speed(swap_seconds=seconds))
    add_fault(emulator, path="/slotsswap$", method="POST", drop_after=True, count=1)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks))
    assert result.exit_code == 0, result.output
    assert swaps_started(emulator) == 1
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert status(services)["staging"]["hold"] is not None
    assert "all 2 passed" in result.output


# ---- nothing can be read: the outcome is unknown, and said so -------------------------------------
def _blind_after_first_poll(emulator: Emulator) -> threading.Thread:
    """Once the first poll arrives (it is answered 404 half a second later), every read of the slots
    fails too (403), so neither the operation nor the slots can tell how the swap ended."""
    add_fault(emulator, path=POLL, method="GET", status=404, code="NotFound", latency_ms=500, count=None)

    def watch() -> None:
        for _ in range(2000):
            hits = emulator.call(lambda b: sum(r.hits for r in b.faults.rules if r.path == POLL))
            if hits:
                add_fault(emulator, path=SITE_READS, method="GET", status=403, code="AuthorizationFailed",
                      message="No access.", count=None)  # fmt: skip
                return
            threading.Event().wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@pytest.mark.usefixtures("builds")
def test_when_neither_the_poll_nor_the_slots_answer_the_outcome_is_unknown(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    watcher = _blind_after_first_poll(emulator)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--timeout", "120")
    watcher.join(timeout=5)
    assert result.exit_code == OutcomeUnknown.exit_code, result.output
    assert "Azure accepted the swap of staging with production, but its outcome could not be found out" in (
        result.output
    )
    assert "slot status" in result.output
    assert "activity log" in result.output
    assert "then try again" not in result.output  # ConflictError's default: a retry would swap back
    assert "Traceback" not in result.output
    emulator.call(lambda b: b.faults.clear())
    assert serving(emulator, "production") == "2"  # the service did finish it
    assert swaps_started(emulator) == 1


# ---- the checks file is read before anything changes ------------------------------------------------
@pytest.mark.usefixtures("builds")
def test_an_invalid_checks_file_is_refused_before_the_swap(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("checks:\n  - name: health\n    path: /api/health\n    expct: {status: 200}\n")
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(typo), "--rollback-on-failure")
    assert result.exit_code == 2, result.output
    assert "typo.yaml" in result.output
    assert "expct" in result.output
    assert swaps_started(emulator) == 0
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


# ---- options that exclude each other are refused before anything is done ------------------------------
@pytest.mark.usefixtures("builds")
@pytest.mark.parametrize(
    "flags", [("--preview", "--complete"), ("--complete", "--cancel"), ("--preview", "--cancel")]
)
def test_two_phases_of_a_swap_with_preview_at_once_are_refused(
    emulator: Emulator, services: Services, flags: tuple[str, str]
) -> None:
    result = run(services, "swap", "-s", "staging", *flags)
    assert result.exit_code == 2, result.output
    assert f"{flags[0]} and {flags[1]} exclude each other" in result.output
    assert swaps_started(emulator) == 0
    assert services.web_apps.get(STAGING).target_swap_slot is None  # not prepared either
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("builds")
@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--rollback-on-failure",), "--rollback-on-failure needs --smoke-checks FILE"),
        (("--preview", "--smoke-checks", "{checks}"), "it does not go with --preview."),
        (
            ("--cancel", "--smoke-checks", "{checks}", "--rollback-on-failure"),
            "it does not go with --cancel.",
        ),
    ],
)
def test_checks_and_rollback_where_they_cannot_run_are_refused(
    emulator: Emulator, services: Services, checks: Path, flags: tuple[str, ...], said: str
) -> None:
    result = run(services, "swap", "-s", "staging", *(flag.format(checks=checks) for flag in flags))
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert swaps_started(emulator) == 0
    assert services.web_apps.get(STAGING).target_swap_slot is None
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


# ---- a swap already running is told as such -----------------------------------------------------------
@pytest.mark.usefixtures("builds")
def test_a_swap_refused_because_another_swap_runs_says_a_swap_is_in_progress(
    emulator: Emulator, services: Services
) -> None:
    emulator.set_speed(Speed(swap_seconds=600))
    services.web_apps.begin_swap(STAGING, "production")  # another release's swap, still running
    result = run(services, "swap", "-s", "staging")
    assert result.exit_code == 5, result.output
    assert "a swap of slot 'staging' with 'production' is in progress" in result.output
    assert "another operation is in progress" in result.output  # Azure's own words, kept
    assert "deployment" not in result.output
    assert "slotwise slot status -g rg-demo -n func-demo" in result.output
    preview = run(services, "swap", "-s", "staging", "--preview")
    assert preview.exit_code == 5, preview.output
    assert "is in progress" in preview.output


# ---- slot status shows what is in progress -------------------------------------------------------------
@pytest.mark.usefixtures("builds")
def test_slot_status_shows_a_running_swap(emulator: Emulator, services: Services) -> None:
    emulator.set_speed(Speed(swap_seconds=600))
    services.web_apps.begin_swap(STAGING, "production")
    slots = status(services)
    assert slots["staging"]["inProgress"]["swapWith"] == "production"
    assert slots["production"]["inProgress"]["swapWith"] == "staging"
    text = run(services, "status")
    assert text.exit_code == 0, text.output
    assert "swap with production running" in text.output


@pytest.mark.usefixtures("builds")
def test_slot_status_shows_a_prepared_swap_and_no_running_one(services: Services) -> None:
    assert run(services, "swap", "-s", "staging", "--preview").exit_code == 0
    staging = status(services)["staging"]["inProgress"]
    assert staging["swapWith"] is None
    assert staging["preparedSwapWith"] == "production"
    assert "prepared to swap with production" in run(services, "status").output


@pytest.mark.usefixtures("builds")
def test_slot_status_shows_a_running_deployment(
    emulator: Emulator, services: Services, arm_token: str, tmp_path: Path
) -> None:
    from tests.functional.deploying import slot_hosts
    from tests.packages import good_build

    emulator.set_speed(Speed(deploy_seconds=600))
    _, scm = slot_hosts(emulator, "rg-demo", "func-demo", "staging")
    with good_build(tmp_path / "v3.zip", "3").open("rb") as body:
        answer = requests.post(f"https://{scm}/api/zipdeploy?isAsync=true", data=body, timeout=60,
                               headers={"Authorization": f"Bearer {arm_token}"},
                               verify=str(emulator.ca_path))  # fmt: skip
    assert answer.status_code == 202, answer.text
    slots = status(services)
    running = slots["staging"]["inProgress"]["deployment"]
    assert running is not None
    assert running["status"] in ("Pending", "Building", "Deploying")
    assert slots["production"]["inProgress"]["deployment"] is None
    assert slots["staging"]["build"]["label"]  # still serving the previous build meanwhile
    assert "deployment" in run(services, "status").output.split("\n")[-2]


# ---- every swap goes through the same follow-up: rollback and the guard's park -------------------------
@pytest.mark.usefixtures("builds")
def test_rollback_follows_its_swap_when_the_poll_fails(emulator: Emulator, services: Services) -> None:
    assert run(services, "swap", "-s", "staging").exit_code == 0
    add_fault(emulator, path=POLL, method="GET", **POLL_FAULTS["409"])
    result = run(services, "rollback")
    assert result.exit_code == 0, result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
    assert swaps_started(emulator) == 2


@pytest.mark.usefixtures("builds")
def test_park_follows_its_swap_when_the_poll_fails(emulator: Emulator, services: Services) -> None:
    assert run(services, "swap", "-s", "staging").exit_code == 0  # staging holds build 1
    add_fault(emulator, path=POLL, method="GET", **POLL_FAULTS["404"])
    result = run(services, "guard", "-s", "staging", "--mode", "park", "--create-park-slot")
    assert result.exit_code == 0, result.output
    assert serving(emulator, "park") == "1"
    slots = status(services)
    assert slots["park"]["hold"] is not None
    assert slots["staging"]["hold"] is None


# ---- a failure after the swap does not skip the checks or the swap-back -----------------------------------
TAGS = "/providers/Microsoft.Resources/tags/default$"


@pytest.mark.usefixtures("broken_staging")
def test_a_hold_that_cannot_be_recorded_does_not_keep_a_failing_build_live(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    add_fault(emulator, path=TAGS, method="PATCH", status=403, code="AuthorizationFailed", count=None)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == SmokeFailed.exit_code, result.output
    assert "swapped back" in result.output
    assert "recording the hold on staging failed" in result.output  # the warning
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("builds")
def test_a_hold_that_cannot_be_recorded_fails_loudly_after_the_checks(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    add_fault(emulator, path=TAGS, method="PATCH", status=403, code="AuthorizationFailed", count=None)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == 4, result.output
    assert "The swap completed, but recording the hold on func-demo/staging failed" in result.output
    assert "all 2 passed" not in result.stdout  # no success line
    assert "Smoke testing" in result.output  # the checks ran first
    assert serving(emulator, "production") == "2"


@pytest.mark.usefixtures("builds")
def test_checks_that_cannot_be_run_swap_back_with_rollback_on_failure(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    add_fault(emulator, path="/listkeys$", method="POST", status=403, code="AuthorizationFailed", count=None)
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == SmokeFailed.exit_code, result.output
    assert "could not be run" in result.output
    assert "swapped back" in result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("builds")
def test_completing_a_prepared_swap_is_followed_when_the_poll_fails(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    assert run(services, "swap", "-s", "staging", "--preview").exit_code == 0
    emulator.set_speed(Speed(swap_seconds=1.0))  # prepared before, so only the running operation tells
    add_fault(emulator, path=POLL, method="GET", **POLL_FAULTS["404"])
    result = run(services, "swap", "-s", "staging", "--complete", "--smoke-checks", str(checks))
    assert result.exit_code == 0, result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert status(services)["staging"]["hold"] is not None


@pytest.mark.usefixtures("builds")
def test_a_prepared_swap_that_fails_on_completion_is_a_refusal_when_the_poll_fails(
    emulator: Emulator, services: Services
) -> None:
    assert run(services, "swap", "-s", "staging", "--preview").exit_code == 0
    sub = emulator.subscription_id
    emulator.call(lambda b: b.web.fail_next_swap(sub, "rg-demo", "func-demo", message="did not warm up"))
    add_fault(emulator, path=POLL, method="GET", **POLL_FAULTS["404"])
    result = run(services, "swap", "-s", "staging", "--complete", "--timeout", "600")
    assert result.exit_code == 4, result.output
    assert "did not take place" in result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("broken_staging")
def test_a_refused_swap_back_says_the_failing_build_is_live_and_not_to_swap_again(
    emulator: Emulator, services: Services, checks: Path
) -> None:
    add_fault(emulator, path="/slotsswap$", method="POST", passthrough=True, count=1)  # the swap itself
    add_fault(emulator, path="/slotsswap$", method="POST", **POLL_FAULTS["409"])
    result = run(services, "swap", "-s", "staging", "--smoke-checks", str(checks), "--rollback-on-failure")
    assert result.exit_code == 5, result.output
    assert "swapping back failed" in result.output
    assert "Do not run the swap again" in result.output
    assert "then try again" not in result.output  # ConflictError's default: a retry would swap back
    assert "slotwise slot rollback -g rg-demo -n func-demo" in result.output
    assert serving(emulator, "production") == "2"  # the truth: the failing build is live
