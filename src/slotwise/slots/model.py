"""Types the slot operations share: what a build is, what a hold is, what the guard decided.

A *build* is identified by what the pipeline knows (build id and number, release, commit) and is
stamped onto each deployment (Kudu's deployment ``message``, as JSON), so it travels with the
content when slots swap. A *hold* says that a slot keeps production's previous build for rollback
and must not be deployed over; slotwise records its holds as tags on the slot.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from slotwise.azure.models import SlotRef

BUILD_MARKER = "slotwise"  # key in a deployment message that marks slotwise's own stamp


@dataclass(frozen=True)
class BuildInfo:
    """Who deployed what, from where. Every field optional; ``label`` is what people read."""

    build_id: str | None = None
    build_number: str | None = None
    release: str | None = None
    commit: str | None = None
    requested_by: str | None = None
    pipeline: str | None = None
    deployed_at: datetime | None = None

    @property
    def label(self) -> str:
        if self.build_number:
            return f"build {self.build_number}"
        if self.build_id:
            return f"build {self.build_id}"
        if self.commit:
            return f"commit {self.commit[:8]}"
        return "an unlabelled build"

    def to_message(self) -> str:
        """The JSON stamped into a Kudu deployment's ``message``."""
        data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items() if v}
        return json.dumps({BUILD_MARKER: 1, **data}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_message(cls, message: str | None) -> BuildInfo | None:
        """The build stamped in a deployment message, or None if slotwise did not deploy it."""
        try:
            data = json.loads(message or "")
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get(BUILD_MARKER) != 1:
            return None
        when = data.get("deployed_at")
        return cls(
            build_id=data.get("build_id"),
            build_number=data.get("build_number"),
            release=data.get("release"),
            commit=data.get("commit"),
            requested_by=data.get("requested_by"),
            pipeline=data.get("pipeline"),
            deployed_at=_moment(when),
        )


@dataclass(frozen=True)
class Hold:
    """A slot keeps production's previous build: deploying over it would destroy the rollback."""

    slot: SlotRef
    build: str  # label of the held build
    since: datetime  # when it left production (the swap)
    by: str | None = None  # who swapped it out, if known
    expires: datetime | None = None  # after this the hold lapses on its own
    source: Literal["slotwise", "swap-status"] = "slotwise"  # recorded by slotwise, or inferred
    parked_from: str | None = None  # the slot the guard moved it from ("park" mode), if it did

    @property
    def swapped_by(self) -> str:
        """Who swapped the build out of production, as a phrase for people."""
        if self.by:
            return f"by {self.by}"
        if self.source == "swap-status" or self.parked_from:
            return "by another tool (the portal, az CLI, ...)"
        return "by an unknown user"

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot.slot,
            "build": self.build,
            "since": self.since.isoformat(),
            "by": self.by,
            "expires": self.expires.isoformat() if self.expires else None,
            "source": self.source,
            "parkedFrom": self.parked_from,
        }


@dataclass(frozen=True)
class GuardDecision:
    """Whether deploying into a slot is safe; if not, the hold that forbids it and what to do."""

    slot: SlotRef
    hold: Hold | None
    reasons: list[str] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        return self.hold is None


def _moment(value: object) -> datetime | None:
    """An ISO time from a stamp, or None if it is missing or damaged (a stamp is remote text)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
