"""Host names the emulator reports, and what each one serves.

There is no DNS on a test machine, so every host name the emulator reports (the ARM endpoint, the
login endpoint, each site's ``defaultHostName`` and SCM host) is ``127.0.0.1:<port>`` with a port of
its own: reachable exactly as reported, with no emulator-specific code in clients. The registry maps
each such host to a ``HostBinding`` (which service, which site and slot). Opening the listening socket
is the server's job: it is injected as ``open_port`` so this module never touches the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

HostKind = Literal["arm", "login", "devops", "site", "scm"]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class HostBinding:
    """What a host name serves: a service, and for sites which app and slot."""

    kind: HostKind
    subscription: str | None = None
    resource_group: str | None = None
    site: str | None = None
    slot: str | None = None  # "production" for the production slot


class HostRegistry:
    """host name -> binding; allocates a new loopback port per site host."""

    def __init__(self, open_port: Callable[[int], int] | None = None) -> None:
        # open_port(wanted) binds a listener (wanted=0: any free port) and returns its port.
        self._open_port = open_port
        self._bindings: dict[str, HostBinding] = {}

    def attach(self, open_port: Callable[[int], int]) -> None:
        """Connect the registry to a server, re-opening listeners for hosts it already knows."""
        self._open_port = open_port
        for host in list(self._bindings):
            port = int(host.rsplit(":", 1)[1])
            if port:
                open_port(port)

    def attach_quietly(self, open_port: Callable[[int], int] | None) -> None:
        """Connect the registry to a server without re-opening listeners (they are open already)."""
        self._open_port = open_port

    def service_hosts(self) -> list[tuple[str, HostBinding]]:
        """The hosts of the services themselves (ARM, login, DevOps), not of sites."""
        return [(h, b) for h, b in self._bindings.items() if b.kind in ("arm", "login", "devops")]

    def register(self, host: str, binding: HostBinding) -> None:
        self._bindings[host.lower()] = binding

    def allocate(self, binding: HostBinding) -> str:
        """A new host name for ``binding``, listening on a port of its own."""
        port = self._open_port(0) if self._open_port else 0
        if not port:
            # no server attached (unit tests): a unique, unreachable placeholder
            port = 60000 + len(self._bindings)
            while f"{LOOPBACK}:{port}" in self._bindings:
                port += 1
        host = f"{LOOPBACK}:{port}"
        self._bindings[host] = binding
        return host

    def release(self, host: str) -> None:
        self._bindings.pop(host.lower(), None)

    def lookup(self, host: str) -> HostBinding | None:
        return self._bindings.get(host.lower())

    def rebind(self, host: str, binding: HostBinding) -> None:
        """Point an existing host at another binding (a swap does not move host names)."""
        self._bindings[host.lower()] = binding

    def __getstate__(self) -> dict[str, object]:
        return {"_bindings": self._bindings, "_open_port": None}
