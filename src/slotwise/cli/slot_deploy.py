"""``slotwise slot deploy``: deploy a zip or a folder to one slot through Kudu, guarded.

Parses the options, stamps the build from the CI environment (``slots.metadata``, explicit options
winning), wires the guard when ``slotwise.slots.guard`` provides one, calls ``slots.deploy`` and
prints the result. No logic of its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from slotwise.azure.models import SlotRef
from slotwise.builds import BuildInfo
from slotwise.cli.context import CliReporter, Number, emit, environment, services, slot_options
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.deploy import DEFAULT_TIMEOUT, DeployRequest, DeployResult, Guard, deploy
from slotwise.slots.metadata import build_info
from slotwise.slots.model import GuardDecision


@click.command(name="deploy")
@slot_options
@click.option(
    "-s",
    "--slot",
    required=True,
    metavar="SLOT",
    help="The slot to deploy to, e.g. staging. Required: to deploy to production you must say -s production.",
)
@click.option(
    "--package",
    required=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="A .zip of the app, or the folder holding host.json (zipped for you, on disk, then removed).",
)
@click.option(
    "--create-slot", is_flag=True, help="Create the slot first if the app does not have it (like production)."
)
@click.option(
    "--allow-overwrite",
    is_flag=True,
    help="Deploy even if the slot holds production's previous build (the rollback). That build is "
    "destroyed; slotwise says which.",
)
@click.option(
    "--timeout",
    type=Number(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="After the upload, give up waiting for Kudu after this many seconds (Kudu goes on).",
)
@click.option("--build-id", metavar="ID", help="Build id to stamp (default: from Azure Pipelines/GitHub).")
@click.option("--build-number", metavar="NUMBER", help="Build number to stamp, e.g. 20260101.3.")
@click.option("--release", metavar="NAME", help="Release name to stamp, e.g. Release-42.")
@click.option("--commit", metavar="SHA", help="Source commit to stamp.")
@click.pass_context
def deploy_command(
    ctx: click.Context,
    resource_group: str,
    app: str,
    subscription: str | None,
    output: str,
    slot: str,
    package: Path,
    create_slot: bool,
    allow_overwrite: bool,
    timeout: float,
    build_id: str | None,
    build_number: str | None,
    release: str | None,
    commit: str | None,
) -> None:
    """Deploy a build (a .zip or a folder) to one slot of an app, and wait until it runs there.

    The package is streamed to the slot's Kudu (zip deploy) with the build stamped on the
    deployment (build id and number, release, commit, who, when; read from Azure Pipelines or
    GitHub Actions variables unless given), so the stamp moves with the content when slots swap.

    Safe by default: nothing goes to production unless you pass -s production; a missing slot is
    an error unless --create-slot; a function app's package must hold host.json at its root
    (checked before the upload); and a slot that holds production's previous build (your
    rollback, after a swap) is refused: park that build first (`slotwise slot guard --mode park`)
    or pass --allow-overwrite. The check is repeated right before the upload, and if another
    release swaps the slot with production while the deployment runs, so that it destroys
    production's previous build, the command fails with exit code 7 naming that build.

    \b
    Examples:
      slotwise slot deploy -g my-rg -n my-func -s staging --package ./build/app.zip
      slotwise slot deploy -g my-rg -n my-func -s qa --create-slot --package ./publish
    """
    svc = services(ctx, subscription)
    reporter = CliReporter(svc.secrets)
    overrides = BuildInfo(build_id=build_id, build_number=build_number, release=release, commit=commit)
    request = DeployRequest(
        resource_group=resource_group,
        app=app,
        slot=slot,
        package=package,
        build=build_info(environment(ctx), now=svc.clock.now(), overrides=overrides),
        create_slot=create_slot,
        allow_overwrite=allow_overwrite,
        timeout=timeout,
    )
    result = deploy(svc, request, guard=_guard(svc, reporter), reporter=reporter)
    emit(svc, output, result.as_dict(), lambda: _lines(result))


def _guard(svc: Services, reporter: Reporter) -> Guard | None:
    """``slotwise.slots.guard.check`` bound to this command's services, once that module exists."""
    try:
        module = importlib.import_module("slotwise.slots.guard")
    except ModuleNotFoundError as error:
        if error.name != "slotwise.slots.guard":
            raise
        return None
    check: Any = getattr(module, "check", None)
    if check is None:
        return None

    def guard(ref: SlotRef) -> GuardDecision:
        decision: GuardDecision = check(svc, ref, reporter)
        return decision

    return guard


def _lines(result: DeployResult) -> list[str]:
    rows = [
        ["slot", str(result.slot)],
        ["url", result.url],
        ["build", result.build.label],
        ["deployment", result.deployment_id],
        ["package", f"{result.package}{' (zipped)' if result.zipped else ''}, {result.bytes:,} bytes"],
        ["took", f"{result.seconds:.1f} s"],
    ]
    if result.created_slot:
        rows.append(["created", "yes (--create-slot)"])
    if result.overwrote:
        rows.append(["destroyed", f"{result.overwrote} (--allow-overwrite)"])
    width = max(len(key) for key, _ in rows)
    return [f"{key.ljust(width)}  {value}" for key, value in rows]
