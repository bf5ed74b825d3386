"""PLACEHOLDER — being written (ARM Microsoft.Web backend). See helper brief."""

from __future__ import annotations

from slotwise.emulator.backends.hosts import HostRegistry
from slotwise.emulator.backends.model import Site, Slot
from slotwise.emulator.backends.resources import ResourceBackend
from slotwise.emulator.clock import Clock, Speed


class WebBackend:
    def __init__(self, clock: Clock, speed: Speed, hosts: HostRegistry, resources: ResourceBackend) -> None:
        self._clock = clock
        self._speed = speed
        self._hosts = hosts
        self._resources = resources
        self.sites: dict[tuple[str, str, str], Site] = {}

    def create_site(self, subscription: str, resource_group: str, name: str, *, kind: str = "functionapp",
                    location: str = "westeurope", app_settings: dict[str, str] | None = None) -> Site:
        raise NotImplementedError

    def create_slot(self, subscription: str, resource_group: str, name: str, slot: str,
                    *, app_settings: dict[str, str] | None = None) -> Slot:
        raise NotImplementedError

    def slot(self, subscription: str, resource_group: str, name: str, slot: str) -> Slot:
        raise NotImplementedError

    def site(self, subscription: str, resource_group: str, name: str) -> Site:
        raise NotImplementedError

    def secrets(self) -> list[str]:
        return []

    def tick(self) -> None:
        pass
