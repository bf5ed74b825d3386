"""Where the organization is and how slotwise signs in to it: chosen from an environment mapping."""

from __future__ import annotations

import pytest

from slotwise.devops.settings import EntraSignIn, Token, checked_org_url, org_url, token_from_env
from slotwise.errors import ConfigError
from slotwise.factory import devops_settings

PAT = "pat-value-that-must-never-be-shown"


def test_org_url_comes_from_the_option_then_each_variable_in_turn() -> None:
    env = {
        "AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/env",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/pipe/",
    }
    assert org_url("https://dev.azure.com/option", env) == ("https://dev.azure.com/option/", "--org")
    assert org_url(None, env) == ("https://dev.azure.com/env/", "AZURE_DEVOPS_ORG_URL")
    assert org_url(None, {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/pipe/"}) == (
        "https://dev.azure.com/pipe/",
        "SYSTEM_COLLECTIONURI",
    )


def test_no_org_url_names_the_option_and_the_variables() -> None:
    with pytest.raises(ConfigError) as raised:
        org_url(None, {"AZURE_DEVOPS_ORG_URL": "  "})
    assert raised.value.exit_code == 2
    assert "--org" in raised.value.hint
    assert "AZURE_DEVOPS_ORG_URL" in raised.value.hint
    assert "SYSTEM_COLLECTIONURI" in raised.value.hint


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://dev.azure.com/contoso", "https://dev.azure.com/contoso/"),
        (" HTTPS://Dev.Azure.com/contoso// ", "https://dev.azure.com/contoso/"),
        (
            "https://tfs.contoso.local:8443/tfs/DefaultCollection",
            "https://tfs.contoso.local:8443/tfs/DefaultCollection/",
        ),
        ("https://127.0.0.1:4430/myorg/", "https://127.0.0.1:4430/myorg/"),
    ],
)
def test_an_org_url_is_normalised(given: str, expected: str) -> None:
    assert checked_org_url(given, "--org") == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("dev.azure.com/contoso", "not an http(s) URL"),
        ("ftp://dev.azure.com/contoso", "not an http(s) URL"),
        ("https:///contoso", "not an http(s) URL"),
        ("https://dev.azure.com/", "names no organization"),
        ("https://dev.azure.com/contoso?x=1", "query or fragment"),
        ("https://dev.azure.com:notaport/contoso", "not a URL Python can read"),
    ],
)
def test_a_malformed_org_url_is_refused_naming_where_it_came_from(given: str, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        checked_org_url(given, "AZURE_DEVOPS_ORG_URL")
    assert words in raised.value.message
    assert raised.value.message.startswith("AZURE_DEVOPS_ORG_URL")
    assert "dev.azure.com/<organization>" in raised.value.hint


def test_credentials_in_an_org_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ConfigError) as raised:
        checked_org_url(f"https://me:{PAT}@dev.azure.com/contoso", "--org")
    assert PAT not in raised.value.message
    assert PAT not in raised.value.hint
    assert "user name or password" in raised.value.message


def test_the_token_is_a_pat_from_az_devops_then_terraform_then_the_job_token() -> None:
    every = {
        "AZURE_DEVOPS_EXT_PAT": "a-pat",
        "AZDO_PERSONAL_ACCESS_TOKEN": "tf-pat",
        "SYSTEM_ACCESSTOKEN": "job",
    }
    assert token_from_env(every) == Token("AZURE_DEVOPS_EXT_PAT", "a-pat", basic=True)
    del every["AZURE_DEVOPS_EXT_PAT"]
    assert token_from_env(every) == Token("AZDO_PERSONAL_ACCESS_TOKEN", "tf-pat", basic=True)
    del every["AZDO_PERSONAL_ACCESS_TOKEN"]
    assert token_from_env(every) == Token("SYSTEM_ACCESSTOKEN", "job", basic=False)
    assert token_from_env({"AZURE_DEVOPS_EXT_PAT": " "}) is None


def test_a_token_is_named_by_its_variable_never_shown() -> None:
    token = Token("AZURE_DEVOPS_EXT_PAT", PAT, basic=True)
    assert PAT not in repr(token)
    assert token.described == "the personal access token in AZURE_DEVOPS_EXT_PAT"
    assert Token("SYSTEM_ACCESSTOKEN", PAT, basic=False).described == (
        "the pipeline job's access token in SYSTEM_ACCESSTOKEN"
    )


def test_the_factory_uses_entra_id_when_no_token_is_set_with_slotwise_s_credential_choice() -> None:
    settings = devops_settings(
        {"AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/c", "SLOTWISE_AUTH": "azure-cli"}
    )
    assert isinstance(settings.sign_in, EntraSignIn)
    assert settings.sign_in.credential.kind == "azure-cli"
    assert settings.sign_in.chosen_by == "SLOTWISE_AUTH"
    assert "azure-cli credential" in settings.sign_in.described


def test_an_explicit_auth_option_wins_over_a_pat_and_a_pat_over_slotwise_auth() -> None:
    env = {
        "AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/c",
        "AZURE_DEVOPS_EXT_PAT": PAT,
        "SLOTWISE_AUTH": "secret",
    }
    # SLOTWISE_AUTH=secret lacks its variables, but a PAT is there: the Entra credential is never built
    assert devops_settings(env).sign_in == Token("AZURE_DEVOPS_EXT_PAT", PAT, basic=True)
    chosen = devops_settings(env, auth="azure-cli").sign_in
    assert isinstance(chosen, EntraSignIn)
    assert chosen.chosen_by == "--auth"
    assert PAT not in repr(devops_settings(env))


def test_the_factory_refuses_a_missing_ca_bundle_before_any_request(tmp_path: object) -> None:
    env = {"AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/c", "AZURE_DEVOPS_EXT_PAT": PAT}
    with pytest.raises(ConfigError) as raised:
        devops_settings({**env, "REQUESTS_CA_BUNDLE": "/nowhere/ca.pem"})
    assert "REQUESTS_CA_BUNDLE" in raised.value.message


def test_the_factory_keeps_the_environment_for_from_env_values() -> None:
    env = {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/c/", "SYSTEM_ACCESSTOKEN": "job", "ORDERS_KEY": "v"}
    settings = devops_settings(env)
    assert settings.environment["ORDERS_KEY"] == "v"
    assert settings.org_given_by == "SYSTEM_COLLECTIONURI"
