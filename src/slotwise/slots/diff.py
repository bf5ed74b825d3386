"""What a swap will change in the target slot (production by default): ``slotwise slot diff``.

Owns reading both slots of a swap (app settings, connection strings, the sticky names, the site
config's stack versions, the source's functions, and optionally the build each side runs) into
``SlotDiff``, and working out, name by name, what the target will hold after the swap against now:
a non-sticky name takes the source's value, a sticky one (``slotConfigNames``) stays. The stack
versions are general settings: they travel with the content.

Values are read into memory only to be compared; they are registered as secrets the moment they are
read (``register_values``) and never appear in ``as_dict`` or any message: a comparison says
``same``, ``differs`` or ``Key Vault reference``. The runtime versions (``RUNTIME_SETTINGS`` and
the stack) are the exception: versions are shown on purpose, and they are not secrets.
Must not: change anything, decide what is dangerous (``slots.findings`` does), or print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from slotwise.azure.models import ConnectionString, FunctionInfo, SlotRef, StickyNames
from slotwise.secrets import SecretRegistry
from slotwise.services import Services
from slotwise.slots.connections import looks_like_connection
from slotwise.slots.content import Content, read_content

KEY_VAULT_PREFIX = "@microsoft.keyvault("
RUNTIME_SETTINGS = ("FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME", "WEBSITE_NODE_DEFAULT_VERSION")
_PLAIN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"})
_MIN_SECRET = 8  # shorter plain values are not registered: masking "Staging" would garble the output


class Kind(Enum):
    APP_SETTING = "app setting"
    CONNECTION_STRING = "connection string"


class Change(Enum):
    """What happens to one name in the target slot."""

    CHANGES = "changes"  # both slots have it, the values differ: the target takes the source's
    APPEARS = "appears"  # only the source has it: the target gets it
    DISAPPEARS = "disappears"  # only the target has it: the target loses it
    UNCHANGED = "unchanged"  # same value on both sides
    STAYS = "stays"  # sticky: the target keeps its own, whatever the source holds


class Values(Enum):
    """How the two slots' values compare (never the values themselves)."""

    SAME = "same"
    DIFFERS = "differs"
    KEY_VAULT = "Key Vault reference"  # the values differ and at least one is a Key Vault reference
    ONE_SIDE = "-"  # only one slot has the name


def is_key_vault_reference(value: str | None) -> bool:
    return value is not None and value.strip().lower().startswith(KEY_VAULT_PREFIX)


@dataclass(frozen=True)
class SlotSide:
    """One slot as the diff read it. ``settings`` and ``connections`` hold values: never print them."""

    ref: SlotRef
    settings: Mapping[str, str] = field(repr=False)
    connections: Mapping[str, ConnectionString] = field(repr=False)
    stack: Mapping[str, str] = field(default_factory=dict)
    functions: tuple[FunctionInfo, ...] = ()
    content: Content | None = None

    def setting(self, name: str) -> str | None:
        """The app setting ``name``, matched without regard to case (as the platform's environment)."""
        if name in self.settings:
            return self.settings[name]
        lowered = name.lower()
        return next((v for k, v in self.settings.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class SettingChange:
    """One app setting or connection string name, and what the swap does to it in the target."""

    kind: Kind
    name: str
    change: Change
    values: Values
    sticky: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "change": self.change.value,
            "values": self.values.value,
            "sticky": self.sticky,
        }


@dataclass(frozen=True)
class RuntimeSetting:
    """A runtime version the two slots disagree on: the target's now, the source's, the target's after."""

    name: str
    target_now: str | None
    source_now: str | None
    target_after: str | None
    sticky: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "targetNow": self.target_now,
            "source": self.source_now,
            "targetAfter": self.target_after,
            "sticky": self.sticky,
        }


@dataclass(frozen=True)
class SlotDiff:
    """Both slots of a swap and what the swap does to the target."""

    source: SlotSide
    target: SlotSide
    sticky: StickyNames
    changes: tuple[SettingChange, ...]
    runtime: tuple[RuntimeSetting, ...]

    def settings_after(self, which: SlotRef) -> dict[str, str]:
        """The app settings ``which`` (the source or the target) holds after the swap."""
        own, other = (self.target, self.source) if which == self.target.ref else (self.source, self.target)
        sticky = self.sticky.app_settings
        return {
            **{k: v for k, v in other.settings.items() if k not in sticky},
            **{k: v for k, v in own.settings.items() if k in sticky},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "resourceGroup": self.source.ref.resource_group,
            "app": self.source.ref.app,
            "source": self.source.ref.slot,
            "target": self.target.ref.slot,
            "builds": {
                "source": self.source.content.as_dict() if self.source.content else None,
                "target": self.target.content.as_dict() if self.target.content else None,
            },
            "settings": [c.as_dict() for c in self.changes],
            "runtime": [r.as_dict() for r in self.runtime],
        }


def register_values(secrets: SecretRegistry, side: SlotSide) -> None:
    """Register every value of ``side`` that could be a secret: all connection strings, and every app
    setting but the runtime versions and plain words or numbers (registering ``true`` would mask the
    word everywhere, and it is no secret)."""
    for connection in side.connections.values():
        secrets.add(connection.value)
    for name, value in side.settings.items():
        if name.upper() in RUNTIME_SETTINGS:
            continue
        plain = value.strip().lower() in _PLAIN_WORDS or value.strip().lstrip("-~").replace(".", "").isdigit()
        if not plain and (len(value) >= _MIN_SECRET or looks_like_connection(name, value)):
            secrets.add(value)


def read_side(services: Services, ref: SlotRef, *, functions: bool, builds: bool) -> SlotSide:
    """One slot as the diff needs it; its values registered as secrets before anything else."""
    web = services.web_apps
    info = web.get(ref)  # NotFoundError names the slot first
    side = SlotSide(ref, web.app_settings(ref), web.connection_strings(ref))
    register_values(services.secrets, side)
    return SlotSide(
        ref,
        side.settings,
        side.connections,
        web.stack(ref),
        tuple(web.functions(ref)) if functions else (),
        read_content(services, info) if builds else None,
    )


def slot_diff(services: Services, source: SlotRef, target: str, *, builds: bool = True) -> SlotDiff:
    """Read ``source`` and the slot ``target`` of the same app and work out what the swap changes
    in ``target`` (``builds``: also read the build each side runs, from its Kudu)."""
    target_ref = source.other(target)
    sticky = services.web_apps.sticky_names(source.resource_group, source.app)
    source_side = read_side(services, source, functions=True, builds=builds)
    target_side = read_side(services, target_ref, functions=False, builds=builds)
    return compare(source_side, target_side, sticky)


def compare(source: SlotSide, target: SlotSide, sticky: StickyNames) -> SlotDiff:
    """The diff of two slots already read (pure)."""
    changes = [
        *_changes(Kind.APP_SETTING, source.settings, target.settings, sticky.app_settings),
        *_changes(
            Kind.CONNECTION_STRING,
            {k: v.value for k, v in source.connections.items()},
            {k: v.value for k, v in target.connections.items()},
            sticky.connection_strings,
        ),
    ]
    diff = SlotDiff(source, target, sticky, tuple(changes), ())
    return SlotDiff(source, target, sticky, tuple(changes), _runtime(diff))


def _changes(
    kind: Kind, source: Mapping[str, str], target: Mapping[str, str], sticky: frozenset[str]
) -> list[SettingChange]:
    found = []
    for name in sorted(set(source) | set(target), key=str.lower):
        mine, theirs = target.get(name), source.get(name)
        values = _values(mine, theirs)
        if name in sticky:
            change = Change.STAYS
        elif theirs is None:
            change = Change.DISAPPEARS
        elif mine is None:
            change = Change.APPEARS
        else:
            change = Change.UNCHANGED if mine == theirs else Change.CHANGES
        found.append(SettingChange(kind, name, change, values, name in sticky))
    return found


def _values(mine: str | None, theirs: str | None) -> Values:
    if mine is None or theirs is None:
        return Values.ONE_SIDE
    if mine == theirs:
        return Values.SAME
    key_vault = is_key_vault_reference(mine) or is_key_vault_reference(theirs)
    return Values.KEY_VAULT if key_vault else Values.DIFFERS


def _runtime(diff: SlotDiff) -> tuple[RuntimeSetting, ...]:
    after = diff.settings_after(diff.target.ref)
    found = []
    for name in RUNTIME_SETTINGS:
        now, source = diff.target.setting(name), diff.source.setting(name)
        if now != source:
            sticky = name in diff.sticky.app_settings
            found.append(RuntimeSetting(name, now, source, after.get(name), sticky))
    for name in sorted(set(diff.target.stack) | set(diff.source.stack)):
        now, source = diff.target.stack.get(name), diff.source.stack.get(name)
        if now != source:  # general settings: they swap with the content
            found.append(RuntimeSetting(name, now, source, source, False))
    return tuple(found)
