"""`slotwise approvals list | show | approve | reject | reassign` against the emulated Azure DevOps,
through the real `azure-devops` client, as release approvers use them.

Each test stands up a seeded organization with the slotwise extension installed and
templates/release/article.yaml applied (Production waits for lead@contoso.com or any member of
[Fabrikam]\\Release Approvers, one approval is enough, the release's creator may not approve), then
completes a build of orders-api-CI: the continuous-deployment trigger creates a release (created by
the build's requester, lead@contoso.com, in the emulator) whose Staging job is ended in the manual
agent pool, so Production's approvals are pending. Commands run in-process with only what a user
has: the organization URL, the CA, and a PAT of the user acting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator
from slotwise_emulator.clock import ManualClock
from tests.functional.devops_org import ROOT, article_organization, devops_env

ORG, PROJECT = "contoso", "Fabrikam"
ARTICLE = ROOT / "templates" / "release" / "article.yaml"
LEAD, OPS, ADMIN = "lead@contoso.com", "ops@contoso.com", "admin@contoso.com"
GROUP = "[Fabrikam]\\Release Approvers"
SMOKE = "| check | result |\n|---|---|\n| GET /api/health | 200 |"


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with article_organization(tmp_path, monkeypatch) as emulator:
        yield emulator


def slotwise(emu: Emulator, *args: str, user: str = ADMIN) -> Result:
    """The command line, in-process, signed in with a PAT of ``user``."""
    env = devops_env(emu)
    if user != ADMIN:
        env["AZURE_DEVOPS_EXT_PAT"] = emu.issue_pat(ORG, user)
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def release(emu: Emulator, number: int = 1) -> dict[str, Any]:
    found = [r for r in emu.releases(ORG, PROJECT) if r["name"] == f"Release-{number}"]
    assert len(found) == 1
    return found[0]


def stage(emu: Emulator, name: str, number: int = 1) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in release(emu, number)["stages"] if s["name"] == name)
    return found


def staged(emu: Emulator) -> list[int]:
    """Complete a build (the CD trigger releases it), end its Staging job with a smoke summary: the
    ids of Production's pending approvals (lead's, then the group's)."""
    build = emu.complete_build(ORG, PROJECT, "orders-api-CI")
    job = next(j for j in emu.pending_jobs() if j["stage"] == "Staging")
    emu.complete_job(
        job["jobId"], logs={job["tasks"][-1]: ["all checks passed"]}, summaries=[("Smoke", SMOKE)]
    )
    production = stage(emu, "Production", len(emu.releases(ORG, PROJECT)))
    assert production["step"] == "preApproval"
    assert build.build_number
    pending: list[int] = production["pendingApprovals"]
    assert len(pending) == 2
    return pending


def listed(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)
    return found


def test_list_shows_production_waiting_with_who_may_approve(emu: Emulator) -> None:
    lead_id, group_id = staged(emu)
    text = slotwise(emu, "approvals", "list", "--project", PROJECT)
    assert text.exit_code == 0, text.output
    lines = [line for line in text.output.splitlines() if "Release-1" in line]
    assert [line.split()[0] for line in lines] == [str(lead_id), str(group_id)]
    assert "stage Production (before deployment)" in lines[0]
    assert f"approver: {LEAD}" in lines[0]
    assert f"any member of {GROUP}" in lines[1]
    assert "times out" in lines[1]
    items = listed(slotwise(emu, "approvals", "list", "-o", "json"))  # every project
    assert [(i["id"], i["stage"]["name"], i["when"]) for i in items] == [
        (lead_id, "Production", "before"),
        (group_id, "Production", "before"),
    ]
    assert items[1]["approverIsGroup"]
    assert items[0]["timeoutMinutes"] == 3 * 24 * 60
    assert items[0]["definition"] == "orders-api"
    assert items[0]["release"]["name"] == "Release-1"


def test_list_mine_follows_the_signed_in_identity_and_its_groups(emu: Emulator) -> None:
    lead_id, group_id = staged(emu)
    lead = listed(slotwise(emu, "approvals", "list", "--mine", "-o", "json", user=LEAD))
    assert sorted(i["id"] for i in lead) == [lead_id, group_id]  # named, and through the group
    ops = listed(slotwise(emu, "approvals", "list", "--mine", "-o", "json", user=OPS))
    assert [i["id"] for i in ops] == [group_id]
    admin = slotwise(emu, "approvals", "list", "--mine")
    assert admin.exit_code == 0
    assert "No approval is waiting for you." in admin.output


def test_approve_by_a_group_member_deploys_production(emu: Emulator) -> None:
    _, group_id = staged(emu)
    result = slotwise(emu, "approvals", "approve", str(group_id), "--comment", "smoke tests green", user=OPS)
    assert result.exit_code == 0, result.output
    assert f"Approved approval {group_id}" in result.output
    assert stage(emu, "Production")["step"] == "deploying"
    assert [j["stage"] for j in emu.pending_jobs()] == ["Production"]
    assert listed(slotwise(emu, "approvals", "list", "-o", "json")) == []


def test_reject_stops_the_stage(emu: Emulator) -> None:
    lead_id, _ = staged(emu)
    result = slotwise(emu, "approvals", "reject", str(lead_id), "-c", "not today", "-p", PROJECT, user=LEAD)
    assert result.exit_code == 0, result.output
    assert stage(emu, "Production")["status"] == "rejected"
    assert emu.pending_jobs() == []


def test_not_an_approver_is_told_who_may(emu: Emulator) -> None:
    lead_id, _ = staged(emu)
    result = slotwise(emu, "approvals", "approve", str(lead_id), "--comment", "go")  # admin
    assert result.exit_code == 4
    assert f"You are not an approver of approval {lead_id}" in result.output
    assert f"only {LEAD} may decide it" in result.output
    assert "Traceback" not in result.output
    assert devops_env(emu)["AZURE_DEVOPS_EXT_PAT"] not in result.output
    assert stage(emu, "Production")["step"] == "preApproval"


def test_the_creator_may_not_approve_but_may_reject(emu: Emulator) -> None:
    lead_id, group_id = staged(emu)
    assert release(emu)["createdBy"] == LEAD  # the build's requester creates a CD release
    refused = slotwise(emu, "approvals", "approve", str(lead_id), "--comment", "mine", user=LEAD)
    assert refused.exit_code == 4
    assert "You created Release-1" in refused.output
    assert "does not let the release's creator" in refused.output
    assert f"any member of {GROUP}" in refused.output  # who else may
    assert stage(emu, "Production")["pendingApprovals"] == [lead_id, group_id]


def test_already_decided_says_by_whom(emu: Emulator) -> None:
    _, group_id = staged(emu)
    assert slotwise(emu, "approvals", "approve", str(group_id), "-c", "ship it", user=OPS).exit_code == 0
    again = slotwise(emu, "approvals", "reject", str(group_id), "-c", "wait", user=LEAD)
    assert again.exit_code == 4
    assert f"Approval {group_id} cannot be rejected: it was already approved by {OPS}" in again.output
    assert '"ship it"' in again.output


def test_all_for_decides_what_waits_for_the_caller(emu: Emulator) -> None:
    _, group_id = staged(emu)
    result = slotwise(emu, "approvals", "approve", "--all-for", "Release-1", "-c", "go", user=OPS)
    assert result.exit_code == 0, result.output
    assert f"Approved approval {group_id}" in result.output
    assert "1 approval approved." in result.output
    assert stage(emu, "Production")["step"] == "deploying"
    nothing = slotwise(emu, "approvals", "approve", "--all-for", "1", "-c", "go", user=ADMIN)
    assert nothing.exit_code == 4
    assert "No approval of release '1' waits for you" in nothing.output


def test_reassign_hands_the_approval_over(emu: Emulator) -> None:
    lead_id, group_id = staged(emu)
    result = slotwise(emu, "approvals", "reassign", str(lead_id), "--to", OPS, "-c", "on leave", user=LEAD)
    assert result.exit_code == 0, result.output
    assert f"Reassigned approval {lead_id}" in result.output
    assert f"to {OPS}" in result.output
    ops = listed(slotwise(emu, "approvals", "list", "--mine", "-o", "json", user=OPS))
    new = [i for i in ops if i["id"] not in (lead_id, group_id)]
    assert len(new) == 1
    assert new[0]["approver"] == OPS
    assert not new[0]["approverIsGroup"]
    unknown = slotwise(
        emu, "approvals", "reassign", str(group_id), "--to", "nobody@contoso.com", "-c", "x", user=OPS
    )
    assert unknown.exit_code == 2
    assert "No user or group named 'nobody@contoso.com'" in unknown.output


def test_show_prints_the_build_the_stage_and_staging_results(emu: Emulator) -> None:
    lead_id, _ = staged(emu)
    result = slotwise(emu, "approvals", "show", str(lead_id))
    assert result.exit_code == 0, result.output
    build = release(emu)["builds"]["drop"]
    out = result.output
    assert f"orders-api-CI {build}, branch refs/heads/main, commit " in out
    assert "Stage Production will run:" in out
    assert "Swap staging of func-orders" in out
    assert "Earlier stage Staging: succeeded" in out
    assert "Smoke test func-orders/staging" in out
    assert "--- Smoke ---" in out  # a summary without a title of its own: its name
    assert "| GET /api/health | 200 |" in out
    seen = json.loads(slotwise(emu, "approvals", "show", str(lead_id), "-o", "json").output)
    assert seen["builds"][0]["number"] == build
    assert len(seen["builds"][0]["commit"]) == 40
    assert seen["earlierStages"][0]["summaries"] == [{"name": "Smoke", "markdown": SMOKE}]


def test_unknown_approval_and_bad_arguments(emu: Emulator) -> None:
    staged(emu)
    missing = slotwise(emu, "approvals", "show", "999")
    assert missing.exit_code == 4
    assert "There is no release approval 999" in missing.output
    both = slotwise(emu, "approvals", "approve", "7", "--all-for", "Release-1", "-c", "x")
    assert both.exit_code == 2
    no_comment = slotwise(emu, "approvals", "approve", "7")
    assert no_comment.exit_code == 2
    assert "--comment" in no_comment.output


def test_an_approval_that_times_out_rejects_the_stage_and_leaves_the_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(time.time())
    with article_organization(tmp_path, monkeypatch, clock) as emulator:
        lead_id, group_id = staged(emulator)
        clock.advance(3 * 24 * 3600 - 60)  # the template's timeout is 3 days: one minute left
        waiting = listed(slotwise(emulator, "approvals", "list", "--mine", "-o", "json", user=OPS))
        assert [i["id"] for i in waiting] == [group_id]
        clock.advance(61)
        assert listed(slotwise(emulator, "approvals", "list", "--mine", "-o", "json", user=OPS)) == []
        assert stage(emulator, "Production")["status"] == "rejected"
        late = slotwise(emulator, "approvals", "approve", str(group_id), "-c", "sorry, late", user=OPS)
        assert late.exit_code == 4
        assert f"Approval {group_id} cannot be approved: it was already rejected on " in late.output
        assert " UTC, saying " in late.output  # the time as the lists show times, then the service's reason
        assert emulator.pending_jobs() == []  # Production never deployed
        assert lead_id != group_id
