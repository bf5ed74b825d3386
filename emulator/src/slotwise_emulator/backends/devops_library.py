"""Variable groups of an emulated Azure DevOps organization (the pipelines Library).

Owns: creating, replacing and deleting variable groups at the organization level (projects named in
``variableGroupProjectReferences``; a delete removes the group from ``projectIds`` and drops it when no
project is left), and reading them per project. A secret variable's value is kept but never given
back; an update that sends a secret without a value keeps the stored one, as Azure DevOps does.

Must not: know HTTP or body shapes (routes render a group, with secret values left out).
"""

from __future__ import annotations

from typing import Any

from slotwise_emulator.backends.devops import Organization
from slotwise_emulator.backends.devops_records import OrgRecords, Variable, VariableGroup
from slotwise_emulator.errors import ServiceError, devops_error

_TYPE = "Microsoft.TeamFoundation.DistributedTask.WebApi"


def bad(message: str, type_key: str = "ArgumentException") -> ServiceError:
    return devops_error(400, type_key, message, f"System.{type_key}, mscorlib")


def variables_from(body: Any, previous: dict[str, Variable] | None = None) -> dict[str, Variable]:
    """The ``variables`` of a VariableGroupParameters body; a secret sent without a value keeps the
    value it had."""
    if not isinstance(body, dict):
        raise bad("Variables must be an object of name to VariableValue.")
    result = {}
    for name, value in body.items():
        if not isinstance(value, dict):
            raise bad(f"Variable '{name}' must be a VariableValue object.")
        secret = bool(value.get("isSecret", False))
        text = value.get("value")
        if text is None and secret and previous and name in previous:
            text = previous[name].value
        result[name] = Variable(None if text is None else str(text), secret, bool(value.get("isReadOnly")))
    return result


def project_ids(org: Organization, body: dict[str, Any]) -> list[str]:
    """The projects a VariableGroupParameters body shares the group with (at least one)."""
    references = body.get("variableGroupProjectReferences")
    if not isinstance(references, list) or not references:
        raise bad(
            "VariableGroupParameters.variableGroupProjectReferences must name at least one project.",
            "ArgumentNullException",
        )
    ids = []
    for reference in references:
        project_ref = reference.get("projectReference") if isinstance(reference, dict) else None
        key = str((project_ref or {}).get("id") or (project_ref or {}).get("name") or "")
        project = org.project(key) if key else None
        if project is None:
            raise devops_error(
                404,
                "ProjectDoesNotExistException",
                f"VS800075: The project with id 'vstfs:///Classification/TeamProject/{key}' does not exist, "
                "or you do not have permission to access it.",
            )
        ids.append(project.id)
    return ids


def _unique(records: OrgRecords, name: str, projects: list[str], except_id: int | None = None) -> None:
    for group in records.variable_groups.values():
        shared = set(group.project_ids) & set(projects)
        if group.id != except_id and group.name.lower() == name.lower() and shared:
            raise devops_error(
                400,
                "VariableGroupExistsException",
                f"Variable group with name {name} already exists.",
                f"{_TYPE}.VariableGroupExistsException, {_TYPE}",
            )


def create(
    records: OrgRecords, org: Organization, body: dict[str, Any], caller: str, now: float
) -> VariableGroup:
    """POST ``{org}/_apis/distributedtask/variablegroups``."""
    name = str(body.get("name") or "").strip()
    if not name:
        raise bad("VariableGroupParameters.name is required.", "ArgumentNullException")
    projects = project_ids(org, body)
    _unique(records, name, projects)
    group = VariableGroup(
        records.next_id("variablegroup"),
        name,
        str(body.get("description") or ""),
        variables_from(body.get("variables", {})),
        projects,
        caller,
        now,
        caller,
        now,
        str(body.get("type") or "Vsts"),
    )
    records.variable_groups[group.id] = group
    return group


def update(
    records: OrgRecords, org: Organization, group_id: int, body: dict[str, Any], caller: str, now: float
) -> VariableGroup:
    """PUT ``{org}/_apis/distributedtask/variablegroups/{groupId}``: replaces name, description,
    variables and projects."""
    group = existing(records, group_id)
    name = str(body.get("name") or "").strip()
    if not name:
        raise bad("VariableGroupParameters.name is required.", "ArgumentNullException")
    projects = project_ids(org, body)
    _unique(records, name, projects, except_id=group.id)
    group.name, group.description = name, str(body.get("description") or "")
    group.variables = variables_from(body.get("variables", {}), group.variables)
    group.project_ids = projects
    group.modified_by, group.modified = caller, now
    return group


def delete(records: OrgRecords, group_id: int, project_ids_text: str | None, org: Organization) -> None:
    """DELETE ``.../variablegroups/{groupId}?projectIds=a,b``: unshares it from those projects."""
    group = existing(records, group_id)
    if not project_ids_text:
        raise bad("Value cannot be null.\r\nParameter name: projectIds", "ArgumentNullException")
    for key in project_ids_text.split(","):
        project = org.project(key.strip())
        if project is not None and project.id in group.project_ids:
            group.project_ids.remove(project.id)
    if not group.project_ids:
        del records.variable_groups[group.id]


def existing(records: OrgRecords, group_id: int, project_id: str | None = None) -> VariableGroup:
    """The group (shared with ``project_id`` when given), or the 404 Azure DevOps answers."""
    group = records.variable_groups.get(group_id)
    if group is None or (project_id is not None and project_id not in group.project_ids):
        raise devops_error(
            404,
            "VariableGroupNotFoundException",
            f"Variable group with id {group_id} does not exist.",
            f"{_TYPE}.VariableGroupNotFoundException, {_TYPE}",
        )
    return group
