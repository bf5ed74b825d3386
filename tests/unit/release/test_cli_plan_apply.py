"""``slotwise release plan | apply | export`` through click, against an in-memory organization handed in
the way a command run in-process takes one (``obj={"organization": ...}``): what is printed, exit codes,
nothing read when a spec is invalid, and secret values never printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from slotwise.cli.main import cli
from tests.fakes import FakeDefinitions, FakeOrganization
from tests.unit.release.orgs import TEMPLATES, fabrikam

ARTICLE = TEMPLATES / "article.yaml"
SECRET_VALUE = "s3cr3t-value-never-printed"


def run(org: FakeOrganization, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["release", *args], obj={"organization": org})
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_plan_then_apply_then_a_no_op_apply() -> None:
    org = fabrikam()
    code, out, err = run(org, "plan", str(TEMPLATES))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("+ create    Fabrikam\\Functions\\orders-api  (")
    assert lines[-1] == "Plan: 6 to create, 0 to update, 0 unchanged, 0 to delete."
    assert org.store.writes == 0
    code, out, err = run(org, "apply", str(TEMPLATES))
    assert code == 0
    assert out.splitlines()[-1] == "Applied: 6 created."
    assert "==> Creating release definition Fabrikam\\Functions\\orders-api" in err
    org.store.calls.clear()
    code, out, _ = run(org, "apply", str(TEMPLATES))
    assert code == 0
    assert out.splitlines()[-2:] == [
        "Plan: 0 to create, 0 to update, 6 unchanged, 0 to delete.",
        "Applied: nothing to change.",
    ]
    assert org.store.calls == [("list", "Fabrikam")]


def test_plan_shows_the_diff_and_json(tmp_path: Path) -> None:
    org = fabrikam()
    run(org, "apply", str(ARTICLE))
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )
    code, out, _ = run(org, "plan", str(spec))
    assert code == 0
    assert (
        "      ~ environments[Production].preDeployApprovals.approvalOptions.timeoutInMinutes: 4320 → 1440"
        in out
    )
    code, out, _ = run(org, "plan", "-o", "json", str(spec))
    (item,) = json.loads(out)["items"]
    assert (item["action"], item["changes"][0]["before"], item["changes"][0]["after"]) == (
        "update",
        "4320",
        "1440",
    )


def test_an_invalid_spec_in_the_set_reads_and_writes_nothing(tmp_path: Path) -> None:
    org = fabrikam()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: a\nproject: Fabrikam\n", encoding="utf-8")
    for command in ("plan", "apply"):
        code, out, err = run(org, command, str(TEMPLATES), str(bad))
        assert (code, out) == (2, "")
        assert f"{bad}:1: (top level): missing field 'artifact'" in err
    assert (org.reads, org.store.writes) == (0, 0)


def test_an_unknown_name_exits_2_naming_its_line(tmp_path: Path) -> None:
    org = fabrikam()
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("contoso-azure", "contoso-azur"), encoding="utf-8"
    )
    code, _, err = run(org, "apply", str(spec))
    assert code == 2
    assert "no service connection named 'contoso-azur' (did you mean 'contoso-azure'?)" in err
    assert f"{spec}:" in err
    assert org.store.calls == []


def test_secret_values_are_never_printed(tmp_path: Path) -> None:
    org = fabrikam({"ORDERS_API_KEY": SECRET_VALUE})
    spec = tmp_path / "article.yaml"
    spec.write_text(ARTICLE.read_text(encoding="utf-8").replace("  # Orders.ApiKey:", "  Orders.ApiKey:"))
    outputs = [run(org, "plan", str(spec)), run(org, "plan", "-o", "json", str(spec))]
    outputs.append(run(org, "apply", "-o", "json", str(spec)))
    outputs.append(run(org, "plan", "--update-secrets", str(spec)))

    def edit(store: FakeDefinitions, project: str, document: dict[str, Any]) -> None:
        store.portal_edit(
            project, int(document["id"]), lambda d: d["variables"]["Orders.ApiKey"].update(value="x")
        )

    org.store.before_update = edit
    outputs.append(run(org, "apply", "--update-secrets", str(spec)))
    assert outputs[-1][0] == 5
    assert "~ variables.Orders.ApiKey" not in outputs[-1][2]  # the server answers null either way
    assert "secrets kept as they are: variables.Orders.ApiKey" in run(org, "plan", str(spec))[1]
    for _code, out, err in outputs:
        assert SECRET_VALUE not in out + err
    assert "secrets written: variables.Orders.ApiKey" in outputs[0][1]
    assert "note: Azure DevOps never shows a secret's value" in outputs[0][1]


def test_a_concurrent_edit_exits_5_and_says_what_to_do(tmp_path: Path) -> None:
    org = fabrikam()
    run(org, "apply", str(ARTICLE))
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )

    def edit(store: FakeDefinitions, project: str, document: dict[str, Any]) -> None:
        store.portal_edit(project, int(document["id"]), lambda d: d.update(releaseNameFormat="R-$(rev:r)"))

    org.store.before_update = edit
    code, _, err = run(org, "apply", str(spec))
    assert code == 5
    assert "Someone changed the release definition Fabrikam\\Functions\\orders-api" in err
    assert '~ releaseNameFormat: "Release-$(rev:r)" → "R-$(rev:r)"' in err
    assert "hint: Run `slotwise release plan` again" in err
    org.store.before_update = edit
    code, out, _ = run(org, "apply", "--force", str(spec))
    assert code == 0
    assert out.splitlines()[-1] == "Applied: 1 updated."


def test_a_definition_slotwise_did_not_make_is_refused_then_adopted() -> None:
    org = fabrikam()
    org.store.put("fabrikam", {"name": "orders-api", "path": "\\Functions", "properties": {}})
    code, out, _ = run(org, "plan", str(ARTICLE))
    assert code == 0
    assert "! refused   Fabrikam\\Functions\\orders-api" in out
    code, _, err = run(org, "apply", str(ARTICLE))
    assert code == 5
    assert "slotwise did not make it" in err
    assert org.store.writes == 0
    code, out, _ = run(org, "apply", "--adopt", str(ARTICLE))
    assert code == 0
    assert out.splitlines()[-1] == "Applied: 1 adopted."


def test_export_writes_a_spec_that_plans_no_change(tmp_path: Path) -> None:
    org = fabrikam()
    run(org, "apply", str(TEMPLATES / "chained.yaml"))
    target = tmp_path / "exported.yaml"
    code, out, err = run(
        org, "export", "--project", "Fabrikam", "orders-api-chained", "--output", str(target)
    )
    assert (code, out) == (0, "")
    assert f"to {target}" in err
    assert target.read_text(encoding="utf-8").startswith("# Release definition 'orders-api-chained'")
    code, out, _ = run(org, "plan", str(target))
    assert code == 0
    assert out.splitlines()[-1] == "Plan: 0 to create, 0 to update, 1 unchanged, 0 to delete."
    code, out, _ = run(org, "export", "--project", "Fabrikam", "-o", "json", "orders-api-chained")
    assert json.loads(out)["name"] == "orders-api-chained"
    code, _, err = run(org, "export", "--project", "Fabrikam", "nope")
    assert code == 4
    assert "No release definition named 'nope'" in err
