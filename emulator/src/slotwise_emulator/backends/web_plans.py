"""App Service plans (``Microsoft.Web/serverfarms``): the plan every emulated site runs on.

Every site's ``serverFarmId`` resolves: creating a site without naming a plan creates (or reuses)
``<site>-plan`` beside it, an Elastic Premium EP1 plan (kind ``elastic``) for function apps and a
Standard S1 plan (kind ``app``) for other apps. A PUT or PATCH of a site or slot may move it to another
existing plan; naming a plan that does not exist gets App Service's 404 ("Cannot find ServerFarm with
name ..."). A site's ``sku`` property is its plan's tier, so clients that check the plan (az refuses
Flex Consumption plans before slot commands) and clients that check the site agree. Plans are read
only through ARM here (GET, lists); they are deleted with their resource group, or with their last
site when the delete asks ``deleteEmptyServerFarm``. No HTTP here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.errors import ServiceError, arm_not_found, bad_request

PlanKey = tuple[str, str, str]

# What ``az functionapp plan create --sku EP1`` and ``az appservice plan create --sku S1`` make.
ELASTIC_PREMIUM: dict[str, Any] = {
    "name": "EP1",
    "tier": "ElasticPremium",
    "size": "EP1",
    "family": "EP",
    "capacity": 1,
}
STANDARD: dict[str, Any] = {"name": "S1", "tier": "Standard", "size": "S1", "family": "S", "capacity": 1}

_PLAN_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Web/serverfarms/"
    r"(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)


@dataclass
class Plan:
    """An App Service plan: where it is, its SKU and what kind of apps it was made for."""

    subscription: str  # lower-case
    resource_group: str  # the group's own casing
    name: str
    location: str
    kind: str  # "elastic" (Elastic Premium, for function apps), "app" or "linux"
    sku: dict[str, Any] = field(default_factory=lambda: dict(STANDARD))
    reserved: bool = False  # a Linux plan
    created: float = 0.0

    @property
    def id(self) -> str:
        group = f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
        return f"{group}/providers/Microsoft.Web/serverfarms/{self.name}"

    @property
    def tier(self) -> str:
        return str(self.sku["tier"])


def plan_for_kind(site_kind: str) -> tuple[str, dict[str, Any], bool]:
    """(plan kind, sku, reserved) of the plan made for a new site of ``site_kind``."""
    kinds = site_kind.lower()
    linux = "linux" in kinds
    if "functionapp" in kinds:
        return "elastic", dict(ELASTIC_PREMIUM), linux
    return ("linux" if linux else "app"), dict(STANDARD), linux


def parse_plan_id(plan_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a serverfarms resource id, or ARM's 400."""
    match = _PLAN_ID.match(plan_id.strip())
    if match is None:
        raise bad_request(
            f"The serverFarmId '{plan_id}' is not the resource id of an App Service plan "
            "(/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Web/serverfarms/{name}).",
            code="InvalidRequestContent",
        )
    return match.group("sub"), match.group("rg"), match.group("name")


def _missing_plan(name: str) -> ServiceError:
    return ServiceError(404, "NotFound", f"Cannot find ServerFarm with name {name}.", shape="appservice")


class WebPlansMixin(WebBase):
    """App Service plans: lookups, lists, the plan of each site, and creation beside a new site."""

    @staticmethod
    def _plan_key(subscription: str, resource_group: str, name: str) -> PlanKey:
        return subscription.lower(), resource_group.lower(), name.lower()

    # ---- reading ----------------------------------------------------------------------------------
    def plan(self, subscription: str, resource_group: str, name: str) -> Plan:
        """The plan, or ARM's 404 (for the resource group first, as ARM checks it first)."""
        found = self.plans.get(self._plan_key(subscription, resource_group, name))
        if found is None:
            self._resources.group(subscription, resource_group)
            raise arm_not_found("Microsoft.Web/serverFarms", name, resource_group)
        return found

    def list_plans(self, subscription: str, resource_group: str | None = None) -> list[Plan]:
        """Plans in a subscription, or in one of its resource groups (which must exist)."""
        if resource_group is None:
            self._resources.subscription(subscription)
        else:
            self._resources.group(subscription, resource_group)
        return [
            plan
            for (sub, rg, _), plan in sorted(self.plans.items())
            if sub == subscription.lower() and (resource_group is None or rg == resource_group.lower())
        ]

    def plan_of(self, site: Site, slot: Slot | None = None) -> Plan:
        """The plan a site (or one of its slots, which may have been moved) runs on."""
        plan_id = site.server_farm_id
        moved = slot.site_properties.get("serverFarmId") if slot is not None else None
        if isinstance(moved, str) and _PLAN_ID.match(moved.strip()):  # states saved earlier may hold any text
            plan_id = moved
        found = self.plans.get(self._plan_key(*parse_plan_id(plan_id)))
        if found is None:  # a site restored from a state saved before plans existed
            found = self._plan_beside(site, parse_plan_id(plan_id)[2])
        return found

    def sites_on(self, plan: Plan) -> list[Site]:
        """The apps assigned to ``plan`` (ARM's ``numberOfSites`` counts them; slots are not apps)."""
        return [site for site in self.sites.values() if self.plan_of(site, site.production) is plan]

    # ---- changing ---------------------------------------------------------------------------------
    def resolve_plan(self, subscription: str, plan_id: str) -> Plan:
        """The existing plan ``plan_id`` names (in the site's subscription), or App Service's 404."""
        sub, rg, name = parse_plan_id(plan_id)
        found = self.plans.get(self._plan_key(sub, rg, name))
        if found is None or sub.lower() != subscription.lower():
            raise _missing_plan(name)
        return found

    def _plan_beside(self, site: Site, name: str) -> Plan:
        """The plan ``name`` in the site's group: the existing one, or a new one for the site's kind."""
        key = self._plan_key(site.subscription, site.resource_group, name)
        existing = self.plans.get(key)
        if existing is not None:
            return existing
        kind, sku, reserved = plan_for_kind(site.kind)
        plan = Plan(
            subscription=site.subscription.lower(),
            resource_group=site.resource_group,
            name=name,
            location=site.location,
            kind=kind,
            sku=sku,
            reserved=reserved,
            created=self._clock.now(),
        )
        self.plans[key] = plan
        return plan

    def _checked_plan_property(self, subscription: str, properties: dict[str, Any]) -> dict[str, Any]:
        """``properties`` with a given ``serverFarmId`` replaced by the plan's canonical id (404 if the
        plan does not exist); other properties untouched."""
        plan_id = properties.get("serverFarmId")
        if not isinstance(plan_id, str) or not plan_id:
            return {k: v for k, v in properties.items() if k != "serverFarmId"}
        return {**properties, "serverFarmId": self.resolve_plan(subscription, plan_id).id}

    def _drop_plan_if_empty(self, plan: Plan) -> None:
        if not self.sites_on(plan):
            self.plans.pop(self._plan_key(plan.subscription, plan.resource_group, plan.name), None)

    def _forget_plans_in(self, subscription: str, resource_group: str) -> None:
        for key in [k for k in self.plans if k[:2] == (subscription.lower(), resource_group.lower())]:
            del self.plans[key]
