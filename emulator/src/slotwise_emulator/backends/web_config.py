"""Configuration of emulated sites and slots: writable properties, siteConfig, settings, sticky names.

Owns what a caller may change on a slot and how a body's values are checked (``web_shapes``: a 400 in
ARM's shape for a wrong type or a value outside a closed enum, unknown properties dropped), app
settings and connection strings (each replaced as a whole, as the real PUTs do), the site's sticky
``slotConfigNames``, and ``config/web``. Every change is refused with the App Service 409 while a swap
locks the slot. No HTTP here: routes pass the parsed JSON values in.
"""

from __future__ import annotations

from typing import Any

from slotwise_emulator.backends import web_swap_rules
from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.backends.web_shapes import SITE_CONFIG, SITE_PROPERTIES, clean
from slotwise_emulator.errors import ServiceError, bad_request

CONNECTION_STRING_TYPES = (
    "MySql",
    "SQLServer",
    "SQLAzure",
    "Custom",
    "NotificationHub",
    "ServiceBus",
    "EventHub",
    "ApiHub",
    "DocDb",
    "RedisCache",
    "PostgreSQL",
)
# Writable site properties and what a new slot has; a PUT/PATCH may change them (web_shapes.SITE_PROPERTIES).
DEFAULT_PROPERTIES: dict[str, Any] = {
    "enabled": True,
    "reserved": False,
    "isXenon": False,
    "hyperV": False,
    "scmSiteAlsoStopped": False,
    "clientAffinityEnabled": True,
    "clientCertEnabled": False,
    "clientCertMode": "Required",
    "hostNamesDisabled": False,
    "containerSize": 0,
    "dailyMemoryTimeQuota": 0,
    "httpsOnly": False,
    "redundancyMode": "None",
    "publicNetworkAccess": "Enabled",
    "storageAccountRequired": False,
    "keyVaultReferenceIdentity": "SystemAssigned",
}
_STICKY_KINDS = ("appSettingNames", "connectionStringNames", "azureStorageConfigNames")


def _invalid(message: str) -> ServiceError:
    return bad_request(message, code="InvalidRequestContent")


def _object_list(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _invalid(f"siteConfig.{what} must be a list of objects.")
    return value


def _settings_from_site_config(value: Any) -> dict[str, str]:
    pairs = _object_list(value, "appSettings")
    return {str(p.get("name")): "" if p.get("value") is None else str(p.get("value")) for p in pairs}


def _connection_strings_from_site_config(value: Any) -> dict[str, dict[str, str]]:
    return {
        str(cs.get("name")): {
            "value": str(cs.get("connectionString") or ""),
            "type": str(cs.get("type") or "Custom"),
        }
        for cs in _object_list(value, "connectionStrings")
    }


def apply_site_config(slot: Slot, config: Any, *, with_settings: bool) -> None:
    """Merge a siteConfig object into ``slot``; its appSettings/connectionStrings replace the slot's
    only when ``with_settings`` (a site PUT does that, ``config/web`` does not)."""
    if not isinstance(config, dict):
        raise _invalid("siteConfig must be a JSON object.")
    for key, value in config.items():
        if value is None:
            continue
        if key == "appSettings":
            if with_settings:
                slot.app_settings = _settings_from_site_config(value)
        elif key == "connectionStrings":
            if with_settings:
                slot.connection_strings = _connection_strings_from_site_config(value)
        elif key in SITE_CONFIG:
            slot.site_config[key] = clean(SITE_CONFIG[key], value, f"siteConfig.{key}")
        # any other key is no siteConfig property: the service's reader drops it


def apply_properties(slot: Slot, properties: dict[str, Any]) -> None:
    """Merge the writable ``properties`` of a PUT or PATCH body into ``slot``; read-only ones (state,
    hostNames, ...) are ignored, as ARM does."""
    if not isinstance(properties, dict):
        raise _invalid("properties must be a JSON object.")
    for key, value in properties.items():
        if key == "siteConfig" and value is not None:
            apply_site_config(slot, value, with_settings=True)
        elif key in SITE_PROPERTIES:
            kept = clean(SITE_PROPERTIES[key], value, key)
            if kept is not None or key not in DEFAULT_PROPERTIES:  # a null resets only what has no default
                slot.site_properties[key] = kept


class WebConfigMixin(WebBase):
    """App settings, connection strings, sticky names and siteConfig of sites and slots."""

    def set_app_settings(
        self, subscription: str, resource_group: str, name: str, slot: str, settings: dict[str, Any]
    ) -> Slot:
        """Replace all app settings of a site or slot."""
        bad = [k for k, v in settings.items() if not isinstance(v, str)]
        if bad:
            raise _invalid(f"The value of app setting '{bad[0]}' must be a string.")
        _, target = self._writable(subscription, resource_group, name, slot)
        target.app_settings = dict(settings)
        target.last_modified = self._clock.now()
        return target

    def set_connection_strings(
        self, subscription: str, resource_group: str, name: str, slot: str, strings: dict[str, Any]
    ) -> Slot:
        """Replace all connection strings (``{name: {"value", "type"}}``) of a site or slot."""
        parsed: dict[str, dict[str, str]] = {}
        for key, pair in strings.items():
            if not isinstance(pair, dict) or not isinstance(pair.get("value") or "", str):
                raise _invalid(f"Connection string '{key}' must be an object with a string 'value'.")
            kind = str(pair.get("type") or "Custom")
            if kind not in CONNECTION_STRING_TYPES:
                raise _invalid(
                    f"Connection string type '{kind}' is not one of {', '.join(CONNECTION_STRING_TYPES)}."
                )
            parsed[key] = {"value": str(pair.get("value") or ""), "type": kind}
        _, target = self._writable(subscription, resource_group, name, slot)
        target.connection_strings = parsed
        target.last_modified = self._clock.now()
        return target

    def set_slot_config_names(
        self, subscription: str, resource_group: str, name: str, names: dict[str, Any]
    ) -> Site:
        """Replace the site's sticky (slot-specific) setting names; they apply to every slot."""
        fresh: dict[str, list[str]] = {}
        for key in _STICKY_KINDS:
            value = names.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _invalid(f"'{key}' must be a list of strings.")
            fresh[key] = list(value)
        site = self.site(subscription, resource_group, name)
        web_swap_rules.check_writable(site, site.production)
        site.slot_config_names = fresh
        return site

    def update_site_config(
        self, subscription: str, resource_group: str, name: str, slot: str, config: dict[str, Any]
    ) -> Slot:
        """Merge ``config`` into a slot's siteConfig (``config/web``); app settings are not touched."""
        _, target = self._writable(subscription, resource_group, name, slot)
        apply_site_config(target, config, with_settings=False)
        target.last_modified = self._clock.now()
        return target
