"""``slotwise emulator`` as a user runs it: a foreground process, an env file, a clean stop; and,
with nothing else set up, ``slotwise release`` on every template against its organization."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from tests.functional.env_file import sourced, wait_for

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates" / "release").glob("*.yaml"))


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
    assert "release jobs wait in the manual agent pool" in out  # the manifest-only tasks have no code
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


def slotwise(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``slotwise ARGS`` from the checkout's root, in a shell that sourced only the env file."""
    return sourced(env_file, [sys.executable, "-m", "slotwise.cli.main", *args], cwd=ROOT, environ=os.environ)


def definitions_in(template: Path) -> int:
    spec = yaml.safe_load(template.read_text(encoding="utf-8"))
    return len(spec["definitions"]) if "definitions" in spec else 1


@pytest.mark.timeout(300)
def test_every_release_template_applies_to_the_emulator_with_only_its_env_file(tmp_path: Path) -> None:
    assert len(TEMPLATES) >= 4, "templates/release/ holds the ready specs"
    env_file = tmp_path / "emu.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "slotwise.cli.main", "emulator", "--env-file", str(env_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        env = wait_for(env_file)
        runs = {}
        for template in TEMPLATES:
            spec = str(template.relative_to(ROOT))
            runs[spec] = (definitions_in(template), slotwise(env_file, "release", "apply", spec))
        planned = slotwise(env_file, "release", "plan", *runs)  # the same files, in one run
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    for spec, (count, applied) in runs.items():
        assert applied.returncode == 0, f"{spec}: {applied.stdout}{applied.stderr}"
        assert f"Applied: {count} created." in applied.stdout, applied.stdout
    total = sum(count for count, _ in runs.values())
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert f"Plan: 0 to create, 0 to update, {total} unchanged, 0 to delete." in planned.stdout
    assert planned.stdout.count("= unchanged") == total
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/contoso/", env["AZURE_DEVOPS_ORG_URL"])
    assert env["AZURE_DEVOPS_EXT_PAT"]
    assert f"(AZURE_DEVOPS_ORG_URL) {env['AZURE_DEVOPS_ORG_URL']}" in out
    assert "extension slotwise-dev.slotwise" in out
    assert "SlotwiseDeployToSlot@1" in out
    assert f"set -a; . {env_file}; set +a" in out
    assert "slotwise release apply templates/release/article.yaml" in out
    for secret in (env["AZURE_DEVOPS_EXT_PAT"], env["AZURE_CLIENT_SECRET"]):
        assert secret not in out + err
