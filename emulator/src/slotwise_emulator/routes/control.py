"""The emulator's control plane, under ``/_emulator/`` on the ARM host (a path no Azure service uses).

Tests, the demo and users drive the emulator here: reset it, create tenants, subscriptions, service
principals, resource groups, apps and slots, inject faults, set how fast swaps and deployments run,
read the request log and the secrets it issued (Azure DevOps: ``control_devops.py``). No
authentication: it only listens on loopback. Every endpoint is described in emulator/README.md.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.faults import rule_from_dict
from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.clock import Speed
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends, read_json
from slotwise_emulator.version import VERSION


class Controller(Protocol):
    """What the control plane needs from the running emulator beyond its state."""

    def reset(self) -> None: ...

    def env(self) -> dict[str, str]: ...

    @property
    def tenant_id(self) -> str: ...

    @property
    def subscription_id(self) -> str: ...


def _controller(request: Request) -> Controller:
    return request.scope["slotwise.controller"]  # type: ignore[no-any-return]


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "BadRequest", message, shape="kudu")


async def _body(request: Request) -> dict[str, Any]:
    body = await read_json(request, shape="kudu")
    if not isinstance(body, dict):
        raise _bad("The body must be a JSON object.")
    return body


def slot_summary(slot: Slot) -> dict[str, Any]:
    return {
        "name": slot.name,
        "defaultHostName": slot.host_name,
        "scmHostName": slot.scm_host_name,
        "state": slot.state,
        "deploymentId": slot.content.deployment_id,
        "functions": sorted(f.name for f in slot.content.functions.values()),
    }


def site_summary(site: Site) -> dict[str, Any]:
    return {
        "subscription": site.subscription,
        "resourceGroup": site.resource_group,
        "name": site.name,
        "kind": site.kind,
        "slots": {name: slot_summary(slot) for name, slot in site.slots.items()},
    }


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": VERSION})


async def reset(request: Request) -> Response:
    _controller(request).reset()
    return JSONResponse({"status": "reset"})


async def env(request: Request) -> Response:
    return JSONResponse(_controller(request).env())


async def create_tenant(request: Request) -> Response:
    body = await _body(request)
    tenant = backends(request).identity.create_tenant(str(body.get("tenantId") or uuid.uuid4()))
    return JSONResponse({"tenantId": tenant}, status_code=201)


async def create_subscription(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    tenant = str(body.get("tenantId") or _controller(request).tenant_id).lower()
    if tenant not in state.identity.tenants:
        raise _bad(f"Unknown tenant '{tenant}': create it first with POST /_emulator/tenants.")
    sub = state.resources.create_subscription(
        str(body.get("subscriptionId") or uuid.uuid4()), tenant, str(body.get("displayName", ""))
    )
    return JSONResponse(
        {"subscriptionId": sub.id, "tenantId": sub.tenant_id, "displayName": sub.display_name},
        status_code=201,
    )


async def create_principal(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    tenant = str(body.get("tenantId") or _controller(request).tenant_id).lower()
    if tenant not in state.identity.tenants:
        raise _bad(f"Unknown tenant '{tenant}': create it first with POST /_emulator/tenants.")
    cert = body.get("certificatePem")
    app = state.identity.create_application(
        tenant,
        client_id=body.get("clientId"),
        secret=body.get("secret"),
        certificate_pem=cert.encode() if isinstance(cert, str) else None,
        display_name=str(body.get("displayName", "slotwise-emulated-principal")),
    )
    return JSONResponse(
        {
            "clientId": app.client_id,
            "tenantId": app.tenant_id,
            "objectId": app.object_id,
            "secret": app.secrets[0] if app.secrets else None,
        },
        status_code=201,
    )


async def add_federated(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    client_id = request.path_params["client"].lower()
    if client_id not in state.identity.apps:
        raise ServiceError(
            404, "NotFound", f"No service principal with client id '{client_id}'.", shape="kudu"
        )
    if not body.get("issuer") or not body.get("subject"):
        raise _bad("Give 'issuer' and 'subject' (and optionally 'audiences').")
    cred = state.identity.add_federated_credential(
        client_id, str(body["issuer"]), str(body["subject"]), body.get("audiences")
    )
    return JSONResponse(asdict(cred), status_code=201)


async def oidc_token(request: Request) -> Response:
    body = await _body(request)
    if not body.get("subject"):
        raise _bad("Give the token's 'subject' (and optionally 'issuer' and 'audience').")
    issuer = str(body.get("issuer") or f"https://{request.headers.get('host', '')}/_emulator/oidc")
    token = backends(request).identity.mint_oidc_token(
        issuer, str(body["subject"]), str(body.get("audience") or "api://AzureADTokenExchange")
    )
    return JSONResponse({"oidcToken": token, "issuer": issuer})


async def put_group(request: Request) -> Response:
    body = await _body(request)
    group, _ = backends(request).resources.create_or_update_group(
        request.path_params["sub"],
        request.path_params["rg"],
        str(body.get("location") or "westeurope"),
        body.get("tags"),
    )
    return JSONResponse({"id": group.id, "name": group.name, "location": group.location})


async def put_site(request: Request) -> Response:
    body = await _body(request)
    state = backends(request)
    sub, rg, name = request.path_params["sub"], request.path_params["rg"], request.path_params["name"]
    state.resources.create_or_update_group(sub, rg, str(body.get("location") or "westeurope"))
    if (sub.lower(), rg.lower(), name.lower()) in state.web.sites:
        site = state.web.site(sub, rg, name)
    else:
        site = state.web.create_site(
            sub,
            rg,
            name,
            kind=str(body.get("kind") or "functionapp"),
            location=str(body.get("location") or "westeurope"),
            app_settings=body.get("appSettings"),
        )
    for slot in body.get("slots") or []:
        if str(slot).lower() not in site.slots:
            state.web.create_slot(sub, rg, name, str(slot))
    return JSONResponse(site_summary(site))


async def get_site(request: Request) -> Response:
    p = request.path_params
    return JSONResponse(site_summary(backends(request).web.site(p["sub"], p["rg"], p["name"])))


async def put_slot(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    state = backends(request)
    site = state.web.site(p["sub"], p["rg"], p["name"])
    slot = site.slots.get(p["slot"].lower()) or state.web.create_slot(
        p["sub"], p["rg"], p["name"], p["slot"], app_settings=body.get("appSettings")
    )
    return JSONResponse(slot_summary(slot))


async def fail_next_swap(request: Request) -> Response:
    body = await _body(request)
    p = request.path_params
    backends(request).web.fail_next_swap(
        p["sub"], p["rg"], p["name"], **({"message": body["message"]} if "message" in body else {})
    )
    return JSONResponse({"status": "armed"})


async def list_faults(request: Request) -> Response:
    return JSONResponse({"value": [r.as_dict() for r in backends(request).faults.rules]})


async def add_fault(request: Request) -> Response:
    body = await _body(request)
    try:
        rule = rule_from_dict(body)
    except (TypeError, ValueError) as exc:
        raise _bad(f"Invalid fault rule: {exc}") from exc
    return JSONResponse(backends(request).faults.add(rule).as_dict(), status_code=201)


async def clear_faults(request: Request) -> Response:
    backends(request).faults.clear()
    return Response(status_code=204)


async def delete_fault(request: Request) -> Response:
    if not backends(request).faults.remove(request.path_params["id"]):
        raise ServiceError(404, "NotFound", f"No fault rule '{request.path_params['id']}'.", shape="kudu")
    return Response(status_code=204)


async def get_speed(request: Request) -> Response:
    return JSONResponse(_speed_body(backends(request).speed))


async def put_speed(request: Request) -> Response:
    body = await _body(request)
    speed = backends(request).speed
    preset = body.pop("preset", None)
    if preset is not None:
        if preset not in ("instant", "realistic"):
            raise _bad("preset must be 'instant' or 'realistic'.")
        chosen = Speed.instant() if preset == "instant" else Speed.realistic()
        speed.swap_seconds, speed.deploy_seconds, speed.restart_seconds = (
            chosen.swap_seconds,
            chosen.deploy_seconds,
            chosen.restart_seconds,
        )
    for field, attr in (
        ("swapSeconds", "swap_seconds"),
        ("deploySeconds", "deploy_seconds"),
        ("restartSeconds", "restart_seconds"),
    ):
        if field in body:
            value = body.pop(field)
            if not isinstance(value, (int, float)) or value < 0:
                raise _bad(f"{field} must be a number of seconds, 0 or more.")
            setattr(speed, attr, float(value))
    if body:
        raise _bad(
            f"Unknown field(s): {', '.join(sorted(body))}; use swapSeconds, deploySeconds, "
            "restartSeconds or preset."
        )
    return JSONResponse(_speed_body(speed))


def _speed_body(speed: Speed) -> dict[str, float]:
    return {
        "swapSeconds": speed.swap_seconds,
        "deploySeconds": speed.deploy_seconds,
        "restartSeconds": speed.restart_seconds,
    }


async def requests_log(request: Request) -> Response:
    entries = backends(request).log.entries()
    since = int(request.query_params.get("since", "0") or 0)
    return JSONResponse({"value": [e.as_dict() for e in entries[since:]], "next": len(entries)})


async def clear_requests(request: Request) -> Response:
    backends(request).log.clear()
    return Response(status_code=204)


async def issued_secrets(request: Request) -> Response:
    state = backends(request)
    return JSONResponse(
        {
            "clientSecrets": state.identity.client_secrets(),
            "keys": state.web.secrets(),
            "tokens": list(dict.fromkeys([*state.identity.issued_tokens, *state.devops.access_tokens()])),
        }
    )


def routes() -> list[BaseRoute]:
    site = "/_emulator/subscriptions/{sub}/resourcegroups/{rg}/sites/{name}"
    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/env", env, methods=["GET"]),
        Route("/_emulator/tenants", create_tenant, methods=["POST"]),
        Route("/_emulator/subscriptions", create_subscription, methods=["POST"]),
        Route("/_emulator/principals", create_principal, methods=["POST"]),
        Route("/_emulator/principals/{client}/federated", add_federated, methods=["POST"]),
        Route("/_emulator/oidc-token", oidc_token, methods=["POST"]),
        Route("/_emulator/subscriptions/{sub}/resourcegroups/{rg}", put_group, methods=["PUT"]),
        Route(site, put_site, methods=["PUT"]),
        Route(site, get_site, methods=["GET"]),
        Route(site + "/slots/{slot}", put_slot, methods=["PUT"]),
        Route(site + "/fail-next-swap", fail_next_swap, methods=["POST"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/faults/{id}", delete_fault, methods=["DELETE"]),
        Route("/_emulator/speed", get_speed, methods=["GET"]),
        Route("/_emulator/speed", put_speed, methods=["PUT"]),
        Route("/_emulator/requests", requests_log, methods=["GET"]),
        Route("/_emulator/requests", clear_requests, methods=["DELETE"]),
        Route("/_emulator/secrets", issued_secrets, methods=["GET"]),
    ]
