"""The emulator's own machinery: hosts, authentication, faults, the control plane and persistence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from slotwise_emulator import Emulator, Speed

API = "api-version=2021-04-01"


def get(emulator: Emulator, path: str, token: str | None = None, **kwargs: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(
        f"{emulator.arm_url}{path}", headers=headers, verify=str(emulator.ca_path), timeout=10, **kwargs
    )  # type: ignore[arg-type]


def control(emulator: Emulator, method: str, path: str, json: object = None) -> requests.Response:
    return requests.request(
        method, f"{emulator.arm_url}/_emulator{path}", json=json, verify=str(emulator.ca_path), timeout=10
    )


def test_arm_refuses_requests_without_a_token(emulator: Emulator) -> None:
    response = get(emulator, f"/subscriptions/{emulator.subscription_id}/resourcegroups?{API}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_resource_groups_are_created_by_arms_own_put(emulator: Emulator, arm_token: str) -> None:
    url = f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourcegroups/RG-One?{API}"
    headers = {"Authorization": f"Bearer {arm_token}"}
    created = requests.put(
        url, json={"location": "West Europe"}, headers=headers, verify=str(emulator.ca_path), timeout=10
    )
    again = requests.put(
        url, json={"location": "westeurope"}, headers=headers, verify=str(emulator.ca_path), timeout=10
    )
    assert (created.status_code, again.status_code) == (201, 200)
    body = get(
        emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-one?{API}", arm_token
    ).json()
    assert body["name"] == "RG-One"  # ARM keeps the creator's casing and matches any casing
    assert body["location"] == "westeurope"
    missing = get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups/nope?{API}", arm_token)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ResourceGroupNotFound")


def test_api_version_is_required(emulator: Emulator, arm_token: str) -> None:
    response = get(emulator, f"/subscriptions/{emulator.subscription_id}/resourcegroups", arm_token)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "MissingApiVersionParameter")


def test_unknown_subscription_is_a_404(emulator: Emulator, arm_token: str) -> None:
    response = get(
        emulator, f"/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?{API}", arm_token
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "SubscriptionNotFound")


def test_fault_with_retry_after_fires_count_times_then_lets_requests_through(
    emulator: Emulator, arm_token: str
) -> None:
    rule = control(
        emulator,
        "POST",
        "/faults",
        {
            "path": "/resourceGroups$",
            "method": "GET",
            "status": 429,
            "code": "TooManyRequests",
            "retry_after": 2,
            "count": 2,
        },
    )
    assert rule.status_code == 201
    path = f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}"
    first, second, third = (get(emulator, path, arm_token) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "2"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert control(emulator, "GET", "/faults").json()["value"] == []


def test_rate_limiting_rule_throttles_only_the_requests_beyond_its_rate(
    emulator: Emulator, arm_token: str
) -> None:
    rule = {
        "path": "/resourceGroups$",
        "method": "GET",
        "status": 429,
        "code": "TooManyRequests",
        "count": None,
        "rate": 0.5,
        "burst": 2,
    }
    assert control(emulator, "POST", "/faults", rule).status_code == 201
    path = f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}"
    answers = [get(emulator, path, arm_token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "2"  # one request every 2 s
    (listed,) = control(emulator, "GET", "/faults").json()["value"]
    assert (listed["passed"], listed["hits"]) == (2, 1)


def test_fault_in_app_service_shape(emulator: Emulator, arm_token: str) -> None:
    control(
        emulator,
        "POST",
        "/faults",
        {
            "path": "resourceGroups",
            "status": 409,
            "shape": "appservice",
            "code": "Conflict",
            "message": "busy",
        },
    )
    body = get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}", arm_token).json()
    assert body["Code"] == "Conflict"
    assert body["Message"] == "busy"
    assert body["Details"][2]["ErrorEntity"]["Code"] == "Conflict"


def test_fault_that_drops_the_connection(emulator: Emulator, arm_token: str) -> None:
    control(emulator, "POST", "/faults", {"path": "resourceGroups", "drop": True})
    with pytest.raises(requests.ConnectionError):
        get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}", arm_token)
    assert get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}", arm_token).ok


def test_fault_that_drops_the_connection_after_the_service_acted(emulator: Emulator, arm_token: str) -> None:
    rule = {"path": "resourcegroups/rg-late$", "method": "PUT", "drop_after": True}
    control(emulator, "POST", "/faults", rule)
    url = f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourcegroups/rg-late?{API}"
    with pytest.raises(requests.ConnectionError):
        requests.put(url, json={"location": "westeurope"}, headers={"Authorization": f"Bearer {arm_token}"},
                     verify=str(emulator.ca_path), timeout=10)  # fmt: skip
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-late?{API}"
    created = get(emulator, group, arm_token)
    assert created.status_code == 200  # the client never heard, but the group exists
    logged = control(emulator, "GET", "/requests").json()["value"]
    assert [r["status"] for r in logged if r["path"].endswith("/rg-late") and r["method"] == "PUT"] == [201]


def test_drop_and_drop_after_exclude_each_other(emulator: Emulator) -> None:
    response = control(emulator, "POST", "/faults", {"drop": True, "drop_after": True})
    assert response.status_code == 400
    assert "drop_after" in response.json()["Message"]


def test_latency_only_fault_passes_the_request_through(emulator: Emulator, arm_token: str) -> None:
    control(emulator, "POST", "/faults", {"path": "resourceGroups", "latency_ms": 300, "passthrough": True})
    started = time.monotonic()
    response = get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}", arm_token)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_invalid_fault_rule_is_refused_with_the_field_named(emulator: Emulator) -> None:
    response = control(emulator, "POST", "/faults", {"path": "(", "status": 503})
    assert response.status_code == 400
    assert "path" in response.json()["Message"]
    unknown = control(emulator, "POST", "/faults", {"stauts": 503})
    assert "stauts" in unknown.json()["Message"]


def test_speed_can_be_read_and_set(emulator: Emulator) -> None:
    assert (
        control(emulator, "PUT", "/speed", {"swapSeconds": 12, "deploySeconds": 3}).json()["swapSeconds"]
        == 12
    )
    assert emulator.backends.speed.deploy_seconds == 3
    assert control(emulator, "PUT", "/speed", {"preset": "instant"}).json()["swapSeconds"] == 0
    assert control(emulator, "PUT", "/speed", {"swapSeconds": -1}).status_code == 400


def test_request_log_records_requests_without_headers(emulator: Emulator, arm_token: str) -> None:
    get(emulator, f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}", arm_token)
    entries = control(emulator, "GET", "/requests").json()["value"]
    served = [e for e in entries if e["path"].endswith("/resourceGroups")]
    assert served
    assert served[0]["status"] == 200
    assert served[0]["kind"] == "arm"
    assert arm_token not in str(entries)


def test_secrets_lists_what_the_emulator_issued(emulator: Emulator, arm_token: str) -> None:
    issued = control(emulator, "GET", "/secrets").json()
    assert emulator.client_secret in issued["clientSecrets"]
    assert arm_token in issued["tokens"]


def test_control_plane_creates_apps_with_slots(emulator: Emulator) -> None:
    created = control(
        emulator,
        "PUT",
        f"/subscriptions/{emulator.subscription_id}/resourcegroups/rg/sites/app1",
        {"slots": ["staging", "park"]},
    )
    assert created.status_code == 200
    slots = created.json()["slots"]
    assert set(slots) == {"production", "staging", "park"}
    hosts = {s["defaultHostName"] for s in slots.values()} | {s["scmHostName"] for s in slots.values()}
    assert len(hosts) == 6  # every slot has its own site host and SCM host


def test_reset_forgets_apps_but_keeps_the_default_principal(emulator: Emulator, credential: object) -> None:
    emulator.create_function_app("rg", "app1")
    secret = emulator.client_secret
    assert control(emulator, "POST", "/reset").status_code == 200
    assert emulator.backends.web.sites == {}
    assert emulator.client_secret == secret
    assert control(emulator, "GET", "/env").json()["AZURE_CLIENT_SECRET"] == secret


def test_hosts_answer_as_reported_and_unknown_hosts_get_404(emulator: Emulator) -> None:
    response = requests.get(
        f"{emulator.arm_url}/_emulator/health",
        headers={"Host": "elsewhere.example"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    # an unknown Host header falls back to the port's own service
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_state_dir_keeps_state_ports_and_ca_across_a_restart(tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path, speed=Speed.instant()) as first:
        first.create_function_app("rg-keep", "app-keep")
        env, ca = first.env(), first.ca_path.read_bytes()
    with Emulator(state_dir=tmp_path) as second:
        assert second.env() == env
        assert second.ca_path.read_bytes() == ca
        site = second.call(lambda b: b.web.site(second.subscription_id, "rg-keep", "app-keep"))
        assert set(site.slots) == {"production", "staging"}
        health = requests.get(f"{second.arm_url}/_emulator/health", verify=str(second.ca_path), timeout=10)
        assert health.ok


def test_env_file_is_private_and_complete(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "emulator.env"
    emulator.write_env_file(path)
    assert path.stat().st_mode & 0o077 == 0
    values = dict(line.split("=", 1) for line in path.read_text().splitlines())
    for key in (
        "REQUESTS_CA_BUNDLE",
        "AZURE_AUTHORITY_HOST",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_SUBSCRIPTION_ID",
        "SLOTWISE_ARM_ENDPOINT",
    ):
        assert values[key]
    assert values["SLOTWISE_ARM_ENDPOINT"] == emulator.arm_url


def test_two_emulators_do_not_share_state() -> None:
    with Emulator() as one, Emulator() as two:
        one.create_function_app("rg", "only-in-one")
        assert two.backends.web.sites == {}
        assert one.arm_url != two.arm_url


def test_a_rule_can_arm_another_when_it_fires(emulator: Emulator, arm_token: str) -> None:
    groups = f"/subscriptions/{emulator.subscription_id}/resourceGroups?{API}"
    then = {"path": "resourceGroups$", "method": "GET", "status": 503, "count": None}
    rule = {"path": "resourcegroups/rg-trigger$", "method": "PUT", "passthrough": True, "then": then}
    assert control(emulator, "POST", "/faults", rule).status_code == 201
    assert get(emulator, groups, arm_token).ok  # not armed yet
    url = f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourcegroups/rg-trigger?{API}"
    headers = {"Authorization": f"Bearer {arm_token}"}
    created = requests.put(
        url, json={"location": "westeurope"}, headers=headers, verify=str(emulator.ca_path), timeout=10
    )
    assert created.status_code == 201  # the trigger itself passed through
    assert [get(emulator, groups, arm_token).status_code for _ in range(2)] == [503, 503]
    rules = control(emulator, "GET", "/faults").json()["value"]
    assert [(r["path"], r["then"]) for r in rules] == [("resourceGroups$", None)]


def test_a_follow_up_rule_is_validated_with_its_rule(emulator: Emulator) -> None:
    response = control(emulator, "POST", "/faults", {"path": "x", "then": {"kind": "nowhere"}})
    assert response.status_code == 400
    assert "then: kind must be one of" in response.json()["Message"]


def test_stopping_while_a_request_is_held_up_is_quiet(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A request still being served when the emulator stops (here held up by a latency fault) is
    cancelled: its client is let go (its connection closed), the server's thread ends, and nothing is
    logged ("Task was destroyed but it is pending!", uvicorn's "Exception in ASGI application")."""
    import contextlib
    import gc
    import threading

    emu = Emulator(speed=Speed.instant()).start()
    try:
        control(emu, "POST", "/faults", {"path": "resourceGroups", "latency_ms": 30_000, "passthrough": True})
        url = f"{emu.arm_url}/subscriptions/{emu.subscription_id}/resourceGroups?api-version=2022-09-01"

        def held() -> None:
            with contextlib.suppress(requests.RequestException):  # the emulator goes away under it
                requests.get(url, verify=str(emu.ca_path), timeout=60)

        client = threading.Thread(target=held, daemon=True)
        client.start()
        deadline = time.monotonic() + 10
        while control(emu, "GET", "/faults").json()["value"] and time.monotonic() < deadline:
            time.sleep(0.02)  # the rule fires (and leaves the list) when the request arrives
        assert not control(emu, "GET", "/faults").json()["value"], "the held request never arrived"
    finally:
        with caplog.at_level("WARNING"):
            emu.stop()
            gc.collect()
    client.join(timeout=10)
    assert not client.is_alive(), "the client of the held request was left hanging"
    assert not [t for t in threading.enumerate() if t.name == "slotwise-emulator"], "its thread lives on"
    noise = [r.getMessage() for r in caplog.records if r.name.startswith(("asyncio", "uvicorn"))]
    assert noise == []
    printed = capfd.readouterr()
    assert "Task was destroyed" not in printed.err
    assert "Exception in ASGI application" not in printed.err
