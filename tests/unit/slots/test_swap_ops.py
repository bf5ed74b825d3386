"""Swaps (``slots.swap``) on the in-memory Azure: what moves where, the preview phases, refusals,
a start whose answer was lost, timeouts and Ctrl-C."""

from __future__ import annotations

import pytest

from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import Cancelled, ConflictError, OperationTimeout, RemoteError, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.swap import SwapRequest, cancel, check_prepared, complete, prepare, swap
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

BUILD_40, BUILD_41 = BuildInfo(build_number="40"), BuildInfo(build_number="41")
QA = STAGING.other("qa")


def ready(*, slots: tuple[str, ...] = ("staging",)) -> FakeServices:
    """Production runs build 40, staging build 41; one sticky setting (SLOT_NAME) per slot."""
    services = fake_services(slots=slots)
    web = services.fake
    web.deploy(PRODUCTION_SLOT, BUILD_40)
    web.deploy(STAGING, BUILD_41)
    web.sticky[("rg-demo", "func-demo")] = {"SLOT_NAME"}
    web.slot(PRODUCTION_SLOT).app_settings = {"SLOT_NAME": "production", "FEATURE": "old"}
    web.slot(STAGING).app_settings = {"SLOT_NAME": "staging", "FEATURE": "new"}
    web.calls.clear()
    return services


def serving(services: FakeServices) -> tuple[str, str]:
    web = services.fake
    return web.slot(PRODUCTION_SLOT).content.name, web.slot(STAGING).content.name


def test_a_swap_exchanges_the_builds_and_reports_the_services_time() -> None:
    services = ready()
    reporter = RecordingReporter()
    result = swap(services, SwapRequest(STAGING), reporter=reporter)
    web = services.fake
    assert serving(services) == ("build 41", "build 40")
    assert web.slot(PRODUCTION_SLOT).app_settings == {"SLOT_NAME": "production", "FEATURE": "new"}
    assert (result.source, result.target, result.phase) == (STAGING, PRODUCTION_SLOT, "swapped")
    assert result.completed_at == web.slot(PRODUCTION_SLOT).swap_status.timestamp  # type: ignore[union-attr]
    assert result.seconds == 5.0
    assert result.as_dict() == {
        "app": "func-demo",
        "resourceGroup": "rg-demo",
        "source": "staging",
        "target": "production",
        "phase": "swapped",
        "started": result.started.isoformat(),
        "finished": result.finished.isoformat(),
        "seconds": 5.0,
        "completedAt": result.completed_at.isoformat(),  # type: ignore[union-attr]
    }
    assert reporter.texts("step") == ["Swapping staging with production on app 'func-demo'"]
    assert reporter.texts("detail")[-1] == "swap complete after 5.0 s"
    assert web.count("begin_swap") == 1


def test_the_vnet_choice_goes_with_every_swap_and_preview() -> None:
    services = ready()
    prepare(services, SwapRequest(STAGING, preserve_vnet=False), reporter=RecordingReporter())
    complete(services, SwapRequest(STAGING, preserve_vnet=False), reporter=RecordingReporter())
    swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    services.fake.inject("begin_swap", RemoteError("Connection refused."))
    swap(services, SwapRequest(STAGING, preserve_vnet=False), reporter=RecordingReporter())
    assert services.fake.preserve_vnet == [False, False, True, False]  # the lost first one never got there


def test_a_long_swap_says_it_is_in_progress_every_five_seconds() -> None:
    services = ready()
    services.fake.swap_seconds = 12
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    progress = [t for t in reporter.texts("detail") if t.startswith("swap in progress")]
    assert progress == ["swap in progress (5 s)", "swap in progress (10 s)"]


def test_a_slot_cannot_be_swapped_with_itself() -> None:
    services = ready()
    with pytest.raises(UsageError) as caught:
        swap(services, SwapRequest(STAGING, "Staging"), reporter=RecordingReporter())
    assert caught.value.message == "Cannot swap slot 'staging' with itself."
    assert told(caught.value) == (
        "Give the slot to swap with -s and the other one with --target (default: production)."
    )
    assert services.fake.calls == []


def test_a_swap_that_times_out_says_it_goes_on_in_azure() -> None:
    services = ready()
    with pytest.raises(OperationTimeout) as caught:
        swap(services, SwapRequest(STAGING, timeout=2), reporter=RecordingReporter())
    assert caught.value.message == (
        "The swap of staging with production did not finish within 2 s. It continues on the service."
    )
    assert told(caught.value) == (
        "Look at the slots to see how it ends. "
        "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )
    assert services.fake.running()


def test_a_swap_that_fails_in_azure_leaves_both_slots_as_they_were() -> None:
    services = ready()
    services.fake.fail_next_swap = "the app did not warm up"
    with pytest.raises(RemoteError, match="the app did not warm up"):
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert serving(services) == ("build 40", "build 41")
    assert services.fake.slot(STAGING).app_settings == {"SLOT_NAME": "staging", "FEATURE": "new"}


# ---- a start whose answer was lost -----------------------------------------------------------------------
def test_a_start_whose_answer_was_lost_is_followed_not_sent_again() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection aborted."), after=True)  # Azure got it
    result = swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert web.count("begin_swap") == 1
    assert serving(services) == ("build 41", "build 40")
    assert result.completed_at == web.slot(STAGING).swap_status.timestamp  # type: ignore[union-attr]


def test_a_lost_start_whose_swap_had_already_completed_is_not_sent_again() -> None:
    services = ready()
    web = services.fake
    web.swap_now(STAGING)  # an earlier release: staging has a swap time before this one
    web.swap_now(STAGING)
    services.clock.advance(60)
    web.swap_seconds = 0
    web.calls.clear()
    web.inject("begin_swap", RemoteError("Connection aborted."), after=True)
    swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert web.count("begin_swap") == 1
    assert serving(services) == ("build 41", "build 40")


def test_a_first_swap_whose_start_was_lost_after_completing_is_not_sent_again() -> None:
    services = ready()
    services.fake.swap_seconds = 0
    services.fake.inject("begin_swap", RemoteError("Connection aborted."), after=True)
    swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert services.fake.count("begin_swap") == 1
    assert serving(services) == ("build 41", "build 40")


def test_a_start_lost_before_azure_got_it_is_sent_again_once() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection refused."))  # nothing reached Azure
    swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert web.count("begin_swap") == 2
    assert serving(services) == ("build 41", "build 40")


def test_a_refused_start_is_not_sent_again() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", ConflictError("Cannot modify this site", status=409))
    with pytest.raises(ConflictError):
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert web.count("begin_swap") == 1
    assert serving(services) == ("build 40", "build 41")


# ---- swap with preview -----------------------------------------------------------------------------------
def test_preview_complete_swaps_with_productions_settings_applied_first() -> None:
    services = ready()
    web = services.fake
    reporter = RecordingReporter()
    prepared = prepare(services, SwapRequest(STAGING), reporter=reporter)
    assert (prepared.phase, prepared.source, prepared.target) == ("prepared", STAGING, PRODUCTION_SLOT)
    assert (prepared.started, prepared.finished, prepared.completed_at) == (services.clock.now(),) * 2 + (
        None,
    )
    assert web.slot(STAGING).app_settings == {"SLOT_NAME": "production", "FEATURE": "new"}
    assert serving(services) == ("build 40", "build 41")
    assert reporter.texts("step") == ["Preparing the swap of staging with production (swap with preview)"]
    assert reporter.texts("detail") == [
        "staging now runs with production's slot settings; check it at "
        "https://func-demo-staging.azurewebsites.test, then complete the swap (or cancel it)"
    ]
    reporter = RecordingReporter()
    done = complete(services, SwapRequest(STAGING), reporter=reporter)
    assert (done.phase, done.source, done.target) == ("swapped", STAGING, PRODUCTION_SLOT)
    assert (done.seconds, done.finished) == (5.0, services.clock.now())
    assert done.completed_at == web.slot(PRODUCTION_SLOT).swap_status.timestamp  # type: ignore[union-attr]
    assert serving(services) == ("build 41", "build 40")
    assert web.slot(PRODUCTION_SLOT).app_settings == {"SLOT_NAME": "production", "FEATURE": "new"}
    assert web.slot(STAGING).app_settings == {"SLOT_NAME": "staging", "FEATURE": "old"}
    assert reporter.texts("step") == ["Completing the prepared swap of staging with production"]


def test_a_prepared_swap_whose_start_never_reached_azure_is_sent_again_at_once() -> None:
    # Found by mutation testing on the code before swap_follow: a prepared slot shows targetSwapSlot
    # before any swap runs, so it must not be read as "the lost start is running" (which waited out
    # the whole timeout and never swapped).
    services = ready()
    web = services.fake
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    prepared_at = services.clock.elapsed
    web.inject("begin_swap", RemoteError("Connection refused."))  # lost before it reached Azure
    result = complete(services, SwapRequest(STAGING, timeout=600), reporter=RecordingReporter())
    assert web.count("begin_swap") == 2  # the lost one, and the one Azure got
    assert [op.state for op in web.operations] == ["succeeded"]  # exactly one swap ran
    assert serving(services) == ("build 41", "build 40")
    assert web.slot(PRODUCTION_SLOT).app_settings == {"SLOT_NAME": "production", "FEATURE": "new"}
    assert result.phase == "swapped"
    assert services.clock.elapsed - prepared_at < 60  # two confirming reads and the swap, not 600 s


def test_cancel_gives_the_slot_its_own_settings_back() -> None:
    services = ready()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    reporter = RecordingReporter()
    result = cancel(services, STAGING, reporter=reporter)
    assert (result.phase, result.source, result.target, result.completed_at) == (
        "cancelled",
        STAGING,
        PRODUCTION_SLOT,
        None,
    )
    assert services.fake.slot(STAGING).app_settings == {"SLOT_NAME": "staging", "FEATURE": "new"}
    assert services.fake.slot(STAGING).target_swap_slot is None
    assert (result.started, result.finished) == (services.clock.now(), services.clock.now())
    assert reporter.texts("step") == ["Cancelling the prepared swap of staging with production"]


def test_preparing_twice_is_refused() -> None:
    services = ready()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    with pytest.raises(ConflictError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is already prepared for a swap with 'production'."
    assert told(caught.value) == (
        "Complete it: `slotwise slot swap -g rg-demo -n func-demo -s staging --complete`. "
        "Cancel it: `slotwise slot swap -g rg-demo -n func-demo -s staging --cancel`."
    )


def test_a_slot_prepared_for_itself_is_refused_before_anything_is_read() -> None:
    services = ready()
    with pytest.raises(UsageError):
        prepare(services, SwapRequest(STAGING, "staging"), reporter=RecordingReporter())
    assert services.fake.calls == []


def test_completing_needs_the_preparation_with_that_very_target() -> None:
    services = ready(slots=("staging", "qa"))
    with pytest.raises(ConflictError) as caught:
        complete(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is not prepared for a swap."
    assert told(caught.value) == (
        "Prepare it first: `slotwise slot swap -g rg-demo -n func-demo -s staging --preview` (or swap in one "
        "go without --complete)."
    )
    prepare(services, SwapRequest(STAGING, "qa"), reporter=RecordingReporter())
    with pytest.raises(ConflictError) as caught:
        check_prepared(services, SwapRequest(STAGING))
    assert caught.value.message == "Slot 'staging' is prepared for a swap with 'qa', not with 'production'."
    assert told(caught.value) == (
        "Complete it: `slotwise slot swap -g rg-demo -n func-demo -s staging --target qa --complete`. "
        "Cancel it: `slotwise slot swap -g rg-demo -n func-demo -s staging --cancel`."
    )
    check_prepared(services, SwapRequest(STAGING, "QA"))
    assert services.fake.count("begin_swap") == 0


def test_cancelling_what_is_not_prepared_is_refused() -> None:
    services = ready()
    with pytest.raises(ConflictError) as caught:
        cancel(services, STAGING, reporter=RecordingReporter())
    assert caught.value.message == "Slot 'staging' is not prepared for a swap: nothing to cancel."
    assert told(caught.value) == ""  # not the default "wait for the other operation": there is none
    assert services.fake.count("reset_swap_preview") == 0


@pytest.mark.parametrize("prepared", ["staging", "production"])
def test_a_swap_is_refused_while_either_slot_is_prepared_for_another(prepared: str) -> None:
    services = ready(slots=("staging", "qa"))
    prepare(services, SwapRequest(STAGING.other(prepared), "qa"), reporter=RecordingReporter())
    with pytest.raises(ConflictError) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == f"Slot '{prepared}' is prepared for a swap with 'qa'."
    assert told(caught.value) == (
        "Complete or cancel that swap first. "
        f"Complete it: `slotwise slot swap -g rg-demo -n func-demo -s {prepared} --target qa --complete`. "
        f"Cancel it: `slotwise slot swap -g rg-demo -n func-demo -s {prepared} --cancel`."
    )
    assert services.fake.count("begin_swap") == 0


def test_a_swap_of_a_pair_prepared_together_goes_ahead() -> None:
    services = ready()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert serving(services) == ("build 41", "build 40")


# ---- Ctrl-C ----------------------------------------------------------------------------------------------
def interrupt() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_during_a_swap_says_it_goes_on_in_azure() -> None:
    services = ready()
    services.fake.swap_seconds = 30
    services.clock.after(2, interrupt)
    with pytest.raises(Cancelled) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == (
        "Interrupted while swapping staging with production. Azure had accepted the swap and finishes it "
        "on its own; it cannot be stopped from here. It is still in progress. Look at the slots in a minute."
    )
    assert told(caught.value) == "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    services.clock.advance(30)
    services.fake.tick()
    assert serving(services) == ("build 41", "build 40")  # Azure finished it
