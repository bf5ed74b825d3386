"""The tasks an emulated Azure DevOps organization knows: Microsoft's built-ins and installed extensions'.

Owns: the built-in tasks slotwise may target (ids and versions as Microsoft publishes them), reading a
``.vsix`` (a zip: ``extension.vsixmanifest`` names the extension, ``extension.vsomanifest`` its
contributions, each ``ms.vss-distributed-task.task`` contribution's folder holds a ``task.json``),
installing it into an organization (keeping every file, so the emulated agent can run the task folders),
whether a task id in a major version (``"2.*"``) is known, and the folder of the version a spec picks.

Must not: know HTTP or body shapes; run tasks (the emulated agent does).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.devops_records import Extension, OrgRecords, TaskDefinition

VSIX_MANIFEST = "extension.vsixmanifest"
VSO_MANIFEST = "extension.vsomanifest"
TASK_CONTRIBUTION = "ms.vss-distributed-task.task"
_MICROSOFT = "Microsoft Corporation"
_IDENTITY = re.compile(r"<Identity\s([^>]*)/?>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_DISPLAY_NAME = re.compile(r"<DisplayName>([^<]*)</DisplayName>", re.IGNORECASE)
_SPEC = re.compile(r"^(\d+)(?:\.(\*|\d+)(?:\.(\*|\d+))?)?$")

# Microsoft's tasks a release definition of slotwise may name (id, name, friendly name, version,
# category), as Microsoft's azure-pipelines-tasks task.json files give them.
BUILT_IN: tuple[TaskDefinition, ...] = (
    TaskDefinition(
        "501dd25d-1785-43e4-b4e5-a5c78ccc0573", "AzureFunctionApp", "Azure Functions Deploy",
        (1, 279, 1), _MICROSOFT, "Deploy",
    ),
    TaskDefinition(
        "501dd25d-1785-43e4-b4e5-a5c78ccc0573", "AzureFunctionApp", "Azure Functions Deploy",
        (2, 279, 1), _MICROSOFT, "Deploy",
    ),
    TaskDefinition(
        "f045e430-8704-11e6-968f-e717e6411619", "AzureAppServiceManage", "Azure App Service manage",
        (0, 279, 1), _MICROSOFT, "Deploy",
    ),
    TaskDefinition(
        "497d490f-eea7-4f2b-ab94-48d9c1acdcb1", "AzureRmWebAppDeployment", "Azure App Service deploy",
        (4, 279, 1), _MICROSOFT, "Deploy",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class TaskFolder:
    """An installed task's folder, as the agent downloads it: its task.json (parsed) and every file of
    the folder, by path relative to it."""

    definition: TaskDefinition
    manifest: dict[str, Any]
    files: dict[str, bytes]


def tasks(records: OrgRecords) -> list[TaskDefinition]:
    """Every task the organization has: built-ins, then those of installed extensions."""
    return [*BUILT_IN, *(task for ext in records.extensions.values() for task in ext.tasks)]


def task_installed(records: OrgRecords, task_id: str, version_spec: str) -> bool:
    """Whether a task of this id exists in a version the spec (``2.*``, ``2``, ``2.1.*``) allows."""
    return bool(_matching(tasks(records), task_id, version_spec))


def task_folder(records: OrgRecords, task_id: str, version_spec: str) -> TaskFolder:
    """The folder of the highest installed version of the task the spec allows; ``LookupError`` saying
    why there is none (unknown task or version, or a built-in Microsoft task: no code in the emulator)."""
    installed = [(ext, t) for ext in records.extensions.values() for t in ext.tasks]
    found = _matching([t for _, t in installed], task_id, version_spec)
    if not found:
        builtin = _matching(list(BUILT_IN), task_id, version_spec)
        if builtin:
            raise LookupError(
                f"Task {builtin[0].name}@{version_spec} ({task_id}) is a built-in Microsoft task: the "
                "emulated agent has no code for it and cannot run it."
            )
        raise LookupError(f"No task {task_id} in a version matching {version_spec} is installed.")
    best = max(found, key=lambda task: task.version)
    extension = next(ext for ext, t in installed if t is best)
    prefix = f"{best.folder}/"
    files = {path[len(prefix) :]: data for path, data in extension.files.items() if path.startswith(prefix)}
    manifest = json.loads(files["task.json"].decode("utf-8-sig"))
    return TaskFolder(best, manifest, files)


def _matching(candidates: list[TaskDefinition], task_id: str, version_spec: str) -> list[TaskDefinition]:
    match = _SPEC.match(version_spec.strip())
    if match is None:
        return []
    wanted = [int(part) if part and part != "*" else None for part in match.groups()]
    return [
        task
        for task in candidates
        if task.id == task_id.lower()
        and all(want is None or want == have for want, have in zip(wanted, task.version, strict=True))
    ]


def read_vsix(data: bytes, now: float) -> Extension:
    """The extension in a .vsix and the tasks it contributes; ``ValueError`` naming what is wrong."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError("The .vsix is not a zip archive.") from exc
    with archive:
        names = set(archive.namelist())
        for needed in (VSIX_MANIFEST, VSO_MANIFEST):
            if needed not in names:
                raise ValueError(f"The .vsix has no {needed}.")
        manifest = archive.read(VSIX_MANIFEST).decode("utf-8-sig")
        identity = _IDENTITY.search(manifest)
        attributes = dict(_ATTRIBUTE.findall(identity.group(1))) if identity else {}
        missing = [key for key in ("Id", "Version", "Publisher") if not attributes.get(key)]
        if missing:
            raise ValueError(f"{VSIX_MANIFEST}: <Identity> lacks {', '.join(missing)}.")
        display = _DISPLAY_NAME.search(manifest)
        publisher, extension_id = attributes["Publisher"], attributes["Id"]
        contributions = _json(archive, VSO_MANIFEST).get("contributions", [])
        found = []
        for contribution in contributions:
            if not isinstance(contribution, dict) or contribution.get("type") != TASK_CONTRIBUTION:
                continue
            folder = str(contribution.get("properties", {}).get("name", "")).strip("/")
            task_file = f"{folder}/task.json"
            if task_file not in names:
                raise ValueError(f"Contribution '{contribution.get('id')}' names {folder}: no task.json.")
            owner = f"{publisher}.{extension_id}"
            found.append(_task(_json(archive, task_file), folder, owner, contribution))
        files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    name = display.group(1) if display else extension_id
    return Extension(publisher, extension_id, name, attributes["Version"], found, now, files)


def install(records: OrgRecords, extension: Extension) -> Extension:
    """Install (or upgrade) the extension in the organization."""
    records.extensions[f"{extension.publisher}.{extension.extension_id}".lower()] = extension
    return extension


def _json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        data = json.loads(archive.read(name).decode("utf-8-sig"))
    except ValueError as exc:
        raise ValueError(f"{name} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{name} is not a JSON object.")
    return data


def _task(data: dict[str, Any], folder: str, extension: str, contribution: dict[str, Any]) -> TaskDefinition:
    where = f"{folder}/task.json"
    version = data.get("version") or {}
    try:
        numbers = tuple(int(version[key]) for key in ("Major", "Minor", "Patch"))
        task_id, name = str(data["id"]).lower(), str(data["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: needs id, name and version {{Major, Minor, Patch}}.") from exc
    return TaskDefinition(
        task_id,
        name,
        str(data.get("friendlyName", name)),
        (numbers[0], numbers[1], numbers[2]),
        str(data.get("author", "")),
        str(data.get("category", "")),
        str(data.get("description", "")),
        f"{extension}.{contribution.get('id', '')}",
        folder,
    )
