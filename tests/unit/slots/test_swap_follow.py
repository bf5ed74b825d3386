"""How a swap's outcome is found out, on a scripted fake of the slots (no network): what each state of
the source slot means, when a swap counts as not having happened, how blind reads end, and that a
start whose answer was lost is sent again only when the slots show no sign of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus
from slotwise.errors import ConflictError, OperationTimeout, OutcomeUnknown, RemoteError, SlotwiseError
from slotwise.slots.events import RecordingReporter
from slotwise.slots.swap import SwapRequest
from slotwise.slots.swap_follow import (
    CONFIRM_NOT_SWAPPED,
    MAX_READ_PAUSE,
    Baseline,
    Seen,
    follow,
    observe,
    start,
    wait_for_end,
)
from tests.fakes import FastClock, slot_info

STAGING = SlotRef("rg", "app", "staging")
REQUEST = SwapRequest(STAGING, timeout=120)
BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
AFTER = BEFORE + timedelta(minutes=5)


def slot(
    *,
    swapped: SwapStatus | None = None,
    target: str | None = None,
    operation: str | None = None,
) -> SlotInfo:
    return slot_info(STAGING, swap=swapped, target=target, operation=operation)


FREE = slot(swapped=SwapStatus(BEFORE, "staging", "production"))
RUNNING = replace(FREE, target_swap_slot="production", in_progress_operation_id="op-1")
SWAPPED = slot(swapped=SwapStatus(AFTER, "production", "staging"))
BASELINE = Baseline(BEFORE, prepared=False)


@dataclass
class FakeWebApps:
    """The slots, as a script: each read of the source answers the next entry (the last one repeats);
    an exception in the script is raised instead. ``starts`` answer ``begin_swap`` the same way."""

    reads: list[SlotInfo | SlotwiseError]
    starts: list[Any] = field(default_factory=lambda: ["poller"])
    poll_interval: float = 1.0
    started: int = 0
    read: int = 0

    def get(self, ref: SlotRef) -> SlotInfo:
        answer = self.reads[min(self.read, len(self.reads) - 1)]
        self.read += 1
        if isinstance(answer, SlotwiseError):
            raise answer
        return answer

    def begin_swap(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> Any:
        answer = self.starts[min(self.started, len(self.starts) - 1)]
        self.started += 1
        if isinstance(answer, BaseException):
            raise answer
        return answer


def services(web: FakeWebApps, clock: FastClock | None = None) -> Any:
    return SimpleNamespace(web_apps=web, clock=clock or FastClock(real_cap=0))


def deadline_in(svc: Any, seconds: float) -> float:
    return float(svc.clock.monotonic()) + seconds


# ---- observe ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("info", "baseline", "seen"),
    [
        (SWAPPED, BASELINE, Seen.SWAPPED),
        (SWAPPED, Baseline(None, prepared=False), Seen.SWAPPED),
        (FREE, BASELINE, Seen.NOT_SWAPPED),  # the same swap record as before: not a new swap
        (slot(swapped=SwapStatus(AFTER, "staging", "park")), BASELINE, Seen.NOT_SWAPPED),  # another pair
        (RUNNING, BASELINE, Seen.RUNNING),
        (slot(target="production"), BASELINE, Seen.RUNNING),  # phase one applied: the swap runs
        (slot(target="production"), Baseline(BEFORE, prepared=True), Seen.NOT_SWAPPED),  # only prepared
        (slot(target="production", operation="op"), Baseline(BEFORE, prepared=True), Seen.RUNNING),
        (slot(operation="op"), BASELINE, Seen.RUNNING),
    ],
    ids=["newer", "first", "same", "other pair", "running", "target set", "prepared", "completing",
         "operation"],
)  # fmt: skip
def test_what_the_source_slot_says_about_the_swap(info: SlotInfo, baseline: Baseline, seen: Seen) -> None:
    assert observe(services(FakeWebApps([info])), REQUEST, baseline) is seen


def test_a_swap_at_the_very_time_of_the_previous_one_is_not_new() -> None:
    again = slot(swapped=SwapStatus(BEFORE, "production", "staging"))
    assert observe(services(FakeWebApps([again])), REQUEST, BASELINE) is Seen.NOT_SWAPPED


# ---- wait_for_end ----------------------------------------------------------------------------------------
def test_a_swap_is_said_not_to_have_happened_only_after_confirming_reads() -> None:
    web = FakeWebApps([FREE] * (CONFIRM_NOT_SWAPPED - 1) + [SWAPPED])
    svc = services(web)
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter()) == (
        Seen.SWAPPED,
        False,
    )
    web = FakeWebApps([FREE])
    svc = services(web)
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter()) == (
        Seen.NOT_SWAPPED,
        False,
    )
    assert web.read == CONFIRM_NOT_SWAPPED


def test_a_running_swap_is_followed_to_its_end_and_remembered() -> None:
    svc = services(FakeWebApps([RUNNING, RUNNING, FREE]))
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter()) == (
        Seen.NOT_SWAPPED,
        True,
    )


def test_a_swap_still_running_at_the_deadline_is_a_timeout() -> None:
    svc = services(FakeWebApps([RUNNING]))
    with pytest.raises(OperationTimeout) as caught:
        wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 30), RecordingReporter())
    assert "continues on the service" in caught.value.message


def test_blind_reads_back_off_and_end_in_outcome_unknown() -> None:
    clock = FastClock(real_cap=0)
    svc = services(FakeWebApps([RemoteError("no access", status=403)]), clock)
    with pytest.raises(OutcomeUnknown) as caught:
        wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 120), RecordingReporter())
    assert caught.value.exit_code == 10
    assert caught.value.message.startswith(
        "Azure accepted the swap of staging with production, but its outcome could not be found out"
    )
    assert "no access" in caught.value.message
    assert "activity log" in caught.value.hint
    assert "again" not in caught.value.hint
    assert clock.sleeps[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_READ_PAUSE]
    assert max(clock.sleeps) == MAX_READ_PAUSE
    assert sum(clock.sleeps) == pytest.approx(120, abs=1)


def test_a_read_that_recovers_resets_the_pause() -> None:
    clock = FastClock(real_cap=0)
    blind = RemoteError("flaky", status=503)
    svc = services(FakeWebApps([blind, blind, RUNNING, SWAPPED]), clock)
    wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 120), RecordingReporter())
    assert clock.sleeps == [1.0, 2.0, 1.0]


def test_blind_reads_after_a_lost_start_say_the_start_is_unknown() -> None:
    svc = services(FakeWebApps([RemoteError("down", status=None)]))
    with pytest.raises(OutcomeUnknown) as caught:
        wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 10), RecordingReporter(), accepted=False)
    assert "whether Azure started it could not be found out" in caught.value.message


# ---- start -----------------------------------------------------------------------------------------------
LOST = RemoteError("Could not reach Azure", status=None)


def test_a_lost_start_the_slots_show_is_followed_not_sent_again() -> None:
    web = FakeWebApps([RUNNING, SWAPPED], starts=[LOST, "second poller"])
    svc = services(web)
    reporter = RecordingReporter()
    assert start(svc, REQUEST, BASELINE, deadline_in(svc, 60), reporter) is None
    assert web.started == 1
    assert any("lost the connection" in w for w in reporter.texts("warning"))


def test_a_lost_start_the_slots_show_no_sign_of_is_sent_once_more() -> None:
    web = FakeWebApps([FREE], starts=[LOST, "second poller"])
    svc = services(web)
    assert start(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter()) == "second poller"
    assert web.started == 2


def test_two_lost_starts_without_a_sign_are_a_remote_error_saying_nothing_changed() -> None:
    web = FakeWebApps([FREE], starts=[LOST])
    svc = services(web)
    with pytest.raises(RemoteError) as caught:
        start(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter())
    assert web.started == 2
    assert "did not start the swap: nothing changed" in caught.value.message


def test_a_lost_start_that_ran_and_ended_unswapped_is_not_sent_again() -> None:
    web = FakeWebApps([RUNNING, FREE], starts=[LOST])
    svc = services(web)
    with pytest.raises(RemoteError) as caught:
        start(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter())
    assert web.started == 1
    assert "did not take place" in caught.value.message


def test_a_refused_start_is_raised_as_is() -> None:
    refused = RemoteError("Azure refused: bad request", status=400)
    web = FakeWebApps([FREE], starts=[refused])
    with pytest.raises(RemoteError) as caught:
        start(services(web), REQUEST, BASELINE, 0.0, RecordingReporter())
    assert caught.value is refused
    assert web.read == 0


def test_a_409_to_the_start_names_the_running_swap() -> None:
    web = FakeWebApps([RUNNING], starts=[ConflictError("another operation is in progress", status=409)])
    with pytest.raises(ConflictError) as caught:
        start(services(web), REQUEST, BASELINE, 0.0, RecordingReporter())
    assert "a swap of slot 'staging' with 'production' is in progress" in caught.value.message
    assert "another operation is in progress" in caught.value.message
    assert "slot status -g rg -n app" in caught.value.hint


# ---- follow ----------------------------------------------------------------------------------------------
@dataclass
class FakePoller:
    """An LROPoller whose thread ended with ``error`` (or succeeded)."""

    error: Exception | None = None
    on_result: Callable[[], None] = lambda: None

    def done(self) -> bool:
        return True

    def wait(self, timeout: float | None = None) -> None:
        if self.error:
            raise self.error

    def result(self) -> None:
        if self.error:
            raise self.error


def test_a_poll_that_succeeds_is_believed_without_reading_the_slots() -> None:
    web = FakeWebApps([FREE])
    follow(services(web), REQUEST, FakePoller(), BASELINE, 60.0, RecordingReporter())
    assert web.read == 0


def test_a_failing_poll_is_resolved_by_the_slots() -> None:
    web = FakeWebApps([RUNNING, SWAPPED])
    svc = services(web)
    reporter = RecordingReporter()
    poller = FakePoller(RemoteError("operation not found", status=404))
    follow(svc, REQUEST, poller, BASELINE, deadline_in(svc, 60), reporter)
    assert web.read == 2
    assert any("reading the slots" in w for w in reporter.texts("warning"))


def test_a_failing_poll_of_a_swap_that_did_not_happen_keeps_the_services_words() -> None:
    svc = services(FakeWebApps([FREE]))
    poller = FakePoller(RemoteError("Azure refused swapping: warm-up failed (BadRequest)", status=400))
    with pytest.raises(RemoteError) as caught:
        follow(svc, REQUEST, poller, BASELINE, deadline_in(svc, 60), RecordingReporter())
    assert "warm-up failed" in caught.value.message
    assert "did not take place" in caught.value.message
    assert caught.value.status == 400
