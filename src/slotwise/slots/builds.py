"""What build a slot runs: its latest Kudu deployment and the build slotwise stamped on it.

The deployment history lives with a slot's content and moves with it in a swap, so the latest
deployment of a slot describes what the slot serves now, however it got there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slotwise.azure.models import SlotInfo
from slotwise.factory import Services
from slotwise.slots.model import BuildInfo


@dataclass(frozen=True)
class DeployedBuild:
    """The build behind a slot's content."""

    deployment_id: str
    deployed_at: datetime | None
    build: BuildInfo | None
    succeeded: bool

    @property
    def label(self) -> str:
        return self.build.label if self.build else f"deployment {self.deployment_id[:8]}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "deploymentId": self.deployment_id,
            "deployedAt": self.deployed_at.isoformat() if self.deployed_at else None,
            "buildId": self.build.build_id if self.build else None,
            "buildNumber": self.build.build_number if self.build else None,
            "commit": self.build.commit if self.build else None,
        }


def current_build(services: Services, slot: SlotInfo) -> DeployedBuild | None:
    """The latest deployment of ``slot`` (None if it was never deployed to, or has no SCM site)."""
    from slotwise.azure.kudu import KuduClient

    if not slot.scm_host_name:
        return None
    latest = KuduClient.for_slot(services, slot).latest()
    if latest is None:
        return None
    return DeployedBuild(
        deployment_id=latest.id,
        deployed_at=latest.end_time or latest.received_time,
        build=latest.build,
        succeeded=latest.succeeded,
    )
