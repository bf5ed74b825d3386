"""The state of every slot of an app: what it runs, since when, whether it is held, its last swap,
and what is in progress on it (a swap running or prepared, a deployment running).

Owns gathering that picture (ARM for the slots and their swaps, each slot's Kudu deployment list for
what it serves and for a deployment still running, ``holds`` for the hold) into ``AppStatus``, and
its JSON form. Must not: change anything, print (the CLI renders
the table), or carry secrets: only names, host names, build labels and times are kept.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slotwise.azure.kudu import KuduClient
from slotwise.azure.kudu_records import KuduDeployment
from slotwise.azure.models import SlotInfo, slot_name
from slotwise.services import Services
from slotwise.slots.content import Content
from slotwise.slots.holds import DEFAULT_HOLD_DAYS, Assessment, assess

_MAX_PARALLEL = 8  # Kudu reads at once (one per slot)


@dataclass(frozen=True)
class SlotStatus:
    """One slot: ARM's view, what it serves, and the hold on it."""

    info: SlotInfo
    content: Content | None
    hold: Assessment
    deploying: KuduDeployment | None = None  # a Kudu deployment still running on the slot

    @property
    def swapping_with(self) -> str | None:
        """The slot a swap running on this slot exchanges it with (``?`` if ARM does not say)."""
        if not self.info.in_progress_operation_id:
            return None
        return slot_name(self.info.target_swap_slot) if self.info.target_swap_slot else "?"

    @property
    def prepared_for(self) -> str | None:
        """The slot this one is prepared to swap with (swap with preview, phase one), if any."""
        if self.info.in_progress_operation_id or not self.info.target_swap_slot:
            return None
        return slot_name(self.info.target_swap_slot)

    def in_progress(self) -> list[str]:
        """What is going on on the slot, in words (empty when nothing is)."""
        found = []
        if self.swapping_with:
            found.append(f"swap with {self.swapping_with} running")
        if self.prepared_for:
            found.append(f"prepared to swap with {self.prepared_for} (to complete or cancel)")
        if self.deploying:
            found.append(f"deployment {self.deploying.id[:8]} {self.deploying.status_name.lower()}")
        return found

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
            "inProgress": {
                "swapWith": self.swapping_with,
                "preparedSwapWith": self.prepared_for,
                "deployment": (
                    {"id": self.deploying.id, "status": self.deploying.status_name}
                    if self.deploying
                    else None
                ),
            },
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
        kudus = list(pool.map(lambda info: _read_kudu(services, info), infos))
    now = services.clock.now()
    return AppStatus(
        resource_group,
        app,
        [
            SlotStatus(info, content, assess(info, content, now=now, hold_days=hold_days), deploying)
            for info, (content, deploying) in zip(infos, kudus, strict=True)
        ],
    )


def _read_kudu(services: Services, info: SlotInfo) -> tuple[Content | None, KuduDeployment | None]:
    """What the slot serves, and a deployment still running on it, from one read of its Kudu's
    deployment list (a running deployment is in the list, not yet complete)."""
    if not info.scm_host_name:
        return None, None
    kudu = KuduClient.for_slot(services, info)
    try:
        deployments = kudu.deployments()
    finally:
        kudu.close()
    return Content.of(deployments), next((d for d in deployments if not d.complete), None)
