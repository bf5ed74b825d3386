"""The demo's function app: a tiny "orders" API whose builds tell apart by what they answer.

Each build is a zip with ``host.json`` and two HTTP functions: ``health`` (anonymous) and ``orders``
(function key). The emulator serves what each function's ``emulator.json`` says, so build N answers
``{"build": N}``, and a broken build answers 500.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def _function(route: str, auth: str, methods: list[str]) -> dict[str, Any]:
    return {
        "scriptFile": "__init__.py",
        "bindings": [
            {
                "authLevel": auth,
                "type": "httpTrigger",
                "direction": "in",
                "name": "req",
                "methods": methods,
                "route": route,
            },
            {"type": "http", "direction": "out", "name": "$return"},
        ],
    }


def build_package(directory: Path, build: str, *, broken: bool = False) -> Path:
    """Write build ``build`` of the demo app as a zip in ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"orders-api-{build}{'-broken' if broken else ''}.zip"
    status = 500 if broken else 200
    files: dict[str, Any] = {
        "host.json": {"version": "2.0"},
        "health/function.json": _function("health", "anonymous", ["get"]),
        "health/emulator.json": {
            "status": status,
            "body": {"status": "ok" if not broken else "failing", "build": build},
        },
        "health/__init__.py": "def main(req):\n    return 'ok'\n",
        "orders/function.json": _function("orders/{id:int?}", "function", ["get", "post"]),
        "orders/emulator.json": {
            "status": status,
            "body": {"orders": [], "build": build},
            "headers": {"X-Build": build},
        },
        "orders/__init__.py": "def main(req):\n    return '[]'\n",
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in files.items():
            archive.writestr(name, value if isinstance(value, str) else json.dumps(value, indent=2))
    return path
