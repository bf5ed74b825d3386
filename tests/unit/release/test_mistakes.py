"""The corpus of spec mistakes: each small spec gives exactly the expected problems, each naming the
file, the line and the field, with the gist of what is wrong and what is allowed; none of them makes
a traceback, and ``release validate`` exits 2 printing each as ``file:line: field: message``.

A mistake is a spec text (the base spec below, changed in one place) and the problems it must give:
(line, field, a fragment of the message). The texts are written out whole, so the lines are the
ones a reader counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.release.load import check_specs

BASE = """\
name: orders-api
project: Fabrikam
artifact:
  build: orders-api-CI
app:
  serviceConnection: contoso-azure
  resourceGroup: rg-orders
  name: func-orders
stages:
  - name: Staging
  - name: Production
    approvals:
      before:
        approvers: [lead@contoso.com]
"""
HEAD = BASE.split("stages:\n")[0]  # lines 1-8: everything but the stages


@dataclass(frozen=True)
class Mistake:
    id: str
    text: str
    expected: tuple[tuple[int, str, str], ...]  # (line, field, fragment of the message)
    suffix: str = ".yaml"


def with_stages(stages: str) -> str:
    """The base spec with these stages (given from line 9, ``stages:`` included)."""
    return HEAD + stages


MISTAKES = [
    Mistake("yaml-syntax", "name: orders\nstages: [Staging\n", ((3, "(top level)", "not valid YAML"),)),
    Mistake("duplicate-key", BASE + "name: again\n", ((15, "name", "the key 'name' appears twice"),)),
    Mistake("empty-file", "", ((1, "(top level)", "the file is empty; expected a release definition"),)),
    Mistake("list-at-the-top", "- name: orders\n", ((1, "(top level)", "got a list at the top"),)),
    Mistake(
        "unknown-top-level-field",
        BASE.replace("artifact:", "artefact:"),
        (
            (1, "(top level)", "missing field 'artifact'"),
            (
                3,
                "artefact",
                "unknown field 'artefact' (did you mean 'artifact'?); allowed here: app, artifact",
            ),
        ),
    ),
    Mistake(
        "missing-app",
        BASE.replace(
            "app:\n  serviceConnection: contoso-azure\n  resourceGroup: rg-orders\n  name: func-orders\n", ""
        ),
        ((1, "(top level)", "missing field 'app'"),),
    ),
    Mistake(
        "missing-app-field",
        BASE.replace("  resourceGroup: rg-orders\n", ""),
        ((5, "app", "missing field 'resourceGroup'"),),
    ),
    Mistake(
        "name-is-a-number", BASE.replace("name: orders-api", "name: 12"), ((1, "name", "got the number 12"),)
    ),
    Mistake(
        "tasks-typo",
        BASE + "tasks: slotwize\n",
        ((15, "tasks", "got the text \"slotwize\" (did you mean 'slotwise'?); allowed: slotwise, builtin"),),
    ),
    Mistake(
        "stage-field-typo",
        BASE.replace("    approvals:", "    approval:"),
        ((12, "stages[1].approval", "unknown field 'approval' (did you mean 'approvals'?)"),),
    ),
    Mistake("no-stages", HEAD + "stages: []\n", ((9, "stages", "the list is empty"),)),
    Mistake(
        "stage-twice",
        with_stages("stages:\n  - name: Staging\n  - name: staging\n"),
        ((11, "stages[1].name", "a second stage named 'staging' (also stages[0])"),),
    ),
    Mistake(
        "stage-named-like-a-keyword",
        with_stages("stages:\n  - name: Release\n"),
        ((10, "stages[0].name", "'Release' is a word 'after' reserves"),),
    ),
    Mistake(
        "after-an-unknown-stage",
        with_stages("stages:\n  - name: Staging\n  - name: Production\n    after: Stagin\n"),
        ((12, "stages[1].after", "no stage named 'Stagin' (did you mean 'Staging'?)"),),
    ),
    Mistake(
        "after-itself",
        with_stages("stages:\n  - name: Staging\n    after: Staging\n"),
        ((11, "stages[0].after", "the stage 'Staging' cannot wait for itself"),),
    ),
    Mistake(
        "stages-in-a-circle",
        with_stages(
            "stages:\n  - name: Test\n    after: Production\n  - name: Staging\n"
            "  - name: Production\n    after: Staging\n"
        ),
        (
            (
                11,
                "stages[0].after",
                "a circle (Test waits for Production, Production waits for Staging, Staging waits for Test)",
            ),
        ),
    ),
    Mistake(
        "release-with-stage-names",
        with_stages("stages:\n  - name: Staging\n  - name: Production\n    after: [release, Staging]\n"),
        ((12, "stages[1].after[0]", "'release' cannot be combined with stage names"),),
    ),
    Mistake(
        "more-approvals-than-approvers",
        BASE + "        required: 3\n",
        ((15, "stages[1].approvals.before.required", "requires 3 approvals but names 1 approver"),),
    ),
    Mistake(
        "no-approvers",
        BASE.replace("[lead@contoso.com]", "[]"),
        ((14, "stages[1].approvals.before.approvers", "the list is empty"),),
    ),
    Mistake(
        "approver-twice",
        BASE.replace("[lead@contoso.com]", "[lead@contoso.com, Lead@Contoso.com]"),
        ((14, "stages[1].approvals.before.approvers[1]", "the approver 'Lead@Contoso.com' is listed twice"),),
    ),
    Mistake(
        "sequence-needs-everyone",
        BASE.replace("[lead@contoso.com]", "[lead@contoso.com, ops@contoso.com]")
        + "        order: sequence\n        required: 1\n",
        ((16, "stages[1].approvals.before.required", "approvals in sequence need every approver"),),
    ),
    Mistake(
        "approval-timeout-too-long",
        BASE + "        timeout: 400d\n",
        ((15, "stages[1].approvals.before.timeout", "an approval waits from 1 minute to 365 days"),),
    ),
    Mistake(
        "approval-timeout-not-a-duration",
        BASE + "        timeout: 3 weeks\n",
        (
            (
                15,
                "stages[1].approvals.before.timeout",
                "expected a duration: whole minutes, or a number followed by m",
            ),
        ),
    ),
    Mistake(
        "secret-written-in-the-file",
        BASE + "variables:\n  ApiKey: {secret: true, value: hunter2-not-a-real-key}\n",
        ((16, "variables.ApiKey.value", "a secret's value never goes in a spec file"),),
    ),
    Mistake(
        "secret-given-as-its-environment-variable",
        BASE + "variables:\n  ApiKey: {secret: true, fromEnv: hunter2 not-a-real-key}\n",
        ((16, "variables.ApiKey.fromEnv", "got a text; expected an environment variable name"),),
    ),
    Mistake(
        "secret-without-fromEnv",
        BASE + "variables:\n  ApiKey: {secret: true}\n",
        ((16, "variables.ApiKey", "a secret variable needs 'fromEnv: NAME'"),),
    ),
    Mistake(
        "variable-with-a-reserved-prefix",
        BASE + "variables:\n  SecretSauce: ketchup\n",
        ((16, "variables.SecretSauce", "names starting with 'secret' are reserved by Azure Pipelines"),),
    ),
    Mistake(
        "variable-name-with-a-dash",
        BASE + "variables:\n  api-url: https://example.invalid\n",
        ((16, "variables.api-url", "'api-url' is not allowed as a name here; expected a variable name"),),
    ),
    Mistake(
        "variable-twice-ignoring-case",
        BASE + "variables:\n  Region: west\n  region: east\n",
        ((17, "variables.region", "'region' and 'Region' are one variable"),),
    ),
    Mistake(
        "steps-preset-typo",
        with_stages("stages:\n  - name: Staging\n    steps: depoy\n"),
        ((11, "stages[0].steps", "got the text \"depoy\" (did you mean 'deploy'?); allowed: deploy, swap"),),
    ),
    Mistake(
        "unknown-task",
        with_stages("stages:\n  - name: Staging\n    steps: [deploy-to-slt]\n"),
        ((11, "stages[0].steps[0]", "unknown task 'deploy-to-slt' (did you mean 'deploy-to-slot'?)"),),
    ),
    Mistake(
        "unknown-input",
        with_stages(
            "stages:\n  - name: Staging\n    steps:\n      - task: deploy-to-slot\n"
            "        inputs: {slotNme: blue}\n"
        ),
        (
            (
                13,
                "stages[0].steps[0].inputs.slotNme",
                "deploy-to-slot (SlotwiseDeployToSlot@1) has no input 'slotNme' (did you mean 'slotName'?)",
            ),
        ),
    ),
    Mistake(
        "boolean-input-not-a-boolean",
        with_stages(
            "stages:\n  - name: Staging\n    steps:\n      - task: deploy-to-slot\n"
            "        inputs:\n          createSlot: perhaps\n"
        ),
        ((14, "stages[0].steps[0].inputs.createSlot", "is true or false (or a $(variable)); got 'perhaps'"),),
    ),
    Mistake(
        "pick-list-value-not-an-option",
        with_stages(
            "stages:\n  - name: Staging\n    steps:\n      - task: guard-against-overwrite\n"
            "        inputs: {mode: parc}\n"
        ),
        (
            (
                13,
                "stages[0].steps[0].inputs.mode",
                "(When the slot is held) is one of fail, wait, park; got 'parc' (did you mean 'park'?)",
            ),
        ),
    ),
    Mistake(
        "number-input-not-a-number",
        with_stages(
            "stages:\n  - name: Staging\n    steps:\n      - task: deploy-to-slot\n"
            "        inputs: {timeoutMinutes: soon}\n"
        ),
        (
            (
                13,
                "stages[0].steps[0].inputs.timeoutMinutes",
                "is a number from 0 (or a $(variable)); got 'soon'",
            ),
        ),
    ),
    Mistake(
        "connection-given-as-an-input",
        with_stages(
            "stages:\n  - name: Staging\n    steps:\n      - task: smoke-test\n"
            "        inputs: {azureSubscription: other-connection}\n"
        ),
        (
            (
                13,
                "stages[0].steps[0].inputs.azureSubscription",
                "is set by app.serviceConnection; remove it here",
            ),
        ),
    ),
    Mistake(
        "required-input-left-empty",
        with_stages(
            "stages:\n  - name: Production\n    steps:\n      - task: slot-swap\n"
            "        inputs: {swapWithProduction: false}\n"
        ),
        (
            (
                13,
                "stages[0].steps[0].inputs",
                "slot-swap needs the input 'targetSlot' (Target slot) when swapWithProduction = false",
            ),
        ),
    ),
    Mistake(
        "builtin-has-no-guard",
        BASE.replace("stages:\n", "tasks: builtin\nstages:\n").replace(
            "  - name: Staging\n", "  - name: Staging\n    steps: [guard-against-overwrite]\n"
        ),
        ((12, "stages[0].steps[0]", "guard-against-overwrite has no built-in equivalent"),),
    ),
    Mistake(
        "deploying-to-production",
        BASE.replace("  name: func-orders\n", "  name: func-orders\n  slot: production\n"),
        ((9, "app.slot", "the slot is 'production'"),),
    ),
    Mistake(
        "two-deployments-at-once",
        with_stages("stages:\n  - name: Staging\n    queueing: {maxConcurrent: 0}\n"),
        ((11, "stages[0].queueing.maxConcurrent", "got the number 0; must be at least 1"),),
    ),
    Mistake(
        "branch-version-without-branch",
        BASE.replace(
            "  build: orders-api-CI\n", "  build: orders-api-CI\n  defaultVersion: latestWithBranchAndTags\n"
        ),
        ((5, "artifact.defaultVersion", "latestWithBranchAndTags needs 'defaultBranch'"),),
    ),
    Mistake(
        "trigger-tags-without-branches",
        BASE.replace("  build: orders-api-CI\n", "  build: orders-api-CI\n  trigger: {tags: [release]}\n"),
        ((5, "artifact.trigger.tags", "give 'branches' too"),),
    ),
    Mistake(
        "app-type-unknown",
        BASE.replace("  name: func-orders\n", "  name: func-orders\n  appType: windows\n"),
        ((9, "app.appType", 'got the text "windows"; allowed: functionApp, functionAppLinux'),),
    ),
    Mistake(
        "second-yaml-document",
        BASE + "---\nname: billing-api\n",
        ((15, "(top level)", "a second YAML document (---); list several definitions under 'definitions:'"),),
    ),
    Mistake(
        "unknown-yaml-tag",
        BASE.replace("project: Fabrikam", "project: !env PROJECT"),
        ((2, "project", "could not determine a constructor for the tag '!env'"),),
    ),
    Mistake(
        "definition-described-twice",
        "definitions:\n  - &api\n"
        + "".join("    " + line + "\n" for line in BASE.splitlines())
        + "  - *api\n",
        (
            (
                17,
                "definitions[1]",
                "the release definition 'orders-api' (project Fabrikam, folder \\) is already",
            ),
        ),
    ),
    Mistake(
        "json-spec-with-an-unknown-stage",
        '{\n  "name": "orders-api",\n  "project": "Fabrikam",\n  "artifact": {"build": "orders-api-CI"},\n'
        '  "app": {"serviceConnection": "c", "resourceGroup": "g", "name": "n"},\n  "stages": [\n'
        '    {"name": "Staging"},\n    {"name": "Production",\n     "after": "Stagging"}\n  ]\n}\n',
        ((9, "stages[1].after", "no stage named 'Stagging' (did you mean 'Staging'?)"),),
        suffix=".json",
    ),
    Mistake(
        "verbatim-sets-a-server-owned-field",
        BASE + "verbatim:\n  revision: 3\n",
        ((16, "verbatim.revision", "'revision' is set by Azure DevOps, not by a spec"),),
    ),
    Mistake(
        "verbatim-replaces-the-stages",
        BASE + "verbatim:\n  environments: []\n",
        ((16, "verbatim.environments", "stages are described under 'stages'"),),
    ),
    Mistake(
        "stage-verbatim-renames-the-stage",
        with_stages("stages:\n  - name: Staging\n    verbatim: {name: Test, rank: 2}\n"),
        ((11, "stages[0].verbatim.name", "set the stage's 'name' in the spec instead"),),
    ),
    Mistake(
        "verbatim-not-a-mapping",
        BASE + "verbatim: [1]\n",
        ((15, "verbatim", "got a list; expected a mapping (a JSON merge patch, RFC 7386)"),),
    ),
    Mistake(
        "secret-value-in-verbatim",
        BASE + "verbatim:\n  variables:\n    ApiKey: {isSecret: true, value: hunter2-not-a-real-key}\n",
        ((17, "verbatim.variables.ApiKey.value", "a secret's value never goes in a spec file"),),
    ),
    Mistake(
        "steps-without-an-app",
        with_stages("stages:\n  - name: Staging\n    steps: []\n  - name: Production\n").replace(
            "app:\n  serviceConnection: contoso-azure\n  resourceGroup: rg-orders\n  name: func-orders\n", ""
        ),
        ((1, "(top level)", "missing field 'app'; the stages' steps deploy to it"),),
    ),
    Mistake(
        "json-syntax",
        '{\n  "name": "orders-api",\n  "project": "Fabrikam",\n}\n',
        ((4, "(top level)", "not valid JSON"),),
        suffix=".json",
    ),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_each_mistake_gives_exactly_its_problems(mistake: Mistake, tmp_path: Path) -> None:
    path = tmp_path / f"spec{mistake.suffix}"
    path.write_text(mistake.text, encoding="utf-8")
    specs, problems = check_specs([path])
    assert specs.definitions == ()
    found = [(p.line, p.field, p.message) for p in problems]
    assert len(found) == len(mistake.expected), found
    for (line, field, message), (want_line, want_field, fragment) in zip(
        found, mistake.expected, strict=True
    ):
        assert (line, field) == (want_line, want_field), found
        assert fragment in message, found
        assert all(p.file == str(path) for p in problems)


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_validate_prints_each_problem_and_exits_2(mistake: Mistake, tmp_path: Path) -> None:
    path = tmp_path / f"spec{mistake.suffix}"
    path.write_text(mistake.text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["release", "validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    for line, field, fragment in mistake.expected:
        prefix = f"{path}:{line}: {field}: "
        assert any(each.startswith(prefix) and fragment in each for each in lines), result.output
    assert "hunter2" not in result.output  # a secret written in a spec is never repeated


def test_the_corpus_has_at_least_25_kinds_of_mistakes() -> None:
    assert len({m.id for m in MISTAKES}) == len(MISTAKES) >= 25


def test_the_base_spec_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(BASE, encoding="utf-8")
    specs, problems = check_specs([path])
    assert problems == []
    assert [d.name for d in specs.definitions] == ["orders-api"]
