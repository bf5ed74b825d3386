"""``slotwise release start | status | logs``: releases at run time, for pipeline authors.

Parse the arguments, call ``releases.starting`` / ``releases.reading`` / ``releases.watching`` with
the organization's releases (``devops.releases.RawReleases``, opened through the factory's
settings, unless whoever runs the command in-process hands a gateway in as
``obj={"releases": ...}``) and the clock (``obj={"clock": ...}``, else the system's), and print what
they answer (``cli.release_run_output``): no logic. Every remote word printed is made inert.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from slotwise.cli.approvals import ORG, OUTPUT, PROJECT
from slotwise.cli.context import Number
from slotwise.errors import UsageError
from slotwise.text import neutral

if TYPE_CHECKING:
    from slotwise.releases.run_gateway import ReleasesGateway
    from slotwise.releases.run_view import ReleaseView
    from slotwise.releases.watching import Outcome
    from slotwise.timing import Clock

ORG_HELP = """\b
Azure DevOps: --org URL or $AZURE_DEVOPS_ORG_URL (in a pipeline $SYSTEM_COLLECTIONURI); a PAT in
$AZURE_DEVOPS_EXT_PAT or $AZDO_PERSONAL_ACCESS_TOKEN (scopes Release: Read, write, execute & manage
to start, Read to look; Build: Read), or an Entra ID sign-in (azure-identity)."""

EXIT_HELP = """\b
Exit codes with --watch: 0 succeeded (a partially succeeded stage is a warning); 11 waits for a
person (an approval; a stage deployed only by hand; or a stage queued behind an older release that
waits for approval); 12 a deployment failed; 13 rejected by an approver (or a timed-out approval) or
canceled; 6 still going on after --timeout; 130 Ctrl-C. The release goes on in Azure DevOps
whenever watching stops."""


def _watch_options(fn: Any) -> Any:
    fn = click.option(
        "--timeout", type=Number(min=1), default=3600.0, show_default=True, metavar="SECONDS",
        help="With --watch: stop watching after this long (exit 6; the release goes on).",
    )(fn)  # fmt: skip
    fn = click.option(
        "--poll", type=Number(min=0.5), default=5.0, show_default=True, metavar="SECONDS",
        help="With --watch: how often to ask Azure DevOps (one request a time, and one per finished task).",
    )(fn)  # fmt: skip
    return click.option(
        "--watch", is_flag=True,
        help="Follow the release live until it ends or waits for a person: stages, each task's result "
        "with its last log lines, approvals waiting. The exit code says how it ended.",
    )(fn)  # fmt: skip


def _gateway(ctx: click.Context, org_url: str | None) -> tuple[ReleasesGateway, Clock]:
    """The gateway and clock handed in on the root context's object, else the organization's."""
    from slotwise.timing import SystemClock

    obj = ctx.find_root().ensure_object(dict)
    clock: Clock = obj.get("clock") or SystemClock()
    if "releases" not in obj:
        from slotwise.cli.context import environment
        from slotwise.devops.organization import open_organization
        from slotwise.devops.releases import RawReleases
        from slotwise.factory import devops_settings

        organization = open_organization(devops_settings(environment(ctx), org_url), clock=clock)
        obj["releases"] = RawReleases(organization.connection)
    gateway: ReleasesGateway = obj["releases"]
    return gateway, clock


def _echo(lines: list[str], *, err: bool = False) -> None:
    for line in lines:
        click.echo(neutral(line), err=err)


@click.command(epilog=ORG_HELP + "\n\n" + EXIT_HELP)
@click.argument("definition", metavar="DEFINITION")
@PROJECT
@click.option(
    "--build", "build", metavar="NUMBER|ID",
    help="The build to release: its build number (20261202.3), else its build id.",
)  # fmt: skip
@click.option("--latest", is_flag=True, help="Release the latest succeeded build (the default).")
@click.option(
    "--stage", "stages", multiple=True, metavar="STAGE",
    help="Deploy only this stage automatically (repeat for several): every other stage with an "
    "automated trigger is manual in this release.",
)  # fmt: skip
@_watch_options
@ORG
@OUTPUT
@click.pass_context
def start(
    ctx: click.Context,
    definition: str,
    project: str | None,
    build: str | None,
    latest: bool,
    stages: tuple[str, ...],
    watch: bool,
    poll: float,
    timeout: float,
    org_url: str | None,
    output: str,
) -> None:
    """Create a release of DEFINITION (its name, with its folder if needed: \\Functions\\orders-api,
    or its id) and print what each stage will do; with --watch, follow it.

    Everything is checked before the release is created: the definition, the build (--build, else
    the latest succeeded build of the artifact's build pipeline) and the stages; nothing is made
    when one is not found.
    """
    from slotwise.cli.release_run_output import plan_lines, start_dict
    from slotwise.releases.run_view import view_of
    from slotwise.releases.starting import plan_start
    from slotwise.releases.starting import start as create

    if build is not None and latest:
        raise UsageError("Give --build or --latest, not both.")
    gateway, clock = _gateway(ctx, org_url)
    plan = plan_start(gateway, definition, project, build=build, stages=stages)
    made = view_of(create(gateway, plan), plan.project)
    if output == "text":
        _echo(plan_lines(plan, made))
    if not watch:
        if output == "json":
            click.echo(json.dumps(start_dict(plan, made), indent=2, ensure_ascii=False))
        return
    scope = {s.name.lower() for s in plan.stages if not s.made_manual}
    _follow(gateway, clock, made, poll, timeout, output, scope, start_dict(plan, made))


@click.command(epilog=ORG_HELP + "\n\n" + EXIT_HELP)
@click.argument("release_id", type=int, required=False, metavar="[ID]")
@click.option(
    "--definition", "-d", metavar="DEFINITION",
    help="Instead of an id: the newest release of this definition (its name or id).",
)  # fmt: skip
@click.option("--latest", is_flag=True, help="With --definition: its newest release (the default).")
@PROJECT
@_watch_options
@ORG
@OUTPUT
@click.pass_context
def status(
    ctx: click.Context,
    release_id: int | None,
    definition: str | None,
    latest: bool,
    project: str | None,
    watch: bool,
    poll: float,
    timeout: float,
    org_url: str | None,
    output: str,
) -> None:
    """Show a release in one screen: its build (number, branch, commit) and each stage: what it is
    doing, the tasks of its latest attempt and their results, the approvals waiting (who may
    approve, since when, the timeout) and who rejected it, saying what.

    -o json prints the documented shape (README: "Starting and following releases").
    """
    from slotwise.cli.release_run_output import status_dict, status_lines
    from slotwise.releases.reading import find_release
    from slotwise.releases.run_view import view_of

    if latest and definition is None:
        raise UsageError("--latest goes with --definition.")
    gateway, clock = _gateway(ctx, org_url)
    where, document = find_release(gateway, release_id, definition, project)
    view = view_of(document, where)
    if not watch:
        if output == "json":
            click.echo(json.dumps(status_dict(view), indent=2, ensure_ascii=False))
        else:
            _echo(status_lines(view))
        return
    if output == "text":
        _echo(status_lines(view)[:3])
    _follow(gateway, clock, view, poll, timeout, output, None, {})


@click.command(epilog=ORG_HELP)
@click.argument("release_id", type=int, metavar="ID")
@click.option(
    "--stage", "stages", multiple=True, metavar="STAGE",
    help="Only this stage's logs (repeat for several; default: every stage).",
)  # fmt: skip
@PROJECT
@ORG
@click.pass_context
def logs(
    ctx: click.Context, release_id: int, stages: tuple[str, ...], project: str | None, org_url: str | None
) -> None:
    """Print each task's log of each stage's latest deployment attempt, headed by stage and task.

    A stage never deployed says so.
    """
    from slotwise.cli.release_run_output import log_lines
    from slotwise.releases.reading import chosen_stages, find_release, stage_logs
    from slotwise.releases.run_view import view_of

    gateway, _ = _gateway(ctx, org_url)
    where, document = find_release(gateway, release_id, None, project)
    view = view_of(document, where)
    for stage in chosen_stages(view, stages):
        _echo(log_lines(stage_logs(gateway, view, stage)))


def _follow(
    gateway: ReleasesGateway,
    clock: Clock,
    view: ReleaseView,
    poll: float,
    timeout: float,
    output: str,
    scope: set[str] | None,
    started: dict[str, Any],
) -> None:
    """Watch the release, printing each change (on stderr with -o json), then end as it ended."""
    from slotwise.cli.release_run_output import event_lines
    from slotwise.releases.watching import Event, conclude, watch

    def tell(event: Event) -> None:
        _echo(event_lines(event), err=output == "json")

    last, outcome = watch(
        gateway, view.project, view.id, clock, poll=poll, timeout=timeout, tell=tell, scope=scope
    )
    _ended(last, outcome, output, started)
    conclude(last, outcome)


def _ended(view: ReleaseView, outcome: Outcome, output: str, started: dict[str, Any]) -> None:
    from slotwise.cli.release_run_output import status_dict
    from slotwise.releases.watching import Ending

    if outcome.partial:
        click.secho(
            neutral(f"warning: {view.name}: stage{'s' if len(outcome.partial) > 1 else ''} "
                    f"{', '.join(outcome.partial)} only partially succeeded (a task succeeded with issues)."),
            fg="yellow", err=True,
        )  # fmt: skip
    if output == "json":
        shown = status_dict(view, outcome)  # status --watch: as status; start --watch: inside start's
        click.echo(
            json.dumps({**started, "status": shown} if started else shown, indent=2, ensure_ascii=False)
        )
    elif outcome.ending is Ending.SUCCEEDED:
        click.echo(neutral(f"{view.name} succeeded."))
