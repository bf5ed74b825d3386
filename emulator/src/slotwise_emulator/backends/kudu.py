"""Emulated Kudu (each slot's SCM site): zip deployments as a state machine, and the package store.

Owns the deployment records and their logs, moving a deployment through Kudu's statuses
(0 pending, 1 building, 2 deploying, then 3 failed or 4 success) over ``Speed.deploy_seconds`` on
the injected clock, and on success making the package the slot's ``content`` (package, functions,
route prefix, and the deployment history, which moves with a swap as the site's files do).
A client may also write a finished deployment into the history (``record_deployment``: Kudu's
``PUT /api/deployments/{id}`` with a deployment record, as Microsoft's pipeline tasks do to record
themselves); that changes no files, but an active record becomes the active deployment.

Packages are kept as the uploaded zip, never extracted: the route streams a request body to the
path ``new_upload`` hands out, and ``start_zip_deploy`` takes the file over. Only the small members
are read (``packages.read_package``). When a deployment ends, package files that no slot of their
site references any more are deleted, so the content directory does not grow with each build.

No HTTP here: routes pass plain values in; errors are ``ServiceError`` in Kudu's shapes.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from slotwise_emulator.backends.model import Deployment, Slot
from slotwise_emulator.backends.packages import PackageError, read_package
from slotwise_emulator.backends.web import WebBackend
from slotwise_emulator.clock import Clock, Speed
from slotwise_emulator.errors import ServiceError

PENDING, BUILDING, DEPLOYING, FAILED, SUCCESS = 0, 1, 2, 3, 4
LOG_INFO, LOG_ERROR = 0, 2  # Kudu's LogEntryType: 0 message, 1 warning, 2 error
DEFAULT_DEPLOYER = "ZipDeploy"
DEFAULT_MESSAGE = "Created via a push deployment"
IN_PROGRESS = "There is a deployment currently in progress. Please try again when it completes."
_BUILDING_AT, _DEPLOYING_AT = 0.1, 0.6  # fractions of the deployment time when those phases start

SiteKey = tuple[str, str, str]  # subscription, resource group, site (as the caller spelled them)


@dataclass(frozen=True)
class SlotRef:
    """Which slot's SCM site: subscription, resource group, site and slot ("production" included)."""

    subscription: str
    resource_group: str
    site: str
    slot: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.subscription.lower(), self.resource_group.lower(), self.site.lower(), self.slot.lower())

    @property
    def site_key(self) -> SiteKey:
        return (self.subscription, self.resource_group, self.site)


@dataclass(frozen=True)
class LogEntry:
    """One line of a deployment log (``/api/deployments/{id}/log``)."""

    id: str
    time: float
    message: str
    type: int


@dataclass(frozen=True)
class DeploymentRecord:
    """A finished deployment a client writes into the history (Kudu's ``DeployResult`` it parses)."""

    status: int  # FAILED or SUCCESS
    message: str
    deployer: str
    author: str
    author_email: str | None = None
    start_time: float | None = None  # None: now
    end_time: float | None = None  # None: now
    active: bool | None = None  # None: active when it succeeded
    details: str | None = None  # a line added to its log


@dataclass
class _Job:
    ref: SlotRef
    deployment: Deployment


def _kudu_error(error: ServiceError) -> ServiceError:
    """The same error as the SCM site answers it (Kudu's own body shape)."""
    return ServiceError(error.status, error.code, error.message, shape="kudu", headers=error.headers)


def _not_found(deployment_id: str) -> ServiceError:
    return ServiceError(404, "NotFound", f"Deployment '{deployment_id}' not found.", shape="kudu")


class KuduBackend:
    """Zip deployments of every slot, and the package files they leave behind."""

    def __init__(self, clock: Clock, speed: Speed, web: WebBackend, content_dir: Path) -> None:
        self._clock = clock
        self._speed = speed
        self._web = web
        self._content_dir = content_dir
        self._jobs: dict[tuple[str, str, str, str], _Job] = {}  # the running deployment of each slot
        self._owned: dict[SiteKey, set[str]] = {}  # package files this backend wrote, per site

    # ---- receiving a package ------------------------------------------------------------------------
    def new_upload(self) -> Path:
        """A fresh path to stream a request body into; then ``start_zip_deploy`` or ``discard_upload``."""
        uploads = self._content_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        return uploads / f"{uuid.uuid4().hex}.part"

    def discard_upload(self, upload: Path) -> None:
        """Delete an upload that will not be deployed (the client went away, or it was refused)."""
        upload.unlink(missing_ok=True)

    def purge(self) -> None:
        """Forget every deployment in progress and delete every package and upload on disk (a reset)."""
        self._jobs.clear()
        self._owned.clear()
        for folder in ("packages", "uploads"):
            for path in (self._content_dir / folder).glob("*"):
                path.unlink(missing_ok=True)

    # ---- deploying ----------------------------------------------------------------------------------
    def check_can_deploy(self, ref: SlotRef) -> None:
        """Raise the 404 or 409 a zip deployment to ``ref`` would get now (checked before the upload)."""
        try:
            site = self._web.site(ref.subscription, ref.resource_group, ref.site)
            slot = self._web.slot(ref.subscription, ref.resource_group, ref.site, ref.slot)
            self._web.check_writable(site, slot)
        except ServiceError as error:
            raise _kudu_error(error) from None
        if ref.key in self._jobs:
            raise ServiceError(409, "Conflict", IN_PROGRESS, shape="text")

    def start_zip_deploy(
        self,
        ref: SlotRef,
        upload: Path,
        *,
        author: str | None = None,
        author_email: str | None = None,
        deployer: str | None = None,
        message: str | None = None,
    ) -> Deployment:
        """Start deploying the zip at ``upload`` to ``ref``; the file is taken over (or deleted on a 409)."""
        try:
            self.check_can_deploy(ref)
        except ServiceError:
            self.discard_upload(upload)
            raise
        now = self._clock.now()
        deployment_id = uuid.uuid4().hex
        packages = self._content_dir / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        package = packages / f"{deployment_id}.zip"
        os.replace(upload, package)
        deployment = Deployment(
            id=deployment_id,
            received_time=now,
            author=author or "N/A",
            author_email=author_email or "N/A",
            deployer=deployer or DEFAULT_DEPLOYER,
            message=message or DEFAULT_MESSAGE,
            package_path=str(package),
            size=package.stat().st_size,
            ready_at=now + max(self._speed.deploy_seconds, 0.0),
            log=[(now, "Fetching changes.", LOG_INFO)],
        )
        self._jobs[ref.key] = _Job(ref, deployment)
        self._owned.setdefault(ref.site_key, set()).add(str(package))
        return deployment

    def tick(self) -> None:
        """Move every running deployment to the phase its time has come for; finish those due."""
        now = self._clock.now()
        for job in list(self._jobs.values()):
            self._advance(job, now)

    def seconds_left(self, deployment: Deployment) -> float:
        """How long until ``deployment`` is due to finish (0 when it is, or is complete)."""
        return 0.0 if deployment.complete else max(0.0, deployment.ready_at - self._clock.now())

    def record_deployment(
        self, ref: SlotRef, deployment_id: str, record: DeploymentRecord | None
    ) -> Deployment:
        """Write a finished deployment into ``ref``'s history, as Kudu does for a ``PUT`` of a
        deployment record, in Kudu's order: 409 while a deployment runs (its deployment lock), 404
        when the body is no record (``None``: Kudu would redeploy from a repository, which zip-deployed
        sites lack), 400 for an active record that did not succeed, 409 if the id exists. An active
        record becomes the active deployment; the slot's files do not change."""
        if ref.key in self._jobs:
            raise ServiceError(409, "Conflict", IN_PROGRESS, shape="kudu")
        if record is None:
            raise ServiceError(404, "NotFound", "Repository could not be found.", shape="kudu")
        active = record.status == SUCCESS if record.active is None else record.active
        if active and record.status != SUCCESS:
            raise ServiceError(400, "BadRequest", "Only successful status can be active!", shape="kudu")
        slot = self._slot(ref)
        if any(d.id == deployment_id for d in slot.content.deployments):
            raise ServiceError(409, "Conflict", f"Deployment with id '{deployment_id}' exists", shape="kudu")
        now = self._clock.now()
        start = now if record.start_time is None else record.start_time
        end = now if record.end_time is None else record.end_time
        outcome = (
            ("Deployment successful.", LOG_INFO)
            if record.status == SUCCESS
            else ("Deployment failed.", LOG_ERROR)
        )
        log = [(end, *outcome)]
        if record.details:
            log.append((end, record.details, LOG_INFO))
        deployment = Deployment(
            id=deployment_id,
            received_time=start,
            status=record.status,
            author=record.author,
            author_email=record.author_email,
            deployer=record.deployer,
            message=record.message,
            start_time=start,
            end_time=end,
            complete=True,
            active=active,
            log=log,
            ready_at=end,
            last_success_end_time=end,  # Kudu: "keep it simple regardless of success or failure"
        )
        if active:
            for earlier in slot.content.deployments:
                earlier.active = False
        slot.content.deployments.append(deployment)
        return deployment

    # ---- reading records ----------------------------------------------------------------------------
    def running(self, ref: SlotRef) -> Deployment | None:
        """The deployment in progress on ``ref``, if any."""
        job = self._jobs.get(ref.key)
        return job.deployment if job else None

    def deployments(self, ref: SlotRef) -> list[Deployment]:
        """Every deployment of the content now in ``ref``, newest first (a running one leads)."""
        running = self.running(ref)
        history = list(reversed(self._slot(ref).content.deployments))
        return [running, *history] if running else history

    def deployment(self, ref: SlotRef, deployment_id: str) -> Deployment:
        """One deployment by id; 404 in Kudu's shape if ``ref`` has none with that id."""
        for deployment in self.deployments(ref):
            if deployment.id == deployment_id:
                return deployment
        raise _not_found(deployment_id)

    def latest_completed(self, ref: SlotRef) -> Deployment:
        """The deployment that ended last (``/api/deployments/latest`` when none runs); 404 if none."""
        ended = [d for d in self._slot(ref).content.deployments if d.end_time is not None]
        if not ended:
            raise _not_found("latest")
        return max(reversed(ended), key=lambda d: d.end_time or 0.0)  # on a tie, the newest

    def log(self, ref: SlotRef, deployment_id: str) -> list[LogEntry]:
        """The log of one deployment, oldest line first."""
        deployment = self.deployment(ref, deployment_id)
        return [
            LogEntry(str(uuid.uuid5(uuid.NAMESPACE_OID, f"{deployment.id}/{index}")), at, text, kind)
            for index, (at, text, kind) in enumerate(deployment.log)
        ]

    # ---- the state machine --------------------------------------------------------------------------
    def _advance(self, job: _Job, now: float) -> None:
        deployment = job.deployment
        span = deployment.ready_at - deployment.received_time
        building_at = deployment.received_time + span * _BUILDING_AT
        deploying_at = deployment.received_time + span * _DEPLOYING_AT
        if deployment.status == PENDING and now >= building_at:
            deployment.status, deployment.start_time = BUILDING, building_at
            deployment.status_text = f"Building and Deploying '{deployment.id}'."
            deployment.progress = "Generating deployment script."
            preparing = f"Preparing deployment for commit id '{deployment.id[:10]}'."
            deployment.log.append((building_at, preparing, LOG_INFO))
            deployment.log.append((building_at, "Generating deployment script.", LOG_INFO))
        if deployment.status == BUILDING and now >= deploying_at:
            deployment.status, deployment.progress = DEPLOYING, "Running deployment command..."
            deployment.log.append((deploying_at, "Running deployment command...", LOG_INFO))
        if deployment.status == DEPLOYING and now >= deployment.ready_at:
            self._finish(job, deployment.ready_at)

    def _finish(self, job: _Job, at: float) -> None:
        del self._jobs[job.ref.key]
        deployment = job.deployment
        try:
            slot = self._slot(job.ref)
        except ServiceError:
            self._fail(deployment, None, at, f"Slot '{job.ref.slot}' of '{job.ref.site}' no longer exists.")
            self._collect()
            return
        try:
            package = read_package(Path(deployment.package_path or ""))
        except PackageError as error:
            self._fail(deployment, slot, at, str(error))
            self._collect()
            return
        for earlier in slot.content.deployments:
            earlier.active = False
        content = slot.content
        content.package_path, content.functions = deployment.package_path, package.functions
        content.route_prefix, content.deployment_id = package.route_prefix, deployment.id
        deployment.status, deployment.status_text, deployment.progress = SUCCESS, "", ""
        deployment.complete, deployment.active = True, True
        deployment.end_time = deployment.last_success_end_time = at
        deployment.log.append((at, "Deployment successful.", LOG_INFO))
        content.deployments.append(deployment)
        self._collect()

    def _fail(self, deployment: Deployment, slot: Slot | None, at: float, reason: str) -> None:
        deployment.status, deployment.status_text, deployment.progress = FAILED, reason, ""
        deployment.complete, deployment.end_time, deployment.package_path = True, at, None  # file collected
        deployment.log.append((at, reason, LOG_ERROR))
        deployment.log.append((at, "Deployment Failed.", LOG_ERROR))
        if slot is not None:
            successes = [d.end_time for d in slot.content.deployments if d.status == SUCCESS and d.end_time]
            deployment.last_success_end_time = max(successes, default=None)
            slot.content.deployments.append(deployment)

    def _collect(self) -> None:
        """Delete the package files no slot references any more (and no running deployment uses)."""
        in_use = {job.deployment.package_path for job in self._jobs.values()}
        for site_key, files in list(self._owned.items()):
            try:
                site = self._web.site(*site_key)
                in_use.update(slot.content.package_path for slot in site.slots.values())
            except ServiceError:
                pass  # the site is gone: none of its packages is referenced
            for path in files - in_use:
                Path(path).unlink(missing_ok=True)
                files.discard(path)
            if not files:
                del self._owned[site_key]

    def _slot(self, ref: SlotRef) -> Slot:
        try:
            return self._web.slot(ref.subscription, ref.resource_group, ref.site, ref.slot)
        except ServiceError as error:
            raise _kudu_error(error) from None
