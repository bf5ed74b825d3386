"""How a swap's outcome is found out, on a scripted fake of the slots (no network): what each state of
the source slot means, when a swap counts as not having happened, how blind reads end, and that a
start whose answer was lost is sent again only when the slots show no sign of it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from slotwise.azure.models import SlotInfo, SlotRef, SwapStatus
from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, OperationTimeout, OutcomeUnknown, RemoteError, SlotwiseError
from slotwise.events import RecordingReporter
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
from tests.fake_webapps import ManualClock
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


def services(web: Any, clock: FastClock | ManualClock | None = None) -> Any:
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
    assert "activity log" in told(caught.value)
    assert "again" not in told(caught.value)
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
    assert "slot status -g rg -n app" in told(caught.value)


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


# ---- word for word, and at the boundaries (on a clock that moves only when slotwise sleeps) ----------------
PROGRESS = "swap in progress (read from the slots)"


def on_manual_clock(reads: list[SlotInfo | SlotwiseError], **kwargs: Any) -> tuple[FakeWebApps, Any]:
    web = FakeWebApps(reads, **kwargs)
    return web, services(web, ManualClock())


def test_a_swap_read_running_is_said_to_be_in_progress_every_five_seconds() -> None:
    _, svc = on_manual_clock([RUNNING] * 11 + [SWAPPED])  # read at 0, 1, ... 10 s; swapped at 11 s
    reporter = RecordingReporter()
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), reporter) == (Seen.SWAPPED, True)
    assert reporter.events == [("detail", PROGRESS), ("detail", PROGRESS)]  # at 5 s and at 10 s


def test_slots_that_show_no_swap_or_cannot_be_read_are_not_said_to_be_in_progress() -> None:
    _, svc = on_manual_clock([FREE, RemoteError("flaky", status=503)] * 4 + [SWAPPED])
    reporter = RecordingReporter()
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), reporter) == (Seen.SWAPPED, False)
    assert reporter.events == []


@pytest.mark.parametrize(
    "between", [RUNNING, RemoteError("flaky", status=503)], ids=["running", "unreadable"]
)
def test_only_reads_in_a_row_confirm_that_a_swap_did_not_happen(between: SlotInfo | SlotwiseError) -> None:
    web, svc = on_manual_clock([FREE, between, FREE, SWAPPED])
    seen, _ = wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 60), RecordingReporter())
    assert seen is Seen.SWAPPED
    assert web.read == 4


def test_a_swap_seen_done_on_the_read_at_its_deadline_is_done() -> None:
    _, svc = on_manual_clock([RUNNING] * 3 + [SWAPPED])  # read at 0, 1, 2 s; swapped at 3 s
    assert wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 3), RecordingReporter()) == (
        Seen.SWAPPED,
        True,
    )


def test_a_swap_still_running_on_the_read_at_its_deadline_is_a_timeout() -> None:
    web, svc = on_manual_clock([RUNNING] * 4 + [SWAPPED])  # it would end one read after the deadline
    with pytest.raises(OperationTimeout) as caught:
        wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 3), RecordingReporter())
    assert caught.value.message == (
        "The swap of staging with production did not finish within 120 s. It continues on the service."
    )
    assert (
        told(caught.value)
        == "Look at the slots to see how it ends. `slotwise slot status -g rg -n app` shows the slots."
    )
    assert web.read == 4


def test_an_accepted_swap_whose_outcome_cannot_be_read_says_so_and_never_to_swap_again() -> None:
    _, svc = on_manual_clock([RemoteError("Connection aborted.")])
    with pytest.raises(OutcomeUnknown) as caught:
        wait_for_end(svc, REQUEST, BASELINE, deadline_in(svc, 30), RecordingReporter())
    assert caught.value.message == (
        "Azure accepted the swap of staging with production, but its outcome could not be found out: "
        "neither the swap's status nor the slots could be read within 120 s (last answer: Connection "
        "aborted.). It may have completed, may still run, or may have failed."
    )
    assert told(caught.value) == (
        "Look at the slots (what each serves and its last swap) and at the app's activity log in the Azure "
        "portal before doing anything else; smoke checks, the hold record and any swap-back were not done. "
        "`slotwise slot status -g rg -n app` shows the slots."
    )


def test_a_failing_poll_of_a_running_swap_is_followed_and_said_to_be_in_progress() -> None:
    _, svc = on_manual_clock([RUNNING] * 6 + [SWAPPED])
    reporter = RecordingReporter()
    poller = FakePoller(RemoteError("operation not found", status=404))
    follow(svc, REQUEST, poller, BASELINE, deadline_in(svc, 60), reporter)
    assert reporter.events == [
        (
            "warning",
            "the swap's status could not be read (operation not found); reading the slots to find out how "
            "the swap ended",
        ),
        ("detail", PROGRESS),
        ("detail", "the slots show the swap completed"),
    ]


# the service's words are kept; only a final full stop is dropped before the next sentence
WORDS = [
    ("Connection refused.", "Connection refused"),
    ("Connection refused", "Connection refused"),
    (".Connection refused by proxy GW-BOX.", ".Connection refused by proxy GW-BOX"),
]


@pytest.mark.parametrize(("said", "kept"), WORDS)
def test_two_lost_starts_keep_the_words_and_the_hint_of_the_lost_connection(said: str, kept: str) -> None:
    lost = RemoteError(said, status=None, hint="Check the network, then retry.")
    web = FakeWebApps([FREE], starts=[lost])
    with pytest.raises(RemoteError) as caught:
        start(services(web), REQUEST, BASELINE, deadline_in(services(web), 60), RecordingReporter())
    assert (
        caught.value.message == f"{kept}. The slots show that Azure did not start the swap: nothing changed."
    )
    assert told(caught.value) == "Check the network, then retry."
    assert type(caught.value) is RemoteError


@pytest.mark.parametrize(("said", "kept"), WORDS)
def test_a_swap_that_did_not_happen_keeps_the_words_of_the_failing_poll(said: str, kept: str) -> None:
    svc = services(FakeWebApps([FREE]))
    with pytest.raises(RemoteError) as caught:
        follow(svc, REQUEST, FakePoller(RemoteError(said, status=400)), BASELINE, deadline_in(svc, 60),
               RecordingReporter())  # fmt: skip
    assert caught.value.message == (
        f"{kept}. The swap of staging with production did not take place: Azure no longer runs it and "
        "neither slot shows it, so both run what they ran before."
    )


# ---- a 409 to the start, told as what it is ---------------------------------------------------------------
@dataclass
class TwoSlots:
    """Each slot answers its own reads (an exception is raised); every start is refused with ``refusal``."""

    source: SlotInfo | SlotwiseError
    target: SlotInfo | SlotwiseError
    refusal: ConflictError = field(
        default_factory=lambda: ConflictError("Cannot modify this site.", status=409, code="Conflict")
    )
    poll_interval: float = 1.0

    def get(self, ref: SlotRef) -> SlotInfo:
        answer = self.source if ref == STAGING else self.target
        if isinstance(answer, SlotwiseError):
            raise answer
        return answer

    def begin_swap(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> Any:
        raise self.refusal


PRODUCTION_FREE = replace(FREE, ref=STAGING.other("production"))


@pytest.mark.parametrize(
    ("source", "target", "what"),
    [
        (RUNNING, PRODUCTION_FREE, "a swap of slot 'staging' with 'production' is in progress"),
        (slot(operation="op-1"), PRODUCTION_FREE, "a swap of slot 'staging' is in progress"),
        (slot(target="qa"), PRODUCTION_FREE, "slot 'staging' is prepared for a swap with 'qa'"),
        (slot(target="qa"), replace(RUNNING, ref=PRODUCTION_FREE.ref),
         "slot 'staging' is prepared for a swap with 'qa'"),
        (RemoteError("Connection aborted."), replace(PRODUCTION_FREE, target_swap_slot="qa"),
         "slot 'production' is prepared for a swap with 'qa'"),
        (FREE, PRODUCTION_FREE, "another operation is in progress on one of the slots"),
    ],
    ids=["running", "running, partner unknown", "prepared", "first found", "source unreadable", "neither"],
)  # fmt: skip
def test_a_409_to_the_start_names_what_is_in_the_way(
    source: SlotInfo | SlotwiseError, target: SlotInfo | SlotwiseError, what: str
) -> None:
    web = TwoSlots(source, target)
    with pytest.raises(ConflictError) as caught:
        start(services(web), REQUEST, BASELINE, 0.0, RecordingReporter())
    error = caught.value
    assert type(error) is ConflictError
    assert error.message == (
        f"Cannot swap staging with production of app 'app' now: {what}. Azure said: Cannot modify this site."
    )
    assert (error.status, error.code, error.exit_code) == (409, "Conflict", 5)
    status = "`slotwise slot status -g rg -n app` shows the slots."
    prepared = re.search(r"slot '(\w+)' is prepared for a swap with '(\w+)'", what)
    if prepared is None:
        assert told(error) == f"Wait until it has finished, then swap again. {status}"
    else:
        slot, other = prepared.groups()
        assert told(error) == (
            f"Complete or cancel the prepared swap, then swap again. {status} "
            f"Complete it: `slotwise slot swap -g rg -n app -s {slot} --target {other} --complete`. "
            f"Cancel it: `slotwise slot swap -g rg -n app -s {slot} --cancel`."
        )
