"""KuduClient meeting a 409 on upload (its own retried upload, someone else's, or a swap's lock), and
an upload whose answer was lost (recognised in Kudu's records, never sent again blindly).

These run against a fake pipeline client answering as Kudu does (an answer can also be an exception
the transport raises); the same cases run against the emulator in tests/functional.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError

from slotwise.azure.kudu import KuduClient
from slotwise.builds import BuildInfo
from slotwise.errors import ConflictError, OutcomeUnknown, RemoteError
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
    """Answers requests in order (an exception is raised, as the transport would); records what was
    asked, the body it read, and the options the request was sent with."""

    def __init__(self, *answers: FakeResponse | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.options: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []

    def send_request(self, request: Any, **options: Any) -> FakeResponse:
        self.asked.append((request.method, request.url))
        self.options.append(options)
        if request.method == "POST":
            self.bodies.append(b"".join(request.content))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

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

    assert location == f"https://{HOST}/api/deployments/abc123"  # followed by id from now on
    assert [method for method, _ in fake.asked] == ["POST", "GET"]


def test_someone_elses_deployment_is_a_conflict_naming_the_slot() -> None:
    fake = FakeKudu(
        FakeResponse(409, IN_PROGRESS), FakeResponse(202, running("Created via a push deployment"))
    )

    with pytest.raises(ConflictError, match="A deployment is already running on func-demo/staging") as caught:
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=BuildInfo(build_id="1"))

    assert IN_PROGRESS in caught.value.message
    assert caught.value.message.endswith("Running now: deployment abc123.")  # which one, from Kudu
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


# ---- a swap's lock ---------------------------------------------------------------------------------------
SWAP_LOCK = (
    "Cannot modify this site because another operation is in progress. Details: Id: 1b2c, "
    "OperationName: SwapSiteSlots, CreatedTime: 1/2/2026 9:30:00 AM, SiteName: func-demo, SlotName: staging"
)


@pytest.mark.parametrize(
    "said",
    [
        {"Message": SWAP_LOCK},
        {
            "Message": "The slot cannot be changed because its configuration settings have been prepared for "
            "swap."
        },
    ],
)
def test_a_409_from_a_swap_is_said_as_a_swap_not_a_running_deployment(said: dict[str, str]) -> None:
    fake = FakeKudu(FakeResponse(409, said))

    with pytest.raises(ConflictError) as caught:
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=BuildInfo(build_id="1"))

    assert caught.value.message.startswith("A swap is in progress on func-demo/staging")
    assert "already running" not in caught.value.message
    assert "Nothing was deployed" in caught.value.hint
    assert [method for method, _ in fake.asked] == ["POST"]  # no look for "our own" deployment


# ---- an upload whose answer was lost ----------------------------------------------------------------
def lost() -> ServiceResponseError:
    return ServiceResponseError("Connection aborted: RemoteDisconnected")


def record(message: str | None, *, ident: str = "d1", complete: bool = True) -> dict[str, Any]:
    return {"id": ident, "status": 4 if complete else 1, "complete": complete, "message": message}


def test_the_upload_is_not_resent_by_the_pipeline_once_it_went_out() -> None:
    fake = FakeKudu(FakeResponse(202, headers={"Location": "/api/deployments/latest"}))

    client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=BuildInfo(build_id="1"))

    assert fake.options[0].get("retry_read") == 0  # azure-core must not retry a read error of a POST


def test_a_lost_answer_is_followed_to_the_deployment_kudu_took() -> None:
    build = BuildInfo(build_number="20260101.4")
    fake = FakeKudu(
        lost(),
        FakeResponse(200, [record("someone else's", ident="old"), record(build.to_message(), ident="mine")]),
    )

    location = client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=build)

    assert location == f"https://{HOST}/api/deployments/mine"
    assert fake.asked == [("POST", fake.asked[0][1]), ("GET", f"https://{HOST}/api/deployments")]


def test_a_lost_answer_kudu_did_not_take_is_sent_again_whole() -> None:
    build = BuildInfo(build_number="20260101.5")
    fake = FakeKudu(
        lost(),
        FakeResponse(200, [record("someone else's", ident="old")]),
        FakeResponse(202, headers={"Location": "/api/deployments/latest"}),
    )

    location = client(fake).zip_deploy(io.BytesIO(b"xPK12"[1:]), size=4, metadata=build)

    assert location == f"https://{HOST}/api/deployments/latest"
    assert [method for method, _ in fake.asked] == ["POST", "GET", "POST"]
    assert fake.bodies == [b"PK12", b"PK12"]  # rewound to where the package starts


def test_a_lost_answer_that_cannot_be_checked_is_an_unknown_outcome_not_a_second_upload() -> None:
    fake = FakeKudu(lost(), FakeResponse(403, {"Message": "Forbidden."}))

    with pytest.raises(OutcomeUnknown) as caught:
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=BuildInfo(build_id="7"))

    assert caught.value.exit_code == 10
    assert "may have taken the package" in caught.value.message
    assert "did not send it again" in caught.value.message
    assert [method for method, _ in fake.asked] == ["POST", "GET"]


def test_an_unstamped_upload_whose_answer_was_lost_is_an_unknown_outcome() -> None:
    fake = FakeKudu(lost())

    with pytest.raises(OutcomeUnknown, match="cannot be recognised"):
        client(fake).zip_deploy(io.BytesIO(b"PK"), size=2, metadata=None)
    assert [method for method, _ in fake.asked] == ["POST"]
