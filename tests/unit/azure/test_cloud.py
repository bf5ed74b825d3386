"""Clouds: the public default, named sovereign clouds, and explicit endpoints (the emulator's way in)."""

from __future__ import annotations

import pytest

from slotwise.azure.cloud import resolve_cloud
from slotwise.errors import ConfigError
from slotwise.factory import settings_from_env


def test_public_cloud_by_default() -> None:
    cloud = resolve_cloud()
    assert cloud.arm_endpoint == "https://management.azure.com"
    assert cloud.arm_scope == "https://management.azure.com/.default"
    assert cloud.is_known_authority


def test_sovereign_cloud_by_name_any_casing() -> None:
    cloud = resolve_cloud("azureusgovernment")
    assert cloud.authority_host == "https://login.microsoftonline.us"
    assert cloud.arm_scope == "https://management.usgovcloudapi.net/.default"


def test_explicit_endpoints_keep_the_audience_and_switch_off_instance_discovery() -> None:
    cloud = resolve_cloud(arm_endpoint="https://127.0.0.1:8443/", authority_host="https://127.0.0.1:8444")
    assert cloud.arm_endpoint == "https://127.0.0.1:8443"
    assert cloud.arm_scope == "https://management.azure.com/.default"
    assert not cloud.is_known_authority


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"name": "Mars"}, "Unknown Azure cloud"),
        ({"arm_endpoint": "http://127.0.0.1:8443"}, "https://"),
        ({"authority_host": "login.example"}, "https://"),
    ],
)
def test_bad_cloud_settings_are_config_errors(kwargs: dict[str, str], words: str) -> None:
    name = kwargs.pop("name", None)
    with pytest.raises(ConfigError) as caught:
        resolve_cloud(name, **kwargs)
    assert words in caught.value.message


def test_settings_need_a_subscription_and_say_where_to_find_it() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_env({})
    assert "AZURE_SUBSCRIPTION_ID" in caught.value.hint
    sub, other = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "0b1c2d3e-4f5a-4b6c-9d8e-7f6a5b4c3d2e"
    settings = settings_from_env({"AZURE_SUBSCRIPTION_ID": sub, "SLOTWISE_ARM_ENDPOINT": "https://arm.test"})
    assert (settings.subscription_id, settings.cloud.arm_endpoint) == (sub, "https://arm.test")
    assert settings_from_env({"AZURE_SUBSCRIPTION_ID": sub}, subscription=other).subscription_id == other
