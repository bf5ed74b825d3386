"""The swap preflight's rules: what in a ``SlotDiff`` will hurt the target (production) or the slots.

Each rule is a function from a ``SlotDiff`` to findings; each ``Finding`` has a stable ``code`` (what
``--accept`` names), a severity, the names involved (app settings, connection strings, functions:
never values) and what to do. The facts are App Service's and Azure Functions' documented ones:
a swap carries every app setting and connection string not marked as a slot setting; a triggered
function runs in every slot unless ``AzureWebJobs.<name>.Disabled`` is true there (a slot setting
keeps it so in a swap); each slot needs its own content file share (``WEBSITE_CONTENTSHARE``); slots
that share a storage account (``AzureWebJobsStorage``) must have different host IDs (the default is
the slot's host name, its first 32 characters; a v4 host stops on a collision); the stack versions
travel with the content. Pure: no reads, no printing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from slotwise.azure.models import SlotRef
from slotwise.slots.connections import looks_like_connection, storage_account
from slotwise.slots.diff import Change, Kind, SettingChange, SlotDiff

CONNECTION_MOVES = "connection-moves"
CONNECTION_APPEARS = "connection-appears"
CONNECTION_DISAPPEARS = "connection-disappears"
TRIGGER_RUNS_IN_STAGING = "trigger-runs-in-staging"
DISABLED_SETTING_MOVES = "disabled-setting-moves"
SHARED_CONTENT_SHARE = "shared-content-share"
HOST_ID_COLLISION = "host-id-collision"
RUNTIME_CHANGE = "runtime-change"
CODES = (
    CONNECTION_MOVES,
    CONNECTION_APPEARS,
    CONNECTION_DISAPPEARS,
    TRIGGER_RUNS_IN_STAGING,
    DISABLED_SETTING_MOVES,
    SHARED_CONTENT_SHARE,
    HOST_ID_COLLISION,
    RUNTIME_CHANGE,
)
HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"
_HOST_ID_LENGTH = 32


class Severity(Enum):
    ERROR = "error"  # the swap would break the target or the slots: refused unless accepted
    WARNING = "warning"
    INFO = "info"


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    names: tuple[str, ...]
    message: str
    advice: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "names": list(self.names),
            "message": self.message,
            "advice": self.advice,
        }


Rule = Callable[[SlotDiff], list[Finding]]


def _moving(diff: SlotDiff, change: Change) -> list[SettingChange]:
    """Connections (connection strings, connection-like app settings) that ``change`` in the target."""
    found = []
    for item in diff.changes:
        if item.change is not change:
            continue
        if item.kind is Kind.CONNECTION_STRING:
            found.append(item)
            continue
        value = diff.source.settings.get(item.name) or diff.target.settings.get(item.name) or ""
        if looks_like_connection(item.name, value):
            found.append(item)
    return found


def _label(items: list[SettingChange]) -> tuple[str, ...]:
    return tuple(f"{i.name} ({i.kind.value})" if i.kind is Kind.CONNECTION_STRING else i.name for i in items)


def connection_moves(diff: SlotDiff) -> list[Finding]:
    """A connection that differs between the slots and is not sticky: the source's moves into the
    target (e.g. staging's database into production)."""
    source, target = diff.source.ref.slot, diff.target.ref.slot
    result = []
    changed = _moving(diff, Change.CHANGES)
    if changed:
        result.append(Finding(
            CONNECTION_MOVES, Severity.ERROR, _label(changed),
            f"{len(changed)} connection(s) differ between {source} and {target} and are not slot "
            f"settings: the swap moves {source}'s into {target}.",
            f"Mark them as deployment slot settings (sticky) if each slot keeps its own, or give "
            f"{source} the same values as {target}.",
        ))  # fmt: skip
    appearing = _moving(diff, Change.APPEARS)
    if appearing:
        result.append(Finding(
            CONNECTION_APPEARS, Severity.WARNING, _label(appearing),
            f"{len(appearing)} connection(s) exist only in {source} and are not slot settings: "
            f"{target} gets them with the swap.",
            f"Check that {target} is meant to use {source}'s values, or mark them as slot settings.",
        ))  # fmt: skip
    leaving = _moving(diff, Change.DISAPPEARS)
    if leaving:
        result.append(Finding(
            CONNECTION_DISAPPEARS, Severity.WARNING, _label(leaving),
            f"{len(leaving)} connection(s) exist only in {target} and are not slot settings: "
            f"{target} loses them with the swap.",
            f"Add them to {source}, or mark them as slot settings so {target} keeps them.",
        ))  # fmt: skip
    return result


def _disabled_name(function: str) -> str:
    return f"AzureWebJobs.{function}.Disabled"


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1")


def _disabled_setting(diff: SlotDiff, function: str) -> str | None:
    """The name of the source's setting that disables ``function`` (the dotted form, or the
    double-underscore form Linux apps use), if it has one."""
    for name in (_disabled_name(function), f"AzureWebJobs__{function}__Disabled"):
        found = next((k for k in diff.source.settings if k.lower() == name.lower()), None)
        if found is not None:
            return found
    return None


def triggers_in_source(diff: SlotDiff) -> list[Finding]:
    """Non-HTTP triggered functions of the source (staging) not disabled there by a sticky setting:
    they run in the source now, competing with the target for the same events, timers and queues."""
    source, target = diff.source.ref.slot, diff.target.ref.slot
    running = []
    for function in diff.source.functions:
        if not function.non_http_triggers or function.disabled:
            continue
        setting = _disabled_setting(diff, function.name)
        if setting is None or not _is_true(diff.source.settings[setting]):
            running.append(function.name)
        elif setting not in diff.sticky.app_settings:
            running.append(function.name)  # disabled now, but the setting leaves with the swap
    if not running:
        return []
    return [Finding(
        TRIGGER_RUNS_IN_STAGING, Severity.WARNING, tuple(running),
        f"{len(running)} function(s) with non-HTTP triggers run in {source} (no sticky "
        f"AzureWebJobs.<name>.Disabled=true there): they compete with {target} for the same events.",
        f"In {source}, add the app setting AzureWebJobs.<name>.Disabled=true for each, marked as a "
        "deployment slot setting.",
    )]  # fmt: skip


def disabled_setting_moves(diff: SlotDiff) -> list[Finding]:
    """A non-sticky ``AzureWebJobs.<name>.Disabled`` = true in the source: the swap moves it into the
    target, where the function then stops."""
    source, target = diff.source.ref.slot, diff.target.ref.slot
    moving = [
        item.name
        for item in diff.changes
        if item.kind is Kind.APP_SETTING
        and not item.sticky
        and item.change in (Change.CHANGES, Change.APPEARS)
        and item.name.lower().startswith("azurewebjobs")
        and item.name.lower().endswith("disabled")
        and _is_true(diff.source.settings.get(item.name))
    ]
    if not moving:
        return []
    return [Finding(
        DISABLED_SETTING_MOVES, Severity.ERROR, tuple(moving),
        f"{len(moving)} setting(s) disable a function in {source} but are not slot settings: the swap "
        f"moves them into {target}, where those functions stop.",
        f"Mark them as deployment slot settings so they stay in {source}.",
    )]  # fmt: skip


def _lookup(settings: dict[str, str]) -> Callable[[str], str | None]:
    """A case-insensitive reader of ``settings`` (app setting names are, on the platform)."""
    lowered = {k.lower(): v for k, v in settings.items()}
    return lambda name: lowered.get(name.lower())


def _share(diff: SlotDiff, ref: SlotRef) -> tuple[str | None, str | None]:
    setting = _lookup(diff.settings_after(ref))
    share = setting("WEBSITE_CONTENTSHARE")
    account = storage_account(setting, "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING")
    return (share.strip().lower() if share else None), account


def shared_content_share(diff: SlotDiff) -> list[Finding]:
    """Both slots (after the swap) on the same content file share of the same storage account: a
    deployment to one overwrites the files the other runs."""
    source, target = diff.source.ref.slot, diff.target.ref.slot
    first, second = _share(diff, diff.source.ref), _share(diff, diff.target.ref)
    if first[0] is None or first != second:
        return []
    return [Finding(
        SHARED_CONTENT_SHARE, Severity.ERROR, ("WEBSITE_CONTENTSHARE",),
        f"{source} and {target} use the same content file share: deploying to one replaces the "
        "files the other runs.",
        "Give each slot its own WEBSITE_CONTENTSHARE, marked as a deployment slot setting.",
    )]  # fmt: skip


def host_id(ref: SlotRef, settings: dict[str, str]) -> str:
    """The Functions host ID of a slot: the ``AzureFunctionsWebHost__hostid`` setting, else the
    slot's site name (``app`` or ``app-slot``) in lower case, cut to 32 characters, without a
    trailing dash."""
    explicit = next((v for k, v in settings.items() if k.lower() in (HOST_ID_SETTING.lower(),
                     "azurefunctionswebhost:hostid")), None)  # fmt: skip
    if explicit:
        return explicit.strip().lower()
    name = ref.app if ref.is_production else f"{ref.app}-{ref.slot}"
    return name.lower()[:_HOST_ID_LENGTH].rstrip("-")


def host_id_collision(diff: SlotDiff) -> list[Finding]:
    """Both slots (after the swap) on the same AzureWebJobsStorage account with the same host ID."""
    source, target = diff.source.ref, diff.target.ref
    accounts, ids = [], []
    for ref in (source, target):
        settings = diff.settings_after(ref)
        accounts.append(storage_account(_lookup(settings), "AzureWebJobsStorage"))
        ids.append(host_id(ref, settings))
    if accounts[0] is None or accounts[0] != accounts[1] or ids[0] != ids[1]:
        return []
    return [Finding(
        HOST_ID_COLLISION, Severity.ERROR, ("AzureWebJobsStorage", HOST_ID_SETTING),
        f"{source.slot} and {target.slot} share their AzureWebJobsStorage account and have the same "
        "host ID: timers and blob triggers mix their state, and a Functions 4 host stops.",
        f"Set {HOST_ID_SETTING} to a different value in each slot (as a slot setting), or give "
        "each slot its own storage account.",
    )]  # fmt: skip


def runtime_change(diff: SlotDiff) -> list[Finding]:
    """Runtime versions the swap changes in the target, or that the swapped-in build ran without."""
    source, target = diff.source.ref.slot, diff.target.ref.slot
    result = []
    for item in diff.runtime:
        if item.target_after != item.target_now:
            result.append(Finding(
                RUNTIME_CHANGE, Severity.WARNING, (item.name,),
                f"The swap changes {target}'s {item.name} from {item.target_now or '(unset)'} to "
                f"{item.target_after or '(unset)'}.",
                f"Make sure the build in {source} was tested on that runtime; swap back if it fails.",
            ))  # fmt: skip
        else:
            result.append(Finding(
                RUNTIME_CHANGE, Severity.WARNING, (item.name,),
                f"{item.name} is a slot setting: {target} keeps {item.target_now or '(unset)'} while "
                f"the build swapped in ran on {item.source_now or '(unset)'} in {source}.",
                f"Set the same {item.name} in both slots, or test the build on {target}'s runtime.",
            ))  # fmt: skip
    return result


RULES: tuple[Rule, ...] = (
    connection_moves,
    disabled_setting_moves,
    shared_content_share,
    host_id_collision,
    triggers_in_source,
    runtime_change,
)


def findings(diff: SlotDiff) -> list[Finding]:
    """Every rule's findings, errors first."""
    found = [finding for rule in RULES for finding in rule(diff)]
    return sorted(found, key=lambda f: _ORDER[f.severity])
