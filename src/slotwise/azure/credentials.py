"""Credentials for Azure, all from azure-identity: which one, built from settings the factory read.

``default`` is ``DefaultAzureCredential`` (environment variables, workload identity, managed
identity, Azure CLI, ...). The others are explicit: a service principal with a secret
(``secret``) or a certificate (``certificate``), a federated token in a file (``workload-identity``,
as AKS and other OIDC issuers provide it), a managed identity, the Azure CLI's sign-in
(``azure-cli``), or an Azure Pipelines service connection with workload identity federation
(``pipelines``, the pipeline face only). ``credential_from_env`` reads what one kind needs from the
environment mapping the factory hands it (the CLI's ``--auth`` / ``SLOTWISE_AUTH``): a variable that
kind needs and that is not set, or that names a file that is not there, is a ``ConfigError`` naming
the variable and the kind, before any request. The authority comes from the cloud; for an authority
Microsoft does not know (a private cloud, the local emulator) MSAL's instance discovery is switched
off, as az CLI does.

azure-identity logs every failure it then raises at WARNING (``reported_by_the_error`` tells the
faces which records those are): the error is translated at the boundary and reported once, so the
faces drop those records rather than print the service's words twice.

Must not: read ``os.environ`` (the factory passes the mapping), or put a secret in a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from azure.core.credentials import TokenCredential
from azure.identity import (
    AzureCliCredential,
    AzurePipelinesCredential,
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from slotwise.azure.cloud import Cloud
from slotwise.errors import ConfigError
from slotwise.text import remote

CredentialKind = Literal[
    "default", "secret", "certificate", "workload-identity", "managed-identity", "azure-cli", "pipelines"
]
AuthChoice = Literal["default", "secret", "certificate", "workload-identity", "managed-identity", "azure-cli"]
AUTH_CHOICES: tuple[AuthChoice, ...] = get_args(AuthChoice)  # what a person may choose (--auth)


@dataclass(frozen=True)
class CredentialSettings:
    """What to sign in with. Secrets are kept out of ``repr``."""

    kind: CredentialKind = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_data: bytes | None = field(default=None, repr=False)
    certificate_password: str | None = field(default=None, repr=False)
    token_file: str | None = None  # workload-identity: the federated token's file
    service_connection_id: str | None = None
    system_access_token: str | None = field(default=None, repr=False)


def reported_by_the_error(record: logging.LogRecord) -> bool:
    """Whether a log record is azure-identity telling of a failure it raises (and slotwise reports)."""
    return record.name.startswith("azure.identity") and record.levelno < logging.ERROR


# ---- from the environment (the CLI face) ---------------------------------------------------------------
TENANT, CLIENT = "AZURE_TENANT_ID", "AZURE_CLIENT_ID"
SECRET = "AZURE_CLIENT_SECRET"  # noqa: S105 (a variable name)
CERTIFICATE, CERTIFICATE_PASSWORD = "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD"
TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"  # noqa: S105 (a variable name)

_WHAT = {
    TENANT: "the directory (tenant) id of the identity",
    CLIENT: "the application (client) id of the identity",
    SECRET: "the service principal's client secret",
    CERTIFICATE: "the path of the service principal's certificate with its private key (PEM or PKCS#12)",
    TOKEN_FILE: "the path of the file holding the federated (OIDC) token",
}


class _Reader:
    """Reads the variables one kind needs, naming the kind and how it was chosen in every error."""

    def __init__(self, env: Mapping[str, str], kind: str, chosen_by: str) -> None:
        self.env, self.kind, self.chosen_by = env, kind, chosen_by

    def _hint(self, name: str) -> str:
        return (
            f"Set {name} to {_WHAT[name]}, or sign in another way: {self.chosen_by} "
            f"{' | '.join(AUTH_CHOICES)}."
        )

    def optional(self, name: str) -> str | None:
        return (self.env.get(name) or "").strip() or None

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise ConfigError(
                f"Signing in with {self.kind} ({self.chosen_by}) needs {name}, which is not set.",
                hint=self._hint(name),
            )
        return value

    def file(self, name: str) -> str:
        path = self.required(name)
        if not Path(path).is_file():
            what = "is a folder, not a file" if Path(path).exists() else "is not there"
            raise ConfigError(
                f"Signing in with {self.kind} ({self.chosen_by}) needs {name}, and the file it names "
                f"{what}: {remote(path, 300)}.",
                hint=self._hint(name),
            )
        return path


def _secret(read: _Reader) -> CredentialSettings:
    return CredentialSettings(
        kind="secret", tenant_id=read.required(TENANT), client_id=read.required(CLIENT),
        client_secret=read.required(SECRET),
    )  # fmt: skip


def _certificate(read: _Reader) -> CredentialSettings:
    return CredentialSettings(
        kind="certificate", tenant_id=read.required(TENANT), client_id=read.required(CLIENT),
        certificate_path=read.file(CERTIFICATE), certificate_password=read.optional(CERTIFICATE_PASSWORD),
    )  # fmt: skip


def _workload_identity(read: _Reader) -> CredentialSettings:
    return CredentialSettings(
        kind="workload-identity", tenant_id=read.required(TENANT), client_id=read.required(CLIENT),
        token_file=read.file(TOKEN_FILE),
    )  # fmt: skip


_FROM_ENV: dict[AuthChoice, Callable[[_Reader], CredentialSettings]] = {
    "default": lambda read: CredentialSettings(),
    "secret": _secret,
    "certificate": _certificate,
    "workload-identity": _workload_identity,
    "managed-identity": lambda read: CredentialSettings(
        kind="managed-identity", client_id=read.optional(CLIENT)
    ),
    "azure-cli": lambda read: CredentialSettings(kind="azure-cli"),
}


def auth_choice(value: str, chosen_by: str) -> AuthChoice:
    """``value`` as a way to sign in, or a ``ConfigError`` naming ``chosen_by`` and the choices."""
    if value not in AUTH_CHOICES:
        raise ConfigError(
            f"{chosen_by} names no way to sign in slotwise knows: '{remote(value, 40)}'.",
            hint=f"Set {chosen_by} to one of: {', '.join(AUTH_CHOICES)}.",
        )
    return value


def credential_from_env(env: Mapping[str, str], kind: AuthChoice, *, chosen_by: str) -> CredentialSettings:
    """What signing in as ``kind`` needs, from ``env``; ``chosen_by`` (``--auth``, ``SLOTWISE_AUTH``)
    is named in errors, with the variable that is missing."""
    return _FROM_ENV[kind](_Reader(env, kind, chosen_by))


# ---- building the credential ---------------------------------------------------------------------------
def _require(value: str | None, what: str, kind: str) -> str:
    if not value:
        raise ConfigError(f"Signing in with {kind} needs {what}.", hint=f"Give {what}.")
    return value


def _certificate_credential(settings: CredentialSettings, common: dict[str, Any]) -> TokenCredential:
    if not (settings.certificate_path or settings.certificate_data):
        raise ConfigError("Signing in with a certificate needs the certificate (PEM with its private key).")
    tenant = _require(settings.tenant_id, "a tenant id", "a certificate")
    client = _require(settings.client_id, "a client id", "a certificate")
    try:
        return CertificateCredential(
            tenant, client, certificate_path=settings.certificate_path,
            certificate_data=settings.certificate_data, password=settings.certificate_password, **common,
        )  # fmt: skip
    except (ValueError, TypeError):  # not a certificate, or its key's password missing or wrong
        if settings.certificate_path is None:
            raise  # the pipeline face words it for its service connection (its words may quote the data)
        raise ConfigError(
            f"The certificate in {remote(settings.certificate_path, 300)} could not be read: azure-identity "
            "needs the certificate with its private key (PEM, or PKCS#12).",
            hint=f"Point {CERTIFICATE} at the certificate with its private key; if the key is encrypted, set "
            f"{CERTIFICATE_PASSWORD} to its password.",
        ) from None


def _pipelines_credential(settings: CredentialSettings, common: dict[str, Any]) -> TokenCredential:
    how = "workload identity federation"
    return AzurePipelinesCredential(
        tenant_id=_require(settings.tenant_id, "a tenant id", how),
        client_id=_require(settings.client_id, "a client id", how),
        service_connection_id=_require(settings.service_connection_id, "the service connection id", how),
        system_access_token=_require(settings.system_access_token, "the job's System.AccessToken", how),
        **common,
    )


def _secret_credential(settings: CredentialSettings, common: dict[str, Any]) -> TokenCredential:
    return ClientSecretCredential(
        _require(settings.tenant_id, "a tenant id", "a client secret"),
        _require(settings.client_id, "a client id", "a client secret"),
        _require(settings.client_secret, "the client secret", "a client secret"),
        **common,
    )


def _workload_identity_credential(settings: CredentialSettings, common: dict[str, Any]) -> TokenCredential:
    how = "a federated token file"
    return WorkloadIdentityCredential(
        tenant_id=_require(settings.tenant_id, "a tenant id", how),
        client_id=_require(settings.client_id, "a client id", how),
        token_file_path=_require(settings.token_file, "the token file", how),
        **common,
    )


def _managed_identity_credential(settings: CredentialSettings, common: dict[str, Any]) -> TokenCredential:
    if settings.client_id:
        return ManagedIdentityCredential(client_id=settings.client_id)
    return ManagedIdentityCredential()


_BUILD: dict[CredentialKind, Callable[[CredentialSettings, dict[str, Any]], TokenCredential]] = {
    "default": lambda settings, common: DefaultAzureCredential(**common),
    "secret": _secret_credential,
    "certificate": _certificate_credential,
    "workload-identity": _workload_identity_credential,
    "managed-identity": _managed_identity_credential,
    "azure-cli": lambda settings, common: AzureCliCredential(),
    "pipelines": _pipelines_credential,
}


def build_credential(
    settings: CredentialSettings, cloud: Cloud, *, ca_bundle: str | None = None
) -> TokenCredential:
    """The azure-identity credential for ``settings`` in ``cloud``; its token requests verify the
    server with ``ca_bundle`` when one is given."""
    common: dict[str, Any] = {"authority": cloud.authority_host}
    if not cloud.is_known_authority:
        common["disable_instance_discovery"] = True
    if ca_bundle is not None:
        common["connection_verify"] = ca_bundle
    build = _BUILD.get(settings.kind)
    if build is None:
        raise ConfigError(f"Unknown credential kind '{settings.kind}'.")
    return build(settings, common)
