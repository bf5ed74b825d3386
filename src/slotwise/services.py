"""What an operation works with: ``Settings`` (where and as whom) and ``Services`` (the clients).

Operations (``slotwise.slots``) and the faces import these types; only ``slotwise.factory`` fills
them, from the environment or a service connection. The clients for hosts learned while an
operation runs (a slot's Kudu, its Functions host) come from ``Services.connections``, which the
factory provides, so a test can hand an operation other ones.

Must not: read the environment, build a client, or import the faces or the factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential

from slotwise.azure.arm import WebApps
from slotwise.azure.cloud import Cloud
from slotwise.azure.credentials import CredentialSettings
from slotwise.secrets import SecretRegistry
from slotwise.timing import Clock


@dataclass(frozen=True)
class Settings:
    """Where and as whom slotwise works."""

    cloud: Cloud
    subscription_id: str
    credential: CredentialSettings = field(default_factory=CredentialSettings)
    poll_interval: float = 1.0
    read_timeout: float | None = None  # seconds per ARM or Kudu answer; None: azure-core's 300 s
    ca_bundle: str | None = None  # the CA certificates to verify servers with; None: requests' default


class Connections(Protocol):
    """Builds the clients for hosts an operation learns of while it runs; each sleeps on ``clock``."""

    def scm(self, scm_host: str, clock: Clock) -> PipelineClient[Any, Any]:
        """A client for a slot's Kudu site (bearer auth with the ARM token)."""

    def host(self, host: str, clock: Clock) -> PipelineClient[Any, Any]:
        """A client for a slot's Functions host (keys go in each request)."""


@dataclass
class Services:
    """The clients one command works with, built once by the factory."""

    settings: Settings
    credential: TokenCredential
    web_apps: WebApps
    clock: Clock
    secrets: SecretRegistry
    connections: Connections

    def scm_client(self, scm_host: str) -> PipelineClient[Any, Any]:
        """A client for a slot's Kudu site, sleeping (retries) on this services' clock."""
        return self.connections.scm(scm_host, self.clock)

    def host_client(self, host: str) -> PipelineClient[Any, Any]:
        """A client for a slot's Functions host, sleeping (retries) on this services' clock."""
        return self.connections.host(host, self.clock)

    def close(self) -> None:
        self.web_apps.close()
