"""releases.approvals: approvals read from the release API's documents, their order, who may decide
them, the --all-for selection, and refusals explained from the approval's state (no network)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from slotwise.errors import ApprovalRefused, UsageError
from slotwise.releases.approvals import Refusal, explain, for_release, oldest_first, pending_of, timeout_of

ME = "id-lead"


def approval(
    ident: int,
    *,
    since: str = "2026-12-02T10:00:00.000Z",
    release: tuple[int, str] = (1, "Release-1"),
    group: bool = False,
    status: str = "pending",
    **more: Any,
) -> dict[str, Any]:
    approver = (
        {
            "id": "g",
            "displayName": "[Fabrikam]\\Release Approvers",
            "uniqueName": "[Fabrikam]\\Release Approvers",
            "isContainer": True,
        }
        if group
        else {"id": ME, "displayName": "Lead", "uniqueName": "lead@contoso.com"}
    )
    return {
        "id": ident,
        "approver": approver,
        "approvalType": "preDeploy",
        "createdOn": since,
        "status": status,
        "rank": 1,
        "release": {"id": release[0], "name": release[1]},
        "releaseDefinition": {"name": "orders-api"},
        "releaseEnvironment": {"id": 2, "name": "Production"},
        **more,
    }


def release_doc(*, creator_may: bool, creator: str = ME, timeout: int | None = 4320) -> dict[str, Any]:
    options: dict[str, Any] = {"releaseCreatorCanBeApprover": creator_may}
    if timeout is not None:
        options["timeoutInMinutes"] = timeout
    return {
        "createdBy": {"id": creator},
        "environments": [
            {"id": 2, "name": "Production", "preApprovalsSnapshot": {"approvalOptions": options}}
        ],
    }


def test_read_from_the_document_with_who_may_and_timeout() -> None:
    pending = pending_of(
        approval(8, group=True), "Fabrikam", timeout_of(release_doc(creator_may=True), 2, "before")
    )
    assert (pending.release, pending.stage, pending.kind, pending.definition) == (
        "Release-1",
        "Production",
        "before",
        "orders-api",
    )
    assert pending.who_may == "any member of [Fabrikam]\\Release Approvers"
    assert pending.times_out == "2026-12-05 10:00 UTC"  # 4320 minutes later
    assert pending_of(approval(7), "Fabrikam").who_may == "lead@contoso.com"
    assert (
        timeout_of(release_doc(creator_may=True, timeout=None), 2, "before") == 43200
    )  # the service's default


def test_oldest_first_by_time_then_id() -> None:
    items = [
        pending_of(approval(9, since="2026-12-02T11:00:00Z"), "B"),
        pending_of(approval(3, since="2026-12-02T12:00:00.5Z"), "A"),
        pending_of(approval(5, since="2026-12-02T11:00:00Z"), "A"),
    ]
    assert [p.id for p in oldest_first(items)] == [5, 9, 3]


def test_all_for_takes_a_release_by_id_or_name_and_refuses_an_ambiguous_name() -> None:
    items = [
        pending_of(approval(1, release=(4, "Release-4")), "A"),
        pending_of(approval(2, release=(5, "Release-5")), "A"),
    ]
    assert [p.id for p in for_release(items, "Release-5")] == [2]
    assert [p.id for p in for_release(items, "4")] == [1]
    assert for_release(items, "Release-9") == []
    twice = [*items, pending_of(approval(3, release=(1, "Release-4")), "B")]
    with pytest.raises(UsageError, match="several projects"):
        for_release(twice, "Release-4")


def refusal(
    status: int, now: dict[str, Any] | None, release: dict[str, Any] | None, deciding: str = "approve"
) -> ApprovalRefused:
    return explain(Refusal(7, status, "VS4: said", now, release, ME, deciding, ("any member of G",)))


def test_already_decided_says_by_whom_and_what() -> None:
    decided = approval(
        7, status="approved", approvedBy={"uniqueName": "ops@contoso.com"}, modifiedOn="T", comments="ok"
    )
    error = refusal(400, decided, release_doc(creator_may=False), "reject")
    assert error.exit_code == 4
    assert error.status == 400
    assert 'cannot be rejected: it was already approved by ops@contoso.com on T, saying "ok"' in error.message
    assert "VS4: said" in error.message


def test_creator_rule_only_when_the_caller_created_it_and_the_stage_forbids_it() -> None:
    error = refusal(400, approval(7), release_doc(creator_may=False))
    assert "You created Release-1" in error.message
    assert "any member of G" in error.hint
    # another creator, or a stage that allows it: not the creator rule
    assert (
        "You created"
        not in refusal(400, approval(7), release_doc(creator_may=False, creator="other")).message
    )
    assert "You created" not in refusal(400, approval(7), release_doc(creator_may=True)).message
    assert "You created" not in refusal(400, approval(7), release_doc(creator_may=False), "reject").message


def test_not_an_approver_says_who_may() -> None:
    error = refusal(403, approval(7, group=True), release_doc(creator_may=True))
    assert "You are not an approver of approval 7" in error.message
    assert "only any member of [Fabrikam]\\Release Approvers may decide it" in error.message


def test_an_unexplained_refusal_keeps_the_service_words() -> None:
    error = refusal(400, None, None)
    assert error.message == "Azure DevOps refused to approve approval 7 (Azure DevOps said: VS4: said)"


def test_waiting_since_and_times_out_are_shown_alike_and_an_unreadable_time_as_the_service_wrote_it() -> None:
    shown = replace(pending_of(approval(1, since="2026-12-02T10:00:00.000Z"), "A"), timeout_minutes=90)
    assert (shown.waiting_since, shown.times_out) == ("2026-12-02 10:00 UTC", "2026-12-02 11:30 UTC")
    odd = pending_of(approval(2, since="yesterday"), "A")
    assert odd.waiting_since == "yesterday"
