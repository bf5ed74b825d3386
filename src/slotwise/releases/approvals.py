"""Release approvals as an approver sees them: ``Pending`` read from the service's approval
documents, their order (oldest first), who may decide one, which approvals ``--all-for RELEASE``
takes, and what a refused decision means.

Pure: it reads the JSON documents of the release API (``ReleaseApproval``, ``Release``) handed in
and answers values or errors; ``releases.deciding`` fetches and sends.

Must not: call Azure DevOps, print, or read the environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from slotwise.errors import ApprovalRefused, UsageError
from slotwise.text import remote

SHOWN = "%Y-%m-%d %H:%M UTC"  # how times are shown to a person

Document = Mapping[str, Any]
DEFAULT_TIMEOUT_MINUTES = 43200  # the service's default: 30 days
KINDS = {"preDeploy": "before", "postDeploy": "after"}  # approvalType → when it gates the stage


@dataclass(frozen=True)
class Pending:
    """One approval: what it gates and who may decide it."""

    id: int
    project: str
    release_id: int
    release: str
    definition: str
    stage: str
    stage_id: int
    kind: str  # "before" (pre-deployment) or "after" (post-deployment) the stage's deployment
    approver: str  # the approver's e-mail, or the group's name
    group: bool
    since: str  # ISO 8601, as the service wrote it
    status: str
    rank: int
    timeout_minutes: int | None = None  # from the stage's approval options, when read

    @property
    def who_may(self) -> str:
        """Who may decide it, in words: ``lead@contoso.com`` or ``any member of [P]\\Group``."""
        return f"any member of {self.approver}" if self.group else self.approver

    @property
    def waiting_since(self) -> str:
        """Since when it waits, as ``times_out`` says times (the service's text if unreadable)."""
        start = parse_time(self.since)
        return start.strftime(SHOWN) if start is not None else self.since

    @property
    def times_out(self) -> str:
        """When it times out (rejecting the stage), or "" when the timeout is not known."""
        if self.timeout_minutes is None:
            return ""
        start = parse_time(self.since)
        if start is None:
            return f"{self.timeout_minutes} min after {self.since}"
        return (start + timedelta(minutes=self.timeout_minutes)).strftime(SHOWN)

    def as_dict(self) -> dict[str, Any]:
        """The JSON an approver's script reads (``-o json``)."""
        return {
            "id": self.id,
            "project": self.project,
            "release": {"id": self.release_id, "name": self.release},
            "definition": self.definition,
            "stage": {"id": self.stage_id, "name": self.stage},
            "when": self.kind,
            "approver": self.approver,
            "approverIsGroup": self.group,
            "whoMayApprove": self.who_may,
            "status": self.status,
            "rank": self.rank,
            "waitingSince": self.since,
            "timeoutMinutes": self.timeout_minutes,
            "timesOut": self.times_out or None,
        }


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time of the service (``2026-12-02T12:12:15.195Z``), or None."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def identity_label(identity: Document) -> str:
    """A user's e-mail (unique name), a group's ``[Project]\\Group``, else its display name."""
    unique = str(identity.get("uniqueName") or "")
    display = str(identity.get("displayName") or "")
    return remote(unique or display or str(identity.get("id") or "someone"), 200)


def pending_of(approval: Document, project: str, timeout_minutes: int | None = None) -> Pending:
    """``Pending`` from one ``ReleaseApproval`` document."""
    approver = approval.get("approver") or {}
    release = approval.get("release") or {}
    stage = approval.get("releaseEnvironment") or {}
    definition = approval.get("releaseDefinition") or {}
    return Pending(
        id=int(approval.get("id") or 0),
        project=project,
        release_id=int(release.get("id") or 0),
        release=remote(str(release.get("name") or ""), 200),
        definition=remote(str(definition.get("name") or ""), 200),
        stage=remote(str(stage.get("name") or ""), 200),
        stage_id=int(stage.get("id") or 0),
        kind=KINDS.get(str(approval.get("approvalType") or ""), str(approval.get("approvalType") or "")),
        approver=identity_label(approver),
        group=bool(approver.get("isContainer")),
        since=str(approval.get("createdOn") or ""),
        status=str(approval.get("status") or ""),
        rank=int(approval.get("rank") or 1),
        timeout_minutes=timeout_minutes,
    )


def oldest_first(approvals: Iterable[Pending]) -> list[Pending]:
    """Oldest first (by when they began waiting, then by id), whichever project they are in."""
    never = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(approvals, key=lambda a: (_aware(parse_time(a.since)) or never, a.id))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def stage_of(release: Document, stage_id: int) -> Document | None:
    """The stage (environment) ``stage_id`` of a ``Release`` document."""
    return next((e for e in release.get("environments") or [] if int(e.get("id") or 0) == stage_id), None)


def timeout_of(release: Document, stage_id: int, kind: str) -> int:
    """The approval timeout of a stage's pre- (``before``) or post-deployment (``after``) approvals."""
    stage = stage_of(release, stage_id) or {}
    key = "preApprovalsSnapshot" if kind == "before" else "postApprovalsSnapshot"
    options = (stage.get(key) or {}).get("approvalOptions") or {}
    return int(options.get("timeoutInMinutes") or DEFAULT_TIMEOUT_MINUTES)


def creator_may_approve(release: Document, stage_id: int, kind: str) -> bool:
    """Whether the stage's approval options let the release's creator approve it."""
    stage = stage_of(release, stage_id) or {}
    key = "preApprovalsSnapshot" if kind == "before" else "postApprovalsSnapshot"
    options = (stage.get(key) or {}).get("approvalOptions") or {}
    return options.get("releaseCreatorCanBeApprover", True) is not False


def for_release(approvals: Sequence[Pending], release: str) -> list[Pending]:
    """The approvals of the release named ``release`` (its id, or its name such as ``Release-7``);
    UsageError when the name matches approvals of more than one release (other projects)."""
    wanted = release.strip()
    chosen = [
        a for a in approvals if (wanted.isdigit() and a.release_id == int(wanted)) or a.release == wanted
    ]
    releases = {(a.project, a.release_id) for a in chosen}
    if len(releases) > 1:
        raise UsageError(
            f"{wanted!r} names releases in several projects ({', '.join(sorted(p for p, _ in releases))}).",
            hint="Name the project too (--project).",
        )
    return chosen


@dataclass(frozen=True)
class Refusal:
    """What is known after the service refused a decision: the approval as it is now (None when it
    could not be found), the release, and who is signed in."""

    approval_id: int
    status: int | None
    said: str
    approval: Document | None
    release: Document | None
    caller_id: str
    deciding: str  # "approve", "reject", "reassign"
    others: tuple[str, ...] = ()  # who may decide the stage's other pending approvals


def explain(refusal: Refusal) -> ApprovalRefused:
    """The refusal in words, with the reason decided by the approval's state: already decided (by
    whom, when, with what comment), the creator may not approve, not an approver (who may)."""
    approval, ident = refusal.approval, refusal.approval_id
    said = f" (Azure DevOps said: {refusal.said})" if refusal.said else ""
    if approval is not None and str(approval.get("status")) not in ("pending", ""):
        return ApprovalRefused(
            f"Approval {ident} cannot be {_done(refusal.deciding)}: {_decided(approval)}{said}",
            status=refusal.status,
            said=refusal.said,
            hint="Nothing to do for this one: list the approvals still waiting for a decision.",
        )
    if approval is None:
        return ApprovalRefused(
            f"Azure DevOps refused to {refusal.deciding} approval {ident}{said}",
            status=refusal.status,
            said=refusal.said,
        )
    pending = pending_of(approval, "")
    creator = str(((refusal.release or {}).get("createdBy") or {}).get("id") or "").lower()
    if (
        refusal.deciding == "approve"
        and refusal.status == 400
        and refusal.release is not None
        and creator == refusal.caller_id.lower()
        and not creator_may_approve(refusal.release, pending.stage_id, pending.kind)
    ):
        return ApprovalRefused(
            f"You created {pending.release}, and its stage {pending.stage} does not let the release's "
            f"creator approve it: approval {ident} is not yours to give{said}",
            status=refusal.status,
            said=refusal.said,
            hint=f"Ask {' or '.join(refusal.others) or 'another approver of the stage'} to approve it; "
            "you may still reject it.",
        )
    if refusal.status == 403:
        return ApprovalRefused(
            f"You are not an approver of approval {ident} ({pending.release}, stage {pending.stage}, "
            f"{pending.kind} deployment): only {pending.who_may} may decide it{said}",
            status=refusal.status,
            said=refusal.said,
            hint=f"Ask {pending.who_may} to decide it, or to reassign it to you.",
        )
    return ApprovalRefused(
        f"Azure DevOps refused to {refusal.deciding} approval {ident} ({pending.release}, stage "
        f"{pending.stage}){said}",
        status=refusal.status,
        said=refusal.said,
    )


def _done(deciding: str) -> str:
    return {"approve": "approved", "reject": "rejected", "reassign": "reassigned"}.get(deciding, deciding)


def _decided(approval: Document) -> str:
    """``it was already approved by Ops on 2026-…, saying "ship it"``."""
    status = str(approval.get("status"))
    by = approval.get("approvedBy") or {}
    history = approval.get("history") or []
    if not by and history:
        by = (history[-1] or {}).get("changedBy") or {}
    who = f" by {identity_label(by)}" if by else ""
    modified = str(approval.get("modifiedOn") or "")
    moment = parse_time(modified)
    when = f" on {moment.strftime(SHOWN) if moment is not None else modified}" if modified else ""
    comment = remote(str(approval.get("comments") or ""), 300)
    saying = f', saying "{comment}"' if comment else ""
    why = " (enough approvers had approved the stage)" if status == "skipped" else ""
    return f"it was already {status}{who}{when}{saying}{why}."
