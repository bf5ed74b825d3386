"""A raw ReleaseDefinition read back as the fields of a spec: what ``release export`` can express.

``spec_of(document, project, names, known)`` answers a spec mapping (no ``verbatim`` yet): name,
folder, description, release name format, tags, variables (a secret as ``{secret: true, fromEnv:
NAME}``, never its value), variable groups, the primary build artifact (build definition, alias,
default version, branch and tags, continuous-deployment trigger), the app (from the first step that
is one of slotwise's tasks, or of the built-ins), and the stages ordered by rank: ``after`` from their
conditions, approvals, queueing policy, retention, queue and image, and their steps when every task of
the stage's one agent job is a task of the chosen catalogue (else ``steps: []``). Ids become names
through ``Names``; each name met is noted in ``known`` with its id, so the spec can be rendered again
exactly as Azure DevOps would resolve it. What is not expressed is left out here: ``export`` keeps it
verbatim.

Must not: read from Azure DevOps itself (``Names`` does), render, or print.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slotwise.errors import UsageError
from slotwise.release.build import folder_path
from slotwise.release.catalogue import TaskDef, TaskSet, catalogue
from slotwise.release.gateway import Names
from slotwise.release.model import DefaultVersion
from slotwise.release.render import VERSION_TYPES
from slotwise.release.resolve import Id
from slotwise.release.stages import MAX_APPROVAL_MINUTES
from slotwise.release.steps import BINDINGS, WORKDIR
from slotwise.release.variables import RESERVED_PREFIXES

Spec = dict[str, Any]
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9._]+$")
_APP_KEYS = ("serviceConnection", "resourceGroup", "name", "appType")


@dataclass
class Known:
    """Names met while exporting and their ids, by (kind, project lower, name lower)."""

    ids: dict[tuple[str, str, str], Id] = field(default_factory=dict)

    def note(self, kind: str, project: str, name: str, value: Id) -> str:
        self.ids[(kind, project.lower(), name.lower())] = value
        return name


def spec_of(document: Mapping[str, Any], project: str, names: Names, known: Known) -> Spec:
    """The spec fields ``document`` can be described by (see the module's docstring)."""
    spec: Spec = {"name": str(document["name"]), "project": project}
    spec["folder"] = folder_path(str(document.get("path") or "\\"))
    spec["description"] = str(document.get("description") or "")
    if document.get("releaseNameFormat"):
        spec["releaseNameFormat"] = str(document["releaseNameFormat"])
    tags = sorted({str(t) for t in document.get("tags") or [] if str(t)})
    if tags:
        spec["tags"] = tags
    spec["variables"] = variables_of(document.get("variables") or {}, "")
    spec["variableGroups"] = groups_of(document.get("variableGroups") or [], project, names, known)
    spec["artifact"] = artifact_of(document, project, names, known)
    stages = sorted(document.get("environments") or [], key=lambda s: s.get("rank") or 0)
    tasks = _task_set(stages)
    if tasks is not None:
        spec["tasks"] = tasks.value
    ctx = _StageContext(
        project, names, known, tasks, spec["artifact"]["alias"], [str(s["name"]) for s in stages]
    )
    spec["stages"] = [ctx.stage(stage) for stage in stages]
    apps = [app for app in ctx.apps if app is not None]
    if apps:
        spec["app"] = dict(apps[0])
        for stage_spec, app in zip(spec["stages"], ctx.apps, strict=True):
            override = {k: v for k, v in (app or {}).items() if spec["app"].get(k) != v}
            if override:
                stage_spec["app"] = override
    return {key: value for key, value in spec.items() if value not in ({}, [])}


def env_name(variable: str, stage: str) -> str:
    """The environment variable a secret's value is taken from: ``Orders.ApiKey`` → ``ORDERS_APIKEY``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", f"{stage}_{variable}" if stage else variable).upper()
    return f"_{name}" if name[:1].isdigit() else name


def variables_of(raw: Mapping[str, Any], stage: str) -> Spec:
    """The variables a spec can hold (a name it allows, once ignoring case); secrets from the
    environment."""
    found: Spec = {}
    seen: set[str] = set()
    for name, value in raw.items():
        lower = name.lower()
        if not _VARIABLE_NAME.match(name) or lower in seen or lower.startswith(RESERVED_PREFIXES):
            continue
        seen.add(lower)
        value = value if isinstance(value, Mapping) else {"value": value}
        if value.get("isSecret"):
            found[name] = {"secret": True, "fromEnv": env_name(name, stage)}
        elif value.get("allowOverride"):
            found[name] = {"value": str(value.get("value") or ""), "settableAtRelease": True}
        else:
            found[name] = str(value.get("value") or "")
    return found


def groups_of(raw: list[Any], project: str, names: Names, known: Known) -> list[str]:
    """The variable groups by name; none when one is unknown (the list is kept verbatim then)."""
    found: list[str] = []
    for group_id in raw:
        name = names.variable_group(project, int(group_id)) if str(group_id).isdigit() else None
        if name is None or name.lower() in {f.lower() for f in found}:
            return []
        found.append(known.note("group", project, name, int(group_id)))
    return found


def artifact_of(document: Mapping[str, Any], project: str, names: Names, known: Known) -> Spec:
    artifacts = [a for a in document.get("artifacts") or [] if a.get("type") == "Build"]
    primary = next((a for a in artifacts if a.get("isPrimary")), artifacts[0] if artifacts else None)
    if primary is None:
        raise UsageError(
            f"The release definition {document.get('name')!r} has no build artifact; slotwise specs release "
            "the builds of a build pipeline, so it cannot be exported as one.",
            hint="Export a definition whose artifact is a build pipeline.",
        )
    ref = primary.get("definitionReference") or {}
    project_ref = ref.get("project") or {}
    build_project = names.project(str(project_ref.get("id"))) or str(project_ref.get("name") or project)
    known.note("project", "", build_project, str(project_ref.get("id")))
    build_id = int((ref.get("definition") or {}).get("id") or 0)
    build = names.build_definition(build_project, build_id) or str((ref.get("definition") or {}).get("name"))
    artifact: Spec = {
        "build": known.note("build", build_project, build, build_id),
        "alias": str(primary["alias"]),
    }
    if build_project.lower() != project.lower():
        artifact["project"] = build_project
    artifact.update(_default_version(ref))
    artifact["trigger"] = _trigger(document.get("triggers") or [], artifact["alias"])
    return artifact


def _default_version(ref: Mapping[str, Any]) -> Spec:
    type_id = (ref.get("defaultVersionType") or {}).get("id")
    version = next((v for v, (i, _) in VERSION_TYPES.items() if i == type_id), DefaultVersion.LATEST)
    branch = str((ref.get("defaultVersionBranch") or {}).get("id") or "")
    tags = [t for t in str((ref.get("defaultVersionTags") or {}).get("id") or "").split(",") if t]
    if version is DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS and not branch:
        version = DefaultVersion.LATEST  # not a spec can say: kept verbatim
    found: Spec = {"defaultVersion": version.value} if version is not DefaultVersion.LATEST else {}
    if version is DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS:
        found["defaultBranch"] = branch
    if tags and version in (
        DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS,
        DefaultVersion.LATEST_WITH_BUILD_DEFINITION_BRANCH_AND_TAGS,
    ):
        found["defaultTags"] = list(dict.fromkeys(tags))
    return found


def _trigger(triggers: list[Any], alias: str) -> bool | Spec:
    mine = [
        t for t in triggers if t.get("triggerType") == "artifactSource" and t.get("artifactAlias") == alias
    ]
    if not mine:
        return False
    conditions = mine[0].get("triggerConditions") or []
    branches = list(dict.fromkeys(str(c.get("sourceBranch")) for c in conditions if c.get("sourceBranch")))
    if not branches:
        return True
    tags = list(dict.fromkeys(str(t) for t in conditions[0].get("tags") or []))
    return {"branches": branches, "tags": tags} if tags else {"branches": branches}


def _task_set(stages: list[Any]) -> TaskSet | None:
    """The catalogue most of the definition's tasks are from (None: none is)."""
    counts = {tasks: 0 for tasks in TaskSet}
    for stage in stages:
        for phase in stage.get("deployPhases") or []:
            for task in phase.get("workflowTasks") or []:
                for tasks in TaskSet:
                    counts[tasks] += _task(task, tasks) is not None
    best = max(TaskSet, key=lambda t: (counts[t], t is TaskSet.SLOTWISE))
    return best if counts[best] else None


def _task(raw: Mapping[str, Any], tasks: TaskSet) -> TaskDef | None:
    for task in catalogue(tasks).values():
        if str(raw.get("taskId", "")).lower() == task.id and raw.get("version") == task.version:
            return task
    return None


@dataclass
class _StageContext:
    project: str
    names: Names
    known: Known
    tasks: TaskSet | None
    alias: str
    stage_names: list[str]
    apps: list[Spec | None] = field(default_factory=list)

    def stage(self, raw: Mapping[str, Any]) -> Spec:
        name = str(raw["name"])
        spec: Spec = {"name": name, "after": self._after(raw.get("conditions") or [], name)}
        phases = raw.get("deployPhases") or []
        agent = [p for p in phases if p.get("phaseType") == "agentBasedDeployment"]
        deployment = (agent[0].get("deploymentInput") or {}) if agent else {}
        queue = self.names.queue(self.project, int(deployment.get("queueId") or 0)) if deployment else None
        if queue is not None:
            spec["queue"] = self.known.note("queue", self.project, queue, int(deployment["queueId"]))
        image = (deployment.get("agentSpecification") or {}).get("identifier")
        if image:
            spec["vmImage"] = str(image)
        approvals = {
            side: found
            for side, key in (("before", "preDeployApprovals"), ("after", "postDeployApprovals"))
            if (found := self._approval(raw.get(key) or {})) is not None
        }
        if approvals:
            spec["approvals"] = approvals
        spec.update(_policies(raw, deployment))
        spec["variables"] = variables_of(raw.get("variables") or {}, name)
        spec["variableGroups"] = groups_of(
            raw.get("variableGroups") or [], self.project, self.names, self.known
        )
        steps, app = (
            self._steps(agent[0].get("workflowTasks") or []) if len(phases) == len(agent) == 1 else ([], None)
        )
        spec["steps"] = steps
        self.apps.append(app)
        return {key: value for key, value in spec.items() if value != {} and (value != [] or key == "steps")}

    def _after(self, conditions: list[Any], own: str) -> str | list[str]:
        if conditions and all(c.get("conditionType") == "event" for c in conditions):
            return "release"
        stages = {n.lower(): n for n in self.stage_names}
        after = [
            stages[str(c.get("name")).lower()]
            for c in conditions
            if c.get("conditionType") == "environmentState"
            and str(c.get("name")).lower() in stages
            and str(c.get("name")).lower() != own.lower()
        ]
        return list(dict.fromkeys(after)) or "manual"

    def _approval(self, raw: Mapping[str, Any]) -> Spec | None:
        steps = [s for s in raw.get("approvals") or [] if not s.get("isAutomated")]
        if not steps:
            return None
        approvers: list[str] = []
        for step in steps:
            identity = str((step.get("approver") or {}).get("id"))
            name = self.names.identity(identity)
            if name is None:
                return None  # kept verbatim
            if name.lower() not in {a.lower() for a in approvers}:
                approvers.append(self.known.note("identity", "", name, identity))
        options = raw.get("approvalOptions") or {}
        found: Spec = {"approvers": approvers}
        ranks = [s.get("rank") for s in steps]
        count = int(options.get("requiredApproverCount") or 0)
        if len(steps) > 1 and ranks == list(range(1, len(steps) + 1)):
            found["order"] = "sequence"
        elif 0 < count <= len(approvers):
            found["required"] = count
        timeout = int(options.get("timeoutInMinutes") or 0)
        if 1 <= timeout <= MAX_APPROVAL_MINUTES:
            found["timeout"] = timeout
        if options.get("releaseCreatorCanBeApprover"):
            found["creatorCanApprove"] = True
        if options.get("enforceIdentityRevalidation"):
            found["revalidateIdentity"] = True
        return found

    def _steps(self, raw: list[Any]) -> tuple[list[Spec], Spec | None]:
        """The steps, and the app they deploy to; ([], None) when one is not of the catalogue."""
        if self.tasks is None or not raw:
            return [], None
        steps: list[Spec] = []
        apps: list[Spec] = []
        for item in raw:
            task = _task(item, self.tasks)
            app = self._app(item, task) if task is not None else None
            if task is None or app is None:
                return [], None
            apps.append(app)
            steps.append(self._step(item, task))
        merged: Spec = {}
        for app in apps:  # the steps' apps agree where they both say (a swap has no appType)
            if any(merged.get(k, v) != v for k, v in app.items()):
                return [], None
            merged.update(app)
        return steps, merged

    def _app(self, raw: Mapping[str, Any], task: TaskDef) -> Spec | None:
        assert self.tasks is not None  # only called with a catalogue
        binding = BINDINGS[self.tasks][task.key]
        inputs = raw.get("inputs") or {}
        endpoint = self.names.service_endpoint(self.project, str(inputs.get(binding.connection)))
        if endpoint is None or not inputs.get(binding.app) or not inputs.get(binding.group):
            return None
        app: Spec = {
            "serviceConnection": self.known.note(
                "endpoint", self.project, endpoint, str(inputs[binding.connection])
            ),
            "resourceGroup": str(inputs[binding.group]),
            "name": str(inputs[binding.app]),
        }
        if binding.app_type is not None and inputs.get(binding.app_type):
            app["appType"] = str(inputs[binding.app_type])
        return app

    def _step(self, raw: Mapping[str, Any], task: TaskDef) -> Spec:
        assert self.tasks is not None  # only called with a catalogue
        binding = BINDINGS[self.tasks][task.key]
        reserved = {binding.connection, binding.app, binding.group, binding.app_type, *binding.constants}
        expected = {spec.name: spec.default for spec in task.inputs}
        optional = {
            binding.slot: "staging",
            binding.package: f"{WORKDIR}/{self.alias}/**/*.zip",
            binding.checks: f"{WORKDIR}/{self.alias}/**/smoke-checks.yaml",
        }
        expected.update({k: v for k, v in optional.items() if k is not None})
        inputs = {
            name: str(value)
            for name, value in sorted((raw.get("inputs") or {}).items())
            if name not in reserved and task.input(name) is not None and str(value) != expected.get(name)
        }
        step: Spec = {"task": task.key}
        if raw.get("name"):
            step["name"] = str(raw["name"])
        if inputs:
            step["inputs"] = inputs
        if raw.get("enabled") is False:
            step["enabled"] = False
        if raw.get("continueOnError"):
            step["continueOnError"] = True
        if raw.get("condition") and raw.get("condition") != "succeeded()":
            step["condition"] = str(raw["condition"])
        if 0 < int(raw.get("timeoutInMinutes") or 0) <= 1440:
            step["timeoutMinutes"] = int(raw["timeoutInMinutes"])
        if 0 < int(raw.get("retryCountOnTaskFailure") or 0) <= 10:
            step["retries"] = int(raw["retryCountOnTaskFailure"])
        return step


def _policies(raw: Mapping[str, Any], deployment: Mapping[str, Any]) -> Spec:
    """Queueing, retention and the job's timeout, where a spec can say them."""
    found: Spec = {}
    policy = raw.get("executionPolicy") or {}
    count = int(policy.get("concurrencyCount") or 0)
    if 1 <= count <= 100:
        queueing: Spec = {"maxConcurrent": count}
        if policy.get("queueDepthCount") == 1:
            queueing["subsequent"] = "deployLatest"
        found["queueing"] = queueing
    retention = raw.get("retentionPolicy") or {}
    days, keep = retention.get("daysToKeep"), retention.get("releasesToKeep")
    if isinstance(days, int) and days >= 1 and isinstance(keep, int) and keep >= 0:
        found["retention"] = {
            "days": days,
            "releasesToKeep": keep,
            "retainBuild": bool(retention.get("retainBuild")),
        }
    timeout = deployment.get("timeoutInMinutes")
    if isinstance(timeout, int) and 0 < timeout <= 43200:
        found["jobTimeoutMinutes"] = timeout
    return found
