"""The guard (``slots.guard``) on the in-memory Azure: the decision, the refusal, waiting and parking."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import HeldSlotError, NotFoundError, OperationTimeout, RemoteError, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.guard import (
    GuardDecision,
    GuardOptions,
    GuardResult,
    check,
    describe,
    guard,
    held_error,
    park,
    refuse,
    wait_for_release,
    when,
)
from slotwise.slots.holds import HOLD_TAG, HoldRecord, find_hold, record_hold, release_hold
from slotwise.slots.model import Hold
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

PARK = STAGING.other("park")
BUILD_40, BUILD_41 = BuildInfo(build_number="40"), BuildInfo(build_number="41")


def released(*, slots: tuple[str, ...] = ("staging",), by: str | None = None) -> tuple[FakeServices, Hold]:
    """Production ran build 40; build 41 was deployed to staging and swapped in: staging holds 40
    (recorded by ``by`` when given, else inferred from the swap)."""
    services = fake_services(slots=slots)
    web = services.fake
    web.deploy(PRODUCTION_SLOT, BUILD_40)
    web.deploy(STAGING, BUILD_41)
    web.swap_now(STAGING)
    if by is not None:
        record_hold(services, STAGING, BUILD_40, by)
    hold = find_hold(services, STAGING)
    assert hold is not None
    web.calls.clear()
    return services, hold


def swapped_at(services: FakeServices) -> datetime:
    status = services.fake.slot(STAGING).swap_status
    assert status is not None
    return status.timestamp


# ---- words ---------------------------------------------------------------------------------------------
def test_times_are_told_in_utc_to_the_minute() -> None:
    assert when(None) == "never"
    assert when(datetime(2025, 3, 1, 12, 2, 59, tzinfo=timezone.utc)) == "2025-03-01 12:02 UTC"


def test_a_hold_is_described_with_build_slot_time_author_and_end() -> None:
    since = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    hold = Hold(STAGING, "build 40", since, by="alice", expires=since + timedelta(days=7))
    assert describe(hold) == (
        "slot 'staging' of app 'func-demo' holds build 40, production's previous build: it was swapped "
        "out of production at 2025-03-01 12:00 UTC by alice; the hold lasts until 2025-03-08 12:00 UTC"
    )
    parked = Hold(PARK, "build 40", since, parked_from="staging")
    assert describe(parked) == (
        "slot 'park' of app 'func-demo' holds build 40, production's previous build (parked here from "
        "slot 'staging'): it was swapped out of production at 2025-03-01 12:00 UTC by another tool "
        "(the portal, az CLI, ...); the hold lasts until never"
    )


def test_the_refusal_names_the_build_and_gives_three_commands_to_paste() -> None:
    since = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    error = held_error(Hold(STAGING, "build 40", since, by="alice", expires=since + timedelta(days=7)))
    assert error.exit_code == 7
    assert error.message == (
        "Slot 'staging' of app 'func-demo' holds build 40, production's previous build: it was swapped "
        "out of production at 2025-03-01 12:00 UTC by alice; the hold lasts until 2025-03-08 12:00 UTC. "
        "Deploying into 'staging' now would destroy that rollback: park it in another slot, end the hold, "
        "or overwrite it on purpose."
    )
    where = "-g rg-demo -n func-demo -s staging"
    assert told(error) == (
        f"Keep it and free the slot: `slotwise slot guard {where} --mode park` (moves it to slot 'park'; "
        "add --create-park-slot if that slot does not exist). "
        f"Not needed any more: `slotwise slot release-hold {where}`. "
        f"Overwrite it on purpose: `slotwise slot deploy {where} --allow-overwrite ...`."
    )


# ---- check ---------------------------------------------------------------------------------------------
def test_a_slot_that_does_not_exist_holds_nothing() -> None:
    services = fake_services()
    reporter = RecordingReporter()
    decision = check(services, STAGING.other("new"), reporter)
    reason = "slot 'new' of app 'func-demo' does not exist (yet): it holds nothing"
    assert (decision.slot, decision.hold, decision.reasons) == (STAGING.other("new"), None, [reason])
    assert decision.safe
    assert reporter.events == [
        ("step", "Checking whether func-demo/new holds production's previous build"),
        ("detail", reason),
    ]


def test_check_finds_the_hold_and_tells_what_the_slot_runs() -> None:
    services, _ = released(by="alice")
    reporter = RecordingReporter()
    decision = check(services, STAGING, reporter)
    assert decision.hold is not None
    assert not decision.safe
    assert (decision.hold.build, decision.hold.by, decision.hold.source) == ("build 40", "alice", "slotwise")
    assert decision.hold.since == swapped_at(services)
    assert reporter.events == [
        ("step", "Checking whether func-demo/staging holds production's previous build"),
        ("detail", "staging runs build 40"),
        ("detail", f"held: {describe(decision.hold)}"),
    ]


def test_check_passes_on_the_hold_days_and_the_reasons() -> None:
    services, _ = released()
    services.clock.advance(3 * 86400)
    reporter = RecordingReporter()
    decision = check(services, STAGING, reporter, hold_days=2)
    assert decision.hold is None
    assert decision.reasons == [
        f"the hold on build 40 expired at {_format(swapped_at(services) + timedelta(2))}"
    ]
    assert reporter.texts("detail") == ["staging runs build 40", *decision.reasons]
    assert check(services, STAGING, RecordingReporter()).hold is not None  # 7 days by default


def test_a_never_deployed_slot_reports_no_content() -> None:
    services = fake_services()
    reporter = RecordingReporter()
    assert check(services, STAGING, reporter).hold is None
    assert reporter.texts("detail") == ["the slot has never been swapped"]


def _format(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- guard: the three ways on --------------------------------------------------------------------------
def test_guard_counts_the_hold_days_it_is_given() -> None:
    services, _ = released()
    services.clock.advance(2 * 86400)
    result = guard(services, STAGING, hold_days=1, reporter=RecordingReporter())
    assert result.outcome == "free"
    assert result.decision.reasons[-1].startswith("the hold on build 40 expired at ")
    with pytest.raises(HeldSlotError):
        guard(services, STAGING, reporter=RecordingReporter())


def test_an_unknown_mode_is_a_usage_error_before_anything_is_read() -> None:
    services = fake_services()
    with pytest.raises(UsageError) as caught:
        guard(services, STAGING, mode="maybe", reporter=RecordingReporter())  # type: ignore[arg-type]
    assert caught.value.message == "Unknown guard mode 'maybe': use one of fail, wait, park."
    assert services.fake.calls == []


@pytest.mark.parametrize("mode", ["fail", "wait", "park"])
def test_a_free_slot_is_free_in_every_mode_and_nothing_changes(mode: str) -> None:
    services = fake_services(slots=("staging", "park"))
    services.fake.deploy(STAGING, BUILD_41)
    reporter = RecordingReporter()
    result = guard(services, STAGING, mode=mode, reporter=reporter)  # type: ignore[arg-type]
    assert (result.outcome, result.mode, result.parked_in, result.waited) == ("free", mode, None, 0.0)
    assert result.slot == STAGING
    assert reporter.texts("detail")[-1] == "staging holds no rollback build: deploying into it is safe"
    assert services.fake.count("begin_swap") == 0
    assert services.clock.sleeps == []


def test_fail_refuses_a_held_slot_and_changes_nothing() -> None:
    services, hold = released(by="alice")
    with pytest.raises(HeldSlotError) as caught:
        guard(services, STAGING, reporter=RecordingReporter())
    assert caught.value.message == held_error(hold).message
    assert {m for m, _ in services.fake.calls} == {"get"}


def test_refuse_without_a_hold_is_a_usage_error() -> None:
    decision = GuardDecision(STAGING, None)
    with pytest.raises(UsageError, match=r"^func-demo/staging is not held: there is nothing to refuse\.$"):
        refuse(fake_services(), decision, GuardOptions(), RecordingReporter())


# ---- wait ----------------------------------------------------------------------------------------------
def test_wait_polls_on_the_clock_until_someone_releases_the_hold() -> None:
    services, _ = released()
    services.clock.after(70, lambda: release_hold(services, STAGING, by="bob", reporter=RecordingReporter()))
    reporter = RecordingReporter()
    result = guard(services, STAGING, mode="wait", wait_timeout=100, poll_interval=30, reporter=reporter)
    assert (result.outcome, result.waited, result.mode) == ("released", 90.0, "wait")
    assert result.decision.hold is not None
    assert services.clock.sleeps == [30, 30, 30]
    assert reporter.texts("progress") == ["30/100 seconds", "60/100 seconds"]
    assert reporter.texts("step")[-1] == (
        "Waiting up to 100 s for the hold on func-demo/staging to end (released, or expiring at "
        f"{when(result.decision.hold.expires)})"
    )
    assert reporter.texts("detail")[-1].startswith(
        "the hold ended after 90 s: the hold was released by bob at "
    )


def test_wait_ends_when_the_hold_expires_or_the_slot_is_redeployed() -> None:
    services, _ = released()
    result = guard(
        services, STAGING, mode="wait", wait_timeout=86400, poll_interval=3600, hold_days=0.1,
        reporter=RecordingReporter(),
    )  # fmt: skip
    assert result.outcome == "expired"
    assert result.waited == 3 * 3600  # 0.1 days = 2.4 hours after the swap

    services, _ = released(by="alice")
    swap = _format(swapped_at(services))
    services.clock.after(10, lambda: services.fake.deploy(STAGING, BuildInfo(build_number="42")))
    reporter = RecordingReporter()
    result = guard(services, STAGING, mode="wait", poll_interval=30, reporter=reporter)
    assert (result.outcome, result.waited) == ("free", 90.0)  # the deployment takes a minute
    assert reporter.texts("detail")[-1] == (
        "the hold ended after 90 s: the hold recorded for build 40 ended: the slot was redeployed since; "
        f"it was redeployed (build 42) after its last swap with production ({swap})"
    )


def test_wait_gives_up_at_the_timeout_with_the_ways_on() -> None:
    services, hold = released(by="alice")
    with pytest.raises(OperationTimeout) as caught:
        guard(
            services, STAGING, mode="wait", wait_timeout=100, poll_interval=30, reporter=RecordingReporter()
        )
    assert services.clock.sleeps == [30, 30, 30, 10]
    assert caught.value.exit_code == 6
    assert caught.value.message == (
        f"Slot 'staging' of app 'func-demo' still holds build 40 after waiting 100 s (the hold lasts "
        f"until {when(hold.expires)})."
    )
    where = "-g rg-demo -n func-demo -s staging"
    assert told(caught.value) == (
        f"Keep it and free the slot: `slotwise slot guard {where} --mode park` (moves it to slot 'park'; "
        "add --create-park-slot if that slot does not exist). "
        f"Not needed any more: `slotwise slot release-hold {where}`. "
        "Or wait longer with a larger --wait-timeout."
    )
    assert find_hold(services, STAGING) is not None


def test_wait_sleeps_the_poll_interval_even_below_a_second() -> None:
    services, _ = released()
    with pytest.raises(OperationTimeout):
        guard(
            services, STAGING, mode="wait", wait_timeout=1, poll_interval=0.25, reporter=RecordingReporter()
        )
    assert services.clock.sleeps == [0.25, 0.25, 0.25, 0.25]


def test_wait_with_a_zero_timeout_does_not_sleep() -> None:
    services, _ = released()
    with pytest.raises(OperationTimeout):
        guard(services, STAGING, mode="wait", wait_timeout=0, reporter=RecordingReporter())
    assert services.clock.sleeps == []


def test_waiting_for_a_slot_that_is_not_held_returns_at_once() -> None:
    services = fake_services()
    decision = GuardDecision(STAGING, None)
    result = wait_for_release(services, decision, GuardOptions(), RecordingReporter())
    assert result.decision is decision
    assert (result.outcome, result.mode, result.waited) == ("free", "wait", 0.0)
    assert services.clock.sleeps == []


# ---- park ----------------------------------------------------------------------------------------------
def test_park_moves_the_held_build_and_its_hold_into_the_park_slot() -> None:
    services = fake_services(slots=("staging", "park"))
    web = services.fake
    web.deploy(PRODUCTION_SLOT, BUILD_40)
    web.deploy(STAGING, BUILD_41)
    web.swap_now(STAGING)
    hold = record_hold(services, STAGING, BUILD_40, "alice", expires=services.clock.now() + timedelta(days=3))
    web.deploy(PARK, BuildInfo(build_number="39"))
    reporter = RecordingReporter()
    result = guard(services, STAGING, mode="park", reporter=reporter)

    assert (result.outcome, result.mode, result.parked_in) == ("parked", "park", PARK)
    assert web.slot(PARK).content.name == "build 40"
    assert web.slot(STAGING).content.name == "build 39"
    assert find_hold(services, STAGING) is None
    assert HOLD_TAG not in web.slot(STAGING).tags
    parked = find_hold(services, PARK)
    assert parked is not None
    assert (parked.build, parked.by, parked.since, parked.parked_from, parked.expires) == (
        "build 40",
        "alice",
        hold.since,
        "staging",
        hold.expires,
    )
    record = HoldRecord.decode(web.slot(PARK).tags[HOLD_TAG])
    assert record.swap == web.slot(PARK).swap_status.timestamp  # type: ignore[union-attr]
    assert "Parking build 40: swapping slot 'staging' with slot 'park'" in reporter.texts("step")
    assert reporter.texts("detail")[-1] == "slot 'park' now holds build 40; slot 'staging' is free"
    assert result.as_dict() == {
        "slot": "staging",
        "app": "func-demo",
        "resourceGroup": "rg-demo",
        "mode": "park",
        "held": hold.as_dict(),
        "outcome": "parked",
        "parkedIn": "park",
        "waitedSeconds": 0.0,
        "reasons": result.decision.reasons,
    }


def test_park_needs_the_park_slot_or_permission_to_create_it() -> None:
    services, _ = released()
    with pytest.raises(NotFoundError) as caught:
        guard(services, STAGING, mode="park", reporter=RecordingReporter())
    assert caught.value.message == "App 'func-demo' has no slot 'park' to park the held build in."
    assert told(caught.value) == (
        "Pass --create-park-slot to create it (a slot like production, empty). "
        "Name another slot to park in with --park-slot."
    )
    assert services.fake.count("begin_swap") == 0
    assert services.fake.count("create_slot") == 0

    reporter = RecordingReporter()
    result = guard(
        services, STAGING, mode="park", park_slot="Vault", create_park_slot=True, reporter=reporter
    )
    assert result.parked_in == STAGING.other("vault")
    assert services.fake.slot(STAGING.other("vault")).content.name == "build 40"
    assert "Creating slot 'vault' to park the held build in" in reporter.texts("step")
    assert find_hold(services, STAGING) is None


def test_an_existing_park_slot_is_not_created_again() -> None:
    services, _ = released(slots=("staging", "park"))
    guard(services, STAGING, mode="park", create_park_slot=True, reporter=RecordingReporter())
    assert services.fake.count("create_slot") == 0


@pytest.mark.parametrize("park_slot", ["production", "staging", "Staging", ""])
def test_park_refuses_production_and_the_held_slot_itself(park_slot: str) -> None:
    services, _ = released(slots=("staging", "park"))
    with pytest.raises(UsageError) as caught:
        guard(services, STAGING, mode="park", park_slot=park_slot, reporter=RecordingReporter())
    target = park_slot.lower() or "production"
    assert caught.value.message == (
        f"Cannot park into slot '{target}': choose a deployment slot other than 'staging' and production."
    )
    assert told(caught.value) == "Name another slot to park in with --park-slot."
    assert services.fake.count("begin_swap") == 0


def test_park_refuses_a_park_slot_that_holds_a_build_itself() -> None:
    services, _ = released(slots=("staging", "park"))
    web = services.fake
    web.deploy(PARK, BuildInfo(build_number="41b"))
    web.swap_now(PARK)  # park now holds build 41; staging still holds build 40 from its own swap
    held_park = find_hold(services, PARK)
    assert held_park is not None
    web.calls.clear()
    with pytest.raises(HeldSlotError) as caught:
        park(services, check(services, STAGING, RecordingReporter()), GuardOptions(), RecordingReporter())
    assert caught.value.message == (
        f"Cannot park in slot 'park': {describe(held_park)}. Parking there would swap that build out of its "
        "slot and leave it unprotected."
    )
    assert told(caught.value) == (
        "Name another slot to park in with --park-slot. "
        "Not needed any more: `slotwise slot release-hold -g rg-demo -n func-demo -s park`."
    )
    assert web.count("begin_swap") == 0


def test_a_park_slot_whose_hold_has_lapsed_by_the_hold_days_may_take_the_build() -> None:
    services = fake_services(slots=("staging", "park"))
    web = services.fake
    web.deploy(PARK, BuildInfo(build_number="39"))
    web.swap_now(PARK)  # park holds production's first build...
    services.clock.advance(2 * 86400)  # ... for two days now
    web.deploy(STAGING, BUILD_41)
    web.swap_now(STAGING)  # and staging holds build 39, since a minute
    with pytest.raises(HeldSlotError, match=r"^Cannot park in slot 'park'"):
        guard(services, STAGING, mode="park", reporter=RecordingReporter())
    result = guard(services, STAGING, mode="park", hold_days=1, reporter=RecordingReporter())
    assert result.outcome == "parked"
    assert web.slot(PARK).content.name == "build 39"


def test_a_park_whose_hold_cannot_be_recorded_says_the_park_slot_is_unprotected() -> None:
    services, _ = released(slots=("staging", "park"))
    services.fake.inject("merge_tags", RemoteError("Forbidden: no tags/write", status=403))
    with pytest.raises(RemoteError) as caught:
        guard(services, STAGING, mode="park", reporter=RecordingReporter())
    assert caught.value.message == (
        "build 40 was parked in slot 'park', but recording its hold there failed: Forbidden: no tags/write"
    )
    assert told(caught.value) == (
        "Until it is recorded nothing protects slot 'park': do not deploy into it. Check the identity "
        "may write tags (Microsoft.Resources/tags/write), then park again."
    )
    assert services.fake.slot(PARK).content.name == "build 40"


def test_a_park_whose_old_record_cannot_be_cleared_fails_loudly_too() -> None:
    services, _ = released(slots=("staging", "park"), by="alice")
    services.fake.inject("delete_tags", RemoteError("throttled", status=429), slot="staging")
    with pytest.raises(RemoteError, match=r"^build 40 was parked in slot 'park', but recording its hold"):
        guard(services, STAGING, mode="park", reporter=RecordingReporter())


def test_a_failed_park_swap_records_nothing() -> None:
    services, _ = released(slots=("staging", "park"), by="alice")
    services.fake.fail_next_swap = "warm-up failed"
    with pytest.raises(RemoteError) as caught:
        guard(services, STAGING, mode="park", reporter=RecordingReporter())
    assert caught.value.message.startswith("Azure refused swapping ")  # says what it was doing
    assert "park" in caught.value.message
    assert "warm-up failed (SwapFailed)" in caught.value.message
    assert HOLD_TAG not in services.fake.slot(PARK).tags
    assert find_hold(services, STAGING) is not None


def test_parking_a_slot_that_is_not_held_changes_nothing() -> None:
    services = fake_services(slots=("staging", "park"))
    decision = GuardDecision(STAGING, None)
    result = park(services, decision, GuardOptions(), RecordingReporter())
    assert result.decision is decision
    assert (result.outcome, result.mode, result.parked_in) == ("free", "park", None)
    assert services.fake.calls == []


def test_a_guard_result_says_what_happened_as_data() -> None:
    decision = GuardDecision(STAGING, None, reasons=["the slot has never been swapped"])
    result = GuardResult(decision, "wait", "released", waited=12.3456)
    assert result.as_dict() == {
        "slot": "staging",
        "app": "func-demo",
        "resourceGroup": "rg-demo",
        "mode": "wait",
        "held": None,
        "outcome": "released",
        "parkedIn": None,
        "waitedSeconds": 12.346,
        "reasons": ["the slot has never been swapped"],
    }
