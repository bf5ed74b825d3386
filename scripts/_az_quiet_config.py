"""Prepare a fresh az CLI configuration directory so that az makes no call of its own to Microsoft.

Run with the Python of the Azure CLI's virtual environment: ``.venv-az/bin/python THIS_FILE CONFIG_DIR``.

On its first run in an empty ``AZURE_CONFIG_DIR`` (and again once a day, and on help screens) az looks
up its latest release at azcliprod.blob.core.windows.net. Seeding ``versionCheck.json`` with the
installed versions and a fresh check time makes az believe it has just checked, so against the
emulator az talks to nothing but the endpoints it is pointed at. Used by scripts/_az.sh and
tests/benchmarks/test_az_cli.py.
"""

from __future__ import annotations

import datetime
import json
import sys
from importlib.metadata import version
from pathlib import Path


def seed(config_dir: Path) -> None:
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")  # az's own format, local time
    versions = {
        "azure-cli": {"local": version("azure-cli")},
        "core": {"local": version("azure-cli-core")},
        "telemetry": {"local": version("azure-cli-telemetry")},
    }
    state = {"versions": versions, "update_time": now, "check_time": now}
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "versionCheck.json").write_text(json.dumps(state), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} AZURE_CONFIG_DIR")
    seed(Path(sys.argv[1]))
