"""What counts as a connection among app settings, and which storage account a setting points at.

Owns the patterns: a value that is a connection string (storage, SQL, Service Bus, Event Hubs,
Cosmos DB, Redis, a URL with credentials), a Key Vault URI or reference, or a name that says it is
one (``...ConnectionString``, identity-based connections' ``__serviceUri``, ``__accountName``,
``__fullyQualifiedNamespace``...). Pure functions on names and values; the values are never returned
or put into text. Must not: read Azure, or print.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_VALUE = re.compile(
    r"(accountkey=|sharedaccesskey=|sharedaccesssignature=|defaultendpointsprotocol=|"
    r"usedevelopmentstorage=true|endpoint=sb://|accountendpoint=|"
    r"(server|data source|host|address)=[^;]+;.*(database|initial catalog)=|"
    r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@|^@microsoft\.keyvault\(|"
    r"\.vault\.azure\.(net|cn|us)|\.servicebus\.windows\.net|\.documents\.azure\.com|"
    r"\.database\.windows\.net|\.redis\.cache\.windows\.net|\.(blob|queue|table|file)\.core\.windows\.net)",
    re.IGNORECASE,
)
_NAME = re.compile(
    r"(connectionstring|connstr|^azurewebjobsstorage$|"
    r"__(serviceuri|blobserviceuri|queueserviceuri|tableserviceuri|fullyqualifiednamespace|"
    r"accountname|accountendpoint)$|keyvault(uri|url|name)?$|vault(uri|url)$)",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(r"accountname=([^;]+)", re.IGNORECASE)
_HOST = re.compile(r"https?://([^./]+)\.", re.IGNORECASE)


def looks_like_connection(name: str, value: str) -> bool:
    """Whether the app setting ``name`` = ``value`` is a connection (or a Key Vault URI/reference)."""
    return bool(_NAME.search(name) or _VALUE.search(value))


def storage_account(setting: Callable[[str], str | None], prefix: str) -> str | None:
    """The storage account the connection ``prefix`` (``AzureWebJobsStorage``) of a slot points at:
    its connection string's AccountName, else the identity-based ``<prefix>__accountName`` or the
    account in ``<prefix>__blobServiceUri``; the whole value when no account can be told (a Key
    Vault reference, the development storage); None when the slot has no such connection. Lower-case."""
    value = setting(prefix)
    if value:
        found = _ACCOUNT.search(value)
        return (found.group(1) if found else value).strip().lower()
    account = setting(f"{prefix}__accountName")
    if account:
        return account.strip().lower()
    uri = setting(f"{prefix}__blobServiceUri") or setting(f"{prefix}__serviceUri")
    found = _HOST.search(uri or "")
    return found.group(1).lower() if found else None
