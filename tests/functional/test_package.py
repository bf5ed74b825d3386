"""scripts/package end to end: the real wheel, the lock, tfx-cli from scripts/tfx, the .vsix; and what
the wheel must not carry (build tooling, a web server outside an extra).

Runs the script as a user would (into a temporary build and dist directory). Needs Node.js and npm
for tfx-cli, so it is skipped without them; ``npm ci`` runs once per package-lock.json change and is
cached in scripts/tfx/node_modules, so a warm run takes a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from slotwise_build.project import project_version, task_folders, task_version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "tasks" / "_runtime" / "requirements.lock"
WEB_SERVERS = ("starlette", "uvicorn", "trustme")
NO_NODE = shutil.which("npm") is None or shutil.which("node") is None


def run_package(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "SLOTWISE_PUBLISHER"}
    if sys.prefix != sys.base_prefix:  # the tests' virtual environment, already bootstrapped
        env["SLOTWISE_VENV"] = sys.prefix
    return subprocess.run(
        [str(root / "scripts" / "package"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


@pytest.mark.timeout(600)
@pytest.mark.skipif(NO_NODE, reason="npm and node are not available: scripts/package needs them for tfx-cli")
def test_package_builds_a_complete_vsix(tmp_path: Path) -> None:
    version = project_version(ROOT)
    result = run_package(
        ROOT,
        "--publisher",
        "slotwise-test",
        "--build-dir",
        str(tmp_path / "build"),
        "--dist-dir",
        str(tmp_path / "dist"),
    )
    assert result.returncode == 0, result.stderr
    vsix = tmp_path / "dist" / f"slotwise-{version}.vsix"
    assert result.stdout.strip() == str(vsix)
    assert "warning:" not in result.stderr
    folders = task_folders(ROOT)
    assert len(folders) == 4
    shim = (ROOT / "tasks" / "_shim" / "shim.js").read_bytes()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        identity = archive.read("extension.vsixmanifest").decode()
        assert re.search(
            rf'<Identity [^>]*Publisher="slotwise-test" Version="{re.escape(version)}"', identity
        )
        contributions = json.loads(archive.read("extension.vsomanifest"))["contributions"]
        assert sorted(c["properties"]["name"] for c in contributions) == [f"tasks/{f}" for f in folders]
        for folder in folders:
            base = f"tasks/{folder}/"
            wheel = f"{base}slotwise-{version}-py3-none-any.whl"
            shipped = {f"{base}task.json", f"{base}shim.js", f"{base}requirements.lock", wheel}
            assert shipped | {f"{base}requirements-slotwise.txt"} <= names
            task = json.loads(archive.read(base + "task.json"))
            committed = json.loads((ROOT / "tasks" / folder / "task.json").read_text(encoding="utf-8"))
            assert task["version"] == task_version(version)
            assert (task["id"], task["name"], task["inputs"]) == (
                committed["id"],
                committed["name"],
                committed["inputs"],
            )
            assert archive.read(base + "shim.js") == shim
            assert archive.read(base + "requirements.lock") == LOCK.read_bytes()  # the committed lock
            digest = hashlib.sha256(archive.read(wheel)).hexdigest()
            requirement = archive.read(base + "requirements-slotwise.txt").decode()
            assert f"\n./{wheel.rsplit('/', 1)[1]} --hash=sha256:{digest}\n" in requirement
            inner = tmp_path / "wheel.whl"
            inner.write_bytes(archive.read(wheel))
            with zipfile.ZipFile(inner) as built:
                built_names = built.namelist()
                metadata = built.read(f"slotwise-{version}.dist-info/METADATA").decode()
            assert f"\nVersion: {version}\n" in metadata
            assert "slotwise/__init__.py" in built_names
            for each in folders:  # for `slotwise release`: the task.json files, as committed
                with zipfile.ZipFile(inner) as built:
                    carried = built.read(f"slotwise/release/tasks/{each}/task.json")
                assert carried == (ROOT / "tasks" / each / "task.json").read_bytes()
            assert not [n for n in built_names if "__pycache__" in n or n.endswith(".pyc")]


def test_package_refuses_a_task_json_tfx_would_only_warn_about(tmp_path: Path) -> None:
    """On a copy of the checkout whose smoke-test task has a 41-character friendlyName: tfx would
    package it with a warning; scripts/package stops before tfx (so this needs no Node.js)."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    (copy / "emulator").mkdir()
    for name in (
        "pyproject.toml",
        "setup.py",
        "MANIFEST.in",
        "README.md",
        "vss-extension.json",
        "emulator/pyproject.toml",
    ):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "tasks", copy / "tasks")
    shutil.copytree(ROOT / "scripts", copy / "scripts", ignore=shutil.ignore_patterns("node_modules"))
    path = copy / "tasks" / "smoke-test" / "task.json"
    task = json.loads(path.read_text(encoding="utf-8"))
    task["friendlyName"] = "slotwise: Smoke test a deployment slot now"
    path.write_text(json.dumps(task), encoding="utf-8")
    result = run_package(copy, "--no-vsix")
    assert result.returncode == 1, result.stderr
    assert "smoke-test/task.json: friendlyName must be 1 to 40 characters" in result.stderr
    assert not (copy / "dist").exists() or not list((copy / "dist").iterdir())


def test_package_ships_no_build_tooling_and_no_web_server_in_the_wheel(tmp_path: Path) -> None:
    """``pip install slotwise`` brings what slotwise runs: slotwise_build stays in scripts/, the
    emulator's web server only comes with an extra (``slotwise[emulator]``). Stops after staging."""
    result = run_package(ROOT, "--no-vsix", "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "build" / "wheel").glob("slotwise-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        sources = {n: archive.read(n).decode() for n in names if n.endswith(".py")}
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    assert "slotwise/agent/__main__.py" in names  # the wheel is complete
    assert not [n for n in names if n.startswith("slotwise_build/") or n == "slotwise/packaging.py"]
    importing = [
        n
        for n, text in sources.items()
        if re.search(r"^\s*(from|import)\s+(packaging|slotwise_build)\b", text, re.M)
    ]
    assert importing == [], "build tooling (packaging, slotwise_build) imported by the wheel"
    requires = [Requirement(line) for line in re.findall(r"^Requires-Dist: (.+)$", metadata, re.M)]
    outside_an_extra = [r for r in requires if r.marker is None or "extra" not in str(r.marker)]
    assert [str(r) for r in outside_an_extra if r.name.lower() in WEB_SERVERS] == []
