"""Session-wide artifacts for running tasks through the shim: slotwise's wheel, its lock, a wheelhouse,
the stand-in wheel, and an agent whose tools directory already holds the stand-in's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.agentkit import PackagingUnavailable, build_vsix
from tests.tasks.shimkit import (
    NODE,
    NODE_MISSING,
    STANDIN_VERSION,
    Agent,
    build_wheel,
    build_wheelhouse,
    run_shim,
    runtime_lock,
    stage_task,
    standin_wheel,
)


@pytest.fixture(scope="session")
def slotwise_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """slotwise's wheel, built once per session from this checkout."""
    try:
        return build_wheel(tmp_path_factory.mktemp("wheel"))
    except RuntimeError as err:
        pytest.skip(f"cannot build slotwise's wheel here: {err}")


@pytest.fixture(scope="session")
def lock_text() -> str:
    return runtime_lock()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, lock_text: str) -> Path:
    """Wheels of the locked dependencies: what an agent without internet would be given."""
    root = tmp_path_factory.mktemp("wheelhouse")
    lock = root / "requirements.lock"
    lock.write_text(lock_text)
    house = root / "wheels"
    try:
        build_wheelhouse(lock, house)
    except RuntimeError as err:
        pytest.skip(f"cannot fetch the locked dependencies (offline, no package index?): {err}")
    return house


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in ``slotwise`` wheel (no dependencies; its agent obeys STANDIN_MODE)."""
    return standin_wheel(tmp_path_factory.mktemp("standin"))


@pytest.fixture(scope="session")
def standin_agent(tmp_path_factory: pytest.TempPathFactory, standin: Path) -> Agent:
    """An agent whose tools directory already holds the stand-in's environment (warm)."""
    if NODE is None:
        pytest.skip(NODE_MISSING)
    root = tmp_path_factory.mktemp("standin-agent")
    agent = Agent.create(root)
    task = stage_task(root / "task", standin, "")
    result = run_shim(task, agent.env(), agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (agent.venv_dir(STANDIN_VERSION) / ".slotwise-complete").is_file()
    return agent


@pytest.fixture(scope="session")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .vsix built by scripts/package from this checkout, once per session."""
    root = tmp_path_factory.mktemp("package")
    try:
        return build_vsix(root / "build", root / "dist")
    except PackagingUnavailable as err:
        pytest.skip(f"cannot build the .vsix on this machine: {err}")
