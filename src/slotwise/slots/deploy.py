"""Deploy a build to one slot: the checks first, then Kudu zip deploy, then the outcome.

Owns the order and the rules of a deployment:

1. the slot must be named, and production only when it is named ``production`` (an empty slot
   never means production: that is how other tools deploy to production by accident);
2. the package is checked locally (exists, is a zip or a folder) before anything remote happens;
3. the slot must exist, or be created when ``create_slot`` says so (never production); for a
   function app (ARM ``kind`` contains ``functionapp``) the package must hold ``host.json`` at its
   root, checked from its listing before any upload (App Service apps are not checked);
4. the guard runs: a held slot (it keeps production's previous build, the only rollback) is refused
   with ``HeldSlotError`` unless ``allow_overwrite``, which warns exactly what it destroys;
5. the package (a folder zipped on the fly) is streamed to the slot's Kudu, at the SCM host ARM
   reports, stamped with the build (and when: the stamp tells this upload from any other), and the
   deployment is followed to its end within a timeout; a failed deployment is a ``RemoteError``
   carrying the last lines of Kudu's log.

A deployment racing a swap (``deploy_race``): the slot's swap state is read again right before the
upload (after any zipping) and the guard runs again if it changed; a swap running or prepared on the
slot is refused before anything is sent. The state is compared again when Kudu has taken the upload
and when the deployment has ended: if a swap with production brought production's previous build
into the slot meanwhile and the deployment replaced it, ``HeldBuildDestroyed`` names that build (the
same build the user allowed with ``allow_overwrite`` is reported as that overwrite instead).

Does not: decide holds (the ``guard`` callable does), swap, smoke test, read the environment or the
wall clock (``BuildInfo`` comes in made; time, also the stamp's ``deployed_at`` when missing, comes
from ``services.clock``), or print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slotwise.azure.kudu import KuduClient
from slotwise.azure.kudu_records import KuduDeployment
from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, slot_name
from slotwise.builds import BuildInfo
from slotwise.errors import Action, Cancelled, NotFoundError, Remedy, RemoteError, SlotwiseError, UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots import deploy_race
from slotwise.slots.deploy_race import Guard
from slotwise.slots.guard import describe, held_error
from slotwise.slots.package import (
    Package,
    PackageSource,
    check_function_app,
    check_package,
    prepared_package,
)

DEFAULT_TIMEOUT = 20 * 60.0  # waiting for Kudu after the upload; big Python/Node builds take minutes
DEFAULT_POLL_INTERVAL = 2.0
LOG_TAIL = 12  # lines of Kudu's log carried by the error of a failed deployment
_SLOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,59}")
FUNCTION_APP = "functionapp"  # in ARM's kind of a function app ("functionapp,linux", ...)

__all__ = ["DeployRequest", "DeployResult", "Guard", "deploy"]


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
                hint="Name the slot to deploy to (e.g. staging), or production to deploy to production.",
                remedies=(Remedy(Action.CHOOSE_SLOT, self.resource_group, self.app),),
            )
        if raw.lower() != PRODUCTION and (raw.lower() == "self" or not _SLOT_NAME.fullmatch(raw)):
            raise UsageError(
                f"'{raw}' is not a slot name (letters, digits and hyphens).",
                hint="The production slot is named production.",
                remedies=(Remedy(Action.CHOOSE_SLOT, self.resource_group, self.app),),
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
    build = (
        request.build
        if request.build.deployed_at
        else replace(request.build, deployed_at=services.clock.now())
    )
    started = services.clock.monotonic()
    info, created = _resolve_slot(services, ref, source, create=request.create_slot, reporter=reporter)
    check = _Check(guard, request.allow_overwrite, reporter)
    warned = check(ref)
    kudu = KuduClient.for_slot(services, info)
    try:
        with prepared_package(source) as package:
            if package.temporary:
                reporter.detail(f"Zipped folder {source.path} ({_mib(package.size)})")
            seen, warned = deploy_race.before_upload(services, info, warned, check, reporter)
            race = deploy_race.Race(services, kudu, seen, build, request.allow_overwrite, warned, reporter)
            deployment = _upload_and_wait(kudu, package, request, build, race, reporter)
            overwrote = race.after_deployment(deployment)
    finally:
        kudu.close()
    seconds = services.clock.monotonic() - started
    reporter.step(f"Deployed {build.label} to {ref} in {seconds:.1f} s: {info.url}")
    return DeployResult(
        slot=ref,
        url=info.url,
        deployment_id=deployment.id,
        build=build,
        seconds=seconds,
        bytes=package.size,
        package=source.path,
        zipped=package.temporary,
        created_slot=created,
        overwrote=overwrote,
    )


def _resolve_slot(
    services: Services, ref: SlotRef, source: PackageSource, *, create: bool, reporter: Reporter
) -> tuple[SlotInfo, bool]:
    """The slot's ARM record; a missing slot is created if asked, else a ``NotFoundError`` saying how.
    The package is checked against what the app is (``_check_content``) before anything changes."""
    reporter.step(f"Checking {ref} (resource group {ref.resource_group})")
    try:
        info = services.web_apps.get(ref)
    except NotFoundError:
        pass
    else:
        _check_content(info, source)
        return info, False
    try:
        production = None if ref.is_production else services.web_apps.get(ref.other(PRODUCTION))
    except NotFoundError:
        production = None
    if production is None:
        raise NotFoundError(
            f"App '{ref.app}' was not found in resource group '{ref.resource_group}'.",
            remedies=(Remedy.at(Action.CHECK_APP, ref),),
        )
    if not create:
        raise NotFoundError(
            f"App '{ref.app}' has no slot '{ref.slot}'.",
            hint="Create it, or pick an existing slot (the app's slots are listed with the rest).",
            remedies=(Remedy.at(Action.CREATE_SLOT, ref), Remedy.at(Action.LOOK_AT_SLOTS, ref)),
        )
    _check_content(production, source)  # a slot is made like production: the same kind of app
    reporter.step(f"Creating slot '{ref.slot}' of {ref.app}")
    return services.web_apps.create_slot(ref), True


def _check_content(info: SlotInfo, source: PackageSource) -> None:
    """A function app's package must be one (``host.json`` at its root); App Service apps take any."""
    if FUNCTION_APP in info.kind.lower():
        check_function_app(source)


@dataclass(frozen=True)
class _Check:
    """The guard as the deployment runs it (at the start, and again if the slot was swapped since)."""

    guard: Guard | None
    allow_overwrite: bool
    reporter: Reporter

    def __call__(self, ref: SlotRef) -> str | None:
        """Refuse a held slot; with ``allow_overwrite`` warn and answer the label of what is destroyed."""
        if self.guard is None:
            return None
        hold = self.guard(ref).hold  # the guard reports its own steps and reasons
        if hold is None:
            return None
        if not self.allow_overwrite:
            raise held_error(hold)
        self.reporter.warning(
            f"Overwriting on purpose: deploying over it anyway. {describe(hold)}. It will be destroyed: "
            "after this deployment there is no rollback to it."
        )
        return hold.build


def _upload_and_wait(
    kudu: KuduClient,
    package: Package,
    request: DeployRequest,
    build: BuildInfo,
    race: deploy_race.Race,
    reporter: Reporter,
) -> KuduDeployment:
    """Stream the zip to Kudu, then follow the deployment; a failure carries Kudu's log."""
    reporter.step(f"Uploading {build.label} ({_mib(package.size)}) to {kudu.target}")
    with package.path.open("rb") as body:
        try:
            location = kudu.zip_deploy(body, size=package.size, metadata=build, progress=reporter)
        except KeyboardInterrupt:
            raise _interrupted_upload(kudu, request.target(), body.tell(), package.size, build) from None
    reporter.step(f"Kudu is deploying {build.label} to {kudu.target}")
    race.on_accepted()
    try:
        deployment = kudu.wait(
            location,
            timeout=request.timeout,
            poll_interval=request.poll_interval,
            reporter=reporter,
            stamp=build.to_message(),
        )
    except KeyboardInterrupt:
        raise Cancelled(
            f"Cancelled while Kudu was deploying to {kudu.target}: the upload of {build.label} is "
            "complete and Kudu goes on deploying without slotwise.",
            hint="See how it ended: what the slot runs.",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, request.target()),),
        ) from None
    except NotFoundError:
        race.lost_deployment()
        raise
    if not deployment.succeeded:
        raise _failed(kudu, deployment, build)
    return deployment


def _interrupted_upload(kudu: KuduClient, ref: SlotRef, sent: int, size: int, build: BuildInfo) -> Cancelled:
    """Where things stand after Ctrl-C during the upload: what was sent decides what Kudu may have."""
    if sent < size:
        return Cancelled(
            f"Cancelled during the upload of {build.label} to {kudu.target}, after {_mib(sent)} of "
            f"{_mib(size)}: Kudu did not receive the whole package and deploys nothing, so the slot "
            "still runs its previous build.",
            hint="Deploy again when ready.",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, ref),),
        )
    return Cancelled(
        f"Cancelled after the whole package ({_mib(size)}) of {build.label} was sent to {kudu.target}, "
        "before Kudu answered: Kudu may have received it and be deploying it without slotwise.",
        hint=f"Look at what the slot runs (or at {kudu.base_url}/api/deployments/latest) before deploying "
        "again: the slot runs either its previous build or this one.",
        remedies=(Remedy.at(Action.LOOK_AT_SLOTS, ref),),
    )


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
