"""A small organization for the release run-time tests: users, a group, a build definition, and the
releases backend on a ManualClock with its manual agent pool."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.devops import DevOpsBackend
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.devops_releases import ReleasesBackend
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.clock import ManualClock

ORG, PROJECT = "contoso", "web"
TASK = "9a2f7c11-5d1e-4d0b-8c3b-2f4f1a6b7c01"


@dataclass
class World:
    clock: ManualClock
    devops: DevOpsBackend
    definitions: ReleaseDefinitionsBackend
    releases: ReleasesBackend
    project_id: str
    users: dict[str, dict[str, Any]]  # e-mail -> IdentityRef
    group_id: str
    build_definition: int

    @property
    def pool(self) -> ManualPool:
        assert isinstance(self.releases.pool, ManualPool)
        return self.releases.pool

    def ref(self, email: str) -> dict[str, Any]:
        return self.users[email]

    def build(
        self, *, branch: str = "refs/heads/main", tags: tuple[str, ...] = (), result: str = "succeeded"
    ) -> int:
        made = self.devops.directory.complete_build(
            ORG, PROJECT, str(self.build_definition), source_branch=branch, tags=tags, result=result
        )
        return made.id


def world() -> World:
    clock = ManualClock()
    identity = IdentityBackend(clock)
    devops = DevOpsBackend(clock, identity)
    devops.create_organization(ORG, tenant_id="t")
    project = devops.create_project(ORG, PROJECT)
    directory = devops.directory
    users = {}
    for email in ("ana@contoso.com", "bo@contoso.com", "cy@contoso.com", "di@contoso.com"):
        member = directory.create_user(ORG, email)
        ref = directory.identity(ORG, member.id)
        assert ref is not None
        users[email] = ref
    group = directory.create_group(ORG, PROJECT, "Approvers", ("bo@contoso.com", "cy@contoso.com"))
    build_definition = directory.create_build_definition(ORG, PROJECT, "app-CI").id
    definitions = ReleaseDefinitionsBackend(clock, directory)
    releases = ReleasesBackend(clock, directory, definitions)
    directory.build_observers.append(releases.build_completed)
    return World(clock, devops, definitions, releases, project.id, users, group.id, build_definition)


def stage(
    name: str,
    *,
    after: str | None = None,
    manual: bool = False,
    pre: list[str] | None = None,
    options: dict[str, Any] | None = None,
    post: list[str] | None = None,
    policy: tuple[int, int] = (1, 0),
) -> dict[str, Any]:
    """A stage: after release (default), after ``after`` succeeded, or manual; approvers by identity id
    (one rank each when ``options`` says ``sequential``)."""
    conditions: list[dict[str, Any]] = [{"conditionType": "event", "name": "ReleaseStarted", "value": ""}]
    if after:
        conditions = [{"conditionType": "environmentState", "name": after, "value": "4"}]
    if manual:
        conditions = []
    opts = dict(options or {})
    sequential = opts.pop("sequential", False)

    def step(ids: list[str] | None) -> dict[str, Any]:
        if not ids:
            return {"approvals": [{"rank": 1, "isAutomated": True}]}
        approvals = [
            {"rank": i + 1 if sequential else 1, "isAutomated": False, "approver": {"id": a}}
            for i, a in enumerate(ids)
        ]
        return {"approvals": approvals, "approvalOptions": copy.deepcopy(opts)}

    return {
        "name": name,
        "conditions": conditions,
        "preDeployApprovals": step(pre),
        "postDeployApprovals": step(post),
        "executionPolicy": {"concurrencyCount": policy[0], "queueDepthCount": policy[1]},
        "variables": {"slot": {"value": name.lower()}},
        "deployPhases": [
            {
                "name": "Deploy",
                "phaseType": "agentBasedDeployment",
                "rank": 1,
                "deploymentInput": {"queueId": 1},
                "workflowTasks": [
                    {"taskId": TASK, "version": "1.*", "name": "deploy", "inputs": {"slot": "$(slot)"}}
                ],
            }
        ],
    }


def release_definition(
    w: World, *stages: dict[str, Any], triggers: list[dict[str, Any]] | None = None
) -> int:
    doc = {
        "name": f"app-release-{len(w.definitions.definitions(ORG, w.project_id)) + 1}",
        "path": "\\",
        "artifacts": [
            {
                "alias": "app",
                "type": "Build",
                "isPrimary": True,
                "definitionReference": {
                    "definition": {"id": str(w.build_definition), "name": "app-CI"},
                    "project": {"id": w.project_id, "name": PROJECT},
                },
            }
        ],
        "triggers": triggers or [],
        "environments": [dict(s, rank=i + 1) for i, s in enumerate(stages)],
        "variables": {"region": {"value": "westeurope"}, "token": {"value": "s3cret", "isSecret": True}},
    }
    return w.definitions.load(ORG, PROJECT, doc)


def start(
    w: World, definition_id: int, creator: str = "ana@contoso.com", build: int | None = None, **extra: Any
) -> dict[str, Any]:
    build_id = build if build is not None else w.build()
    body = {
        "definitionId": definition_id,
        "artifacts": [{"alias": "app", "instanceReference": {"id": str(build_id)}}],
        "isDraft": False,
        "reason": "manual",
        **extra,
    }
    return w.releases.create(ORG, PROJECT, body, w.ref(creator), "https://host/contoso")
