"""KuduClient meeting a 409 on upload: its own retried upload (already running) or someone else's.

The emulator cannot drop a connection after it has taken an upload in, so this case runs against a
fake pipeline client answering as Kudu does.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from slotwise.azure.kudu import KuduClient
from slotwise.errors import ConflictError, RemoteError
from slotwise.slots.model import BuildInfo
from tests.fakes import FastClock

HOST = "func-demo-staging.scm.azurewebsites.net"
IN_PROGRESS = "There is a deployment currently in progress. Please try again when it completes."


class FakeResponse:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "Fake"
        self.headers = headers or {}
        self._body = body if isinstance(body, str) else json.dumps(body) if body is not None else ""

    def text(self) -> str:
        return self._body

    def json(self) -> Any:
        return json.loads(self._body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpResponseError(response=self)  # type: ignore[arg-type]


class FakeKudu:
    """Answers requests in order; records what was asked."""

    def __init__(self, *answers: FakeResponse) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def send_request(self, request: Any) -> FakeResponse:
        self.asked.append((request.method, request.url))
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def running(message: str | None) -> dict[str, Any]:
    return {"id": "abc123", "status": 1, "complete": False, "message": message}


def client(fake: FakeKudu) -> KuduClient:
    return KuduClient(fake, FastClock(), scm_host=HOST, target="func-demo/staging")  # type: ignore[arg-type]


def test_its_own_upload_already_running_is_followed_not_refused() -> None:
    build = BuildInfo(build_number="20260101.2")
    fake = FakeKudu(FakeResponse(409, IN_PROGRESS), FakeResponse(202, running(build.to_message())))

    location = client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=build)

    assert location == f"https://{HOST}/api/deployments/latest"
    assert [method for method, _ in fake.asked] == ["POST", "GET"]


def test_someone_elses_deployment_is_a_conflict_naming_the_slot() -> None:
    fake = FakeKudu(
        FakeResponse(409, IN_PROGRESS), FakeResponse(202, running("Created via a push deployment"))
    )

    with pytest.raises(ConflictError, match="A deployment is already running on func-demo/staging") as caught:
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=BuildInfo(build_id="1"))

    assert IN_PROGRESS in caught.value.message
    assert caught.value.exit_code == 5


def test_kudus_json_error_shape_is_read_too() -> None:
    fake = FakeKudu(FakeResponse(409, {"Message": "Deployment is locked."}))
    with pytest.raises(ConflictError, match="Deployment is locked"):
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=None)


def test_the_message_query_is_encoded() -> None:
    build = BuildInfo(requested_by="Ada & Grace + co", release="R=1")
    fake = FakeKudu(FakeResponse(202, headers={"Location": "/api/deployments/latest?deployer=slotwise"}))

    location = client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=build)

    url = fake.asked[0][1]
    assert "author=Ada%20%26%20Grace%20%2B%20co" in url
    assert "%22release%22%3A%22R%3D1%22" in url
    assert location == f"https://{HOST}/api/deployments/latest?deployer=slotwise"


def test_a_status_url_on_another_host_is_not_followed() -> None:
    fake = FakeKudu(
        FakeResponse(202, headers={"Location": "https://attacker.example/api/deployments/latest"})
    )
    with pytest.raises(RemoteError, match="another host"):
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=None)
