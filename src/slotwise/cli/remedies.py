"""The command line's words for a ``Remedy``: the ``slotwise`` command and options that do it.

``word`` is the CLI face's ``errors.Wording``: one sentence per remedy, a command a person can paste
(``-g``/``-n``/``-s`` filled in when the error knows the app and slot). ``advice`` joins an error's
hint and its remedies so worded (``cli.main.report`` prints it after ``hint:``).
Must not: decide which remedies an error has (the operation raising it does), or print.
"""

from __future__ import annotations

from collections.abc import Callable

from slotwise.errors import Action, Remedy, SlotwiseError
from slotwise.errors import advice as _advice

PRODUCTION = "production"  # azure.models.PRODUCTION, not imported: a CLI start imports no azure


def _app(remedy: Remedy) -> str:
    parts = [("-g", remedy.resource_group), ("-n", remedy.app)]
    return "".join(f" {flag} {value}" for flag, value in parts if value)


def _slot(remedy: Remedy) -> str:
    return _app(remedy) + (f" -s {remedy.slot}" if remedy.slot else "")


def _target(remedy: Remedy) -> str:
    return f" --target {remedy.other}" if remedy.other and remedy.other != PRODUCTION else ""


def _park(r: Remedy) -> str:
    park = f"slot '{r.other}'" if r.other else "the park slot"
    return (
        f"Keep it and free the slot: `slotwise slot guard{_slot(r)} --mode park` (moves it to {park}; "
        "add --create-park-slot if that slot does not exist)."
    )


WORDS: dict[Action, Callable[[Remedy], str]] = {
    Action.PARK_HELD_BUILD: _park,
    Action.RELEASE_HOLD: lambda r: f"Not needed any more: `slotwise slot release-hold{_slot(r)}`.",
    Action.ALLOW_OVERWRITE: lambda r: (
        f"Overwrite it on purpose: `slotwise slot deploy{_slot(r)} --allow-overwrite ...`."
    ),
    Action.WAIT_LONGER: lambda r: "Or wait longer with a larger --wait-timeout.",
    Action.CHOOSE_PARK_SLOT: lambda r: "Name another slot to park in with --park-slot.",
    Action.CREATE_PARK_SLOT: lambda r: (
        "Pass --create-park-slot to create it (a slot like production, empty)."
    ),
    Action.CREATE_SLOT: lambda r: "Pass --create-slot to create it (like production: same plan).",
    Action.PREPARE_SWAP: lambda r: (
        f"Prepare it first: `slotwise slot swap{_slot(r)}{_target(r)} --preview` (or swap in one go "
        "without --complete)."
    ),
    Action.COMPLETE_SWAP: lambda r: f"Complete it: `slotwise slot swap{_slot(r)}{_target(r)} --complete`.",
    Action.CANCEL_SWAP: lambda r: f"Cancel it: `slotwise slot swap{_slot(r)} --cancel`.",
    Action.CHOOSE_SWAP_PAIR: lambda r: (
        "Give the slot to swap with -s and the other one with --target (default: production)."
    ),
    Action.ROLL_BACK: lambda r: f"Roll back: `slotwise slot rollback{_app(r)}`.",
    Action.ROLLBACK_ON_FAILURE: lambda r: "Pass --rollback-on-failure to swap back at once when checks fail.",
    Action.RUN_SMOKE: lambda r: (
        f"Run the checks once the cause is fixed: `slotwise slot smoke{_slot(r)} --checks FILE`."
    ),
    Action.LOOK_AT_SLOTS: lambda r: f"`slotwise slot status{_app(r)}` shows the slots.",
    Action.RAISE_TIMEOUT: lambda r: "Give it more time with a larger --timeout.",
    Action.SEE_CHECKS_SCHEMA: lambda r: (
        "Their JSON Schema is printed by `slotwise slot smoke --print-schema`."
    ),
    Action.CHOOSE_SLOT: lambda r: "Name the slot with -s (e.g. -s staging; -s production for production).",
    Action.CHECK_APP: lambda r: (
        "Check -g and -n, and the subscription (--subscription or AZURE_SUBSCRIPTION_ID)."
    ),
    Action.SEE_USAGE: lambda r: "Run the command with --help to see what it expects.",
}


def word(remedy: Remedy) -> str:
    """The CLI's sentence for ``remedy``."""
    return WORDS[remedy.action](remedy)


def advice(error: SlotwiseError) -> str:
    """What to do about ``error``, as the command line says it."""
    return _advice(error, word)
