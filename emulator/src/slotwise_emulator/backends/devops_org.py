"""An emulated Azure DevOps organization's directory: the ``OrganizationDirectory`` other services use.

Owns, per organization (``OrgRecords``): users and project groups, personal access tokens, agent pools
and queues, build definitions and their builds, and which server the emulator answers as. Variable
groups are ``devops_library.py``'s and tasks and extensions ``devops_tasks.py``'s; authentication and
api-versions ``devops_auth.py``'s; projects and service connections stay in ``devops.py``. Creation
methods are what the control plane, the driver and the seed call (``KeyError`` for a missing
organization or project, ``ValueError`` for a bad value); lookups answer the REST routes.

Must not: know HTTP or body shapes (routes render), or the release service's rules.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends import devops_auth, devops_tasks
from slotwise_emulator.backends.devops import Organization, Project
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import (
    GROUP,
    SERVER_KINDS,
    SERVICES,
    USER,
    AgentPool,
    AgentQueue,
    Build,
    BuildDefinition,
    Member,
    OrgRecords,
    Pat,
    ServerKind,
)
from slotwise_emulator.errors import devops_error

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops import DevOpsBackend

_CORE = "Microsoft.TeamFoundation.Core.WebApi"
_GROUP_NAME = re.compile(r"^\[([^\]]+)\]\\(.+)$")


def name_matches(pattern: str | None, name: str) -> bool:
    """Azure DevOps' name filters: case-insensitive, ``*`` matches any run of characters."""
    if not pattern:
        return True
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, name, re.IGNORECASE) is not None


class OrganizationBackend:
    """Every organization's records, the server kind, and the ``OrganizationDirectory`` lookups."""

    def __init__(self, devops: DevOpsBackend) -> None:
        self.devops = devops
        self.records: dict[str, OrgRecords] = {}  # by lower-cased organization name
        self.server: ServerKind = SERVICES
        self.arm_url = ""  # the emulated ARM endpoint, where AzureRM service endpoints point
        # told of every completed build (the release service's continuous-deployment trigger)
        self.build_observers: list[Callable[[str, Build], None]] = []

    # ---- OrganizationDirectory ----------------------------------------------------------------
    def authorize(self, org: str, authorization: str | None) -> dict[str, Any]:
        found = self.organization(org)
        return devops_auth.authorize(self.devops, found, self.records_of(found.name), authorization)

    def check_version(self, org: str, location: ApiLocation, requested: str | None) -> str:
        return devops_auth.check_version(self.server, location, requested)

    def project(self, org: str, name_or_id: str) -> tuple[str, str] | None:
        found = self.devops.organization(org)
        project = found.project(name_or_id) if found else None
        return (project.id, project.name) if project else None

    def task_installed(self, org: str, task_id: str, version_spec: str) -> bool:
        return devops_tasks.task_installed(self.records_of(org), task_id, version_spec)

    def queue(self, org: str, project_id: str, queue_id: int) -> str | None:
        found = self.records_of(org).queues.get(queue_id)
        return found.name if found and found.project_id == project_id.lower() else None

    def build_definition(self, org: str, project_id: str, definition_id: int) -> str | None:
        found = self.records_of(org).definitions.get(definition_id)
        return found.name if found and found.project_id == project_id.lower() else None

    def service_endpoint(self, org: str, project_id: str, endpoint_id: str) -> str | None:
        found = self.devops.organization(org)
        project = found.projects.get(project_id.lower()) if found else None
        connection = project.connections.get(endpoint_id.lower()) if project else None
        return connection.name if connection else None

    def identity(self, org: str, identity_id: str) -> dict[str, Any] | None:
        member = self.records_of(org).members.get(identity_id.lower())
        return devops_auth.identity_ref(member, self.devops.collection_uri(org)) if member else None

    def variable_group(self, org: str, project_id: str, group_id: int) -> str | None:
        group = self.records_of(org).variable_groups.get(group_id)
        return group.name if group and project_id.lower() in group.project_ids else None

    # ---- lookups the routes need ------------------------------------------------------------------
    def organization(self, name: str) -> Organization:
        """The organization, or the 404 Azure DevOps answers for a name it does not host."""
        found = self.devops.organization(name)
        if found is None:
            raise devops_error(
                404,
                "VssResourceNotFoundException",
                f"The organization '{name}' does not exist, or you do not have permission to access it.",
            )
        return found

    def records_of(self, org: str) -> OrgRecords:
        return self.records.setdefault(org.lower(), OrgRecords())

    def project_or_404(self, org: str, name_or_id: str) -> Project:
        project = self.organization(org).project(name_or_id)
        if project is None:
            raise devops_error(
                404,
                "ProjectDoesNotExistWithNameException",
                f"VS800075: The project with id 'vstfs:///Classification/TeamProject/{name_or_id}' does not "
                "exist, or you do not have permission to access it.",
                f"Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, {_CORE}",
            )
        return project

    def member_by_id_or_name(self, org: str, key: str) -> Member | None:
        records = self.records_of(org)
        return records.members.get(key.lower()) or records.member_named(key)

    def search(self, org: str, search_filter: str, value: str) -> list[Member]:
        """Identities by ``searchFilter`` (General, AccountName, DisplayName, MailAddress) and value:
        users by e-mail or display name, groups by ``[Project]\\Group``; exact, case-insensitive."""
        wanted = value.strip().lower()
        found = []
        for member in self.records_of(org).members.values():
            names = {
                "accountname": {member.unique_name},
                "displayname": {member.display_name},
                "mailaddress": {member.unique_name} if member.kind == USER else set(),
            }.get(search_filter.lower(), {member.unique_name, member.display_name})
            if wanted in {n.lower() for n in names}:
                found.append(member)
        return found

    # ---- what the control plane, the driver and the seed make ---------------------------------------
    def set_server(self, name: str) -> ServerKind:
        kind = SERVER_KINDS.get(name.lower())
        if kind is None:
            raise ValueError(f"The server must be one of {', '.join(SERVER_KINDS)}, not '{name}'.")
        self.server = kind
        return kind

    def create_user(self, org: str, email: str, display_name: str | None = None) -> Member:
        """The user with this e-mail, added to the organization if missing."""
        found = self.organization(org)
        if "@" not in email or "\\" in email:
            raise ValueError(f"A user is named by an e-mail address, not '{email}'.")
        records = self.records_of(found.name)
        existing = records.member_named(email)
        if existing is not None:
            return existing
        name = display_name or email.split("@")[0].replace(".", " ").title()
        member = Member(_stable_id(found, email), USER, name, email.lower(), tenant_id=found.tenant_id)
        records.members[member.id] = member
        return member

    def create_group(self, org: str, project: str, name: str, members: tuple[str, ...] = ()) -> Member:
        """The project group ``[project]\\name`` (made if missing), with these users or groups added."""
        owner = self.devops.organization(org)
        target = owner.project(project) if owner else None
        if owner is None or target is None:
            raise KeyError(f"No project '{project}' in organization '{org}'.")
        if not name or "\\" in name:
            raise ValueError("A group needs a name without '\\'.")
        records = self.records_of(owner.name)
        unique = f"[{target.name}]\\{name}"
        group = records.member_named(unique)
        if group is None:
            group = Member(_stable_id(owner, unique), GROUP, unique, unique, project_id=target.id)
            records.members[group.id] = group
        for key in members:
            member = self.member_by_id_or_name(owner.name, key)
            if member is None:
                raise ValueError(f"No user or group '{key}' in organization '{owner.name}': create it first.")
            if member.id not in group.members and member is not group:
                group.members.append(member.id)
        return group

    def issue_pat(self, org: str, user: str, name: str = "slotwise") -> Pat:
        """A new personal access token for an existing user (by e-mail or id)."""
        member = self.member_by_id_or_name(self.organization(org).name, user)
        if member is None or member.kind != USER:
            raise ValueError(f"No user '{user}' in organization '{org}': create the user first.")
        return devops_auth.issue_pat(self.records_of(org), member, name, self.devops.clock.now())

    def pool(self, org: str, name: str) -> AgentPool:
        """The agent pool ``name``, made if missing (``Azure Pipelines`` is the hosted one)."""
        records = self.records_of(self.organization(org).name)
        existing = next((p for p in records.pools.values() if p.name.lower() == name.lower()), None)
        if existing is not None:
            return existing
        pool = AgentPool(records.next_id("pool"), name, name.lower() == "azure pipelines")
        records.pools[pool.id] = pool
        return pool

    def create_queue(self, org: str, project: str, name: str, pool: str | None = None) -> AgentQueue:
        """The project's agent queue ``name`` (on the pool of the same name unless ``pool``)."""
        target = self._project(org, project)
        records = self.records_of(org)
        existing = self.queue_named(org, target.id, name)
        if existing is not None:
            return existing
        queue = AgentQueue(records.next_id("queue"), name, target.id, self.pool(org, pool or name).id)
        records.queues[queue.id] = queue
        return queue

    def queue_named(self, org: str, project_id: str, name: str) -> AgentQueue | None:
        return next(
            (
                q
                for q in self.records_of(org).queues.values()
                if q.project_id == project_id and q.name.lower() == name.lower()
            ),
            None,
        )

    def create_build_definition(
        self,
        org: str,
        project: str,
        name: str,
        *,
        queue: str = "Azure Pipelines",
        path: str = "\\",
        definition_id: int | None = None,
    ) -> BuildDefinition:
        """The build definition ``name`` of the project (made if missing, building on ``queue``;
        ``definition_id``: the id it had where a definition naming it was copied from)."""
        target = self._project(org, project)
        if not name:
            raise ValueError("A build definition needs a name.")
        records = self.records_of(org)
        existing = self.definition_named(org, target.id, name)
        if existing is not None:
            return existing
        if definition_id is not None and definition_id in records.definitions:
            raise ValueError(f"Build definition id {definition_id} is taken.")
        used = self.create_queue(org, target.name, queue)
        chosen = definition_id if definition_id is not None else records.next_id("definition")
        records.last_ids["definition"] = max(records.last_ids.get("definition", 0), chosen)  # never reused
        definition = BuildDefinition(chosen, name, target.id, used.id, path, created=self.devops.clock.now())
        records.definitions[definition.id] = definition
        return definition

    def definition_named(self, org: str, project_id: str, name: str) -> BuildDefinition | None:
        return next(
            (
                d
                for d in self.records_of(org).definitions.values()
                if d.project_id == project_id and d.name.lower() == name.lower()
            ),
            None,
        )

    def complete_build(
        self,
        org: str,
        project: str,
        definition: str,
        *,
        build_number: str | None = None,
        source_branch: str = "refs/heads/main",
        source_version: str | None = None,
        result: str = "succeeded",
        tags: tuple[str, ...] = (),
        artifacts: Mapping[str, Mapping[str, bytes]] | None = None,
    ) -> Build:
        """A completed build of the definition (by name or id), finished now, that published
        ``artifacts`` (name -> path inside the artifact -> content)."""
        target = self._project(org, project)
        records = self.records_of(org)
        found = self.definition_named(org, target.id, definition)
        if found is None and definition.isdigit():
            found = records.definitions.get(int(definition))
        if found is None or found.project_id != target.id:
            raise KeyError(f"No build definition '{definition}' in project '{target.name}'.")
        if result not in ("succeeded", "partiallySucceeded", "failed", "canceled"):
            raise ValueError("result must be succeeded, partiallySucceeded, failed or canceled.")
        published = _artifacts(artifacts or {})
        build_id = records.next_id("build")
        now = self.devops.clock.now()
        requester = next((m for m in records.members.values() if m.kind == USER), None)
        build = Build(
            id=build_id,
            definition_id=found.id,
            project_id=target.id,
            build_number=build_number or f"{found.name}_{build_id}",
            source_branch=source_branch,
            source_version=source_version or hashlib.sha1(f"{found.id}/{build_id}".encode()).hexdigest(),  # noqa: S324 - a commit id, not security
            result=result,
            queue_time=now - 120,
            finish_time=now,
            requested_for=requester.id if requester else "",
            tags=list(tags),
            artifacts=published,
        )
        records.builds[build.id] = build
        for observer in self.build_observers:
            observer(self.organization(org).name, build)
        return build

    def clear(self) -> None:
        self.records.clear()
        self.server = SERVICES

    def _project(self, org: str, name_or_id: str) -> Project:
        owner = self.devops.organization(org)
        project = owner.project(name_or_id) if owner else None
        if owner is None or project is None:
            raise KeyError(f"No project '{name_or_id}' in organization '{org}'.")
        return project


def _stable_id(org: Organization, name: str) -> str:
    """An identity id that stays the same for the same name in the same organization."""
    return str(uuid.uuid5(uuid.UUID(org.id) if _is_uuid(org.id) else uuid.NAMESPACE_URL, name.lower()))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _artifacts(given: Mapping[str, Mapping[str, bytes]]) -> dict[str, dict[str, bytes]]:
    """Artifacts as a build publishes them: named, each path relative and inside its artifact."""
    published: dict[str, dict[str, bytes]] = {}
    for name, files in given.items():
        if not name.strip() or "/" in name or "\\" in name or name in (".", ".."):
            raise ValueError(f"An artifact needs a name without '/' or '\\', not '{name}'.")
        published[name] = {}
        for path, content in files.items():
            parts = PurePosixPath(path.replace("\\", "/"))
            if not path.strip() or parts.is_absolute() or ".." in parts.parts:
                raise ValueError(f"The path '{path}' of artifact '{name}' must be relative, inside it.")
            if not isinstance(content, bytes):
                raise ValueError(f"The content of '{path}' in artifact '{name}' must be bytes.")
            published[name][parts.as_posix()] = content
    return published
