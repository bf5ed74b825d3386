"""Holds: whether a slot keeps production's previous build, recorded in tags or inferred from swaps.

Owns the two tags slotwise keeps on a slot and their format, and the decision "is this slot held
now" (the rules are in ``slotwise.slots.guard``'s docstring):

- ``slotwise-hold``: a ``HoldRecord`` as compact ASCII JSON, at most 256 characters (ARM's limit
  for a tag value; names are ours and free of ARM's reserved ``<>%&\\?/``). It names the held build,
  who swapped it out, when, until when, and the slot's ``slotSwapStatus`` time when it was written:
  a record is about that swap only, so a later swap or a redeployment makes it stale.
- ``slotwise-released``: a ``ReleaseMark``, the swap whose hold someone released, so the hold that
  would be inferred for that same swap stays released.

``assess`` is pure (a slot as ARM describes it, what Kudu says it serves: ``slotwise.slots.content``,
the time); ``find_hold``, ``inspect_hold``, ``record_hold`` and ``release_hold`` read and write
through ARM and Kudu.
Must not: swap, deploy, print, or decide what to do about a hold (``guard`` does that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, SwapStatus
from slotwise.builds import BuildInfo
from slotwise.errors import UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.content import Content, read_content
from slotwise.slots.model import Hold
from slotwise.text import remote

HOLD_TAG = "slotwise-hold"
RELEASED_TAG = "slotwise-released"
TAG_VALUE_LIMIT = 256  # ARM: a tag value has at most 256 characters
DEFAULT_HOLD_DAYS = 7.0
SAME_SWAP = timedelta(milliseconds=1)  # one swap's timestamp, read twice (and stored), is this close
UNLABELLED = "an unlabelled build"
_VERSION = 1
_MIN_TEXT = 8  # a shortened build label or name keeps at least this many characters


def format_time(moment: datetime) -> str:
    """UTC, microseconds, ``Z``: sortable, exact enough to tell swaps apart, read by ``parse_time``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: Any) -> datetime:
    """An aware datetime from ``format_time``'s output (or any ISO 8601 time); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"not a time: {text!r}")
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def same_swap(a: datetime | None, b: datetime | None) -> bool:
    """Whether two swap timestamps are the same swap (both absent counts as the same)."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= SAME_SWAP


def _text(value: Any) -> str | None:
    """Text read from or written to a tag: one line, no control characters, no logging commands."""
    return (remote(str(value)) or None) if value is not None else None


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: max(length - 1, 1)] + "~"


def _fit(fields: dict[str, Any], shrinkable: tuple[str, ...]) -> str:
    """``fields`` as compact ASCII JSON of at most ``TAG_VALUE_LIMIT`` characters: if too long, the
    ``shrinkable`` text fields are cut to a common length, as long as possible."""
    original = {k: fields[k] for k in shrinkable if isinstance(fields.get(k), str)}
    limit = max((len(v) for v in original.values()), default=0)
    while True:
        encoded = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
        if len(encoded) <= TAG_VALUE_LIMIT:
            return encoded
        if limit <= _MIN_TEXT:
            raise ValueError(f"a slotwise tag cannot be made to fit {TAG_VALUE_LIMIT} characters")
        limit -= 1
        fields.update({k: _shortened(v, limit) for k, v in original.items()})


def _object(value: str) -> dict[str, Any]:
    data = json.loads(value)
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise ValueError("not a slotwise record of a version this slotwise knows")
    return data


@dataclass(frozen=True)
class HoldRecord:
    """What the ``slotwise-hold`` tag says: which build the slot holds, since when, until when."""

    build: str
    since: datetime  # when the build left production
    expires: datetime
    by: str | None = None  # who swapped it out
    swap: datetime | None = None  # the slot's slotSwapStatus time when recorded: the swap this is about
    parked_from: str | None = None  # the slot the guard parked it from

    def encode(self) -> str:
        fields: dict[str, Any] = {"v": _VERSION, "build": _text(self.build) or UNLABELLED}
        if self.by:
            fields["by"] = _text(self.by)
        fields["since"] = format_time(self.since)
        if self.swap is not None and not same_swap(self.swap, self.since):
            fields["swap"] = format_time(self.swap)
        elif self.swap is not None:
            fields["swap"] = "since"
        fields["exp"] = format_time(self.expires)
        if self.parked_from:
            fields["from"] = _text(self.parked_from)
        return _fit(fields, ("build", "by", "from"))

    @classmethod
    def decode(cls, value: str) -> HoldRecord:
        """The record in a tag value; ValueError if it is not one."""
        data = _object(value)
        since = parse_time(data.get("since"))
        swap = data.get("swap")
        return cls(
            build=_text(data.get("build")) or UNLABELLED,
            since=since,
            expires=parse_time(data.get("exp")),
            by=_text(data.get("by")),
            swap=since if swap == "since" else parse_time(swap) if swap is not None else None,
            parked_from=_text(data.get("from")),
        )

    def hold(self, slot: SlotRef) -> Hold:
        return Hold(
            slot=slot,
            build=self.build,
            since=self.since,
            by=self.by,
            expires=self.expires,
            source="slotwise",
            parked_from=self.parked_from,
        )


@dataclass(frozen=True)
class ReleaseMark:
    """What the ``slotwise-released`` tag says: the hold of the swap at ``swap`` was released."""

    swap: datetime
    at: datetime
    by: str | None = None

    def encode(self) -> str:
        fields: dict[str, Any] = {"v": _VERSION, "swap": format_time(self.swap), "at": format_time(self.at)}
        if self.by:
            fields["by"] = _text(self.by)
        return _fit(fields, ("by",))

    @classmethod
    def decode(cls, value: str) -> ReleaseMark:
        data = _object(value)
        return cls(swap=parse_time(data.get("swap")), at=parse_time(data.get("at")), by=_text(data.get("by")))


@dataclass(frozen=True)
class Assessment:
    """Whether a slot is held now (``hold``), a hold that lapsed (``ended``), and why, in sentences."""

    slot: SlotRef
    hold: Hold | None
    ended: Hold | None = None  # a hold that expired or was released: shown, not enforced
    lapse: Literal["expired", "released"] | None = None  # how ``ended`` ended
    reasons: list[str] = field(default_factory=list)


def _tag(tags: dict[str, str], name: str) -> str | None:
    """A tag by name; ARM matches tag names case-insensitively."""
    return next((v for k, v in tags.items() if k.lower() == name), None)


def _with_production(slot: SlotRef, swap: SwapStatus) -> bool:
    return {swap.source, swap.destination} == {slot.slot, PRODUCTION}


def _redeployed(content: Content | None, moment: datetime | None) -> bool:
    """Whether the slot's live deployment is newer than ``moment`` (a swap): it was redeployed."""
    return bool(content and content.deployed_at and moment and content.deployed_at > moment)


def _recorded(info: SlotInfo, content: Content | None, reasons: list[str]) -> Hold | None:
    value = _tag(info.tags, HOLD_TAG)
    if value is None:
        return None
    try:
        record = HoldRecord.decode(value)
    except (ValueError, TypeError):
        reasons.append(f"the {HOLD_TAG} tag is not a record this slotwise can read; it is ignored")
        return None
    swap = info.swap_status
    if not same_swap(record.swap, swap.timestamp if swap else None):
        reasons.append(f"the hold recorded for {record.build} is stale: the slot was swapped again since")
        return None
    if _redeployed(content, swap.timestamp if swap else record.since):
        reasons.append(f"the hold recorded for {record.build} ended: the slot was redeployed since")
        return None
    return record.hold(info.ref)


def _inferred(info: SlotInfo, content: Content | None, hold_days: float, reasons: list[str]) -> Hold | None:
    swap = info.swap_status
    if swap is None:
        reasons.append("the slot has never been swapped")
        return None
    when = format_time(swap.timestamp)
    if not _with_production(info.ref, swap):
        reasons.append(f"its last swap ({swap.source} -> {swap.destination}, {when}) was not with production")
        return None
    if content is not None and _redeployed(content, swap.timestamp):
        reasons.append(f"it was redeployed ({content.label}) after its last swap with production ({when})")
        return None
    return Hold(
        slot=info.ref,
        build=content.label if content else UNLABELLED,
        since=swap.timestamp,
        by=None,
        expires=swap.timestamp + timedelta(days=hold_days),
        source="swap-status",
    )


def _released(info: SlotInfo, reasons: list[str]) -> bool:
    value = _tag(info.tags, RELEASED_TAG)
    swap = info.swap_status
    if value is None or swap is None:
        return False
    try:
        mark = ReleaseMark.decode(value)
    except (ValueError, TypeError):
        reasons.append(f"the {RELEASED_TAG} tag is not a record this slotwise can read; it is ignored")
        return False
    if not same_swap(mark.swap, swap.timestamp):
        return False
    reasons.append(f"the hold was released by {mark.by or 'someone'} at {format_time(mark.at)}")
    return True


def assess(
    info: SlotInfo, content: Content | None, *, now: datetime, hold_days: float = DEFAULT_HOLD_DAYS
) -> Assessment:
    """Whether ``info``'s slot is held at ``now``, given what it serves (``content``). Pure."""
    if info.ref.is_production:
        return Assessment(info.ref, None, reasons=["production is never held"])
    reasons: list[str] = []
    hold = _recorded(info, content, reasons) or _inferred(info, content, hold_days, reasons)
    if hold is None:
        return Assessment(info.ref, None, reasons=reasons)
    if _released(info, reasons):
        return Assessment(info.ref, None, ended=hold, lapse="released", reasons=reasons)
    if hold.expires is not None and hold.expires <= now:
        reasons.append(f"the hold on {hold.build} expired at {format_time(hold.expires)}")
        return Assessment(info.ref, None, ended=hold, lapse="expired", reasons=reasons)
    return Assessment(info.ref, hold, reasons=reasons)


# ---- through ARM and Kudu ---------------------------------------------------------------------------
def inspect_slot(
    services: Services, info: SlotInfo, *, hold_days: float = DEFAULT_HOLD_DAYS
) -> tuple[Content | None, Assessment]:
    """What the slot ``info`` describes serves, and whether it is held now."""
    content = None if info.ref.is_production else read_content(services, info)
    return content, assess(info, content, now=services.clock.now(), hold_days=hold_days)


def inspect_hold(
    services: Services, ref: SlotRef, *, hold_days: float = DEFAULT_HOLD_DAYS
) -> tuple[SlotInfo, Content | None, Assessment]:
    """The slot, what it serves, and whether it is held now."""
    info = services.web_apps.get(ref)
    return (info, *inspect_slot(services, info, hold_days=hold_days))


def find_hold(services: Services, ref: SlotRef, *, hold_days: float = DEFAULT_HOLD_DAYS) -> Hold | None:
    """The hold on ``ref`` now (recorded or inferred, not expired, not released), or None."""
    return inspect_hold(services, ref, hold_days=hold_days)[2].hold


def record_hold(
    services: Services,
    ref: SlotRef,
    build: BuildInfo | str | None,
    by: str | None,
    expires: datetime | None = None,
    *,
    since: datetime | None = None,
    parked_from: str | None = None,
) -> Hold:
    """Record that ``ref`` holds ``build`` (production's previous build), swapped out ``by`` someone.

    Call it right after the swap: the record is tied to the slot's current ``slotSwapStatus``.
    ``since`` defaults to that swap's time (else now); ``expires`` to ``DEFAULT_HOLD_DAYS`` later.
    A release mark for the same swap is removed: the new record wins. Production is never held."""
    if ref.is_production:
        raise UsageError(f"Cannot record a hold on production of app '{ref.app}': production is never held.")
    info = services.web_apps.get(ref)
    swap = info.swap_status.timestamp if info.swap_status else None
    started = since or swap or services.clock.now()
    label = build.label if isinstance(build, BuildInfo) else build or UNLABELLED
    record = HoldRecord(
        build=label,
        since=started,
        expires=expires or started + timedelta(days=DEFAULT_HOLD_DAYS),
        by=by,
        swap=swap,
        parked_from=parked_from,
    )
    services.web_apps.merge_tags(ref, {HOLD_TAG: record.encode()})
    if _tag(info.tags, RELEASED_TAG) is not None:
        services.web_apps.delete_tags(ref, [k for k in info.tags if k.lower() == RELEASED_TAG])
    return HoldRecord.decode(record.encode()).hold(ref)


def clear_hold(services: Services, info: SlotInfo) -> None:
    """Remove the hold record from a slot (tags stay with a slot when it swaps: after a park, the
    slot the held build left must not keep a record about it)."""
    names = [k for k in info.tags if k.lower() == HOLD_TAG]
    if names:
        services.web_apps.delete_tags(info.ref, names)


@dataclass(frozen=True)
class ReleaseResult:
    """What ``release_hold`` did: the hold it ended and the swap it marked released (both None if
    the slot held nothing)."""

    slot: SlotRef
    released: Hold | None
    swap: datetime | None
    by: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot.slot,
            "released": self.released.as_dict() if self.released else None,
            "swap": self.swap.isoformat() if self.swap else None,
            "by": self.by,
        }


def release_hold(
    services: Services,
    ref: SlotRef,
    *,
    by: str | None,
    reporter: Reporter,
    hold_days: float = DEFAULT_HOLD_DAYS,
) -> ReleaseResult:
    """End the hold on ``ref``: remove its record and mark its last swap released, so the hold
    inferred from that swap stays ended. On a slot that holds nothing it changes nothing (beyond
    removing a record that no longer counts)."""
    info, _, found = inspect_hold(services, ref, hold_days=hold_days)
    if found.hold is None:
        reporter.step(f"{ref} holds nothing: there is no hold to release")
        clear_hold(services, info)
        return ReleaseResult(ref, None, None, by)
    reporter.step(f"Releasing the hold on {ref}: {found.hold.build} may now be overwritten")
    clear_hold(services, info)
    swap = info.swap_status.timestamp if info.swap_status else None
    if swap is not None:
        mark = ReleaseMark(swap=swap, at=services.clock.now(), by=by)
        services.web_apps.merge_tags(ref, {RELEASED_TAG: mark.encode()})
        reporter.detail(f"marked the swap of {format_time(swap)} released")
    return ReleaseResult(ref, found.hold, swap, by)
