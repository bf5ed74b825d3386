"""`slotwise release plan|apply --as yaml` against the emulated Azure DevOps, through the real
`azure-devops` client: the article's environments and their checks made, a no-op re-apply with zero
writes, an approver changed in the spec, and a check edited in the portal detected and put back.

The command line runs in-process with only the environment a user would have; what the organization
holds is read back through the emulator's driver (``environments``, ``checks``: every stored field),
what was sent from its request log (a write is any DevOps request but GET/HEAD/OPTIONS); the portal
edit goes through the driver (``edit_check``), behind slotwise's back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise_emulator import Emulator, Speed
from tests.functional.control import logged_requests
from tests.functional.devops_org import ROOT, devops_env

ARTICLE = ROOT / "templates" / "release" / "article.yaml"
ORG, PROJECT = "contoso", "Fabrikam"
READS = ("GET", "HEAD", "OPTIONS")
APPROVAL, LOCK = "8c6f20a7-a545-4486-9777-f762fafe0d4d", "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563"


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(speed=Speed.instant(), seed=True) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
        yield emulator


def slotwise(emu: Emulator, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=devops_env(emu), catch_exceptions=False)


def mark(emu: Emulator) -> int:
    return len(logged_requests(emu))


def writes_since(emu: Emulator, since: int) -> list[str]:
    return [
        f"{r['method']} {r['path']}"
        for r in logged_requests(emu)[since:]
        if r["kind"] == "devops" and r["method"] not in READS
    ]


def checks(emu: Emulator, environment: str) -> dict[str, dict[str, Any]]:
    """The environment's checks by type id."""
    return {str(c["type"]["id"]).lower(): c for c in emu.checks(ORG, PROJECT, environment)}


def test_apply_creates_the_articles_environments_and_checks(emu: Emulator) -> None:
    before = mark(emu)
    result = slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE))
    assert result.exit_code == 0, result.output
    assert "Applied: 5 writes." in result.output
    writes = writes_since(emu, before)
    assert writes.count(f"POST /{ORG}/{PROJECT}/_apis/distributedtask/environments") == 2
    assert writes.count(f"POST /{ORG}/{PROJECT}/_apis/pipelines/checks/configurations") == 3
    names = {e["name"]: e for e in emu.environments(ORG, PROJECT)}
    assert set(names) >= {"orders-api-staging", "orders-api-production"}
    assert "managed by slotwise" in names["orders-api-production"]["description"]
    assert set(checks(emu, "orders-api-staging")) == {LOCK}
    production = checks(emu, "orders-api-production")
    assert set(production) == {APPROVAL, LOCK}
    approval = production[APPROVAL]
    assert approval["resource"]["type"] == "environment"
    assert approval["resource"]["id"] == str(names["orders-api-production"]["id"])
    assert approval["timeout"] == 3 * 24 * 60
    settings = approval["settings"]
    assert settings["minRequiredApprovers"] == 1
    assert settings["requesterCannotBeApprover"] is True
    assert len(settings["approvers"]) == 2
    assert "managed by slotwise" in settings["instructions"]
    assert "managed by slotwise" in production[LOCK]["settings"]["displayName"]


def test_re_applying_writes_nothing(emu: Emulator) -> None:
    first = slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE))
    assert first.exit_code == 0, first.output
    before = mark(emu)
    again = slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE))
    assert again.exit_code == 0, again.output
    assert "Nothing to change" in again.output
    assert "Applied: 0 writes." in again.output
    assert writes_since(emu, before) == []


def test_a_changed_approver_is_planned_then_updated(emu: Emulator, tmp_path: Path) -> None:
    assert slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE)).exit_code == 0
    changed = tmp_path / "article.yaml"
    text = ARTICLE.read_text(encoding="utf-8")
    old = 'approvers: [lead@contoso.com, "[Fabrikam]\\\\Release Approvers"]'
    assert old in text
    changed.write_text(text.replace(old, "approvers: [lead@contoso.com]"), encoding="utf-8")
    before = mark(emu)
    plan = slotwise(emu, "release", "plan", "--as", "yaml", str(changed))
    assert plan.exit_code == 0, plan.output
    assert "~ update    Approval check" in plan.output
    assert (
        '~ approvers: ["[Fabrikam]\\\\Release Approvers", "lead@contoso.com"] → ["lead@contoso.com"]'
        in plan.output
    )
    assert writes_since(emu, before) == []
    applied = slotwise(emu, "release", "apply", "--as", "yaml", str(changed))
    assert applied.exit_code == 0, applied.output
    approval = checks(emu, "orders-api-production")[APPROVAL]
    assert len(approval["settings"]["approvers"]) == 1
    writes = writes_since(emu, before)
    assert writes == [f"PATCH /{ORG}/{PROJECT}/_apis/pipelines/checks/configurations/{approval['id']}"]


def test_a_check_edited_in_the_portal_is_detected_and_put_back(emu: Emulator) -> None:
    assert slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE)).exit_code == 0
    approval = checks(emu, "orders-api-production")[APPROVAL]
    emu.edit_check(ORG, PROJECT, int(approval["id"]), {"settings.minRequiredApprovers": 2, "timeout": 60})
    plan = slotwise(emu, "release", "plan", "--as", "yaml", str(ARTICLE))
    assert plan.exit_code == 0, plan.output
    assert "~ update    Approval check" in plan.output
    assert "~ minRequiredApprovers: 2 → 1" in plan.output
    assert "~ timeout: 60 → 4320" in plan.output
    assert slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE)).exit_code == 0
    restored = checks(emu, "orders-api-production")[APPROVAL]
    assert restored["settings"]["minRequiredApprovers"] == 1
    assert restored["timeout"] == 4320
    before = mark(emu)
    assert slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE)).exit_code == 0
    assert writes_since(emu, before) == []


def test_an_environment_made_in_the_portal_is_refused_and_nothing_is_written(emu: Emulator) -> None:
    emu.create_environment(ORG, PROJECT, "orders-api-production", "made by hand")
    before = mark(emu)
    result = slotwise(emu, "release", "apply", "--as", "yaml", str(ARTICLE))
    assert result.exit_code == 5, result.output
    assert "orders-api-production" in result.output
    assert writes_since(emu, before) == []
