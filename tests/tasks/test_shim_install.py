"""The shim's install step: ``pip install --require-hashes --no-deps -r requirements.lock -r
requirements-slotwise.txt`` in the task folder, as scripts/package ships them.

- a slotwise wheel changed after packaging (its sha256 is not the one requirements-slotwise.txt says)
  is refused before pip runs, with a task error saying so; nothing is installed, a venv already set up
  is left as it was;
- a dependency whose file is not the one locked (another file under the same name and version in the
  wheelhouse or index) is refused by pip's hash check; nothing is left half-installed;
- only the lock is installed: the wheel's own Requires-Dist (slotwise's declares azure-devops, the
  CLI's and the releases' dependencies) is not followed;
- an agent without package access bootstraps from the Linux x64 wheelhouse ``scripts/package
  --wheelhouse`` makes (``python -m slotwise_build wheelhouse``), with the index switched off; pip
  compiles nothing (``--no-compile``), the set-up's check compiles what the tasks import.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.tasks.shimkit import (
    MARKER,
    NODE,
    NODE_MISSING,
    ROOT,
    STANDIN_VERSION,
    Agent,
    assert_reported_failure,
    base_python,
    run_shim,
    shim_failure,
    stage_task,
    standin_wheel,
)

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(sys.platform == "win32", reason="the agents' venvs here are POSIX venvs"),
]


def leftovers(venv_dir: Path) -> list[str]:
    parent = venv_dir.parent
    return sorted(p.name for p in parent.iterdir() if p.name != venv_dir.name) if parent.exists() else []


def test_a_wheel_changed_after_packaging_is_refused_and_nothing_installed(
    tmp_path: Path, standin: Path
) -> None:
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    with zipfile.ZipFile(task / standin.name, "a") as wheel:  # one file more: a tampered wheel
        wheel.writestr("slotwise/extra.py", "print('not what was released')\n")
    result = run_shim(task, agent.env(), agent.cwd)
    assert_reported_failure(result)
    message = shim_failure(result.stdout)
    assert message is not None, result.stdout + result.stderr
    assert f"The slotwise wheel {task / standin.name} is not the one this task was packaged with" in message
    assert "requirements-slotwise.txt says" in message
    assert "reinstall the slotwise extension" in message
    assert "Setting up" not in result.stdout  # refused before anything was made
    venv = agent.venv_dir(STANDIN_VERSION)
    assert not venv.exists()
    assert leftovers(venv) == []


def test_a_tampered_wheel_does_not_replace_a_venv_already_set_up(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    assert run_shim(task, agent.env(), agent.cwd).returncode == 0
    marker = (agent.venv_dir(STANDIN_VERSION) / MARKER).read_text()
    (task / standin.name).write_bytes(standin.read_bytes() + b"\0")
    result = run_shim(task, agent.env(), agent.cwd)
    assert_reported_failure(result)
    assert "is not the one this task was packaged with" in (shim_failure(result.stdout) or "")
    assert "stand-in slotwise.agent" not in result.stdout  # the task did not run
    assert (agent.venv_dir(STANDIN_VERSION) / MARKER).read_text() == marker


def test_a_dependency_that_is_not_the_locked_file_is_refused_by_pip(
    tmp_path: Path, standin: Path, wheelhouse: Path
) -> None:
    (idna,) = wheelhouse.glob("idna-*.whl")
    version = idna.name.split("-")[1]
    agent = Agent.create(tmp_path, wheelhouse=wheelhouse)
    task = stage_task(tmp_path / "task", standin, f"idna=={version} \\\n    --hash=sha256:{'0' * 64}\n")
    result = run_shim(task, agent.env(), agent.cwd)
    assert_reported_failure(result)
    message = shim_failure(result.stdout)
    assert message is not None, result.stdout + result.stderr
    assert "pip install exited with code" in message
    assert "A hash that does not match means" in message
    assert "DO NOT MATCH THE HASHES" in result.stdout  # pip's own words, shown
    venv = agent.venv_dir(STANDIN_VERSION)
    assert not venv.exists()
    assert leftovers(venv) == []


def test_only_the_lock_is_installed_not_the_wheels_own_requirements(tmp_path: Path, wheelhouse: Path) -> None:
    wheel = standin_wheel(tmp_path / "wheel", requires=("no-such-distribution>=1", "click>=8"))
    (idna,) = wheelhouse.glob("idna-*.whl")
    lock = f"idna=={idna.name.split('-')[1]} \\\n    --hash=sha256:{_sha256(idna)}\n"
    agent = Agent.create(tmp_path, wheelhouse=wheelhouse)
    task = stage_task(tmp_path / "task", wheel, lock)
    result = run_shim(task, agent.env(), agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed(agent.venv_dir(STANDIN_VERSION)) == ["idna", "slotwise"]


def installed(venv: Path) -> list[str]:
    """The distributions installed in ``venv``, as its Python sees them."""
    script = "import importlib.metadata as m, json; print(json.dumps([d.name for d in m.distributions()]))"
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True
    )
    return sorted(name.lower() for name in json.loads(listed.stdout))


def test_pip_runs_from_pythons_bundled_wheel_and_is_not_installed(tmp_path: Path, standin: Path) -> None:
    """The venv is made --without-pip; pip is the one ensurepip bundles, run from its wheel."""
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(SYSTEM_DEBUG="true"), agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    bundled = re.search(r"##vso\[task\.debug\]pip from (\S+pip-[\d.]+-py3-none-any\.whl)", result.stdout)
    assert bundled, result.stdout
    assert Path(bundled.group(1)).is_file()
    assert installed(agent.venv_dir(STANDIN_VERSION)) == ["slotwise"]


def test_without_a_bundled_pip_wheel_the_venv_gets_pip_as_usual(tmp_path: Path, standin: Path) -> None:
    """A Python whose ensurepip holds no wheel (the shim's probe fails): ``python -m venv`` with pip."""
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\ncase "$*" in *ensurepip.version*) exit 1;; esac\nexec "{base_python()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(path=f"{wrapper.parent}:/usr/bin:/bin"), agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip" in installed(agent.venv_dir(STANDIN_VERSION))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(900)
@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"),
    reason="the Linux x64 wheelhouse installs on a Linux x64 machine only",
)
def test_an_agent_without_package_access_bootstraps_from_the_linux_wheelhouse(
    tmp_path: Path, slotwise_wheel: Path, wheelhouse: Path
) -> None:
    """``wheelhouse`` (the session's) proves the package index is reachable: building the release's
    wheelhouse must then work. The agent gets PIP_FIND_LINKS and PIP_NO_INDEX, nothing else."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    built = subprocess.run(
        [sys.executable, "-m", "slotwise_build", "--root", str(ROOT), "wheelhouse",
         "--wheel", str(slotwise_wheel), "--out", str(tmp_path / "dist"),
         "--target", "linux-x64", "--python", python],
        capture_output=True,
        text=True,
        timeout=800,
        env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (house,) = (tmp_path / "dist").glob("slotwise-*-wheelhouse-linux-x64")
    assert (tmp_path / "dist" / f"{house.name}.zip").is_file()
    assert "PIP_FIND_LINKS=<this folder>" in (house / "README.txt").read_text()
    assert (house / slotwise_wheel.name).read_bytes() == slotwise_wheel.read_bytes()

    agent = Agent.create(tmp_path / "agent", wheelhouse=house)
    assert agent.env()["PIP_NO_INDEX"] == "1"
    lock = (ROOT / "tasks" / "_runtime" / "requirements.lock").read_text()
    task = stage_task(tmp_path / "agent" / "tasks" / "smoke-test", house / slotwise_wheel.name, lock)
    # an agent whose Python writes no bytecode: the set-up still compiles what the tasks import
    result = run_shim(task, agent.env(PYTHONDONTWRITEBYTECODE="1"), agent.cwd, timeout=600)
    assert shim_failure(result.stdout) is None, result.stdout + result.stderr
    assert "is ready" in result.stdout
    venv = agent.venv_dir(slotwise_wheel.name.split("-")[1])
    site = next((venv / "lib").glob("python3.*/site-packages"))
    tag = sys.implementation.cache_tag
    for module in ("slotwise/agent/task_deploy", "slotwise/agent/task_swap", "slotwise/slots/swap"):
        folder, name = module.rsplit("/", 1)
        assert (site / folder / "__pycache__" / f"{name}.{tag}.pyc").is_file(), module
    # pip compiled nothing: what the tasks never import (the async client, jsonschema's tests) is not
    never_imported = [site / "azure" / "mgmt" / "web" / "aio", site / "jsonschema" / "tests"]
    for folder in never_imported:
        assert list(folder.rglob("*.py")), folder
        assert not list(folder.rglob("*.pyc")), folder
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import slotwise.agent, azure.mgmt.web, jsonschema, yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
