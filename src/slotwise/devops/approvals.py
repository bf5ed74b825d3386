"""Release approvals and what an approver reads, as raw documents: ``RawApprovals``.

Each operation sends what the ``azure-devops`` client's release method sends (``get_approvals``,
``update_release_approval``, ``get_release``, ``get_release_task_attachments``,
``get_release_task_attachment_content``; the same location ids and versions, through the client's
``_send`` via ``Connection``) and answers the JSON as sent. The signed-in identity is the
organization's ``connectionData`` ``authenticatedUser``; people are looked up by name through the
identities API (``devops.directory``).

A decision the service refuses (``PATCH .../approvals/{id}``: 400 or 403) leaves as
``ApprovalRefused`` carrying the status and the service's words; what the refusal means (not an
approver, the creator may not approve, already decided) is decided by ``releases.approvals`` from
the approval's state, not from the wording, which the service does not document.

Must not: decide which approvals to act on, word advice, or print.
"""

from __future__ import annotations

from typing import Any

from slotwise.devops.connect import Connection
from slotwise.devops.directory import Directory
from slotwise.devops.errors import Call, answer_of
from slotwise.devops.routes import (
    APPROVAL,
    APPROVALS,
    CONNECTION_DATA,
    RELEASES,
    TASK_ATTACHMENT,
    TASK_ATTACHMENTS,
)
from slotwise.errors import ApprovalRefused, AuthError, NotFoundError, RemoteError
from slotwise.text import remote

Document = dict[str, Any]

READ = "the PAT scope Release (Read), or View releases permission"
DECIDE = "the PAT scope Release (Read, write, execute & manage), and to be an approver of the approval"
SUMMARY_TYPE = "Distributedtask.Core.Summary"  # what ##vso[task.uploadsummary] uploads


class RawApprovals:
    """Approvals, releases and their summaries in the organization ``connection`` is signed in to."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._directory = Directory(connection)

    @property
    def organization(self) -> str:
        return self._connection.settings.org_url

    def signed_in(self) -> Document:
        """The identity the credential signs in as (``authenticatedUser``: id, providerDisplayName,
        properties.Account)."""
        call = Call("reading who the credential signs in as", "access to the organization")
        data = self._connection.send_json(CONNECTION_DATA, call, "GET")
        user = (data or {}).get("authenticatedUser") if isinstance(data, dict) else None
        if not isinstance(user, dict) or not user.get("id"):
            raise RemoteError(f"Azure DevOps did not say who is signed in while {call.doing}.")
        return user

    def projects(self) -> list[str]:
        """The names of the organization's projects the identity may see."""
        return [str(p["name"]) for p in self._directory.projects() if p.get("name")]

    def identities(self, name: str) -> list[Document]:
        """The users and groups ``name`` (an e-mail, a display name, ``[Project]\\Group``) finds."""
        return self._directory.identities(name)

    def approvals(
        self,
        project: str,
        *,
        status: str = "pending",
        assigned_to: str | None = None,
        my_groups: bool = False,
        release_ids: tuple[int, ...] = (),
    ) -> list[Document]:
        """The project's approvals with ``status`` (``undefined``: every status), oldest first;
        ``assigned_to`` an identity id (with ``my_groups``, its groups' approvals too)."""
        query: dict[str, Any] = {"statusFilter": status, "queryOrder": "ascending"}
        if assigned_to:
            query["assignedToFilter"] = assigned_to
        if my_groups:
            query["includeMyGroupApprovals"] = "true"
        if release_ids:
            query["releaseIdsFilter"] = ",".join(str(i) for i in release_ids)
        call = Call(f"listing the release approvals of project {project!r}", READ)
        return self._connection.read_all(APPROVALS, call, {"project": (project, "str")}, query)

    def update(self, project: str, approval_id: int, body: Document) -> Document:
        """``PATCH .../release/approvals/{id}`` with ``body`` (``status``, ``comments``, ``approver``);
        the approval as the service answers it, or ``ApprovalRefused`` (400, 403)."""
        call = Call(f"deciding approval {approval_id} of project {project!r}", DECIDE)
        values = {"project": (project, "str"), "approvalId": (approval_id, "int")}
        try:
            answer = self._connection.send_json(APPROVAL, call, "PATCH", route_values=values, content=body)
        except (AuthError, RemoteError) as refused:
            status = _status(refused)
            if status not in (400, 403) or isinstance(refused, NotFoundError):
                raise
            words = _words(refused)
            raise ApprovalRefused(
                f"Azure DevOps refused {call.doing} ({status}): {words}",
                status=status,
                said=words,
            ) from refused
        if not isinstance(answer, dict):
            raise RemoteError(f"Azure DevOps answered no approval while {call.doing}.")
        return answer

    def release(self, project: str, release_id: int) -> Document:
        """The release with its stages (environments), their deploy steps and its artifacts."""
        call = Call(f"reading release {release_id} of project {project!r}", READ)
        values = {"project": (project, "str"), "releaseId": (release_id, "int")}
        answer = self._connection.send_json(RELEASES, call, "GET", route_values=values)
        if not isinstance(answer, dict):
            raise RemoteError(f"Azure DevOps answered no release while {call.doing}.")
        return answer

    def summaries(
        self, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str
    ) -> list[Document]:
        """The summary attachments the tasks of one deployment attempt uploaded."""
        call = Call(f"listing the summaries of release {release_id} in project {project!r}", READ)
        values = {
            "project": (project, "str"),
            "releaseId": (release_id, "int"),
            "environmentId": (stage_id, "int"),
            "attemptId": (attempt, "int"),
            "planId": (plan_id, "str"),
            "type": (SUMMARY_TYPE, "str"),
        }
        answer = self._connection.send_json(TASK_ATTACHMENTS, call, "GET", route_values=values)
        items = (answer or {}).get("value") if isinstance(answer, dict) else answer
        return [i for i in items or [] if isinstance(i, dict)]

    def summary_text(
        self, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str, attachment: Document
    ) -> str:
        """The markdown of one summary attachment (as ``summaries`` listed it)."""
        call = Call(f"reading the summary {attachment.get('name')!r} of release {release_id}", READ)
        values = {
            "project": (project, "str"),
            "releaseId": (release_id, "int"),
            "environmentId": (stage_id, "int"),
            "attemptId": (attempt, "int"),
            "planId": (plan_id, "str"),
            "timelineId": (str(attachment.get("timelineId") or plan_id), "str"),
            "recordId": (str(attachment.get("recordId") or ""), "str"),
            "type": (SUMMARY_TYPE, "str"),
            "name": (str(attachment.get("name") or ""), "str"),
        }
        response = self._connection.send(TASK_ATTACHMENT, call, "GET", route_values=values)
        return bytes(response.content or b"").decode("utf-8", errors="replace")


def _status(error: Exception) -> int | None:
    """The HTTP status of a translated refusal (an AuthError keeps it on the client's error)."""
    if isinstance(error, RemoteError) and error.status is not None:
        return error.status
    cause = error.__cause__
    answer = answer_of(cause) if cause is not None else None
    return answer.status if answer is not None else None


def _words(error: Exception) -> str:
    """What the service said (the client's error's message), else the translated message."""
    cause = error.__cause__
    said = getattr(cause, "message", None) if cause is not None else None
    return remote(str(said)) if said else str(error)
