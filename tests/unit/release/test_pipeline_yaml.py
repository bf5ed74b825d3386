"""`release render --as yaml`: a spec as a multi-stage YAML pipeline. The committed pipelines of
templates/pipelines/ are what the specs render today (a drift fails with the command to regenerate),
every task input in them is one task.json allows, and each rule of the translation holds: stage order,
environments, the same inputs with paths in the pipeline workspace, the artifact as a pipeline
resource with its trigger, secrets kept out, sign-offs as ManualValidation server jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.release.catalogue import TaskDef, TaskSet, catalogue
from slotwise.release.inputs import visible
from slotwise.release.load import load_specs, parse_specs
from slotwise.release.model import Definition
from slotwise.release.pipeline_yaml import (
    MANUAL_VALIDATION,
    MANUAL_VALIDATION_INPUTS,
    MANUAL_VALIDATION_OPTIONS,
    environment_name,
    pipeline,
    pipeline_text,
)
from slotwise.release.render import render
from slotwise.release.resolve import OfflineResolver

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = ROOT / "templates" / "pipelines"
RENDERED = {"article.yml": "templates/release/article.yaml", "chained.yml": "templates/release/chained.yaml"}
REGENERATE = "slotwise release render --as yaml {spec} --output-dir templates/pipelines"
TASKS: dict[str, TaskDef] = {task.reference: task for tasks in TaskSet for task in catalogue(tasks).values()}

SPEC = """
name: Orders API
project: Fabrikam
artifact: {build: orders-api-CI, project: Shared, alias: drop}
app: {serviceConnection: contoso-azure, resourceGroup: rg-orders, name: func-orders}
variables:
  Plain: one
  Token: {secret: true, fromEnv: ORDERS_TOKEN}
variableGroups: [orders-settings]
stages:
  - name: Staging
    after: release
  - name: QA check
    after: Staging
    approvals:
      after: {approvers: [qa@contoso.com, ops@contoso.com], required: 1, timeout: 2h}
  - name: Production
    after: manual
    queue: Linux agents
    queueing: {maxConcurrent: 1, subsequent: deployLatest}
    approvals:
      before: {approvers: [lead@contoso.com]}
    steps: swap
"""


def spec(text: str = SPEC) -> Definition:
    (definition,) = parse_specs(text, "specs/orders.yaml").definitions
    return definition


def stages(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {stage["displayName"]: stage for stage in document["stages"]}


def deploy_steps(stage: dict[str, Any]) -> list[dict[str, Any]]:
    job = stage["jobs"][0]
    steps: list[dict[str, Any]] = job["strategy"]["runOnce"]["deploy"]["steps"]
    return steps


# ---- the committed pipelines --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(RENDERED))
def test_the_committed_pipelines_are_what_the_specs_render(name: str) -> None:
    here = Path.cwd()
    os.chdir(ROOT)  # the header names the spec as given on the command line: relative to the checkout
    try:
        (definition,) = load_specs([RENDERED[name]]).definitions
    finally:
        os.chdir(here)
    fresh = pipeline_text(definition, RENDERED[name], "templates/pipelines")
    committed = (PIPELINES / name).read_text(encoding="utf-8")
    assert committed == fresh, (
        f"templates/pipelines/{name} is not what {RENDERED[name]} renders now; regenerate it: "
        + REGENERATE.format(spec=RENDERED[name])
    )


def test_every_spec_with_a_pipeline_is_listed_and_nothing_else_is_there() -> None:
    assert sorted(p.name for p in PIPELINES.glob("*.yml")) == sorted(RENDERED)


def committed_tasks() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in sorted(RENDERED):
        document = yaml.safe_load((PIPELINES / name).read_text(encoding="utf-8"))
        for stage in document["stages"]:
            for job in stage["jobs"]:
                steps = job["strategy"]["runOnce"]["deploy"]["steps"] if "strategy" in job else job["steps"]
                for step in steps:
                    if "task" in step:
                        yield f"{name}: {stage['stage']}/{step['displayName']}", step


def test_the_committed_pipelines_run_every_slotwise_task_and_a_sign_off() -> None:
    used = {step["task"] for _, step in committed_tasks()}
    assert used == {
        "SlotwiseGuardAgainstOverwrite@1",
        "SlotwiseDeployToSlot@1",
        "SlotwiseSmokeTest@1",
        "SlotwiseSlotSwap@1",
        MANUAL_VALIDATION,
    }


def _label(value: object) -> str:
    return value if isinstance(value, str) else ""


@pytest.mark.parametrize(("where", "step"), list(committed_tasks()), ids=_label)
def test_every_task_input_in_the_committed_pipelines_is_one_task_json_allows(
    where: str, step: dict[str, Any]
) -> None:
    inputs = {name: _text(value) for name, value in step["inputs"].items()}
    if step["task"] == MANUAL_VALIDATION:
        assert set(inputs) <= set(MANUAL_VALIDATION_INPUTS), where
        assert all(inputs.get(n) for n, required in MANUAL_VALIDATION_INPUTS.items() if required), where
        for name, allowed in MANUAL_VALIDATION_OPTIONS.items():
            assert inputs.get(name, allowed[0]) in allowed, where
        return
    task = TASKS[step["task"]]
    for name, value in inputs.items():
        spec_ = task.input(name)
        assert spec_ is not None, f"{where}: {task.reference} has no input {name!r}"
        assert spec_.name == name, f"{where}: {name!r} is an alias of {spec_.name!r}"
        if spec_.boolean:
            assert value in ("true", "false"), f"{where}: {name} is {value!r}"
        if spec_.fixed_options:
            assert value in spec_.fixed_options, f"{where}: {name}={value!r} not in {spec_.fixed_options}"
    effective = {spec_.name: spec_.default for spec_ in task.inputs} | inputs  # the agent fills defaults
    for spec_ in task.inputs:
        if spec_.required and visible(spec_, effective) is not False:
            assert effective[spec_.name].strip(), f"{where}: required input {spec_.name} is empty"


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# ---- the translation --------------------------------------------------------------------------------------
def test_the_inputs_are_the_classic_definitions_with_the_connection_by_name_and_paths_in_the_workspace() -> (
    None
):
    (definition,) = load_specs([ROOT / "templates" / "release" / "article.yaml"]).definitions
    classic = render(definition, OfflineResolver()).document
    document = pipeline(definition)
    for classic_stage, stage in zip(classic["environments"], document["stages"], strict=True):
        tasks = classic_stage["deployPhases"][0]["workflowTasks"]
        steps = deploy_steps(stage)
        assert steps[0] == {"download": "drop"}
        assert len(steps[1:]) == len(tasks)
        for task, step in zip(tasks, steps[1:], strict=True):
            defaults = {i.name: i.default for i in TASKS[step["task"]].inputs}
            expected = {  # as a YAML author writes them: what differs from task.json's defaults
                name: value.replace("$(System.DefaultWorkingDirectory)/drop/", "$(Pipeline.Workspace)/drop/")
                for name, value in task["inputs"].items()
                if value != defaults.get(name)
            }
            expected["azureSubscription"] = "contoso-azure"  # the service connection by name
            assert step["inputs"] == expected
            assert "pythonPath" not in step["inputs"]  # empty by default: left out
            assert list(step["inputs"]) == sorted(step["inputs"])
    swap = deploy_steps(stages(document)["Production"])[1]
    assert swap["task"] == "SlotwiseSlotSwap@1"
    assert swap["inputs"]["smokeChecksFile"] == "$(Pipeline.Workspace)/drop/**/smoke-checks.yaml"


def test_stages_follow_after_and_deploy_to_their_environment() -> None:
    definition = spec()
    document = pipeline(definition)
    found = stages(document)
    assert [s["stage"] for s in document["stages"]] == ["Staging", "QA_check", "Production"]
    assert found["Staging"]["dependsOn"] == []  # after: release, not the YAML default (the stage before)
    assert found["QA check"]["dependsOn"] == ["Staging"]
    assert found["Production"]["dependsOn"] == []
    assert found["Production"]["trigger"] == "manual"
    assert "trigger" not in found["Staging"]
    environments = [s["jobs"][0]["environment"] for s in document["stages"]]
    assert environments == ["orders-api-staging", "orders-api-qa-check", "orders-api-production"]
    assert [environment_name(definition, s) for s in definition.stages] == environments
    assert found["Production"]["lockBehavior"] == "runLatest"
    assert found["Staging"]["lockBehavior"] == "sequential"
    assert found["Production"]["jobs"][0]["pool"] == {"name": "Linux agents"}
    assert found["Staging"]["jobs"][0]["pool"] == {"vmImage": "ubuntu-latest"}


def test_the_build_is_a_pipeline_resource_with_its_trigger_and_the_pipeline_runs_on_nothing_else() -> None:
    document = pipeline(
        spec(SPEC.replace("alias: drop}", "alias: drop, trigger: {branches: [refs/heads/main], tags: [ok]}}"))
    )
    assert document["trigger"] == "none"
    assert document["pr"] == "none"
    (resource,) = document["resources"]["pipelines"]
    assert resource["pipeline"] == "drop"
    assert resource["source"] == "orders-api-CI"
    assert resource["project"] == "Shared"  # another project than the spec's
    assert resource["trigger"] == {"branches": {"include": ["refs/heads/main"]}, "tags": ["ok"]}
    (every_build,) = pipeline(spec())["resources"]["pipelines"]
    assert every_build["trigger"] is True  # the spec's default: a run for every build
    (untriggered,) = pipeline(spec(SPEC.replace("alias: drop}", "alias: drop, trigger: false}")))[
        "resources"
    ]["pipelines"]
    assert untriggered["trigger"] == "none"


def test_secrets_and_values_from_the_environment_never_go_in_the_file_and_the_header_names_them() -> None:
    definition = spec()
    text = pipeline_text(definition, "specs/orders.yaml")
    document = yaml.safe_load(text)
    assert document["variables"] == [{"group": "orders-settings"}, {"name": "Plain", "value": "one"}]
    assert "ORDERS_TOKEN" not in text
    assert "# Not in this file (secret, or taken from the environment): Token;" in text


def test_an_approval_after_a_stage_is_a_manual_validation_server_job_and_the_header_says_what_is_lost() -> (
    None
):
    definition = spec()
    text = pipeline_text(definition, "specs/orders.yaml")
    qa = stages(yaml.safe_load(text))["QA check"]
    deploy, sign_off = qa["jobs"]
    assert sign_off["pool"] == "server"
    assert sign_off["dependsOn"] == deploy["deployment"]
    assert sign_off["timeoutInMinutes"] == 120
    (step,) = sign_off["steps"]
    assert step["task"] == MANUAL_VALIDATION
    assert step["inputs"]["approvers"] == "qa@contoso.com, ops@contoso.com"
    assert step["inputs"]["allowApproversToApproveTheirOwnRuns"] is False
    assert step["inputs"]["onTimeout"] == "reject"
    assert "# Production: after: manual is `trigger: manual`" in text
    assert "# QA check: the approval after the stage is a ManualValidation@1" in text
    # required: 1 of 2 is what ManualValidation does: nothing said lost
    assert "must approve" not in text
    everyone = pipeline_text(spec(SPEC.replace("required: 1, ", "")), "specs/orders.yaml")
    assert "YAML cannot say that 2 must approve" in everyone


def test_the_header_says_where_it_comes_from_and_how_to_regenerate_it_and_the_output_is_stable() -> None:
    definition = spec()
    text = pipeline_text(definition, "specs/orders.yaml", "pipelines")
    assert text.startswith("# Generated by slotwise from specs/orders.yaml\n")
    assert "#   slotwise release render --as yaml specs/orders.yaml --output-dir pipelines\n" in text
    assert "#   slotwise release apply --as yaml specs/orders.yaml\n" in text
    assert text == pipeline_text(spec(), "specs/orders.yaml", "pipelines")


# ---- the command ------------------------------------------------------------------------------------------
def test_render_as_yaml_writes_one_file_per_spec_file_and_prints_them_without_a_directory(
    tmp_path: Path,
) -> None:
    spec_file = tmp_path / "orders.yaml"
    spec_file.write_text(SPEC, encoding="utf-8")
    runner = CliRunner()
    printed = runner.invoke(cli, ["release", "render", "--as", "yaml", str(spec_file)])
    assert printed.exit_code == 0, printed.output
    assert yaml.safe_load(printed.output.split("\n", 1)[1])["stages"][0]["stage"] == "Staging"
    out = tmp_path / "out"
    written = runner.invoke(
        cli, ["release", "render", "--as", "yaml", str(spec_file), "--output-dir", str(out)]
    )
    assert written.exit_code == 0, written.output
    assert [p.name for p in out.iterdir()] == ["orders.yml"]
    assert (out / "orders.yml").read_text(encoding="utf-8") == pipeline_text(
        load_specs([spec_file]).definitions[0], spec_file.as_posix(), out.as_posix()
    )


def test_output_dir_without_as_yaml_is_a_usage_error(tmp_path: Path) -> None:
    spec_file = tmp_path / "orders.yaml"
    spec_file.write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(cli, ["release", "render", "--offline", str(spec_file), "--output-dir", "x"])
    assert result.exit_code == 2
    assert "--as yaml" in result.output
