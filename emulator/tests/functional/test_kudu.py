"""Kudu (each slot's SCM site) over HTTPS: zip deploy, polling, records, logs and refusals."""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from slotwise_emulator import Emulator, FunctionApp, ManualClock, Speed
from slotwise_emulator.apps import broken_build, good_build, invalid_zip
from slotwise_emulator.backends.kudu import SlotRef
from tests.conftest import ARM_SCOPE, REFERENCE, REFERENCE_MISSING, principal

RECORDING = REFERENCE / "app-service" / "recording-azcli-kudu-zipdeploy-EXCERPT.yaml"
IN_PROGRESS = "There is a deployment currently in progress. Please try again when it completes."


class Scm:
    """A slot's SCM site, called the way the az CLI and Microsoft's task call it."""

    def __init__(self, emulator: Emulator, token: str, app: str = "func-demo", slot: str = "staging") -> None:
        sub = emulator.subscription_id
        self.host = emulator.call(lambda b: b.web.slot(sub, "rg-demo", app, slot).scm_host_name)
        self.verify = str(emulator.ca_path)
        self.headers = {"Authorization": f"Bearer {token}"}

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"

    def deploy(self, package: Path, query: str = "isAsync=true") -> requests.Response:
        headers = {**self.headers, "Content-Type": "application/octet-stream"}
        with package.open("rb") as body:
            return requests.post(
                self.url(f"/api/zipdeploy?{query}"),
                data=body,
                headers=headers,
                verify=self.verify,
                timeout=60,
            )

    def get(self, url_or_path: str) -> requests.Response:
        url = url_or_path if url_or_path.startswith("https://") else self.url(url_or_path)
        return requests.get(url, headers=self.headers, verify=self.verify, timeout=30)


@pytest.fixture
def scm(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> Scm:
    return Scm(emulator, arm_token)


@pytest.fixture
def slow() -> Iterator[tuple[Emulator, ManualClock, Scm]]:
    """An emulator whose deployments take 10 s of a clock the test moves."""
    clock = ManualClock(time.time())
    with Emulator(speed=Speed(deploy_seconds=10), clock=clock) as emu:
        emu.create_function_app("rg-demo", "func-demo", slots=("staging",))
        yield emu, clock, Scm(emu, principal(emu).get_token(ARM_SCOPE).token)


def test_async_zipdeploy_answers_202_and_a_location_to_poll(scm: Scm, tmp_path: Path) -> None:
    accepted = scm.deploy(good_build(tmp_path / "app.zip"))

    assert (accepted.status_code, accepted.content) == (202, b"")
    location = accepted.headers["Location"]
    assert re.fullmatch(
        rf"https://{re.escape(scm.host)}/api/deployments/latest\?deployer=ZipDeploy&time=\d{{4}}-\d\d-\d\d_\d\d-\d\d-\d\dZ",
        location,
    )
    done = scm.get(location)
    assert done.status_code == 200
    assert done.headers["Content-Type"].startswith("application/json")
    record = done.json()
    assert (record["status"], record["complete"], record["active"], record["provisioningState"]) == (
        4,
        True,
        True,
        "Succeeded",
    )
    assert (record["url"], record["log_url"]) == (
        scm.url("/api/deployments/latest"),
        scm.url("/api/deployments/latest/log"),
    )
    assert record["site_name"] == "func-demo"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", record["received_time"])


@pytest.mark.reference
@pytest.mark.skipif(not RECORDING.exists(), reason=REFERENCE_MISSING)
def test_a_record_has_exactly_the_fields_of_the_recorded_one(scm: Scm, tmp_path: Path) -> None:
    recorded = yaml.safe_load(RECORDING.read_text())["interactions"]
    final = json.loads(recorded[-1]["response"]["body"]["string"])
    running = json.loads(recorded[1]["response"]["body"]["string"])
    location = scm.deploy(good_build(tmp_path / "app.zip")).headers["Location"]
    ours = scm.get(location).json()

    assert list(ours) == list(final)
    for key, value in final.items():
        assert type(ours[key]) is type(value) or value is None or ours[key] is None, key
    assert (ours["deployer"], ours["message"], ours["author"]) == (final["deployer"], final["message"], "N/A")
    assert set(running) == set(final)


def test_sync_zipdeploy_answers_when_done_and_keeps_the_callers_metadata(scm: Scm, tmp_path: Path) -> None:
    query = "message=build%2042&author=ci&authorEmail=ci%40example.org&deployer=slotwise"
    response = scm.deploy(good_build(tmp_path / "app.zip"), query)

    assert (response.status_code, response.content) == (200, b"")
    records = scm.get("/api/deployments").json()
    assert len(records) == 1
    record = records[0]
    assert (record["message"], record["author"], record["author_email"], record["deployer"]) == (
        "build 42",
        "ci",
        "ci@example.org",
        "slotwise",
    )
    assert record["url"] == scm.url(f"/api/deployments/{record['id']}")
    assert scm.get(f"/api/deployments/{record['id']}").json()["id"] == record["id"]


def test_a_deployment_in_progress_is_polled_then_refuses_a_second_one(
    slow: tuple[Emulator, ManualClock, Scm], tmp_path: Path
) -> None:
    _, clock, scm = slow
    location = scm.deploy(good_build(tmp_path / "a.zip")).headers["Location"]
    clock.advance(2)

    polled = scm.get(location)
    assert polled.status_code == 202
    assert polled.headers["Location"] == location
    body = polled.json()
    assert (body["status"], body["complete"], body["provisioningState"]) == (1, False, "InProgress")
    assert (body["url"], body["log_url"], body["end_time"]) == (None, None, None)
    assert body["status_text"] == f"Building and Deploying '{body['id']}'."

    refused = scm.deploy(good_build(tmp_path / "b.zip"))
    assert (refused.status_code, refused.text) == (409, IN_PROGRESS)

    clock.advance(5)
    assert scm.get(location).json()["status"] == 2
    clock.advance(3)
    done = scm.get(location)
    assert (done.status_code, done.json()["status"]) == (200, 4)
    assert scm.deploy(good_build(tmp_path / "c.zip")).status_code == 202


def test_sync_zipdeploy_waits_for_the_deployment_time(
    slow: tuple[Emulator, ManualClock, Scm], tmp_path: Path
) -> None:
    emulator, clock, scm = slow
    emulator.set_speed(Speed(deploy_seconds=0.5))
    done = threading.Event()

    def move_clock() -> None:  # the emulator's clock runs only while the request waits
        while not done.wait(0.05):
            clock.advance(0.1)

    mover = threading.Thread(target=move_clock, daemon=True)
    mover.start()
    try:
        response = scm.deploy(good_build(tmp_path / "a.zip"), query="")
    finally:
        done.set()
        mover.join()
    assert response.status_code == 200
    assert scm.get("/api/deployments/latest").json()["status"] == 4


def test_a_bad_package_fails_and_the_log_says_why(scm: Scm, tmp_path: Path) -> None:
    scm.deploy(good_build(tmp_path / "good.zip"))
    location = scm.deploy(invalid_zip(tmp_path / "bad.zip")).headers["Location"]

    record = scm.get(location).json()
    assert (record["status"], record["complete"], record["active"], record["provisioningState"]) == (
        3,
        True,
        False,
        "Failed",
    )
    log = scm.get(record["log_url"]).json()
    assert set(log[0]) == {"log_time", "id", "message", "type", "details_url"}
    errors = [entry["message"] for entry in log if entry["type"] == 2]
    assert any("not a valid zip file" in message for message in errors)
    history = scm.get("/api/deployments").json()
    assert [(r["status"], r["active"]) for r in history] == [(3, False), (4, True)]


def test_a_failed_sync_deploy_is_a_500_in_kudus_shape(scm: Scm, tmp_path: Path) -> None:
    response = scm.deploy(invalid_zip(tmp_path / "bad.zip"), query="")
    assert response.status_code == 500
    assert "not a valid zip file" in response.json()["Message"]


def test_unknown_deployments_are_404_in_kudus_shape(scm: Scm) -> None:
    latest = scm.get("/api/deployments/latest")
    assert (latest.status_code, latest.json()) == (404, {"Message": "Deployment 'latest' not found."})
    missing = scm.get("/api/deployments/0123456789abcdef/log")
    assert missing.status_code == 404
    assert scm.get("/api/deployments").json() == []


def test_kudu_wants_a_token(emulator: Emulator, function_app: FunctionApp, scm: Scm, tmp_path: Path) -> None:
    response = requests.post(
        scm.url("/api/zipdeploy?isAsync=true"),
        data=good_build(tmp_path / "a.zip").read_bytes(),
        verify=scm.verify,
        timeout=30,
    )
    assert response.status_code == 401
    assert emulator.call(lambda b: b.kudu.deployments(_staging(emulator))) == []


def test_a_chunked_upload_streams_to_disk(emulator: Emulator, scm: Scm, tmp_path: Path) -> None:
    package = broken_build(tmp_path / "a.zip")
    data = package.read_bytes()  # sent in chunks, without a Content-Length

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    headers = {**scm.headers, "Content-Type": "application/octet-stream"}
    response = requests.post(
        scm.url("/api/zipdeploy"), data=chunks(), headers=headers, verify=scm.verify, timeout=30
    )
    assert response.status_code == 200
    stored = emulator.call(lambda b: b.kudu.deployments(_staging(emulator))[0])
    assert stored.size == len(data)
    assert Path(stored.package_path or "").read_bytes() == data


def test_an_abandoned_upload_leaves_nothing_behind(emulator: Emulator, scm: Scm) -> None:
    host, port = scm.host.rsplit(":", 1)
    context = ssl.create_default_context(cafile=scm.verify)
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        head = (
            f"POST /api/zipdeploy?isAsync=true HTTP/1.1\r\nHost: {scm.host}\r\n"
            f"Authorization: {scm.headers['Authorization']}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
        )
        tls.sendall(head.encode() + b"PK" + b"\0" * 1024 * 1024)  # a tenth of the promised body
        uploads = emulator.backends.content_dir / "uploads"
        deadline = time.monotonic() + 10
        while not any(uploads.glob("*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(uploads.glob("*"))  # the body was being written to disk
    deadline = time.monotonic() + 10
    while any(uploads.glob("*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(uploads.glob("*")) == []
    assert scm.get("/api/deployments").json() == []


def test_disk_holds_only_the_packages_slots_still_run(emulator: Emulator, scm: Scm, tmp_path: Path) -> None:
    for version in ("1", "2", "3"):
        assert scm.deploy(good_build(tmp_path / f"{version}.zip", version), query="").status_code == 200
    packages = list((emulator.backends.content_dir / "packages").iterdir())
    uploads = list((emulator.backends.content_dir / "uploads").iterdir())
    assert (len(packages), uploads) == (1, [])


def test_a_running_swap_refuses_a_deployment(emulator: Emulator, scm: Scm, tmp_path: Path) -> None:
    sub = emulator.subscription_id
    emulator.set_speed(Speed(swap_seconds=60))
    emulator.call(lambda b: b.web.start_swap(sub, "rg-demo", "func-demo", "staging", "production"))

    refused = scm.deploy(good_build(tmp_path / "a.zip"))
    assert refused.status_code == 409
    assert "Message" in refused.json()


def _staging(emulator: Emulator) -> SlotRef:
    return SlotRef(emulator.subscription_id, "rg-demo", "func-demo", "staging")
