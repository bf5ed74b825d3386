"""``pip install 'slotwise[emulator]'`` runs the demo: slotwise's wheel and the emulator's wheel (each
built from a clean copy of its source, as a release would publish them), installed side by side and
nothing of this checkout on the path, run ``slotwise demo``; slotwise's wheel asks for the emulator
only through its ``emulator`` extra, and the emulator's wheel runs on its own (``slotwise-emulator``)."""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import slotwise, slotwise_emulator
print(json.dumps({"slotwise": slotwise.__file__, "emulator": slotwise_emulator.__file__}))
sys.stdout.flush()
from slotwise.cli.main import main
sys.argv = ["slotwise", *sys.argv[1:]]
main()
"""


def build_wheel(source: Path, dest: Path, name: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--wheel-dir", str(dest), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    (wheel,) = dest.glob(f"{name}-*.whl")
    return wheel


def clean_copy(dest: Path, files: tuple[str, ...], trees: tuple[str, ...], root: Path) -> Path:
    dest.mkdir(parents=True)
    for name in files:
        shutil.copy2(root / name, dest / name)
    for tree in trees:
        shutil.copytree(root / tree, dest / tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("wheels")
    slotwise_source = clean_copy(
        work / "slotwise", ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"), ("src",), ROOT
    )
    for task_json in (ROOT / "tasks").glob("*/task.json"):
        (slotwise_source / "tasks" / task_json.parent.name).mkdir(parents=True)
        shutil.copy2(task_json, slotwise_source / "tasks" / task_json.parent.name / "task.json")
    emulator_source = clean_copy(
        work / "emulator", ("pyproject.toml", "README.md"), ("src",), ROOT / "emulator"
    )
    return {
        "slotwise": build_wheel(slotwise_source, work / "dist", "slotwise"),
        "emulator": build_wheel(emulator_source, work / "dist", "slotwise_emulator"),
    }


def requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
    return [Requirement(line) for line in re.findall(r"^Requires-Dist: (.+)$", metadata, re.M)]


def test_slotwise_asks_for_its_emulator_only_through_the_extra(wheels: dict[str, Path]) -> None:
    slotwise = requires(wheels["slotwise"])
    for_users = [r for r in slotwise if r.name == "slotwise-emulator" and "test" not in r.extras]
    version = wheels["emulator"].name.split("-")[1]
    assert [str(r) for r in for_users] == [f'slotwise-emulator=={version}; extra == "emulator"']
    always = [r for r in slotwise if r.marker is None]
    assert always, "slotwise's own dependencies are listed"
    assert not [r.name for r in always if r.name in ("slotwise-emulator", "starlette", "uvicorn", "trustme")]
    assert not [r.name for r in requires(wheels["emulator"]) if r.name.startswith("slotwise")]


@pytest.mark.timeout(600)
def test_the_installed_wheels_run_the_demo(wheels: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(wheels["slotwise"]), str(wheels["emulator"])],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AZURE_", "SLOTWISE_"))}
    env["PYTHONPATH"] = str(target)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "demo", "--speed", "instant"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[0])
    assert Path(found["slotwise"]).is_relative_to(target)
    assert Path(found["emulator"]).is_relative_to(target)
    assert "demo finished: every step went as told" in result.stdout
