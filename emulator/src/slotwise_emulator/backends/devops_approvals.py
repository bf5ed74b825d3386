"""Approvals of a release stage: which exist, who may decide them, what a decision or a timeout does.

A stage's ``preDeployApprovals`` / ``postDeployApprovals`` (as snapshotted from the definition)
become ``Approval`` records rank by rank: approvals of the same rank are pending together, a higher
rank's are made when every lower one is decided (approvals "in sequence"). ``approvalOptions``:
``requiredApproverCount`` (0: every approver; n: n approvals end the step, the rest are skipped),
``releaseCreatorCanBeApprover``, ``timeoutInMinutes`` (counted from when the step began; a timed-out
approval is rejected, which rejects the stage). A group approver is decided by any member of it.

Must not: move a stage on (``devops_release_flow`` reads ``step_state``) or know HTTP.
Refusals are ``ServiceError`` in Azure DevOps' shape; their wordings are the emulator's (the real
ones were not found in public sources), marked below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slotwise_emulator.backends.devops_release_model import Approval, Release, Stage
from slotwise_emulator.errors import ServiceError, devops_error

DEFAULT_TIMEOUT_MINUTES = 43200  # 30 days, the service's default
Members = Callable[[str], set[str]]  # a group's identity id -> its member ids (nested groups included)


def _options(stage: Stage, kind: str) -> dict[str, Any]:
    key = "preDeployApprovals" if kind == "preDeploy" else "postDeployApprovals"
    return dict((stage.snapshot.get(key) or {}).get("approvalOptions") or {})


def _manual(stage: Stage, kind: str) -> list[dict[str, Any]]:
    key = "preDeployApprovals" if kind == "preDeploy" else "postDeployApprovals"
    approvals = (stage.snapshot.get(key) or {}).get("approvals") or []
    return sorted(
        (a for a in approvals if not a.get("isAutomated") and a.get("approver")),
        key=lambda a: a.get("rank", 1),
    )


def required(stage: Stage, kind: str) -> bool:
    """Whether the step has any manual approver."""
    return bool(_manual(stage, kind))


def open_next_rank(
    release: Release,
    stage: Stage,
    kind: str,
    attempt: int,
    now: float,
    next_id: Callable[[], int],
    identity: Callable[[str], dict[str, Any] | None],
) -> bool:
    """Make the pending approvals of the lowest rank not yet made; False when none is left."""
    made = {a.rank for a in stage.approvals_of(kind, attempt)}
    left = [a for a in _manual(stage, kind) if int(a.get("rank", 1)) not in made]
    if not left:
        return False
    rank = int(left[0].get("rank", 1))
    for entry in (a for a in left if int(a.get("rank", 1)) == rank):
        approver_id = str(entry["approver"].get("id", ""))
        approver = identity(approver_id) or dict(entry["approver"])
        stage.approvals.append(
            Approval(next_id(), release.id, stage.id, kind, rank, approver, now, now, attempt=attempt)
        )
    return True


def step_state(stage: Stage, kind: str, attempt: int) -> str:
    """``pending``, ``approved`` or ``rejected`` for the made approvals of the step (the flow opens the
    next rank when this says ``approved`` and ``open_next_rank`` still has one)."""
    made = stage.approvals_of(kind, attempt)
    if any(a.status == "rejected" for a in made):
        return "rejected"
    count = int(_options(stage, kind).get("requiredApproverCount") or 0)
    approved = sum(1 for a in made if a.status == "approved")
    if count and approved >= count:
        return "enough"
    return "pending" if any(a.status == "pending" for a in made) else "approved"


def close_step(stage: Stage, kind: str, attempt: int, status: str, now: float) -> None:
    """Pending approvals of the step become ``status`` (skipped when enough approved, canceled)."""
    for approval in stage.approvals_of(kind, attempt):
        if approval.status == "pending":
            approval.status, approval.modified_on = status, now
            approval.revision += 1


def expire(stage: Stage, kind: str, attempt: int, now: float) -> bool:
    """Reject the step's pending approvals whose timeout has passed; whether any was."""
    minutes = int(_options(stage, kind).get("timeoutInMinutes") or DEFAULT_TIMEOUT_MINUTES)
    expired = False
    for approval in stage.approvals_of(kind, attempt):
        if approval.status == "pending" and now >= approval.created_on + minutes * 60:
            approval.status, approval.modified_on = "rejected", now
            approval.comments = "The approval timed out."  # emulator wording
            approval.revision += 1
            expired = True
    return expired


def may_decide(approval: Approval, caller: dict[str, Any], members: Members) -> bool:
    approver_id = str(approval.approver.get("id", "")).lower()
    caller_id = str(caller.get("id", "")).lower()
    return caller_id == approver_id or (
        bool(approval.approver.get("isContainer")) and caller_id in members(approver_id)
    )


def decide(
    release: Release,
    stage: Stage,
    approval: Approval,
    body: dict[str, Any],
    caller: dict[str, Any],
    members: Members,
    identity: Callable[[str], dict[str, Any] | None],
    now: float,
    next_id: Callable[[], int],
) -> None:
    """``PATCH .../approvals/{id}``: approve, reject, or reassign (``status: reassigned`` with the new
    ``approver``) a pending approval, or the service's refusal."""
    status = str(body.get("status") or "").strip()
    if status not in ("approved", "rejected", "reassigned"):
        raise _invalid(f"The approval status '{status}' cannot be set: use approved, rejected or reassigned.")
    if approval.status != "pending":
        raise _invalid(
            f"VS402801: The approval {approval.id} has already been {approval.status}."
        )  # emulator wording
    if not may_decide(approval, caller, members):
        raise devops_error(
            403,
            "ReleaseManagementSecurityException",
            f"VS402904: {caller.get('displayName', 'The caller')} is not an approver of this approval, nor a "
            "member of the group that is.",  # emulator wording
        )
    creator_may = _options(stage, approval.kind).get("releaseCreatorCanBeApprover", True)
    creator = str(release.created_by.get("id", "")).lower() == str(caller.get("id", "")).lower()
    if status == "approved" and creator and creator_may is False:
        raise _invalid(
            "VS402855: The release was created by you and the release pipeline does not allow its "
            "creator to approve it. Ask another approver."  # emulator wording
        )
    comments = str(body.get("comments") or "")
    approval.history.append(
        {
            "approver": approval.approver,
            "changedBy": caller,
            "comments": comments,
            "createdOn": now,
            "modifiedOn": now,
            "revision": approval.revision,
        }
    )
    approval.revision += 1
    approval.modified_on = now
    approval.comments = comments
    if status == "reassigned":
        target = body.get("approver") if isinstance(body.get("approver"), dict) else None
        new = identity(str(target.get("id", ""))) if target else None
        if new is None:
            raise _invalid(
                "To reassign an approval, name the new approver's identity id in 'approver'."
            )  # emulator wording
        approval.status = "reassigned"
        stage.approvals.append(
            Approval(
                next_id(),
                release.id,
                stage.id,
                approval.kind,
                approval.rank,
                new,
                now,
                now,
                attempt=approval.attempt,
                comments=comments,
            )
        )
        return
    approval.status = status
    approval.approved_by = caller


def _invalid(message: str) -> ServiceError:
    return devops_error(400, "InvalidRequestException", message)


def listed(
    approval: Approval,
    *,
    status: str | None,
    types: set[str] | None,
    release_ids: set[int] | None,
    assigned_to: str | None,
    caller_groups: set[str],
) -> bool:
    """Whether ``GET .../approvals`` with these filters lists ``approval`` (``assigned_to``: an identity
    id, or a unique or display name, lower case; ``caller_groups``: that identity's groups when
    ``includeMyGroupApprovals``)."""
    if status is not None and approval.status != status:
        return False
    if types is not None and approval.kind not in types:
        return False
    if release_ids is not None and approval.release_id not in release_ids:
        return False
    if assigned_to is None:
        return True
    names = {str(approval.approver.get(k, "")).lower() for k in ("id", "uniqueName", "displayName")}
    return assigned_to in names or str(approval.approver.get("id", "")).lower() in caller_groups
