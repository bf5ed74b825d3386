"""Emulated ARM Microsoft.Web: sites and slots, their lifecycle, functions and keys.

``WebBackend`` is the whole Microsoft.Web state of one emulator: this module owns creating, listing,
PUT / PATCH / DELETE, start / stop / restart of sites and slots, the functions a slot runs and the
keys that belong to a slot; configuration is in ``web_config.py``, swaps in ``web_swap.py`` (rules
in ``web_swap_rules.py``), ARM's tags API in ``web_tags.py``, App Service plans in ``web_plans.py``,
publishing profiles in ``web_publishing.py``, lookups and shared state in ``web_base.py``. It never
sees HTTP: routes pass plain values in and render what comes back. Errors are ``ServiceError`` in
the real service's shape (ARM for lookups and bad bodies, App Service's own for conflicts and
swaps). Time comes only from the injected clock.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from slotwise_emulator.backends import web_swap_rules
from slotwise_emulator.backends.hosts import HostBinding
from slotwise_emulator.backends.model import FunctionDef, Site, Slot
from slotwise_emulator.backends.web_base import PRODUCTION
from slotwise_emulator.backends.web_config import WebConfigMixin, apply_properties
from slotwise_emulator.backends.web_plans import WebPlansMixin
from slotwise_emulator.backends.web_publishing import WebPublishingMixin
from slotwise_emulator.backends.web_swap import WebSwapMixin
from slotwise_emulator.backends.web_swap_rules import SlotDifference, SwapOperation
from slotwise_emulator.backends.web_tags import WebTagsMixin, check_tags
from slotwise_emulator.errors import ServiceError, arm_not_found, bad_request

_SITE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$")
_SLOT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,57}[A-Za-z0-9])?$")


def _location_required() -> ServiceError:
    return bad_request("The location property is required for this definition.", code="LocationRequired")


class WebBackend(WebSwapMixin, WebConfigMixin, WebTagsMixin, WebPlansMixin, WebPublishingMixin):
    """Sites, slots, plans, functions, keys and swaps of the emulated App Service.

    Constructed as ``WebBackend(clock, speed, hosts, resources)`` (see ``WebBase``).
    """

    # ---- listing --------------------------------------------------------------------------------
    def list_sites(self, subscription: str, resource_group: str | None = None) -> list[Site]:
        """Sites in a subscription, or in one of its resource groups (which must exist)."""
        if resource_group is None:
            self._resources.subscription(subscription)
        else:
            self._resources.group(subscription, resource_group)
        return [
            site
            for (sub, rg, _), site in sorted(self.sites.items())
            if sub == subscription.lower() and (resource_group is None or rg == resource_group.lower())
        ]

    def list_slots(self, subscription: str, resource_group: str, name: str) -> list[Slot]:
        """The deployment slots of a site, production excluded."""
        site = self.site(subscription, resource_group, name)
        return [slot for key, slot in sorted(site.slots.items()) if key != PRODUCTION]

    # ---- creation -------------------------------------------------------------------------------
    def create_site(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        kind: str = "functionapp",
        location: str = "westeurope",
        app_settings: dict[str, str] | None = None,
        plan_id: str | None = None,
    ) -> Site:
        """A new site with its production slot, hosts and keys (the resource group must exist), on
        the plan ``plan_id`` (which must exist) or else on ``<name>-plan`` (made if missing)."""
        group = self._resources.group(subscription, resource_group)
        if not _SITE_NAME.match(name):
            raise bad_request(
                f"The site name '{name}' is invalid: use 2 to 60 letters, digits or hyphens, starting and "
                "ending with a letter or digit.",
                code="InvalidResourceName",
            )
        if self._key(subscription, resource_group, name) in self.sites:
            raise ServiceError(
                409, "Conflict", f"Website with given name {name} already exists.", shape="appservice"
            )
        given = self.resolve_plan(subscription, plan_id) if plan_id else None
        site = Site(
            subscription=subscription.lower(),
            resource_group=group.name,
            name=name,
            location=location,
            kind=kind,
            server_farm_id="",
        )
        site.server_farm_id = (given or self._plan_beside(site, f"{name}-plan")).id
        site.slots[PRODUCTION] = self._new_slot(site, PRODUCTION, app_settings)
        site.production.content.deployment_id = name
        self.sites[self._key(subscription, resource_group, name)] = site
        return site

    def create_slot(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        slot: str,
        *,
        app_settings: dict[str, str] | None = None,
    ) -> Slot:
        """A new deployment slot of an existing site: its own hosts and keys, nothing deployed."""
        site = self.site(subscription, resource_group, name)
        if slot.lower() in site.slots:
            raise ServiceError(
                409, "Conflict", f"Slot {slot} of site {site.name} already exists.", shape="appservice"
            )
        if not _SLOT_NAME.match(slot):
            raise bad_request(f"The slot name '{slot}' is invalid.", code="InvalidResourceName")
        new = self._new_slot(site, slot, app_settings)
        new.content.deployment_id = f"{site.name}__{secrets.token_hex(2)}"
        site.slots[slot.lower()] = new
        return new

    def _new_slot(self, site: Site, slot: str, app_settings: dict[str, str] | None) -> Slot:
        where = (site.subscription, site.resource_group, site.name, slot)
        now = self._clock.now()
        return Slot(
            name=slot,
            host_name=self._hosts.allocate(HostBinding("site", *where)),
            scm_host_name=self._hosts.allocate(HostBinding("scm", *where)),
            created=now,
            last_modified=now,
            app_settings=dict(app_settings or {}),
            master_key=self.new_key(),
            host_function_keys={"default": self.new_key()},
            publishing_password=self.new_password(),
        )

    # ---- ARM PUT / PATCH / DELETE ---------------------------------------------------------------
    def create_or_update_site(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        location: str,
        kind: str | None = None,
        tags: dict[str, str] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> Site:
        """A full PUT of a site: creates it, or updates it (tags are replaced, properties merged)."""
        if not location:
            raise _location_required()
        checked = self._checked_plan_property(subscription, properties or {})
        plan_id = checked.get("serverFarmId")
        site = self.sites.get(self._key(subscription, resource_group, name))
        if site is None:
            site = self.create_site(
                subscription, resource_group, name, kind=kind or "app", location=location, plan_id=plan_id
            )
        else:
            web_swap_rules.check_writable(site, site.production)
            site.kind = kind or site.kind
        self._put(site.production, tags, checked)
        site.server_farm_id = plan_id or site.server_farm_id
        return site

    def create_or_update_slot(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        slot: str,
        *,
        location: str,
        tags: dict[str, str] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> Slot:
        """A full PUT of a slot: creates it, or updates it (tags are replaced, properties merged)."""
        if not location:
            raise _location_required()
        site = self.site(subscription, resource_group, name)
        checked = self._checked_plan_property(subscription, properties or {})
        target = site.slots.get(slot.lower())
        if target is None:
            target = self.create_slot(subscription, resource_group, name, slot)
        else:
            web_swap_rules.check_writable(site, target)
        self._put(target, tags, checked)
        return target

    def _put(self, slot: Slot, tags: dict[str, str] | None, properties: dict[str, Any]) -> None:
        checked = check_tags({} if tags is None else tags)
        apply_properties(slot, properties)
        slot.tags = checked
        slot.last_modified = self._clock.now()

    def update_site(
        self, subscription: str, resource_group: str, name: str, slot: str, *, properties: dict[str, Any]
    ) -> Slot:
        """A PATCH of a site or slot: the given properties are merged, nothing else changes."""
        site, target = self._writable(subscription, resource_group, name, slot)
        checked = self._checked_plan_property(subscription, properties)
        apply_properties(target, checked)
        if target.is_production and checked.get("serverFarmId"):
            site.server_farm_id = checked["serverFarmId"]
        target.last_modified = self._clock.now()
        return target

    def delete_site(
        self, subscription: str, resource_group: str, name: str, *, delete_empty_plan: bool = False
    ) -> None:
        """Delete a site with all its slots and their hosts; its plan stays, unless it is left empty
        and ``delete_empty_plan`` (ARM's ``deleteEmptyServerFarm``) asks for that."""
        site = self.site(subscription, resource_group, name)
        web_swap_rules.check_writable(site)
        plan = self.plan_of(site, site.production)
        self._release_hosts(site)
        del self.sites[self._key(subscription, resource_group, name)]
        if delete_empty_plan:
            self._drop_plan_if_empty(plan)

    def forget_group(self, subscription: str, resource_group: str) -> None:
        """Drop every site and plan of a resource group (ARM deletes a group's resources with it)."""
        for key in [k for k in self.sites if k[:2] == (subscription.lower(), resource_group.lower())]:
            self._release_hosts(self.sites.pop(key))
        self._forget_plans_in(subscription, resource_group)

    def _release_hosts(self, site: Site) -> None:
        for slot in site.slots.values():
            self._hosts.release(slot.host_name)
            self._hosts.release(slot.scm_host_name)

    def delete_slot(self, subscription: str, resource_group: str, name: str, slot: str) -> None:
        """Delete a deployment slot and its hosts (production goes only with its site)."""
        site, target = self._writable(subscription, resource_group, name, slot)
        if target.is_production:
            raise bad_request("The production slot cannot be deleted on its own; delete the site instead.")
        self._hosts.release(target.host_name)
        self._hosts.release(target.scm_host_name)
        del site.slots[slot.lower()]

    def set_state(self, subscription: str, resource_group: str, name: str, slot: str, state: str) -> Slot:
        """Start (``Running``) or stop (``Stopped``) a site or slot."""
        _, target = self._writable(subscription, resource_group, name, slot)
        target.state = state
        target.last_modified = self._clock.now()
        return target

    def restart(self, subscription: str, resource_group: str, name: str, slot: str) -> Slot:
        """Restart a site or slot (refused while a swap locks it)."""
        _, target = self._writable(subscription, resource_group, name, slot)
        target.last_restart = self._clock.now()
        return target

    # ---- functions and keys ---------------------------------------------------------------------
    def function(
        self, subscription: str, resource_group: str, name: str, slot: str, function: str
    ) -> FunctionDef:
        """A function deployed to a site or slot, or ARM's 404."""
        site, target = self._locate(subscription, resource_group, name, slot)
        found = target.content.functions.get(function.lower())
        if found is None:
            if target.is_production:
                raise arm_not_found(
                    "Microsoft.Web/sites/functions", f"{site.name}/{function}", resource_group
                )
            path = f"{site.name}/{target.name}/{function}"
            raise arm_not_found("Microsoft.Web/sites/slots/functions", path, resource_group)
        return found

    def function_keys(self, slot: Slot, function_name: str) -> dict[str, str]:
        """A function's keys in ``slot``: ``{"default": ...}`` made on first use; they stay with the slot."""
        keys = slot.function_keys.setdefault(function_name.lower(), {})
        if not keys:
            keys["default"] = self.new_key()
        return dict(keys)

    def list_function_keys(
        self, subscription: str, resource_group: str, name: str, slot: str, function: str
    ) -> dict[str, str]:
        """The keys of a deployed function (ARM's 404 if the slot runs no such function)."""
        self.function(subscription, resource_group, name, slot, function)
        return self.function_keys(self.slot(subscription, resource_group, name, slot), function)

    def secrets(self) -> list[str]:
        """Every key and password the service issued (master, host, system and function keys, publishing
        passwords), for redaction."""
        out: list[str] = []
        for site in self.sites.values():
            for slot in site.slots.values():
                out.append(slot.master_key)
                out.append(slot.publishing_password)
                out.extend(slot.host_function_keys.values())
                out.extend(slot.system_keys.values())
                out.extend(key for keys in slot.function_keys.values() for key in keys.values())
        return [s for s in out if s]


__all__ = ["PRODUCTION", "SlotDifference", "SwapOperation", "WebBackend"]
