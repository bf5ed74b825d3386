"""Session-wide artifacts for running tasks through the shim: slotwise's wheel, the stand-in wheel,
and an agent whose tools directory already holds the stand-in's environment (the lock, the
wheelhouse and the built .vsix are in tests/conftest.py: the demo's tests use them too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.shimkit import (
    NODE,
    NODE_MISSING,
    STANDIN_VERSION,
    Agent,
    build_wheel,
    run_shim,
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
