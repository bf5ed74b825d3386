"""The emulated Functions host over HTTPS: what a deployed package serves, keys, the host's own endpoints."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from slotwise_emulator import Emulator, FunctionApp, Speed
from slotwise_emulator.apps import app_files, broken_build, good_build, http_function, write_zip
from slotwise_emulator.backends.model import Slot


class Host:
    """A slot's function host and its SCM site, by the host names the emulator reports."""

    def __init__(self, emulator: Emulator, token: str, slot: str = "staging") -> None:
        self.emulator, self.slot_name, self.token = emulator, slot, token
        found = self.slot()
        self.host, self.scm = found.host_name, found.scm_host_name
        self.verify = str(emulator.ca_path)

    def slot(self) -> Slot:
        sub = self.emulator.subscription_id
        return self.emulator.call(lambda b: b.web.slot(sub, "rg-demo", "func-demo", self.slot_name))

    def deploy(self, package: Path) -> None:
        with package.open("rb") as body:
            response = requests.post(
                f"https://{self.scm}/api/zipdeploy",
                data=body,
                headers={"Authorization": f"Bearer {self.token}"},
                verify=self.verify,
                timeout=60,
            )
        assert response.status_code == 200, response.text

    def function_key(self, function: str) -> str:
        return self.emulator.call(lambda b: b.web.function_keys(self.slot(), function)["default"])

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = f"https://{self.host}{path}"
        return requests.request(method, url, params=params, headers=headers, verify=self.verify, timeout=30)


@pytest.fixture
def staging(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> Host:
    return Host(emulator, arm_token)


@pytest.fixture
def deployed(staging: Host, tmp_path: Path) -> Host:
    staging.deploy(good_build(tmp_path / "app.zip", version="1"))
    return staging


def test_the_default_page_is_served_before_anything_is_deployed(staging: Host) -> None:
    page = staging.call("GET", "/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Your Functions 4.0 app is up and running" in page.text
    missing = staging.call("GET", "/api/health")
    assert (missing.status_code, missing.content) == (404, b"")


def test_an_anonymous_function_answers_from_its_emulator_json(deployed: Host) -> None:
    response = deployed.call("GET", "/api/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "healthy", "version": "1"}
    assert deployed.call("POST", "/api/health").status_code == 404  # GET only


def test_function_keys_are_checked_like_the_real_host(deployed: Host) -> None:
    slot = deployed.slot()
    host_key = next(iter(slot.host_function_keys.values()), None)
    own_key = deployed.function_key("hello")
    other_function_key = deployed.function_key("items")

    def status(params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> int:
        return deployed.call("GET", "/api/hello/ann", params=params, headers=headers).status_code

    missing = deployed.call("GET", "/api/hello/ann")
    assert (missing.status_code, missing.content) == (401, b"")
    assert status(params={"code": "wrong"}) == 401
    assert status(params={"code": other_function_key}) == 401  # another function's key
    assert status(params={"code": own_key}) == 200
    assert status(headers={"x-functions-key": own_key}) == 200
    assert status(params={"code": slot.master_key}) == 200
    if host_key is not None:
        assert status(headers={"x-functions-key": host_key}) == 200


def test_the_echo_names_the_function_and_never_the_key(deployed: Host) -> None:
    key = deployed.function_key("hello")
    response = deployed.call("POST", "/api/hello/ann", params={"code": key, "page": "2"})
    assert response.json() == {
        "function": "hello",
        "method": "POST",
        "params": {"name": "ann"},
        "query": {"page": "2"},
    }
    assert key not in response.text


def test_route_constraints_decide_the_match(deployed: Host) -> None:
    key = deployed.function_key("items")
    found = deployed.call("GET", "/api/items/42", params={"code": key})
    assert (found.status_code, found.json()["params"]) == (200, {"id": "42"})
    assert deployed.call("GET", "/api/items/forty-two", params={"code": key}).status_code == 404


def test_admin_functions_take_the_master_key_only(deployed: Host) -> None:
    master = deployed.slot().master_key
    assert (
        deployed.call("POST", "/api/ops/reset", params={"code": deployed.function_key("reset")}).status_code
        == 401
    )
    assert deployed.call("POST", "/api/ops/reset", params={"code": master}).status_code == 200
    assert deployed.call("GET", "/api/ops/reset", params={"code": master}).status_code == 404


def test_host_status_needs_the_master_key_and_ping_does_not(deployed: Host) -> None:
    assert deployed.call("GET", "/admin/host/status").status_code == 401
    assert (
        deployed.call(
            "GET", "/admin/host/status", params={"code": deployed.function_key("hello")}
        ).status_code
        == 401
    )
    status = deployed.call(
        "GET", "/admin/host/status", headers={"x-functions-key": deployed.slot().master_key}
    )
    assert status.status_code == 200
    body = status.json()
    assert set(body) >= {
        "id",
        "state",
        "version",
        "versionDetails",
        "platformVersion",
        "instanceId",
        "computerName",
        "processUptime",
        "functionAppContentEditingState",
        "extensionBundle",
    }
    assert (body["state"], body["version"][:2], body["id"]) == ("Running", "4.", "func-demo-staging")
    assert isinstance(body["processUptime"], int)
    assert deployed.call("GET", "/admin/host/ping").status_code == 200


def test_a_stopped_slot_answers_403_with_the_stopped_page(deployed: Host, emulator: Emulator) -> None:
    sub = emulator.subscription_id
    emulator.call(lambda b: b.web.set_state(sub, "rg-demo", "func-demo", "staging", "Stopped"))
    for path in ("/", "/api/health", "/admin/host/ping"):
        response = deployed.call("GET", path)
        assert response.status_code == 403
        assert "This web app is stopped" in response.text
    emulator.call(lambda b: b.web.set_state(sub, "rg-demo", "func-demo", "staging", "Running"))
    assert deployed.call("GET", "/api/health").status_code == 200


def test_a_broken_build_answers_its_status_after_its_delay(staging: Host, tmp_path: Path) -> None:
    staging.deploy(broken_build(tmp_path / "b.zip", status=503, delay_ms=300))
    started = time.monotonic()
    response = staging.call("GET", "/api/health")
    elapsed = time.monotonic() - started
    assert (response.status_code, response.json()["status"]) == (503, "unhealthy")
    assert elapsed >= 0.3


def test_text_bodies_headers_and_a_custom_route_prefix(staging: Host, tmp_path: Path) -> None:
    files = {
        **app_files(),
        "host.json": {"version": "2.0", "extensions": {"http": {"routePrefix": ""}}},
        "text/function.json": http_function("text/{*rest}", auth="anonymous"),
        "text/emulator.json": {"status": 201, "body": "plain words", "headers": {"X-Build": "7"}},
        "empty/function.json": http_function("nothing", auth="anonymous"),
        "empty/emulator.json": {"status": 204, "body": None},
    }
    staging.deploy(write_zip(tmp_path / "t.zip", files))
    response = staging.call("GET", "/text/a/b")
    assert (response.status_code, response.text, response.headers["X-Build"]) == (201, "plain words", "7")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert staging.call("GET", "/health").json()["version"] == "1"
    assert staging.call("GET", "/api/health").status_code == 404
    nothing = staging.call("GET", "/nothing")
    assert (nothing.status_code, nothing.content) == (204, b"")


def test_a_swap_moves_the_build_but_keys_stay_with_the_slot(
    emulator: Emulator, function_app: FunctionApp, arm_token: str, tmp_path: Path
) -> None:
    staging, production = Host(emulator, arm_token, "staging"), Host(emulator, arm_token, "production")
    production.deploy(good_build(tmp_path / "n1.zip", version="1"))
    staging.deploy(good_build(tmp_path / "n2.zip", version="2"))
    staging_key = staging.function_key("hello")
    sub = emulator.subscription_id
    emulator.set_speed(Speed.instant())
    emulator.call(lambda b: b.web.start_swap(sub, "rg-demo", "func-demo", "staging", "production"))
    emulator.call(lambda b: b.tick())

    assert production.call("GET", "/api/health").json()["version"] == "2"
    assert staging.call("GET", "/api/health").json()["version"] == "1"
    assert staging.call("GET", "/api/hello", params={"code": staging_key}).status_code == 200
    assert production.call("GET", "/api/hello", params={"code": staging_key}).status_code == 401
