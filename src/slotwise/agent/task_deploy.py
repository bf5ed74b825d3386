"""deploy-to-slot: deploy a build (a .zip or a folder) to one slot, guarded, stamped with the build.

Inputs (docs/tasks-contract.md): ``slotName`` (default ``staging``; production only when named),
``package`` (a file path or pattern: exactly one zip or folder), ``createSlot``, ``allowOverwrite``,
``timeoutMinutes``. Calls ``slots.deploy.deploy`` with ``slots.guard.check`` as the guard and the build
read from the pipeline's variables (``slots.metadata.build_info``). Outputs ``SlotUrl``,
``DeploymentId``, ``BuildLabel``, ``OverwroteBuild`` (the rollback build this deployment destroyed:
with ``allowOverwrite``, or through a race with a swap, when it is set before the task fails, so a
later step with ``condition: failed()`` can read it).
"""

from __future__ import annotations

from slotwise.agent.runtime import TaskContext
from slotwise.azure.models import SlotRef
from slotwise.errors import HeldBuildDestroyed
from slotwise.slots.deploy import DeployRequest, deploy
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
    return f"Deployed {result.build.label} to {result.slot}: {result.url}"
