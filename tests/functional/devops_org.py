"""Helpers for functional tests of slotwise.devops against the emulated Azure DevOps: a seeded
emulator's environment, the organization opened through the factory, and the slotwise extension
installed from a .vsix built of the repository's own manifest and task.json files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from slotwise.devops.organization import open_organization
from slotwise.factory import devops_settings
from slotwise.release.gateway import Organization
from slotwise.secrets import SecretRegistry
from slotwise_emulator import Emulator
from tests.fakes import FastClock

ROOT = Path(__file__).resolve().parents[2]
ORG = "contoso"


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
    manifest = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    identity = '<Identity Id="{id}" Version="{version}" Publisher="{publisher}"/>'.format(**manifest)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as vsix:
        vsix.writestr(
            "extension.vsixmanifest", f"<PackageManifest><Metadata>{identity}</Metadata></PackageManifest>"
        )
        vsix.writestr("extension.vsomanifest", json.dumps({"contributions": manifest["contributions"]}))
        for contribution in manifest["contributions"]:
            folder = contribution["properties"]["name"]
            vsix.write(ROOT / folder / "task.json", f"{folder}/task.json")
    path = tmp_path / "slotwise.vsix"
    path.write_bytes(data.getvalue())
    emulator.install_extension(ORG, path)
