"""What the factory checks before any client exists: the subscription is a GUID, and the CA bundle
variables name files that hold certificates; each failure names the option or variable it came from."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from slotwise.errors import ConfigError
from slotwise.factory import check_ca_bundles, checked_subscription, settings_from_env

GUID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
BASE = {"SLOTWISE_ARM_ENDPOINT": "https://127.0.0.1:8443"}


@pytest.mark.parametrize("value", [GUID, GUID.upper(), f"  {GUID}\n"])
def test_a_guid_is_a_subscription_id(value: str) -> None:
    assert checked_subscription(value, "--subscription", "hint").lower() == GUID


@pytest.mark.parametrize(
    "value",
    [
        "not-a-guid",
        "",
        GUID[:-1],
        GUID + "0",
        f"{{{GUID}}}",
        f"{GUID}/../../x",
        "../" + GUID,
        GUID.replace("-", ""),
    ],
)
def test_anything_else_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        checked_subscription(value, "AZURE_SUBSCRIPTION_ID", "Set it.")
    assert raised.value.exit_code == 2
    assert "given by AZURE_SUBSCRIPTION_ID is not a subscription id" in raised.value.message
    assert "00000000-0000-0000-0000-000000000000" in raised.value.message
    assert raised.value.hint == "Set it."
    if value.strip():
        assert value.strip() not in raised.value.message


def test_the_option_is_named_before_the_variable() -> None:
    with pytest.raises(ConfigError, match="given by --subscription"):
        settings_from_env({**BASE, "AZURE_SUBSCRIPTION_ID": GUID}, subscription="prod")
    with pytest.raises(ConfigError, match="given by AZURE_SUBSCRIPTION_ID"):
        settings_from_env({**BASE, "AZURE_SUBSCRIPTION_ID": "prod"})
    assert (
        settings_from_env({**BASE, "AZURE_SUBSCRIPTION_ID": "prod"}, subscription=GUID).subscription_id
        == GUID
    )


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_that_is_not_there_is_named(variable: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError) as raised:
        check_ca_bundles({variable: str(missing)})
    assert raised.value.message == f"{variable} names a CA bundle that is not there: {missing}."
    assert variable in raised.value.hint


def test_a_file_without_certificates_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="REQUESTS_CA_BUNDLE names a file that holds no CA certificate"):
        check_ca_bundles({"REQUESTS_CA_BUNDLE": str(empty)})


def test_only_the_bundle_requests_uses_is_checked(tmp_path: Path) -> None:
    stale = str(tmp_path / "stale.pem")
    check_ca_bundles({"REQUESTS_CA_BUNDLE": certifi.where(), "CURL_CA_BUNDLE": stale})  # not used
    with pytest.raises(ConfigError, match="CURL_CA_BUNDLE names a CA bundle that is not there"):
        check_ca_bundles({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": stale})


def test_real_bundles_and_certificate_folders_pass(tmp_path: Path) -> None:
    check_ca_bundles({"REQUESTS_CA_BUNDLE": certifi.where(), "SSL_CERT_FILE": certifi.where()})
    check_ca_bundles({"REQUESTS_CA_BUNDLE": str(tmp_path)})
    check_ca_bundles({"CURL_CA_BUNDLE": str(tmp_path)})
    check_ca_bundles({"REQUESTS_CA_BUNDLE": ""})  # unset in effect
    check_ca_bundles({"REQUESTS_CA_BUNDLE": certifi.where(), "SSL_CERT_FILE": str(tmp_path / "stale")})


def test_ssl_cert_file_is_not_checked_since_requests_never_reads_it(tmp_path: Path) -> None:
    check_ca_bundles({"SSL_CERT_FILE": str(tmp_path / "stale.pem")})


def test_the_services_keep_the_secret_registry_they_are_given_even_while_it_is_empty() -> None:
    """The agent hands its output's registry over before it holds anything; a secret the services
    learn later (a function key) must land in that registry, the one the output masks with."""
    from slotwise.factory import build_services
    from slotwise.secrets import SecretRegistry

    env = {**BASE, "AZURE_SUBSCRIPTION_ID": GUID, "AZURE_TENANT_ID": GUID, "AZURE_CLIENT_ID": GUID,
           "AZURE_CLIENT_SECRET": "s3cr3t-value"}  # fmt: skip
    given = SecretRegistry()
    assert len(given) == 0
    services = build_services(settings_from_env(env), secrets=given)
    try:
        assert services.secrets is given
    finally:
        services.close()
