"""The ``##vso`` command parser, the secret masker, macro expansion and the agent's environment mapping
(no process runs here)."""

from __future__ import annotations

import json

import pytest

from slotwise_emulator.agent import environment
from slotwise_emulator.agent.commands import MASK, CommandError, SecretMasker, parse
from slotwise_emulator.backends.devops_jobs import Endpoint, Variable


def test_a_command_is_found_anywhere_in_a_line_with_its_properties_unescaped() -> None:
    command = parse(
        "remote said: ##vso[task.setvariable variable=a%3Bb;isOutput=True;x=%5D%AZP250A]v%0Aw%AZP25"
    )
    assert command is not None
    assert command.name == "task.setvariable"
    assert command.properties == {"variable": "a;b", "isoutput": "True", "x": "]%0A"}
    assert command.flag("isoutput")
    assert not command.flag("issecret")
    assert command.message == "v\nw%"


def test_area_and_event_ignore_case_and_a_line_without_a_command_is_none() -> None:
    command = parse("##vso[Task.LogIssue type=warning]careful")
    assert command is not None
    assert command.name == "task.logissue"
    assert parse("plain output, ## vso[ not a command") is None


@pytest.mark.parametrize("line", ["##vso[task.setvariable variable=x", "##vso[nodot]x", "##vso[.event]x"])
def test_malformed_commands_are_refused(line: str) -> None:
    with pytest.raises(CommandError):
        parse(line)


def test_the_masker_hides_every_secret_longest_first_and_refuses_multi_line_ones() -> None:
    masker = SecretMasker()
    masker.add("abc")
    masker.add("abcdef")
    masker.add("  ")  # blank: ignored, or every space would be masked
    assert masker.mask("x abcdef y abc z") == f"x {MASK} y {MASK} z"
    with pytest.raises(ValueError, match="several lines"):
        masker.add("one\ntwo")


def test_macros_expand_ignoring_case_and_unknown_ones_stay_as_written() -> None:
    variables = {"Release.ReleaseId": Variable("7"), "slot": Variable("staging")}
    text = "r$(release.releaseid)-$(SLOT)-$(Unknown.Var)-$(slot"
    assert environment.expand(text, variables) == "r7-staging-$(Unknown.Var)-$(slot"


def test_variables_naming_variables_are_resolved_and_a_cycle_stays() -> None:
    resolved = environment.resolve_variables(
        {
            "a": Variable("x-$(b)"),
            "b": Variable("$(c)!"),
            "c": Variable("1"),
            "p": Variable("$(q)"),
            "q": Variable("$(p)"),
        }
    )
    assert resolved["a"].value == "x-1!"
    assert resolved["p"].value == "$(p)"  # p → q → p: left as the agent leaves it


def test_environment_names_map_dots_and_spaces_and_keep_dashes() -> None:
    assert environment.env_name("Release.ReleaseId") == "RELEASE_RELEASEID"
    assert environment.env_name("my var.x-y") == "MY_VAR_X-Y"


MANIFEST = {
    "inputs": [
        {"name": "azureSubscription", "type": "connectedService:AzureRM", "defaultValue": ""},
        {"name": "slotName", "type": "pickList", "defaultValue": "  production "},
        {"name": "package", "type": "filePath", "defaultValue": "$(System.DefaultWorkingDirectory)/**/*.zip"},
        {"name": "notes", "type": "filePath", "defaultValue": "drop/notes.md"},
    ]
}


def test_inputs_take_defaults_then_the_steps_values_trimmed_expanded_and_rooted() -> None:
    variables = {"System.DefaultWorkingDirectory": Variable("/w"), "slot": Variable("blue")}
    inputs = environment.task_inputs(MANIFEST, {"SLOTNAME": " $(slot) ", "extra": "x"}, variables, "/w")
    assert inputs == {
        "azureSubscription": "",
        "slotName": "blue",  # the step's value, whatever its case, replaces the default
        "package": "/w/**/*.zip",
        "notes": "/w/drop/notes.md",
        "extra": "x",  # inputs the task.json does not declare arrive too
    }


def test_only_endpoints_named_by_a_connected_service_input_and_the_system_one_are_seen() -> None:
    named = Endpoint(
        "11111111-1111-1111-1111-111111111111", "arm", "azurerm", "https://arm/", "ServicePrincipal"
    )
    other = Endpoint(
        "22222222-2222-2222-2222-222222222222", "other", "azurerm", "https://arm/", "ServicePrincipal"
    )
    system = Endpoint("", "SystemVssConnection", "", "https://dev/org/", "OAuth", {"AccessToken": "t"})
    endpoints = {e.id or e.name: e for e in (named, other, system)}
    inputs = {"azureSubscription": named.id.upper()}
    assert environment.referenced_endpoints(MANIFEST, inputs, endpoints) == [named, system]


def test_an_endpoint_maps_to_the_agents_variables() -> None:
    endpoint = Endpoint(
        "11111111-1111-1111-1111-111111111111",
        "arm",
        "azurerm",
        "https://arm.local/",
        "ServicePrincipal",
        {"serviceprincipalid": "app", "serviceprincipalkey": "key"},
        {"subscriptionId": "sub", "environment": "AzureCloud"},
    )
    env = environment.endpoint_environment(endpoint)
    key = endpoint.id
    assert env[f"ENDPOINT_URL_{key}"] == "https://arm.local/"
    assert json.loads(env[f"ENDPOINT_AUTH_{key}"]) == {
        "parameters": endpoint.parameters,
        "scheme": "ServicePrincipal",
    }
    assert env[f"ENDPOINT_AUTH_SCHEME_{key}"] == "ServicePrincipal"
    assert env[f"ENDPOINT_AUTH_PARAMETER_{key}_SERVICEPRINCIPALKEY"] == "key"
    assert json.loads(env[f"ENDPOINT_DATA_{key}"]) == endpoint.data
    assert env[f"ENDPOINT_DATA_{key}_SUBSCRIPTIONID"] == "sub"
    system = environment.endpoint_environment(
        Endpoint("", "SystemVssConnection", "", "https://d/", "OAuth", {"AccessToken": "t"})
    )
    assert system["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"] == "t"
    assert not any(name.startswith("ENDPOINT_DATA_") for name in system)


def test_secret_variables_reach_a_process_only_as_secret_names() -> None:
    variables = {"Release.ReleaseId": Variable("7"), "Db.Password": Variable("hunter2", secret=True)}
    env = environment.process_environment({"PATH": "/bin", "INPUT_STALE": "x"}, {"a b": "1"}, variables, [])
    assert env["RELEASE_RELEASEID"] == "7"
    assert env["SECRET_DB_PASSWORD"] == "hunter2"
    assert "DB_PASSWORD" not in env
    assert json.loads(env["VSTS_PUBLIC_VARIABLES"]) == ["Release.ReleaseId"]
    assert json.loads(env["VSTS_SECRET_VARIABLES"]) == ["Db.Password"]
    assert env["INPUT_A_B"] == "1"
    assert env["PATH"] == "/bin"
    assert "INPUT_STALE" not in env
