"""The swap phases as one API (``slots.swap_phases.run_swap``) on the in-memory Azure: each phase does
what it says and nothing else, an order whose options do not go together is refused when it is made,
and what the slots' state does not allow is refused before anything changes.

The SWAP phase's follow-ups (hold, checks, swap-back) are tested in ``test_promote_ops`` and
``test_promote_faults``; here, that COMPLETE gets the same follow-ups.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slotwise.errors import ConflictError, SmokeFailed, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.holds import HOLD_TAG, RELEASED_TAG, find_hold
from slotwise.slots.smoke_checks import parse_checks
from slotwise.slots.swap import SwapRequest, prepare
from slotwise.slots.swap_phases import Phase, SwapOrder, run_swap
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices
from tests.unit.slots.test_promote_ops import CHECKS, QA, order, ready, serving

ROOT = Path(__file__).resolve().parents[3]


def prepared(*, slots: tuple[str, ...] = ("staging",), target: str = "production") -> FakeServices:
    """Production runs build 40, staging build 41, staging prepared for a swap with ``target``."""
    services = ready(slots=slots)
    prepare(services, SwapRequest(STAGING, target), reporter=RecordingReporter())
    services.fake.calls.clear()
    return services


# ---- the phases ------------------------------------------------------------------------------------------
def test_the_phases_are_the_slot_swap_tasks_actions_and_two_of_them_swap() -> None:
    task = json.loads((ROOT / "tasks" / "slot-swap" / "task.json").read_text(encoding="utf-8"))
    (action,) = [spec for spec in task["inputs"] if spec["name"] == "swapAction"]
    assert [phase.value for phase in Phase] == list(action["options"])
    assert [phase for phase in Phase if phase.swaps] == [Phase.SWAP, Phase.COMPLETE]


def test_prepare_gives_the_source_the_targets_settings_and_swaps_nothing() -> None:
    services = ready()
    reporter = RecordingReporter()
    outcome = run_swap(services, order(SwapRequest(STAGING), phase=Phase.PREPARE), reporter=reporter)
    assert outcome.phase is Phase.PREPARE
    assert (outcome.swap.source, outcome.swap.target, outcome.swap.phase) == (
        STAGING,
        PRODUCTION_SLOT,
        "prepared",
    )
    assert (outcome.held, outcome.held_build, outcome.smoke, outcome.rolled_back) == (None, None, None, None)
    assert outcome.as_dict() == outcome.swap.as_dict()  # no hold, smoke or swap-back: nothing swapped
    assert services.fake.slot(STAGING).target_swap_slot == "production"
    assert serving(services) == ("build 40", "build 41")
    assert services.fake.count("begin_swap") == 0
    assert reporter.texts("step") == ["Preparing the swap of staging with production (swap with preview)"]
    assert all(not slot.tags for slot in services.fake.slots.values())  # no hold recorded


def test_prepare_refuses_a_slot_already_prepared() -> None:
    services = prepared()
    with pytest.raises(ConflictError) as caught:
        run_swap(services, order(SwapRequest(STAGING), phase=Phase.PREPARE), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is already prepared for a swap with 'production'."
    assert caught.value.exit_code == 5
    assert services.fake.count("apply_swap_preview") == 0


def test_complete_swaps_the_prepared_pair_and_holds_productions_previous_build() -> None:
    services = prepared()
    reporter = RecordingReporter()
    opts = order(SwapRequest(STAGING), phase=Phase.COMPLETE, requested_by="alice", hold_days=2)
    outcome = run_swap(services, opts, reporter=reporter)
    assert outcome.phase is Phase.COMPLETE
    assert outcome.swap.phase == "swapped"
    assert serving(services) == ("build 41", "build 40")
    assert services.fake.slot(STAGING).target_swap_slot is None
    assert reporter.texts("step")[0] == "Completing the prepared swap of staging with production"
    assert (outcome.held, outcome.held_build) == (STAGING, "build 40")
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert (hold.build, hold.by) == ("build 40", "alice")
    assert outcome.as_dict()["hold"] == {"slot": "staging", "build": "build 40"}
    assert services.fake.count("begin_swap") == 1


def test_complete_refuses_a_slot_not_prepared_before_reading_any_build() -> None:
    services = ready()
    with pytest.raises(ConflictError) as caught:
        run_swap(services, order(SwapRequest(STAGING), phase=Phase.COMPLETE), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is not prepared for a swap."
    assert caught.value.exit_code == 5
    assert services.fake.calls == [("get", "staging")]  # the check, nothing else
    assert services.fake.host_requests == []


def test_complete_refuses_a_slot_prepared_with_another_target() -> None:
    services = prepared(slots=("staging", "qa"), target="qa")
    with pytest.raises(ConflictError) as caught:
        run_swap(services, order(SwapRequest(STAGING), phase=Phase.COMPLETE), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is prepared for a swap with 'qa', not with 'production'."
    assert services.fake.count("begin_swap") == 0
    assert services.fake.slot(STAGING).target_swap_slot == "qa"


def test_complete_with_failing_checks_swaps_back_and_ends_the_hold() -> None:
    services = ready(staging_status=500)
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    opts = order(SwapRequest(STAGING), CHECKS, phase=Phase.COMPLETE, rollback_on_failure=True)
    with pytest.raises(SmokeFailed, match="so it was swapped back: production runs what it ran before"):
        run_swap(services, opts, reporter=RecordingReporter())
    assert serving(services) == ("build 40", "build 41")
    assert services.fake.count("begin_swap") == 2
    assert HOLD_TAG not in services.fake.slot(STAGING).tags
    assert RELEASED_TAG in services.fake.slot(STAGING).tags


def test_cancel_undoes_the_preparation_the_slot_has_whatever_the_orders_target() -> None:
    services = prepared(slots=("staging", "qa"), target="qa")
    reporter = RecordingReporter()
    outcome = run_swap(services, order(SwapRequest(STAGING), phase=Phase.CANCEL), reporter=reporter)
    assert (outcome.phase, outcome.swap.phase) == (Phase.CANCEL, "cancelled")
    assert (outcome.swap.source, outcome.swap.target) == (STAGING, QA)  # the pair it was prepared with
    assert outcome.as_dict() == outcome.swap.as_dict()
    assert services.fake.slot(STAGING).target_swap_slot is None
    assert services.fake.slot(QA).target_swap_slot is None
    assert reporter.texts("step") == ["Cancelling the prepared swap of staging with qa"]
    assert services.fake.count("begin_swap") == 0


def test_cancel_refuses_a_slot_not_prepared() -> None:
    services = ready()
    with pytest.raises(ConflictError) as caught:
        run_swap(services, order(SwapRequest(STAGING), phase=Phase.CANCEL), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is not prepared for a swap: nothing to cancel."
    assert services.fake.count("reset_swap_preview") == 0


# ---- orders whose options do not go together --------------------------------------------------------------
@pytest.mark.parametrize("phase", list(Phase))
def test_rolling_back_without_checks_is_refused_for_every_phase(phase: Phase) -> None:
    with pytest.raises(UsageError) as caught:
        SwapOrder(phase, SwapRequest(STAGING), rollback_on_failure=True)
    assert caught.value.message == (
        "Swapping back on failure needs smoke checks: there is nothing to fail otherwise."
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("phase", "word"), [(Phase.PREPARE, "preview"), (Phase.CANCEL, "cancel")])
@pytest.mark.parametrize("rollback", [False, True])
def test_checks_are_refused_with_a_phase_that_does_not_swap(phase: Phase, word: str, rollback: bool) -> None:
    with pytest.raises(UsageError) as caught:
        SwapOrder(phase, SwapRequest(STAGING), smoke_plan=parse_checks(CHECKS), rollback_on_failure=rollback)
    assert caught.value.message == f"Smoke checks run after a swap; a {word} swaps nothing to check."
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("phase", [Phase.SWAP, Phase.COMPLETE])
def test_checks_and_rolling_back_go_with_a_phase_that_swaps(phase: Phase) -> None:
    plan = parse_checks(CHECKS)
    made = SwapOrder(phase, SwapRequest(STAGING), smoke_plan=plan, rollback_on_failure=True)
    assert (made.smoke_plan, made.rollback_on_failure, made.hold_days) == (plan, True, 7.0)


@pytest.mark.parametrize("phase", [Phase.SWAP, Phase.PREPARE, Phase.COMPLETE])
@pytest.mark.parametrize("slot", ["staging", "production"])
def test_a_slot_swapped_with_itself_is_refused(phase: Phase, slot: str) -> None:
    with pytest.raises(UsageError) as caught:
        SwapOrder(phase, SwapRequest(STAGING.other(slot), slot.upper()))
    assert caught.value.message == f"Cannot swap slot '{slot}' with itself."


def test_a_cancel_is_not_refused_for_its_orders_target_it_cancels_what_the_slot_is_prepared_with() -> None:
    services = prepared()
    made = SwapOrder(Phase.CANCEL, SwapRequest(STAGING, "staging"))
    assert run_swap(services, made, reporter=RecordingReporter()).swap.target == PRODUCTION_SLOT
    assert services.fake.slot(STAGING).target_swap_slot is None


def test_the_outcome_of_a_phase_that_swaps_says_the_hold_the_checks_and_any_swap_back() -> None:
    services = ready()
    outcome = run_swap(services, order(SwapRequest(STAGING), CHECKS), reporter=RecordingReporter())
    assert outcome.smoke is not None
    back = run_swap(services, order(SwapRequest(STAGING)), reporter=RecordingReporter()).swap
    outcome.rolled_back = back  # only ever set on the way to a SmokeFailed: shown here as it would be
    assert outcome.as_dict() == {
        **outcome.swap.as_dict(),
        "hold": {"slot": "staging", "build": "build 40"},
        "smoke": outcome.smoke.as_dict(),
        "rolledBack": back.as_dict(),
    }
