"""A swap as a release step (``run_swap``'s SWAP and COMPLETE phases, followed up by ``slots.promote``)
on the in-memory Azure: which build ends up where, which hold is recorded or released, and which error
says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, SmokeFailed
from slotwise.events import RecordingReporter
from slotwise.slots.guard import describe
from slotwise.slots.holds import HOLD_TAG, RELEASED_TAG, HoldRecord, ReleaseMark, find_hold
from slotwise.slots.smoke_checks import parse_checks
from slotwise.slots.swap import SwapRequest, prepare
from slotwise.slots.swap_phases import Phase, SwapOrder, run_swap
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

BUILD_40, BUILD_41 = BuildInfo(build_number="40"), BuildInfo(build_number="41")
QA = STAGING.other("qa")
CHECKS = """
checks:
  - name: health
    path: /api/health
"""


def order(
    request: SwapRequest, checks: str | None = None, *, phase: Phase = Phase.SWAP, **changes: Any
) -> SwapOrder:
    """The order to run ``phase`` on ``request``, with the smoke checks ``checks`` (YAML) parsed as the
    order takes them."""
    return SwapOrder(
        phase, request, smoke_plan=parse_checks(checks) if checks is not None else None, **changes
    )


def ready(*, staging_status: int = 200, slots: tuple[str, ...] = ("staging",)) -> FakeServices:
    """Production runs build 40; staging build 41, answering ``staging_status``."""
    services = fake_services(slots=slots)
    services.fake.deploy(PRODUCTION_SLOT, BUILD_40)
    services.fake.deploy(STAGING, BUILD_41, status=staging_status)
    services.fake.calls.clear()
    return services


def serving(services: FakeServices) -> tuple[str, str]:
    web = services.fake
    return web.slot(PRODUCTION_SLOT).content.name, web.slot(STAGING).content.name


def test_a_swap_into_production_records_who_left_which_build_where() -> None:
    services = ready()
    reporter = RecordingReporter()
    result = run_swap(
        services, order(SwapRequest(STAGING), requested_by="alice", hold_days=3), reporter=reporter
    )
    assert serving(services) == ("build 41", "build 40")
    assert reporter.texts("step")[0] == "Swapping staging with production on app 'func-demo'"
    assert (result.held, result.held_build, result.smoke, result.rolled_back) == (
        STAGING,
        "build 40",
        None,
        None,
    )
    expires = services.clock.now() + timedelta(days=3)
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert (hold.build, hold.by, hold.expires, hold.source) == ("build 40", "alice", expires, "slotwise")
    record = HoldRecord.decode(services.fake.slot(STAGING).tags[HOLD_TAG])
    assert record.swap == services.fake.slot(STAGING).swap_status.timestamp  # type: ignore[union-attr]
    assert reporter.texts("detail")[-1] == (
        f"staging now holds build 40 (production's previous build) until {expires:%Y-%m-%d %H:%M} UTC"
    )
    assert result.as_dict() == {
        **result.swap.as_dict(),
        "hold": {"slot": "staging", "build": "build 40"},
        "smoke": None,
        "rolledBack": None,
    }


def test_the_hold_lasts_seven_days_by_default() -> None:
    services = ready()
    run_swap(services, order(SwapRequest(STAGING)), reporter=RecordingReporter())
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert (hold.expires, hold.by) == (services.clock.now() + timedelta(days=7), None)


def test_production_never_deployed_to_is_held_as_its_previous_build() -> None:
    services = fake_services()
    services.fake.deploy(STAGING, BUILD_41)
    result = run_swap(services, order(SwapRequest(STAGING)), reporter=RecordingReporter())
    assert result.held_build == "an unlabelled build"  # production's content had no build label
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert hold.build == "an unlabelled build"
    assert describe(hold).count("production's previous build") == 1  # said once, not as its name too


def test_a_swap_started_from_production_holds_the_other_slot() -> None:
    services = ready()
    result = run_swap(services, order(SwapRequest(PRODUCTION_SLOT, "staging")), reporter=RecordingReporter())
    assert serving(services) == ("build 41", "build 40")
    assert (result.held, result.held_build) == (STAGING, "build 40")
    assert HOLD_TAG in services.fake.slot(STAGING).tags
    assert HOLD_TAG not in services.fake.slot(PRODUCTION_SLOT).tags


def test_a_swap_between_two_deployment_slots_holds_nothing() -> None:
    services = ready(slots=("staging", "qa"))
    services.fake.deploy(QA, BuildInfo(build_number="39"))
    result = run_swap(services, order(SwapRequest(STAGING, "qa")), reporter=RecordingReporter())
    assert (result.held, result.held_build) == (None, None)
    assert result.as_dict()["hold"] is None
    assert services.fake.host_requests == []  # no Kudu history read: there is no hold to label
    assert all(not slot.tags for slot in services.fake.slots.values())
    assert services.fake.slot(QA).content.name == "build 41"


def test_passing_checks_leave_the_new_build_live() -> None:
    services = ready()
    opts = order(SwapRequest(STAGING), CHECKS, rollback_on_failure=True)
    result = run_swap(services, opts, reporter=RecordingReporter())
    assert result.smoke is not None
    assert result.smoke.passed
    assert result.smoke.slot == PRODUCTION_SLOT
    assert result.rolled_back is None
    assert serving(services) == ("build 41", "build 40")
    assert find_hold(services, STAGING) is not None


def test_failing_checks_without_rollback_leave_the_build_live_and_say_how_to_roll_back() -> None:
    services = ready(staging_status=500)
    with pytest.raises(SmokeFailed) as caught:
        run_swap(services, order(SwapRequest(STAGING), CHECKS), reporter=RecordingReporter())
    assert caught.value.exit_code == 8
    assert caught.value.message == "Smoke checks failed on production after the swap (1 failed)."
    assert told(caught.value) == (
        "Roll back: `slotwise slot rollback -g rg-demo -n func-demo`. "
        "Pass --rollback-on-failure to swap back at once when checks fail."
    )
    assert caught.value.report is not None
    assert serving(services) == ("build 41", "build 40")
    assert find_hold(services, STAGING) is not None  # the rollback build stays protected
    assert services.fake.count("begin_swap") == 1


def test_failing_checks_with_rollback_swap_back_and_end_the_hold() -> None:
    services = ready(staging_status=500)
    reporter = RecordingReporter()
    opts = order(SwapRequest(STAGING), CHECKS, rollback_on_failure=True, requested_by="alice")
    with pytest.raises(SmokeFailed) as caught:
        run_swap(services, opts, reporter=reporter)
    assert caught.value.message == (
        "Smoke checks failed on production after the swap, so it was swapped back: production runs what "
        "it ran before, staging has the failing build."
    )
    assert told(caught.value) == "Fix the build, deploy it again to the slot, and swap again."
    assert caught.value.report is not None
    assert not caught.value.report.passed
    assert serving(services) == ("build 40", "build 41")
    assert services.fake.count("begin_swap") == 2
    assert find_hold(services, STAGING) is None  # staging has the failing build: no rollback to keep
    tags = services.fake.slot(STAGING).tags
    assert HOLD_TAG not in tags
    assert ReleaseMark.decode(tags[RELEASED_TAG]).by == "alice"
    assert "smoke checks failed on production: swapping back" in reporter.texts("warning")


def test_failing_checks_between_deployment_slots_swap_back_without_a_hold() -> None:
    services = ready(staging_status=500, slots=("staging", "qa"))
    services.fake.deploy(QA, BuildInfo(build_number="39"))
    opts = order(SwapRequest(STAGING, "qa"), CHECKS, rollback_on_failure=True)
    with pytest.raises(SmokeFailed, match="so it was swapped back: qa runs what it ran before"):
        run_swap(services, opts, reporter=RecordingReporter())
    assert services.fake.slot(QA).content.name == "build 39"
    assert all(not slot.tags for slot in services.fake.slots.values())


def test_a_plain_swap_still_refuses_a_slot_prepared_for_another() -> None:
    services = ready(slots=("staging", "qa"))
    prepare(services, SwapRequest(STAGING, "qa"), reporter=RecordingReporter())
    with pytest.raises(ConflictError, match=r"^Slot 'staging' is prepared for a swap with 'qa'\.$"):
        run_swap(services, order(SwapRequest(STAGING)), reporter=RecordingReporter())
    assert serving(services) == ("build 40", "build 41")


def test_completing_a_prepared_swap_goes_through_the_second_phase() -> None:
    services = ready()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    reporter = RecordingReporter()
    opts = order(SwapRequest(STAGING), phase=Phase.COMPLETE, requested_by="alice")
    result = run_swap(services, opts, reporter=reporter)
    assert reporter.texts("step")[0] == "Completing the prepared swap of staging with production"
    assert serving(services) == ("build 41", "build 40")
    assert (result.held, result.held_build) == (STAGING, "build 40")
