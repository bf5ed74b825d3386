"""The AzureRM service connection a task was given, read from the agent's ``ENDPOINT_*`` variables.

The agent passes each service connection a task references (the ``azureSubscription`` input holds
its id) as ``ENDPOINT_URL_<id>`` (the ARM URL), ``ENDPOINT_AUTH_SCHEME_<id>``,
``ENDPOINT_AUTH_PARAMETER_<id>_<KEY>`` and ``ENDPOINT_DATA_<id>_<KEY>`` (KEY upper-cased, the id as
given), and the same as JSON in ``ENDPOINT_AUTH_<id>`` / ``ENDPOINT_DATA_<id>`` (read as a fallback).
This module turns that into ``Settings`` for the factory:

- the credential by scheme (compared lower-cased): ``ServicePrincipal`` with a secret (``spnKey``)
  or a PEM certificate (``spnCertificate``); ``WorkloadIdentityFederation`` through azure-identity's
  ``AzurePipelinesCredential`` (connection id, tenant, client id and the job's own access token; it
  asks ``SYSTEM_OIDCREQUESTURI`` for the OIDC token itself); ``ManagedServiceIdentity`` (with the
  connection's ``msiclientId`` when it has one). ``PublishProfile`` is refused with a reason.
- the cloud from the connection itself: ARM at the endpoint URL, the authority from
  ``environmentAuthorityUrl`` / ``activeDirectoryAuthority``, ARM's audience from
  ``activeDirectoryServiceEndpointResourceId``: a connection that points at a sovereign cloud, Azure
  Stack or the local emulator needs no other setting.
- the subscription from ``subscriptionId``.

Every secret (service principal key, certificate, access tokens) is added to the run's
``SecretRegistry`` the moment it is read, so it is masked before anything could print it.
Must not: print, build clients (the factory does), or put a secret in an error message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from slotwise.azure.cloud import KNOWN_CLOUDS, Cloud, resolve_cloud
from slotwise.azure.credentials import CredentialSettings
from slotwise.errors import ConfigError
from slotwise.secrets import SecretRegistry
from slotwise.services import Settings

SYSTEM_CONNECTION = "SYSTEMVSSCONNECTION"
SECRET_PARAMETERS = frozenset(
    {"serviceprincipalkey", "serviceprincipalcertificate", "accesstoken", "password", "apitoken", "key"}
)
# authorities Microsoft's clouds answer on (connections often say login.windows.net)
_KNOWN_AUTHORITIES = {
    "login.microsoftonline.com": "AzureCloud",
    "login.windows.net": "AzureCloud",
    "login.microsoftonline.us": "AzureUSGovernment",
    "login.chinacloudapi.cn": "AzureChinaCloud",
}
_CONNECTION_HINT = (
    "Check the service connection named in the task's azureSubscription input: that it exists in this "
    "project and that this pipeline is authorized to use it."
)


@dataclass(frozen=True)
class ServiceConnection:
    """One service connection as the agent passed it. ``auth`` and ``data`` keys are lower-cased."""

    id: str
    url: str
    scheme: str  # as given (ServicePrincipal, ...)
    auth: Mapping[str, str] = field(default_factory=dict, repr=False)
    data: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.scheme.lower()

    def describe(self) -> str:
        """For the log: the scheme, how it signs in, the subscription and ARM's address. No secret."""
        certificate = self.auth.get("authenticationtype", "").lower() == "spncertificate"
        how = {
            "serviceprincipal": f"service principal with a {'certificate' if certificate else 'secret'}",
            "workloadidentityfederation": "workload identity federation",
            "managedserviceidentity": "managed identity",
        }.get(self.kind, self.scheme)
        subscription = self.data.get("subscriptionid") or "?"
        return f"{self.scheme} ({how}), subscription {subscription}, ARM {self.url}"


# ---- reading the variables -------------------------------------------------------------------------
def _json_object(env: Mapping[str, str], name: str) -> dict[str, Any]:
    raw = env.get(name)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ConfigError(f"The agent variable {name} is not valid JSON.", hint=_CONNECTION_HINT) from None
    return data if isinstance(data, dict) else {}


def _find_id(env: Mapping[str, str], connection_id: str) -> str | None:
    """The id as it appears in ``ENDPOINT_URL_<id>`` (exact, else compared case-insensitively)."""
    if f"ENDPOINT_URL_{connection_id}" in env:
        return connection_id
    wanted = f"ENDPOINT_URL_{connection_id}".upper()
    return next((key[len("ENDPOINT_URL_") :] for key in env if key.upper() == wanted), None)


def _prefixed(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    """``{key.lower(): value}`` of every variable ``<prefix><KEY>`` (prefix compared case-insensitively)."""
    upper = prefix.upper()
    return {key[len(prefix) :].lower(): value for key, value in env.items() if key.upper().startswith(upper)}


def register_secrets(env: Mapping[str, str], secrets: SecretRegistry) -> None:
    """Mask every endpoint secret in ``env`` (any connection, the job's token) before anything runs."""
    for key, value in env.items():
        upper = key.upper()
        if upper.startswith("ENDPOINT_AUTH_PARAMETER_") and any(
            upper.endswith("_" + name.upper()) for name in SECRET_PARAMETERS
        ):
            secrets.add(value)
        elif upper.startswith("ENDPOINT_AUTH_") and not upper.startswith(
            ("ENDPOINT_AUTH_SCHEME_", "ENDPOINT_AUTH_PARAMETER_")
        ):
            try:
                data = json.loads(value)
            except ValueError:
                continue
            parameters = data.get("parameters") if isinstance(data, dict) else None
            for name, secret in (parameters or {}).items() if isinstance(parameters, dict) else ():
                if str(name).lower() in SECRET_PARAMETERS and isinstance(secret, str):
                    secrets.add(secret)
    secrets.add(env.get("SYSTEM_ACCESSTOKEN"))


def read_connection(
    env: Mapping[str, str],
    connection_id: str,
    *,
    secrets: SecretRegistry,
    input_label: str = "'azureSubscription'",
) -> ServiceConnection:
    """The service connection ``connection_id``; a ``ConfigError`` naming the input if the agent
    did not pass it (unknown, or not authorized for this pipeline)."""
    found = _find_id(env, connection_id.strip())
    if found is None:
        raise ConfigError(
            f"The service connection '{connection_id}' given in the input {input_label} was not passed to "
            "this task: it does not exist, or it is not authorized for this pipeline.",
            hint=f"{_CONNECTION_HINT} A new pipeline: open its run and choose 'Permit' for the connection.",
        )
    auth_json = _json_object(env, f"ENDPOINT_AUTH_{found}")
    json_parameters = auth_json.get("parameters") if isinstance(auth_json.get("parameters"), dict) else {}
    auth = {str(k).lower(): str(v) for k, v in (json_parameters or {}).items() if v is not None}
    auth.update(_prefixed(env, f"ENDPOINT_AUTH_PARAMETER_{found}_"))
    for name, value in auth.items():
        if name in SECRET_PARAMETERS:
            secrets.add(value)
    data = {
        str(k).lower(): str(v)
        for k, v in _json_object(env, f"ENDPOINT_DATA_{found}").items()
        if v is not None
    }
    data.update(_prefixed(env, f"ENDPOINT_DATA_{found}_"))
    scheme = env.get(f"ENDPOINT_AUTH_SCHEME_{found}") or str(auth_json.get("scheme") or "")
    return ServiceConnection(
        id=found, url=env[f"ENDPOINT_URL_{found}"].strip(), scheme=scheme.strip(), auth=auth, data=data
    )


# ---- into settings ---------------------------------------------------------------------------------
def cloud_of(connection: ServiceConnection) -> Cloud:
    """The cloud the connection points at: a known cloud when its ARM URL and authority are that
    cloud's, else a custom one at exactly the connection's endpoints."""
    arm = connection.url.rstrip("/") or None
    data = connection.data
    authority = data.get("environmentauthorityurl") or data.get("activedirectoryauthority")
    audience = connection.data.get("activedirectoryserviceendpointresourceid") or None
    known = next((c for c in KNOWN_CLOUDS.values() if arm and arm.lower() == c.arm_endpoint.lower()), None)
    authority_cloud = _KNOWN_AUTHORITIES.get(urlparse(authority or "").hostname or "") if authority else None
    if known is not None and (authority is None or authority_cloud == known.name):
        return resolve_cloud(known.name, arm_audience=audience)
    if not arm:
        raise ConfigError(f"The service connection '{connection.id}' has no URL.", hint=_CONNECTION_HINT)
    return resolve_cloud(
        None,
        arm_endpoint=arm,
        authority_host=authority.rstrip("/") if authority else None,
        arm_audience=audience,
    )


def _need(connection: ServiceConnection, value: str | None, what: str) -> str:
    if not value or not value.strip():
        raise ConfigError(
            f"The service connection '{connection.id}' ({connection.scheme}) has no {what}.",
            hint="Edit the service connection in Project settings > Service connections, or recreate it.",
        )
    return value.strip()


def _service_principal(connection: ServiceConnection, env: Mapping[str, str]) -> CredentialSettings:
    auth = connection.auth
    tenant = _need(connection, auth.get("tenantid"), "tenant id")
    client = _need(connection, auth.get("serviceprincipalid"), "service principal (client) id")
    if auth.get("authenticationtype", "spnKey").lower() == "spncertificate":
        pem = _need(connection, auth.get("serviceprincipalcertificate"), "certificate")
        return CredentialSettings(
            kind="certificate", tenant_id=tenant, client_id=client, certificate_data=pem.encode()
        )
    secret = _need(connection, auth.get("serviceprincipalkey"), "service principal key (secret)")
    return CredentialSettings(kind="secret", tenant_id=tenant, client_id=client, client_secret=secret)


def system_access_token(env: Mapping[str, str]) -> str | None:
    """The job's own OAuth token: the ``SYSTEMVSSCONNECTION`` endpoint's, else ``SYSTEM_ACCESSTOKEN``."""
    return (
        env.get(f"ENDPOINT_AUTH_PARAMETER_{SYSTEM_CONNECTION}_ACCESSTOKEN")
        or _json_parameter(env, f"ENDPOINT_AUTH_{SYSTEM_CONNECTION}", "accesstoken")
        or env.get("SYSTEM_ACCESSTOKEN")
        or None
    )


def _json_parameter(env: Mapping[str, str], name: str, key: str) -> str | None:
    try:
        parameters = _json_object(env, name).get("parameters")
    except ConfigError:
        return None
    if not isinstance(parameters, dict):
        return None
    return next((str(v) for k, v in parameters.items() if str(k).lower() == key and v), None)


def _workload_identity(connection: ServiceConnection, env: Mapping[str, str]) -> CredentialSettings:
    auth = connection.auth
    tenant = _need(connection, auth.get("tenantid"), "tenant id")
    client = _need(connection, auth.get("serviceprincipalid"), "service principal (client) id")
    if not env.get("SYSTEM_OIDCREQUESTURI"):
        raise ConfigError(
            "Workload identity federation needs SYSTEM_OIDCREQUESTURI, which the agent did not set: this "
            "agent or Azure DevOps Server cannot issue OIDC tokens to tasks.",
            hint="Run on an agent version that supports workload identity federation (Azure DevOps "
            "Services), or use a service connection with a secret or certificate.",
        )
    token = system_access_token(env)
    if not token:
        raise ConfigError(
            "Workload identity federation needs the job's access token (System.AccessToken), and the agent "
            "did not pass it.",
            hint="Check that the job may use its OAuth token (classic: 'Allow scripts to access the OAuth "
            "token'; YAML: the token is on by default unless the job's permissions were restricted).",
        )
    return CredentialSettings(
        kind="pipelines",
        tenant_id=tenant,
        client_id=client,
        service_connection_id=connection.id,
        system_access_token=token,
    )


def _managed_identity(connection: ServiceConnection, env: Mapping[str, str]) -> CredentialSettings:
    return CredentialSettings(kind="managed-identity", client_id=connection.data.get("msiclientid") or None)


def _publish_profile(connection: ServiceConnection, env: Mapping[str, str]) -> CredentialSettings:
    raise ConfigError(
        f"The service connection '{connection.id}' uses a publish profile, which slotwise does not support: "
        "swaps, holds and keys need Azure Resource Manager.",
        hint="Use an Azure Resource Manager connection with workload identity federation (recommended), a "
        "service principal or a managed identity.",
    )


CREDENTIALS = {
    "serviceprincipal": _service_principal,
    "workloadidentityfederation": _workload_identity,
    "managedserviceidentity": _managed_identity,
    "publishprofile": _publish_profile,
}


def credential_of(connection: ServiceConnection, env: Mapping[str, str]) -> CredentialSettings:
    build = CREDENTIALS.get(connection.kind)
    if build is None:
        raise ConfigError(
            f"The service connection '{connection.id}' uses the scheme '{connection.scheme or '(none)'}', "
            "which slotwise does not know.",
            hint="Use an Azure Resource Manager connection (workload identity federation, service principal "
            "or managed identity).",
        )
    return build(connection, env)


def settings_of(connection: ServiceConnection, env: Mapping[str, str]) -> Settings:
    """Where and as whom to work, all from the connection."""
    credential = credential_of(connection, env)
    subscription = _need(connection, connection.data.get("subscriptionid"), "subscription id")
    if connection.data.get("scopelevel", "").lower() == "managementgroup":
        raise ConfigError(
            f"The service connection '{connection.id}' is scoped to a management group; slotwise needs a "
            "subscription.",
            hint="Use a service connection scoped to the subscription (or resource group) of the app.",
        )
    return Settings(cloud=cloud_of(connection), subscription_id=subscription, credential=credential)
