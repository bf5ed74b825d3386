"""Wire of the emulated Entra ID login endpoint (the ``authority``).

OpenID discovery documents, the signing keys, and the v2.0 (and v1) token endpoints, as MSAL and so
azure-identity and az CLI call them. The rules are in ``backends/identity.py``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes._common import backends, base_url

# Entra ID's multi-tenant aliases: their discovery documents exist, with the issuer left as a template.
_TENANT_ALIASES = ("common", "organizations", "consumers")


def _known_tenant(request: Request) -> str:
    tenant = str(request.path_params["tenant"]).lower()
    if tenant not in backends(request).identity.tenants:
        raise ServiceError(
            400,
            "invalid_tenant",
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud.",
            shape="aad",
            aad_codes=[90002],
        )
    return tenant


async def openid_configuration(request: Request) -> Response:
    """A tenant's OpenID configuration; for an alias (``organizations``: MSAL's authority for ``az
    logout``) the issuer reads ``{tenantid}``, as Entra ID answers."""
    alias = str(request.path_params["tenant"]).lower()
    tenant = alias if alias in _TENANT_ALIASES else _known_tenant(request)
    issuer_tenant = "{tenantid}" if alias in _TENANT_ALIASES else tenant
    base = base_url(request)
    v2 = request.url.path.startswith(f"/{request.path_params['tenant']}/v2.0/")
    prefix = f"{base}/{tenant}"
    token = f"{prefix}/oauth2/v2.0/token" if v2 else f"{prefix}/oauth2/token"
    return JSONResponse(
        {
            "token_endpoint": token,
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{prefix}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0" if v2 else f"https://sts.windows.net/{issuer_tenant}/",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{prefix}/oauth2/v2.0/authorize"
            if v2
            else f"{prefix}/oauth2/authorize",
            "device_authorization_endpoint": f"{prefix}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{prefix}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "tenant_region_scope": None if alias in _TENANT_ALIASES else "EU",
            "cloud_instance_name": request.headers.get("host", ""),
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )


async def keys(request: Request) -> Response:
    return JSONResponse(backends(request).identity.jwks())


async def instance_discovery(request: Request) -> Response:
    host = request.headers.get("host", "")
    authority = request.query_params.get("authorization_endpoint", "")
    return JSONResponse(
        {
            "tenant_discovery_endpoint": authority.replace(
                "/oauth2/v2.0/authorize", "/v2.0/.well-known/openid-configuration"
            )
            or f"https://{host}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


async def token_v2(request: Request) -> Response:
    return await _token(request, v1=False)


async def token_v1(request: Request) -> Response:
    return await _token(request, v1=True)


async def _token(request: Request, *, v1: bool) -> Response:
    tenant = request.path_params["tenant"]
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if v1 and "resource" in form and "scope" not in form:
        form["scope"] = form["resource"].rstrip("/") + "/.default"
    endpoint = f"{base_url(request)}/{tenant}/oauth2/{'token' if v1 else 'v2.0/token'}"
    answer = backends(request).identity.issue_token(tenant, form, endpoint)
    if v1:
        answer = {**answer, "resource": form.get("resource", ""), "expires_on": str(answer["expires_in"])}
    return JSONResponse(answer, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


def routes() -> list[BaseRoute]:
    return [
        Route("/common/discovery/instance", instance_discovery, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
        Route("/{tenant}/discovery/keys", keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token_v2, methods=["POST"]),
        Route("/{tenant}/oauth2/token", token_v1, methods=["POST"]),
    ]
