"""The pure parts of `slotwise release start | status | --watch`: what a release document means
(``run_view``), what changed between two polls and how a release stopped moving (``watching``),
and which definition, build and stages a start takes (``starting``, on a fake gateway)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.cli.release_run_output import status_dict
from slotwise.errors import NotFoundError, ReleaseFailed, ReleaseRejected, ReleaseWaiting, UsageError
from slotwise.releases.run_view import StageState, view_of
from slotwise.releases.starting import plan_start, split_name
from slotwise.releases.watching import Ending, Kind, changes, conclude, ending

LEAD = {"id": "u1", "uniqueName": "lead@contoso.com", "displayName": "Lead"}


def task(task_id: int, name: str, status: str, lines: int = 3) -> dict[str, Any]:
    return {"id": task_id, "name": name, "status": status, "lineCount": lines}


def approval(
    approval_id: int, status: str = "pending", *, by: dict[str, Any] | None = None, comment: str = ""
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": approval_id,
        "status": status,
        "approvalType": "preDeploy",
        "approver": LEAD,
        "isAutomated": False,
        "attempt": 1,
        "createdOn": "2026-12-02T12:00:00Z",
        "comments": comment,
        "releaseEnvironment": {"id": 2, "name": "Production"},
        "release": {"id": 7, "name": "Release-7"},
    }
    if by is not None:
        found["approvedBy"] = by
    return found


def stage(
    stage_id: int,
    name: str,
    status: str,
    *,
    rank: int,
    tasks: tuple[dict[str, Any], ...] = (),
    step: str | None = None,
    approvals: tuple[dict[str, Any], ...] = (),
    after: str | None = None,
) -> dict[str, Any]:
    steps = []
    if step is not None:
        steps.append(
            {
                "attempt": 1,
                "status": step,
                "hasStarted": bool(tasks),
                "releaseDeployPhases": [
                    {
                        "id": 50 + stage_id,
                        "status": "inProgress" if tasks else "notStarted",
                        "deploymentJobs": [{"tasks": list(tasks)}],
                    }
                ],
            }
        )
    conditions = (
        [{"conditionType": "environmentState", "name": after, "value": "4"}]
        if after
        else [{"conditionType": "event", "name": "ReleaseStarted", "value": ""}]
    )
    return {
        "id": stage_id,
        "name": name,
        "rank": rank,
        "status": status,
        "deploySteps": steps,
        "preDeployApprovals": list(approvals),
        "postDeployApprovals": [],
        "preApprovalsSnapshot": {"approvalOptions": {"timeoutInMinutes": 60}},
        "conditions": conditions,
    }


def release(*stages: dict[str, Any], status: str = "active") -> dict[str, Any]:
    return {
        "id": 7,
        "name": "Release-7",
        "status": status,
        "releaseDefinition": {"id": 3, "name": "orders-api"},
        "_links": {"web": {"href": "https://dev.azure.com/contoso/Fabrikam/_release?releaseId=7"}},
        "createdBy": LEAD,
        "artifacts": [
            {
                "alias": "drop",
                "isPrimary": True,
                "definitionReference": {
                    "definition": {"id": "9", "name": "orders-api-CI"},
                    "version": {"id": "41", "name": "20261202.3"},
                    "branch": {"id": "refs/heads/main", "name": "refs/heads/main"},
                    "sourceVersion": {"id": "abc123", "name": "abc123"},
                },
            }
        ],
        "environments": list(stages),
    }


STAGING_DEPLOYING = stage(
    1,
    "Staging",
    "inProgress",
    rank=1,
    step="inProgress",
    tasks=(task(11, "Guard", "succeeded"), task(12, "Deploy", "inProgress")),
)
STAGING_DONE = stage(
    1,
    "Staging",
    "succeeded",
    rank=1,
    step="succeeded",
    tasks=(task(11, "Guard", "succeeded"), task(12, "Deploy", "succeeded")),
)
PRODUCTION_IDLE = stage(2, "Production", "notStarted", rank=2, after="Staging")
PRODUCTION_WAITING = stage(
    2, "Production", "inProgress", rank=2, step="notDeployed", approvals=(approval(21),), after="Staging"
)


# ---- the view --------------------------------------------------------------------------------------------
def test_the_view_reads_builds_stages_tasks_and_waiting_approvals() -> None:
    view = view_of(release(STAGING_DONE, PRODUCTION_WAITING), "Fabrikam")
    assert (view.name, view.definition, view.url.endswith("releaseId=7")) == ("Release-7", "orders-api", True)
    assert (view.builds[0].number, view.builds[0].branch, view.builds[0].commit) == (
        "20261202.3",
        "refs/heads/main",
        "abc123",
    )
    staging, production = view.stages
    assert staging.state is StageState.SUCCEEDED
    assert [(t.name, t.status, t.phase_id) for t in staging.tasks] == [
        ("Guard", "succeeded", 51),
        ("Deploy", "succeeded", 51),
    ]
    assert production.state is StageState.WAITING
    assert production.waiting[0].who_may == "lead@contoso.com"
    assert production.waiting[0].times_out == "2026-12-02 13:00 UTC"
    shown = view.as_dict()
    assert shown["stages"][1]["approvalsPending"][0]["timeoutMinutes"] == 60
    assert shown["stages"][0]["tasks"] == [
        {"id": 11, "name": "Guard", "status": "succeeded"},
        {"id": 12, "name": "Deploy", "status": "succeeded"},
    ]


def test_a_failed_deployment_and_a_rejection_are_both_rejected_stages_told_apart() -> None:
    failed = stage(1, "Staging", "rejected", rank=1, step="failed", tasks=(task(11, "Guard", "failed"),))
    refused = stage(
        2,
        "Production",
        "rejected",
        rank=2,
        step="notDeployed",
        approvals=(approval(21, "rejected", by=LEAD, comment="no"),),
    )
    view = view_of(release(failed, refused), "Fabrikam")
    assert [s.state for s in view.stages] == [StageState.FAILED, StageState.REJECTED]
    assert view.stages[1].decisions[0].by == "lead@contoso.com"
    assert view.stages[1].decisions[0].comment == "no"


# ---- what changed ----------------------------------------------------------------------------------------
def test_changes_tell_each_finished_task_once_then_the_stage_and_the_approval() -> None:
    first = view_of(release(STAGING_DEPLOYING, PRODUCTION_IDLE), "Fabrikam")
    seen = changes(None, first)
    assert [(e.kind, e.task.name if e.task else None) for e in seen] == [
        (Kind.STAGE_DEPLOYING, None),
        (Kind.TASK_FINISHED, "Guard"),
    ]
    assert changes(first, first) == []
    second = view_of(release(STAGING_DONE, PRODUCTION_WAITING), "Fabrikam")
    assert [(e.kind, e.stage.name, e.task.name if e.task else None) for e in changes(first, second)] == [
        (Kind.TASK_FINISHED, "Staging", "Deploy"),
        (Kind.STAGE_ENDED, "Staging", None),
        (Kind.APPROVAL_WAITING, "Production", None),
    ]
    decided = stage(
        2,
        "Production",
        "rejected",
        rank=2,
        step="notDeployed",
        approvals=(approval(21, "rejected", by=LEAD),),
        after="Staging",
    )
    third = view_of(release(STAGING_DONE, decided), "Fabrikam")
    assert [e.kind for e in changes(second, third)] == [Kind.APPROVAL_DECIDED, Kind.STAGE_ENDED]


# ---- how it ended ----------------------------------------------------------------------------------------
def test_ending_waits_while_a_stage_moves_or_is_about_to_start() -> None:
    assert ending(view_of(release(STAGING_DEPLOYING, PRODUCTION_IDLE), "F")) is None
    about = view_of(release(STAGING_DONE, PRODUCTION_IDLE), "F")  # Staging succeeded: Production starts soon
    assert ending(about) is None
    impatient = ending(about, patient=False)
    assert impatient is not None
    assert impatient.ending is Ending.WAITING
    assert impatient.stage is not None
    assert impatient.stage.name == "Production"
    only_staging = ending(about, {"staging"})
    assert only_staging is not None
    assert only_staging.ending is Ending.SUCCEEDED


@pytest.mark.parametrize(
    ("production", "expected", "error"),
    [
        (PRODUCTION_WAITING, Ending.WAITING, ReleaseWaiting),
        (
            stage(2, "Production", "rejected", rank=2, step="failed", tasks=(task(31, "Swap", "failed"),)),
            Ending.FAILED,
            ReleaseFailed,
        ),
        (
            stage(
                2,
                "Production",
                "rejected",
                rank=2,
                step="notDeployed",
                approvals=(approval(21, "rejected", by=LEAD),),
            ),
            Ending.REJECTED,
            ReleaseRejected,
        ),
        (stage(2, "Production", "canceled", rank=2, step="failed"), Ending.REJECTED, ReleaseRejected),
        (stage(2, "Production", "notStarted", rank=2, after="Test"), Ending.WAITING, ReleaseWaiting),
    ],
)
def test_each_ending_has_its_error_and_exit_code(
    production: dict[str, Any], expected: Ending, error: type[Exception]
) -> None:
    view = view_of(release(STAGING_DONE, production), "F")
    outcome = ending(view)
    assert outcome is not None
    assert outcome.ending is expected
    with pytest.raises(error) as raised:
        conclude(view, outcome)
    assert "Release-7" in str(raised.value)
    assert "Production" in str(raised.value)


def test_partially_succeeded_is_success_with_the_stage_named() -> None:
    partial = stage(2, "Production", "partiallySucceeded", rank=2, step="partiallySucceeded", after="Staging")
    view = view_of(release(STAGING_DONE, partial), "F")
    outcome = ending(view)
    assert outcome is not None
    assert (outcome.ending, outcome.partial) == (Ending.SUCCEEDED, ("Production",))
    conclude(view, outcome)  # no error


def test_the_error_codes_are_new_and_distinct() -> None:
    assert (ReleaseWaiting.exit_code, ReleaseFailed.exit_code, ReleaseRejected.exit_code) == (11, 12, 13)


# ---- starting --------------------------------------------------------------------------------------------
class Gateway:
    """Two projects' definitions and one build pipeline's builds; ``created`` records releases made."""

    def __init__(self) -> None:
        artifact = {
            "alias": "drop",
            "type": "Build",
            "isPrimary": True,
            "definitionReference": {
                "definition": {"id": "9", "name": "orders-api-CI"},
                "project": {"id": "p1", "name": "Fabrikam"},
                "defaultVersionType": {"id": "latestWithBranchAndTagsType"},
                "defaultVersionBranch": {"id": "refs/heads/main"},
            },
        }
        environments = [
            {
                "name": "Staging",
                "rank": 1,
                "conditions": [{"conditionType": "event", "name": "ReleaseStarted"}],
            },
            {
                "name": "Production",
                "rank": 2,
                "conditions": [{"conditionType": "environmentState", "name": "Staging", "value": "4"}],
                "preDeployApprovals": {"approvals": [{"isAutomated": False, "approver": LEAD}]},
            },
            {"name": "Hotfix", "rank": 3, "conditions": []},
        ]
        self.defs = {
            "Fabrikam": [
                {
                    "id": 3,
                    "name": "orders-api",
                    "path": "\\Functions",
                    "artifacts": [artifact],
                    "environments": environments,
                },
                {
                    "id": 4,
                    "name": "orders-api",
                    "path": "\\Old",
                    "artifacts": [artifact],
                    "environments": environments,
                },
            ],
            "Tailspin": [
                {"id": 3, "name": "web", "path": "\\", "artifacts": [artifact], "environments": environments}
            ],
        }
        self.all_builds = [
            {
                "id": 41,
                "buildNumber": "20261202.3",
                "result": "succeeded",
                "sourceBranch": "refs/heads/main",
                "definition": {"id": 9},
            },
            {
                "id": 40,
                "buildNumber": "20261202.2",
                "result": "succeeded",
                "sourceBranch": "refs/heads/dev",
                "definition": {"id": 9},
            },
        ]
        self.asked: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []

    def projects(self) -> list[str]:
        return list(self.defs)

    def definitions(self, project: str) -> list[dict[str, Any]]:
        return self.defs[project]

    def definition(self, project: str, definition_id: int) -> dict[str, Any]:
        for d in self.defs[project]:
            if d["id"] == definition_id:
                return d
        raise NotFoundError("no such definition")

    def builds(
        self, project: str, definition_id: int, *, number: str | None = None, branch: str | None = None,
        succeeded: bool = False, top: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        self.asked.append({"number": number, "branch": branch, "succeeded": succeeded})
        found = [
            b
            for b in self.all_builds
            if (number is None or b["buildNumber"] == number)
            and (branch is None or b["sourceBranch"] == branch)
        ]
        return found[:top] if top else found

    def build(self, project: str, build_id: int) -> dict[str, Any]:
        for b in self.all_builds:
            if b["id"] == build_id:
                return b
        raise NotFoundError("no such build")

    def create(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        self.created.append(body)
        return {}


def test_a_folder_path_picks_a_definition_and_the_latest_build_is_on_the_default_branch() -> None:
    gateway = Gateway()
    with pytest.raises(UsageError) as ambiguous:
        plan_start(gateway, "orders-api", None, build=None, stages=())
    assert (
        "Fabrikam: \\Functions\\orders-api (id 3), Fabrikam: \\Old\\orders-api (id 4)"
        in ambiguous.value.message
    )
    plan = plan_start(gateway, "\\Functions\\orders-api", None, build=None, stages=())
    assert (plan.project, plan.definition_id) == ("Fabrikam", 3)
    assert gateway.asked[-1] == {"number": None, "branch": "refs/heads/main", "succeeded": True}
    assert plan.builds[0].number == "20261202.3"
    body = plan.body()
    assert body["artifacts"] == [{"alias": "drop", "instanceReference": {"id": "41", "name": "20261202.3"}}]
    assert body["manualEnvironments"] == []
    assert [(s.name, s.manual) for s in plan.stages] == [
        ("Staging", False),
        ("Production", False),
        ("Hotfix", True),
    ]
    assert plan.stages[1].approvers == ("lead@contoso.com",)
    assert gateway.created == []  # planning creates nothing


def test_stages_not_chosen_become_manual_and_a_build_is_found_by_id() -> None:
    gateway = Gateway()
    plan = plan_start(gateway, "4", "Fabrikam", build="40", stages=("production",))
    assert plan.builds[0].build_id == 40
    assert plan.manual == ("Staging",)  # Hotfix is manual already: not listed
    assert [s.made_manual for s in plan.stages] == [True, False, False]


def test_split_name() -> None:
    assert split_name("\\Functions\\orders-api") == ("\\Functions", "orders-api")
    assert split_name("\\orders-api") == ("\\", "orders-api")
    assert split_name("orders-api") == (None, "orders-api")


def test_the_readme_documents_the_status_json_shape() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Starting and following releases", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    documented = json.loads(block.group(1))
    shown = status_dict(view_of(release(STAGING_DONE, PRODUCTION_WAITING), "Fabrikam"))
    assert set(documented) == set(shown)
    assert set(documented["builds"][0]) == set(shown["builds"][0])
    assert set(documented["stages"][1]) == set(shown["stages"][1])
    assert set(documented["stages"][0]["tasks"][0]) == set(shown["stages"][0]["tasks"][0])
    assert set(documented["stages"][1]["approvalsPending"][0]) == set(
        shown["stages"][1]["approvalsPending"][0]
    )
    assert (documented["ending"], shown["ending"]) == ("waiting", "waiting")


def test_the_watch_exit_codes_are_in_the_help_and_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code in (11, 12, 13):
        assert f"| {code} | `release start/status --watch`" in readme
    for command in ("start", "status"):
        said = CliRunner().invoke(cli, ["release", command, "--help"]).output
        assert "11 waits for a" in said
        assert "12 a deployment failed; 13 rejected" in said
