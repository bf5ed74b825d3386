"""Kudu, a slot's SCM site: zip deployments, their status records and their logs.

Owns every HTTP call to ``https://<scm host>/api/...``, made through the azure-core pipeline the
factory builds (bearer token for ARM, retries honouring ``Retry-After``, POST retried too, sleeping
on the injected clock), and the translation of Kudu's answers into slotwise types and errors, once.
What a deployment record means (``KuduDeployment``, Kudu's status numbers and timestamps) is
``slotwise.azure.kudu_records``'s.

- ``zip_deploy`` streams a package (a seekable file object: azure-core rewinds it for a retry) as
  ``application/octet-stream`` to ``/api/zipdeploy?isAsync=true``, stamping the build into Kudu's
  ``message`` (``BuildInfo.to_message``), and answers the status URL Kudu gives in ``Location``.
  Bytes sent are reported through the ``Reporter``; the package is never read into memory.
  An upload is never sent twice blindly: azure-core retries it only when it surely was not taken
  (no connection, 429, 503); when the connection breaks after the package went out (the answer was
  lost: Kudu may have taken it), Kudu's records are read first, and a deployment stamped with this
  upload's ``message`` is followed instead of uploading again. Only when none exists is the package
  sent again; when the records cannot be read, ``OutcomeUnknown``. A 409 whose running deployment
  carries this upload's ``message`` is the same upload, taken on an earlier attempt: followed too.
- ``wait`` follows the deployment until its record says ``complete`` (a poll may answer 200 or 202:
  only the record's ``status`` decides): ``slotwise.azure.kudu_follow`` owns how (the status URL,
  by id once a record named it, then Kudu's deployment list when the status cannot be read).
- ``status``, ``latest``, ``deployments``, ``log`` read the records.

Kudu's error bodies are ``{"Message"}`` or plain text. A 409 is either a deployment already running
or App Service's lock while a swap runs on (or is prepared for) the slot; each is said as what it is.
Text that comes from Kudu (status texts, log lines) is neutralised before anyone prints it. URLs
Kudu hands back are followed only on the SCM host itself, so the bearer token never goes elsewhere.
Must not: build host names (the caller passes ``SlotInfo.scm_host_name``), sleep other than through
the clock, or know about slots' holds and guards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Any, Protocol
from urllib.parse import urljoin, urlsplit

from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.rest import HttpRequest, HttpResponse

from slotwise.azure.errors import service_error, translate
from slotwise.azure.http import with_query
from slotwise.azure.kudu_follow import follow
from slotwise.azure.kudu_records import LOG_ERROR, KuduDeployment
from slotwise.azure.models import SlotInfo
from slotwise.azure.progress import ProgressReader
from slotwise.builds import BuildInfo
from slotwise.errors import (
    Action,
    ConflictError,
    NotFoundError,
    OutcomeUnknown,
    Remedy,
    RemoteError,
    SlotwiseError,
)
from slotwise.events import NullReporter, Reporter
from slotwise.text import remote
from slotwise.timing import Clock

DEPLOYER = "slotwise"
SWAP_IN_PROGRESS = "SwapInProgress"  # ConflictError.code: a swap locks the slot
DEPLOYMENT_RUNNING = "DeploymentRunning"  # ConflictError.code: Kudu runs another deployment
LATEST = "/api/deployments/latest"
_UPLOAD_ATTEMPTS = 3  # an upload whose answer was lost and that Kudu's records show it did not take
# App Service's 409s while a swap runs on a slot, or while a swap with preview is prepared on it
_SWAP_LOCK = re.compile(r"another operation is in progress|SwapSiteSlots|prepared for swap", re.IGNORECASE)


class ScmServices(Protocol):
    """What a ``KuduClient`` needs from ``slotwise.services.Services``."""

    @property
    def clock(self) -> Clock: ...

    def scm_client(self, scm_host: str) -> PipelineClient[Any, Any]: ...


class KuduClient:
    """The Kudu of one slot. ``target`` names the slot in messages (e.g. ``func-demo/staging``)."""

    def __init__(self, client: PipelineClient[Any, Any], clock: Clock, *, scm_host: str, target: str) -> None:
        self._client = client
        self.clock = clock
        self.scm_host = scm_host
        self.target = target

    @classmethod
    def for_slot(cls, services: ScmServices, slot: SlotInfo) -> KuduClient:
        """The Kudu of ``slot``, at the SCM host ARM reports for it (``hostNameSslStates``)."""
        if not slot.scm_host_name:
            raise RemoteError(
                f"ARM reports no SCM (Kudu) host for {slot.ref}, so slotwise cannot deploy to it.",
                hint="Check that the app is an App Service or Functions app on a plan with an SCM site "
                "(Flex Consumption plans have no slots and no Kudu).",
            )
        return cls(
            services.scm_client(slot.scm_host_name),
            services.clock,
            scm_host=slot.scm_host_name,
            target=str(slot.ref),
        )

    def close(self) -> None:
        self._client.close()

    @property
    def base_url(self) -> str:
        return f"https://{self.scm_host}"

    # ---- deploying ---------------------------------------------------------------------------------------
    def zip_deploy(
        self,
        body: IO[bytes],
        *,
        size: int,
        metadata: BuildInfo | None,
        progress: Reporter | None = None,
    ) -> str:
        """Upload a zip (streamed from ``body``, ``size`` bytes from its current position) and start
        an async deployment; answers the URL to poll (Kudu's ``Location``).

        If the connection breaks after the package went out, the upload is recognised in Kudu's
        records by its ``message`` (the build's stamp: make it unique, e.g. with ``deployed_at``) and
        followed; it is sent again only if Kudu has no deployment with that message."""
        params = {"isAsync": "true", "deployer": DEPLOYER}
        message = metadata.to_message() if metadata else None
        if metadata is not None:
            params["message"] = message or ""
            if metadata.requested_by:
                params["author"] = metadata.requested_by
        url = self.on_scm_host(with_query("/api/zipdeploy", params))
        start = body.tell()
        for attempt in range(1, _UPLOAD_ATTEMPTS + 1):
            body.seek(start)
            request = HttpRequest(
                "POST",
                url,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                content=ProgressReader(body, size, progress or NullReporter()),
            )
            try:
                response = self._upload(request)
            except ConflictError as conflict:
                if conflict.code == SWAP_IN_PROGRESS:
                    raise
                running = self._running()
                if running is None or not message or running.message != message:
                    raise _naming_the_running(conflict, running) from conflict.__cause__
                # our own upload went through before a retry of it got the 409: follow it
                return self.deployment_url(running.id)
            if response is not None:
                location = response.headers.get("Location") or LATEST
                return self.on_scm_host(location)
            mine = self._after_lost_answer(message)
            if mine is not None:
                return mine
            if progress is not None and attempt < _UPLOAD_ATTEMPTS:
                progress.detail(
                    f"Kudu of {self.target} did not take the upload (its answer was lost): sending it again"
                )
        raise RemoteError(
            f"The upload to the Kudu of {self.target} broke off {_UPLOAD_ATTEMPTS} times before Kudu "
            "answered (Kudu's records show it did not take the package).",
            hint="Check the network to the SCM host (proxies, upload size limits), then deploy again.",
        )

    def _upload(self, request: HttpRequest) -> HttpResponse | None:
        """Send one upload; None if the connection broke after the package went out (Kudu may have
        taken it: azure-core must not send it again blindly, so read errors are not retried)."""
        with self._boundary(f"uploading the package to the Kudu of {self.target}"):
            try:
                return self._send(request, retry_read=0)
            except ServiceResponseError:
                return None
            except HttpResponseError as error:
                if error.status_code == 409:  # a deployment running, or a swap's lock on the slot
                    raise _conflict(self.target, error) from error
                raise

    def _after_lost_answer(self, message: str | None) -> str | None:
        """The status URL of the deployment an upload whose answer was lost started, None if Kudu
        did not take it; ``OutcomeUnknown`` if that cannot be found out."""
        if not message:
            raise OutcomeUnknown(
                f"The package went out to the Kudu of {self.target}, but the connection broke before "
                "Kudu answered, and an unstamped upload cannot be recognised in Kudu's records: Kudu "
                "may be deploying it.",
                hint=f"Look at {self.base_url}{LATEST} (or at the slots) before deploying again.",
                remedies=(Remedy(Action.LOOK_AT_SLOTS),),
            )
        try:
            return self._own_deployment(message)
        except SlotwiseError as error:
            raise OutcomeUnknown(
                f"The package went out to the Kudu of {self.target}, but the connection broke before "
                f"Kudu answered, and Kudu's deployments could not be read ({error.message}): Kudu may "
                "have taken the package and be deploying it. slotwise did not send it again.",
                hint=f"Look at what the slot runs (or at {self.base_url}{LATEST}) before deploying again: a "
                "second upload could deploy twice.",
                remedies=(Remedy(Action.LOOK_AT_SLOTS),),
            ) from error

    def _own_deployment(self, message: str | None) -> str | None:
        """The status URL of the newest deployment stamped with ``message``: an upload Kudu took
        although its answer never arrived."""
        if not message:
            return None
        mine = next((d for d in self.deployments() if d.message == message), None)
        if mine is None:
            return None
        return self.deployment_url(mine.id)

    def wait(
        self,
        location: str,
        *,
        timeout: float,
        poll_interval: float = 2.0,
        reporter: Reporter | None = None,
        stamp: str | None = None,
    ) -> KuduDeployment:
        """Follow the deployment at ``location`` until it is complete (successful or not) and answer
        its record (``kudu_follow.follow``: the status URL while it answers, then Kudu's records,
        where ``stamp``, the upload's ``message``, finds it before a record named its id).

        The first poll is at once, then every ``poll_interval`` seconds; after ``timeout`` seconds
        ``OperationTimeout`` (the deployment itself may still finish), or ``OutcomeUnknown`` if
        nothing about it could be read."""
        return follow(
            self,
            location,
            timeout=timeout,
            poll_interval=poll_interval,
            reporter=reporter or NullReporter(),
            stamp=stamp,
        )

    def status(self, url: str) -> KuduDeployment | None:
        """One read of a deployment's status record (200 or 202 alike), or None if Kudu does not
        know it (yet)."""
        try:
            with self._boundary(f"reading the deployment status of {self.target}"):
                response = self._send(HttpRequest("GET", self.on_scm_host(url)))
        except NotFoundError:
            return None
        return KuduDeployment.from_json(_json(response))

    def deployment_url(self, deployment_id: str) -> str:
        """The status record of one deployment, by id."""
        return self.on_scm_host(f"/api/deployments/{_segment(deployment_id)}")

    # ---- reading records -----------------------------------------------------------------------------------
    def latest(self) -> KuduDeployment | None:
        """The running deployment, else the one that ended last; None if the slot has none."""
        try:
            with self._boundary(f"reading the latest deployment of {self.target}"):
                response = self._send(HttpRequest("GET", self.on_scm_host(LATEST)))
        except NotFoundError:
            return None
        return KuduDeployment.from_json(_json(response))

    def _running(self) -> KuduDeployment | None:
        """The deployment Kudu is running now, to name it in a refusal; None if it cannot be read."""
        try:
            latest = self.latest()
        except SlotwiseError:
            return None
        return latest if latest is not None and not latest.complete else None

    def deployments(self) -> list[KuduDeployment]:
        """Every deployment of the content now in the slot, newest first."""
        with self._boundary(f"listing the deployments of {self.target}"):
            response = self._send(HttpRequest("GET", self.on_scm_host("/api/deployments")))
        body = _json(response)
        records = [KuduDeployment.from_json(item) for item in body] if isinstance(body, list) else []
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(records, key=lambda d: d.received_time or oldest, reverse=True)

    def log(self, deployment_id: str) -> list[str]:
        """The log of one deployment, oldest line first, neutralised; an error line's details (Kudu's
        ``details_url``, where the real cause usually is) follow it, indented."""
        lines: list[str] = []
        for entry in self._log_entries(self.log_url(deployment_id)):
            lines.append(remote(str(entry.get("message", ""))))
            details = entry.get("details_url")
            if entry.get("type") == LOG_ERROR and isinstance(details, str) and details:
                url = self.on_scm_host(details)
                lines += [f"  {remote(str(e.get('message', '')))}" for e in self._log_entries(url)]
        return [line for line in lines if line.strip()]

    def log_url(self, deployment_id: str) -> str:
        return f"{self.base_url}/api/deployments/{_segment(deployment_id)}/log"

    def _log_entries(self, url: str) -> list[dict[str, Any]]:
        with self._boundary(f"reading a deployment log of {self.target}"):
            body = _json(self._send(HttpRequest("GET", self.on_scm_host(url))))
        return [entry for entry in body if isinstance(entry, dict)] if isinstance(body, list) else []

    # ---- plumbing ----------------------------------------------------------------------------------------
    def _send(self, request: HttpRequest, **options: Any) -> HttpResponse:
        response: HttpResponse = self._client.send_request(request, **options)
        response.raise_for_status()
        return response

    @contextmanager
    def _boundary(self, doing: str) -> Iterator[None]:
        """Kudu's errors, translated once, as for ARM (an upload's 409 is told apart first: ``_upload``)."""
        try:
            yield
        except SlotwiseError:
            raise
        except HttpResponseError as error:
            raise translate(error, doing) from error
        except Exception as error:
            raise translate(error, doing) from error

    def on_scm_host(self, url: str) -> str:
        """``url`` made absolute on the SCM host; refused if Kudu points anywhere else (the bearer
        token for ARM must never be sent to another host, nor over plain HTTP)."""
        absolute = urljoin(self.base_url + "/", url)
        parts = urlsplit(absolute)
        if parts.scheme != "https" or parts.netloc.lower() != self.scm_host.lower():
            raise RemoteError(
                f"Kudu of {self.target} pointed to a URL on another host ({parts.scheme}://{parts.netloc}); "
                "slotwise does not follow it with your token."
            )
        return absolute


def _json(response: HttpResponse) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise RemoteError(
            f"Kudu answered {response.status_code} with a body that is not JSON: "
            f"{remote(response.text(), 200)}"
        ) from error


def _segment(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise RemoteError(f"Unexpected deployment id from Kudu: {remote(value, 80)!r}")
    return value


def _conflict(target: str, error: HttpResponseError) -> ConflictError:
    try:
        body: Any = error.response.text() if error.response is not None else None
    except Exception:  # the body was already consumed
        body = None
    _, said = service_error(body)
    detail = f": {remote(said)}" if said else "."
    if said and _SWAP_LOCK.search(said):
        return ConflictError(
            f"A swap is in progress on {target} (or prepared for it), so Kudu refused the deployment{detail}",
            status=409,
            code=SWAP_IN_PROGRESS,
            hint="Nothing was deployed. Wait for the swap to end, then look at the slot: after a swap with "
            "production it holds production's previous build, the rollback.",
            remedies=(Remedy(Action.LOOK_AT_SLOTS),),
        )
    return ConflictError(
        f"A deployment is already running on {target}{detail}",
        status=409,
        code=DEPLOYMENT_RUNNING,
        hint="Wait for it to finish, then deploy again.",
        remedies=(Remedy(Action.LOOK_AT_SLOTS),),
    )


def _naming_the_running(conflict: ConflictError, running: KuduDeployment | None) -> ConflictError:
    """``conflict`` (another deployment is running) saying which one, when Kudu's records tell."""
    if running is None:
        return conflict
    build = running.build
    facts = [f"deployment {running.id}"]
    if running.received_time:
        facts.append(f"received {running.received_time:%Y-%m-%d %H:%M:%S} UTC")
    what = f"{build.label} ({', '.join(facts)})" if build else ", ".join(facts)
    return ConflictError(
        f"{conflict.message} Running now: {what}.",
        status=conflict.status,
        code=conflict.code,
        hint=conflict.hint,
        remedies=conflict.remedies,
    )
