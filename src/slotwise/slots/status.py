"""The state of every slot of an app: what it runs, since when, whether it is held, its last swap.

Owns gathering that picture (ARM for the slots, each slot's Kudu for what it serves, ``holds`` for
the hold) into ``AppStatus``, and its JSON form. Must not: change anything, print (the CLI renders
the table), or carry secrets: only names, host names, build labels and times are kept.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slotwise.azure.models import SlotInfo
from slotwise.factory import Services
from slotwise.slots.holds import DEFAULT_HOLD_DAYS, Assessment, Content, assess, read_content

_MAX_PARALLEL = 8  # Kudu reads at once (one per slot)


@dataclass(frozen=True)
class SlotStatus:
    """One slot: ARM's view, what it serves, and the hold on it."""

    info: SlotInfo
    content: Content | None
    hold: Assessment

    def as_dict(self) -> dict[str, Any]:
        swap = self.info.swap_status
        return {
            "slot": self.info.ref.slot,
            "state": self.info.state,
            "hostName": self.info.default_host_name,
            "build": self.content.as_dict() if self.content else None,
            "hold": self.hold.hold.as_dict() if self.hold.hold else None,
            "endedHold": (
                {**self.hold.ended.as_dict(), "ended": self.hold.lapse} if self.hold.ended else None
            ),
            "holdReasons": list(self.hold.reasons),
            "lastSwap": (
                {"source": swap.source, "destination": swap.destination, "at": swap.timestamp.isoformat()}
                if swap
                else None
            ),
        }


@dataclass(frozen=True)
class AppStatus:
    """Every slot of one app, production first."""

    resource_group: str
    app: str
    slots: list[SlotStatus]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resourceGroup": self.resource_group,
            "app": self.app,
            "slots": [slot.as_dict() for slot in self.slots],
        }


def app_status(
    services: Services, resource_group: str, app: str, *, hold_days: float = DEFAULT_HOLD_DAYS
) -> AppStatus:
    """Read the state of every slot of ``app`` (each slot's Kudu is read in parallel)."""
    infos = services.web_apps.list_slots(resource_group, app)
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, max(len(infos), 1))) as pool:
        contents = list(pool.map(lambda info: read_content(services, info), infos))
    now = services.clock.now()
    return AppStatus(
        resource_group,
        app,
        [
            SlotStatus(info, content, assess(info, content, now=now, hold_days=hold_days))
            for info, content in zip(infos, contents, strict=True)
        ],
    )
