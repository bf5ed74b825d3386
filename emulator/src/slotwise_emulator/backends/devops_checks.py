"""Check configurations of an emulated Azure DevOps project (the ``PipelinesChecks`` area).

Owns: adding a check to a resource of the project (an ``environment``, agent ``queue``, service
``endpoint`` or ``variablegroup``: it must exist), listing them by resource, reading, updating and
deleting one, and the portal's edit behind a client's back (``portal_edit``). What a client sends is
kept whole (settings are open-ended JSON; a check type the emulator does not know is kept as sent);
the server fills id, url, _links, createdBy/On, modifiedBy/On and ``version`` (1, then one more per
update). Validated: the resource, the type (a GUID), the timeout (minutes), and an Approval's settings
(approvers are identities of the organization, ``minRequiredApprovers``, ``executionOrder``).
Approval type id: the official examples'; ExclusiveLock's: microsoft/terraform-provider-azuredevops
(``resource_check_exclusive_lock.go``). Wording of the errors is the emulator's unless said otherwise.

Must not: know HTTP or body shapes (routes render), or environments' rules (``devops_environments``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from slotwise_emulator.backends.devops import Project
from slotwise_emulator.backends.devops_environments import ENVIRONMENT_RESOURCE
from slotwise_emulator.backends.devops_environments import not_found as environment_not_found
from slotwise_emulator.backends.devops_records import CheckConfiguration, OrgRecords
from slotwise_emulator.errors import ServiceError, devops_error

APPROVAL = "8c6f20a7-a545-4486-9777-f762fafe0d4d"
EXCLUSIVE_LOCK = "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563"
TASK_CHECK = "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7"
TYPE_NAMES = {APPROVAL: "Approval", EXCLUSIVE_LOCK: "ExclusiveLock", TASK_CHECK: "Task Check"}
RESOURCE_TYPES = (ENVIRONMENT_RESOURCE, "queue", "endpoint", "variablegroup")
EXECUTION_ORDERS = ("anyOrder", "inSequence")
DEFAULT_TIMEOUT = 43200  # minutes (30 days): what every official example shows
SERVER_FILLED = ("id", "url", "_links", "createdBy", "createdOn", "modifiedBy", "modifiedOn", "version")
_CHECKS_API = "Microsoft.Azure.Pipelines.Checks.WebApi"


def bad(message: str, type_key: str = "ArgumentException") -> ServiceError:
    return devops_error(400, type_key, message, f"System.{type_key}, mscorlib")


def not_found(check_id: int | str) -> ServiceError:
    """A check configuration the project does not have (404, "... does not exist.": what
    terraform-provider-azuredevops tests the service's message for)."""
    return devops_error(
        404,
        "CheckConfigurationNotFoundException",
        f"Check configuration with id {check_id} does not exist.",
        f"{_CHECKS_API}.CheckConfigurationNotFoundException, {_CHECKS_API}",
    )


def resource_name(records: OrgRecords, project: Project, kind: str, resource_id: str) -> str | None:
    """The current name of the project's resource of type ``kind``; None when it has none such."""
    number = int(resource_id) if resource_id.isdigit() else None
    if kind == ENVIRONMENT_RESOURCE:
        environment = records.environments.get(number) if number is not None else None
        return environment.name if environment and environment.project_id == project.id else None
    if kind == "queue":
        queue = records.queues.get(number) if number is not None else None
        return queue.name if queue and queue.project_id == project.id else None
    if kind == "endpoint":
        connection = project.connections.get(resource_id.lower())
        return connection.name if connection else None
    group = records.variable_groups.get(number) if number is not None else None
    return group.name if group and project.id in group.project_ids else None


def _resource(records: OrgRecords, project: Project, given: Any) -> dict[str, Any]:
    if not isinstance(given, dict) or not given.get("type") or given.get("id") in (None, ""):
        raise bad("Value cannot be null.\r\nParameter name: configuration.Resource", "ArgumentNullException")
    kind, resource_id = str(given["type"]).lower(), str(given["id"])
    if kind not in RESOURCE_TYPES:
        raise bad(
            f"Checks on resources of type '{given['type']}' are not emulated: use one of {RESOURCE_TYPES}."
        )
    name = resource_name(records, project, kind, resource_id)
    if name is None:
        if kind == ENVIRONMENT_RESOURCE:
            raise environment_not_found(resource_id)
        raise devops_error(404, "ResourceNotFoundException", f"The {kind} '{resource_id}' does not exist.")
    return {**given, "type": kind, "id": resource_id, "name": name}


def _type(given: Any) -> dict[str, Any]:
    raw = given.get("id") if isinstance(given, dict) else None
    try:
        type_id = str(uuid.UUID(str(raw)))
    except ValueError as exc:
        raise bad(
            "Value cannot be null.\r\nParameter name: configuration.Type", "ArgumentNullException"
        ) from exc
    assert isinstance(given, dict)
    return {**given, "id": type_id, "name": given.get("name") or TYPE_NAMES.get(type_id, "")}


def _timeout(value: Any) -> int:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad(f"The timeout must be a positive number of minutes, not {value!r}.")
    return value


def _approval(records: OrgRecords, settings: Any) -> None:
    """An Approval check's settings: approvers (users or groups of the organization) and the rest."""
    if not isinstance(settings, dict):
        raise bad("An Approval check needs settings with its approvers.")
    approvers = settings.get("approvers")
    if not isinstance(approvers, list) or not approvers:
        raise bad("An Approval check needs at least one approver.")
    for approver in approvers:
        key = str(approver.get("id") or "") if isinstance(approver, dict) else ""
        if records.members.get(key.lower()) is None:
            raise devops_error(
                400,
                "IdentityNotFoundException",
                f"The approver '{key}' is not a user or group of the organization.",
            )
    least = settings.get("minRequiredApprovers", 0)
    if isinstance(least, bool) or not isinstance(least, int) or not 0 <= least <= len(approvers):
        raise bad(f"minRequiredApprovers must be between 0 (all) and {len(approvers)}, not {least!r}.")
    order = settings.get("executionOrder", EXECUTION_ORDERS[0])
    if order not in EXECUTION_ORDERS:
        raise bad(f"executionOrder must be one of {', '.join(EXECUTION_ORDERS)}, not {order!r}.")
    for flag in ("requesterCannotBeApprover",):
        if flag in settings and not isinstance(settings[flag], bool):
            raise bad(f"{flag} must be true or false.")
    if "instructions" in settings and not isinstance(settings["instructions"], str | None):
        raise bad("instructions must be text.")


def _validated(records: OrgRecords, project: Project, body: dict[str, Any]) -> dict[str, Any]:
    """The document to store: the body without what the server fills, resource and type checked."""
    document = {k: copy.deepcopy(v) for k, v in body.items() if k not in SERVER_FILLED}
    document["resource"] = _resource(records, project, body.get("resource"))
    document["type"] = _type(body.get("type"))
    document["timeout"] = _timeout(body.get("timeout"))
    if document["type"]["id"] == APPROVAL:
        _approval(records, document.get("settings"))
    return document


def add(
    records: OrgRecords, project: Project, body: dict[str, Any], caller: dict[str, Any], now: float
) -> CheckConfiguration:
    """POST ``{org}/{project}/_apis/pipelines/checks/configurations``."""
    document = _validated(records, project, body)
    check = CheckConfiguration(records.next_id("check"), project.id, document, caller, now, caller, now)
    records.checks[check.id] = check
    return check


def existing(records: OrgRecords, project_id: str, check_id: int) -> CheckConfiguration:
    found = records.checks.get(check_id)
    if found is None or found.project_id != project_id:
        raise not_found(check_id)
    return found


def on_resources(
    records: OrgRecords, project_id: str, resources: Sequence[tuple[str | None, str | None]]
) -> list[CheckConfiguration]:
    """The project's checks on any of ``resources`` (type, id; None matches any), by id."""

    def matches(check: CheckConfiguration) -> bool:
        resource = check.document["resource"]
        return any(
            (kind is None or kind.lower() == resource["type"]) and (rid is None or rid == resource["id"])
            for kind, rid in resources
        )

    return sorted(
        (c for c in records.checks.values() if c.project_id == project_id and matches(c)), key=lambda c: c.id
    )


def update(
    records: OrgRecords,
    project: Project,
    check_id: int,
    body: dict[str, Any],
    caller: dict[str, Any],
    now: float,
) -> CheckConfiguration:
    """PATCH ``.../configurations/{id}``: what the body has replaces what is stored (settings whole);
    the resource and the type cannot change."""
    check = existing(records, project.id, check_id)
    merged = {**check.document, **{k: v for k, v in body.items() if k not in SERVER_FILLED}}
    for part in ("resource", "type"):
        merged[part] = {**check.document[part], **(body.get(part) or {})}
    document = _validated(records, project, merged)
    stored = check.document
    if (document["resource"]["type"], document["resource"]["id"]) != (
        stored["resource"]["type"],
        stored["resource"]["id"],
    ) or document["type"]["id"] != stored["type"]["id"]:
        raise bad(
            "The resource and the type of a check configuration cannot change: delete it and add another."
        )
    _save(check, document, caller, now)
    return check


def delete(records: OrgRecords, project_id: str, check_id: int) -> None:
    """DELETE ``.../configurations/{id}``."""
    del records.checks[existing(records, project_id, check_id).id]


def portal_edit(
    records: OrgRecords,
    project: Project,
    check_id: int,
    changes: Mapping[str, Any],
    caller: dict[str, Any],
    now: float,
) -> CheckConfiguration:
    """Change fields (dotted paths, list indices as numbers: ``settings.approvers.0.id``) as someone in
    the portal would, behind a client's back: a new version, checked like any update."""
    check = existing(records, project.id, check_id)
    document = copy.deepcopy(check.document)
    for path, value in changes.items():
        _set_path(document, path, value)
    _save(check, _validated(records, project, document), caller, now)
    return check


def _save(check: CheckConfiguration, document: dict[str, Any], caller: dict[str, Any], now: float) -> None:
    check.document, check.modified_by, check.modified = document, caller, now
    check.version += 1


def _set_path(document: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
