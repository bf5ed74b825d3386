"""The release definitions service on the wire, behind the emulator's own front (``EmulatorApp``: host
routing, fault rules, the request log): answers the azure-devops client's models can read, the error
body shape, auth and versions, revisions as text, deletes, and a 429 from a fault rule."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from azure.devops.v7_1.release import models
from msrest import Deserializer

from slotwise_emulator.app import EmulatorApp, service_app
from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.faults import rule_from_dict
from slotwise_emulator.backends.hosts import HostBinding
from slotwise_emulator.clock import ManualClock
from slotwise_emulator.routes import devops_release
from tests.release_fakes import BEARER, PAT, PROJECT_ID, FakeDirectory, definition

HOST = "vsrm.test"
ROOT = "/contoso/web/_apis/Release/definitions"  # as the Python client spells it
ACCEPT = {"Accept": "application/json;api-version=7.1-preview.4"}
BASIC = {"Authorization": "Basic " + base64.b64encode(f":{PAT}".encode()).decode(), **ACCEPT}
DESERIALIZE = Deserializer({k: v for k, v in vars(models).items() if isinstance(v, type)})


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class AsgiClient:
    """Calls an ASGI app in-process, as an HTTP client would (host header, query, JSON body)."""

    def __init__(self, app: EmulatorApp) -> None:
        self._app = app

    def request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        body = json.dumps(json_body).encode() if json_body is not None else b""
        sent = {"host": HOST, **{k.lower(): v for k, v in (headers or {}).items()}}
        if json_body is not None:
            sent["content-type"] = "application/json; charset=utf-8"
        scope = {
            "type": "http", "method": method, "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": urlencode(params or {}).encode(),
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
            "scheme": "https", "server": (HOST, 443), "client": ("127.0.0.1", 5000), "http_version": "1.1",
        }  # fmt: skip
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        asyncio.run(self._app(scope, receive, send))
        start = next(m for m in messages if m["type"] == "http.response.start")
        text = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body").decode()
        return Answer(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, text)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any, **kw: Any) -> Answer:
        return self.request("POST", path, json_body=json, **kw)

    def put(self, path: str, json: Any, **kw: Any) -> Answer:
        return self.request("PUT", path, json_body=json, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def state(tmp_path: Path) -> Backends:
    backends = Backends(content_dir=tmp_path, clock=ManualClock())
    backends.hosts.register(HOST, HostBinding("devops"))
    return backends


@pytest.fixture
def client(state: Backends) -> Iterator[AsgiClient]:
    release = ReleaseDefinitionsBackend(state.clock, FakeDirectory())
    services = {"devops": service_app(devops_release.routes(lambda _request: release), "devops")}
    return AsgiClient(EmulatorApp(lambda: state, services))


def create(client: AsgiClient, **extra: Any) -> dict[str, Any]:
    answer = client.post(ROOT, json=definition(**extra), headers=BASIC)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_clients_models_read_what_the_service_answers(client: AsgiClient) -> None:
    made = create(client)
    assert made["url"] == f"https://{HOST}/contoso/{PROJECT_ID}/_apis/Release/definitions/1"
    read = client.get(f"{ROOT}/1", headers=BASIC)
    assert read.headers["content-type"].startswith("application/json")
    assert "api-version=7.1-preview.4" in read.headers["content-type"]
    model = DESERIALIZE("ReleaseDefinition", read.json())
    assert (model.id, model.revision, model.name) == (1, 1, "app-release")
    assert [e.name for e in model.environments] == ["Staging", "Production"]
    assert model.environments[1].pre_deploy_approvals.approvals[0].approver.unique_name == "rita@contoso.com"
    assert model.artifacts[0].source_id == f"{PROJECT_ID}:12"
    listed = client.get(ROOT, params={"searchText": "app-release", "isExactNameMatch": "true"}, headers=BASIC)
    assert listed.json()["count"] == 1
    assert [d.id for d in DESERIALIZE("[ReleaseDefinition]", listed.json()["value"])] == [1]


def test_update_delete_and_revisions_on_the_wire(client: AsgiClient) -> None:
    made = create(client)
    made["description"] = "second"
    assert client.put(ROOT, json=made, headers=BASIC).json()["revision"] == 2
    stale = client.put(ROOT, json=made, headers=BASIC)
    assert stale.status_code == 400
    assert set(stale.json()) == {
        "$id",
        "innerException",
        "message",
        "typeName",
        "typeKey",
        "errorCode",
        "eventId",
    }
    assert stale.json()["typeKey"] == "InvalidRequestException"
    history = client.get(
        f"{ROOT}/1/revisions", headers={**BASIC, "Accept": "application/json;api-version=7.1-preview.1"}
    )
    revisions = DESERIALIZE("[ReleaseDefinitionRevision]", history.json()["value"])
    assert [(r.revision, r.change_type) for r in revisions] == [(1, "add"), (2, "update")]
    first = client.get(
        f"{ROOT}/1/revisions/1", headers={**BASIC, "Accept": "text/plain;api-version=7.1-preview.1"}
    )
    assert first.headers["content-type"].startswith("text/plain")
    assert json.loads(first.text)["description"] is None
    gone = client.delete(f"{ROOT}/1", params={"comment": "retired", "forceDelete": "true"}, headers=BASIC)
    assert gone.status_code == 204
    assert client.get(f"{ROOT}/1", headers=BASIC).status_code == 404
    deleted = client.get(ROOT, params={"isDeleted": "true"}, headers=BASIC).json()["value"]
    assert [(d["id"], d["isDeleted"]) for d in deleted] == [(1, True)]


def test_auth_and_api_version_are_checked(client: AsgiClient) -> None:
    assert client.get(ROOT, headers=ACCEPT).status_code == 401
    assert client.get(ROOT, headers={"Authorization": f"Bearer {BEARER}", **ACCEPT}).status_code == 200
    missing = client.get(ROOT, headers={"Authorization": f"Bearer {BEARER}"})
    assert (missing.status_code, missing.json()["typeKey"]) == (400, "VssVersionNotSpecifiedException")
    assert (
        client.get(
            ROOT, params={"api-version": "7.1"}, headers={"Authorization": f"Bearer {BEARER}"}
        ).status_code
        == 200
    )
    assert (
        client.get("/contoso/nope/_apis/release/definitions", headers=BASIC)
        .json()["typeKey"]
        .startswith("Project")
    )


def test_paging_answers_the_continuation_header(client: AsgiClient) -> None:
    for name in ("a", "b", "c"):
        create(client, name=name)
    first = client.get(ROOT, params={"$top": "2"}, headers=BASIC)
    token = first.headers[devops_release.CONTINUATION_HEADER]
    assert [d["name"] for d in first.json()["value"]] == ["a", "b"]
    assert token == "3"
    rest = client.get(ROOT, params={"$top": "2", "continuationToken": token}, headers=BASIC)
    assert [d["name"] for d in rest.json()["value"]] == ["c"]
    assert devops_release.CONTINUATION_HEADER not in rest.headers
    assert client.get(ROOT, params={"queryOrder": "sideways"}, headers=BASIC).status_code == 400


def test_a_fault_rule_rate_limits_the_list_and_the_log_tells_reads_from_writes(
    client: AsgiClient, state: Backends
) -> None:
    state.faults.add(
        rule_from_dict(
            {"kind": "devops", "method": "GET", "path": r"/_apis/release/definitions$", "status": 429,
             "shape": "devops", "code": "RequestBlocked", "message": "Too many requests.", "retry_after": 3}
        )
    )  # fmt: skip
    limited = client.get(ROOT, headers=BASIC)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json()["typeKey"] == "RequestBlocked"
    assert client.get(ROOT, headers=BASIC).status_code == 200  # the rule fired once
    create(client)
    log = [(e.method, e.path, e.status) for e in state.log.entries()]
    writes = [(m, p) for m, p, _ in log if m not in ("GET", "HEAD", "OPTIONS")]
    # every request is logged with the path the service sees (``/_apis/...`` lower-cased), also one a
    # fault answered before the service
    assert writes == [("POST", "/contoso/web/_apis/release/definitions")]
    assert log[0] == ("GET", "/contoso/web/_apis/release/definitions", 429)
