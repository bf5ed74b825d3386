"""SLOTWISE_HTTP_TIMEOUT: how long slotwise waits for an answer from ARM or Kudu before the request
counts as failed (and is retried when that is safe). azure-core's default is 300 s, which makes a
slow answer untestable in seconds; the fault matrix sets it to one second."""

from __future__ import annotations

import time

import pytest
import requests

from slotwise.azure.kudu import KuduClient
from slotwise.azure.models import SlotRef
from slotwise.errors import ConfigError
from slotwise.factory import build_services, settings_from_env
from slotwise_emulator import Emulator, FunctionApp
from tests.fakes import FastClock

STAGING = SlotRef("rg-demo", "func-demo", "staging")


def slow(emulator: Emulator, kind: str, path: str, ms: int) -> None:
    rule = {"path": path, "kind": kind, "method": "GET", "latency_ms": ms, "passthrough": True, "count": 1}
    answer = requests.post(
        f"{emulator.arm_url}/_emulator/faults", json=rule, verify=str(emulator.ca_path), timeout=10
    )
    assert answer.status_code == 201, answer.text


def test_unset_means_the_library_default(slot_env: dict[str, str]) -> None:
    assert settings_from_env(slot_env).read_timeout is None


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan", "inf", "3601"])
def test_a_bad_value_is_a_config_error_naming_the_variable(slot_env: dict[str, str], text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_env({**slot_env, "SLOTWISE_HTTP_TIMEOUT": text})
    assert "SLOTWISE_HTTP_TIMEOUT" in caught.value.message


@pytest.mark.usefixtures("function_app")
def test_a_slow_arm_answer_is_given_up_on_and_retried(emulator: Emulator, slot_env: dict[str, str]) -> None:
    services = build_services(
        settings_from_env({**slot_env, "SLOTWISE_HTTP_TIMEOUT": "1"}), clock=FastClock()
    )
    services.web_apps.get(STAGING)  # a token first, so only the slow read is timed
    slow(emulator, "arm", "/slots/staging$", 4000)
    started = time.monotonic()
    try:
        assert services.web_apps.get(STAGING).ref == STAGING
    finally:
        services.close()
    assert time.monotonic() - started < 3.5  # one second given up on, then the retry's answer
    assert emulator.call(lambda b: b.faults.rules) == []  # the slow answer was met (and given up on)


def test_the_timeout_applies_to_kudu_too(
    emulator: Emulator, function_app: FunctionApp, slot_env: dict[str, str]
) -> None:
    services = build_services(
        settings_from_env({**slot_env, "SLOTWISE_HTTP_TIMEOUT": "1"}), clock=FastClock()
    )
    kudu = KuduClient.for_slot(services, services.web_apps.get(STAGING))
    kudu.deployments()
    slow(emulator, "scm", "/api/deployments$", 4000)
    started = time.monotonic()
    try:
        assert kudu.deployments() == []
    finally:
        kudu.close()
        services.close()
    assert time.monotonic() - started < 3.5
    assert emulator.call(lambda b: b.faults.rules) == []
