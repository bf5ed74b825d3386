"""Which Azure cloud slotwise talks to: the ARM endpoint, the Entra ID authority and ARM's audience.

The public cloud is the default; sovereign clouds are known by name; any endpoint can be given
explicitly (that is also how the local emulator is reached: nothing here knows about it).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from slotwise.errors import ConfigError


@dataclass(frozen=True)
class Cloud:
    """Endpoints of one Azure cloud."""

    name: str
    arm_endpoint: str  # https://management.azure.com
    authority_host: str  # https://login.microsoftonline.com
    arm_audience: str  # https://management.azure.com/  (token scope = audience + ".default")

    @property
    def arm_scope(self) -> str:
        return self.arm_audience.rstrip("/") + "/.default"

    @property
    def is_known_authority(self) -> bool:
        """Whether MSAL can validate the authority with Microsoft's instance discovery."""
        return any(c.authority_host == self.authority_host for c in KNOWN_CLOUDS.values())


KNOWN_CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud(
        "AzureCloud",
        "https://management.azure.com",
        "https://login.microsoftonline.com",
        "https://management.azure.com/",
    ),
    "AzureUSGovernment": Cloud(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
        "https://management.usgovcloudapi.net/",
    ),
    "AzureChinaCloud": Cloud(
        "AzureChinaCloud",
        "https://management.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/",
    ),
}


def https_url(value: str, what: str) -> str:
    """``value`` as an https URL without a trailing slash, or a ConfigError naming ``what``."""
    parsed = urlparse(value.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise ConfigError(
            f"{what} must be an https:// URL, got '{value}'.",
            hint="Azure SDKs refuse to send tokens over http; give the https address of the endpoint.",
        )
    return value.strip().rstrip("/")


def resolve_cloud(
    name: str | None = None,
    *,
    arm_endpoint: str | None = None,
    authority_host: str | None = None,
    arm_audience: str | None = None,
) -> Cloud:
    """A named cloud, with any endpoint overridden (sovereign or private clouds, the emulator)."""
    base_name = name or "AzureCloud"
    base = next((c for key, c in KNOWN_CLOUDS.items() if key.lower() == base_name.lower()), None)
    if base is None:
        raise ConfigError(
            f"Unknown Azure cloud '{base_name}'.",
            hint=f"Use one of {', '.join(KNOWN_CLOUDS)}, or give the endpoints (SLOTWISE_ARM_ENDPOINT, "
            "AZURE_AUTHORITY_HOST).",
        )
    return Cloud(
        name=base.name if not (arm_endpoint or authority_host) else "custom",
        arm_endpoint=https_url(arm_endpoint, "The ARM endpoint") if arm_endpoint else base.arm_endpoint,
        authority_host=https_url(authority_host, "The authority host")
        if authority_host
        else base.authority_host,
        arm_audience=arm_audience or base.arm_audience,
    )
