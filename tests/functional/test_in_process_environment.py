"""Commands run in-process (as ``slotwise demo`` runs them) work in the environment handed in, not
the process's: the Azure DevOps commands (release, approvals) as the slot commands do."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotwise.cli.demo import run_in_process
from slotwise_emulator import Emulator, Speed
from tests.functional.devops_org import ARTICLE, install_slotwise

DEVOPS_VARIABLES = (
    "AZURE_DEVOPS_ORG_URL", "AZURE_DEVOPS_EXT_PAT", "AZDO_PERSONAL_ACCESS_TOKEN", "SYSTEM_COLLECTIONURI",
    "SYSTEM_ACCESSTOKEN", "REQUESTS_CA_BUNDLE",
)  # fmt: skip


def test_release_and_approvals_commands_read_the_environment_handed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in DEVOPS_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # nothing of the organization in the process
    with Emulator(speed=Speed.instant(), seed=True) as emulator:
        install_slotwise(emulator, tmp_path)
        env = emulator.env()
        assert run_in_process(["release", "apply", str(ARTICLE)], env) == 0
        assert run_in_process(["release", "plan", str(ARTICLE)], env) == 0
        assert run_in_process(["approvals", "list"], env) == 0
        assert run_in_process(["release", "status", "--definition", "orders-api"], env) == 4  # none yet
    said = capsys.readouterr()
    assert "Applied: 1 created." in said.out
    assert "No approval is waiting." in said.out
    assert "AZURE_DEVOPS_ORG_URL" not in said.err  # never asked for: it was handed in
