"""``pip install 'slotwise[emulator]'`` runs the demo: slotwise's wheel and the emulator's wheel (each
built from a clean copy of its source, as a release would publish them), installed side by side and
nothing of this checkout on the path, run ``slotwise demo``; slotwise's wheel asks for the emulator
only through its ``emulator`` extra, and the emulator's wheel runs on its own (``slotwise-emulator``);
and their ``slotwise emulator`` has the extension's tasks (from slotwise's wheel) in its organization."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.functional.env_file import sourced, wait_for, without_azure

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
        work / "slotwise",
        ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "vss-extension.json"),
        ("src",),
        ROOT,
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


@pytest.fixture(scope="module")
def site(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both wheels installed side by side (as ``pip install 'slotwise[emulator]'`` would)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(wheels["slotwise"]), str(wheels["emulator"])],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return target


@pytest.mark.timeout(600)
def test_the_installed_wheels_run_the_demo(site: Path, tmp_path: Path, vsix: Path, wheelhouse: Path) -> None:
    env = without_azure(os.environ)
    env["PYTHONPATH"] = str(site)
    spec = ROOT / "templates" / "release"
    demo = ["demo", "--extension", str(vsix), "--wheelhouse", str(wheelhouse), "--spec", str(spec)]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *demo],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[0])
    assert Path(found["slotwise"]).is_relative_to(site)
    assert Path(found["emulator"]).is_relative_to(site)
    assert "demo finished: every step went as told" in result.stdout


@pytest.mark.timeout(300)
def test_the_installed_wheels_emulator_has_the_extension_a_release_spec_needs(
    site: Path, tmp_path: Path
) -> None:
    """``slotwise emulator --env-file`` from the wheels installs the extension's tasks from slotwise's
    wheel (no checkout on the path), so a spec on slotwise's own tasks applies with only the env file."""
    environ = {**without_azure(os.environ), "PYTHONPATH": str(site)}
    env_file = tmp_path / "emu.env"
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, "emulator", "--env-file", str(env_file)],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(env_file, timeout=60)
        spec = ROOT / "templates" / "release" / "article.yaml"
        applied = sourced(
            env_file,
            [sys.executable, "-c", PROBE, "release", "apply", str(spec)],
            cwd=tmp_path,
            environ=environ,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    served_by = json.loads(out.splitlines()[0])
    assert Path(served_by["slotwise"]).is_relative_to(site)
    manifest = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    assert (
        f"extension {manifest['publisher']}.{manifest['id']} {manifest['version']} installed in contoso"
        in out
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    applied_by = json.loads(applied.stdout.splitlines()[0])
    assert Path(applied_by["slotwise"]).is_relative_to(site)
    assert "Applied: 1 created." in applied.stdout
