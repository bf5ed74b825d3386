"""Kudu's ``PUT /api/deployments/{id}`` with a deployment record: what Microsoft's pipeline tasks send
after deploying (``Kudu.updateDeployment`` in azure-pipelines-tasks-azure-arm-rest) to record
themselves in the slot's deployment history. Rules from projectkudu/kudu's DeploymentController
(``TryParseDeployResult``, ``CreateDeployment``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from slotwise_emulator import Emulator, FunctionApp, ManualClock, Speed
from slotwise_emulator.apps import good_build
from tests.conftest import ARM_SCOPE, principal

TASK_RECORD = {  # as KuduServiceUtility.updateDeploymentStatus sends it for a successful deployment
    "id": "4711",
    "active": True,
    "status": 4,
    "message": json.dumps({"type": "Deployment", "slotName": "staging"}),
    "author": "Ada",
    "deployer": "VSTS",
}


class Scm:
    def __init__(self, emulator: Emulator, token: str) -> None:
        sub = emulator.subscription_id
        host = emulator.call(lambda b: b.web.slot(sub, "rg-demo", "func-demo", "staging").scm_host_name)
        self.base = f"https://{host}"
        self.verify = str(emulator.ca_path)
        self.headers = {"Authorization": f"Bearer {token}"}

    def put(self, deployment_id: str, body: Any) -> requests.Response:
        url = f"{self.base}/api/deployments/{deployment_id}"
        return requests.put(url, json=body, headers=self.headers, verify=self.verify, timeout=30)

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, verify=self.verify, timeout=30)

    def deploy(self, package: Path) -> requests.Response:
        headers = {**self.headers, "Content-Type": "application/octet-stream"}
        url = f"{self.base}/api/zipdeploy?isAsync=true"
        return requests.post(url, data=package.read_bytes(), headers=headers, verify=self.verify, timeout=30)


@pytest.fixture
def scm(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> Scm:
    return Scm(emulator, arm_token)


def test_a_record_joins_the_history_and_becomes_the_active_deployment(
    emulator: Emulator, scm: Scm, tmp_path: Path
) -> None:
    scm.deploy(good_build(tmp_path / "v1.zip"))
    [zipped] = scm.get("/api/deployments").json()
    answer = scm.put("4711", TASK_RECORD)
    assert answer.status_code == 200
    record = answer.json()
    assert record["url"] == f"{scm.base}/api/deployments/4711"  # the task prints it
    assert record["log_url"] == f"{scm.base}/api/deployments/4711/log"
    assert (record["id"], record["status"], record["complete"], record["active"]) == ("4711", 4, True, True)
    assert (record["author"], record["deployer"], record["author_email"]) == ("Ada", "VSTS", None)
    assert record["message"] == TASK_RECORD["message"]
    history = scm.get("/api/deployments").json()
    assert [(d["id"], d["active"]) for d in history] == [("4711", True), (zipped["id"], False)]
    assert scm.get("/api/deployments/4711").json()["active"] is True
    log = scm.get("/api/deployments/4711/log").json()
    assert [line["message"] for line in log] == ["Deployment successful."]
    assert scm.get("/api/deployments/latest").json()["id"] == "4711"  # the newest that ended
    # a record changes no files: the slot still runs what was zip-deployed
    site = f"/_emulator/subscriptions/{emulator.subscription_id}/resourcegroups/rg-demo/sites/func-demo"
    summary = requests.get(f"{emulator.arm_url}{site}", verify=scm.verify, timeout=10).json()
    assert summary["slots"]["staging"]["deploymentId"] == zipped["id"]


def test_a_failed_record_is_not_active_and_keeps_its_details_and_times(scm: Scm) -> None:
    body = {
        **TASK_RECORD,
        "active": None,
        "status": 3,
        "details": "Smoke test failed.",
        "author_email": "ada@example.com",
        "start_time": "2025-01-02T03:04:05Z",
        "end_time": "2025-01-02T03:05:06Z",
    }
    record = scm.put("4712", body).json()
    assert (record["status"], record["active"], record["author_email"]) == (3, False, "ada@example.com")
    assert (record["start_time"], record["end_time"]) == (
        "2025-01-02T03:04:05.0000000Z",
        "2025-01-02T03:05:06.0000000Z",
    )
    log = scm.get("/api/deployments/4712/log").json()
    assert [(line["message"], line["type"]) for line in log] == [
        ("Deployment failed.", 2),
        ("Smoke test failed.", 0),
    ]


def test_an_active_record_must_have_succeeded(scm: Scm) -> None:
    answer = scm.put("4713", {**TASK_RECORD, "status": 3})
    assert (answer.status_code, answer.json()) == (400, {"Message": "Only successful status can be active!"})
    assert scm.get("/api/deployments").json() == []


def test_an_id_is_recorded_once(scm: Scm) -> None:
    assert scm.put("4714", TASK_RECORD).status_code == 200
    again = scm.put("4714", TASK_RECORD)
    assert (again.status_code, again.json()) == (409, {"Message": "Deployment with id '4714' exists"})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {**TASK_RECORD, "status": 2},
        {**TASK_RECORD, "author": ""},
        {key: value for key, value in TASK_RECORD.items() if key != "deployer"},
        "not an object",
    ],
)
def test_a_body_that_is_not_a_record_asks_for_a_redeploy_kudu_cannot_do(scm: Scm, body: Any) -> None:
    answer = scm.put("4715", body)
    assert (answer.status_code, answer.json()) == (404, {"Message": "Repository could not be found."})


@pytest.fixture
def slow() -> Iterator[tuple[ManualClock, Scm]]:
    """An emulator whose deployments take 10 s of a clock the test moves."""
    clock = ManualClock(time.time())
    with Emulator(speed=Speed(deploy_seconds=10), clock=clock) as emu:
        emu.create_function_app("rg-demo", "func-demo", slots=("staging",))
        yield clock, Scm(emu, principal(emu).get_token(ARM_SCOPE).token)


def test_a_record_waits_for_a_running_deployment(slow: tuple[ManualClock, Scm], tmp_path: Path) -> None:
    clock, scm = slow
    assert scm.deploy(good_build(tmp_path / "v1.zip")).status_code == 202
    in_progress = "There is a deployment currently in progress. Please try again when it completes."
    for body in (TASK_RECORD, {}):  # Kudu takes its deployment lock before reading the body
        busy = scm.put("4716", body)
        assert (busy.status_code, busy.json()["Message"]) == (409, in_progress)
    clock.advance(11)
    assert scm.put("4716", TASK_RECORD).status_code == 200
