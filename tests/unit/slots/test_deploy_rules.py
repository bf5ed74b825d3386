"""The pure rules of a deployment: which slot it may target, how a hold is refused, how Kudu's text and
records are read, how bytes sent are counted. No IO."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from slotwise.azure.kudu_records import KuduDeployment, parse_time
from slotwise.azure.models import SlotRef
from slotwise.azure.progress import PROGRESS_STEP, ProgressReader
from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, HeldSlotError, RemoteError, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.deploy import DeployRequest
from slotwise.slots.guard import held_error
from slotwise.slots.model import Hold


def request(slot: str, timeout: float = 60) -> DeployRequest:
    return DeployRequest("rg-demo", "func-demo", slot, Path("app.zip"), timeout=timeout)


# ---- the target slot ---------------------------------------------------------------------------------
@pytest.mark.parametrize("slot", ["", "   "])
def test_no_slot_never_means_production(slot: str) -> None:
    with pytest.raises(UsageError, match="never deploys to production unless told") as caught:
        request(slot).target()
    assert "-s production" in told(caught.value)


@pytest.mark.parametrize("slot", ["self", "staging/../x", "a b", "-x"])
def test_only_slot_names_are_accepted(slot: str) -> None:
    with pytest.raises(UsageError, match="not a slot name"):
        request(slot).target()


@pytest.mark.parametrize(
    ("given", "slot"), [("production", "production"), ("Production", "production"), ("Staging", "staging")]
)
def test_production_only_when_named(given: str, slot: str) -> None:
    assert request(given).target() == SlotRef("rg-demo", "func-demo", slot)


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(UsageError, match="timeout"):
        request("staging", timeout=0).target()


# ---- the refusal of a held slot --------------------------------------------------------------------------
def test_a_held_slot_is_refused_naming_build_time_person_and_the_ways_forward() -> None:
    ref = SlotRef("rg-demo", "func-demo", "staging")
    since = datetime(2026, 1, 2, 9, 30, tzinfo=timezone.utc)
    hold = Hold(
        slot=ref, build="build 20260101.4", since=since, by="alice", expires=since + timedelta(days=7)
    )

    error = held_error(hold)

    assert isinstance(error, HeldSlotError)
    assert isinstance(error, ConflictError)
    assert error.exit_code == 7
    for part in ("build 20260101.4", "2026-01-02 09:30 UTC", "alice", "2026-01-09 09:30 UTC"):
        assert part in error.message
    assert "park it in another slot, end the hold, or overwrite it on purpose" in error.message
    for way in ("--mode park", "release-hold", "--allow-overwrite"):  # the CLI's words for the three
        assert way not in error.message
        assert way in told(error)
    assert "-g rg-demo -n func-demo -s staging" in told(error)


def test_a_hold_inferred_from_a_swap_elsewhere_says_so() -> None:
    ref = SlotRef("rg-demo", "func-demo", "staging")
    hold = Hold(slot=ref, build="deployment 1a2b3c4d", since=datetime.now(timezone.utc), source="swap-status")
    assert "another tool" in held_error(hold).message


# ---- Kudu's text and records -------------------------------------------------------------------------------
def test_remote_text_in_a_record_is_neutralised() -> None:
    hostile = "ok\x1b[31m red\r\nnext line\x07 ##vso[task.setvariable variable=x]1 \u202eevil"
    record = KuduDeployment.from_json({"id": "1a2b", "status_text": hostile, "progress": None})
    assert record.status_text == "ok[31m red next line # #vso[task.setvariable variable=x]1 evil"
    assert record.progress == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-02T17:40:29.5750000Z", datetime(2025, 1, 2, 17, 40, 29, 575000, tzinfo=timezone.utc)),
        ("2025-01-02T17:40:29Z", datetime(2025, 1, 2, 17, 40, 29, tzinfo=timezone.utc)),
        ("2025-01-02T17:40:29.1234567", datetime(2025, 1, 2, 17, 40, 29, 123456, tzinfo=timezone.utc)),
        (
            "2025-01-02T17:40:29.5+01:00",
            datetime(2025, 1, 2, 17, 40, 29, 500000, tzinfo=timezone(timedelta(hours=1))),
        ),
        (None, None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_kudu_times_are_aware_datetimes(value: str | None, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_a_record_reads_kudus_fields_and_the_stamp() -> None:
    build = BuildInfo(
        build_id="42", build_number="20260101.4", deployed_at=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    record = KuduDeployment.from_json(
        {
            "id": "abc123",
            "status": 4,
            "status_text": "",
            "complete": True,
            "active": True,
            "received_time": "2026-01-01T00:00:00.0000000Z",
            "start_time": "2026-01-01T00:00:01.0000000Z",
            "end_time": "2026-01-01T00:00:05.0000000Z",
            "author": "N/A",
            "deployer": "slotwise",
            "message": build.to_message(),
            "progress": "",
        }
    )
    assert record.succeeded
    assert not record.failed
    assert record.status_name == "Success"
    assert record.author is None
    assert record.build == build
    assert record.end_time == datetime(2026, 1, 1, 0, 0, 5, tzinfo=timezone.utc)


def test_a_damaged_or_foreign_stamp_is_no_build() -> None:
    base = {"id": "x", "status": 3, "complete": True}
    assert KuduDeployment.from_json({**base, "message": "Created via a push deployment"}).build is None
    assert KuduDeployment.from_json({**base, "message": '{"slotwise":1,"build_id":'}).build is None
    damaged = '{"slotwise":1,"build_id":"42","deployed_at":"not a time"}'
    kept = KuduDeployment.from_json({**base, "message": damaged}).build
    assert kept is not None  # a damaged field costs only that field
    assert (kept.build_id, kept.deployed_at) == ("42", None)
    assert KuduDeployment.from_json(base).failed


def test_something_else_than_a_record_is_a_remote_error() -> None:
    with pytest.raises(RemoteError, match="not a deployment record"):
        KuduDeployment.from_json(["no"])


# ---- counting bytes sent -----------------------------------------------------------------------------------
def test_progress_is_reported_every_few_mib_and_at_the_end_and_restarts_on_a_rewind() -> None:
    size = 3 * PROGRESS_STEP + 10
    reporter = RecordingReporter()
    body = ProgressReader(io.BytesIO(b"\0" * size), size, reporter)
    assert len(body) == size

    while body.read(1024 * 1024):
        pass
    body.seek(0)  # a retry
    assert body.tell() == 0
    sent = b"".join(body)

    assert len(sent) == size
    done = [int(text.split("/")[0]) for text in reporter.texts("progress")]
    first = done[: len(done) // 2]
    assert first == [PROGRESS_STEP, 2 * PROGRESS_STEP, 3 * PROGRESS_STEP, size]
    assert done[len(done) // 2 :] == first
