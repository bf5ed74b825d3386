"""Plain, typed views of the App Service resources slotwise works with (no SDK types leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PRODUCTION = "production"


def slot_name(value: str) -> str:
    """The canonical name of a slot: ``production`` for the production slot, otherwise lower-case."""
    lowered = value.strip().lower()
    return PRODUCTION if lowered in ("", PRODUCTION, "self") else lowered


@dataclass(frozen=True)
class SlotRef:
    """The address of one slot of one app (``slot`` is ``production`` for the production slot)."""

    resource_group: str
    app: str
    slot: str = PRODUCTION

    @property
    def is_production(self) -> bool:
        return self.slot == PRODUCTION

    def other(self, slot: str) -> SlotRef:
        return SlotRef(self.resource_group, self.app, slot_name(slot))

    def __str__(self) -> str:
        return f"{self.app}/{self.slot}"


@dataclass(frozen=True)
class SwapStatus:
    """The last swap a slot took part in, as App Service reports it (``slotSwapStatus``)."""

    timestamp: datetime
    source: str  # slot name, canonical
    destination: str


@dataclass(frozen=True)
class SlotInfo:
    """One slot as ARM describes it."""

    ref: SlotRef
    kind: str
    state: str
    default_host_name: str
    scm_host_name: str | None
    deployment_id: str | None
    last_modified: datetime | None
    swap_status: SwapStatus | None
    target_swap_slot: str | None
    tags: dict[str, str] = field(default_factory=dict)
    in_progress_operation_id: str | None = None  # a long operation (a swap) running on the slot

    @property
    def url(self) -> str:
        return f"https://{self.default_host_name}"


@dataclass(frozen=True)
class FunctionInfo:
    """A function of a slot as ARM lists it; the HTTP fields are empty for other triggers."""

    name: str
    invoke_url: str | None
    auth_level: str | None
    methods: tuple[str, ...]
    triggers: tuple[str, ...] = ()  # the trigger binding types of its function.json (``timerTrigger``...)
    disabled: bool = False  # as the service reports it (``isDisabled``, ``disabled`` in function.json)

    @property
    def non_http_triggers(self) -> tuple[str, ...]:
        return tuple(t for t in self.triggers if t.lower() != "httptrigger")


@dataclass(frozen=True)
class StickyNames:
    """The names that stay with their slot in a swap (``slotConfigNames``; one list for every slot)."""

    app_settings: frozenset[str] = frozenset()
    connection_strings: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConnectionString:
    """One connection string of a slot. ``value`` is never printed: the caller registers it."""

    value: str = field(repr=False)
    type: str = "Custom"  # SQLAzure, SQLServer, MySql, PostgreSQL, Custom, ...


STACK_FIELDS = (
    "linuxFxVersion",
    "windowsFxVersion",
    "netFrameworkVersion",
    "javaVersion",
    "nodeVersion",
    "powerShellVersion",
    "pythonVersion",
    "phpVersion",
    "use32BitWorkerProcess",
)  # the site config's stack versions (general settings: they swap with the slot's content)


@dataclass(frozen=True)
class HostKeys:
    """A slot's host keys. Never printed; the caller registers them as secrets."""

    master: str = field(repr=False)
    function_keys: dict[str, str] = field(default_factory=dict, repr=False)
