"""The Azure DevOps organization part of ``Emulator``'s Python API (a mixin of ``Emulator``).

Tests and the demo stand up an organization here: projects, users and groups, personal access tokens,
agent queues, build definitions and completed builds, variable groups, extensions installed from a
.vsix, the server the emulator answers as (Services or Server 2022), and the seed. Each method runs on
the server's loop (``call``) and saves the state. Errors in what was asked are ``EmulatorError``.

Must not: talk to a listener; hold state (the backends do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from slotwise_emulator.backends import Backends, devops_library, devops_tasks
from slotwise_emulator.backends.devops_records import (
    AgentQueue,
    Build,
    BuildDefinition,
    Extension,
    Member,
    ServerKind,
    VariableGroup,
)
from slotwise_emulator.errors import EmulatorError, ServiceError

T = TypeVar("T")


class DevOpsDriver:
    """Driver methods for the emulated Azure DevOps organizations."""

    def call(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _save(self) -> None:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _do(self, fn: Callable[[Backends], T]) -> T:
        try:
            result = self.call(fn)
        except (KeyError, ValueError) as exc:
            raise EmulatorError(str(exc.args[0]) if exc.args else str(exc), hint="") from exc
        except ServiceError as exc:
            raise EmulatorError(exc.message, hint="") from exc
        self._save()
        return result

    def seed_devops(self) -> dict[str, Any]:
        """Seed organization ``contoso`` (see ``devops_seed``); answers its URL, project, user and PAT."""
        from slotwise_emulator.devops_seed import seed_devops

        return self._do(seed_devops)

    def devops_env(self) -> dict[str, str]:
        """``AZURE_DEVOPS_ORG_URL`` and ``AZURE_DEVOPS_EXT_PAT`` of the seeded organization (empty if
        the emulator was not seeded)."""

        def read(b: Backends) -> dict[str, str]:
            org, pat = b.seed.get("devops_org"), b.seed.get("devops_pat")
            if not org or not pat or b.devops.organization(org) is None:
                return {}
            return {"AZURE_DEVOPS_ORG_URL": b.devops.collection_uri(org), "AZURE_DEVOPS_EXT_PAT": pat}

        return self.call(read)

    def set_devops_server(self, version: str) -> ServerKind:
        """Answer as ``"services"`` (Azure DevOps Services, REST 7.1) or ``"2022"`` (Server 2022, 7.0)."""
        return self._do(lambda b: b.devops.directory.set_server(version))

    def create_project(self, org: str, name: str, *, project_id: str | None = None) -> str:
        """The project (made with its organization if missing; ``project_id``: the id it had where a
        definition naming it was copied from); answers its id."""

        def make(b: Backends) -> str:
            b.devops.create_organization(org, tenant_id=b.seed["tenant_id"])
            return b.devops.create_project(org, name, project_id=project_id).id

        return self._do(make)

    def create_user(self, org: str, email: str, display_name: str | None = None) -> Member:
        return self._do(lambda b: b.devops.directory.create_user(org, email, display_name))

    def create_group(self, org: str, project: str, name: str, members: tuple[str, ...] = ()) -> Member:
        """The group ``[project]\\name`` with these members (users' e-mails or groups' names)."""
        return self._do(lambda b: b.devops.directory.create_group(org, project, name, members))

    def issue_pat(self, org: str, user: str, name: str = "slotwise") -> str:
        """A new personal access token of ``user`` (e-mail); answers the token."""
        return self._do(lambda b: b.devops.directory.issue_pat(org, user, name).token)

    def create_queue(self, org: str, project: str, name: str, pool: str | None = None) -> AgentQueue:
        return self._do(lambda b: b.devops.directory.create_queue(org, project, name, pool))

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
        """The build definition (made if missing); ``definition_id``: the id it had in the
        organization a release definition naming it was copied from."""
        return self._do(
            lambda b: b.devops.directory.create_build_definition(
                org, project, name, queue=queue, path=path, definition_id=definition_id
            )
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
        """A completed build of the definition (by name or id) that published ``artifacts``
        (``{"drop": {"app.zip": b"..."}}``: name -> path inside the artifact -> content); a release
        job downloads them to ``$(System.DefaultWorkingDirectory)/<alias>/<name>/<path>``."""
        return self._do(
            lambda b: b.devops.directory.complete_build(
                org, project, definition, build_number=build_number, source_branch=source_branch,
                source_version=source_version, result=result, tags=tags, artifacts=artifacts,
            )
        )  # fmt: skip

    def create_variable_group(
        self,
        org: str,
        project: str,
        name: str,
        variables: Mapping[str, str],
        *,
        secrets: Mapping[str, str] | None = None,
        description: str = "",
    ) -> VariableGroup:
        """A variable group of the project with these plain and secret variables."""

        def make(b: Backends) -> VariableGroup:
            directory = b.devops.directory
            found = directory.organization(org)
            target = directory.project_or_404(found.name, project)
            values: dict[str, Any] = {k: {"value": v} for k, v in variables.items()}
            values |= {k: {"value": v, "isSecret": True} for k, v in (secrets or {}).items()}
            body = {"name": name, "description": description, "variables": values,
                    "variableGroupProjectReferences": [{"projectReference": {"id": target.id}}]}  # fmt: skip
            records = directory.records_of(found.name)
            admin = records.member_named(b.seed.get("devops_admin", ""))
            return devops_library.create(records, found, body, admin.id if admin else "", b.clock.now())

        return self._do(make)

    def install_extension(self, org: str, vsix_path: Path) -> Extension:
        """Install the extension of a .vsix (its tasks become the organization's)."""
        data = Path(vsix_path).read_bytes()

        def install(b: Backends) -> Extension:
            found = b.devops.directory.organization(org)
            extension = devops_tasks.read_vsix(data, b.clock.now())
            return devops_tasks.install(b.devops.directory.records_of(found.name), extension)

        return self._do(install)

    # ---- release definitions, as the portal makes and edits them ------------------------------------
    def load_release_definition(self, org: str, project: str, document: Mapping[str, Any]) -> int:
        """Store ``document`` as the portal would have (any JSON, e.g. exported from a real
        organization: nothing is checked against this one); answers its new id."""
        return self._do(lambda b: b.release.load(org, project, dict(document)))

    def edit_release_definition(
        self, org: str, project: str, definition_id: int, changes: Mapping[str, Any]
    ) -> int:
        """Change fields of a definition as someone in the portal would (dotted paths, list indices as
        numbers: ``{"environments.0.name": "QA"}``): a new revision, which it answers."""
        return self._do(lambda b: b.release.portal_edit(org, project, definition_id, dict(changes)))

    def release_definition(self, org: str, project: str, definition_id: int) -> dict[str, Any]:
        """The definition as stored now (every field, secrets' values left out as the API does)."""
        return self.call(lambda b: b.release.get(org, project, definition_id, "", None))
