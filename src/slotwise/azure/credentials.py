"""Credentials for Azure, all from azure-identity: which one, built from settings the factory read.

``default`` is ``DefaultAzureCredential`` (environment variables, workload identity, managed
identity, Azure CLI, ...). The others are explicit: a service principal with a secret or a
certificate, an Azure Pipelines service connection with workload identity federation, a managed
identity. The authority comes from the cloud; for an authority Microsoft does not know (a private
cloud, the local emulator) MSAL's instance discovery is switched off, as az CLI does.

azure-identity logs every failure it then raises at WARNING (``reported_by_the_error`` tells the
faces which records those are): the error is translated at the boundary and reported once, so the
faces drop those records rather than print the service's words twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from azure.core.credentials import TokenCredential
from azure.identity import (
    AzurePipelinesCredential,
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)

from slotwise.azure.cloud import Cloud
from slotwise.errors import ConfigError

CredentialKind = Literal["default", "client-secret", "client-certificate", "pipelines", "managed-identity"]


@dataclass(frozen=True)
class CredentialSettings:
    """What to sign in with. Secrets are kept out of ``repr``."""

    kind: CredentialKind = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_data: bytes | None = field(default=None, repr=False)
    service_connection_id: str | None = None
    system_access_token: str | None = field(default=None, repr=False)


def reported_by_the_error(record: logging.LogRecord) -> bool:
    """Whether a log record is azure-identity telling of a failure it raises (and slotwise reports)."""
    return record.name.startswith("azure.identity") and record.levelno < logging.ERROR


def _require(value: str | None, what: str, kind: str) -> str:
    if not value:
        raise ConfigError(f"Signing in with {kind} needs {what}.", hint=f"Give {what}.")
    return value


def build_credential(settings: CredentialSettings, cloud: Cloud) -> TokenCredential:
    """The azure-identity credential for ``settings`` in ``cloud``."""
    common: dict[str, object] = {"authority": cloud.authority_host}
    if not cloud.is_known_authority:
        common["disable_instance_discovery"] = True
    kind = settings.kind
    if kind == "default":
        return DefaultAzureCredential(**common)
    if kind == "client-secret":
        return ClientSecretCredential(
            _require(settings.tenant_id, "a tenant id", "a client secret"),
            _require(settings.client_id, "a client id", "a client secret"),
            _require(settings.client_secret, "the client secret", "a client secret"),
            **common,
        )
    if kind == "client-certificate":
        if not (settings.certificate_path or settings.certificate_data):
            raise ConfigError(
                "Signing in with a certificate needs the certificate (PEM with its private key)."
            )
        return CertificateCredential(
            _require(settings.tenant_id, "a tenant id", "a certificate"),
            _require(settings.client_id, "a client id", "a certificate"),
            certificate_path=settings.certificate_path,
            certificate_data=settings.certificate_data,
            **common,
        )
    if kind == "pipelines":
        return AzurePipelinesCredential(
            tenant_id=_require(settings.tenant_id, "a tenant id", "workload identity federation"),
            client_id=_require(settings.client_id, "a client id", "workload identity federation"),
            service_connection_id=_require(
                settings.service_connection_id, "the service connection id", "workload identity federation"
            ),
            system_access_token=_require(
                settings.system_access_token, "the job's System.AccessToken", "workload identity federation"
            ),
            **common,
        )
    if kind == "managed-identity":
        return (
            ManagedIdentityCredential(client_id=settings.client_id)
            if settings.client_id
            else (ManagedIdentityCredential())
        )
    raise ConfigError(f"Unknown credential kind '{kind}'.")
