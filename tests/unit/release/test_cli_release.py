"""``slotwise release``: validate, render --offline (JSON, YAML) and with an organization's ids,
--print-schema; the command is in the lazy command table."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.release.schema import schema_text
from tests.unit.release.orgs import fabrikam

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates" / "release"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_lists_each_definition_and_exits_0() -> None:
    code, out, err = run("release", "validate", str(TEMPLATES))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Fabrikam\\Functions\\orders-api: Staging → Production (tasks: slotwise)",
        "Fabrikam\\Functions\\orders-api-builtin: Staging → Production (tasks: builtin)",
        "Fabrikam\\Functions\\orders-api-chained: Test → Staging → Production (tasks: slotwise)",
        "Fabrikam\\Functions\\Shop\\inventory-api: Staging → Production (tasks: slotwise)",
        "Fabrikam\\Functions\\Shop\\billing-api: Staging → Production (tasks: slotwise)",
        "Fabrikam\\Functions\\Shop\\notifications-api: Staging → Production (tasks: slotwise)",
        "6 release definitions in 4 files: valid.",
    ]


def test_validate_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\n", encoding="utf-8")
    (tmp_path / "b.json").write_text("[1]", encoding="utf-8")
    code, out, err = run("release", "validate", str(tmp_path), str(tmp_path / "c.yaml"))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "error: 5 problems in 3 release spec files:"
    expected = "; expected a release definition (name, project, artifact, app, stages)"
    assert lines[1:4] == [  # app is needed by the stages' steps: a spec without stages says nothing of it
        f"{tmp_path / 'a.yaml'}:1: (top level): missing field '{name}'{expected}"
        for name in ("artifact", "project", "stages")  # sorted: file, line, field, message
    ]
    assert lines[4].startswith(f"{tmp_path / 'b.json'}:1: (top level): got a list at the top")
    assert lines[5] == f"{tmp_path / 'c.yaml'}:1: (top level): no such file or folder"
    assert lines[6].startswith("hint: Fix each problem where it points")


def test_render_offline_prints_the_documents_as_json_or_yaml() -> None:
    code, out, err = run("release", "render", "--offline", str(TEMPLATES / "article.yaml"))
    assert (code, err) == (0, "")
    (document,) = json.loads(out)
    assert document["project"] == "Fabrikam"
    assert document["definition"]["name"] == "orders-api"
    assert (
        document["definition"]["artifacts"][0]["sourceId"]
        == "<project:Fabrikam>:<build-definition:orders-api-CI>"
    )
    assert list(document["definition"]) == sorted(document["definition"])  # sorted keys: diffable
    code, out_yaml, _ = run("release", "render", "--offline", "-o", "yaml", str(TEMPLATES / "article.yaml"))
    assert code == 0
    assert yaml.safe_load(out_yaml) == json.loads(out)


def test_render_without_offline_prints_the_documents_with_the_organizations_ids(tmp_path: Path) -> None:
    org = fabrikam({"ORDERS_API_KEY": "n0t-to-be-printed"})
    spec = tmp_path / "article.yaml"
    text = (TEMPLATES / "article.yaml").read_text(encoding="utf-8")
    spec.write_text(text.replace("  # Orders.ApiKey:", "  Orders.ApiKey:"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["release", "render", str(spec)], obj={"organization": org})
    assert (result.exit_code, result.stderr) == (0, "")
    (document,) = json.loads(result.stdout)
    queue = document["definition"]["environments"][0]["deployPhases"][0]["deploymentInput"]["queueId"]
    assert queue == org.directory.queues[("fabrikam", "Azure Pipelines")]
    assert "<queue:" not in result.stdout
    assert document["definition"]["variables"]["Orders.ApiKey"] == {"isSecret": True, "value": None}
    assert "n0t-to-be-printed" not in result.stdout
    assert org.store.calls == []  # names only: no definition read, nothing written


def test_render_offline_with_an_organization_is_a_usage_error() -> None:
    code, out, err = run("release", "render", "--offline", "--org", "https://dev.azure.com/x", str(TEMPLATES))
    assert (code, out) == (2, "")
    assert "--org and --offline exclude each other" in err


def test_render_refuses_invalid_specs_and_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: a\nproject: P\n", encoding="utf-8")
    code, out, err = run("release", "render", "--offline", str(TEMPLATES), str(tmp_path / "bad.yaml"))
    assert (code, out) == (2, "")
    assert f"{tmp_path / 'bad.yaml'}:1: (top level): missing field 'artifact'" in err


def test_print_schema_prints_the_published_schema() -> None:
    code, out, _ = run("release", "--print-schema")
    assert code == 0
    assert out == schema_text()
    assert json.loads(out)["title"] == "slotwise release spec"


def test_the_release_group_explains_itself() -> None:
    code, out, _ = run("release")
    assert code == 0
    assert all(command in out for command in ("validate", "render", "plan", "apply", "export"))
    assert "templates/release/" in out
    code, out, _ = run("--help")
    assert code == 0
    assert "release" in out
