"""What an emulated Azure DevOps organization holds beyond its projects: the records.

Users and groups (identities), personal access tokens, agent pools and queues, build definitions
and their builds, variable groups, installed extensions and the tasks the organization knows, the
projects' pipeline environments and the check configurations guarding them, and which server (Azure
DevOps Services, or Azure DevOps Server 2022) the emulator answers as. Plain picklable dataclasses;
``OrgRecords`` is one organization's, keyed by what the REST API looks up by.

Must not: know HTTP, body shapes, or any rule (``devops_org.py`` and friends do).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

USER = "user"
GROUP = "group"


@dataclass(frozen=True)
class ServerKind:
    """Which server the emulator answers as: its REST API range and deployment type."""

    name: str  # "services" or "2022" (what the CLI flag and the control plane take)
    label: str  # how messages and the README name it
    max_version: tuple[int, int]  # the newest REST API version it serves
    deployment_type: str  # connectionData's deploymentType: "hosted" or "onPremises"


SERVICES = ServerKind("services", "Azure DevOps Services", (7, 1), "hosted")
SERVER_2022 = ServerKind("2022", "Azure DevOps Server 2022", (7, 0), "onPremises")
SERVER_KINDS = {kind.name: kind for kind in (SERVICES, SERVER_2022)}


@dataclass
class Member:
    """A user (by e-mail) or a project group (``[Project]\\Group``), as identities and graph see it."""

    id: str  # the identity id (a GUID)
    kind: str  # USER or GROUP
    display_name: str
    unique_name: str  # users: the e-mail; groups: [Project]\Group
    tenant_id: str = ""
    project_id: str = ""  # groups: the project they belong to
    members: list[str] = field(default_factory=list)  # groups: member identity ids

    @property
    def subject_descriptor(self) -> str:
        prefix = "aad" if self.kind == USER else "vssgp"
        return f"{prefix}.{base64.b64encode(self.id.encode()).decode().rstrip('=')}"

    @property
    def descriptor(self) -> str:
        """The identity descriptor, as the identities API writes it (``type;identifier``)."""
        if self.kind == USER:
            return f"Microsoft.IdentityModel.Claims.ClaimsIdentity;{self.tenant_id}\\{self.unique_name}"
        return f"Microsoft.TeamFoundation.Identity;S-1-9-1551374245-{self.id}"

    @property
    def account(self) -> str:
        """Users: the e-mail; groups: the name without its ``[Project]\\`` scope."""
        return self.unique_name.split("\\", 1)[-1] if self.kind == GROUP else self.unique_name


@dataclass
class Pat:
    """A personal access token issued to a user of the organization."""

    user_id: str
    name: str
    expires: float
    token: str = field(repr=False)


@dataclass
class AgentPool:
    id: int
    name: str
    is_hosted: bool


@dataclass
class AgentQueue:
    id: int
    name: str
    project_id: str
    pool_id: int


@dataclass
class BuildDefinition:
    id: int
    name: str
    project_id: str
    queue_id: int
    path: str = "\\"
    revision: int = 1
    created: float = 0.0


@dataclass
class Build:
    id: int
    definition_id: int
    project_id: str
    build_number: str
    source_branch: str
    source_version: str
    result: str  # succeeded | partiallySucceeded | failed | canceled
    queue_time: float
    finish_time: float
    requested_for: str  # identity id
    tags: list[str] = field(default_factory=list)
    status: str = "completed"
    # the build's published artifacts: name -> path inside the artifact -> content
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False)


def build_artifacts(build: Build) -> dict[str, dict[str, bytes]]:
    """The build's artifacts (none for a build saved before builds had files)."""
    return getattr(build, "artifacts", None) or {}


@dataclass
class Variable:
    value: str | None = field(repr=False)
    is_secret: bool = False
    is_read_only: bool = False


@dataclass
class VariableGroup:
    id: int
    name: str
    description: str
    variables: dict[str, Variable]
    project_ids: list[str]  # the projects it is shared with
    created_by: str  # identity id
    created: float
    modified_by: str
    modified: float
    type: str = "Vsts"


@dataclass(frozen=True)
class TaskDefinition:
    """A task the organization can run: a built-in one, or one an extension contributed."""

    id: str  # lower case
    name: str
    friendly_name: str
    version: tuple[int, int, int]
    author: str
    category: str
    description: str = ""
    contribution: str = ""  # publisher.extension/contribution, for tasks from extensions
    folder: str = ""  # the task's folder in its extension's files ("" for built-ins: no code here)


@dataclass
class Extension:
    """An extension installed from a .vsix."""

    publisher: str
    extension_id: str
    name: str
    version: str
    tasks: list[TaskDefinition]
    installed: float
    files: dict[str, bytes] = field(default_factory=dict)  # every file of the .vsix, by its path


@dataclass
class Environment:
    """A pipeline environment of one project (what a YAML deployment job targets)."""

    id: int
    project_id: str
    name: str
    description: str
    created_by: dict[str, Any]  # the creator's IdentityRef
    created: float
    modified_by: dict[str, Any]
    modified: float


@dataclass
class CheckConfiguration:
    """A check (approval, exclusive lock, any other type) configured on a project's resource."""

    id: int
    project_id: str
    # what the client sent, kept whole: type, resource {type, id, name}, settings, timeout, anything else
    document: dict[str, Any]
    created_by: dict[str, Any]
    created: float
    modified_by: dict[str, Any]
    modified: float
    version: int = 1


@dataclass
class OrgRecords:
    """Everything of one organization besides its projects and service connections."""

    members: dict[str, Member] = field(default_factory=dict)  # by identity id
    pats: dict[str, Pat] = field(default_factory=dict)  # by token
    pools: dict[int, AgentPool] = field(default_factory=dict)
    queues: dict[int, AgentQueue] = field(default_factory=dict)
    definitions: dict[int, BuildDefinition] = field(default_factory=dict)
    builds: dict[int, Build] = field(default_factory=dict)
    variable_groups: dict[int, VariableGroup] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)  # by publisher.extension
    environments: dict[int, Environment] = field(default_factory=dict)
    checks: dict[int, CheckConfiguration] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict, repr=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a saved organization; one saved before environments and checks existed has none."""
        self.__dict__.update({"environments": {}, "checks": {}, **state})

    def next_id(self, kind: str) -> int:
        """The next id of a kind of record (1, 2, ...), per organization."""
        self.last_ids[kind] = self.last_ids.get(kind, 0) + 1
        return self.last_ids[kind]

    def member_named(self, unique_name: str) -> Member | None:
        key = unique_name.lower()
        return next((m for m in self.members.values() if m.unique_name.lower() == key), None)
