"""The pipeline environments and checks part of ``Emulator``'s Python API (a mixin of ``Emulator``).

Tests and the demo read what a client made (``environments``, ``checks``: every stored field), make an
environment as the portal would (``create_environment``), and change a check in the portal behind a
client's back (``edit_check``: a new version, as a person would leave it), so a tool that applies
checks can be shown to notice the drift. The module's functions are shared with the control plane
(``routes/control_devops_checks.py``). Errors in what was asked are ``EmulatorError`` (the driver) or
``KeyError``/``ValueError``/``ServiceError`` (the functions).

Must not: talk to a listener; hold state (the backends do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from slotwise_emulator.backends import Backends, devops_checks, devops_environments
from slotwise_emulator.backends.devops import Project
from slotwise_emulator.backends.devops_environments import ENVIRONMENT_RESOURCE
from slotwise_emulator.backends.devops_records import CheckConfiguration, Environment, OrgRecords

T = TypeVar("T")
PORTAL = {"id": "00000000-0000-0000-0000-000000000000", "displayName": "Portal user", "uniqueName": "portal"}


def environment_summary(environment: Environment) -> dict[str, Any]:
    return {
        "id": environment.id,
        "name": environment.name,
        "description": environment.description,
        "createdBy": environment.created_by.get("uniqueName"),
        "modifiedBy": environment.modified_by.get("uniqueName"),
    }


def check_summary(check: CheckConfiguration) -> dict[str, Any]:
    """Every stored field of a check, and who made and last changed it."""
    return {
        "id": check.id,
        "version": check.version,
        **check.document,
        "createdBy": check.created_by.get("uniqueName"),
        "modifiedBy": check.modified_by.get("uniqueName"),
    }


def _scope(b: Backends, org: str, project: str) -> tuple[OrgRecords, Project]:
    directory = b.devops.directory
    found = directory.organization(org)
    return directory.records_of(found.name), directory.project_or_404(found.name, project)


def _environment(records: OrgRecords, project: Project, environment: str) -> Environment:
    """The project's environment by name (case-insensitive) or id."""
    found = next(
        (
            e
            for e in records.environments.values()
            if e.project_id == project.id
            and (e.name.lower() == environment.lower() or str(e.id) == environment)
        ),
        None,
    )
    if found is None:
        raise KeyError(f"No environment '{environment}' in project '{project.name}'.")
    return found


def _portal_user(b: Backends, org: str) -> dict[str, Any]:
    """Who edits in the portal: the seed's admin when there is one."""
    directory = b.devops.directory
    admin = directory.records_of(org).member_named(b.seed.get("devops_admin", ""))
    return (directory.identity(org, admin.id) if admin else None) or PORTAL


def environments(b: Backends, org: str, project: str) -> list[dict[str, Any]]:
    records, target = _scope(b, org, project)
    found = [e for e in records.environments.values() if e.project_id == target.id]
    return [environment_summary(e) for e in sorted(found, key=lambda e: e.id)]


def create_environment(
    b: Backends, org: str, project: str, name: str, description: str = ""
) -> dict[str, Any]:
    records, target = _scope(b, org, project)
    body = {"name": name, "description": description}
    made = devops_environments.create(records, target.id, body, _portal_user(b, org), b.clock.now())
    return environment_summary(made)


def checks(b: Backends, org: str, project: str, environment: str) -> list[dict[str, Any]]:
    """The checks on the environment (by name or id), by id, with their settings."""
    records, target = _scope(b, org, project)
    wanted = [(ENVIRONMENT_RESOURCE, str(_environment(records, target, environment).id))]
    return [check_summary(c) for c in devops_checks.on_resources(records, target.id, wanted)]


def edit_check(
    b: Backends, org: str, project: str, check_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change fields of a check (dotted paths, list indices as numbers) as someone in the portal."""
    records, target = _scope(b, org, project)
    try:
        edited = devops_checks.portal_edit(
            records, target, check_id, dict(changes), _portal_user(b, org), b.clock.now()
        )
    except (IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"Cannot change {sorted(changes)} of check {check_id}: {exc}.") from exc
    return check_summary(edited)


class EnvironmentsDriver:
    """Driver methods for the emulated pipeline environments and their checks."""

    def call(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _do(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - DevOpsDriver's
        raise NotImplementedError

    def environments(self, org: str, project: str) -> list[dict[str, Any]]:
        """The project's environments (id, name, description, who made and last changed each)."""
        return self._do(lambda b: environments(b, org, project))

    def create_environment(self, org: str, project: str, name: str, description: str = "") -> dict[str, Any]:
        """An environment made as in the portal (by the seed's admin)."""
        return self._do(lambda b: create_environment(b, org, project, name, description))

    def checks(self, org: str, project: str, environment: str) -> list[dict[str, Any]]:
        """The checks on the environment (name or id): every stored field, settings included."""
        return self._do(lambda b: checks(b, org, project, environment))

    def edit_check(self, org: str, project: str, check_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a check in the portal behind a client's back (``{"settings.minRequiredApprovers": 2,
        "timeout": 60}``): a new version; answers the check as stored now."""
        return self._do(lambda b: edit_check(b, org, project, check_id, changes))
