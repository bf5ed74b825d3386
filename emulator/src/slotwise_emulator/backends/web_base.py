"""The state every part of the emulated Microsoft.Web backend shares, and how resources are found.

Owns the site table, the App Service plan table (rules in ``web_plans.py``), the swap operations
table, the injected clock / speed / hosts / resource groups, the ARM 404s for missing sites and
slots, key and password generation, and the App Service 409 for slots a swap locks. ``WebBackend``
(``web.py``) is assembled from this base and the mixins; no HTTP here.
"""

from __future__ import annotations

import base64
import secrets
import string
from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends import web_swap_rules
from slotwise_emulator.backends.hosts import HostRegistry
from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.backends.resources import ResourceBackend
from slotwise_emulator.backends.web_swap_rules import SwapOperation
from slotwise_emulator.clock import Clock, Speed
from slotwise_emulator.errors import arm_not_found

if TYPE_CHECKING:
    from slotwise_emulator.backends.web_plans import Plan

PRODUCTION = "production"
SiteKey = tuple[str, str, str]


class WebBase:
    """Sites by (subscription, resource group, name), lower-cased; lookups raise ARM's 404s."""

    def __init__(self, clock: Clock, speed: Speed, hosts: HostRegistry, resources: ResourceBackend) -> None:
        self._clock = clock
        self.speed = speed
        self._hosts = hosts
        self._resources = resources
        self.sites: dict[SiteKey, Site] = {}
        self.plans: dict[SiteKey, Plan] = {}  # App Service plans by (subscription, group, name), lower-cased
        self.operations: dict[str, SwapOperation] = {}  # every swap accepted, by operation id
        self._fail_next: dict[SiteKey, str | None] = {}  # sites whose next swap fails (message or default)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a saved state; one saved before plans existed gets its plans on first use."""
        self.__dict__.update(state)
        self.__dict__.setdefault("plans", {})

    @staticmethod
    def _key(subscription: str, resource_group: str, name: str) -> SiteKey:
        return subscription.lower(), resource_group.lower(), name.lower()

    def site(self, subscription: str, resource_group: str, name: str) -> Site:
        """The site, or ARM's 404 (for the resource group first, as ARM checks it first)."""
        found = self.sites.get(self._key(subscription, resource_group, name))
        if found is None:
            self._resources.group(subscription, resource_group)
            raise arm_not_found("Microsoft.Web/sites", name, resource_group)
        return found

    def slot(self, subscription: str, resource_group: str, name: str, slot: str) -> Slot:
        """A slot of the site (``"production"`` is the production slot), or ARM's 404."""
        return self._locate(subscription, resource_group, name, slot)[1]

    def _locate(self, subscription: str, resource_group: str, name: str, slot: str) -> tuple[Site, Slot]:
        site = self.site(subscription, resource_group, name)
        found = site.slots.get(slot.lower())
        if found is None:
            raise arm_not_found("Microsoft.Web/sites/slots", f"{site.name}/{slot}", resource_group)
        return site, found

    def _writable(self, subscription: str, resource_group: str, name: str, slot: str) -> tuple[Site, Slot]:
        """Like ``_locate``, then the 409 if a swap locks the slot."""
        site, found = self._locate(subscription, resource_group, name, slot)
        web_swap_rules.check_writable(site, found)
        return site, found

    def check_writable(self, site: Site, slot: Slot | None = None) -> None:
        """The App Service 409 while a swap runs on, or a swap with preview is prepared for, ``slot``
        (without ``slot``: any slot of the site). For Kudu and the other writers of a slot."""
        web_swap_rules.check_writable(site, slot)

    @staticmethod
    def new_key() -> str:
        """A key in the style of the Functions host: 40 random bytes, URL-safe base64 (56 characters)."""
        return base64.urlsafe_b64encode(secrets.token_bytes(40)).decode()

    @staticmethod
    def new_password() -> str:
        """A publishing password in the style of App Service's: 60 letters and digits."""
        alphabet = string.ascii_letters + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(60))
