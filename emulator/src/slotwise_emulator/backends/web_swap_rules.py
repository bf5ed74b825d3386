"""Slot swap rules as App Service applies them: what moves, what stays, and what is locked meanwhile.

Owns the swap's long-running record (``SwapOperation``), the two phases of a swap (apply the target's
sticky settings to the source, then exchange), swap with preview (phase one on its own, then complete
or reset), the slot differences a swap would cause, and the 409s that guard slots while a swap runs
or is prepared. Plain functions on the state model; ``web_swap.py`` decides when they run. No HTTP
here, and no clock: times are passed in.

What moves is decided by where the data lives (see ``model.py``): ``Slot.content``, app settings /
connection strings not named in the site's ``slot_config_names``, and siteConfig's general settings
(``SWAPPED_SITE_CONFIG``) move; everything else stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from slotwise_emulator.backends.model import Site, Slot, SwapStatus
from slotwise_emulator.errors import ServiceError

OPERATION_NAME = "SwapSiteSlots"
# siteConfig's general settings, which swap with the content ("framework version, 32/64-bit, web sockets"
# in the docs' list of settings that are swapped); the rest of siteConfig (Always On, CORS, ...) stays.
SWAPPED_SITE_CONFIG = frozenset(
    {
        "netFrameworkVersion",
        "phpVersion",
        "pythonVersion",
        "nodeVersion",
        "powerShellVersion",
        "javaVersion",
        "javaContainer",
        "javaContainerVersion",
        "linuxFxVersion",
        "windowsFxVersion",
        "use32BitWorkerProcess",
        "webSocketsEnabled",
    }
)
SwapState = Literal["running", "succeeded", "failed"]


@dataclass
class SwapOperation:
    """One swap as the service tracks it behind ``.../operationresults/{id}``."""

    id: str
    subscription: str
    resource_group: str
    site: str  # the site's name as created
    source: str  # slot key (lower-case name; "production" for production)
    target: str
    accepted: float
    due: float  # when the swap is applied (accepted + Speed.swap_seconds)
    from_preview: bool  # completes a swap with preview (phase one was applied by applySlotConfig)
    fail_message: str | None = None  # set by fail_next_swap: the swap fails at warm-up
    state: SwapState = "running"
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def involves(self, slot: Slot) -> bool:
        return slot.name.lower() in (self.source, self.target)


@dataclass(frozen=True)
class SlotDifference:
    """One setting that a swap between two slots would change (``slotsdiffs``)."""

    setting_type: str  # AppSetting | ConnectionString
    diff_rule: str
    setting_name: str
    value_in_current_slot: str | None
    value_in_target_slot: str | None
    description: str
    level: str = "Information"


def display_name(slot: Slot) -> str:
    """A slot's name as swap status reports it: production is ``Production``."""
    return "Production" if slot.is_production else slot.name


def warmup_failure(op: SwapOperation) -> ServiceError:
    """What polling a swap that failed at warm-up answers (App Service's own error shape)."""
    message = op.fail_message or (
        f"Cannot swap slots for site '{op.site}' because the application in the '{op.source}' slot did not "
        "answer its warm-up requests in time. Check that the slot starts, or use swap with preview."
    )
    return ServiceError(400, "BadRequest", message, shape="appservice")


def running_conflict(site: Site, op: SwapOperation) -> ServiceError:
    """The 409 every change to a slot gets while a swap involving it runs."""
    created = datetime.fromtimestamp(op.accepted, tz=timezone.utc)
    stamp = f"{created.month}/{created.day}/{created.year} {created.strftime('%I:%M:%S %p').lstrip('0')}"
    slot_name = "" if op.source == "production" else op.source
    message = (
        "Cannot modify this site because another operation is in progress. "
        f"Details: Id: {op.id}, OperationName: {OPERATION_NAME}, CreatedTime: {stamp}, "
        f"SubscriptionName: {site.subscription}, SiteName: {site.name}, SlotName: {slot_name}"
    )
    return ServiceError(409, "Conflict", message, shape="appservice", extended_code="04081")


def prepared_conflict() -> ServiceError:
    """The 409 every other change to a slot gets while a swap with preview is prepared on it."""
    return ServiceError(
        409,
        "Conflict",
        "The slot cannot be changed because its configuration settings have been prepared for swap.",
        shape="appservice",
        extended_code="04082",
    )


def check_writable(site: Site, slot: Slot | None = None) -> None:
    """Raise the 409 if ``slot`` (or, without one, any slot of ``site``) is locked by a swap."""
    op = site.operation
    if isinstance(op, SwapOperation) and op.running and (slot is None or op.involves(slot)):
        raise running_conflict(site, op)
    slots = [slot] if slot is not None else list(site.slots.values())
    if any(s.target_swap_slot is not None for s in slots):
        raise prepared_conflict()


def check_not_running(site: Site, *slots: Slot) -> None:
    """Raise the 'another operation is in progress' 409 if a running swap involves any of ``slots``."""
    op = site.operation
    if isinstance(op, SwapOperation) and op.running and any(op.involves(s) for s in slots):
        raise running_conflict(site, op)


def is_prepared_pair(source: Slot, target: Slot) -> bool:
    """Whether ``source`` and ``target`` are prepared for a swap with each other (either direction)."""
    return (
        source.target_swap_slot is not None
        and target.target_swap_slot is not None
        and source.target_swap_slot.lower() == target.name.lower()
        and target.target_swap_slot.lower() == source.name.lower()
    )


def check_pair_free(site: Site, source: Slot, target: Slot) -> None:
    """Raise a 409 unless both slots are free, or prepared for a swap with each other."""
    check_not_running(site, source, target)
    if is_prepared_pair(source, target):
        return
    if source.target_swap_slot is not None or target.target_swap_slot is not None:
        raise prepared_conflict()


def _sticky(site: Site) -> tuple[set[str], set[str]]:
    names = site.slot_config_names
    return set(names.get("appSettingNames") or []), set(names.get("connectionStringNames") or [])


def _part(values: dict[str, str], names: set[str], *, sticky: bool) -> dict[str, str]:
    return {k: v for k, v in values.items() if (k in names) is sticky}


def _part_cs(
    values: dict[str, dict[str, str]], names: set[str], *, sticky: bool
) -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in values.items() if (k in names) is sticky}


def prepare(site: Site, source: Slot, target: Slot, now: float) -> None:
    """Phase one: give ``source`` the target's sticky settings; remember its own for a reset."""
    sticky_app, sticky_cs = _sticky(site)
    source.preview_from = dict(source.app_settings)
    source.preview_connection_strings = {k: dict(v) for k, v in source.connection_strings.items()}
    source.app_settings = {
        **_part(source.app_settings, sticky_app, sticky=False),
        **_part(target.app_settings, sticky_app, sticky=True),
    }
    source.connection_strings = {
        **_part_cs(source.connection_strings, sticky_cs, sticky=False),
        **_part_cs(target.connection_strings, sticky_cs, sticky=True),
    }
    source.target_swap_slot = target.name
    target.target_swap_slot = source.name
    source.last_modified = now


def revert(source: Slot, target: Slot, now: float) -> None:
    """Undo phase one (resetSlotConfig, or a failed swap): the source gets its own settings back."""
    for slot in (source, target):
        if slot.preview_from is not None:
            slot.app_settings = slot.preview_from
            slot.last_modified = now
        if slot.preview_connection_strings is not None:
            slot.connection_strings = slot.preview_connection_strings
        _clear_preview(slot)


def _clear_preview(slot: Slot) -> None:
    slot.preview_from = None
    slot.preview_connection_strings = None
    slot.target_swap_slot = None


def exchange(site: Site, source: Slot, target: Slot, now: float) -> None:
    """Phase two: content and non-sticky settings change places; sticky ones, keys, hosts stay."""
    sticky_app, sticky_cs = _sticky(site)
    src_app = source.preview_from if source.preview_from is not None else source.app_settings
    tgt_app = target.preview_from if target.preview_from is not None else target.app_settings
    src_cs = source.preview_connection_strings
    src_cs = src_cs if src_cs is not None else source.connection_strings
    tgt_cs = target.preview_connection_strings
    tgt_cs = tgt_cs if tgt_cs is not None else target.connection_strings
    source.app_settings, target.app_settings = (
        {**_part(src_app, sticky_app, sticky=True), **_part(tgt_app, sticky_app, sticky=False)},
        {**_part(tgt_app, sticky_app, sticky=True), **_part(src_app, sticky_app, sticky=False)},
    )
    source.connection_strings, target.connection_strings = (
        {**_part_cs(src_cs, sticky_cs, sticky=True), **_part_cs(tgt_cs, sticky_cs, sticky=False)},
        {**_part_cs(tgt_cs, sticky_cs, sticky=True), **_part_cs(src_cs, sticky_cs, sticky=False)},
    )
    source.content, target.content = target.content, source.content
    _exchange_general(source, target)
    for slot in (source, target):
        _clear_preview(slot)
        slot.swap_status = SwapStatus(now, display_name(source), display_name(target))
        slot.last_modified = now


def _exchange_general(source: Slot, target: Slot) -> None:
    """The general settings of the two slots' siteConfig trade places (an unset one is the default)."""
    given = [
        {k: v for k, v in slot.site_config.items() if k in SWAPPED_SITE_CONFIG} for slot in (source, target)
    ]
    for slot, theirs in zip((source, target), reversed(given), strict=True):
        for key in SWAPPED_SITE_CONFIG:
            slot.site_config.pop(key, None)
        slot.site_config.update(theirs)


def differences(site: Site, current: Slot, target: Slot) -> list[SlotDifference]:
    """The settings a swap of ``current`` into ``target`` would change, in the portal's diff rules."""
    sticky_app, sticky_cs = _sticky(site)
    cur_cs = {k: v.get("value", "") for k, v in current.connection_strings.items()}
    tgt_cs = {k: v.get("value", "") for k, v in target.connection_strings.items()}
    return [
        *_diff("AppSetting", current.app_settings, target.app_settings, sticky_app),
        *_diff("ConnectionString", cur_cs, tgt_cs, sticky_cs),
    ]


def _diff(kind: str, cur: dict[str, str], tgt: dict[str, str], sticky: set[str]) -> list[SlotDifference]:
    out: list[SlotDifference] = []
    for name in sorted(set(cur) | set(tgt)):
        here, there = cur.get(name), tgt.get(name)
        if name in sticky:
            found = _sticky_difference(kind, name, here, there)
            out.extend([found] if found else [])
            continue
        if here == there:
            continue
        if there is None:
            rule, text = "SettingsWillBeAddedToDestination", f"'{name}' will be added to the target slot."
        elif here is None:
            rule, text = "SettingsNotInSource", f"'{name}' is not set in the source slot and will be removed."
        else:
            rule, text = "SettingsWillBeModifiedInDestination", f"'{name}' will change in the target slot."
        out.append(SlotDifference(kind, rule, name, here, there, text))
    return out


def _sticky_difference(kind: str, name: str, here: str | None, there: str | None) -> SlotDifference | None:
    """What ``slotsdiffs`` says of a slot setting: it stays with its slot, so only a value that is the
    same in both slots (nothing slot-specific about it) or one that only one slot has is worth a
    warning; a sticky value that differs is what slot settings are for."""
    if here is not None and here == there:
        text = f"Slot setting '{name}' has the same value in both slots."
        return SlotDifference(kind, "SlotSettingsSameValue", name, here, there, text, "Warning")
    if (here is None) != (there is None):
        side = "source" if here is None else "target"
        text = f"Slot setting '{name}' is missing in the {side} slot."
        return SlotDifference(kind, "SlotSettingsMissing", name, here, there, text, "Warning")
    return None
