"""The App Service configuration part of ``Emulator``'s Python API (a mixin of ``Emulator``).

Tests and the demo set up what a swap preflight looks at, per slot, as an admin would in the portal:
app settings and connection strings (merged into what the slot has, or replacing it), sticky
(slot-specific) names, and siteConfig values such as the stack versions (``linuxFxVersion``
``"Python|3.11"``, ``netFrameworkVersion`` ``"v8.0"``, ``powerShellVersion``...). Each goes through the
same backend method the ARM route uses, so the same checks apply (a 409 while a swap locks the slot, a
400 for a value of the wrong type); a refusal is an ``EmulatorError``.

Must not: talk to a listener; hold state (the backends do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.web import PRODUCTION

T = TypeVar("T")
ConnectionString = str | tuple[str, str]  # a value (type Custom), or (value, type)


class AppRef(Protocol):
    """What the driver needs of an app (``FunctionApp`` is one)."""

    @property
    def subscription_id(self) -> str: ...

    @property
    def resource_group(self) -> str: ...

    @property
    def name(self) -> str: ...


class WebDriver:
    """Driver methods for the settings, sticky names and siteConfig of emulated apps and slots."""

    def _do(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - DevOpsDriver's
        raise NotImplementedError

    def app_settings(self, app: AppRef, slot: str = PRODUCTION) -> dict[str, str]:
        """The slot's app settings, values included."""
        return self._do(lambda b: dict(b.web.slot(*_where(app, slot)).app_settings))

    def set_app_settings(
        self, app: AppRef, slot: str, settings: Mapping[str, str], *, replace: bool = False
    ) -> dict[str, str]:
        """Add or change app settings of a slot (``replace``: those become all its settings)."""

        def change(b: Backends) -> dict[str, str]:
            current = {} if replace else dict(b.web.slot(*_where(app, slot)).app_settings)
            return dict(b.web.set_app_settings(*_where(app, slot), {**current, **settings}).app_settings)

        return self._do(change)

    def set_connection_strings(
        self, app: AppRef, slot: str, strings: Mapping[str, ConnectionString], *, replace: bool = False
    ) -> dict[str, dict[str, str]]:
        """Add or change connection strings of a slot: ``{name: value}`` (type ``Custom``) or
        ``{name: (value, type)}`` (``SQLAzure``, ``ServiceBus``, ``EventHub``...)."""
        given = {
            name: {"value": v, "type": "Custom"} if isinstance(v, str) else {"value": v[0], "type": v[1]}
            for name, v in strings.items()
        }

        def change(b: Backends) -> dict[str, dict[str, str]]:
            current = {} if replace else b.web.slot(*_where(app, slot)).connection_strings
            merged: dict[str, Any] = {**current, **given}
            target = b.web.set_connection_strings(*_where(app, slot), merged)
            return {k: dict(v) for k, v in target.connection_strings.items()}

        return self._do(change)

    def set_sticky(
        self, app: AppRef, *, app_settings: Iterable[str] = (), connection_strings: Iterable[str] = ()
    ) -> dict[str, list[str]]:
        """Mark names as slot settings (``slotConfigNames``, for every slot of the app), keeping those
        already marked; answers the app's sticky names."""

        def change(b: Backends) -> dict[str, list[str]]:
            names = b.web.site(app.subscription_id, app.resource_group, app.name).slot_config_names
            wanted = {
                "appSettingNames": _union(names.get("appSettingNames"), app_settings),
                "connectionStringNames": _union(names.get("connectionStringNames"), connection_strings),
                "azureStorageConfigNames": list(names.get("azureStorageConfigNames") or []),
            }
            site = b.web.set_slot_config_names(app.subscription_id, app.resource_group, app.name, wanted)
            return {k: list(v) for k, v in site.slot_config_names.items()}

        return self._do(change)

    def set_site_config(self, app: AppRef, slot: str, **values: Any) -> dict[str, Any]:
        """Set siteConfig values of a slot as ``PATCH config/web`` does (``linuxFxVersion="Python|3.11"``,
        ``netFrameworkVersion="v8.0"``, ``use32BitWorkerProcess=False``...); answers what the slot set."""
        return self._do(lambda b: dict(b.web.update_site_config(*_where(app, slot), values).site_config))


def _where(app: AppRef, slot: str) -> tuple[str, str, str, str]:
    return app.subscription_id, app.resource_group, app.name, slot


def _union(current: list[str] | None, more: Iterable[str]) -> list[str]:
    out = list(current or [])
    out.extend(name for name in more if name not in out)
    return out
