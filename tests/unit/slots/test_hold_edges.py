"""Hold detection at its edges (pure ``assess``, ``Content.of``) and the hold records written through
ARM (``record_hold``, ``release_hold``, ``find_hold``) on the in-memory Azure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from slotwise.azure.kudu import KuduDeployment
from slotwise.azure.models import SlotRef, SwapStatus
from slotwise.builds import BuildInfo
from slotwise.errors import UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.holds import (
    HOLD_TAG,
    RELEASED_TAG,
    TAG_VALUE_LIMIT,
    Content,
    HoldRecord,
    ReleaseMark,
    _shortened,
    assess,
    find_hold,
    format_time,
    inspect_slot,
    parse_time,
    record_hold,
    release_hold,
    same_swap,
)
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services
from tests.unit.slots.test_holds import AFTER, BEFORE, NOW, WITH_PRODUCTION, T, deployed, record, slot

BUILD_40, BUILD_41 = BuildInfo(build_number="40"), BuildInfo(build_number="41")


# ---- what a slot serves ------------------------------------------------------------------------------
def kudu(
    deployment_id: str, *, active: bool, status: int = 4, end: Any = None, received: Any = None
) -> KuduDeployment:
    return KuduDeployment.from_json(
        {
            "id": deployment_id,
            "status": status,
            "complete": True,
            "active": active,
            "received_time": received.isoformat() if received else None,
            "end_time": end.isoformat() if end else None,
        }
    )


def test_the_live_deployment_is_the_active_one_even_when_a_newer_one_succeeded() -> None:
    content = Content.of([kudu("newer", active=False, end=AFTER), kudu("older", active=True, end=BEFORE)])
    assert content is not None
    assert (content.deployment_id, content.deployed_at) == ("older", BEFORE)


def test_without_an_active_deployment_the_newest_successful_one_is_live() -> None:
    content = Content.of(
        [kudu("failed", active=False, status=3, end=AFTER), kudu("ok", active=False, end=BEFORE)]
    )
    assert content is not None
    assert content.deployment_id == "ok"
    assert Content.of([kudu("failed", active=False, status=3, end=AFTER)]) is None
    assert Content.of([]) is None


def test_a_deployment_counts_from_its_end_else_from_when_it_was_received() -> None:
    ended = Content.of([kudu("a", active=True, end=AFTER, received=BEFORE)])
    assert ended is not None
    assert ended.deployed_at == AFTER
    received = Content.of([kudu("a", active=True, received=BEFORE)])
    assert received is not None
    assert received.deployed_at == BEFORE


# ---- deciding, at the edges ------------------------------------------------------------------------------
def test_production_is_never_held_and_says_so() -> None:
    production = slot(SlotRef("rg-demo", "func-demo", "production"))
    found = assess(production, deployed(BEFORE), now=NOW)
    assert (found.slot, found.hold, found.reasons) == (production.ref, None, ["production is never held"])


def test_every_assessment_names_its_slot() -> None:
    released = {RELEASED_TAG: ReleaseMark(T, NOW).encode()}
    for info, content, now in (
        (slot(swap=None), None, NOW),  # no hold
        (slot(tags=released), deployed(BEFORE), NOW),  # released
        (slot(), deployed(BEFORE), T + timedelta(days=8)),  # expired
        (slot(), deployed(BEFORE), NOW),  # held
    ):
        assert assess(info, content, now=now).slot == info.ref


def test_a_released_or_expired_hold_is_shown_as_ended() -> None:
    released = assess(slot(tags={RELEASED_TAG: ReleaseMark(T, NOW).encode()}), deployed(BEFORE), now=NOW)
    assert released.ended is not None
    assert (released.ended.build, released.ended.since, released.lapse) == ("build 41", T, "released")
    assert released.reasons == [f"the hold was released by someone at {format_time(NOW)}"]


def test_a_hold_expires_at_its_very_expiry_time() -> None:
    expiry = T + timedelta(days=7)
    assert assess(slot(), deployed(BEFORE), now=expiry - timedelta(microseconds=1)).hold is not None
    found = assess(slot(), deployed(BEFORE), now=expiry)
    assert (found.hold, found.lapse) == (None, "expired")


def test_a_deployment_at_the_moment_of_the_swap_is_not_a_redeployment() -> None:
    assert assess(slot(), deployed(T), now=NOW).hold is not None
    assert assess(slot(), deployed(T + timedelta(microseconds=1)), now=NOW).hold is None


def test_swap_times_exactly_a_millisecond_apart_are_still_one_swap() -> None:
    assert same_swap(T, T + timedelta(milliseconds=1))
    assert same_swap(T + timedelta(milliseconds=1), T)
    assert not same_swap(T, T + timedelta(milliseconds=1, microseconds=1))


def test_an_unreadable_release_mark_is_ignored_with_a_reason() -> None:
    found = assess(slot(tags={RELEASED_TAG: "{oops"}), deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert found.reasons == [f"the {RELEASED_TAG} tag is not a record this slotwise can read; it is ignored"]


def test_a_record_of_a_slot_that_shows_no_swap_holds_from_its_own_time() -> None:
    never_swapped = slot(swap=None, tags={HOLD_TAG: record(swap=None)})
    found = assess(never_swapped, deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert (found.hold.source, found.hold.build) == ("slotwise", "build 41")
    assert assess(never_swapped, deployed(AFTER), now=NOW).hold is None  # redeployed after ``since``


def test_a_parked_build_deployed_before_the_park_swap_is_still_held() -> None:
    # the build left production a day before it was parked; what the park slot serves was deployed
    # between the two: it is the parked build (its history travelled with it), not a redeployment
    parked_at = T
    tags = {HOLD_TAG: record(since=T - timedelta(days=1), swap=parked_at, parked_from="staging")}
    park = slot(SlotRef("rg-demo", "func-demo", "park"), SwapStatus(parked_at, "staging", "park"), tags)
    found = assess(park, deployed(T - timedelta(hours=1)), now=NOW)
    assert found.hold is not None
    assert found.hold.parked_from == "staging"


# ---- through ARM and Kudu (the in-memory Azure) ---------------------------------------------------------
def released_into_production() -> FakeServices:
    """Production ran build 40; build 41 came in from staging, which now serves build 40."""
    services = fake_services()
    services.fake.deploy(PRODUCTION_SLOT, BUILD_40)
    services.fake.deploy(STAGING, BUILD_41)
    services.fake.swap_now(STAGING)
    return services


def swap_time(services: FakeServices, ref: SlotRef = STAGING) -> Any:
    status = services.fake.slot(ref).swap_status
    assert status is not None
    return status.timestamp


def test_production_content_is_not_read() -> None:
    services = released_into_production()
    content, found = inspect_slot(services, services.web_apps.get(PRODUCTION_SLOT))
    assert (content, found.hold) == (None, None)
    content, _ = inspect_slot(services, services.web_apps.get(STAGING))
    assert content is not None
    assert content.label == "build 40"


def test_find_hold_counts_the_hold_days_it_is_given() -> None:
    services = released_into_production()
    services.clock.advance(2 * 86400)
    assert find_hold(services, STAGING) is not None
    assert find_hold(services, STAGING, hold_days=1) is None


def test_a_hold_is_recorded_against_the_swap_the_slot_shows() -> None:
    services = released_into_production()
    services.clock.advance(30)
    hold = record_hold(services, STAGING, BUILD_40, "alice")
    swapped = swap_time(services)
    assert (hold.build, hold.by, hold.since, hold.source) == ("build 40", "alice", swapped, "slotwise")
    assert hold.expires == swapped + timedelta(days=7)
    stored = HoldRecord.decode(services.fake.slot(STAGING).tags[HOLD_TAG])
    assert (stored.swap, stored.since) == (swapped, swapped)


def test_a_hold_on_a_slot_that_shows_no_swap_starts_now() -> None:
    services = fake_services()
    services.fake.deploy(STAGING, BUILD_41)
    hold = record_hold(services, STAGING, "a label", None)
    assert (hold.build, hold.since, hold.by) == ("a label", services.clock.now(), None)
    assert HoldRecord.decode(services.fake.slot(STAGING).tags[HOLD_TAG]).swap is None
    unlabelled = record_hold(services, STAGING, None, None)
    assert unlabelled.build == "an unlabelled build"


def test_a_new_record_removes_the_release_mark_and_leaves_other_tags() -> None:
    services = released_into_production()
    services.fake.slot(STAGING).tags.update(
        {"Slotwise-Released": ReleaseMark(T, NOW).encode(), "owner": "ops"}
    )
    record_hold(services, STAGING, BUILD_40, "alice")
    tags = services.fake.slot(STAGING).tags
    assert sorted(tags) == ["owner", HOLD_TAG]
    assert find_hold(services, STAGING) is not None


def test_production_cannot_be_recorded_as_held() -> None:
    services = released_into_production()
    with pytest.raises(UsageError) as caught:
        record_hold(services, PRODUCTION_SLOT, BUILD_40, "alice")
    assert caught.value.message == (
        "Cannot record a hold on production of app 'func-demo': production is never held."
    )
    assert services.fake.count("merge_tags") == 0


def test_releasing_a_hold_removes_the_record_and_marks_the_swap() -> None:
    services = released_into_production()
    record_hold(services, STAGING, BUILD_40, "alice")
    services.clock.advance(120)
    reporter = RecordingReporter()
    result = release_hold(services, STAGING, by="bob", reporter=reporter)
    swapped = swap_time(services)
    assert (result.slot, result.swap, result.by) == (STAGING, swapped, "bob")
    assert result.released is not None
    assert (result.released.build, result.released.by) == ("build 40", "alice")
    tags = services.fake.slot(STAGING).tags
    assert HOLD_TAG not in tags
    assert ReleaseMark.decode(tags[RELEASED_TAG]) == ReleaseMark(swapped, services.clock.now(), "bob")
    assert reporter.events == [
        ("step", "Releasing the hold on func-demo/staging: build 40 may now be overwritten"),
        ("detail", f"marked the swap of {format_time(swapped)} released"),
    ]
    assert result.as_dict() == {
        "slot": "staging",
        "released": result.released.as_dict(),
        "swap": swapped.isoformat(),
        "by": "bob",
    }
    assert find_hold(services, STAGING) is None


def test_releasing_a_slot_that_holds_nothing_removes_a_stale_record_only() -> None:
    services = released_into_production()
    record_hold(services, STAGING, BUILD_40, "alice")
    services.fake.deploy(STAGING, BuildInfo(build_number="42"))  # the record is stale now
    reporter = RecordingReporter()
    result = release_hold(services, STAGING, by="bob", reporter=reporter)
    assert (result.slot, result.released, result.swap, result.by) == (STAGING, None, None, "bob")
    assert result.as_dict() == {"slot": "staging", "released": None, "swap": None, "by": "bob"}
    assert reporter.events == [("step", "func-demo/staging holds nothing: there is no hold to release")]
    assert services.fake.slot(STAGING).tags == {}


def test_release_counts_the_hold_days_it_is_given() -> None:
    services = released_into_production()
    services.clock.advance(2 * 86400)
    assert (
        release_hold(services, STAGING, by="bob", reporter=RecordingReporter(), hold_days=1).released is None
    )
    assert RELEASED_TAG not in services.fake.slot(STAGING).tags


def test_releasing_a_record_of_a_slot_that_shows_no_swap_marks_nothing() -> None:
    services = fake_services()
    services.fake.deploy(STAGING, BUILD_41)
    record_hold(services, STAGING, BUILD_41, "alice")
    reporter = RecordingReporter()
    result = release_hold(services, STAGING, by="bob", reporter=reporter)
    assert result.released is not None
    assert result.swap is None
    assert services.fake.slot(STAGING).tags == {}
    assert reporter.texts("detail") == []


def test_a_swap_with_production_is_told_apart_from_other_swaps() -> None:
    for status, held in (
        (WITH_PRODUCTION, True),
        (SwapStatus(T, "production", "staging"), True),
        (SwapStatus(T, "staging", "qa"), False),
        (SwapStatus(T, "qa", "production"), False),
    ):
        assert (assess(slot(swap=status), deployed(BEFORE), now=NOW).hold is not None) is held


# ---- the tag format at its edges -------------------------------------------------------------------------
def test_a_time_without_a_zone_is_read_as_utc_and_what_is_no_time_is_refused() -> None:
    assert parse_time("2025-03-01T12:00:00.123") == T
    assert parse_time(" 2025-03-01T14:00:00.123+02:00 ") == T
    with pytest.raises(ValueError, match=r"^not a time: 5$"):
        parse_time(5)


def test_text_is_shortened_to_exactly_the_length_with_a_mark() -> None:
    assert _shortened("abcdefgh", 8) == "abcdefgh"
    assert _shortened("abcdefghi", 8) == "abcdefg~"
    assert _shortened("abc", 1) == "a~"


@pytest.mark.parametrize("length", [500, 501])
def test_a_shortened_record_uses_every_character_arm_allows(length: int) -> None:
    encoded = ReleaseMark(T, NOW, by="b" * length).encode()
    assert len(encoded) == TAG_VALUE_LIMIT
    by = ReleaseMark.decode(encoded).by
    assert by is not None
    assert by.endswith("~")


def test_a_record_that_fits_exactly_is_not_shortened() -> None:
    base = len(ReleaseMark(T, NOW, by="b").encode())
    fits = "b" * (TAG_VALUE_LIMIT - base + 1)
    assert ReleaseMark.decode(ReleaseMark(T, NOW, by=fits).encode()).by == fits
