"""Types the slot operations share: what a hold is, what the guard decided.

A *hold* says that a slot keeps production's previous build for rollback and must not be deployed
over; slotwise records its holds as tags on the slot. What a *build* is lives in ``slotwise.builds``
(Kudu's records carry it too, below the operations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from slotwise.azure.models import SlotRef


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
