"""The minimal .vsix ``slotwise emulator`` installs: the identity of vss-extension.json, its task
contributions and each task folder's task.json as committed, and one an organization can read."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from slotwise.release import extension
from slotwise.release.catalogue import TaskSet, catalogue
from slotwise_emulator.backends.devops_tasks import read_vsix

ROOT = Path(__file__).resolve().parents[3]


def test_the_vsix_names_the_extension_of_the_manifest_and_carries_its_tasks_as_committed() -> None:
    manifest = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    data = extension.minimal_vsix()
    with zipfile.ZipFile(io.BytesIO(data)) as vsix:
        names = sorted(vsix.namelist())
        contributions = json.loads(vsix.read("extension.vsomanifest"))["contributions"]
        carried = {name: vsix.read(name) for name in names if name.endswith("/task.json")}
    installed = read_vsix(data, now=0.0)  # as the emulated organization reads it
    assert (installed.publisher, installed.extension_id, installed.version, installed.name) == (
        manifest["publisher"],
        manifest["id"],
        manifest["version"],
        manifest["name"],
    )
    assert contributions == manifest["contributions"]
    folders = sorted(catalogue(TaskSet.SLOTWISE))
    assert carried == {
        f"tasks/{folder}/task.json": (ROOT / "tasks" / folder / "task.json").read_bytes()
        for folder in folders
    }
    assert names == sorted(["extension.vsixmanifest", "extension.vsomanifest", *carried])


def test_an_organization_reads_the_vsix_as_the_four_slotwise_tasks() -> None:
    installed = read_vsix(extension.minimal_vsix(), now=0.0)
    tasks = catalogue(TaskSet.SLOTWISE)
    assert sorted((t.id, t.name, t.version[0]) for t in installed.tasks) == sorted(
        (t.id, t.name, t.major) for t in tasks.values()
    )


def test_a_source_checkout_reads_the_manifest_at_its_root() -> None:
    """Here (an editable install) the package carries no copy: the checkout's manifest is read."""
    assert extension.extension_root() == ROOT
    assert not (ROOT / "src" / "slotwise" / extension.PACKAGED_ROOT / extension.MANIFEST).exists()
