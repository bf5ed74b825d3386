"""Subscriptions and resource groups: the ARM containers every Microsoft.Web resource lives in.

Each subscription belongs to one tenant; a token from another tenant is refused by the ARM routes.
Names of resource groups are matched case-insensitively and keep the casing they were created with,
as in ARM. A group's location is fixed when it is created: ARM's PUT (``put_group``) of an existing
group in another location gets 409 ``InvalidResourceGroupLocation``; locations compare without case
or spaces (``West Europe`` is ``westeurope``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.clock import Clock
from slotwise_emulator.errors import ServiceError

_GROUP_NAME = re.compile(r"^[-\w._()]{1,90}$")


def _location(location: str) -> str:
    """A location as ARM names it: ``West Europe`` -> ``westeurope``."""
    return location.replace(" ", "").lower()


@dataclass
class Subscription:
    id: str
    tenant_id: str
    display_name: str


@dataclass
class ResourceGroup:
    subscription: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.name}"


class ResourceBackend:
    """Subscriptions and resource groups."""

    def __init__(self, clock: Clock, identity: IdentityBackend) -> None:
        self._clock = clock
        self._identity = identity
        self.subscriptions: dict[str, Subscription] = {}
        self.groups: dict[tuple[str, str], ResourceGroup] = {}

    def create_subscription(
        self, subscription_id: str, tenant_id: str, display_name: str = ""
    ) -> Subscription:
        sub = Subscription(
            subscription_id.lower(), tenant_id, display_name or f"Emulated {subscription_id[:8]}"
        )
        self.subscriptions[sub.id] = sub
        return sub

    def subscription(self, subscription_id: str) -> Subscription:
        sub = self.subscriptions.get(subscription_id.lower())
        if sub is None:
            raise ServiceError(
                404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
            )
        return sub

    def group(self, subscription_id: str, name: str) -> ResourceGroup:
        self.subscription(subscription_id)
        group = self.groups.get((subscription_id.lower(), name.lower()))
        if group is None:
            raise ServiceError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return group

    def create_or_update_group(
        self, subscription_id: str, name: str, location: str, tags: dict[str, str] | None = None
    ) -> tuple[ResourceGroup, bool]:
        """Create the group, or update its tags; returns the group and whether it was created."""
        self.subscription(subscription_id)
        if not _GROUP_NAME.match(name) or name.endswith("."):
            raise ServiceError(
                400,
                "InvalidResourceGroup",
                f"The provided resource group name '{name}' has these invalid characters or is too long. "
                "Names may contain letters, digits, '-', '_', '.', '(' and ')', up to 90 characters, "
                "and may not end in a period.",
            )
        if not location:
            raise ServiceError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        key = (subscription_id.lower(), name.lower())
        existing = self.groups.get(key)
        if existing is not None:
            if tags is not None:
                existing.tags = dict(tags)
            return existing, False
        group = ResourceGroup(subscription_id.lower(), name, _location(location), dict(tags or {}))
        self.groups[key] = group
        return group, True

    def put_group(
        self, subscription_id: str, name: str, location: str, tags: dict[str, str] | None = None
    ) -> tuple[ResourceGroup, bool]:
        """ARM's PUT of a group: ``create_or_update_group``, but an existing group keeps its location
        (409 ``InvalidResourceGroupLocation`` if the body asks for another)."""
        existing = self.groups.get((subscription_id.lower(), name.lower()))
        if existing is not None and location and _location(location) != _location(existing.location):
            self.subscription(subscription_id)
            raise ServiceError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in "
                f"location '{existing.location}'.",
            )
        return self.create_or_update_group(subscription_id, name, location, tags)

    def list_groups(self, subscription_id: str) -> list[ResourceGroup]:
        self.subscription(subscription_id)
        return [g for (sub, _), g in sorted(self.groups.items()) if sub == subscription_id.lower()]

    def delete_group(self, subscription_id: str, name: str) -> None:
        self.group(subscription_id, name)
        del self.groups[(subscription_id.lower(), name.lower())]
