"""The only place that reads the environment and builds clients.

``environment()`` is the process environment, read once by each face (the CLI's context, the
agent's entry point) and handed on as a mapping; ``settings_from_env`` turns such a mapping (and
command-line overrides) into ``Settings``; ``build_services`` turns settings into the clients
operations use (``slotwise.services``). Both faces come through here, so an operation never reads
``os.environ`` and never builds a client.

Environment variables read:

- ``AZURE_SUBSCRIPTION_ID``: the subscription (or ``--subscription``); a GUID, checked here
- ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``: the CA certificates to trust, as requests reads
  them, handed to every connection slotwise makes (``Settings.ca_bundle``: ARM, Kudu, the Functions
  hosts, the token requests); a path that is not there, or holds no certificate, is refused here,
  naming the variable, before anything is asked of Azure (it would look like a sign-in failure)
- ``SLOTWISE_CLOUD``: ``AzureCloud`` (default), ``AzureUSGovernment``, ``AzureChinaCloud``
- ``SLOTWISE_ARM_ENDPOINT``: the ARM endpoint, for other clouds (and the local emulator)
- ``AZURE_AUTHORITY_HOST``: the Entra ID authority (azure-identity reads it too)
- ``SLOTWISE_ARM_AUDIENCE``: ARM's token audience, if not the cloud's default
- ``SLOTWISE_HTTP_TIMEOUT``: seconds to wait for an answer from ARM or Kudu before the request counts
  as failed (and is retried when that is safe); default azure-core's 300
- ``SLOTWISE_AUTH`` (or ``--auth``): how to sign in: ``default`` (``DefaultAzureCredential``, which
  reads the process environment itself: ``AZURE_CLIENT_ID``, ``AZURE_TENANT_ID``,
  ``AZURE_CLIENT_SECRET`` or ``AZURE_CLIENT_CERTIFICATE_PATH``, workload identity, managed identity,
  az login), or one credential: ``secret``, ``certificate``, ``workload-identity``,
  ``managed-identity``, ``azure-cli``, whose variables ``slotwise.azure.credentials`` reads from the
  mapping given; the pipeline face passes explicit ``CredentialSettings`` instead.
- Azure DevOps (``devops_settings``, for ``slotwise.devops.organization.open_organization``; the
  factory does not import the client, which the pipeline tasks' runtime does not have):
  ``AZURE_DEVOPS_ORG_URL``, else ``SYSTEM_COLLECTIONURI`` (or ``--org``): the organization;
  ``AZURE_DEVOPS_EXT_PAT`` or ``AZDO_PERSONAL_ACCESS_TOKEN``: a personal access token; else
  ``SYSTEM_ACCESSTOKEN``: a pipeline job's token; else an Entra ID token from the credential
  ``SLOTWISE_AUTH`` (or ``--auth``) chooses. The CA bundle and ``SLOTWISE_HTTP_TIMEOUT`` as above;
  the whole mapping is kept for the release variables a spec takes ``fromEnv``.
  (``AZURE_DEVOPS_CACHE_DIR``, where the ``azure-devops`` client caches the servers' resource
  locations, is read by the client itself.)
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.mgmt.web import WebSiteManagementClient

from slotwise.azure.arm import WebApps
from slotwise.azure.cloud import Cloud, resolve_cloud
from slotwise.azure.credentials import (
    AuthChoice,
    CredentialSettings,
    auth_choice,
    build_credential,
    credential_from_env,
)
from slotwise.azure.http import SlotwiseTransport, build_client, retry_policy
from slotwise.devops.settings import DevOpsSettings, EntraSignIn, token_from_env
from slotwise.devops.settings import org_url as choose_org_url
from slotwise.errors import ConfigError
from slotwise.secrets import SecretRegistry
from slotwise.services import Services, Settings
from slotwise.text import remote
from slotwise.timing import Clock, SystemClock

if TYPE_CHECKING:
    pass

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
GUID_EXAMPLE = "00000000-0000-0000-0000-000000000000"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def environment() -> dict[str, str]:
    """The process environment, as it is now (a copy: later changes do not reach it)."""
    return dict(os.environ)


def settings_from_env(
    env: Mapping[str, str],
    *,
    subscription: str | None = None,
    credential: CredentialSettings | None = None,
    auth: AuthChoice | None = None,
) -> Settings:
    """Settings from environment variables, with explicit values winning (``auth``: the ``--auth``
    option, over ``SLOTWISE_AUTH``); all checked (a ``ConfigError``, exit 2, naming the option or
    variable) before any client exists."""
    ca_bundle = check_ca_bundles(env)
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
        credential=credential or _credential(env, auth),
        read_timeout=_read_timeout(env.get("SLOTWISE_HTTP_TIMEOUT") or None),
        ca_bundle=ca_bundle,
    )


def _credential(env: Mapping[str, str], auth: AuthChoice | None) -> CredentialSettings:
    """How to sign in: ``auth`` (the ``--auth`` option) if given, else ``SLOTWISE_AUTH``, else default."""
    if auth is not None:
        return credential_from_env(env, auth, chosen_by="--auth")
    chosen = (env.get("SLOTWISE_AUTH") or "").strip()
    if not chosen:
        return CredentialSettings()
    return credential_from_env(env, auth_choice(chosen, "SLOTWISE_AUTH"), chosen_by="SLOTWISE_AUTH")


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


def check_ca_bundles(env: Mapping[str, str]) -> str | None:
    """The CA bundle in effect (the one requests would use: ``REQUESTS_CA_BUNDLE``, else
    ``CURL_CA_BUNDLE``; a directory of certificates is fine there too), or None. One set to a path
    that is not there, or to a file holding no certificate, is a ``ConfigError`` naming the variable
    and the path. ``SSL_CERT_FILE`` is not checked: every slotwise connection goes through requests,
    which never reads it, so a stale value there harms nothing slotwise does."""
    name = next((name for name in CA_VARIABLES if env.get(name)), None)
    if name is None:
        return None
    path, shown = Path(env[name]), remote(env[name], 300)
    if path.is_dir():
        return env[name]
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
    return env[name]


def transport(settings: Settings, clock: Clock) -> SlotwiseTransport:
    """A transport for ARM or Kudu, sleeping on ``clock``, with the read timeout if one is set."""
    options: dict[str, Any] = {}
    if settings.read_timeout is not None:
        options["read_timeout"] = settings.read_timeout
    if settings.ca_bundle is not None:
        options["connection_verify"] = settings.ca_bundle
    return SlotwiseTransport(clock.sleep, **options)


@dataclass(frozen=True)
class _Connections:
    """The factory's ``Connections``: Kudu and Functions host clients for ``settings``."""

    settings: Settings
    credential: TokenCredential

    def scm(self, scm_host: str, clock: Clock) -> PipelineClient[Any, Any]:
        return build_client(
            f"https://{scm_host}",
            transport=transport(self.settings, clock),
            credential=self.credential,
            scope=self.settings.cloud.arm_scope,
            retry=retry_policy(post=True),
        )

    def host(self, host: str, clock: Clock) -> PipelineClient[Any, Any]:
        verify = {} if self.settings.ca_bundle is None else {"connection_verify": self.settings.ca_bundle}
        return build_client(
            f"https://{host}", transport=SlotwiseTransport(clock.sleep, **verify), retry=retry_policy()
        )


def build_services(
    settings: Settings, *, clock: Clock | None = None, secrets: SecretRegistry | None = None
) -> Services:
    """The clients for ``settings``; sleeping (retries, polls) goes through ``clock``."""
    clock = clock or SystemClock()
    credential = build_credential(settings.credential, settings.cloud, ca_bundle=settings.ca_bundle)
    client = WebSiteManagementClient(
        credential,
        settings.subscription_id,
        base_url=settings.cloud.arm_endpoint,
        credential_scopes=[settings.cloud.arm_scope],
        transport=transport(settings, clock),
        retry_policy=retry_policy(),
    )
    return Services(
        settings=settings,
        credential=credential,
        web_apps=WebApps(client, poll_interval=settings.poll_interval),
        clock=clock,
        secrets=secrets if secrets is not None else SecretRegistry(),
        connections=_Connections(settings, credential),
    )


def devops_settings(
    env: Mapping[str, str], org_url: str | None = None, *, auth: AuthChoice | None = None
) -> DevOpsSettings:
    """Where the Azure DevOps organization is and how to sign in to it (``slotwise.devops.settings``):
    ``org_url`` (``--org``), else ``AZURE_DEVOPS_ORG_URL``, else ``SYSTEM_COLLECTIONURI``; a PAT from
    ``AZURE_DEVOPS_EXT_PAT`` or ``AZDO_PERSONAL_ACCESS_TOKEN``, else ``SYSTEM_ACCESSTOKEN``, else an
    Entra ID token from the credential ``auth`` (``--auth``), else ``SLOTWISE_AUTH``, else the default
    chooses (an explicit ``--auth`` wins over the token variables). All checked before any request."""
    url, given_by = choose_org_url(org_url, env)
    ca_bundle = check_ca_bundles(env)
    token = None if auth is not None else token_from_env(env)
    sign_in = token or EntraSignIn(_credential(env, auth), _cloud(env), _chosen_by(env, auth))
    return DevOpsSettings(
        org_url=url,
        org_given_by=given_by,
        sign_in=sign_in,
        ca_bundle=ca_bundle,
        timeout=_read_timeout(env.get("SLOTWISE_HTTP_TIMEOUT") or None),
        environment=dict(env),
    )


def _cloud(env: Mapping[str, str]) -> Cloud:
    return resolve_cloud(
        env.get("SLOTWISE_CLOUD") or None,
        arm_endpoint=env.get("SLOTWISE_ARM_ENDPOINT") or None,
        authority_host=env.get("AZURE_AUTHORITY_HOST") or None,
        arm_audience=env.get("SLOTWISE_ARM_AUDIENCE") or None,
    )


def _chosen_by(env: Mapping[str, str], auth: AuthChoice | None) -> str:
    """How the Entra ID credential was chosen, for messages."""
    if auth is not None:
        return "--auth"
    return "SLOTWISE_AUTH" if (env.get("SLOTWISE_AUTH") or "").strip() else "slotwise's default"
