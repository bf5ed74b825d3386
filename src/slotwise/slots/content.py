"""What a slot serves: its live deployment, read from its Kudu history.

Owns ``Content`` (the deployment a slot serves, and the build slotwise stamped on it) and
``read_content``, which asks the slot's Kudu. Holds (``slotwise.slots.holds``) and status use it to
tell whether a slot was redeployed after a swap and which build it keeps.
Must not: write anything, decide about holds, or print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slotwise.azure.kudu import KuduClient
from slotwise.azure.kudu_records import KuduDeployment
from slotwise.azure.models import SlotInfo
from slotwise.builds import BuildInfo
from slotwise.services import Services


@dataclass(frozen=True)
class Content:
    """What a slot serves according to its Kudu history: the live (active) deployment."""

    deployment_id: str
    deployed_at: datetime | None  # when it ended (or was received)
    build: BuildInfo | None = None

    @property
    def label(self) -> str:
        return self.build.label if self.build else f"deployment {self.deployment_id[:8]}"

    @classmethod
    def of(cls, deployments: list[KuduDeployment]) -> Content | None:
        """The live deployment among ``deployments`` (newest first): the active one, else the newest
        successful one; None if the slot was never deployed to successfully."""
        live = next((d for d in deployments if d.active), None) or next(
            (d for d in deployments if d.succeeded), None
        )
        if live is None:
            return None
        return cls(live.id, live.end_time or live.received_time, live.build)

    def as_dict(self) -> dict[str, Any]:
        build = self.build
        return {
            "label": self.label,
            "deploymentId": self.deployment_id,
            "deployedAt": self.deployed_at.isoformat() if self.deployed_at else None,
            "buildNumber": build.build_number if build else None,
            "buildId": build.build_id if build else None,
            "commit": build.commit if build else None,
        }


def read_content(services: Services, info: SlotInfo) -> Content | None:
    """What ``info``'s slot serves, from its Kudu history (None: never deployed, or no SCM site)."""
    if not info.scm_host_name:
        return None
    kudu = KuduClient.for_slot(services, info)
    try:
        return Content.of(kudu.deployments())
    finally:
        kudu.close()
