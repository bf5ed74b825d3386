"""What a build is: ``BuildInfo``, who deployed what, from where, and its stamp on a deployment.

A build is identified by what the pipeline knows (build id and number, release, commit) and is
stamped onto each deployment (Kudu's deployment ``message``, as JSON), so it travels with the
content when slots swap. Below both the operations (``slotwise.slots``) and the clients
(``slotwise.azure.kudu`` reads and writes the stamp). Must not: import ``slots``, ``azure``, the faces or
the factory, or do IO.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

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


def _moment(value: object) -> datetime | None:
    """An ISO time from a stamp, or None if it is missing or damaged (a stamp is remote text)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
