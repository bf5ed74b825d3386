"""An Azure DevOps organization, opened: ``DevOpsOrganization`` (slotwise's ``Organization``) and
``open_organization``.

``open_organization`` connects (``devops.connect``: sign-in, the server's detection), then answers the
server, the raw release definitions (``devops.definitions``), the YAML pipelines' environments and
their checks (``devops.environments``), a resolver for a set of names read in
bulk (``devops.resolver``) and the names of a project's objects for export (``devops.directory``).
Listings read for one resolver are kept for the next (one organization, one command).

Must not: read the environment (``DevOpsSettings`` carries what it needs), or print.
"""

from __future__ import annotations

from collections.abc import Sequence

from slotwise.devops.connect import Connection
from slotwise.devops.definitions import RawReleaseDefinitions
from slotwise.devops.directory import Directory, DirectoryNames
from slotwise.devops.environments import RawChecks, RawEnvironments
from slotwise.devops.resolver import NetworkResolver
from slotwise.devops.settings import DevOpsSettings
from slotwise.release.gateway import Server
from slotwise.release.resolve import Reference
from slotwise.secrets import SecretRegistry
from slotwise.timing import Clock, SystemClock


class DevOpsOrganization:
    """One organization, signed in, through the ``azure-devops`` client."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._directory = Directory(connection)
        self._definitions = RawReleaseDefinitions(connection)
        self._environments = RawEnvironments(connection)
        self._checks = RawChecks(connection)

    @property
    def server(self) -> Server:
        return self.connection.server

    @property
    def definitions(self) -> RawReleaseDefinitions:
        return self._definitions

    @property
    def environments(self) -> RawEnvironments:
        return self._environments

    @property
    def checks(self) -> RawChecks:
        return self._checks

    def resolver(self, references: Sequence[Reference]) -> NetworkResolver:
        settings = self.connection.settings
        return NetworkResolver(self._directory, references, settings.environment, self.connection.secrets)

    def names(self, project: str) -> DirectoryNames:
        return DirectoryNames(self._directory)


def open_organization(
    settings: DevOpsSettings, *, clock: Clock | None = None, secrets: SecretRegistry | None = None
) -> DevOpsOrganization:
    """The organization ``settings`` name, connected and signed in (a few requests: the location
    handshake, connection data, resource areas); sleeping (retries) goes through ``clock``."""
    registry = secrets if secrets is not None else SecretRegistry()  # an empty registry is falsy
    return DevOpsOrganization(Connection(settings, clock or SystemClock(), registry))
