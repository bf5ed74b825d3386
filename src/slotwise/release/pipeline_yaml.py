"""A release spec rendered as a multi-stage YAML pipeline (``azure-pipelines.yml``): ``render --as yaml``.

``pipeline(definition)`` answers the pipeline document, ``pipeline_text(definition, spec)`` the file
with its header. Offline: a YAML pipeline names everything by name (the build pipeline, the pool,
the service connection, the environments, the approvers of a sign-off), so nothing is resolved.

What the spec becomes:

- the build artifact: a pipeline resource (``resources.pipelines``: alias, the build pipeline as
  ``source``, its project when it is another one, the default branch and tags of a manual run) whose
  ``trigger`` is the spec's continuous deployment (branches, tags; ``none`` without one); the
  pipeline itself has ``trigger: none`` and ``pr: none``: only builds start it;
- each spec stage a stage (its id: the name's letters, digits and ``_``): ``after: release`` is
  ``dependsOn: []`` (YAML's default would be the stage before), ``after: <stages>`` is ``dependsOn``,
  ``after: manual`` is ``dependsOn: []`` with ``trigger: manual`` (stages run on demand: Azure DevOps
  Services; a Server does not know it);
- its steps: one ``deployment`` job on the stage's ``environment`` (``environment_name``), strategy
  ``runOnce``: ``download`` of the artifact, then each task by its YAML name (``task.json`` name @
  major, e.g. ``SlotwiseDeployToSlot@1``) with the same inputs as the classic definition, less
  those equal to task.json's default (as a YAML author writes them), the service connection by
  name, paths inside the artifact under ``$(Pipeline.Workspace)`` instead of
  ``$(System.DefaultWorkingDirectory)``;
- approvals before a stage, and one deployment at a time per stage (the queueing), are not in the
  file: they are the environment's checks (``release apply --as yaml``, ``release.environments``);
  the stage's ``lockBehavior`` says what waits for the exclusive lock (``runLatest`` when the spec
  deploys the latest only, else ``sequential``);
- approvals after a stage (a sign-off before the next stage may start) have no environment check: a
  server job after the deployment runs ``ManualValidation@1`` with the approvers; what it cannot say
  (how many must approve, in which order, identity re-validation) is said in the header;
- variables: the definition's and each stage's literal ones, and the variable groups; secret and
  ``fromEnv`` variables never go in the file: the header names them (set them in the pipeline's
  variables or a variable group).

Deterministic: keys in a fixed order, stages in spec order, inputs sorted.

Must not: resolve names, read the environment, write files, or print.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from slotwise.release.model import (
    AfterRelease,
    AfterStages,
    Approval,
    Artifact,
    Definition,
    Manual,
    Stage,
    Step,
    Variable,
)
from slotwise.release.steps import WORKDIR

WORKSPACE = "$(Pipeline.Workspace)"
MANUAL_VALIDATION = "ManualValidation@1"
# ManualValidation@1's inputs (Microsoft's task.json is not shipped with slotwise): name → required
MANUAL_VALIDATION_INPUTS: Mapping[str, bool] = {
    "notifyUsers": True,
    "approvers": False,
    "allowApproversToApproveTheirOwnRuns": False,
    "instructions": False,
    "onTimeout": False,
}
MANUAL_VALIDATION_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "onTimeout": ("reject", "resume"),
    "allowApproversToApproveTheirOwnRuns": ("true", "false"),
}
_NOT_IN_NAME = re.compile(r"[^a-z0-9._-]+")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_]+")
Document = dict[str, Any]


def environment_name(definition: Definition, stage: Stage) -> str:
    """The environment a stage deploys to: ``<spec name>-<stage name>``, lower case, each run of
    other characters than letters, digits, ``.``, ``_`` and ``-`` made one ``-``
    (``orders-api``, ``Production`` → ``orders-api-production``)."""
    return _NOT_IN_NAME.sub("-", f"{definition.name}-{stage.name}".lower()).strip("-")


def stage_id(stage: Stage) -> str:
    """The stage's YAML id: its name's letters, digits and ``_`` (others become ``_``)."""
    found = _NOT_IN_ID.sub("_", stage.name).strip("_") or f"stage{stage.rank}"
    return found if not found[0].isdigit() else f"stage_{found}"


@dataclass(frozen=True)
class Note:
    """A sentence the header says about one stage (what YAML expresses differently)."""

    stage: str
    text: str


def pipeline(definition: Definition) -> Document:
    """The YAML pipeline document of ``definition`` (as ``yaml.safe_dump`` writes it, unsorted)."""
    d = definition
    document: Document = {
        "trigger": "none",
        "pr": "none",
        "resources": {"pipelines": [_resource(d.artifact, d.project)]},
    }
    variables = _variables(d.variables, d.variable_groups)
    if variables:
        document["variables"] = variables
    document["stages"] = [_stage(d, stage) for stage in d.stages]
    return document


def file_name(definition: Definition, spec_stem: str, alone: bool) -> str:
    """The file a definition's pipeline is written to: ``<spec file stem>.yml`` when the spec file
    describes only it, else ``<spec file stem>-<definition name>.yml`` (lower case)."""
    name = spec_stem if alone else f"{spec_stem}-{definition.name}"
    return _NOT_IN_NAME.sub("-", name.lower()).strip("-") + ".yml"


def pipeline_text(definition: Definition, spec: str, output_dir: str = "DIR") -> str:
    """The file: a header (where it comes from, how to regenerate it into ``output_dir``, what it
    leaves to the environments) and the pipeline document."""
    body = yaml.safe_dump(
        pipeline(definition), sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000
    )
    return "\n".join(header(definition, spec, output_dir)) + "\n" + str(body)


def header(definition: Definition, spec: str, output_dir: str = "DIR") -> list[str]:
    d = definition
    lines = [
        f"# Generated by slotwise from {spec}",
        f"# (release spec {d.name!r}, project {d.project}): edit the spec, not this file. Regenerate it with",
        f"#   slotwise release render --as yaml {spec} --output-dir {output_dir}",
        "# Each stage deploys to its environment; the approvals before a stage and the exclusive lock",
        "# (one run at a time per environment) are the environments' checks, made with",
        f"#   slotwise release apply --as yaml {spec}",
    ]
    environments = ", ".join(environment_name(d, s) for s in d.stages)
    lines.append(f"# Environments: {environments}.")
    unset = [v.name for v in (*d.variables, *(v for s in d.stages for v in s.variables)) if _unset(v)]
    if unset:
        lines.append(
            f"# Not in this file (secret, or taken from the environment): {', '.join(unset)}; set them as "
            "the pipeline's variables (secret ones as secrets) or in a variable group."
        )
    lines += [f"# {note.stage}: {note.text}" for note in notes(d)]
    return lines


def notes(definition: Definition) -> list[Note]:
    """What each stage's YAML says differently from the classic definition."""
    found: list[Note] = []
    for stage in definition.stages:
        if isinstance(stage.start, Manual):
            found.append(
                Note(
                    stage.name,
                    "after: manual is `trigger: manual` (a stage run on demand from the run's page; "
                    "Azure DevOps Services only: on a Server remove it and rely on the approval check).",
                )
            )
        if stage.after is not None:
            found.append(Note(stage.name, _sign_off_note(stage.after)))
    return found


def _sign_off_note(approval: Approval) -> str:
    lost = []
    needed = approval.required or len(approval.approvers)
    if needed > 1:
        lost.append(f"that {needed} must approve (any one approver resumes it)")
    if approval.sequential:
        lost.append("order: sequence")
    if approval.revalidate_identity:
        lost.append("revalidateIdentity")
    text = f"the approval after the stage is a {MANUAL_VALIDATION} server job after the deployment"
    return text + (f"; YAML cannot say {', '.join(lost)}." if lost else ".")


def _unset(variable: Variable) -> bool:
    return variable.secret or variable.from_env is not None


def _resource(artifact: Artifact, project: str) -> Document:
    resource: Document = {"pipeline": artifact.alias, "source": artifact.build}
    if artifact.project.lower() != project.lower():
        resource["project"] = artifact.project
    if artifact.default_branch:
        resource["branch"] = artifact.default_branch
    if artifact.default_tags:
        resource["tags"] = list(artifact.default_tags)
    trigger = artifact.trigger
    if trigger is None:
        resource["trigger"] = "none"
        return resource
    rule: Document = {}
    if trigger.branches:
        rule["branches"] = {"include": list(trigger.branches)}
    if trigger.tags:
        rule["tags"] = list(trigger.tags)
    resource["trigger"] = rule or True
    return resource


def _variables(variables: tuple[Variable, ...], groups: tuple[Any, ...]) -> list[Document]:
    found: list[Document] = [{"group": group.name} for group in groups]
    found += [
        {"name": variable.name, "value": variable.value or ""}
        for variable in variables
        if not _unset(variable)
    ]
    return found


def _stage(definition: Definition, stage: Stage) -> Document:
    document: Document = {"stage": stage_id(stage), "displayName": stage.name}
    start = stage.start
    if isinstance(start, AfterStages):
        by_name = {s.name.lower(): s for s in definition.stages}
        document["dependsOn"] = [stage_id(by_name[name.lower()]) for name in start.stages]
    elif isinstance(start, (AfterRelease, Manual)):
        document["dependsOn"] = []
    if isinstance(start, Manual):
        document["trigger"] = "manual"
    document["lockBehavior"] = "runLatest" if stage.deploy_latest_only else "sequential"
    variables = _variables(stage.variables, stage.variable_groups)
    if variables:
        document["variables"] = variables
    jobs = [_deployment(definition, stage)]
    if stage.after is not None:
        jobs.append(_sign_off(stage, stage.after))
    document["jobs"] = jobs
    return document


def _deployment(definition: Definition, stage: Stage) -> Document:
    alias = definition.artifact.alias
    job: Document = {
        "deployment": "Deploy",
        "displayName": f"Deploy {stage.name}",
        "environment": environment_name(definition, stage),
        "pool": {"vmImage": stage.vm_image} if stage.vm_image else {"name": stage.queue.name},
    }
    if stage.job_timeout_minutes:
        job["timeoutInMinutes"] = stage.job_timeout_minutes
    steps: list[Document] = [{"download": alias}]
    steps += [_task(step, alias) for step in stage.steps]
    job["strategy"] = {"runOnce": {"deploy": {"steps": steps}}}
    return job


def _task(step: Step, alias: str) -> Document:
    """The step as a YAML task: its inputs as a YAML author writes them, those equal to task.json's
    default left out (the classic definition stores every input, as the portal does)."""
    inputs = {
        name: _in_workspace(value, alias)
        for name, value in step.inputs.items()
        if not _is_default(step, name, value)
    }
    inputs[step.connection_input] = step.connection
    task: Document = {"task": step.task.reference, "displayName": _in_workspace(step.name, alias)}
    if not step.enabled:
        task["enabled"] = False
    if step.continue_on_error:
        task["continueOnError"] = True
    if step.condition and step.condition != "succeeded()":
        task["condition"] = step.condition
    if step.timeout_minutes:
        task["timeoutInMinutes"] = step.timeout_minutes
    if step.retries:
        task["retryCountOnTaskFailure"] = step.retries
    task["inputs"] = dict(sorted(inputs.items()))
    return task


def _is_default(step: Step, name: str, value: str) -> bool:
    spec = step.task.input(name)
    return spec is not None and value == spec.default


def _in_workspace(value: str, alias: str) -> str:
    """Paths in the artifact as a deployment job has them: ``$(Pipeline.Workspace)/<alias>/...``."""
    return value.replace(f"{WORKDIR}/{alias}/", f"{WORKSPACE}/{alias}/")


def _sign_off(stage: Stage, approval: Approval) -> Document:
    approvers = ", ".join(a.name for a in approval.approvers)
    return {
        "job": "SignOff",
        "displayName": f"Sign-off of {stage.name}",
        "dependsOn": "Deploy",
        "pool": "server",
        "timeoutInMinutes": approval.timeout_minutes,
        "steps": [
            {
                "task": MANUAL_VALIDATION,
                "displayName": f"Approve {stage.name}",
                "timeoutInMinutes": approval.timeout_minutes,
                "inputs": {
                    "allowApproversToApproveTheirOwnRuns": approval.creator_can_approve,
                    "approvers": approvers,
                    "instructions": f"{stage.name} is deployed: approve once you checked it; the next "
                    "stage starts only then.",
                    "notifyUsers": approvers,
                    "onTimeout": "reject",
                },
            }
        ],
    }
