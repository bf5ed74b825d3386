"""Function-app files for slotwise's tests: the emulator's sample builds (``slotwise_emulator.apps``:
a good build, a broken build, a malformed one, a file that is no zip), plus what only slotwise's tests
need: a folder that is no function app, a large build for benchmarks, and smoke checks every good
build passes.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from slotwise_emulator.apps import (
    HOST_JSON,
    app_files,
    broken_build,
    good_build,
    http_function,
    invalid_zip,
    malformed_build,
    write_zip,
)

__all__ = [
    "HOST_JSON",
    "NOT_AN_APP",
    "SMOKE_CHECKS",
    "app_files",
    "broken_build",
    "good_build",
    "http_function",
    "invalid_zip",
    "large_build",
    "malformed_build",
    "not_an_app",
    "write_zip",
]

NOT_AN_APP = {"readme.txt": "not an app\n"}  # no host.json: a function app refuses it


def not_an_app(folder: Path) -> Path:
    """A folder holding only readme.txt (``NOT_AN_APP``): it is no function app."""
    folder.mkdir(parents=True)
    for name, text in NOT_AN_APP.items():
        (folder / name).write_text(text)
    return folder


def large_build(path: Path, size: int) -> Path:
    """A valid build of about ``size`` bytes (ZIP_STORED; a random 1 MiB block repeated, each copy
    numbered), for memory and throughput benchmarks."""
    mib = 1024 * 1024
    block = os.urandom(mib)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in app_files("bench").items():
            archive.writestr(name, value if isinstance(value, str) else json.dumps(value))
        with archive.open("bin/payload.bin", "w", force_zip64=True) as payload:
            for index in range(max(1, size // mib)):
                payload.write(index.to_bytes(8, "little") + block[8:])
    return path


# Smoke checks every good build passes and a broken build fails (its health answers 500).
SMOKE_CHECKS = """\
checks:
  - name: health answers healthy
    path: /api/health
    expect:
      status: 200
      bodyContains: healthy
  - name: hello needs its function key
    function: hello
    expect:
      status: 200
"""
