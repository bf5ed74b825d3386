"""What ``slotwise release start | status | logs`` need of Azure DevOps: ``ReleasesGateway``.

``devops.releases.RawReleases`` is the one over the ``azure-devops`` client; unit tests hand in a
fake. Every method answers the service's JSON documents as sent.

Must not: hold logic (the protocol only).
"""

from __future__ import annotations

from typing import Any, Protocol

Document = dict[str, Any]


class ReleasesGateway(Protocol):
    """The organization's release definitions, builds and releases."""

    def projects(self) -> list[str]: ...

    def definitions(self, project: str) -> list[Document]: ...

    def definition(self, project: str, definition_id: int) -> Document: ...

    def builds(
        self,
        project: str,
        definition_id: int,
        *,
        number: str | None = None,
        branch: str | None = None,
        succeeded: bool = False,
        top: int | None = None,
    ) -> list[Document]: ...

    def build(self, project: str, build_id: int) -> Document: ...

    def create(self, project: str, body: Document) -> Document: ...

    def release(self, project: str, release_id: int) -> Document: ...

    def releases(self, project: str, definition_id: int, *, top: int = 1) -> list[Document]: ...

    def task_log(
        self,
        project: str,
        release_id: int,
        stage_id: int,
        phase_id: int,
        task_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
    ) -> list[str]: ...
