"""``slotwise slot swap`` and ``slot rollback`` against the emulator, through the real SDKs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slotwise.azure.models import SlotRef
from slotwise.cli.main import cli
from slotwise.errors import Cancelled, ConflictError, OperationTimeout, RemoteError
from slotwise.events import NullReporter, RecordingReporter
from slotwise.services import Services
from slotwise.slots.rollback import rollback
from slotwise.slots.swap import SwapRequest, swap
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests.fakes import FastClock
from tests.functional.control import add_fault
from tests.functional.deploying import deploy_build, serving

STAGING = SlotRef("rg-demo", "func-demo", "staging")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, "-g", "rg-demo", "-n", "func-demo"])


@pytest.fixture
def two_builds(emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path) -> None:
    """Build 1 in production, build 2 in staging."""
    deploy_build(emulator, arm_token, tmp_path, "production", "1")
    deploy_build(emulator, arm_token, tmp_path, "staging", "2")


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_swap_puts_staging_live_and_keeps_the_previous_build_in_staging(emulator: Emulator) -> None:
    result = run("swap", "-s", "staging")
    assert result.exit_code == 0, result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert "staging holds" in result.output
    assert "slotwise slot rollback" in result.output


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_swap_json_output_names_both_slots_and_the_hold(emulator: Emulator) -> None:
    result = run("swap", "-s", "staging", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["source"], data["target"], data["phase"]) == ("staging", "production", "swapped")
    assert data["hold"]["slot"] == "staging"
    assert data["completedAt"]


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_swap_with_preview_then_complete(emulator: Emulator, services: Services) -> None:
    prepared = run("swap", "-s", "staging", "--preview")
    assert prepared.exit_code == 0, prepared.output
    assert services.web_apps.get(STAGING).target_swap_slot == "production"
    assert serving(emulator, "production") == "1"  # nothing changed in production yet
    completed = run("swap", "-s", "staging", "--complete")
    assert completed.exit_code == 0, completed.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert services.web_apps.get(STAGING).target_swap_slot is None


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_swap_with_preview_then_cancel(emulator: Emulator, services: Services) -> None:
    assert run("swap", "-s", "staging", "--preview").exit_code == 0
    cancelled = run("swap", "-s", "staging", "--cancel")
    assert cancelled.exit_code == 0, cancelled.output
    assert services.web_apps.get(STAGING).target_swap_slot is None
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_complete_without_preview_is_refused() -> None:
    result = run("swap", "-s", "staging", "--complete")
    assert result.exit_code == ConflictError.exit_code
    assert "not prepared" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("function_app", "slot_env")
def test_swap_with_itself_and_unknown_slots_are_clear_errors() -> None:
    itself = run("swap", "-s", "production")
    assert itself.exit_code == 2
    assert "with itself" in itself.output
    unknown = run("swap", "-s", "nope")
    assert unknown.exit_code == 4
    assert "nope" in unknown.output
    assert "Traceback" not in unknown.output


@pytest.mark.usefixtures("two_builds")
def test_a_swap_rejected_by_the_service_reports_its_words_and_changes_nothing(
    emulator: Emulator, services: Services
) -> None:
    sub = emulator.subscription_id
    emulator.call(lambda b: b.web.fail_next_swap(sub, "rg-demo", "func-demo", message="warm-up failed"))
    with pytest.raises(RemoteError) as caught:
        swap(services, SwapRequest(STAGING), reporter=NullReporter())
    assert "warm-up failed" in caught.value.message
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("two_builds")
def test_throttled_swap_start_waits_retry_after_and_succeeds(
    emulator: Emulator, services: Services, fast_clock: FastClock
) -> None:
    add_fault(
        emulator,
        path="/slotsswap$",
        method="POST",
        status=429,
        code="TooManyRequests",
        retry_after=3,
        count=1,
    )
    swap(services, SwapRequest(STAGING), reporter=NullReporter())
    assert 3 in fast_clock.sleeps
    assert serving(emulator, "production") == "2"


@pytest.mark.usefixtures("two_builds")
def test_unavailable_poll_and_dropped_start_are_survived(emulator: Emulator, services: Services) -> None:
    add_fault(emulator, path="/slotsswap$", method="POST", drop=True, count=1)
    add_fault(emulator, path="/operationresults/", method="GET", status=503, count=2)
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    assert serving(emulator, "production") == "2"
    assert any("lost the connection" in w for w in reporter.texts("warning"))


@pytest.mark.usefixtures("two_builds")
def test_a_conflicting_swap_gets_409_in_app_service_words(emulator: Emulator, services: Services) -> None:
    emulator.set_speed(Speed(swap_seconds=30))
    services.web_apps.begin_swap(STAGING, "production")  # another tool's swap, still running
    with pytest.raises(ConflictError) as caught:
        swap(services, SwapRequest(STAGING), reporter=NullReporter())
    assert "another operation is in progress" in caught.value.message


class InterruptingReporter(RecordingReporter):
    """Presses Ctrl-C the first time the swap reports it is still in progress."""

    def detail(self, message: str) -> None:
        super().detail(message)
        if message.startswith("swap in progress"):
            raise KeyboardInterrupt


@pytest.mark.usefixtures("two_builds")
def test_ctrl_c_during_a_swap_says_the_swap_goes_on(emulator: Emulator, services: Services) -> None:
    emulator.set_speed(Speed(swap_seconds=20))
    with pytest.raises(Cancelled) as caught:
        swap(services, SwapRequest(STAGING), reporter=InterruptingReporter())
    assert "cannot be stopped" in caught.value.message
    assert "still in progress" in caught.value.message


@pytest.mark.usefixtures("two_builds")
def test_a_swap_slower_than_the_timeout_ends_with_a_timeout(emulator: Emulator, services: Services) -> None:
    emulator.set_speed(Speed(swap_seconds=3600))
    with pytest.raises(OperationTimeout) as caught:
        swap(services, SwapRequest(STAGING, timeout=30), reporter=NullReporter())
    assert "continues on the service" in caught.value.message


@pytest.mark.usefixtures("two_builds", "slot_env")
def test_rollback_swaps_back_the_last_swap(emulator: Emulator) -> None:
    assert run("swap", "-s", "staging").exit_code == 0
    result = run("rollback")
    assert result.exit_code == 0, result.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("function_app", "slot_env")
def test_rollback_without_any_swap_is_refused_as_nothing_to_roll_back() -> None:
    result = run("rollback")
    assert result.exit_code == 2  # not "in progress" (5): nothing runs, and waiting changes nothing
    assert "Nothing to roll back" in result.output
    assert "never been swapped" in result.output
    assert "Wait for" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("two_builds")
def test_rollback_is_refused_once_the_previous_build_was_deployed_over(
    emulator: Emulator, services: Services, arm_token: str, tmp_path: Path
) -> None:
    swap(services, SwapRequest(STAGING), reporter=NullReporter())
    deploy_build(emulator, arm_token, tmp_path, "staging", "3")  # destroys build 1, the rollback
    with pytest.raises(ConflictError) as caught:
        rollback(services, "rg-demo", "func-demo", reporter=NullReporter())
    assert "was redeployed" in caught.value.message
    assert serving(emulator, "production") == "2"


@pytest.mark.usefixtures("two_builds")
def test_rollback_is_refused_after_a_swap_made_elsewhere_into_production(
    emulator: Emulator, services: Services
) -> None:
    swap(services, SwapRequest(STAGING), reporter=NullReporter())
    emulator.call(lambda b: b.web.create_slot(emulator.subscription_id, "rg-demo", "func-demo", "canary"))
    swap(services, SwapRequest(SlotRef("rg-demo", "func-demo", "canary")), reporter=NullReporter())
    # production's last swap is now the canary one; staging's record is older: rolling back means canary
    plan_slot = rollback(services, "rg-demo", "func-demo", reporter=NullReporter())[0].holder.slot
    assert plan_slot == "canary"
    assert serving(emulator, "production") == "2"
