"""Pipeline environments of an emulated Azure DevOps project (the distributed-task ``environments``).

Owns: creating an environment (a name unique in its project, case-insensitively; the service's
``EnvironmentExistsException``, 409), listing them (the ``name`` filter, ``$top`` and a continuation
token), reading, renaming or re-describing one (``EnvironmentUpdateParameter``), and deleting one,
which deletes the check configurations on it. Ids are the organization's (1, 2, ...), never reused.
The fields the server fills: id, project, createdBy/On, lastModifiedBy/On.

Must not: know HTTP or body shapes (routes render), or a check's rules (``devops_checks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.devops_org import name_matches
from slotwise_emulator.backends.devops_records import Environment, OrgRecords
from slotwise_emulator.errors import ServiceError, devops_error

_TASK_API = "Microsoft.TeamFoundation.DistributedTask.WebApi"
ENVIRONMENT_RESOURCE = "environment"  # a check's resource type for an environment
NAME_LIMIT = 128  # the portal's limit on an environment's name (the emulator's: no public source)


@dataclass(frozen=True)
class Page:
    """One page of a list, and where the next one starts (None on the last)."""

    items: list[Environment]
    continuation: str | None


def not_found(environment_id: int | str) -> ServiceError:
    """The 404 of an environment the project does not have (wording: the emulator's)."""
    return devops_error(
        404,
        "EnvironmentNotFoundException",
        f"Environment with id '{environment_id}' does not exist.",
        f"{_TASK_API}.EnvironmentNotFoundException, {_TASK_API}",
    )


def _bad(message: str, type_key: str = "ArgumentException") -> ServiceError:
    return devops_error(400, type_key, message, f"System.{type_key}, mscorlib")


def _name(body: dict[str, Any], required: bool) -> str | None:
    value = body.get("name")
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad("Value cannot be null.\r\nParameter name: environment.Name", "ArgumentNullException")
    name = value.strip()
    if len(name) > NAME_LIMIT:
        raise _bad(f"The environment name '{name}' is longer than {NAME_LIMIT} characters.")
    return name


def _description(body: dict[str, Any], previous: str) -> str:
    value = body.get("description")
    if value is None:
        return previous
    if not isinstance(value, str):
        raise _bad("The environment's description must be a string.")
    return value


def _check_name_free(records: OrgRecords, project_id: str, name: str, own_id: int | None) -> None:
    for other in records.environments.values():
        if other.project_id == project_id and other.id != own_id and other.name.lower() == name.lower():
            raise devops_error(
                409,
                "EnvironmentExistsException",
                f"Environment with name '{name}' already exists.",  # type and status: the service's
                f"{_TASK_API}.EnvironmentExistsException, {_TASK_API}",
            )


def create(
    records: OrgRecords, project_id: str, body: dict[str, Any], caller: dict[str, Any], now: float
) -> Environment:
    """POST ``{org}/{project}/_apis/distributedtask/environments`` (``EnvironmentCreateParameter``)."""
    name = _name(body, required=True)
    assert name is not None
    _check_name_free(records, project_id, name, None)
    environment = Environment(
        records.next_id("environment"), project_id, name, _description(body, ""), caller, now, caller, now
    )
    records.environments[environment.id] = environment
    return environment


def existing(records: OrgRecords, project_id: str, environment_id: int) -> Environment:
    """The project's environment, or the service's 404."""
    found = records.environments.get(environment_id)
    if found is None or found.project_id != project_id:
        raise not_found(environment_id)
    return found


def listed(
    records: OrgRecords, project_id: str, name: str | None, top: int | None, continuation: str | None
) -> Page:
    """The project's environments by name (case-insensitive), those ``name`` matches (``*``
    wildcards), from ``continuation`` (a name: the first of the page), ``top`` at most."""
    if top is not None and top < 0:
        raise _bad(f"The value '{top}' of parameter '$top' is not valid.")
    found = sorted(
        (
            e
            for e in records.environments.values()
            if e.project_id == project_id and name_matches(name, e.name)
        ),
        key=lambda e: (e.name.lower(), e.id),
    )
    if continuation:
        found = [e for e in found if e.name.lower() >= continuation.lower()]
    if top is None or top == 0 or len(found) <= top:
        return Page(found, None)
    return Page(found[:top], found[top].name)


def update(
    records: OrgRecords,
    project_id: str,
    environment_id: int,
    body: dict[str, Any],
    caller: dict[str, Any],
    now: float,
) -> Environment:
    """PATCH ``.../environments/{environmentId}``: the name and the description, those the body has."""
    environment = existing(records, project_id, environment_id)
    name = _name(body, required=False)
    if name is not None:
        _check_name_free(records, project_id, name, environment.id)
    environment.name = name if name is not None else environment.name
    environment.description = _description(body, environment.description)
    environment.modified_by, environment.modified = caller, now
    return environment


def delete(records: OrgRecords, project_id: str, environment_id: int) -> None:
    """DELETE ``.../environments/{environmentId}``; the checks configured on it go with it."""
    environment = existing(records, project_id, environment_id)
    del records.environments[environment.id]
    for check in list(records.checks.values()):
        resource = check.document.get("resource") or {}
        if (
            check.project_id == project_id
            and str(resource.get("type", "")).lower() == ENVIRONMENT_RESOURCE
            and str(resource.get("id", "")) == str(environment.id)
        ):
            del records.checks[check.id]
