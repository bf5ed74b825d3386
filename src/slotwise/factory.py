"""The only place that reads the environment and builds clients.

``settings_from_env`` turns environment variables (and command-line overrides) into ``Settings``;
``build_services`` turns settings into the clients operations use. Both faces (CLI and pipeline
agent) come through here, so an operation never reads ``os.environ`` and never builds a client.

Environment variables read:

- ``AZURE_SUBSCRIPTION_ID``: the subscription (or ``--subscription``); a GUID, checked here
- ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``: the CA certificates to trust (read by requests,
  which every slotwise connection goes through); a path that is not there, or holds no certificate,
  is refused here, naming the variable, before anything is asked of Azure (it would look like a
  sign-in failure)
- ``SLOTWISE_CLOUD``: ``AzureCloud`` (default), ``AzureUSGovernment``, ``AzureChinaCloud``
- ``SLOTWISE_ARM_ENDPOINT``: the ARM endpoint, for other clouds (and the local emulator)
- ``AZURE_AUTHORITY_HOST``: the Entra ID authority (azure-identity reads it too)
- ``SLOTWISE_ARM_AUDIENCE``: ARM's token audience, if not the cloud's default
- ``SLOTWISE_HTTP_TIMEOUT``: seconds to wait for an answer from ARM or Kudu before the request counts
  as failed (and is retried when that is safe); default azure-core's 300
- credentials: whatever ``DefaultAzureCredential`` reads (``AZURE_CLIENT_ID``, ``AZURE_TENANT_ID``,
  ``AZURE_CLIENT_SECRET`` or ``AZURE_CLIENT_CERTIFICATE_PATH``, workload identity, managed identity,
  az login), unless the pipeline face passes explicit ``CredentialSettings``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.mgmt.web import WebSiteManagementClient

from slotwise.azure.arm import WebApps
from slotwise.azure.cloud import Cloud, resolve_cloud
from slotwise.azure.credentials import CredentialSettings, build_credential
from slotwise.azure.http import SlotwiseTransport, build_client, retry_policy
from slotwise.errors import ConfigError
from slotwise.secrets import SecretRegistry
from slotwise.text import remote
from slotwise.timing import Clock, SystemClock

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
GUID_EXAMPLE = "00000000-0000-0000-0000-000000000000"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class Settings:
    """Where and as whom slotwise works."""

    cloud: Cloud
    subscription_id: str
    credential: CredentialSettings = field(default_factory=CredentialSettings)
    poll_interval: float = 1.0
    read_timeout: float | None = None  # seconds per ARM or Kudu answer; None: azure-core's 300 s

    def transport(self, clock: Clock) -> SlotwiseTransport:
        """A transport for ARM or Kudu, sleeping on ``clock``, with the read timeout if one is set."""
        if self.read_timeout is None:
            return SlotwiseTransport(clock.sleep)
        return SlotwiseTransport(clock.sleep, read_timeout=self.read_timeout)


def settings_from_env(
    env: Mapping[str, str],
    *,
    subscription: str | None = None,
    credential: CredentialSettings | None = None,
) -> Settings:
    """Settings from environment variables, with explicit values winning; all checked (a
    ``ConfigError``, exit 2, naming the option or variable) before any client exists."""
    check_ca_bundles(env)
    cloud = resolve_cloud(
        env.get("SLOTWISE_CLOUD") or None,
        arm_endpoint=env.get("SLOTWISE_ARM_ENDPOINT") or None,
        authority_host=env.get("AZURE_AUTHORITY_HOST") or None,
        arm_audience=env.get("SLOTWISE_ARM_AUDIENCE") or None,
    )
    fix = "`az account show --query id -o tsv` prints the id of the subscription you are signed in to."
    if subscription:
        subscription_id = checked_subscription(subscription, "--subscription", f"Pass the id. {fix}")
    elif env.get("AZURE_SUBSCRIPTION_ID"):
        given = env["AZURE_SUBSCRIPTION_ID"]
        subscription_id = checked_subscription(given, "AZURE_SUBSCRIPTION_ID", f"Set it to the id. {fix}")
    else:
        raise ConfigError(
            "No subscription given.",
            hint="Pass --subscription, or set AZURE_SUBSCRIPTION_ID (az account show --query id -o tsv).",
        )
    return Settings(
        cloud=cloud,
        subscription_id=subscription_id,
        credential=credential or CredentialSettings(),
        read_timeout=_read_timeout(env.get("SLOTWISE_HTTP_TIMEOUT") or None),
    )


MAX_READ_TIMEOUT = 3600.0


def _read_timeout(text: str | None) -> float | None:
    """``SLOTWISE_HTTP_TIMEOUT`` as seconds (None when unset); ConfigError naming it otherwise."""
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= MAX_READ_TIMEOUT:  # also refuses nan and inf
        raise ConfigError(
            f"SLOTWISE_HTTP_TIMEOUT must be a number of seconds above 0 and at most {MAX_READ_TIMEOUT:g}, "
            f"not '{text[:40]}'.",
            hint="Unset it to wait azure-core's default of 300 s for each answer.",
        )
    return seconds


def checked_subscription(value: str, given_as: str, hint: str) -> str:
    """``value`` (trimmed) if it is a subscription id (a GUID), else a ``ConfigError`` naming
    ``given_as`` (the option, variable or service connection it came from). The value itself is not
    repeated: whatever was put there by mistake stays out of the log."""
    trimmed = value.strip()
    if _GUID.fullmatch(trimmed):
        return trimmed
    raise ConfigError(
        f"The subscription given by {given_as} is not a subscription id: a subscription id is a GUID "
        f"such as {GUID_EXAMPLE} (not the subscription's name).",
        hint=hint,
    )


def check_ca_bundles(env: Mapping[str, str]) -> None:
    """A CA bundle variable in effect set to a path that is not there, or to a file holding no
    certificate, is a ``ConfigError`` naming the variable and the path. In effect: the one requests
    uses (``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``; a directory of certificates is fine there
    too). ``SSL_CERT_FILE`` is not checked: every slotwise connection goes through requests, which
    never reads it, so a stale value there harms nothing slotwise does."""
    name = next((name for name in CA_VARIABLES if env.get(name)), None)
    if name is None:
        return
    path, shown = Path(env[name]), remote(env[name], 300)
    if path.is_dir():
        return
    hint = f"Point {name} at a PEM file of the CA certificates to trust, or unset it to trust the defaults."
    if not path.is_file():
        what = "is a folder, not a file" if path.exists() else "is not there"
        raise ConfigError(f"{name} names a CA bundle that {what}: {shown}.", hint=hint)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise ConfigError(
            f"{name} names a file that holds no CA certificate (PEM) Python can read: {shown}.",
            hint=hint,
        ) from None


@dataclass
class Services:
    """The clients one command works with, built once."""

    settings: Settings
    credential: TokenCredential
    web_apps: WebApps
    clock: Clock
    secrets: SecretRegistry
    transport: SlotwiseTransport

    def scm_client(self, scm_host: str) -> PipelineClient[Any, Any]:
        """An azure-core pipeline client for a slot's Kudu site (bearer auth with the ARM token)."""
        return build_client(
            f"https://{scm_host}",
            transport=self.settings.transport(self.clock),
            credential=self.credential,
            scope=self.settings.cloud.arm_scope,
            retry=retry_policy(post=True),
        )

    def host_client(self, host: str) -> PipelineClient[Any, Any]:
        """An azure-core pipeline client for a slot's Functions host (keys go in each request)."""
        return build_client(
            f"https://{host}", transport=SlotwiseTransport(self.clock.sleep), retry=retry_policy()
        )

    def close(self) -> None:
        self.web_apps.close()


def build_services(
    settings: Settings, *, clock: Clock | None = None, secrets: SecretRegistry | None = None
) -> Services:
    """The clients for ``settings``; sleeping (retries, polls) goes through ``clock``."""
    clock = clock or SystemClock()
    transport = settings.transport(clock)
    credential = build_credential(settings.credential, settings.cloud)
    client = WebSiteManagementClient(
        credential,
        settings.subscription_id,
        base_url=settings.cloud.arm_endpoint,
        credential_scopes=[settings.cloud.arm_scope],
        transport=transport,
        retry_policy=retry_policy(),
    )
    return Services(
        settings=settings,
        credential=credential,
        web_apps=WebApps(client, poll_interval=settings.poll_interval),
        clock=clock,
        secrets=secrets or SecretRegistry(),
        transport=transport,
    )
