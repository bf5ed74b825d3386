"""Helpers for functional tests of slotwise.devops against the emulated Azure DevOps: a seeded
emulator's environment, the organization opened through the factory, the slotwise extension
installed from the .vsix ``slotwise emulator`` installs (``slotwise.release.extension``), and a
seeded organization with templates/release/article.yaml applied (``article_organization``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.devops.organization import open_organization
from slotwise.factory import devops_settings
from slotwise.release.extension import minimal_vsix
from slotwise.release.gateway import Organization
from slotwise.secrets import SecretRegistry
from slotwise_emulator import Emulator, Speed
from slotwise_emulator.clock import Clock
from tests.fakes import FastClock

ROOT = Path(__file__).resolve().parents[2]
ORG = "contoso"
ARTICLE = ROOT / "templates" / "release" / "article.yaml"


def devops_env(emulator: Emulator) -> dict[str, str]:
    """What a user of the seeded emulator has: its CA, AZURE_DEVOPS_ORG_URL, AZURE_DEVOPS_EXT_PAT."""
    env = emulator.env()
    return {
        "REQUESTS_CA_BUNDLE": env["REQUESTS_CA_BUNDLE"],
        "AZURE_DEVOPS_ORG_URL": env["AZURE_DEVOPS_ORG_URL"],
        "AZURE_DEVOPS_EXT_PAT": env["AZURE_DEVOPS_EXT_PAT"],
    }


def opened(
    env: dict[str, str], clock: FastClock | None = None, secrets: SecretRegistry | None = None
) -> Organization:
    return open_organization(devops_settings(env), clock=clock or FastClock(), secrets=secrets)


def install_slotwise(emulator: Emulator, tmp_path: Path) -> None:
    """Install the slotwise extension (its four tasks) in the seeded organization."""
    path = tmp_path / "slotwise.vsix"
    path.write_bytes(minimal_vsix())
    emulator.install_extension(ORG, path)


@contextmanager
def article_organization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock | None = None
) -> Iterator[Emulator]:
    """A seeded emulator (instant speeds; ``clock``: the emulator's) with the slotwise extension's
    tasks installed and templates/release/article.yaml applied by ``slotwise release apply``; the
    process trusts its CA (for in-process clients)."""
    with Emulator(speed=Speed.instant(), seed=True, clock=clock) as emulator:
        install_slotwise(emulator, tmp_path)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
        applied = CliRunner().invoke(cli, ["release", "apply", str(ARTICLE)], env=devops_env(emulator))
        assert applied.exit_code == 0, applied.output
        yield emulator
