"""Wire of the emulated Azure DevOps extension management: the organization's installed extensions.

    GET /{org}/_apis/extensionmanagement/installedextensions   -> {count, value: [InstalledExtension]}

Extensions are installed from a .vsix by the control plane or the driver (``backends/devops_tasks.py``
reads it); Microsoft's built-in tasks are not an extension and are not listed here. On the real
service this lives on ``extmgmt.dev.azure.com``; the emulator serves it on the organization's host.
Must not: keep state.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import Extension
from slotwise_emulator.routes.devops_common import Call, api, collection, timestamp

INSTALLED_EXTENSIONS = ApiLocation(
    "275424d0-c844-4fe2-bda6-04933a1357d8", "ExtensionManagement", "InstalledExtensions",
    "_apis/{area}/{resource}", 1, min_version="3.0", released_version="0.0",
    area_id="6c2b0933-3600-42ae-bf8b-93d4f7e83594",
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (INSTALLED_EXTENSIONS,)


def extension_body(extension: Extension) -> dict[str, Any]:
    """An InstalledExtension."""
    return {
        "extensionId": extension.extension_id,
        "extensionName": extension.name,
        "publisherId": extension.publisher,
        "publisherName": extension.publisher,
        "version": extension.version,
        "lastPublished": timestamp(extension.installed),
        "flags": "none",
        "installState": {"flags": "none", "lastUpdated": timestamp(extension.installed)},
        "contributions": [
            {
                "id": task.contribution.rsplit(".", 1)[-1],
                "type": "ms.vss-distributed-task.task",
                "properties": {"name": task.name},
            }
            for task in extension.tasks
        ],
    }


@api(INSTALLED_EXTENSIONS)
async def list_installed(_: Request, call: Call) -> Response:
    extensions = call.directory.records_of(call.org.name).extensions.values()
    return collection([extension_body(e) for e in extensions], call)


def routes() -> list[BaseRoute]:
    return [Route("/{org}/_apis/extensionmanagement/installedextensions", list_installed, methods=["GET"])]
