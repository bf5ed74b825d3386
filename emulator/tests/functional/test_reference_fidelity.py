"""The emulated Microsoft.Web answers against the official examples and a real recorded swap.

Reads ``../shared/reference/app-service`` (beside the checkout in CI): every top-level field and every
``properties`` key the official examples carry must be in the emulator's answer with the same JSON type,
and a swap must follow the recorded wire sequence (202 + Location, 202 polls, final 200 with the source
slot's Site).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from azure.identity import ClientSecretCredential

from slotwise_emulator import Emulator, FunctionApp, ManualClock, Speed
from tests.conftest import REFERENCE, REFERENCE_MISSING

APP_SERVICE = REFERENCE / "app-service"

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not APP_SERVICE.is_dir(), reason=REFERENCE_MISSING),
]

API = "api-version=2025-05-01"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((APP_SERVICE / name).read_text(encoding="utf-8"))
    return data


def recording(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((APP_SERVICE / name).read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def recorded(interactions: list[dict[str, Any]], method: str, pattern: str) -> list[dict[str, Any]]:
    return [
        i
        for i in interactions
        if i["request"]["method"] == method and re.search(pattern, urlsplit(i["request"]["uri"]).path)
    ]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def missing_or_mistyped(reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Keys of ``reference`` that ``ours`` lacks, or has with another JSON type (a null in the
    reference says nothing about the type)."""
    problems = [f"missing {key}" for key in reference if key not in ours]
    problems += [
        f"{key}: {json_type(ours[key])} instead of {json_type(value)}"
        for key, value in reference.items()
        if key in ours and value is not None and json_type(ours[key]) != json_type(value)
    ]
    return problems


class Arm:
    """Raw HTTPS calls to the emulator's ARM endpoint with a real token."""

    def __init__(self, emulator: Emulator) -> None:
        credential = ClientSecretCredential(
            emulator.tenant_id,
            emulator.client_id,
            emulator.client_secret,
            authority=emulator.authority,
            connection_verify=str(emulator.ca_path),
            disable_instance_discovery=True,
        )
        self.token = credential.get_token("https://management.azure.com/.default").token
        self.emulator = emulator
        group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo"
        self.site = f"{group}/providers/Microsoft.Web/sites/func-demo"

    def call(self, method: str, path_or_url: str, body: Any = None) -> requests.Response:
        url = path_or_url if path_or_url.startswith("https://") else f"{self.emulator.arm_url}{path_or_url}"
        return requests.request(
            method,
            url,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            verify=str(self.emulator.ca_path),
            timeout=10,
        )


@pytest.fixture
def arm(emulator: Emulator, function_app: FunctionApp) -> Arm:
    return Arm(emulator)


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    """An emulator on a manual clock whose swaps take 60 s, as the recorded one took about a minute."""
    with Emulator(speed=Speed(swap_seconds=60), clock=ManualClock()) as emu:
        emu.create_function_app("rg-demo", "func-demo", slots=("staging",))
        yield emu


# ---- official examples ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/slots/staging", ""], ids=["slot", "production"])
def test_site_get_carries_every_field_of_the_get_web_app_slot_example(arm: Arm, path: str) -> None:
    reference = example("spec-2025-05-01-example-GetWebAppSlot.json")["responses"]["200"]["body"]
    response = arm.call("GET", f"{arm.site}{path}?{API}")
    assert response.status_code == 200
    ours = response.json()
    assert missing_or_mistyped(reference, ours) == []
    assert missing_or_mistyped(reference["properties"], ours["properties"]) == []
    assert missing_or_mistyped(reference["properties"]["siteConfig"], ours["properties"]["siteConfig"]) == []
    assert [s["hostType"] for s in ours["properties"]["hostNameSslStates"]] == ["Standard", "Repository"]


def test_app_settings_list_has_the_shape_of_the_list_app_settings_example(arm: Arm) -> None:
    reference = example("spec-2025-05-01-example-ListAppSettings.json")["responses"]["200"]["body"]
    arm.call("PUT", f"{arm.site}/config/appsettings?{API}", {"properties": {"Setting1": "Value1"}})
    response = arm.call("POST", f"{arm.site}/config/appsettings/list?{API}")
    assert response.status_code == 200
    ours = response.json()
    assert missing_or_mistyped(reference, ours) == []
    assert (ours["name"], ours["type"]) == (reference["name"], reference["type"])
    assert ours["id"] == f"{arm.site}/config/appsettings"
    assert ours["properties"] == {"Setting1": "Value1"}


def test_update_app_settings_answers_like_the_update_app_settings_example(arm: Arm) -> None:
    spec = example("spec-2025-05-01-example-UpdateAppSettings.json")
    reference = spec["responses"]["200"]["body"]
    response = arm.call("PUT", f"{arm.site}/config/appsettings?{API}", spec["parameters"]["appSettings"])
    assert response.status_code == 200
    assert missing_or_mistyped(reference, response.json()) == []
    assert response.json()["properties"] == reference["properties"]


def test_apply_slot_config_answers_like_the_apply_slot_config_example(arm: Arm) -> None:
    spec = example("spec-2025-05-01-example-ApplySlotConfig.json")
    response = arm.call("POST", f"{arm.site}/applySlotConfig?{API}", spec["parameters"]["slotSwapEntity"])
    assert response.status_code == int(next(iter(spec["responses"])))
    assert response.content == b""


# ---- the recorded swap --------------------------------------------------------------------------------
SWAP_RECORDING = "recording-azcli-functionapp-slot-swap-EXCERPT.yaml"


def test_slot_config_names_have_the_recorded_shape(arm: Arm) -> None:
    (record,) = recorded(recording(SWAP_RECORDING), "GET", r"/config/slotConfigNames$")
    reference = json.loads(record["response"]["body"]["string"])
    ours = arm.call("GET", f"{arm.site}/config/slotConfigNames?{API}").json()
    assert set(ours) == set(reference)
    assert set(ours["properties"]) == set(reference["properties"])
    assert ours["id"] is None  # as recorded: this resource has no id
    assert all(value is None for value in ours["properties"].values())  # nothing sticky: nulls, as recorded


def test_swap_follows_the_recorded_sequence(slow_emulator: Emulator) -> None:
    interactions = recording(SWAP_RECORDING)
    (post,) = recorded(interactions, "POST", r"/slotsswap$")
    polls = recorded(interactions, "GET", r"/operationresults/")
    assert [p["response"]["status"]["code"] for p in polls] == [202, 200]  # what the excerpt kept
    arm = Arm(slow_emulator)
    staging = f"{arm.site}/slots/staging"

    accepted = arm.call("POST", f"{staging}/slotsswap?{API}", json.loads(post["request"]["body"]))
    assert accepted.status_code == post["response"]["status"]["code"] == 202
    assert accepted.content == b""
    assert post["response"]["body"]["string"] == ""
    recorded_headers = {k.lower() for k in post["response"]["headers"]}
    for absent in ("azure-asyncoperation", "retry-after"):
        assert absent not in recorded_headers
        assert absent not in {k.lower() for k in accepted.headers}
    recorded_location = urlsplit(post["response"]["headers"]["location"][0]).path
    recorded_post_path = urlsplit(post["request"]["uri"]).path
    location = accepted.headers["Location"]
    for post_path, location_path in (
        (recorded_post_path, recorded_location),
        (staging + "/slotsswap", location),
    ):
        resource = re.escape(post_path.rsplit("/", 1)[0])
        assert re.fullmatch(f"(https://[^/]+)?{resource}/operationresults/{GUID}(\\?.*)?", location_path)
    assert location.startswith(f"{slow_emulator.arm_url}/")
    assert "api-version=2025-05-01" in location

    slow_emulator.call(lambda b: b.clock.advance(15))  # the recording polled every ~15 s
    polling = arm.call("GET", location)
    assert (polling.status_code, polling.content) == (polls[0]["response"]["status"]["code"], b"")
    assert "location" in {k.lower() for k in polls[0]["response"]["headers"]}
    assert polling.headers["Location"] != location  # a new Location each time, as recorded
    assert polling.headers["Location"].split("?")[0] == location.split("?")[0]

    slow_emulator.call(lambda b: b.clock.advance(45))
    done = arm.call("GET", polling.headers["Location"])
    assert done.status_code == polls[1]["response"]["status"]["code"] == 200
    reference = json.loads(polls[1]["response"]["body"]["string"])
    ours = done.json()
    assert missing_or_mistyped(reference, ours) == []
    assert missing_or_mistyped(reference["properties"], ours["properties"]) == []
    assert (ours["type"], ours["name"]) == (reference["type"], "func-demo/staging")  # the source slot
    status = ours["properties"]["slotSwapStatus"]
    assert status["destinationSlotName"] == reference["properties"]["slotSwapStatus"]["destinationSlotName"]
    assert status["sourceSlotName"] == "staging"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["timestampUtc"])
    # after the swap the slot carries production's former deploymentId, and production the slot's
    assert ours["properties"]["deploymentId"] == "func-demo"
    production = arm.call("GET", f"{arm.site}?{API}").json()["properties"]
    assert production["deploymentId"].startswith("func-demo__")
    assert production["slotSwapStatus"] == status
