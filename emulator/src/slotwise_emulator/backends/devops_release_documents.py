"""What the release service writes into a definition it stores, and what it shows of one it answers.

``complete`` fills the fields the server owns on a create or update (ids of stages and approval
steps, ranks, owners, defaults the portal would leave, the creator and modifier, timestamps), as the
official examples and a real exported definition show them. ``keep_secrets`` moves secret variable
values out of the document (the server answers them as ``null`` and keeps the value when an update
sends ``null`` back). ``render`` adds the addresses (``url``, ``_links``, ``badgeUrl``, the current
release reference) for the host the client called, and ``shallow`` is the list's view of a
definition for a ``$expand``.

Must not: validate (``devops_release_rules``), keep state, or know HTTP.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

_APPROVAL_OPTIONS = {
    "requiredApproverCount": 0,
    "releaseCreatorCanBeApprover": True,
    "autoTriggeredAndPreviousEnvironmentApprovedCanBeSkipped": False,
    "enforceIdentityRevalidation": False,
    "timeoutInMinutes": 0,
    "executionOrder": "beforeGates",
}
_ENVIRONMENT_OPTIONS = {
    "emailNotificationType": "OnlyOnFailure",
    "emailRecipients": "release.environment.owner;release.creator",
    "skipArtifactsDownload": False,
    "timeoutInMinutes": 0,
    "enableAccessToken": False,
    "publishDeploymentStatus": False,
    "badgeEnabled": False,
    "autoLinkWorkItems": False,
    "pullRequestDeploymentEnabled": False,
}
_DEPLOYMENT_INPUT = {
    "parallelExecution": {"parallelExecutionType": "none"},
    "skipArtifactsDownload": False,
    "artifactsDownloadInput": {"downloadInputs": []},
    "demands": [],
    "enableAccessToken": False,
    "timeoutInMinutes": 0,
    "jobCancelTimeoutInMinutes": 1,
    "condition": "succeeded()",
    "overrideInputs": {},
}
# What a listed definition carries without $expand (the official list example), and what each
# $expand value adds.
SHALLOW_FIELDS = (
    "source", "id", "revision", "name", "description", "createdBy", "createdOn", "modifiedBy", "modifiedOn",
    "path", "releaseNameFormat",
)  # fmt: skip
SHALLOW_ENVIRONMENT_FIELDS = ("id", "name", "rank", "schedules", "retentionPolicy")
EXPANDS = ("none", "environments", "artifacts", "triggers", "variables", "tags", "lastRelease")


def _default(target: dict[str, Any], key: str, value: Any) -> None:
    if target.get(key) is None:
        target[key] = copy.deepcopy(value)


def complete(
    doc: dict[str, Any],
    *,
    previous: dict[str, Any] | None,
    caller: dict[str, Any],
    now: str,
    next_id: Callable[[], int],
    project: tuple[str, str],
    build_definition_name: Callable[[str, int], str | None],
    identity: Callable[[str], dict[str, Any] | None],
) -> None:
    """Fill, in place, what the server owns in a definition being created (``previous`` None) or
    updated from ``previous``."""
    doc["source"] = doc.get("source") if doc.get("source") not in (None, "undefined") else "restApi"
    if previous is not None:
        doc["source"] = previous.get("source", doc["source"])
    doc["createdBy"] = previous["createdBy"] if previous else caller
    doc["createdOn"] = previous["createdOn"] if previous else now
    doc["modifiedBy"], doc["modifiedOn"] = caller, now
    doc["isDeleted"] = False
    doc["path"] = doc.get("path") or "\\"
    for key, value in (("variables", {}), ("variableGroups", []), ("artifacts", []), ("triggers", [])):
        _default(doc, key, value)
    for key, empty in (("tags", []), ("properties", {})):
        _default(doc, key, empty)
    _default(doc, "releaseNameFormat", "")
    doc.setdefault("description", None)
    doc.setdefault("projectReference", None)
    doc.pop("comment", None)  # a comment is the revision's, not the definition's
    for name in ("url", "_links", "lastRelease"):
        doc.pop(name, None)
    known = {e.get("id") for e in (previous or {}).get("environments", [])}
    for rank, env in enumerate(doc["environments"], start=1):
        _complete_environment(env, rank, caller, known, next_id, identity)
    for index, artifact in enumerate(doc["artifacts"]):
        _complete_artifact(artifact, index, project, build_definition_name)


def _complete_environment(
    env: dict[str, Any],
    rank: int,
    caller: dict[str, Any],
    known: set[Any],
    next_id: Callable[[], int],
    identity: Callable[[str], dict[str, Any] | None],
) -> None:
    if not env.get("id") or env["id"] not in known:
        env["id"] = next_id()
    _default(env, "rank", rank)
    _default(env, "owner", caller)
    for key, value in (("variables", {}), ("variableGroups", []), ("demands", []), ("conditions", [])):
        _default(env, key, value)
    for key, value in (("schedules", []), ("properties", {}), ("environmentTriggers", [])):
        _default(env, key, value)
    _default(env, "executionPolicy", {"concurrencyCount": 1, "queueDepthCount": 0})
    _default(env, "retentionPolicy", {"daysToKeep": 30, "releasesToKeep": 3, "retainBuild": True})
    _default(env, "environmentOptions", _ENVIRONMENT_OPTIONS)
    for key in ("preDeployApprovals", "postDeployApprovals"):
        block = env.get(key) or {"approvals": [{"rank": 1, "isAutomated": True, "isNotificationOn": False}]}
        env[key] = block
        for step in block.get("approvals") or []:
            step.setdefault("isNotificationOn", False)
            step["id"] = step.get("id") or next_id()
            approver = step.get("approver") or {}
            found = identity(str(approver.get("id"))) if approver.get("id") else None
            if found is not None:  # the server answers the approver's whole IdentityRef
                step["approver"] = {**approver, **found}
        if any(not s.get("isAutomated") for s in block.get("approvals") or []):
            _default(block, "approvalOptions", _APPROVAL_OPTIONS)
    env["deployStep"] = {
        **(env.get("deployStep") or {}),
        "id": (env.get("deployStep") or {}).get("id") or next_id(),
    }
    for key in ("preDeploymentGates", "postDeploymentGates"):
        _default(env, key, {"id": 0, "gatesOptions": None, "gates": []})
    for rank_of_phase, phase in enumerate(env.get("deployPhases") or [], start=1):
        _default(phase, "rank", rank_of_phase)
        phase.setdefault("refName", None)
        _default(phase, "workflowTasks", [])
        if phase.get("phaseType") == "agentBasedDeployment":
            phase["deploymentInput"] = {
                **copy.deepcopy(_DEPLOYMENT_INPUT),
                **(phase.get("deploymentInput") or {}),
            }
    _default(env, "deployPhases", [])
    for name in ("badgeUrl", "currentRelease"):
        env.pop(name, None)


def _complete_artifact(
    artifact: dict[str, Any],
    index: int,
    project: tuple[str, str],
    build_definition_name: Callable[[str, int], str | None],
) -> None:
    artifact.setdefault("isPrimary", index == 0)
    artifact.setdefault("isRetained", False)
    reference = artifact.get("definitionReference") or {}
    if str(artifact.get("type", "")).lower() != "build":
        return
    definition, source_project = reference.get("definition") or {}, reference.get("project") or {}
    if str(definition.get("id", "")).isdigit() and source_project.get("id"):
        name = build_definition_name(str(source_project["id"]), int(definition["id"]))
        definition["name"] = name if name is not None else definition.get("name", "")
        artifact["sourceId"] = f"{source_project['id']}:{definition['id']}"
    reference.setdefault("defaultVersionType", {"id": "latestType", "name": "Latest"})


def _variable_sets(doc: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    yield "", doc.get("variables") or {}
    for env in doc.get("environments") or []:
        yield f"{env.get('id')}/", env.get("variables") or {}


def keep_secrets(doc: dict[str, Any], previous: dict[str, str]) -> dict[str, str]:
    """Move secret values out of ``doc`` (left ``null``); an update's ``null`` keeps the stored one."""
    secrets: dict[str, str] = {}
    for prefix, variables in _variable_sets(doc):
        for name, variable in variables.items():
            if not isinstance(variable, dict) or not variable.get("isSecret"):
                continue
            key = f"{prefix}{name}"
            value = variable.get("value")
            if value is not None:
                secrets[key] = str(value)
            elif key in previous:
                secrets[key] = previous[key]
            variable["value"] = None
    return secrets


def render(
    doc: dict[str, Any], *, base: str, project_id: str, properties: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The stored ``doc`` as answered: with its addresses under ``base`` (``https://host/{org}``)."""
    out = copy.deepcopy(doc)
    self_url = f"{base}/{project_id}/_apis/Release/definitions/{doc['id']}"
    out["url"] = self_url
    out["_links"] = {
        "self": {"href": self_url},
        "web": {"href": f"{base}/{project_id}/_release?definitionId={doc['id']}"},
    }
    out["properties"] = properties if properties is not None else {}
    for env in out.get("environments") or []:
        env["currentRelease"] = {
            "id": 0,
            "url": f"{base}/{project_id}/_apis/Release/releases/0",
            "_links": {},
        }
        env["badgeUrl"] = f"{base}/_apis/public/Release/badge/{project_id}/{doc['id']}/{env.get('id')}"
    return out


def shallow(full: dict[str, Any], expands: set[str]) -> dict[str, Any]:
    """A rendered definition as the list answers it, with what each ``$expand`` value adds."""
    out = {key: full.get(key) for key in SHALLOW_FIELDS}
    out["variableGroups"] = full.get("variableGroups") if "variables" in expands else None
    if full.get("isDeleted"):
        out["isDeleted"] = True
    if "environments" in expands:
        out["environments"] = [
            {key: env.get(key) for key in SHALLOW_ENVIRONMENT_FIELDS}
            for env in full.get("environments") or []
        ]
    for expand in ("artifacts", "triggers", "variables", "tags"):
        if expand in expands:
            out[expand] = full.get(expand)
    out["url"], out["_links"], out["properties"] = full["url"], full["_links"], full["properties"]
    return out
