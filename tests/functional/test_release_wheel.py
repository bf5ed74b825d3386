"""An installed slotwise (from its wheel, not this checkout) validates and renders release specs:
the wheel carries the tasks' task.json (copied from tasks/ when it is built, by setup.py),
slotwise's facts about Microsoft's built-in tasks and the published schema, and reads them from the
package; and it builds the .vsix ``slotwise emulator`` installs from the extension's manifest, which
it carries beside them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "vss-extension.json")

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import io, json, sys, zipfile
from importlib import resources
import slotwise
from slotwise.release import catalogue, extension
from slotwise.cli.main import main
packaged = resources.files("slotwise").joinpath(catalogue.PACKAGED_TASKS)
print(json.dumps({
    "module": slotwise.__file__,
    "packaged": packaged.is_dir(),
    "checkout": catalogue.CHECKOUT_TASKS.is_dir(),
    "slotwise": {k: t.id for k, t in catalogue.catalogue(catalogue.TaskSet.SLOTWISE).items()},
    "builtin": {k: t.reference for k, t in catalogue.catalogue(catalogue.TaskSet.BUILTIN).items()},
    "extension_root": str(extension.extension_root()),
    "vsix": sorted(zipfile.ZipFile(io.BytesIO(extension.minimal_vsix())).namelist()),
}))
sys.stdout.flush()
sys.argv = ["slotwise", *sys.argv[1:]]
main()
"""


def clean_source(dest: Path) -> Path:
    """What scripts/package builds the wheel from: no build/ left over from an earlier build."""
    dest.mkdir()
    for name in ROOT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for task_json in (ROOT / "tasks").glob("*/task.json"):
        (dest / "tasks" / task_json.parent.name).mkdir(parents=True)
        shutil.copy2(task_json, dest / "tasks" / task_json.parent.name / "task.json")
    return dest


@pytest.mark.timeout(300)
def test_an_installed_wheel_knows_the_tasks_and_validates_the_templates(tmp_path: Path) -> None:
    source = clean_source(tmp_path / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--wheel-dir", str(tmp_path / "wheel"), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    (wheel,) = (tmp_path / "wheel").glob("slotwise-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "release", "validate", str(ROOT / "templates" / "release")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    probe, *validated = result.stdout.splitlines()
    found = json.loads(probe)
    assert Path(found["module"]).is_relative_to(target)
    assert (found["packaged"], found["checkout"]) == (True, False)
    committed = {
        p.parent.name: json.loads(p.read_text(encoding="utf-8"))["id"]
        for p in (ROOT / "tasks").glob("*/task.json")
        if not p.parent.name.startswith("_")
    }
    assert found["slotwise"] == committed
    assert found["builtin"] == {
        "deploy-to-slot": "AzureFunctionApp@2",
        "slot-swap": "AzureAppServiceManage@0",
    }
    assert validated[-1] == "6 release definitions in 4 files: valid."
    for folder in committed:
        carried = target / "slotwise" / "release" / "tasks" / folder / "task.json"
        assert carried.read_bytes() == (ROOT / "tasks" / folder / "task.json").read_bytes()
    manifest = target / "slotwise" / "release" / "vss-extension.json"
    assert manifest.read_bytes() == (ROOT / "vss-extension.json").read_bytes()
    assert Path(found["extension_root"]) == target / "slotwise" / "release"
    assert found["vsix"] == sorted(
        ["extension.vsixmanifest", "extension.vsomanifest", *(f"tasks/{f}/task.json" for f in committed)]
    )
