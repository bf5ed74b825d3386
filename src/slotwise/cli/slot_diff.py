"""``slotwise slot diff``: what a swap will change in the target slot, and the preflight's findings.

Parse, build the services, call ``slots.diff.slot_diff`` and ``slots.findings.findings``, render a
table, JSON or Markdown. Names only: the operation registered every value as a secret, and no
renderer is given one. No logic.
"""

from __future__ import annotations

import click

from slotwise.azure.models import PRODUCTION, SlotRef, slot_name
from slotwise.cli.context import emit, services, slot_options_with, table
from slotwise.slots.diff import Change, SlotDiff, slot_diff
from slotwise.slots.findings import Finding, findings

_HIDDEN = (Change.UNCHANGED,)  # the table leaves these out (JSON has every name)


@click.command(name="diff")
@slot_options_with(("table", "json", "markdown"))
@click.option("-s", "--slot", required=True, metavar="SLOT", help="The slot to swap in (e.g. staging).")
@click.option(
    "--target", default=PRODUCTION, show_default=True, metavar="SLOT", help="The slot it would swap with."
)
@click.pass_context
def diff_command(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    target: str,
) -> None:
    """Show what swapping SLOT with the target (production by default) would change in the target,
    before you swap: the build each side runs, the app settings and connection strings that change,
    appear or disappear (names only: values are never shown, only whether they are the same, differ,
    or are Key Vault references), which are slot settings (sticky: they stay), the runtime versions
    that differ, and the findings of the swap preflight (what `slot swap` refuses unless accepted).
    """
    svc = services(ctx, subscription)
    result = slot_diff(svc, SlotRef(resource_group, app, slot_name(slot)), slot_name(target))
    found = findings(result)
    data = {**result.as_dict(), "findings": [f.as_dict() for f in found]}
    render = _markdown if output == "markdown" else _lines
    emit(svc, output, data, lambda: render(result, found))


def _build(diff: SlotDiff, which: str) -> str:
    side = diff.source if which == "source" else diff.target
    return side.content.label if side.content else "nothing deployed"


def _setting_rows(diff: SlotDiff) -> list[list[str]]:
    return [
        [c.kind.value, c.name, c.change.value, c.values.value, "yes" if c.sticky else "-"]
        for c in diff.changes
        if c.change not in _HIDDEN
    ]


def _runtime_rows(diff: SlotDiff) -> list[list[str]]:
    return [[r.name, r.target_now or "-", r.source_now or "-", r.target_after or "-"] for r in diff.runtime]


def _headers(diff: SlotDiff) -> tuple[list[str], list[str]]:
    source, target = diff.source.ref.slot, diff.target.ref.slot
    settings = ["kind", "name", f"in {target}", "values", "sticky"]
    runtime = ["setting", f"{target} now", source, f"{target} after"]
    return settings, runtime


def _finding_lines(found: list[Finding]) -> list[str]:
    lines = []
    for f in found:
        lines.append(f"{f.severity.value}: [{f.code}] {f.message}")
        lines.append(f"    names: {', '.join(f.names)}")
        lines.append(f"    what to do: {f.advice}")
    return lines


def _lines(diff: SlotDiff, found: list[Finding]) -> list[str]:
    source, target = diff.source.ref.slot, diff.target.ref.slot
    settings_headers, runtime_headers = _headers(diff)
    rows = _setting_rows(diff)
    hidden = len(diff.changes) - len(rows)
    lines = [
        f"Swap of {source} with {target}, app '{diff.source.ref.app}' in resource group "
        f"'{diff.source.ref.resource_group}': what {target} will hold (values are never shown)",
        f"Build: {target} runs {_build(diff, 'target')}; after the swap it runs {_build(diff, 'source')}.",
        "",
        *(
            table(rows, settings_headers)
            if rows
            else [f"No app setting or connection string changes in {target}."]
        ),
    ]
    if hidden:
        lines.append(f"({hidden} unchanged not shown; -o json lists every name)")
    if diff.runtime:
        lines += ["", *table(_runtime_rows(diff), runtime_headers)]
    lines += ["", *(_finding_lines(found) if found else ["Preflight: nothing found."])]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(rows: list[list[str]], headers: list[str]) -> list[str]:
    return [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def _markdown(diff: SlotDiff, found: list[Finding]) -> list[str]:
    source, target = diff.source.ref.slot, diff.target.ref.slot
    settings_headers, runtime_headers = _headers(diff)
    rows = _setting_rows(diff)
    lines = [
        f"### Swap of `{source}` with `{target}` (app `{diff.source.ref.app}`)",
        "",
        f"- Build: `{target}` runs **{_build(diff, 'target')}**; then **{_build(diff, 'source')}**.",
        "",
        "#### Settings (names only)",
        "",
        *(_md_table(rows, settings_headers) if rows else ["No changes."]),
    ]
    if diff.runtime:
        lines += ["", "#### Runtime", "", *_md_table(_runtime_rows(diff), runtime_headers)]
    lines += ["", "#### Preflight", ""]
    if not found:
        lines.append("Nothing found.")
    for f in found:
        names = ", ".join(f"`{n}`" for n in f.names)
        lines.append(f"- **{f.severity.value}** `{f.code}`: {f.message} ({names}) — {f.advice}")
    return lines
