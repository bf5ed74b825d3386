"""``slotwise emulator`` as a user runs it: a foreground process, an env file, a clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests


def wait_for(path: Path, timeout: float = 20.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and "SLOTWISE_EMULATOR_URL" in path.read_text():
            return dict(line.split("=", 1) for line in path.read_text().splitlines())
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def test_emulator_command_serves_until_sigterm_and_never_prints_the_secret(tmp_path: Path) -> None:
    env_file = tmp_path / "emu.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slotwise.cli.main",
            "emulator",
            "--env-file",
            str(env_file),
            "--state-dir",
            str(tmp_path / "state"),
            "--speed",
            "instant",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        env = wait_for(env_file)
        health = requests.get(
            f"{env['SLOTWISE_EMULATOR_URL']}/_emulator/health", verify=env["REQUESTS_CA_BUNDLE"], timeout=10
        )
        assert health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert env["SLOTWISE_ARM_ENDPOINT"] in out
    assert env["AZURE_CLIENT_SECRET"] not in out + err
    assert "Traceback" not in err


def test_emulator_command_reports_a_busy_port_without_a_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "slotwise.cli.main", "emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 9
    assert f"127.0.0.1:{port}" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
