"""A connection to one Azure DevOps organization through the ``azure-devops`` client: sign-in, the
server's detection, and sending requests to the client's own REST resources.

``connect`` signs in (a PAT as ``BasicAuthentication('', pat)``; a job token or an Entra ID token as
``BasicTokenAuthentication``), asks the server who it is (``connectionData``: Services is
``hosted``, a Server ``onPremises``) and where each resource area lives (``ResourceAreas``), and
reads the REST API version of the release definitions resource from the client's location
handshake (``OPTIONS {host}/_apis``, maxVersion 7.1 on Services, 7.0 on Server 2022): detected, never
configured. Clients then come from ``azure.devops.v7_1`` or ``azure.devops.v7_0`` accordingly.

Every client is configured the same way: the CA bundle to verify servers with, the answer timeout,
slotwise's retry policy (``devops.retry``, sleeping on the injected clock), slotwise's user agent, and
a refusal keeps its status and headers (``devops.errors.remember_answer``) so errors are translated
once, in ``devops.errors``. ``Connection.send`` and ``read_all`` call a ``Route`` with the client's
own ``_send`` (same location id, route values and version as its methods) and answer the JSON as
sent: nothing is dropped by the client's models.

Must not: read the environment (``DevOpsSettings`` is handed in), know release definitions or names.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, cast

from msrest.authentication import BasicAuthentication, BasicTokenAuthentication

from slotwise import __version__
from slotwise.azure.credentials import build_credential
from slotwise.azure.errors import translate as translate_azure
from slotwise.devops.errors import Call, boundary, remember_answer
from slotwise.devops.retry import DEFAULT_ATTEMPTS, DEFAULT_MAX_WAIT, DevOpsRetry
from slotwise.devops.routes import CONNECTION_DATA, DEFINITIONS, LOCATION, Area, Route
from slotwise.devops.settings import DEVOPS_SCOPE, DevOpsSettings, EntraSignIn, Token
from slotwise.errors import RemoteError
from slotwise.release.gateway import Server
from slotwise.secrets import SecretRegistry
from slotwise.timing import Clock

USER_AGENT = f"slotwise/{__version__}"
CONTINUATION = "X-MS-ContinuationToken"
CONNECT = Call("connecting to the organization", "access to the organization (any PAT scope)")
MAX_PAGES = 1000


class _KeepsAnswer:
    """Mixed into each client class: a refusal keeps the answer's status and headers."""

    def _handle_error(self, request: Any, response: Any) -> None:
        try:
            cast(Any, super())._handle_error(request, response)
        except Exception as error:
            remember_answer(error, response)
            raise


_CLASSES: dict[tuple[str, Area], type] = {}


def client_class(api_version: str, area: Area) -> type:
    """The ``azure-devops`` client class of ``area`` for the API version (7.1 or 7.0), keeping answers."""
    key = (api_version, area)
    if key not in _CLASSES:
        package = "azure.devops.v7_1" if api_version == "7.1" else "azure.devops.v7_0"
        base = getattr(importlib.import_module(f"{package}.{area.module}"), area.cls)
        _CLASSES[key] = type(area.cls, (_KeepsAnswer, base), {})
    return _CLASSES[key]


SIGN_IN_ADVICE = (
    "No personal access token was set (AZURE_DEVOPS_EXT_PAT or AZDO_PERSONAL_ACCESS_TOKEN), nor a "
    "pipeline's SYSTEM_ACCESSTOKEN, so slotwise asked azure-identity for an Entra ID token: set one of "
    "those, or sign in (az login, or --auth with a service principal's variables)."
)


def credentials(sign_in: Token | EntraSignIn, ca_bundle: str | None, secrets: SecretRegistry) -> Any:
    """The client's authentication for ``sign_in``; every secret is registered before any use."""
    if isinstance(sign_in, Token):
        secrets.add(sign_in.value)
        if sign_in.basic:
            return BasicAuthentication("", sign_in.value)
        return BasicTokenAuthentication({"access_token": sign_in.value})
    credential = build_credential(sign_in.credential, sign_in.cloud, ca_bundle=ca_bundle)
    try:
        token = credential.get_token(DEVOPS_SCOPE).token
    except Exception as error:
        failed = translate_azure(error, "getting an Entra ID token for Azure DevOps")
        failed.hint = " ".join(
            part
            for part in (SIGN_IN_ADVICE if sign_in.chosen_by.startswith("slotwise") else "", failed.hint)
            if part
        )
        raise failed from error
    secrets.add(token)
    return BasicTokenAuthentication({"access_token": token})


class Connection:
    """One organization, signed in; ``server`` says what it is."""

    def __init__(
        self,
        settings: DevOpsSettings,
        clock: Clock,
        secrets: SecretRegistry,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.credential = settings.sign_in.described
        self._clock = clock
        self._retry = (attempts, max_wait)
        self._auth = credentials(settings.sign_in, settings.ca_bundle, secrets)
        self._clients: dict[tuple[str, Area], Any] = {}
        self._area_urls: dict[str, str] = {}
        self.server = self._detect()

    # ---- sending ---------------------------------------------------------------------------------------
    def send(
        self,
        route: Route,
        call: Call,
        method: str,
        route_values: Mapping[str, tuple[Any, str]] | None = None,
        query: Mapping[str, Any] | None = None,
        content: Any = None,
    ) -> Any:
        """The server's answer (a requests ``Response``) to ``method`` on ``route``; ``route_values``
        are ``name: (value, type)`` as the client serializes them (``"str"``, ``"int"``)."""
        with boundary(call, self.credential, self.secrets):
            return self._send(route, method, route_values, query, content)

    def send_json(self, route: Route, call: Call, method: str, **kwargs: Any) -> Any:
        """``send``'s answer as JSON (None for an empty answer)."""
        response = self.send(route, call, method, **kwargs)
        with boundary(call, self.credential, self.secrets):
            return response.json() if response.content else None

    def read_all(
        self,
        route: Route,
        call: Call,
        route_values: Mapping[str, tuple[Any, str]] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a listing (``{"count", "value"}``), following continuation tokens."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        with boundary(call, self.credential, self.secrets):
            for _ in range(MAX_PAGES):
                page = dict(query or {})
                if token:
                    page["continuationToken"] = token
                response = self._send(route, "GET", route_values, page, None)
                body = response.json() if response.content else {}
                value = body.get("value", []) if isinstance(body, dict) else body
                items += [item for item in value or [] if isinstance(item, dict)]
                token = response.headers.get(CONTINUATION)
                if not token:
                    return items
        raise RemoteError(f"Azure DevOps kept answering more pages while {call.doing}; slotwise stopped.")

    def _send(
        self,
        route: Route,
        method: str,
        route_values: Mapping[str, tuple[Any, str]] | None,
        query: Mapping[str, Any] | None,
        content: Any,
    ) -> Any:
        client = self.client(route.area)
        serialize = client._serialize
        values = {
            name: serialize.url(name, value, kind) for name, (value, kind) in (route_values or {}).items()
        }
        params = {name: serialize.query(name, value, "str") for name, value in (query or {}).items()}
        return client._send(
            http_method=method,
            location_id=route.location_id,
            version=route.version(self.server.api_version),
            route_values=values,
            query_parameters=params,
            content=content,
        )

    # ---- clients -----------------------------------------------------------------------------------------
    def client(self, area: Area, api_version: str | None = None) -> Any:
        """The configured ``azure-devops`` client of ``area`` (one per area), for the server's API."""
        api = api_version or self.server.api_version
        key = (api, area)
        if key not in self._clients:
            self._clients[key] = self._make(client_class(api, area), self.area_url(area))
        return self._clients[key]

    def offers(self, route: Route) -> bool:
        """Whether the server offers ``route`` (its area is listed and its location handshake names it)."""
        try:
            client = self.client(route.area)
        except RemoteError:
            return False
        call = Call("reading which REST resources the server offers", "access to the organization")
        with boundary(call, self.credential, self.secrets):
            return client._get_resource_location(client.normalized_url, route.location_id) is not None

    def area_url(self, area: Area) -> str:
        """Where ``area`` is served: the organization URL on a Server (no resource areas), else the
        URL the organization's resource areas give."""
        if area.area_id is None or not self._area_urls:
            return self.settings.org_url
        url = self._area_urls.get(area.area_id)
        if url is None:
            raise RemoteError(
                f"The organization {self.settings.org_url} does not list the resource area "
                f"{area.module} ({area.area_id}) slotwise needs.",
                hint="Check the organization URL; the area may be switched off for the organization.",
            )
        return url

    def _make(self, cls: type, url: str) -> Any:
        client: Any = cls(base_url=url, creds=self._auth)
        client.add_user_agent(USER_AGENT)
        connection = client.config.connection
        connection.verify = self.settings.ca_bundle or True
        if self.settings.timeout is not None:
            connection.timeout = self.settings.timeout
        attempts, max_wait = self._retry
        retry = DevOpsRetry.policy(self._clock.sleep, attempts=attempts, max_wait=max_wait)
        client.config.retry_policy.policy = retry  # for the sessions of other threads, made later
        # msrest made this thread's session when the client was built, with its own retry policy
        # (every 5xx, real sleeps): its adapters get slotwise's
        for adapter in client.config.pipeline._sender.driver.session.adapters.values():
            adapter.max_retries = retry
        return client

    # ---- what the server is ------------------------------------------------------------------------------
    def _detect(self) -> Server:
        """Who the server is: connection data (hosted or not), resource areas, the release API version."""
        org = self.settings.org_url
        location = self._make(client_class("7.1", LOCATION), org)
        with boundary(CONNECT, self.credential, self.secrets):
            offered = location._get_resource_location(location.normalized_url, CONNECTION_DATA.location_id)
            deployment = ""
            if offered is not None:
                response = location._send(
                    http_method="GET", location_id=CONNECTION_DATA.location_id, version=CONNECTION_DATA.v7_1
                )
                deployment = str((response.json() or {}).get("deploymentType") or "")
            areas = location.get_resource_areas() or []
        self._area_urls = {str(a.id).lower(): str(a.location_url) for a in areas if a.id and a.location_url}
        hosted = (
            deployment.lower() == "hosted" if deployment.lower() in ("hosted", "onpremises") else bool(areas)
        )
        # the release definitions' own maxVersion, else (a server without them: the calls will say so)
        # the organization's connectionData's
        found = self._release_location() or offered
        if found is None:
            raise RemoteError(
                f"The server at {org} does not answer as Azure DevOps (its location service lists neither "
                "release definitions nor connection data).",
                hint="Check the organization URL: classic release pipelines need Azure DevOps Services or "
                "Azure DevOps Server 2022 or later.",
            )
        return Server(url=org, api_version=api_version(float(found.max_version or 0)), hosted=hosted)

    def _release_location(self) -> Any:
        """The release definitions' location as their host describes it, or None if not offered."""
        try:
            url = self.area_url(DEFINITIONS.area)
        except RemoteError:
            return None
        release = self._make(client_class("7.1", DEFINITIONS.area), url)
        call = Call("reading which REST API versions the server speaks", "access to the organization")
        with boundary(call, self.credential, self.secrets):
            return release._get_resource_location(release.normalized_url, DEFINITIONS.location_id)


def api_version(max_version: float) -> str:
    """``"7.1"`` (Services) or ``"7.0"`` (Server 2022) for the release resource's maxVersion; older
    servers are refused (RemoteError)."""
    if max_version >= 7.1:
        return "7.1"
    if max_version >= 7.0:
        return "7.0"
    raise RemoteError(
        f"The server speaks REST API {max_version:g} for release definitions; slotwise needs 7.0 "
        "(Azure DevOps Server 2022) or later.",
        hint="Upgrade the server to Azure DevOps Server 2022, or use Azure DevOps Services.",
    )
