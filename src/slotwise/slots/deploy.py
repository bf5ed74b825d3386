"""Deploy a build to one slot: the checks first, then Kudu zip deploy, then the outcome.

Owns the order and the rules of a deployment:

1. the slot must be named, and production only when it is named ``production`` (an empty slot
   never means production: that is how other tools deploy to production by accident);
2. the package is checked locally (exists, is a zip or a folder) before anything remote happens;
3. the slot must exist, or be created when ``create_slot`` says so (never production);
4. the guard runs: a held slot (it keeps production's previous build, the only rollback) is refused
   with ``HeldSlotError`` unless ``allow_overwrite``, which warns exactly what it destroys;
5. the package (a folder zipped on the fly) is streamed to the slot's Kudu, at the SCM host ARM
   reports, stamped with the build, and the deployment is followed to its end within a timeout;
   a failed deployment is a ``RemoteError`` carrying the last lines of Kudu's log.

Does not: decide holds (the ``guard`` callable does), swap, smoke test, read the environment or the
wall clock (``BuildInfo`` comes in made; time comes from ``services.clock``), or print.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slotwise.azure.kudu import KuduClient, KuduDeployment
from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, slot_name
from slotwise.errors import Cancelled, NotFoundError, RemoteError, SlotwiseError, UsageError
from slotwise.factory import Services
from slotwise.slots.events import Reporter
from slotwise.slots.guard import describe, held_error
from slotwise.slots.model import BuildInfo, GuardDecision
from slotwise.slots.package import Package, check_package, prepared_package

DEFAULT_TIMEOUT = 20 * 60.0  # waiting for Kudu after the upload; big Python/Node builds take minutes
DEFAULT_POLL_INTERVAL = 2.0
LOG_TAIL = 12  # lines of Kudu's log carried by the error of a failed deployment
_SLOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,59}")

Guard = Callable[[SlotRef], GuardDecision]


@dataclass(frozen=True)
class DeployRequest:
    """Deploy ``package`` (a .zip or a folder) to slot ``slot`` of ``app``, stamped with ``build``.

    ``slot`` is what the user typed: it must be given, and only ``production`` means production.
    ``timeout`` bounds the wait for Kudu after the upload (seconds).
    """

    resource_group: str
    app: str
    slot: str
    package: Path
    build: BuildInfo = field(default_factory=BuildInfo)
    create_slot: bool = False
    allow_overwrite: bool = False
    timeout: float = DEFAULT_TIMEOUT
    poll_interval: float = DEFAULT_POLL_INTERVAL

    def target(self) -> SlotRef:
        """The slot to deploy to, refusing anything that could mean production by accident."""
        raw = self.slot.strip()
        if not raw:
            raise UsageError(
                "No slot given: slotwise never deploys to production unless told to.",
                hint="Pass -s staging (or another slot), or -s production to deploy to production.",
            )
        if raw.lower() != PRODUCTION and (raw.lower() == "self" or not _SLOT_NAME.fullmatch(raw)):
            raise UsageError(
                f"'{raw}' is not a slot name (letters, digits and hyphens).",
                hint="Pass -s production to deploy to the production slot.",
            )
        if self.timeout <= 0:
            raise UsageError(f"The timeout must be positive (got {self.timeout:g} s).")
        return SlotRef(self.resource_group, self.app, slot_name(raw))


@dataclass(frozen=True)
class DeployResult:
    """A finished, successful deployment."""

    slot: SlotRef
    url: str
    deployment_id: str
    build: BuildInfo
    seconds: float
    bytes: int
    package: Path
    zipped: bool  # the package was a folder, zipped on the fly
    created_slot: bool = False
    overwrote: str | None = None  # label of the held build destroyed with --allow-overwrite

    def as_dict(self) -> dict[str, Any]:
        deployed_at = self.build.deployed_at
        return {
            "app": self.slot.app,
            "resourceGroup": self.slot.resource_group,
            "slot": self.slot.slot,
            "url": self.url,
            "deploymentId": self.deployment_id,
            "build": {
                "label": self.build.label,
                "buildId": self.build.build_id,
                "buildNumber": self.build.build_number,
                "release": self.build.release,
                "commit": self.build.commit,
                "requestedBy": self.build.requested_by,
                "pipeline": self.build.pipeline,
                "deployedAt": deployed_at.isoformat() if deployed_at else None,
            },
            "seconds": round(self.seconds, 3),
            "bytes": self.bytes,
            "package": str(self.package),
            "zipped": self.zipped,
            "createdSlot": self.created_slot,
            "overwrote": self.overwrote,
        }


def deploy(
    services: Services, request: DeployRequest, *, guard: Guard | None, reporter: Reporter
) -> DeployResult:
    """Deploy ``request.package`` to ``request``'s slot and wait until Kudu has deployed it."""
    ref = request.target()
    source = check_package(request.package)
    started = services.clock.monotonic()
    info, created = _resolve_slot(services, ref, create=request.create_slot, reporter=reporter)
    overwrote = _check_guard(guard, ref, allow_overwrite=request.allow_overwrite, reporter=reporter)
    kudu = KuduClient.for_slot(services, info)
    try:
        with prepared_package(source) as package:
            if package.temporary:
                reporter.detail(f"Zipped folder {source.path} ({_mib(package.size)})")
            deployment = _upload_and_wait(kudu, package, request, reporter)
    finally:
        kudu.close()
    seconds = services.clock.monotonic() - started
    reporter.step(f"Deployed {request.build.label} to {ref} in {seconds:.1f} s: {info.url}")
    return DeployResult(
        slot=ref,
        url=info.url,
        deployment_id=deployment.id,
        build=request.build,
        seconds=seconds,
        bytes=package.size,
        package=source.path,
        zipped=package.temporary,
        created_slot=created,
        overwrote=overwrote,
    )


def _resolve_slot(
    services: Services, ref: SlotRef, *, create: bool, reporter: Reporter
) -> tuple[SlotInfo, bool]:
    """The slot's ARM record; a missing slot is created if asked, else a ``NotFoundError`` saying how."""
    reporter.step(f"Checking {ref} (resource group {ref.resource_group})")
    try:
        return services.web_apps.get(ref), False
    except NotFoundError:
        if ref.is_production or not services.web_apps.exists(SlotRef(ref.resource_group, ref.app)):
            raise NotFoundError(
                f"App '{ref.app}' was not found in resource group '{ref.resource_group}'.",
                hint="Check -g and -n, and the subscription (--subscription or AZURE_SUBSCRIPTION_ID).",
            ) from None
        if not create:
            raise NotFoundError(
                f"App '{ref.app}' has no slot '{ref.slot}'.",
                hint=f"Pass --create-slot to create it (like production: same plan), or pick an existing "
                f"slot (`slotwise slot status -g {ref.resource_group} -n {ref.app}` lists them).",
            ) from None
    reporter.step(f"Creating slot '{ref.slot}' of {ref.app}")
    return services.web_apps.create_slot(ref), True


def _check_guard(
    guard: Guard | None, ref: SlotRef, *, allow_overwrite: bool, reporter: Reporter
) -> str | None:
    """Refuse a held slot; with ``allow_overwrite`` warn and answer the label of what is destroyed."""
    if guard is None:
        return None
    hold = guard(ref).hold  # the guard reports its own steps and reasons
    if hold is None:
        return None
    if not allow_overwrite:
        raise held_error(hold)
    reporter.warning(
        f"--allow-overwrite: deploying over it anyway. {describe(hold)}. It will be destroyed: after "
        "this deployment there is no rollback to it."
    )
    return hold.build


def _upload_and_wait(
    kudu: KuduClient, package: Package, request: DeployRequest, reporter: Reporter
) -> KuduDeployment:
    """Stream the zip to Kudu, then follow the deployment; a failure carries Kudu's log."""
    reporter.step(f"Uploading {request.build.label} ({_mib(package.size)}) to {kudu.target}")
    with package.path.open("rb") as body:
        location = kudu.zip_deploy(body, size=package.size, metadata=request.build, progress=reporter)
    reporter.step(f"Kudu is deploying {request.build.label} to {kudu.target}")
    try:
        deployment = kudu.wait(
            location, timeout=request.timeout, poll_interval=request.poll_interval, reporter=reporter
        )
    except KeyboardInterrupt:
        raise Cancelled(
            f"Cancelled while Kudu was deploying to {kudu.target}: the upload is complete and Kudu "
            "goes on deploying without slotwise.",
            hint="See how it ended with `slotwise slot status`.",
        ) from None
    if not deployment.succeeded:
        raise _failed(kudu, deployment, request.build)
    return deployment


def _failed(kudu: KuduClient, deployment: KuduDeployment, build: BuildInfo) -> RemoteError:
    try:
        tail = kudu.log(deployment.id)[-LOG_TAIL:]
    except SlotwiseError as error:
        tail = [f"(the log could not be read: {error.message})"]
    said = f": {deployment.status_text.rstrip('.')}" if deployment.status_text else ""
    lines = "".join(f"\n    {line}" for line in tail)
    return RemoteError(
        f"Kudu could not deploy {build.label} to {kudu.target} ({deployment.status_name}){said}. "
        f"Kudu's log ends:{lines}",
        hint=f"Fix the package and deploy again. The full log: {kudu.log_url(deployment.id)}",
        code="DeploymentFailed",
    )


def _mib(size: int) -> str:
    return f"{size / 1048576:,.1f} MiB" if size >= 104858 else f"{size:,} bytes"
