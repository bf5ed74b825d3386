"""The build stamped on a deployment: from Azure Pipelines, GitHub Actions or the local user; options win."""

from __future__ import annotations

import getpass
from datetime import datetime, timezone

from slotwise.builds import BuildInfo
from slotwise.slots.metadata import MAX_FIELD, build_info, from_environment

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

AZURE_BUILD = {
    "TF_BUILD": "True",
    "BUILD_BUILDID": "1234",
    "BUILD_BUILDNUMBER": "20260102.3",
    "BUILD_SOURCEVERSION": "0123456789abcdef0123456789abcdef01234567",
    "BUILD_REQUESTEDFOR": "Ada Lovelace",
    "BUILD_DEFINITIONNAME": "func-demo-ci",
    "USER": "vsts",
}

AZURE_RELEASE = {
    **AZURE_BUILD,
    "RELEASE_RELEASENAME": "Release-42",
    "RELEASE_REQUESTEDFOR": "Grace Hopper",
    "RELEASE_DEPLOYMENT_REQUESTEDFOR": "Alan Turing",
    "RELEASE_DEFINITIONNAME": "func-demo release",
}

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_RUN_ID": "987654321",
    "GITHUB_RUN_NUMBER": "17",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_SHA": "fedcba9876543210fedcba9876543210fedcba98",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_TRIGGERING_ACTOR": "hubot",
    "GITHUB_WORKFLOW": "deploy",
    "USER": "runner",
}


def test_an_azure_pipelines_build() -> None:
    assert build_info(AZURE_BUILD, now=NOW) == BuildInfo(
        build_id="1234",
        build_number="20260102.3",
        commit="0123456789abcdef0123456789abcdef01234567",
        requested_by="Ada Lovelace",
        pipeline="func-demo-ci",
        deployed_at=NOW,
    )


def test_a_classic_release_names_the_release_and_who_deployed() -> None:
    info = build_info(AZURE_RELEASE, now=NOW)
    assert (info.build_id, info.build_number, info.release) == ("1234", "20260102.3", "Release-42")
    assert (info.requested_by, info.pipeline) == ("Alan Turing", "func-demo release")
    without_deployment = {k: v for k, v in AZURE_RELEASE.items() if k != "RELEASE_DEPLOYMENT_REQUESTEDFOR"}
    assert from_environment(without_deployment).requested_by == "Grace Hopper"


def test_github_actions() -> None:
    assert build_info(GITHUB, now=NOW) == BuildInfo(
        build_id="987654321",
        build_number="17.2",
        commit="fedcba9876543210fedcba9876543210fedcba98",
        requested_by="hubot",
        pipeline="deploy",
        deployed_at=NOW,
    )
    first_attempt = {**GITHUB, "GITHUB_RUN_ATTEMPT": "1"}
    del first_attempt["GITHUB_TRIGGERING_ACTOR"]
    info = from_environment(first_attempt)
    assert (info.build_number, info.requested_by) == ("17", "octocat")


def test_a_local_shell_knows_only_the_user() -> None:
    assert build_info({"USER": "alice", "HOME": "/home/alice"}, now=NOW) == BuildInfo(
        requested_by="alice", deployed_at=NOW
    )
    assert from_environment({"USERNAME": "bob"}).requested_by == "bob"
    # with no variable at all, the account running slotwise (as in a container without $USER)
    assert from_environment({}) == BuildInfo(requested_by=getpass.getuser())


def test_explicit_values_win_over_the_environment() -> None:
    overrides = BuildInfo(
        build_id="7", build_number="1.0.7", release="R7", commit="abc1234", requested_by="me"
    )
    info = build_info(AZURE_RELEASE, now=NOW, overrides=overrides)
    assert (info.build_id, info.build_number, info.release, info.commit, info.requested_by) == (
        "7",
        "1.0.7",
        "R7",
        "abc1234",
        "me",
    )
    assert info.pipeline == "func-demo release"  # not overridden: still from the environment


def test_empty_overrides_and_unexpanded_macros_count_as_nothing() -> None:
    env = {**AZURE_BUILD, "RELEASE_RELEASENAME": "$(Release.ReleaseName)"}
    info = build_info(env, now=NOW, overrides=BuildInfo(build_id="  ", commit=""))
    assert (info.build_id, info.commit, info.release) == ("1234", AZURE_BUILD["BUILD_SOURCEVERSION"], None)


def test_values_are_one_short_line() -> None:
    env = {
        "TF_BUILD": "True",
        "BUILD_BUILDNUMBER": "42\r\n##vso[task.setvariable variable=x]y",
        "BUILD_BUILDID": "x" * 500,
    }
    info = from_environment(env)
    assert info.build_number == "42  ##vso[task.setvariable variable=x]y"
    assert len(info.build_id or "") == MAX_FIELD


def test_the_stamp_round_trips_through_a_kudu_message() -> None:
    info = build_info(AZURE_RELEASE, now=NOW)
    assert BuildInfo.from_message(info.to_message()) == info
