"""The swap preflight: before a swap starts, read both slots and refuse on what would break the target.

Owns ``judge`` (reads the ``SlotDiff`` of the swap, no Kudu: builds are not needed, and runs the
rules of ``slots.findings``; the slot-swap task uses it too) and ``preflight`` (judges, tells the
reporter every finding, and raises ``PreflightRefused`` when an error-level finding's code is not in
``accepted``). Nothing is changed before or by it. Which phases of a swap run it is the faces'
choice (a swap, and phase one of a swap with preview; completing a prepared swap does not: the
source already holds the target's slot settings then).
Must not: print, or read values into any message.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from slotwise.errors import PreflightRefused, UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.diff import SlotDiff, slot_diff
from slotwise.slots.findings import CODES, Finding, Severity, findings
from slotwise.slots.swap import SwapRequest


@dataclass(frozen=True)
class Preflight:
    """What the preflight read and found, and which error-level findings were accepted."""

    diff: SlotDiff
    findings: tuple[Finding, ...]
    accepted: frozenset[str]

    @property
    def refusing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR and f.code not in self.accepted)


def check_codes(accepted: Collection[str]) -> frozenset[str]:
    """``accepted`` as finding codes, refused when one is not a code the preflight knows."""
    unknown = sorted(set(accepted) - set(CODES))
    if unknown:
        raise UsageError(
            f"Unknown preflight finding '{unknown[0]}': the codes are {', '.join(CODES)}.",
            hint="Accept a finding by the code the preflight printed for it.",
        )
    return frozenset(accepted)


def judge(services: Services, request: SwapRequest, accepted: frozenset[str]) -> Preflight:
    """Read both slots of ``request`` (no Kudu: builds are not needed) and run the rules; tells and
    refuses nothing (each face words and refuses its own way: ``preflight`` here, the slot-swap task)."""
    request.validate()
    diff = slot_diff(services, request.source, request.target_ref.slot, builds=False)
    return Preflight(diff, tuple(findings(diff)), accepted)


def preflight(
    services: Services, request: SwapRequest, accepted: Collection[str], *, reporter: Reporter
) -> Preflight:
    """Read both slots of ``request`` and judge the swap; raise ``PreflightRefused`` (nothing started)
    on an error-level finding whose code is not ``accepted``."""
    request.validate()
    allowed = check_codes(accepted)
    source, target = request.source, request.target_ref
    reporter.step(f"Preflight: what swapping {source.slot} with {target.slot} changes in {target.slot}")
    result = judge(services, request, allowed)
    for finding in result.findings:
        told = f"[{finding.code}] {finding.message} ({', '.join(finding.names)})"
        if finding.severity is Severity.ERROR and finding.code in allowed:
            reporter.warning(f"accepted error {told}")
        else:
            reporter.detail(f"{finding.severity.value}: {told}")
    if not result.findings:
        reporter.detail("Nothing found.")
    refusing = result.refusing
    if refusing:
        listed = "; ".join(f"[{f.code}] {f.message} ({', '.join(f.names)})" for f in refusing)
        raise PreflightRefused(
            f"The swap of {source.slot} with {target.slot} of app '{source.app}' was not started: the "
            f"preflight found {len(refusing)} error(s): {listed}",
            codes=tuple(dict.fromkeys(f.code for f in refusing)),
            hint=" ".join(dict.fromkeys(f.advice for f in refusing))
            + " If a change is meant, accept its finding by the code in brackets.",
        )
    return result
