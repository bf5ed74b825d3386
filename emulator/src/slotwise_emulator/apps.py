"""Sample function apps the emulated Functions host runs: zips to deploy through Kudu in tests.

Every build has the same functions, so a test can deploy one build, then another, and tell them apart
by what ``/api/health`` answers (``version``) and how (a broken build answers 500, optionally late).
The emulated host serves what a function's ``emulator.json`` says (status, body, headers, delayMs);
a function without one echoes the request.

- ``health``  anonymous, GET, route ``health``; its ``emulator.json`` answers the build's version
- ``hello``   function key, GET/POST, route ``hello/{name?}``; no emulator.json: the echo answer
- ``items``   function key, GET, route ``items/{id:int}``
- ``reset``   admin (master key), POST, route ``ops/reset``

``triggers`` (on ``app_files``, ``good_build``, ``broken_build``) adds non-HTTP functions, deployed and
listed by the functions API but never served over HTTP (``BACKGROUND``: ``timer`` -> ``nightly``,
``queue`` -> ``orders``, ``serviceBus`` -> ``payments``, ``eventHub`` -> ``telemetry``, ``blob`` ->
``uploads``, ``cosmosDB`` -> ``changes``), so a test can build a package whose staging slot would run
a timer or a queue consumer.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

HOST_JSON: dict[str, Any] = {
    "version": "2.0",
    "extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"},
}


def http_function(
    route: str | None, auth: str = "function", methods: tuple[str, ...] = ("get",)
) -> dict[str, Any]:
    """A function.json with an HTTP trigger and an HTTP output binding."""
    trigger: dict[str, Any] = {"authLevel": auth, "type": "httpTrigger", "direction": "in", "name": "req"}
    if methods:
        trigger["methods"] = list(methods)
    if route is not None:
        trigger["route"] = route
    return {
        "scriptFile": "__init__.py",
        "bindings": [trigger, {"type": "http", "direction": "out", "name": "$return"}],
    }


# kind -> (function name, trigger binding): the non-HTTP functions a sample build may carry.
BACKGROUND: dict[str, tuple[str, dict[str, Any]]] = {
    "timer": (
        "nightly",
        {"type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "0 0 2 * * *"},
    ),
    "queue": (
        "orders",
        {
            "type": "queueTrigger",
            "direction": "in",
            "name": "msg",
            "queueName": "orders",
            "connection": "AzureWebJobsStorage",
        },
    ),
    "serviceBus": (
        "payments",
        {
            "type": "serviceBusTrigger",
            "direction": "in",
            "name": "msg",
            "queueName": "payments",
            "connection": "ServiceBusConnection",
        },
    ),
    "eventHub": (
        "telemetry",
        {
            "type": "eventHubTrigger",
            "direction": "in",
            "name": "events",
            "eventHubName": "telemetry",
            "connection": "EventHubConnection",
            "cardinality": "many",
        },
    ),
    "blob": (
        "uploads",
        {
            "type": "blobTrigger",
            "direction": "in",
            "name": "blob",
            "path": "uploads/{name}",
            "connection": "AzureWebJobsStorage",
        },
    ),
    "cosmosDB": (
        "changes",
        {
            "type": "cosmosDBTrigger",
            "direction": "in",
            "name": "documents",
            "connection": "CosmosDBConnection",
            "databaseName": "shop",
            "containerName": "orders",
            "createLeaseContainerIfNotExists": True,
        },
    ),
}


def background_function(kind: str) -> tuple[str, dict[str, Any]]:
    """The name and function.json of the sample ``kind`` of non-HTTP function (a key of ``BACKGROUND``)."""
    if kind not in BACKGROUND:
        raise ValueError(f"no sample '{kind}' function; known: {', '.join(BACKGROUND)}")
    name, trigger = BACKGROUND[kind]
    return name, {"scriptFile": "__init__.py", "bindings": [dict(trigger)]}


def write_zip(path: Path, files: Mapping[str, Any], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip at ``path``: dict/list values are written as JSON, str as UTF-8, bytes as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, value in files.items():
            if isinstance(value, bytes):
                data = value
            elif isinstance(value, str):
                data = value.encode()
            else:
                data = json.dumps(value, indent=2).encode()
            archive.writestr(name, data)
    return path


def app_files(
    version: str = "1", health: Mapping[str, Any] | None = None, triggers: Iterable[str] = ()
) -> dict[str, Any]:
    """The files of a build; ``health`` replaces health/emulator.json; ``triggers`` adds the sample
    non-HTTP functions of those kinds (``BACKGROUND``)."""
    files: dict[str, Any] = {
        "host.json": HOST_JSON,
        "requirements.txt": "azure-functions\n",
        "health/function.json": http_function("health", auth="anonymous"),
        "health/emulator.json": dict(
            health or {"status": 200, "body": {"status": "healthy", "version": version}}
        ),
        "health/__init__.py": "def main(req):\n    return 'healthy'\n",
        "hello/function.json": http_function("hello/{name?}", methods=("get", "post")),
        "hello/__init__.py": "def main(req):\n    return 'hello'\n",
        "items/function.json": http_function("items/{id:int}"),
        "items/__init__.py": "def main(req):\n    return 'item'\n",
        "reset/function.json": http_function("ops/reset", auth="admin", methods=("post",)),
        "reset/__init__.py": "def main(req):\n    return 'reset'\n",
    }
    for kind in triggers:
        name, config = background_function(kind)
        files[f"{name}/function.json"] = config
        files[f"{name}/__init__.py"] = f"def main({config['bindings'][0]['name']}):\n    pass\n"
    return files


def good_build(path: Path, version: str = "1", *, triggers: Iterable[str] = ()) -> Path:
    """A build whose health check answers 200 ``{"status": "healthy", "version": version}``; ``triggers``
    adds sample non-HTTP functions (``timer``, ``queue``, ... see ``BACKGROUND``)."""
    return write_zip(path, app_files(version, triggers=triggers))


def broken_build(
    path: Path, version: str = "2", *, status: int = 500, delay_ms: int = 0, triggers: Iterable[str] = ()
) -> Path:
    """A build whose health check answers ``status`` (500) after ``delay_ms``."""
    health = {"status": status, "body": {"status": "unhealthy", "version": version}, "delayMs": delay_ms}
    return write_zip(path, app_files(version, health, triggers))


def malformed_build(path: Path) -> Path:
    """A zip whose hello/function.json is not JSON: its deployment fails."""
    files = app_files("bad")
    files["hello/function.json"] = "{ this is not json"
    return write_zip(path, files)


def invalid_zip(path: Path) -> Path:
    """A file that is not a zip at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a zip file\n" * 10)
    return path
