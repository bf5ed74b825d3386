"""The real azure-devops client, configured by slotwise, against a scripted Azure DevOps on loopback:
the handshake, the server's detection (Services 7.1 / Server 2022 7.0), raw documents kept whole,
continuation tokens followed, a throttled read retried on slotwise's clock, a stale update detected."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from slotwise.devops.organization import DevOpsOrganization, open_organization
from slotwise.devops.settings import DevOpsSettings, Token
from slotwise.release.gateway import StaleRevision
from tests.fakes import FastClock

PAT = "scripted-pat-value"
CONNECTION_DATA = "00d9565f-ed9c-4a06-9a50-00e7896ccab4"
RESOURCE_AREAS = "e81700f7-3be2-46de-8624-2eb35882fcaa"
DEFINITIONS = "d8f96f24-8ea7-4cb6-baab-2df8fc515665"
DEFINITION_ROUTE = "{project}/_apis/{area}/{resource}/{definitionId}"


def location(id_: str, area: str, resource: str, template: str, max_version: float) -> dict[str, Any]:
    return {
        "id": id_, "area": area, "resourceName": resource, "routeTemplate": template, "resourceVersion": 4,
        "minVersion": 1.0, "maxVersion": max_version, "releasedVersion": "7.0",
    }  # fmt: skip


class ScriptedDevOps:
    """Just enough of an Azure DevOps collection; ``max_version`` 7.1 answers as Services, 7.0 as Server."""

    def __init__(self, max_version: float) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.throttle_next_list = True
        v = max_version
        locations = [
            location(CONNECTION_DATA, "Location", "connectionData", "_apis/{resource}", v),
            location(RESOURCE_AREAS, "Location", "ResourceAreas", "_apis/{resource}/{areaId}", v),
            location(DEFINITIONS, "Release", "definitions", DEFINITION_ROUTE, v),
        ]  # fmt: skip
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                outer.requests.append((self.command, self.path, self.headers.get("Accept", "")))
                status, answer, headers = outer.answer(self.command, self.path, body, locations, v)
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json; charset=utf-8",
                                    "Content-Length": str(len(data))}.items():  # fmt: skip
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_OPTIONS = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/contoso"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(
        self, method: str, path: str, body: Any, locations: list[Any], version: float
    ) -> tuple[int, Any, dict[str, str]]:
        route = path.split("?")[0].lower()
        if method == "OPTIONS":
            return 200, {"count": len(locations), "value": locations}, {}
        if route.endswith("/_apis/connectiondata"):
            return 200, {"deploymentType": "hosted" if version >= 7.1 else "onPremises"}, {}
        if route.endswith("/_apis/resourceareas"):
            return 200, {"count": 0, "value": []}, {}
        if method == "GET" and route.endswith("/definitions"):
            if self.throttle_next_list:
                self.throttle_next_list = False
                return (
                    429,
                    {"$id": "1", "message": "slow down", "typeKey": "RequestBlockedException"},
                    {"Retry-After": "7"},
                )
            if "continuationToken" not in path:
                return (
                    200,
                    {"count": 1, "value": [{"id": 1, "name": "a", "notInTheSdk": None}]},
                    {"X-MS-ContinuationToken": "p2"},
                )
            return 200, {"count": 1, "value": [{"id": 2, "name": "b"}]}, {}
        if method == "GET":
            return 200, {"id": 1, "name": "a", "revision": 5, "portalOnly": {"kept": None}}, {}
        if method == "PUT":
            return 400, {"$id": "1", "message": "VS402950: stale", "typeKey": "InvalidRequestException"}, {}
        return 404, {"$id": "1", "message": "nope", "typeKey": "VssResourceNotFoundException"}, {}


@pytest.fixture(params=[7.1, 7.0], ids=["services", "server-2022"])
def devops(request: pytest.FixtureRequest) -> Iterator[ScriptedDevOps]:
    scripted = ScriptedDevOps(request.param)
    yield scripted
    scripted.server.shutdown()
    scripted.server.server_close()


def opened(devops: ScriptedDevOps, clock: FastClock) -> DevOpsOrganization:
    settings = DevOpsSettings(
        org_url=devops.url + "/", org_given_by="--org", sign_in=Token("AZURE_DEVOPS_EXT_PAT", PAT, basic=True)
    )
    return open_organization(settings, clock=clock)


def test_the_server_is_detected_and_its_client_version_used(devops: ScriptedDevOps) -> None:
    org = opened(devops, FastClock())
    services = org.server.api_version == "7.1"
    assert org.server.hosted is services
    assert org.server.url == devops.url + "/"
    org.definitions.get("Fabrikam", 1)
    accept = devops.requests[-1][2]
    assert accept == (
        "application/json;api-version=7.1-preview.4" if services else "application/json;api-version=7.0"
    )


def test_a_listing_is_raw_paged_and_a_throttled_read_waits_on_slotwise_s_clock(
    devops: ScriptedDevOps,
) -> None:
    clock = FastClock()
    listed = opened(devops, clock).definitions.list("Fabrikam", path="\\Functions")
    assert listed == [{"id": 1, "name": "a", "notInTheSdk": None}, {"id": 2, "name": "b"}]
    assert clock.sleeps == [7.0]  # Retry-After, slept through the injected clock, not time.sleep
    lists = [path for method, path, _ in devops.requests if method == "GET" and "/definitions?" in path]
    assert len(lists) == 3  # throttled, page 1, page 2
    assert "$expand=environments%2Cartifacts%2Ctriggers%2Cvariables%2Ctags" in lists[0]
    assert "propertyFilters=Slotwise.ManagedBy" in lists[0]
    assert "path=%5CFunctions" in lists[0]
    assert lists[2].endswith("continuationToken=p2")


def test_a_get_keeps_every_field_and_a_refused_update_with_an_old_revision_is_stale(
    devops: ScriptedDevOps,
) -> None:
    definitions = opened(devops, FastClock()).definitions
    assert definitions.get("Fabrikam", 1)["portalOnly"] == {"kept": None}
    with pytest.raises(StaleRevision) as raised:
        definitions.update("Fabrikam", {"id": 1, "name": "a", "revision": 4}, comment="slotwise apply")
    assert raised.value.definition_id == 1
    assert "revision 4 was sent, it is now at revision 5" in raised.value.message
    assert "VS402950: stale" in raised.value.message
    assert PAT not in raised.value.message
