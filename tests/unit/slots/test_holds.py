"""Hold records (tags) and the hold decision, pure: no emulator, no network."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus
from slotwise.builds import BuildInfo
from slotwise.slots.holds import (
    HOLD_TAG,
    RELEASED_TAG,
    TAG_VALUE_LIMIT,
    Content,
    HoldRecord,
    ReleaseMark,
    assess,
    format_time,
    parse_time,
    same_swap,
)
from tests.fakes import slot_info

T = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)  # the swap
STAGING = SlotRef("rg-demo", "func-demo", "staging")
BUILD_41 = BuildInfo(build_number="41")
WITH_PRODUCTION = SwapStatus(T, "staging", "production")


def slot(
    ref: SlotRef = STAGING,
    swap: SwapStatus | None = WITH_PRODUCTION,
    tags: dict[str, str] | None = None,
) -> SlotInfo:
    return slot_info(ref, swap=swap, tags=tags)


def deployed(at: datetime, build: BuildInfo | None = BUILD_41) -> Content:
    return Content("0123456789abcdef", at, build)


def record(**changes: object) -> str:
    fields: dict[str, object] = {
        "build": "build 41",
        "since": T,
        "expires": T + timedelta(days=7),
        "by": "alice",
        "swap": T,
    }
    fields.update(changes)
    return HoldRecord(**fields).encode()  # type: ignore[arg-type]


NOW = T + timedelta(hours=1)
BEFORE = T - timedelta(minutes=5)
AFTER = T + timedelta(minutes=5)


# ---- the tag records ----------------------------------------------------------------------------------
def test_a_hold_record_survives_the_round_trip_as_compact_ascii_json() -> None:
    original = HoldRecord(
        "build 41", T, T + timedelta(days=7), by="Jürgen Müller", swap=T, parked_from="staging"
    )
    encoded = original.encode()

    assert encoded.isascii()
    assert '", "' not in encoded
    assert '": ' not in encoded
    assert len(encoded) <= TAG_VALUE_LIMIT
    data = json.loads(encoded)
    assert (data["v"], data["swap"]) == (1, "since")  # the swap is the one the build left production in
    assert HoldRecord.decode(encoded) == original


def test_a_parked_record_keeps_its_own_swap_time() -> None:
    parked = HoldRecord("build 41", T, T + timedelta(days=7), swap=T + timedelta(hours=2))
    assert HoldRecord.decode(parked.encode()).swap == T + timedelta(hours=2)


def test_long_labels_and_names_are_shortened_to_fit_armss_256_character_limit() -> None:
    long = HoldRecord(
        "build " + "x" * 300, T, T + timedelta(days=7), by="ü" * 200, swap=T, parked_from="p" * 80
    )
    encoded = long.encode()
    assert len(encoded) <= TAG_VALUE_LIMIT
    decoded = HoldRecord.decode(encoded)
    assert decoded.build.startswith("build xxx")
    assert decoded.build.endswith("~")
    assert decoded.by
    assert decoded.by.startswith("ü")
    assert decoded.by.endswith("~")
    assert (decoded.since, decoded.expires, decoded.swap) == (T, T + timedelta(days=7), T)


def test_remote_text_is_flattened_and_cannot_carry_logging_commands() -> None:
    sneaky = HoldRecord("build 1\n##vso[task.setvariable variable=x]y", T, T, by="a\x1b[31mb")
    decoded = HoldRecord.decode(sneaky.encode())
    assert "\n" not in decoded.build
    assert "##vso[" not in decoded.build
    assert decoded.by == "a[31mb"


def test_a_release_mark_survives_the_round_trip() -> None:
    mark = ReleaseMark(swap=T, at=NOW, by="bob")
    assert ReleaseMark.decode(mark.encode()) == mark
    assert len(ReleaseMark(T, NOW, by="b" * 500).encode()) <= TAG_VALUE_LIMIT


@pytest.mark.parametrize(
    "value", ["", "not json", "[]", '{"v": 2, "build": "x"}', '{"v": 1, "build": "x"}', '{"v":1,"since":5}']
)
def test_what_is_not_a_record_is_refused(value: str) -> None:
    with pytest.raises((ValueError, TypeError)):
        HoldRecord.decode(value)


def test_times_are_utc_microseconds_and_one_swap_is_recognised_across_rounding() -> None:
    assert format_time(T) == "2025-03-01T12:00:00.123000Z"
    assert parse_time("2025-03-01T12:00:00.123Z") == T
    local = T.astimezone(timezone(timedelta(hours=2)))
    assert format_time(local) == "2025-03-01T12:00:00.123000Z"
    assert same_swap(T, T + timedelta(microseconds=900))
    assert not same_swap(T, T + timedelta(milliseconds=5))  # swaps in quick succession stay apart
    assert same_swap(None, None)
    assert not same_swap(T, None)


# ---- deciding -----------------------------------------------------------------------------------------
def test_production_is_never_held() -> None:
    production = slot(SlotRef("rg-demo", "func-demo", "production"))
    assert assess(production, deployed(BEFORE), now=NOW).hold is None


def test_a_slot_never_swapped_is_not_held() -> None:
    found = assess(slot(swap=None), deployed(BEFORE), now=NOW)
    assert (found.hold, found.reasons) == (None, ["the slot has never been swapped"])


def test_a_swap_with_production_over_older_content_is_an_inferred_hold() -> None:
    hold = assess(slot(), deployed(BEFORE), now=NOW).hold
    assert hold is not None
    assert (hold.build, hold.since, hold.by, hold.source) == ("build 41", T, None, "swap-status")
    assert hold.expires == T + timedelta(days=7)
    assert "another tool" in hold.swapped_by


def test_either_direction_of_the_swap_counts() -> None:
    from_production = slot(swap=SwapStatus(T, "production", "staging"))
    assert assess(from_production, deployed(BEFORE), now=NOW).hold is not None


def test_content_never_deployed_is_held_unlabelled_and_unstamped_content_by_deployment_id() -> None:
    assert assess(slot(), None, now=NOW).hold.build == "an unlabelled build"  # type: ignore[union-attr]
    unstamped = assess(slot(), deployed(BEFORE, build=None), now=NOW).hold
    assert unstamped is not None
    assert unstamped.build == "deployment 01234567"


def test_a_redeployment_after_the_swap_ends_the_hold() -> None:
    found = assess(slot(), deployed(AFTER), now=NOW)
    assert found.hold is None
    assert "redeployed" in found.reasons[0]


def test_a_swap_with_another_slot_is_no_hold() -> None:
    found = assess(slot(swap=SwapStatus(T, "staging", "park")), deployed(BEFORE), now=NOW)
    assert found.hold is None
    assert "not with production" in found.reasons[0]


def test_holds_expire_after_the_configured_days() -> None:
    later = T + timedelta(days=3)
    assert assess(slot(), deployed(BEFORE), now=later).hold is not None
    found = assess(slot(), deployed(BEFORE), now=later, hold_days=2)
    assert (found.hold, found.lapse) == (None, "expired")
    assert found.ended is not None
    assert found.ended.build == "build 41"


def test_a_recorded_hold_names_who_and_which_build() -> None:
    found = assess(slot(tags={HOLD_TAG: record(build="build 40")}), deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert (found.hold.build, found.hold.by, found.hold.source) == ("build 40", "alice", "slotwise")
    assert found.hold.swapped_by == "by alice"


def test_tag_names_match_case_insensitively_as_in_arm() -> None:
    found = assess(slot(tags={"Slotwise-Hold": record()}), deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert found.hold.source == "slotwise"


def test_a_recorded_hold_with_a_past_expiry_is_over() -> None:
    tags = {HOLD_TAG: record(expires=T + timedelta(minutes=30))}
    found = assess(slot(tags=tags), deployed(BEFORE), now=NOW)
    assert (found.hold, found.lapse) == (None, "expired")


def test_a_record_about_an_earlier_swap_is_stale_and_the_inference_decides() -> None:
    tags = {HOLD_TAG: record(since=T - timedelta(days=1), swap=T - timedelta(days=1))}
    found = assess(slot(tags=tags), deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert found.hold.source == "swap-status"
    assert "stale" in found.reasons[0]


def test_a_record_ends_when_the_slot_is_redeployed() -> None:
    assert assess(slot(tags={HOLD_TAG: record()}), deployed(AFTER), now=NOW).hold is None


def test_a_parked_hold_lives_on_its_record_in_the_park_slot() -> None:
    park_swap = T + timedelta(hours=2)
    park = slot(
        SlotRef("rg-demo", "func-demo", "park"),
        swap=SwapStatus(park_swap, "staging", "park"),
        tags={HOLD_TAG: record(swap=park_swap, parked_from="staging")},
    )
    hold = assess(park, deployed(BEFORE), now=park_swap + timedelta(minutes=1)).hold
    assert hold is not None
    assert (hold.build, hold.since, hold.parked_from) == ("build 41", T, "staging")


def test_a_release_mark_for_the_same_swap_ends_the_inferred_hold() -> None:
    tags = {RELEASED_TAG: ReleaseMark(T + timedelta(microseconds=400), NOW, "bob").encode()}
    found = assess(slot(tags=tags), deployed(BEFORE), now=NOW)
    assert (found.hold, found.lapse) == (None, "released")
    assert "released by bob" in found.reasons[-1]


def test_a_release_mark_for_an_earlier_swap_does_not_end_a_new_hold() -> None:
    tags = {RELEASED_TAG: ReleaseMark(T - timedelta(days=2), NOW, "bob").encode()}
    assert assess(slot(tags=tags), deployed(BEFORE), now=NOW).hold is not None


def test_an_unreadable_record_is_ignored_with_a_reason() -> None:
    found = assess(slot(tags={HOLD_TAG: "{oops"}), deployed(BEFORE), now=NOW)
    assert found.hold is not None
    assert found.hold.source == "swap-status"
    assert "not a record" in found.reasons[0]
