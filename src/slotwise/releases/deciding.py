"""What release approvers do: list what waits, approve, reject or reassign one approval, or every
approval of a release waiting for the caller (``--all-for``).

Each function takes an ``ApprovalsGateway`` (``devops.approvals.RawApprovals`` over the
``azure-devops`` client; a fake in unit tests) and answers ``releases.approvals`` values. A decision is
sent once; when the service refuses it, the approval and its release are read again and the refusal
is explained from their state (``releases.approvals.explain``).

Must not: print (the CLI renders), read the environment, or build requests (the gateway does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from slotwise.errors import ApprovalRefused, NotFoundError, RemoteError, UsageError
from slotwise.releases.approvals import (
    Pending,
    Refusal,
    explain,
    for_release,
    identity_label,
    oldest_first,
    pending_of,
    timeout_of,
)

Document = dict[str, Any]
LIST_HINT = "Check the id against the approvals waiting (listed with their ids and projects)."


class ApprovalsGateway(Protocol):
    """The organization's approvals and releases, as ``devops.approvals.RawApprovals`` reads them."""

    def signed_in(self) -> Document: ...

    def projects(self) -> list[str]: ...

    def identities(self, name: str) -> list[Document]: ...

    def approvals(
        self,
        project: str,
        *,
        status: str = "pending",
        assigned_to: str | None = None,
        my_groups: bool = False,
        release_ids: tuple[int, ...] = (),
    ) -> list[Document]: ...

    def update(self, project: str, approval_id: int, body: Document) -> Document: ...

    def release(self, project: str, release_id: int) -> Document: ...

    def summaries(
        self, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str
    ) -> list[Document]: ...

    def summary_text(
        self, project: str, release_id: int, stage_id: int, attempt: int, plan_id: str, attachment: Document
    ) -> str: ...


def list_pending(gateway: ApprovalsGateway, project: str | None, *, mine: bool) -> list[Pending]:
    """Pending approvals of ``project`` (else of every project), oldest first, each with its stage's
    timeout; ``mine``: only those assigned to the signed-in identity or to a group it is in."""
    me = str(gateway.signed_in()["id"]) if mine else None
    releases: dict[tuple[str, int], Document] = {}
    found: list[Pending] = []
    for where in [project] if project else gateway.projects():
        for document in gateway.approvals(where, assigned_to=me, my_groups=mine):
            pending = pending_of(document, where)
            key = (where, pending.release_id)
            if key not in releases:
                releases[key] = gateway.release(where, pending.release_id)
            timeout = timeout_of(releases[key], pending.stage_id, pending.kind)
            found.append(pending_of(document, where, timeout))
    return oldest_first(found)


def locate(gateway: ApprovalsGateway, approval_id: int, project: str | None) -> tuple[str, Document]:
    """The project holding approval ``approval_id`` and the approval (pending ones are looked at
    first, then every status); NotFoundError when no project has it."""
    projects = [project] if project else gateway.projects()
    for status in ("pending", "undefined"):
        for where in projects:
            for document in gateway.approvals(where, status=status):
                if int(document.get("id") or 0) == approval_id:
                    return where, document
    where = f"project {project!r}" if project else "any project of the organization"
    raise NotFoundError(f"There is no release approval {approval_id} in {where}.", hint=LIST_HINT)


def approve(gateway: ApprovalsGateway, approval_id: int, project: str | None, comment: str) -> Pending:
    """Approve one approval (the service's answer, as ``Pending``), or ``ApprovalRefused`` explained."""
    return _decide(gateway, approval_id, project, "approve", {"status": "approved", "comments": comment})


def reject(gateway: ApprovalsGateway, approval_id: int, project: str | None, comment: str) -> Pending:
    """Reject one approval: its stage is rejected and the later stages do not run."""
    return _decide(gateway, approval_id, project, "reject", {"status": "rejected", "comments": comment})


def reassign(
    gateway: ApprovalsGateway, approval_id: int, project: str | None, to: str, comment: str
) -> tuple[Pending, str]:
    """Hand one approval to the user or group ``to`` (an e-mail, a display name, ``[Project]\\Group``):
    the reassigned approval and the new approver's name."""
    target = person(gateway, to)
    body = {"status": "reassigned", "comments": comment, "approver": {"id": target["id"]}}
    return _decide(gateway, approval_id, project, "reassign", body), identity_label(_named(target))


def decide_all_for(
    gateway: ApprovalsGateway,
    release: str,
    project: str | None,
    *,
    approving: bool,
    comment: str,
    decided: Callable[[Pending], None],
) -> list[Pending]:
    """Approve (or reject) every pending approval of ``release`` (its id or name) that waits for the
    signed-in identity or one of its groups; ``decided`` hears each as it is done. An approval that
    stops waiting meanwhile (enough approvers approved: the rest are skipped) is left alone."""
    me = str(gateway.signed_in()["id"])
    mine = [
        pending_of(document, where)
        for where in ([project] if project else gateway.projects())
        for document in gateway.approvals(where, assigned_to=me, my_groups=True)
    ]
    chosen = oldest_first(for_release(mine, release))
    if not chosen:
        raise NotFoundError(
            f"No approval of release {release!r} waits for you (nor for a group you are in).",
            hint=LIST_HINT.replace("Check the id", "Check the release's id or name"),
        )
    done: list[Pending] = []
    for pending in chosen:
        still = gateway.approvals(pending.project, release_ids=(pending.release_id,))
        if not any(int(d.get("id") or 0) == pending.id for d in still):
            continue
        choose = approve if approving else reject
        result = choose(gateway, pending.id, pending.project, comment)
        decided(result)
        done.append(result)
    return done


def person(gateway: ApprovalsGateway, name: str) -> Document:
    """The one identity ``name`` finds; UsageError when none or several."""
    found = [i for i in gateway.identities(name) if i.get("id")]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(
            f"No user or group named {name!r} in the organization.",
            hint="Name the new approver by e-mail (lead@contoso.com) or a group as [Project]\\Group.",
        )
    names = ", ".join(identity_label(_named(i)) for i in found[:5])
    raise UsageError(f"{name!r} names several identities ({names}).", hint="Name one by its e-mail.")


def _named(identity: Document) -> Document:
    """An identities-API identity in the shape ``identity_label`` reads."""
    properties = identity.get("properties") or {}
    account = properties.get("Account")
    account = account.get("$value") if isinstance(account, dict) else account
    display = identity.get("providerDisplayName") or identity.get("customDisplayName")
    group = bool(identity.get("isContainer")) or str(display or "").startswith("[")
    return {"uniqueName": display if group else account, "displayName": display, "id": identity.get("id")}


def _decide(
    gateway: ApprovalsGateway, approval_id: int, project: str | None, deciding: str, body: Document
) -> Pending:
    where, document = locate(gateway, approval_id, project)
    try:
        answer = gateway.update(where, approval_id, body)
    except ApprovalRefused as refused:
        raise _explained(gateway, where, document, refused, deciding) from refused
    return pending_of(answer, where)


def _explained(
    gateway: ApprovalsGateway, project: str, before: Document, refused: ApprovalRefused, deciding: str
) -> ApprovalRefused:
    """The refusal explained from the approval and release as they are now (what can be read)."""
    approval_id = int(before.get("id") or 0)
    release_id = int((before.get("release") or {}).get("id") or 0)
    now: Document | None = before
    release: Document | None = None
    caller = ""
    others: tuple[str, ...] = ()
    try:
        every = gateway.approvals(project, status="undefined", release_ids=(release_id,))
        now = next((d for d in every if int(d.get("id") or 0) == approval_id), before)
        others = _others(every, now, project)
        release = gateway.release(project, release_id)
        caller = str(gateway.signed_in().get("id") or "")
    except RemoteError:
        pass  # the refusal itself is then the best explanation
    facts = Refusal(approval_id, refused.status, refused.said, now, release, caller, deciding, others)
    return explain(facts)


def _others(every: list[Document], approval: Document, project: str) -> tuple[str, ...]:
    """Who may decide the other pending approvals of the same stage and step."""
    this = pending_of(approval, project)
    return tuple(
        p.who_may
        for p in (pending_of(d, project) for d in every)
        if p.id != this.id and p.status == "pending" and (p.stage_id, p.kind) == (this.stage_id, this.kind)
    )
