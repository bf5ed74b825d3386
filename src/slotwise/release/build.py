"""A validated spec file made into typed ``Definition`` values, with the checks a schema cannot make.

Applies the defaults (folder ``\\``, release name ``Release-$(rev:r)``, ``tasks: slotwise``, slot
``staging``, alias ``_<build>``, continuous deployment on, the ``Azure Pipelines`` queue on
``ubuntu-latest``, retention 30 days / 3 releases / keep the build) and checks what needs more than
one field: the artifact's default version and its branch and tags, then the stages
(``stages.py``) and their steps (``steps.py``), and what the escape hatch (``verbatim``) may
not set. Problems go to the ``Reading``; a definition is
made even when some part had problems (so one run reports them all), and is thrown away then.

Must not: read files, resolve names or render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slotwise.release.catalogue import TaskSet
from slotwise.release.model import App, Artifact, DefaultVersion, Definition, Trigger
from slotwise.release.source import Reading
from slotwise.release.stages import HOSTED_IMAGE, HOSTED_QUEUE, StageDefaults, build_stages
from slotwise.release.variables import build_groups, build_variables
from slotwise.release.verbatim import checked_verbatim

DEFAULT_DESCRIPTION = (
    "Managed by slotwise from a release spec: change the spec and apply it, not this definition."
)
DEFAULT_NAME_FORMAT = "Release-$(rev:r)"
_TAG_VERSIONS = (
    DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS,
    DefaultVersion.LATEST_WITH_BUILD_DEFINITION_BRANCH_AND_TAGS,
)


def build_definition(reading: Reading, raw: Mapping[str, Any]) -> Definition:
    """The definition in ``raw`` (schema-valid), with every problem added to ``reading``."""
    tasks = TaskSet(raw.get("tasks", TaskSet.SLOTWISE.value))
    artifact = _artifact(reading, raw["artifact"], str(raw["project"]))
    app = _app(reading, raw.get("app"))
    queue = str(raw.get("queue", HOSTED_QUEUE))
    defaults = StageDefaults(
        tasks=tasks,
        app=app,
        alias=artifact.alias,
        queue=queue,
        vm_image=raw.get("vmImage", HOSTED_IMAGE if queue == HOSTED_QUEUE else None),
        retention=raw.get("retention", {}),
    )
    return Definition(
        name=str(raw["name"]),
        project=str(raw["project"]),
        folder=folder_path(str(raw.get("folder", "\\"))),
        description=str(raw.get("description", DEFAULT_DESCRIPTION)),
        release_name_format=str(raw.get("releaseNameFormat", DEFAULT_NAME_FORMAT)),
        tags=tuple(sorted(raw.get("tags", []))),
        tasks=tasks,
        variables=build_variables(reading, ("variables",), raw.get("variables", {})),
        variable_groups=build_groups(reading, ("variableGroups",), raw.get("variableGroups", [])),
        artifact=artifact,
        stages=build_stages(reading, raw["stages"], defaults),
        at=reading.at(),
        verbatim=checked_verbatim(reading, ("verbatim",), raw.get("verbatim", {}), stage=False),
    )


def folder_path(folder: str) -> str:
    """A folder as Azure DevOps writes it: ``\\`` or ``\\A\\B`` (``/`` also separates levels)."""
    parts = [part.strip() for part in re.split(r"[\\/]+", folder) if part.strip()]
    return "\\" + "\\".join(parts)


def _artifact(reading: Reading, raw: Mapping[str, Any], project: str) -> Artifact:
    build = str(raw["build"])
    version = DefaultVersion(raw.get("defaultVersion", DefaultVersion.LATEST.value))
    branch = str(raw.get("defaultBranch", ""))
    tags = tuple(raw.get("defaultTags", ()))
    if version is DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS and not branch:
        reading.add(
            ("artifact", "defaultVersion"),
            f"{version.value} needs 'defaultBranch' (the branch to take builds of)",
        )
    if branch and version is not DefaultVersion.LATEST_WITH_BRANCH_AND_TAGS:
        reading.add(
            ("artifact", "defaultBranch"),
            "defaultBranch is used only with defaultVersion latestWithBranchAndTags",
        )
    if tags and version not in _TAG_VERSIONS:
        reading.add(
            ("artifact", "defaultTags"),
            f"defaultTags is used only with defaultVersion {' or '.join(v.value for v in _TAG_VERSIONS)}",
        )
    trigger = raw.get("trigger", True)
    if isinstance(trigger, dict) and trigger.get("tags") and not trigger.get("branches"):
        reading.add(
            ("artifact", "trigger", "tags"),
            "tags filter the builds of the trigger's branches: give 'branches' too",
        )
    return Artifact(
        build=build,
        project=str(raw.get("project", project)),
        alias=str(raw.get("alias", f"_{build}")),
        default_version=version,
        default_branch=branch,
        default_tags=tags,
        trigger=_trigger(trigger),
        at=reading.at("artifact"),
    )


def _trigger(raw: bool | Mapping[str, Any]) -> Trigger | None:
    if raw is False:
        return None
    if raw is True:
        return Trigger()
    return Trigger(branches=tuple(raw.get("branches", ())), tags=tuple(raw.get("tags", ())))


def _app(reading: Reading, raw: Mapping[str, Any] | None) -> App:
    if raw is None:  # no app: every stage's steps must be [] (stages.py says so otherwise)
        return App("", "", "", "staging", "functionApp", "**/*.zip", "**/smoke-checks.yaml", reading.at())
    return App(
        service_connection=str(raw["serviceConnection"]),
        resource_group=str(raw["resourceGroup"]),
        name=str(raw["name"]),
        slot=str(raw.get("slot", "staging")),
        app_type=str(raw.get("appType", "functionApp")),
        package=str(raw.get("package", "**/*.zip")),
        checks=str(raw.get("checks", "**/smoke-checks.yaml")),
        at=reading.at("app"),
    )
