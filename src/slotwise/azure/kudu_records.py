"""Kudu's deployment records as slotwise reads them: ``KuduDeployment`` and Kudu's timestamps.

Owns the meaning of what ``/api/deployments`` answers (projectkudu/kudu's ``DeployStatus`` and
``LogEntryType`` numbers, the record's fields, Kudu's 7-digit fractions and zone-less times) and
the build slotwise stamped on a deployment. Remote text in a record (status text, progress) is made
safe (``slotwise.text.remote``) as it is read.
Must not: make HTTP calls (``slotwise.azure.kudu`` does), or know about slots' holds and guards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from slotwise.builds import BuildInfo
from slotwise.errors import RemoteError
from slotwise.text import remote

# Kudu's DeployStatus (projectkudu/kudu Kudu.Core/Deployment/DeployStatus.cs)
PENDING, BUILDING, DEPLOYING, FAILED, SUCCESS = 0, 1, 2, 3, 4
STATUS_NAMES = dict(enumerate(("Pending", "Building", "Deploying", "Failed", "Success")))
LOG_ERROR = 2  # Kudu's LogEntryType: 0 message, 1 warning, 2 error
_TIME = re.compile(r"^(?P<base>[^.]+?)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d\d:?\d\d)?$")


def parse_time(value: Any) -> datetime | None:
    """A Kudu timestamp (``2025-01-02T17:40:29.5750000Z``: 7 fraction digits) as an aware datetime;
    a time without a zone is UTC (as Kudu means it). None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    match = _TIME.match(value.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    zone = match["zone"] or "+00:00"
    zone = "+00:00" if zone == "Z" else zone
    try:
        parsed = datetime.fromisoformat(f"{match['base']}.{fraction}{zone}")
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class KuduDeployment:
    """One deployment record of a slot's Kudu (``/api/deployments/{id}``)."""

    id: str
    status: int
    status_text: str
    complete: bool
    active: bool
    received_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    author: str | None
    deployer: str | None
    message: str | None
    progress: str

    @property
    def succeeded(self) -> bool:
        return self.complete and self.status == SUCCESS

    @property
    def failed(self) -> bool:
        """Complete without success (Kudu's status 3, or any other final status it may invent)."""
        return self.complete and self.status != SUCCESS

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, f"status {self.status}")

    @property
    def build(self) -> BuildInfo | None:
        """The build slotwise stamped on this deployment, or None if slotwise did not deploy it (or
        the stamp is damaged: the message is remote text anyone with deploy rights can write)."""
        try:
            return BuildInfo.from_message(self.message)
        except (ValueError, TypeError):
            return None

    @classmethod
    def from_json(cls, data: Any) -> KuduDeployment:
        if not isinstance(data, dict) or not data.get("id"):
            raise RemoteError(
                f"Kudu answered something that is not a deployment record: {remote(str(data), 200)}"
            )
        status = data.get("status")
        return cls(
            id=str(data["id"]),
            status=status if isinstance(status, int) else PENDING,
            status_text=remote(data.get("status_text")),
            complete=bool(data.get("complete")),
            active=bool(data.get("active")),
            received_time=parse_time(data.get("received_time")),
            start_time=parse_time(data.get("start_time")),
            end_time=parse_time(data.get("end_time")),
            author=_opt(data.get("author")),
            deployer=_opt(data.get("deployer")),
            message=_opt(data.get("message")),
            progress=remote(data.get("progress")),
        )


def _opt(value: Any) -> str | None:
    return None if value in (None, "", "N/A") else str(value)
