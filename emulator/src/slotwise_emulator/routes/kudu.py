"""Wire of the emulated Kudu (a slot's SCM site): ``/api/zipdeploy`` and ``/api/deployments``.

Parses the request, calls ``KuduBackend`` for the slot this SCM host serves, and shapes the answer
as Kudu does: a 202 with an empty body and a ``Location`` to poll for an async zip deploy, deployment
records with Kudu's snake_case fields, ``latest`` answering 202 while a deployment runs. The
request body of a zip deploy is streamed to disk chunk by chunk, never held in memory. The bearer
token (or the slot's publishing credentials) is checked by the app before these routes run. No
state here.

``PUT /api/deployments/{id}`` with a deployment record (Kudu's ``TryParseDeployResult``: ``status``
3 or 4, non-empty ``message``, ``deployer`` and ``author``; optional ``author_email``,
``start_time``, ``end_time``, ``active``, ``details``) writes it into the history and answers it;
any other body asks Kudu to redeploy from its repository, which zip-deployed sites do not have: 404.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.kudu import (
    FAILED,
    SUCCESS,
    DeploymentRecord,
    KuduBackend,
    LogEntry,
    SlotRef,
)
from slotwise_emulator.backends.model import Deployment
from slotwise_emulator.clock import iso
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends, base_url, binding, empty

_JSON = "application/json; charset=utf-8"
_LATEST = "latest"


def routes() -> list[BaseRoute]:
    return [
        Route("/api/zipdeploy", zipdeploy, methods=["POST", "PUT"]),
        Route("/api/deployments", list_deployments, methods=["GET"]),
        Route("/api/deployments/{id}", get_deployment, methods=["GET"]),
        Route("/api/deployments/{id}", put_deployment, methods=["PUT"]),
        Route("/api/deployments/{id}/log", get_log, methods=["GET"]),
    ]


# ---- zip deploy -----------------------------------------------------------------------------------------
async def zipdeploy(request: Request) -> Response:
    """Receive a package; async: 202 + Location to poll, else answer once the deployment ended."""
    kudu, ref = backends(request).kudu, _slot_ref(request)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
        await _drain(request)
        raise ServiceError(
            400, "BadRequest", "Deploying from a package URL is not emulated: send the zip.", "kudu"
        )
    try:
        kudu.check_can_deploy(ref)  # refuse early, but read the body first so the client sees the answer
    except ServiceError:
        await _drain(request)
        raise
    upload = kudu.new_upload()
    try:
        await _receive(request, upload)
    except ClientDisconnect:
        kudu.discard_upload(upload)
        return empty(400)  # nobody is listening any more
    except BaseException:
        kudu.discard_upload(upload)
        raise
    query = request.query_params
    deployment = kudu.start_zip_deploy(
        ref,
        upload,
        author=query.get("author"),
        author_email=query.get("authorEmail"),
        deployer=query.get("deployer"),
        message=query.get("message"),
    )
    if query.get("isAsync", "").lower() == "true":
        return empty(202, {"Location": _poll_url(request, deployment)})
    await _until_complete(kudu, deployment)
    if deployment.status != SUCCESS:
        raise ServiceError(
            500, "DeploymentFailed", f"Deployment failed: {deployment.status_text}", shape="kudu"
        )
    return empty(200)


async def _receive(request: Request, upload: Path) -> None:
    """Stream the body into ``upload`` (a file write per chunk: memory stays flat for any size)."""
    with upload.open("wb") as out:
        async for chunk in request.stream():
            out.write(chunk)


async def _drain(request: Request) -> None:
    async for _ in request.stream():
        pass


async def _until_complete(kudu: KuduBackend, deployment: Deployment) -> None:
    """Wait (on the emulator's clock) until the deployment ended; the client holds the request open."""
    while True:
        kudu.tick()
        if deployment.complete:
            return
        await asyncio.sleep(min(0.25, max(0.01, kudu.seconds_left(deployment))))


def _poll_url(request: Request, deployment: Deployment) -> str:
    now = backends(request).clock.now()
    stamp = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%d_%H-%M-%SZ")
    query = urlencode({"deployer": deployment.deployer, "time": stamp})
    return f"{base_url(request)}/api/deployments/{_LATEST}?{query}"


# ---- deployment records --------------------------------------------------------------------------------
async def list_deployments(request: Request) -> Response:
    ref, base = _slot_ref(request), f"{base_url(request)}/api/deployments"
    found = backends(request).kudu.deployments(ref)
    return _json([record(d, ref.site, f"{base}/{d.id}") for d in found])


async def get_deployment(request: Request) -> Response:
    """One deployment; ``latest``: 202 + Location while one runs, else the one that ended last."""
    kudu, ref, wanted = backends(request).kudu, _slot_ref(request), request.path_params["id"]
    here = f"{base_url(request)}{request.url.path}"
    if wanted == _LATEST:
        running = kudu.running(ref)
        if running is not None:
            return _json(record(running, ref.site, None), 202, {"Location": str(request.url)})
        return _json(record(kudu.latest_completed(ref), ref.site, here))
    return _json(record(kudu.deployment(ref, wanted), ref.site, here))


async def put_deployment(request: Request) -> Response:
    """Write a deployment record into the history (what Microsoft's tasks do after deploying)."""
    kudu, ref, wanted = backends(request).kudu, _slot_ref(request), request.path_params["id"]
    try:
        payload = json.loads(await request.body() or b"null")
    except ValueError:
        payload = None
    deployment = kudu.record_deployment(ref, wanted, deployment_record(payload))
    return _json(record(deployment, ref.site, f"{base_url(request)}{request.url.path}"))


def deployment_record(payload: Any) -> DeploymentRecord | None:
    """The deployment record a PUT body holds, or None when it is not one (Kudu then redeploys)."""
    if not isinstance(payload, dict):
        return None
    status, active = payload.get("status"), payload.get("active")
    texts = [payload.get(name) for name in ("message", "deployer", "author")]
    if isinstance(status, bool) or status not in (FAILED, SUCCESS):
        return None
    if not all(isinstance(text, str) and text for text in texts):
        return None
    email, details = payload.get("author_email"), payload.get("details")
    return DeploymentRecord(
        status=int(status),
        message=str(texts[0]),
        deployer=str(texts[1]),
        author=str(texts[2]),
        author_email=email if isinstance(email, str) else None,
        start_time=_timestamp(payload.get("start_time")),
        end_time=_timestamp(payload.get("end_time")),
        active=active if isinstance(active, bool) else None,
        details=details if isinstance(details, str) and details else None,
    )


def _timestamp(value: Any) -> float | None:
    """An ISO 8601 time (``Z`` or an offset; none: UTC) as a timestamp; None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


async def get_log(request: Request) -> Response:
    kudu, ref, wanted = backends(request).kudu, _slot_ref(request), request.path_params["id"]
    if wanted == _LATEST:
        running = kudu.running(ref)
        wanted = running.id if running is not None else kudu.latest_completed(ref).id
    return _json([log_entry(entry) for entry in kudu.log(ref, wanted)])


def record(deployment: Deployment, site_name: str, url: str | None) -> dict[str, Any]:
    """A deployment as Kudu's ``DeployResult`` JSON (``url`` None for a pending ``latest``, as Kudu)."""
    d = deployment
    return {
        "id": d.id,
        "status": d.status,
        "status_text": d.status_text,
        "author_email": d.author_email,
        "author": d.author,
        "deployer": d.deployer,
        "message": d.message,
        "progress": d.progress,
        "received_time": iso(d.received_time),
        "start_time": _iso(d.start_time),
        "end_time": _iso(d.end_time),
        "last_success_end_time": _iso(d.last_success_end_time),
        "complete": d.complete,
        "active": d.active,
        "is_temp": False,
        "is_readonly": True,
        "url": url,
        "log_url": f"{url}/log" if url else None,
        "site_name": site_name,
        "provisioningState": {FAILED: "Failed", SUCCESS: "Succeeded"}.get(d.status, "InProgress"),
    }


def log_entry(entry: LogEntry) -> dict[str, Any]:
    return {
        "log_time": iso(entry.time),
        "id": entry.id,
        "message": entry.message,
        "type": entry.type,
        "details_url": None,
    }


def _iso(value: float | None) -> str | None:
    return None if value is None else iso(value)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, headers=headers, media_type=_JSON)


def _slot_ref(request: Request) -> SlotRef:
    """The slot whose SCM site this host is."""
    bound = binding(request)
    if not (bound.subscription and bound.resource_group and bound.site and bound.slot):
        raise ServiceError(404, "NotFound", "This host serves no SCM site.", shape="kudu")
    return SlotRef(bound.subscription, bound.resource_group, bound.site, bound.slot)
