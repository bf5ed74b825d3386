"""``slotwise approvals``: what release approvers do: list what waits, show what an approval lets
through, approve, reject, reassign.

Parse the arguments, call ``releases.deciding`` / ``releases.approval_view`` with the organization's
approvals (``devops.approvals.RawApprovals``, opened through the factory's settings, unless whoever
runs the command in-process hands a gateway in as ``obj={"approvals": ...}``), and print what they
answer: no logic. Refusals of the service are ``ApprovalRefused`` (exit 4) with the reason.
Every remote word printed is made inert (``slotwise.text``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from slotwise.text import neutral

if TYPE_CHECKING:
    from slotwise.releases.approval_view import ApprovalView
    from slotwise.releases.approvals import Pending
    from slotwise.releases.deciding import ApprovalsGateway

ORG_HELP = """\b
Azure DevOps: --org URL or $AZURE_DEVOPS_ORG_URL (in a pipeline $SYSTEM_COLLECTIONURI); a PAT in
$AZURE_DEVOPS_EXT_PAT or $AZDO_PERSONAL_ACCESS_TOKEN (scope Release: Read to look, Read, write,
execute & manage to decide), or an Entra ID sign-in (azure-identity). You act as that identity."""

ORG = click.option(
    "--org",
    "org_url",
    metavar="URL",
    help="The Azure DevOps organization, such as https://dev.azure.com/contoso "
    "(default: $AZURE_DEVOPS_ORG_URL, in a pipeline $SYSTEM_COLLECTIONURI).",
)
PROJECT = click.option(
    "--project",
    "-p",
    metavar="PROJECT",
    help="The project of the releases (default: look in every project you can see).",
)
OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print for people, or JSON for scripts.",
)
COMMENT = click.option(
    "--comment",
    "-c",
    required=True,
    help="Why: recorded with the decision in the release's history (required).",
)


@click.group(epilog=ORG_HELP)
def approvals() -> None:
    """Release approvals: see what waits for a decision, and decide it.

    A release stage with approvers waits before (or after) its deployment until enough approvers
    approve; one rejection stops the stage and the stages after it. Start with `list --mine`,
    look at one with `show ID` (its build, the stage's tasks, the test results of earlier stages),
    then `approve ID --comment ...` or `reject ID --comment ...`.
    """


def _gateway(ctx: click.Context, org_url: str | None) -> ApprovalsGateway:
    """The gateway handed in on the root context's object, else the organization's approvals."""
    obj = ctx.find_root().ensure_object(dict)
    if "approvals" not in obj:
        from slotwise.cli.context import environment
        from slotwise.devops.approvals import RawApprovals
        from slotwise.devops.organization import open_organization
        from slotwise.factory import devops_settings

        organization = open_organization(devops_settings(environment(ctx), org_url))
        obj["approvals"] = RawApprovals(organization.connection)
    gateway: ApprovalsGateway = obj["approvals"]
    return gateway


@approvals.command("list", epilog=ORG_HELP)
@click.option(
    "--mine",
    is_flag=True,
    help="Only the approvals you may decide: assigned to you, or to a group you are in.",
)
@PROJECT
@ORG
@OUTPUT
@click.pass_context
def list_(ctx: click.Context, mine: bool, project: str | None, org_url: str | None, output: str) -> None:
    """List the pending release approvals, oldest first.

    One line per approval: its id (for show, approve, reject), the release and its definition, the
    stage and whether the approval gates it before or after its deployment, who may approve it (a
    person, or any member of a group), since when it waits and when it times out (a timed-out
    approval rejects the stage).
    """
    from slotwise.releases.deciding import list_pending

    found = list_pending(_gateway(ctx, org_url), project, mine=mine)
    if output == "json":
        click.echo(json.dumps([p.as_dict() for p in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No approval is waiting" + (" for you." if mine else "."))
        return
    for pending in found:
        click.echo(_line(pending))
    click.echo(f"{len(found)} approval{'s' if len(found) != 1 else ''} waiting.")


def _line(p: Pending) -> str:
    times_out = f", times out {p.times_out}" if p.times_out else ""
    return neutral(
        f"{p.id:>6}  {p.project}/{p.definition} {p.release}  stage {p.stage} ({p.kind} deployment)  "
        f"approver: {p.who_may}  waiting since {p.waiting_since}{times_out}"
    )


@approvals.command(epilog=ORG_HELP)
@click.argument("approval_id", type=int, metavar="ID")
@PROJECT
@ORG
@OUTPUT
@click.pass_context
def show(ctx: click.Context, approval_id: int, project: str | None, org_url: str | None, output: str) -> None:
    """Show what approving ID lets through, in one screen.

    The release and the build it deploys (number, branch, commit), the stage the approval gates and
    the tasks it will run, and each earlier stage: its result, its tasks' results and the summaries
    they uploaded (such as the smoke tests of the staging slot and what each slot holds).
    """
    from slotwise.releases.approval_view import view

    seen = view(_gateway(ctx, org_url), approval_id, project)
    if output == "json":
        click.echo(json.dumps(seen.as_dict(), indent=2, ensure_ascii=False))
        return
    for line in _screen(seen):
        click.echo(neutral(line))


def _screen(seen: ApprovalView) -> list[str]:
    from slotwise.releases.summary_screen import screen

    p = seen.approval
    lines = [
        f"Approval {p.id} ({p.status}): {p.project}/{p.definition} {p.release}, stage {p.stage}, "
        f"{p.kind} deployment",
        f"  approver: {p.who_may}; waiting since {p.waiting_since}"
        + (f"; times out {p.times_out}" if p.times_out else ""),
        f"  release: {seen.release_status}, created by {seen.created_by or 'unknown'} ({seen.reason})",
    ]
    for build in seen.builds:
        lines.append(
            f"  build{' (primary)' if build.primary else ''}: {build.definition} {build.number}, branch "
            f"{build.branch or '-'}, commit {build.commit or '-'} (artifact {build.alias})"
        )
    lines.append(f"Stage {p.stage} will run:")
    lines += [f"  {i}. {task}" for i, task in enumerate(seen.stage_tasks, 1)] or ["  (no tasks)"]
    for stage in seen.earlier:
        lines.append(f"Earlier stage {stage.name}: {stage.status}")
        lines += [f"  {status:<10} {name}" for name, status in stage.tasks]
        lines += screen(stage.summaries)
    return lines


def _id_or_all(approval_ids: tuple[int, ...], all_for: str | None) -> None:
    from slotwise.errors import UsageError

    if bool(approval_ids) == bool(all_for):
        raise UsageError("Give approval ids, or --all-for RELEASE, not both and not neither.")


ALL_FOR = click.option(
    "--all-for",
    metavar="RELEASE",
    help="Every pending approval of this release (its id, or its name such as Release-7) that waits "
    "for you or a group you are in, instead of ids.",
)


@approvals.command(epilog=ORG_HELP)
@click.argument("approval_ids", type=int, nargs=-1, metavar="[ID]...")
@COMMENT
@ALL_FOR
@PROJECT
@ORG
@click.pass_context
def approve(
    ctx: click.Context,
    approval_ids: tuple[int, ...],
    comment: str,
    all_for: str | None,
    project: str | None,
    org_url: str | None,
) -> None:
    """Approve release approvals: the stage goes on (deploys, or, when approved after its
    deployment, the release moves to the next stage) once enough approvers approved.

    Look first with `slotwise approvals show ID`. Azure DevOps may refuse: when you are not an
    approver, when you created the release and the stage does not let its creator approve, or when
    the approval was already decided; slotwise says which, and stops at the first refusal (exit 4).
    """
    _decide(ctx, approval_ids, all_for, project, org_url, comment, approving=True)


@approvals.command(epilog=ORG_HELP)
@click.argument("approval_ids", type=int, nargs=-1, metavar="[ID]...")
@COMMENT
@ALL_FOR
@PROJECT
@ORG
@click.pass_context
def reject(
    ctx: click.Context,
    approval_ids: tuple[int, ...],
    comment: str,
    all_for: str | None,
    project: str | None,
    org_url: str | None,
) -> None:
    """Reject release approvals: the stage is rejected and the stages after it do not run.

    Say why in --comment: the release's author reads it in the release's history.
    """
    _decide(ctx, approval_ids, all_for, project, org_url, comment, approving=False)


def _decide(
    ctx: click.Context,
    approval_ids: tuple[int, ...],
    all_for: str | None,
    project: str | None,
    org_url: str | None,
    comment: str,
    *,
    approving: bool,
) -> None:
    from slotwise.releases.deciding import approve, decide_all_for, reject

    _id_or_all(approval_ids, all_for)
    gateway = _gateway(ctx, org_url)
    verb = "Approved" if approving else "Rejected"

    def said(p: Pending) -> None:
        click.echo(
            neutral(f"{verb} approval {p.id}: {p.project}/{p.definition} {p.release}, stage {p.stage}.")
        )

    if all_for:
        done = decide_all_for(gateway, all_for, project, approving=approving, comment=comment, decided=said)
        click.echo(f"{len(done)} approval{'s' if len(done) != 1 else ''} {verb.lower()}.")
        return
    choose = approve if approving else reject
    for approval_id in approval_ids:
        said(choose(gateway, approval_id, project, comment))


@approvals.command(epilog=ORG_HELP)
@click.argument("approval_id", type=int, metavar="ID")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="USER",
    help="The new approver: an e-mail (ops@contoso.com), or a group as [Project]\\Group.",
)
@COMMENT
@PROJECT
@ORG
@click.pass_context
def reassign(
    ctx: click.Context, approval_id: int, to: str, comment: str, project: str | None, org_url: str | None
) -> None:
    """Hand approval ID to another approver, who then decides it instead.

    Only an approver of ID (or a member of its group) may reassign it.
    """
    from slotwise.releases.deciding import reassign as hand_over

    pending, new = hand_over(_gateway(ctx, org_url), approval_id, project, to, comment)
    click.echo(
        neutral(f"Reassigned approval {pending.id} ({pending.release}, stage {pending.stage}) to {new}.")
    )
