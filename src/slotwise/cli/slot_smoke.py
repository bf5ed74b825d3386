"""``slotwise slot smoke``: run a checks file against a slot; table or JSON, JUnit XML, markdown.

Parse, load the checks, build the services, call ``slots.smoke.run_smoke``, render, write the
report files, and exit 8 (``SmokeFailed``) when a check failed, after everything was printed and
written. ``--print-schema`` prints the checks file's JSON Schema (for editors) and exits. No logic.
"""

from __future__ import annotations

from pathlib import Path

import click

from slotwise.azure.models import SlotRef, slot_name
from slotwise.cli.context import CliReporter, Number, emit, services, slot_options, table
from slotwise.errors import SmokeFailed, UsageError
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke import DEFAULT_CONCURRENCY, load_checks, run_smoke
from slotwise.slots.smoke_checks import schema_text
from slotwise.slots.smoke_report import (
    TABLE_HEADERS,
    SmokeReport,
    junit_xml,
    markdown,
    summary_line,
    table_rows,
)
from slotwise.slots.smoke_text import safe_text


def _print_schema(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(schema_text(), nl=False)
        ctx.exit(0)


@click.command()
@slot_options
@click.option("-s", "--slot", required=True, metavar="SLOT", help="The slot to test (e.g. staging).")
@click.option(
    "--checks",
    "checks_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The checks file (YAML or JSON; see --print-schema).",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write the results as JUnit XML (for Azure DevOps' Publish Test Results).",
)
@click.option(
    "--markdown",
    "markdown_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write a markdown summary (for release approvers).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=256),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="How many checks run at once.",
)
@click.option(
    "--timeout",
    type=Number(min=0.1, max=230),
    metavar="SECONDS",
    help="Per-request timeout for checks that set none (overrides the file's defaults.timeout; default 30).",
)
@click.option(
    "--print-schema",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_schema,
    help="Print the JSON Schema of checks files and exit.",
)
@click.pass_context
def smoke(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    checks_file: Path,
    junit: Path | None,
    markdown_file: Path | None,
    concurrency: int,
    timeout: float | None,
) -> None:
    """Run the smoke checks in FILE against SLOT, through the slot's own host name and keys.

    The slot is warmed up first (a request repeated until it answers), then the checks run
    concurrently. Keys are fetched through ARM and never printed. Exits 0 when every check passed
    and 8 when any failed (the results are printed and the report files written first).
    """
    plan = load_checks(checks_file)
    svc = services(ctx, subscription)
    ref = SlotRef(resource_group, app, slot_name(slot))
    report = run_smoke(
        svc, ref, plan, reporter=CliReporter(svc.secrets), concurrency=concurrency, timeout=timeout
    )
    emit(
        svc,
        output,
        report.as_dict(),
        lambda: [*table(table_rows(report), TABLE_HEADERS), "", summary_line(report)],
    )
    if junit is not None:
        _write(junit, junit_xml(report), svc.secrets)
    if markdown_file is not None:
        _write(markdown_file, markdown(report), svc.secrets)
    if not report.passed:
        raise _failed(report, svc.secrets)


def _write(path: Path, text: str, secrets: SecretRegistry) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.redact(text), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot write {path}: {error.strerror or error}.") from None
    click.echo(f"Wrote {path}", err=True)


def _failed(report: SmokeReport, secrets: SecretRegistry) -> SmokeFailed:
    names = ", ".join(report.failed_names()) or "the warm-up"
    if not report.warmup.passed:
        message = f"The warm-up of {report.slot} failed, so no check ran: {report.warmup.failure}"
    else:
        message = (
            f"{report.failed_count} of {len(report.results)} smoke checks failed on {report.slot}: {names}."
        )
    return SmokeFailed(safe_text(message, secrets, 600))
