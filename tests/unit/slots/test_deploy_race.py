"""What a deployment racing a swap compares and names, without IO: the swap state, and the build a
deployment replaced (``slots.deploy_race``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from slotwise.azure.kudu_records import KuduDeployment
from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus
from slotwise.builds import BuildInfo
from slotwise.slots.deploy_race import replaced_build, swap_state
from slotwise.slots.holds import HOLD_TAG, UNLABELLED, HoldRecord
from tests.fakes import slot_info

T = datetime(2026, 1, 2, 9, 30, 0, 250000, tzinfo=timezone.utc)  # the racing swap
STAGING = SlotRef("rg-demo", "func-demo", "staging")


def slot(
    swap: SwapStatus | None, *, tags: dict[str, str] | None = None, target: str | None = None
) -> SlotInfo:
    return slot_info(STAGING, swap=swap, target=target, tags=tags)


def deployment(ident: str, number: str | None, ended: datetime, *, active: bool = False) -> KuduDeployment:
    message = BuildInfo(build_number=number).to_message() if number else "Created via a push deployment"
    return KuduDeployment(
        id=ident,
        status=4,
        status_text="",
        complete=True,
        active=active,
        received_time=ended - timedelta(seconds=5),
        start_time=ended - timedelta(seconds=4),
        end_time=ended,
        author=None,
        deployer="slotwise",
        message=message,
        progress="",
    )


SWAPPED = SwapStatus(T, "staging", "production")
OURS = deployment("ours", "20260101.3", T + timedelta(seconds=30), active=True)
HELD = deployment("held", "20260101.1", T - timedelta(days=1))
OLDER = deployment("older", "20251231.9", T - timedelta(days=2))


def hold_tag(build: str, swap: datetime) -> dict[str, str]:
    record = HoldRecord(build=build, since=swap, expires=swap + timedelta(days=7), by="alice", swap=swap)
    return {HOLD_TAG: record.encode()}


def test_the_swap_state_tells_one_swap_from_another_and_a_running_one() -> None:
    before = slot(SwapStatus(T - timedelta(days=3), "staging", "production"))
    assert swap_state(before) == swap_state(slot(SwapStatus(T - timedelta(days=3), "staging", "production")))
    assert swap_state(before) != swap_state(slot(SWAPPED))
    assert swap_state(before) != swap_state(slot(before.swap_status, target="Production"))
    assert swap_state(slot(None)) != swap_state(slot(SWAPPED))
    # what it is: the last swap, and the partner of a swap running or prepared (in lower case) or None
    assert swap_state(slot(SWAPPED, target="Production")) == (SWAPPED, "production")
    assert swap_state(slot(SWAPPED, target="qa")) != swap_state(slot(SWAPPED, target="production"))
    assert swap_state(slot(SWAPPED)) == (SWAPPED, None)


def test_the_replaced_build_is_the_one_the_hold_of_that_swap_names() -> None:
    info = slot(SWAPPED, tags=hold_tag("build 20260101.1 (Release-12)", T))
    assert replaced_build(info, [OURS, HELD, OLDER], "ours") == "build 20260101.1 (Release-12)"


def test_without_a_hold_for_that_swap_the_live_deployment_before_ours_is_named() -> None:
    stale = slot(SWAPPED, tags=hold_tag("build 20251231.9", T - timedelta(days=2)))  # about another swap
    assert replaced_build(stale, [OURS, HELD, OLDER], "ours") == "build 20260101.1"
    assert (
        replaced_build(slot(SWAPPED, tags={HOLD_TAG: "not json"}), [OURS, HELD], "ours") == "build 20260101.1"
    )


def test_a_slot_never_swapped_names_the_live_deployment_before_ours_whatever_its_tags_say() -> None:
    never = slot(None, tags=hold_tag("build 20251231.9", T))
    assert replaced_build(never, [OURS, HELD, OLDER], "ours") == "build 20260101.1"


def test_an_unstamped_or_missing_previous_build_is_still_named() -> None:
    unstamped = deployment("0123456789abcdef", None, T - timedelta(days=1))
    assert replaced_build(slot(SWAPPED), [OURS, unstamped], "ours") == "deployment 01234567"
    assert replaced_build(slot(SWAPPED), [OURS], "ours") == UNLABELLED
