"""The emulated release service at run time, on a ManualClock with the manual agent pool: stage
conditions, the queueing policy, approvals (count, order, creator rule, groups, timeout, reassign),
rejection and failure stopping later stages, abandon, logs and summaries, the CD trigger's filters."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

from slotwise_emulator.errors import ServiceError
from tests.release_runtime import ORG, PROJECT, World, release_definition, stage, start, world

BASE = "https://host/contoso"
ANA, BO, CY, DI = "ana@contoso.com", "bo@contoso.com", "cy@contoso.com", "di@contoso.com"


@pytest.fixture
def w() -> World:
    return world()


def statuses(w: World, release_id: int) -> dict[str, str]:
    got = w.releases.get(ORG, PROJECT, release_id, BASE)
    return {e["name"]: e["status"] for e in got["environments"]}


def finish_job(w: World, release_id: int, stage_name: str, result: str = "succeeded", **kw: Any) -> None:
    job = next(
        j
        for j in w.pool.jobs()
        if j.variables["Release.ReleaseId"].value == str(release_id)
        and j.variables["Release.EnvironmentName"].value == stage_name
    )
    w.pool.complete(job.job_id, result, **kw)


def pending(w: World, release_id: int | None = None) -> list[dict[str, Any]]:
    items, _ = w.releases.list_approvals(
        ORG, PROJECT, BASE, caller=w.ref(ANA), release_ids={release_id} if release_id else None
    )
    return items


def decide(w: World, approval_id: int, who: str, status: str = "approved", **extra: Any) -> dict[str, Any]:
    body = {"status": status, "comments": f"{status} by {who}", **extra}
    return w.releases.decide(ORG, PROJECT, approval_id, body, w.ref(who), BASE)


def refused(call: Callable[[], object]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def uid(w: World, email: str) -> str:
    return str(w.ref(email)["id"])


# ---- conditions ----------------------------------------------------------------------------------
def test_after_release_then_after_stage_then_manual(w: World) -> None:
    d = release_definition(
        w, stage("Staging"), stage("Production", after="Staging"), stage("Hotfix", manual=True)
    )
    made = start(w, d)
    assert statuses(w, made["id"]) == {
        "Staging": "inProgress",
        "Production": "notStarted",
        "Hotfix": "notStarted",
    }
    assert [j.variables["Release.EnvironmentName"].value for j in w.pool.jobs()] == ["Staging"]
    finish_job(w, made["id"], "Staging", logs={"deploy": ["deployed v1"]})
    assert statuses(w, made["id"]) == {
        "Staging": "succeeded",
        "Production": "inProgress",
        "Hotfix": "notStarted",
    }
    finish_job(w, made["id"], "Production")
    assert statuses(w, made["id"])["Production"] == "succeeded"
    assert w.pool.jobs() == []
    hotfix = next(e for e in made["environments"] if e["name"] == "Hotfix")
    w.releases.update_environment(
        ORG, PROJECT, made["id"], hotfix["id"], {"status": "inProgress"}, w.ref(BO), BASE
    )
    assert statuses(w, made["id"])["Hotfix"] == "inProgress"
    assert w.releases.get(ORG, PROJECT, made["id"], BASE)["status"] == "active"


def test_manual_environments_of_the_start_metadata_are_not_triggered(w: World) -> None:
    d = release_definition(w, stage("Staging"), stage("Production", after="Staging"))
    made = start(w, d, manualEnvironments=["Staging"])
    assert statuses(w, made["id"]) == {"Staging": "notStarted", "Production": "notStarted"}
    assert w.pool.jobs() == []


def test_a_failed_job_rejects_the_stage_and_stops_the_later_ones(w: World) -> None:
    d = release_definition(w, stage("Staging"), stage("Production", after="Staging"))
    made = start(w, d)
    finish_job(w, made["id"], "Staging", "failed", logs={"deploy": ["smoke test failed"]})
    assert statuses(w, made["id"]) == {"Staging": "rejected", "Production": "notStarted"}
    step = w.releases.get(ORG, PROJECT, made["id"], BASE)["environments"][0]["deploySteps"][0]
    assert (step["status"], step["operationStatus"]) == ("failed", "PhaseFailed")
    task = step["releaseDeployPhases"][0]["deploymentJobs"][0]["tasks"][0]
    assert task["status"] == "failed"
    phase = step["releaseDeployPhases"][0]["id"]
    log = w.releases.task_log(ORG, PROJECT, made["id"], made["environments"][0]["id"], phase, task["id"])
    assert log == ["smoke test failed"]
    assert w.pool.jobs() == []


def test_succeeded_with_issues_is_partially_succeeded_and_a_value_mask_can_accept_it(w: World) -> None:
    later = stage("Production", after="Staging")
    later["conditions"][0]["value"] = "132"  # succeeded (4) or partiallySucceeded (128)
    d = release_definition(w, stage("Staging"), later, stage("Strict", after="Staging"))
    made = start(w, d)
    finish_job(w, made["id"], "Staging", "succeededWithIssues")
    assert statuses(w, made["id"]) == {
        "Staging": "partiallySucceeded",
        "Production": "inProgress",
        "Strict": "notStarted",
    }


# ---- queueing policy -------------------------------------------------------------------------------
def test_one_deployment_at_a_time_the_next_release_waits_queued(w: World) -> None:
    d = release_definition(w, stage("Staging", policy=(1, 0)))
    first, second = start(w, d), start(w, d)
    assert statuses(w, second["id"]) == {"Staging": "queued"}
    assert len(w.pool.jobs()) == 1
    finish_job(w, first["id"], "Staging")
    assert statuses(w, second["id"]) == {"Staging": "inProgress"}
    assert w.pool.jobs()[0].variables["Release.ReleaseId"].value == str(second["id"])


def test_deploy_latest_only_cancels_the_older_waiting_release(w: World) -> None:
    d = release_definition(w, stage("Staging", policy=(1, 1)))
    first, second, third = start(w, d), start(w, d), start(w, d)
    assert statuses(w, second["id"]) == {"Staging": "canceled"}
    assert statuses(w, third["id"]) == {"Staging": "queued"}
    finish_job(w, first["id"], "Staging")
    assert statuses(w, third["id"]) == {"Staging": "inProgress"}


def test_unlimited_concurrency_deploys_every_release_at_once(w: World) -> None:
    d = release_definition(w, stage("Staging", policy=(0, 0)))
    start(w, d)
    start(w, d)
    assert len(w.pool.jobs()) == 2


# ---- approvals ---------------------------------------------------------------------------------------
def test_any_one_of_two_approvers_is_enough_the_other_is_skipped(w: World) -> None:
    opts = {"requiredApproverCount": 1}
    d = release_definition(w, stage("Production", pre=[uid(w, BO), uid(w, CY)], options=opts))
    made = start(w, d)
    assert statuses(w, made["id"]) == {"Production": "inProgress"}
    assert w.pool.jobs() == []
    waiting = pending(w)
    assert {a["approver"]["uniqueName"] for a in waiting} == {BO, CY}
    assert all(a["approvalType"] == "preDeploy" for a in waiting)
    decide(w, next(a["id"] for a in waiting if a["approver"]["uniqueName"] == CY), CY)
    env = w.releases.get(ORG, PROJECT, made["id"], BASE)["environments"][0]
    assert sorted(a["status"] for a in env["preDeployApprovals"]) == ["approved", "skipped"]
    assert len(w.pool.jobs()) == 1


def test_every_approver_when_the_count_is_zero(w: World) -> None:
    d = release_definition(
        w, stage("Production", pre=[uid(w, BO), uid(w, CY)], options={"requiredApproverCount": 0})
    )
    start(w, d)
    first, second = pending(w)
    decide(w, first["id"], first["approver"]["uniqueName"])
    assert w.pool.jobs() == []
    decide(w, second["id"], second["approver"]["uniqueName"])
    assert len(w.pool.jobs()) == 1


def test_approvers_in_sequence_the_second_sees_nothing_before_the_first_approves(w: World) -> None:
    d = release_definition(w, stage("Production", pre=[uid(w, BO), uid(w, CY)], options={"sequential": True}))
    start(w, d)
    assert [(a["approver"]["uniqueName"], a["rank"]) for a in pending(w)] == [(BO, 1)]
    decide(w, pending(w)[0]["id"], BO)
    assert [(a["approver"]["uniqueName"], a["rank"]) for a in pending(w)] == [(CY, 2)]
    assert w.pool.jobs() == []
    decide(w, pending(w)[0]["id"], CY)
    assert len(w.pool.jobs()) == 1


def test_the_release_creator_may_not_approve_when_the_definition_says_so(w: World) -> None:
    opts = {"releaseCreatorCanBeApprover": False}
    d = release_definition(w, stage("Production", pre=[uid(w, ANA)], options=opts))
    made = start(w, d, creator=ANA)
    error = refused(lambda: decide(w, pending(w)[0]["id"], ANA))
    assert error.status == 400
    assert "creator" in error.message
    assert statuses(w, made["id"]) == {"Production": "inProgress"}
    decide(w, pending(w)[0]["id"], ANA, "rejected")  # rejecting stays allowed
    assert statuses(w, made["id"]) == {"Production": "rejected"}


def test_a_group_is_decided_by_any_member_and_refused_to_others(w: World) -> None:
    d = release_definition(w, stage("Production", pre=[w.group_id]))
    start(w, d)
    approval = pending(w)[0]
    assert approval["approver"]["isContainer"] is True
    error = refused(lambda: decide(w, approval["id"], DI))
    assert (error.status, "not an approver" in error.message) == (403, True)
    decided = decide(w, approval["id"], CY)
    assert decided["approvedBy"]["uniqueName"] == CY
    again = refused(lambda: decide(w, approval["id"], BO))
    assert again.status == 400
    assert "already been approved" in again.message


def test_my_group_approvals_are_listed_for_a_member(w: World) -> None:
    d = release_definition(w, stage("Production", pre=[w.group_id]))
    start(w, d)
    mine, _ = w.releases.list_approvals(ORG, PROJECT, BASE, caller=w.ref(BO), assigned_to=BO)
    assert mine == []
    mine, _ = w.releases.list_approvals(ORG, PROJECT, BASE, caller=w.ref(BO), assigned_to=BO, my_groups=True)
    assert len(mine) == 1
    others, _ = w.releases.list_approvals(
        ORG, PROJECT, BASE, caller=w.ref(DI), assigned_to=DI, my_groups=True
    )
    assert others == []


def test_a_rejection_stops_the_later_stages(w: World) -> None:
    d = release_definition(w, stage("Staging", pre=[uid(w, BO)]), stage("Production", after="Staging"))
    made = start(w, d)
    decide(w, pending(w)[0]["id"], BO, "rejected")
    assert statuses(w, made["id"]) == {"Staging": "rejected", "Production": "notStarted"}
    assert w.pool.jobs() == []
    step = w.releases.get(ORG, PROJECT, made["id"], BASE)["environments"][0]["deploySteps"][0]
    assert (step["status"], step["operationStatus"]) == ("notDeployed", "Rejected")


def test_an_approval_timeout_rejects_the_stage(w: World) -> None:
    d = release_definition(w, stage("Staging"), stage("Production", after="Staging", pre=[uid(w, BO)],
                                                      options={"timeoutInMinutes": 60}))  # fmt: skip
    made = start(w, d)
    finish_job(w, made["id"], "Staging")
    w.clock.advance(59 * 60)
    w.releases.tick()
    assert len(pending(w)) == 1
    w.clock.advance(60)
    w.releases.tick()
    assert pending(w) == []
    assert statuses(w, made["id"]) == {"Staging": "succeeded", "Production": "rejected"}
    env = w.releases.get(ORG, PROJECT, made["id"], BASE)["environments"][1]
    assert env["preDeployApprovals"][0]["status"] == "rejected"


def test_post_deployment_approval_gates_the_end_of_the_stage(w: World) -> None:
    d = release_definition(w, stage("Staging", post=[uid(w, BO)]), stage("Production", after="Staging"))
    made = start(w, d)
    finish_job(w, made["id"], "Staging")
    assert statuses(w, made["id"]) == {"Staging": "inProgress", "Production": "notStarted"}
    assert pending(w)[0]["approvalType"] == "postDeploy"
    decide(w, pending(w)[0]["id"], BO)
    assert statuses(w, made["id"]) == {"Staging": "succeeded", "Production": "inProgress"}


def test_reassign_hands_the_approval_to_another_person(w: World) -> None:
    d = release_definition(w, stage("Production", pre=[uid(w, BO)]))
    start(w, d)
    first = pending(w)[0]
    moved = decide(w, first["id"], BO, "reassigned", approver={"id": uid(w, DI)})
    assert moved["status"] == "reassigned"
    now = pending(w)
    assert [a["approver"]["uniqueName"] for a in now] == [DI]
    decide(w, now[0]["id"], DI)
    assert len(w.pool.jobs()) == 1


# ---- abandon, summaries, pickling ------------------------------------------------------------------
def test_abandon_cancels_the_running_job_and_the_waiting_approvals(w: World) -> None:
    d = release_definition(w, stage("Staging"), stage("Gate", pre=[uid(w, BO)]))
    made = start(w, d)
    assert len(w.pool.jobs()) == 1
    w.releases.update(ORG, PROJECT, made["id"], {"status": "abandoned"}, w.ref(ANA), BASE)
    got = w.releases.get(ORG, PROJECT, made["id"], BASE)
    assert got["status"] == "abandoned"
    assert {e["name"]: e["status"] for e in got["environments"]} == {
        "Staging": "canceled",
        "Gate": "canceled",
    }
    assert w.pool.jobs() == []
    assert got["environments"][1]["preDeployApprovals"][0]["status"] == "canceled"


def test_summaries_uploaded_by_the_job_are_kept(w: World) -> None:
    d = release_definition(w, stage("Staging"))
    made = start(w, d)
    job = w.pool.jobs()[0]
    finish_job(w, made["id"], "Staging", summaries=[("smoke", "| check | ok |")])
    env = made["environments"][0]
    found = w.releases.summaries(ORG, PROJECT, made["id"], env["id"], 1, job.plan_id)
    assert [(name, text) for _, name, text, _ in found] == [("smoke", "| check | ok |")]


def test_a_job_waiting_survives_a_pickle_and_still_moves_the_release(w: World) -> None:
    d = release_definition(w, stage("Staging"), stage("Production", after="Staging"))
    made = start(w, d)
    releases = pickle.loads(pickle.dumps(w.releases))  # noqa: S301 - our own state
    job = releases.pool.jobs()[0]  # type: ignore[attr-defined]
    releases.pool.complete(job.job_id, "succeeded")  # type: ignore[attr-defined]
    got = releases.get(ORG, PROJECT, made["id"], BASE)
    assert [e["status"] for e in got["environments"]] == ["succeeded", "inProgress"]


def test_the_job_carries_variables_secrets_and_the_build(w: World) -> None:
    d = release_definition(w, stage("Staging"))
    build = w.build(branch="refs/heads/release/2.0")
    start(w, d, build=build)
    job = w.pool.jobs()[0]
    assert job.variables["token"].secret
    assert job.variables["token"].value == "s3cret"
    assert job.variables["slot"].value == "staging"
    assert job.variables["Build.BuildId"].value == str(build)
    assert job.variables["Build.SourceBranchName"].value == "2.0"
    assert job.variables["Release.Artifacts.app.SourceBranch"].value == "refs/heads/release/2.0"
    assert job.tasks[0].inputs == {"slot": "$(slot)"}


def test_a_release_needs_a_build_of_the_artifact(w: World) -> None:
    d = release_definition(w, stage("Staging"))
    body = {"definitionId": d, "artifacts": [{"alias": "app", "instanceReference": {"id": "999"}}]}
    error = refused(lambda: w.releases.create(ORG, PROJECT, body, w.ref(ANA), BASE))
    assert (error.status, "VS402881" in error.message) == (400, True)


# ---- the continuous-deployment trigger -----------------------------------------------------------
def cd(branch: str = "main", tags: list[str] | None = None) -> list[dict[str, Any]]:
    condition = {"sourceBranch": branch, "tags": tags or [], "useBuildDefinitionBranch": False}
    return [{"triggerType": "artifactSource", "artifactAlias": "app", "triggerConditions": [condition]}]


@pytest.mark.parametrize(
    ("trigger", "branch", "tags", "result", "fires"),
    [
        (cd("main"), "refs/heads/main", (), "succeeded", True),
        (cd("main"), "refs/heads/feature/x", (), "succeeded", False),
        (cd("refs/heads/release/*"), "refs/heads/release/2.0", (), "succeeded", True),
        (cd("main", ["ship"]), "refs/heads/main", (), "succeeded", False),
        (cd("main", ["ship"]), "refs/heads/main", ("ship", "x"), "succeeded", True),
        (cd("main"), "refs/heads/main", (), "failed", False),
        (cd("-main"), "refs/heads/main", (), "succeeded", False),
        (cd("-main"), "refs/heads/dev", (), "succeeded", True),
        (
            [{"triggerType": "artifactSource", "artifactAlias": "app", "triggerConditions": []}],
            "refs/heads/x", (), "succeeded", True,
        ),
        ([], "refs/heads/main", (), "succeeded", False),
    ],
)  # fmt: skip
def test_a_completed_build_creates_a_release_when_the_filters_match(
    w: World, trigger: list[dict[str, Any]], branch: str, tags: tuple[str, ...], result: str, fires: bool
) -> None:
    release_definition(w, stage("Staging"), triggers=trigger)
    build = w.build(branch=branch, tags=tags, result=result)
    made = w.releases.releases(ORG, w.project_id)
    assert len(made) == (1 if fires else 0)
    if fires:
        got = w.releases.get(ORG, PROJECT, made[0].id, BASE)
        assert got["reason"] == "continuousIntegration"
        assert got["artifacts"][0]["definitionReference"]["version"]["id"] == str(build)
        assert got["environments"][0]["status"] == "inProgress"
