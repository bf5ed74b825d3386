"""Fixtures of the functional tests beyond tests/conftest.py: the fault matrix's world for the CLI face
(the fault matrix and the invariants share it; the task face defines its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotwise_emulator import Emulator, FunctionApp
from tests.faultmatrix import READ_TIMEOUT, World


@pytest.fixture
def world(
    emulator: Emulator,
    function_app: FunctionApp,
    arm_token: str,
    tmp_path: Path,
    slot_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    """The shell pointed at the emulator, ARM and Kudu answers timed out after ``READ_TIMEOUT`` s."""
    monkeypatch.setenv("SLOTWISE_HTTP_TIMEOUT", str(READ_TIMEOUT))
    return World(emulator, arm_token, tmp_path)
