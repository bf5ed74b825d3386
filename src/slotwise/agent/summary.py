"""The markdown a task attaches to the run's summary page, written for release approvers.

An approver deciding whether staging may go live wants, on one page: what this task did and how it
ended; **what build runs where** (production and every slot, with build labels, when they were
deployed, their URLs); which slot holds production's previous build and until when; **how to roll
back**; when checks ran, the smoke results table (rendered by ``slots.smoke_report.markdown``); and
the swap preflight's findings (``FindingsSection``: severity, code, the names involved and what to do,
never a value): what a swap will change (slot-swap) or would change (deploy-to-slot, for the approver
who approves the swap next).

``Summary`` is filled by the task (title, facts, smoke report) and finished by the runtime (result,
the slots' state read after the task, the problem if it failed); ``render`` turns it into markdown
with every piece of text escaped (no remote text becomes a link, an image or HTML), ``write`` puts
it in a file, masked. The agent uploads it (``task.uploadsummary``).

Must not: read Azure (the runtime passes ``AppStatus`` in), or decide anything about holds.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slotwise.agent.vso import Result
from slotwise.azure.models import PRODUCTION
from slotwise.secrets import SecretRegistry
from slotwise.slots.findings import Finding, Severity
from slotwise.slots.guard import describe
from slotwise.slots.smoke_report import SmokeReport, markdown
from slotwise.slots.status import AppStatus, SlotStatus

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|!#~<>])")
_PLAIN_URL = re.compile(r"https://[A-Za-z0-9.:-]+/?")
_VERDICT: dict[Result, str] = {
    "Succeeded": "succeeded",
    "SucceededWithIssues": "succeeded with issues",
    "Failed": "FAILED",
}


def md(text: str) -> str:
    """Plain text for a markdown line or table cell: one line, punctuation escaped, HTML inert."""
    text = text.replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def link(url: str) -> str:
    """An autolink for a plain https host URL (from ARM); anything else as escaped text."""
    return f"<{url}>" if _PLAIN_URL.fullmatch(url) else md(url)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


@dataclass(frozen=True)
class SlotRow:
    """One line of "what runs where"."""

    slot: str
    build: str
    deployed: str
    url: str
    hold: str = ""


@dataclass(frozen=True)
class FindingRow:
    """One finding as an approver reads it: no value, only names."""

    severity: str  # "error", "error (accepted)", "warning", "info"
    code: str
    names: tuple[str, ...]
    meaning: str
    todo: str


@dataclass(frozen=True)
class FindingsSection:
    """The preflight's findings under a heading; ``problem``: the slots could not be read."""

    heading: str
    intro: str
    rows: tuple[FindingRow, ...] = ()
    problem: str | None = None


def finding_rows(
    found: tuple[Finding, ...], accepted: frozenset[str], todo: Callable[[Finding], str]
) -> tuple[FindingRow, ...]:
    """``found`` as rows; an accepted error says so; ``todo`` words what to do for this task."""
    rows = []
    for finding in found:
        severity = finding.severity.value
        if finding.severity is Severity.ERROR and finding.code in accepted:
            severity += " (accepted)"
        rows.append(FindingRow(severity, finding.code, finding.names, finding.message, todo(finding)))
    return tuple(rows)


@dataclass
class Summary:
    """What one task run tells approvers."""

    title: str
    result: Result = "Succeeded"
    facts: list[tuple[str, str]] = field(default_factory=list)
    status: AppStatus | None = None
    status_problem: str | None = None
    smoke: SmokeReport | None = None
    smoke_problem: str | None = None  # smoke checks ran but their report is not available
    problem: str | None = None
    hint: str | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[FindingsSection] = field(default_factory=list)

    def fact(self, name: str, value: str | None) -> None:
        """Add (or replace) one fact; empty values are left out."""
        self.facts = [(k, v) for k, v in self.facts if k != name]
        if value:
            self.facts.append((name, value))


def rows(status: AppStatus) -> list[SlotRow]:
    """Production first, then the slots as ARM lists them."""
    ordered = sorted(status.slots, key=lambda s: s.info.ref.slot != PRODUCTION)
    return [_row(slot) for slot in ordered]


def _row(slot: SlotStatus) -> SlotRow:
    content, hold = slot.content, slot.hold.hold
    build = content.label if content else "nothing deployed by Kudu"
    if content and content.build and content.build.release:
        build += f" ({content.build.release})"
    held = f"holds production's previous build until {_when(hold.expires)}" if hold else ""
    deployed = _when(content.deployed_at if content else None)
    return SlotRow(slot.info.ref.slot, build, deployed, slot.info.url, held)


def rollback_advice(status: AppStatus) -> list[str]:
    """How to put production's previous build back, in markdown lines (already escaped)."""
    held = [s.hold.hold for s in status.slots if s.hold.hold is not None]
    if not held:
        return ["No slot holds production's previous build now: there is no instant rollback by swap."]
    lines = []
    for hold in held:
        lines.append(f"- {md(describe(hold))}.")
        ref = hold.slot
        lines.append(
            f"  To roll back, swap slot **{md(ref.slot)}** with production again: run the *slot-swap* "
            f"task with `sourceSlot: {ref.slot}`."
        )
    lines.append("")
    lines.append(
        "Deploying into a slot that holds the rollback build is refused unless the pipeline sets "
        "`allowOverwrite`; *guard-against-overwrite* with `mode: park` moves it aside first."
    )
    return lines


def render(summary: Summary) -> str:
    """The summary as markdown."""
    lines = [f"## slotwise: {md(summary.title)}", "", f"**Result: {_VERDICT[summary.result]}**", ""]
    if summary.problem:
        lines += [f"> {md(summary.problem)}", ">"]
        lines += [f"> What to do: {md(summary.hint)}"] if summary.hint else []
        lines.append("")
    if summary.facts:
        lines += ["| | |", "|---|---|"]
        lines += [f"| {md(name)} | {link(value)} |" for name, value in summary.facts]
        lines.append("")
    for section in summary.findings:
        lines += findings_markdown(section)
    lines += _where(summary)
    if summary.smoke is not None:
        smoke = markdown(summary.smoke).splitlines()
        lines += ["#" + line if line.startswith("#") else line for line in smoke]  # one level down
        lines.append("")
    elif summary.smoke_problem:
        lines += ["### Smoke tests", "", md(summary.smoke_problem), ""]
    for note in summary.notes:
        lines += [f"- {md(note)}"]
    return "\n".join(lines).rstrip() + "\n"


def findings_markdown(section: FindingsSection) -> list[str]:
    """A findings section as markdown lines (escaped): a table, or why there is none."""
    lines = [f"### {md(section.heading)}", "", md(section.intro), ""]
    if section.problem:
        return [*lines, f"Could not read the slots to tell: {md(section.problem)}", ""]
    if not section.rows:
        return [*lines, "Nothing found.", ""]
    lines += ["| Severity | Finding | Names | What it means | What to do |", "|---|---|---|---|---|"]
    for row in section.rows:
        severity = f"**{md(row.severity)}**" if row.severity == Severity.ERROR.value else md(row.severity)
        names = ", ".join(md(name) for name in row.names)
        lines.append(f"| {severity} | {md(row.code)} | {names} | {md(row.meaning)} | {md(row.todo)} |")
    return [*lines, ""]


def _where(summary: Summary) -> list[str]:
    status = summary.status
    if status is None:
        if summary.status_problem:
            return ["### What runs where", "", f"Could not read the slots: {md(summary.status_problem)}", ""]
        return []
    lines = [
        f"### What runs where: {md(status.app)} (resource group {md(status.resource_group)})",
        "",
        "| Slot | Build | Deployed | URL | Hold |",
        "|---|---|---|---|---|",
    ]
    for row in rows(status):
        name = f"**{md(row.slot)}**" if row.slot == PRODUCTION else md(row.slot)
        lines.append(f"| {name} | {md(row.build)} | {row.deployed} | {link(row.url)} | {md(row.hold)} |")
    lines += ["", "### Rollback", "", *rollback_advice(status), ""]
    return lines


def write(text: str, directory: Path, name: str, secrets: SecretRegistry) -> Path:
    """Write the summary (masked) as ``directory/slotwise-<name>-<random>.md``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"slotwise-{name}-{uuid.uuid4().hex[:8]}.md"
    path.write_text(secrets.redact(text), encoding="utf-8")
    return path
