"""The control plane's releases-at-run-time section, under ``/_emulator/devops/`` on the ARM host.

    POST /_emulator/devops/{org}/{project}/releases    {definitionId, buildId?, creator?, manualStages?}
    GET  /_emulator/devops/{org}/{project}/releases    every release with its stages and pending approvals
    GET  /_emulator/devops/jobs                        the jobs waiting in the manual agent pool
    POST /_emulator/devops/jobs/{jobId}                {result, logs: {task: [lines]},
                                                        summaries: [[name, markdown]], outputs,
                                                        taskResults: {task: result}}

A completed build (``POST .../builddefinitions/{definition}/builds``) triggers releases by itself.
JSON in and out (errors ``{"Message"}``); the rules are in ``backends/devops_releases.py``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.devops_release_driver import create_release, manual_pool, release_summary
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends
from slotwise_emulator.routes.control_devops import _body
from slotwise_emulator.routes.control_devops_org import _error


async def start_release(request: Request) -> Response:
    p = request.path_params
    body = await _body(request)
    try:
        made = create_release(
            backends(request),
            p["org"],
            p["project"],
            int(body["definitionId"]),
            build_id=int(body["buildId"]) if body.get("buildId") else None,
            creator=body.get("creator"),
            manual_stages=tuple(body.get("manualStages") or ()),
        )
    except (KeyError, ValueError, TypeError, ServiceError) as exc:
        raise _error(exc) from exc
    return JSONResponse(made, status_code=201)


async def list_releases(request: Request) -> Response:
    p = request.path_params
    b = backends(request)
    try:
        project_id = b.release.project(p["org"], p["project"])[0]
    except ServiceError as exc:
        raise _error(exc) from exc
    return JSONResponse([release_summary(r) for r in b.releases.releases(p["org"], project_id)])


async def list_jobs(request: Request) -> Response:
    try:
        jobs = manual_pool(backends(request)).jobs()
    except ValueError as exc:
        raise _error(exc) from exc
    return JSONResponse(
        [
            {
                "jobId": j.job_id,
                "releaseId": int(j.variables["Release.ReleaseId"].value),
                "stage": j.variables["Release.EnvironmentName"].value,
                "tasks": [t.name for t in j.tasks],
            }
            for j in jobs
        ]
    )


async def complete_job(request: Request) -> Response:
    body = await _body(request)
    try:
        outcome = manual_pool(backends(request)).complete(
            request.path_params["jobId"],
            str(body.get("result") or "succeeded"),
            logs={str(k): [str(line) for line in v] for k, v in (body.get("logs") or {}).items()},
            summaries=[(str(n), str(t)) for n, t in body.get("summaries") or []],
            outputs={str(k): str(v) for k, v in (body.get("outputs") or {}).items()},
            task_results={str(k): str(v) for k, v in (body.get("taskResults") or {}).items()},
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise _error(exc) from exc
    return JSONResponse({"jobId": request.path_params["jobId"], "result": outcome.result})


def routes() -> list[BaseRoute]:
    base = "/_emulator/devops"
    return [
        Route(base + "/jobs", list_jobs, methods=["GET"]),
        Route(base + "/jobs/{jobId}", complete_job, methods=["POST"]),
        Route(base + "/{org}/{project}/releases", start_release, methods=["POST"]),
        Route(base + "/{org}/{project}/releases", list_releases, methods=["GET"]),
    ]
