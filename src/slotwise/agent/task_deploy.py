"""deploy-to-slot: deploy a build (a .zip or a folder) to one slot, guarded, stamped with the build.

Inputs (docs/tasks-contract.md): ``slotName`` (default ``staging``; production only when named),
``package`` (a file path or pattern: exactly one zip or folder), ``createSlot``, ``allowOverwrite``,
``timeoutMinutes``. Calls ``slots.deploy.deploy`` with ``slots.guard.check`` as the guard and the build
read from the pipeline's variables (``slots.metadata.build_info``). Outputs ``SlotUrl``,
``DeploymentId``, ``BuildLabel``, ``OverwroteBuild`` (the rollback build this deployment destroyed:
with ``allowOverwrite``, or through a race with a swap, when it is set before the task fails, so a
later step with ``condition: failed()`` can read it). Deployed to a slot other than production, the
summary gets "What a swap into production would change": the swap preflight's findings for that slot
into production (``slots.diff``, ``slots.findings``; reads only), so the approver of the swap sees them
before approving; a failure to read them is a line there, never a failure of the task.
"""

from __future__ import annotations

from slotwise.agent.remedies import DEPLOY, accept_finding
from slotwise.agent.runtime import TaskContext
from slotwise.agent.summary import FindingsSection, finding_rows
from slotwise.azure.models import PRODUCTION, SlotRef
from slotwise.errors import HeldBuildDestroyed, SlotwiseError
from slotwise.services import Services
from slotwise.slots.deploy import DeployRequest, deploy
from slotwise.slots.diff import slot_diff
from slotwise.slots.findings import Finding, Severity, findings
from slotwise.slots.guard import check
from slotwise.slots.metadata import build_info
from slotwise.slots.model import GuardDecision


def run(ctx: TaskContext) -> str:
    inputs = ctx.inputs
    app = ctx.app_ref()
    slot = inputs.string("slotName", "staging") or "staging"
    package = inputs.path("package", folder=True)
    create_slot = inputs.boolean("createSlot")
    allow_overwrite = inputs.boolean("allowOverwrite")
    timeout = inputs.number("timeoutMinutes", default=20, minimum=1, maximum=24 * 60) * 60
    services = ctx.connect()
    build = build_info(ctx.env, now=services.clock.now())
    summary = ctx.summary
    summary.title = f"deploy {build.label} to slot {slot}"
    summary.fact("Package", str(package))
    request = DeployRequest(
        resource_group=app.resource_group,
        app=app.app,
        slot=slot,
        package=package,
        build=build,
        create_slot=create_slot,
        allow_overwrite=allow_overwrite,
        timeout=timeout,
    )

    def guard(ref: SlotRef) -> GuardDecision:
        return check(services, ref, ctx.reporter)

    try:
        result = deploy(services, request, guard=guard, reporter=ctx.reporter)
    except HeldBuildDestroyed as error:
        ctx.output("OverwroteBuild", error.build)
        summary.fact("Destroyed rollback build", error.build)
        raise
    ctx.output("SlotUrl", result.url)
    ctx.output("DeploymentId", result.deployment_id)
    ctx.output("BuildLabel", result.build.label)
    ctx.output("OverwroteBuild", result.overwrote)
    summary.title = f"deployed {result.build.label} to {result.slot}"
    for name, value in (
        ("Slot", f"{result.slot.slot}{' (created)' if result.created_slot else ''}"),
        ("URL", result.url),
        ("Build", result.build.label),
        ("Build id", result.build.build_id),
        ("Release", result.build.release),
        ("Commit", result.build.commit),
        ("Pipeline", result.build.pipeline),
        ("Requested by", result.build.requested_by),
        ("Deployment id", result.deployment_id),
        ("Package", f"{result.package}{' (zipped)' if result.zipped else ''}, {result.bytes:,} bytes"),
        ("Took", f"{result.seconds:.1f} s"),
        ("Destroyed rollback build", result.overwrote),
    ):
        summary.fact(name, value)
    if not result.slot.is_production:
        ctx.reporter.step(f"Reading what a swap of {result.slot.slot} into production would change")
        summary.findings.append(would_change(services, result.slot))
    return f"Deployed {result.build.label} to {result.slot}: {result.url}"


def would_change(services: Services, slot: SlotRef) -> FindingsSection:
    """The preflight's findings for a swap of ``slot`` into production, for the summary; a failure to
    read them is the section's problem, never the task's."""
    heading = "What a swap into production would change"
    intro = (
        f"The findings of the swap preflight for {slot.slot} into production, as the slot stands now "
        "(names only, never values)."
    )
    try:
        diff = slot_diff(services, slot, PRODUCTION, builds=False)
    except SlotwiseError as error:
        return FindingsSection(heading, intro, problem=error.message)
    except Exception as error:  # a courtesy to the approver: never fail the deployment for it
        return FindingsSection(heading, intro, problem=type(error).__name__)
    return FindingsSection(heading, intro, finding_rows(tuple(findings(diff)), frozenset(), _todo))


def _todo(finding: Finding) -> str:
    if finding.severity is Severity.ERROR:
        return f"{finding.advice} {accept_finding(DEPLOY, finding.code)}"
    return finding.advice
