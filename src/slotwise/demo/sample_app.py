"""The demo's function app: the "orders" API whose builds tell apart by what they answer.

Each build is the emulator's sample app (``slotwise_emulator.apps``: ``host.json``, an anonymous
``health`` function answering ``{"status": "healthy", "version": N}``, ``hello`` behind its function
key) plus an anonymous ``orders`` function answering ``{"orders": [], "version": N}``. The emulated
Functions host serves what each function's ``emulator.json`` says, so a build's kind decides its
answers: a ``GOOD`` build passes the smoke checks; a ``BUGGY`` one passes them too but its
``orders`` answers 500 (a bug the checks do not cover, found by production's traffic); a ``BROKEN``
one fails its health check, so its smoke test fails in staging.

Must not: deploy anything or know the emulator's servers (it only writes zip files).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from slotwise_emulator.apps import app_files, http_function, write_zip


class Kind(Enum):
    """What a build of the demo app does."""

    GOOD = "good"
    BUGGY = "buggy"  # healthy, but orders answers 500
    BROKEN = "broken"  # its health check answers 500


# The smoke checks inside every build's artifact (templates/release: "**/smoke-checks.yaml").
SMOKE_CHECKS = """\
checks:
  - name: health answers healthy
    path: /api/health
    expect:
      status: 200
      bodyContains: healthy
  - name: hello answers with its function key
    function: hello
    expect:
      status: 200
"""


def _files(build: str, kind: Kind) -> dict[str, Any]:
    health = (
        {"status": 500, "body": {"status": "unhealthy", "version": build}} if kind is Kind.BROKEN else None
    )
    files = app_files(build, health)
    orders = (
        {"status": 500, "body": {"error": "NullReferenceException in OrderMapper", "version": build}}
        if kind is Kind.BUGGY
        else {"status": 200, "body": {"orders": [], "version": build}}
    )
    files["orders/function.json"] = http_function("orders", auth="anonymous")
    files["orders/emulator.json"] = orders
    files["orders/__init__.py"] = "def main(req):\n    return '[]'\n"
    return files


def build_package(directory: Path, build: str, kind: Kind = Kind.GOOD) -> Path:
    """Write build ``build`` of the demo app as a zip in ``directory``; answers its path."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_zip(directory / f"orders-{build}-{kind.value}.zip", _files(build, kind))
