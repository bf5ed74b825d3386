"""Starting a release (``slotwise release start``): which definition, which build, which stages
deploy by themselves; everything checked before the release is created.

``plan_start`` reads, through a ``ReleasesGateway``, the definition (by id, or by name with an
optional folder path ``\\Functions\\orders-api``, in one project or in every project), the build
of each build artifact (``--build``: a build number, else a build id, for the primary artifact;
otherwise the latest succeeded build of the artifact's build pipeline, on its default branch when the
artifact names one) and the stages (``--stage``: only those deploy automatically; every other stage
goes in ``manualEnvironments``, as the portal's "stages to change from automated to manual" does).
Any unknown name ends it there (``NotFoundError``, ``UsageError``): no release is made. ``start``
then creates the release from the plan (``ReleaseStartMetadata``).

Must not: print, read the environment, or build requests (the gateway does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slotwise.errors import NotFoundError, UsageError
from slotwise.release.problems import suggest
from slotwise.releases.run_gateway import Document, ReleasesGateway
from slotwise.text import remote

BRANCH_VERSIONS = ("latestWithBranchAndTagsType", "latestWithBranchAndTags")
USABLE_RESULTS = ("succeeded", "partiallySucceeded")


@dataclass(frozen=True)
class ChosenBuild:
    """The build one artifact of the release takes."""

    alias: str
    pipeline: str  # the build pipeline's name
    pipeline_id: int
    build_id: int
    number: str
    branch: str
    commit: str
    primary: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "definition": self.pipeline,
            "id": self.build_id,
            "number": self.number,
            "branch": self.branch,
            "commit": self.commit,
            "primary": self.primary,
        }


@dataclass(frozen=True)
class StagePlan:
    """What a stage of the new release will do by itself."""

    name: str
    manual: bool  # deploys only when someone deploys it (no automated trigger, or made manual)
    made_manual: bool  # automated in the definition, manual in this release (not chosen)
    on_release: bool  # deploys as soon as the release is created
    after: tuple[str, ...]  # deploys after these stages
    approvers: tuple[str, ...]  # pre-deployment approvers (names), when any

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "automatic": not self.manual,
            "madeManual": self.made_manual,
            "onRelease": self.on_release,
            "after": list(self.after),
            "approvers": list(self.approvers),
        }


@dataclass(frozen=True)
class StartPlan:
    """A release about to be created: all names resolved, nothing sent yet."""

    project: str
    definition_id: int
    definition: str
    path: str
    builds: tuple[ChosenBuild, ...]
    stages: tuple[StagePlan, ...]

    @property
    def manual(self) -> tuple[str, ...]:
        """The stages made manual for this release (``manualEnvironments``)."""
        return tuple(s.name for s in self.stages if s.made_manual)

    def body(self) -> Document:
        """The ``ReleaseStartMetadata`` to send."""
        return {
            "definitionId": self.definition_id,
            "description": "Started by slotwise",
            "isDraft": False,
            "reason": "manual",
            "artifacts": [
                {"alias": b.alias, "instanceReference": {"id": str(b.build_id), "name": b.number}}
                for b in self.builds
            ],
            "manualEnvironments": list(self.manual),
        }


def plan_start(
    gateway: ReleasesGateway,
    definition: str,
    project: str | None,
    *,
    build: str | None,
    stages: Sequence[str],
) -> StartPlan:
    """Everything the release will be, checked; raises before anything is created."""
    where, document = find_definition(gateway, definition, project)
    artifacts = _artifacts(document)
    primary = next((a for a in artifacts if a.get("isPrimary")), artifacts[0])
    chosen = tuple(
        _choose_build(
            gateway, where, artifact, build if artifact is primary else None, primary=artifact is primary
        )
        for artifact in artifacts
    )
    return StartPlan(
        project=where,
        definition_id=int(document.get("id") or 0),
        definition=remote(str(document.get("name") or ""), 200),
        path=remote(str(document.get("path") or "\\"), 200),
        builds=chosen,
        stages=_stage_plans(document, stages),
    )


def start(gateway: ReleasesGateway, plan: StartPlan) -> Document:
    """Create the release ``plan`` describes: the release document the service answered."""
    return gateway.create(plan.project, plan.body())


# ---- the definition --------------------------------------------------------------------------------------
def split_name(given: str) -> tuple[str | None, str]:
    """``(folder, name)`` of ``\\Functions\\orders-api`` (folder ``\\Functions``), or ``(None, name)``."""
    text = given.strip()
    if "\\" not in text:
        return None, text
    folder, _, name = text.rpartition("\\")
    return "\\" + folder.strip("\\"), name


def find_definition(gateway: ReleasesGateway, given: str, project: str | None) -> tuple[str, Document]:
    """The project and the whole definition named (or numbered) ``given``."""
    projects = [project] if project else gateway.projects()
    where_words = f"project {project!r}" if project else "any project you can see"
    if given.strip().isdigit() and project:
        try:
            return project, gateway.definition(project, int(given))
        except NotFoundError:
            raise NotFoundError(
                f"There is no release definition {given} in project {project!r}.",
                hint="Give the definition's id or its name as the portal shows it (with its folder: "
                "\\Functions\\orders-api).",
            ) from None
    folder, name = split_name(given)
    found: list[tuple[str, Document]] = []
    names: list[str] = []
    for where in projects:
        for document in gateway.definitions(where):
            names.append(_full_name(document) if folder is not None else str(document.get("name") or ""))
            if _matches(document, given, folder, name):
                found.append((where, document))
    if not found:
        raise NotFoundError(
            f"No release definition '{given}' in {where_words}{_suggest(given if folder else name, names)}.",
            hint="Give the definition's name as the portal shows it (with its folder to tell same-named "
            "ones apart: \\Functions\\orders-api), or its id.",
        )
    if len(found) > 1:
        listed = ", ".join(f"{w}: {_full_name(d)} (id {d.get('id')})" for w, d in found)
        raise UsageError(
            f"{len(found)} release definitions match '{given}': {remote(listed, 600)}.",
            hint="Name its project, its folder (\\Folder\\name) or give its id.",
        )
    where, document = found[0]
    return where, gateway.definition(where, int(document.get("id") or 0))


def _full_name(document: Document) -> str:
    """``\\Functions\\orders-api``: the definition's folder and name."""
    folder = str(document.get("path") or "\\").rstrip("\\")
    return f"{folder}\\{document.get('name') or ''}"


def _suggest(given: str, names: list[str]) -> str:
    """`` (did you mean '\\Functions\\orders-api'?)``, without Python's doubled backslashes."""
    return suggest(given, names).replace("\\\\", "\\")


def _matches(document: Document, given: str, folder: str | None, name: str) -> bool:
    if given.strip().isdigit() and str(document.get("id")) == given.strip():
        return True
    if str(document.get("name") or "").lower() != name.lower():
        return False
    return (
        folder is None
        or str(document.get("path") or "\\").rstrip("\\").lower() == folder.rstrip("\\").lower()
    )


# ---- the builds ------------------------------------------------------------------------------------------
def _artifacts(document: Document) -> list[Document]:
    artifacts = [a for a in document.get("artifacts") or [] if isinstance(a, dict)]
    if not artifacts:
        raise UsageError(
            f"Release definition {document.get('name')!r} has no artifact: there is no build to release.",
            hint="Add its build artifact to the definition (the spec's artifact), then start it.",
        )
    other = [a for a in artifacts if str(a.get("type") or "Build").lower() != "build"]
    if other:
        raise UsageError(
            f"Release definition {document.get('name')!r} has artifacts that are not builds "
            f"({', '.join(str(a.get('alias')) for a in other)}): slotwise starts releases of build "
            "artifacts.",
            hint="Start this release in the portal, where each artifact's version is chosen.",
        )
    return artifacts


def _reference(artifact: Document, key: str) -> str:
    item = (artifact.get("definitionReference") or {}).get(key) or {}
    return str(item.get("id") or "")


def _choose_build(
    gateway: ReleasesGateway, project: str, artifact: Document, given: str | None, *, primary: bool
) -> ChosenBuild:
    pipeline_id = int(_reference(artifact, "definition") or 0)
    pipeline = remote(
        str(((artifact.get("definitionReference") or {}).get("definition") or {}).get("name") or pipeline_id),
        200,
    )
    where = _reference(artifact, "project") or project
    alias = str(artifact.get("alias") or "")
    if given is not None:
        build = _numbered(gateway, where, pipeline_id, pipeline, given)
    else:
        build = _latest(gateway, where, pipeline_id, pipeline, artifact)
    return ChosenBuild(
        alias=alias,
        pipeline=pipeline,
        pipeline_id=pipeline_id,
        build_id=int(build.get("id") or 0),
        number=remote(str(build.get("buildNumber") or ""), 200),
        branch=remote(str(build.get("sourceBranch") or ""), 200),
        commit=remote(str(build.get("sourceVersion") or ""), 100),
        primary=primary,
    )


def _numbered(
    gateway: ReleasesGateway, project: str, pipeline_id: int, pipeline: str, given: str
) -> Document:
    """The build of the pipeline numbered ``given``, else with id ``given``; it must have succeeded."""
    wanted = given.strip()
    by_number = [
        b
        for b in gateway.builds(project, pipeline_id, number=wanted)
        if str(b.get("buildNumber")).lower() == wanted.lower()
    ]
    found: Document | None = by_number[0] if by_number else None
    if found is None and wanted.isdigit():
        try:
            by_id = gateway.build(project, int(wanted))
        except NotFoundError:
            by_id = {}
        if int(((by_id.get("definition") or {}).get("id")) or 0) == pipeline_id:
            found = by_id
    if found is None:
        recent = [str(b.get("buildNumber")) for b in gateway.builds(project, pipeline_id, top=5)]
        latest = (
            f" Its latest builds: {remote(', '.join(recent), 300)}."
            if recent
            else " It has no completed build."
        )
        raise NotFoundError(
            f"Build pipeline {pipeline} has no completed build numbered {wanted!r} (nor with that id)."
            f"{latest}",
            hint="Give a build number as the pipeline's runs show it (such as 20261202.3) or a build id; "
            "without one, the latest succeeded build is released.",
        )
    result = str(found.get("result") or "")
    if result not in USABLE_RESULTS:
        raise UsageError(
            f"Build {found.get('buildNumber')} of {pipeline} did not succeed ({result or 'no result'}): "
            "it is not released.",
            hint="Release a build that succeeded.",
        )
    return found


def _latest(
    gateway: ReleasesGateway, project: str, pipeline_id: int, pipeline: str, artifact: Document
) -> Document:
    """The artifact's build pipeline's latest succeeded build (on the artifact's default branch)."""
    branch = None
    if _reference(artifact, "defaultVersionType") in BRANCH_VERSIONS:
        branch = _reference(artifact, "defaultVersionBranch") or None
    found = gateway.builds(project, pipeline_id, branch=branch, succeeded=True, top=1)
    if not found:
        on = f" on {branch}" if branch else ""
        raise NotFoundError(
            f"Build pipeline {pipeline} has no succeeded build{on} to release.",
            hint="Run the build pipeline first, or name a build by its number.",
        )
    return found[0]


# ---- the stages ------------------------------------------------------------------------------------------
def _stage_plans(document: Document, chosen: Sequence[str]) -> tuple[StagePlan, ...]:
    environments = sorted(
        (e for e in document.get("environments") or [] if isinstance(e, dict)),
        key=lambda e: int(e.get("rank") or 0),
    )
    names = [str(e.get("name") or "") for e in environments]
    wanted = {c.lower() for c in chosen}
    unknown = [c for c in chosen if c.lower() not in {n.lower() for n in names}]
    if unknown:
        raise UsageError(
            f"Release definition {document.get('name')!r} has no stage "
            f"{', '.join(repr(u) for u in unknown)}{suggest(unknown[0], names)}; its stages are "
            f"{', '.join(names)}.",
            hint="Name stages as the definition names them.",
        )
    plans = []
    for environment in environments:
        on_release, after = _triggers(environment)
        automated = on_release or bool(after)
        made_manual = automated and bool(wanted) and str(environment.get("name")).lower() not in wanted
        plans.append(
            StagePlan(
                name=remote(str(environment.get("name") or ""), 200),
                manual=not automated or made_manual,
                made_manual=made_manual,
                on_release=on_release,
                after=after,
                approvers=_approvers(environment),
            )
        )
    return tuple(plans)


def _triggers(environment: Document) -> tuple[bool, tuple[str, ...]]:
    on_release, after = False, []
    for condition in environment.get("conditions") or []:
        kind = condition.get("conditionType")
        kind = {1: "event", 2: "environmentState"}.get(kind, kind) if isinstance(kind, int) else kind
        if kind == "event":
            on_release = True
        elif kind == "environmentState":
            after.append(remote(str(condition.get("name") or ""), 200))
    return on_release, tuple(after)


def _approvers(environment: Document) -> tuple[str, ...]:
    """Who approves the stage before it deploys (names when the definition says them)."""
    names = []
    for approval in (environment.get("preDeployApprovals") or {}).get("approvals") or []:
        if approval.get("isAutomated"):
            continue
        approver = approval.get("approver") or {}
        label = approver.get("uniqueName") or approver.get("displayName") or "an approver"
        names.append(remote(str(label), 200))
    return tuple(names)
