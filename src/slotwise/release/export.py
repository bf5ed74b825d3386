"""``release export``: an existing release definition as a spec, nothing dropped.

``export(org, project, name_or_id)`` reads the definition (by id, or by name from the project's
listing), describes what it can as spec fields (``export_spec``), renders that spec as ``plan`` would
(with the ids the names were read from), and keeps the difference between that rendering and the
definition in the escape hatch (``verbatim``, a JSON merge patch per definition and per stage), so
the spec renders to the definition again: export then plan shows no changes. A stage whose job is
kept verbatim has ``steps: []`` (its steps would only repeat the verbatim job). Secrets are declared
(``{secret: true, fromEnv: NAME}``), never written: the server does not answer their values.

Must not: write to Azure DevOps, or print.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slotwise.errors import NotFoundError, SlotwiseError, SpecInvalid, UsageError
from slotwise.release.catalogue import TaskDef
from slotwise.release.diff import comparable
from slotwise.release.export_spec import Known, Spec, spec_of
from slotwise.release.gateway import Document, Organization
from slotwise.release.load import parse_specs
from slotwise.release.model import Definition, Variable
from slotwise.release.problems import Location, suggest
from slotwise.release.render import render
from slotwise.release.resolve import Id
from slotwise.release.verbatim import make_patch

SOURCE = "<export>"


def export(org: Organization, project: str, name_or_id: str) -> Spec:
    """The spec of the definition ``name_or_id`` (a name, or an id in digits) of ``project``."""
    document = find_definition(org, project, name_or_id)
    known = Known()
    spec = spec_of(document, project, org.names(project), known)
    definition = _definition(spec)
    if definition is None:  # what was read does not make a valid spec: keep every stage's job verbatim
        spec = _without_steps(spec)
        definition = _definition(spec)
    if definition is None:
        raise SlotwiseError(
            f"The release definition {document.get('name')!r} could not be described as a spec."
        )
    rendered = render(definition, _KnownResolver(known)).document
    return with_verbatim(spec, rendered, document)


def find_definition(org: Organization, project: str, name_or_id: str) -> Document:
    """The whole definition: by id, or by name (ignoring case) from one listing."""
    if name_or_id.isdigit():
        return org.definitions.get(project, int(name_or_id))
    listing = org.definitions.list(project)
    found = [d for d in listing if str(d.get("name", "")).lower() == name_or_id.lower()]
    if not found:
        near = suggest(name_or_id, [str(d.get("name")) for d in listing])
        raise NotFoundError(
            f"No release definition named {name_or_id!r} in project {project}{near}.",
            hint="Give the definition's name as the portal shows it, or its id.",
        )
    if len(found) > 1:
        where = ", ".join(f"{d.get('path')} (id {d.get('id')})" for d in found)
        raise UsageError(
            f"{len(found)} release definitions of project {project} are named {name_or_id!r}: {where}.",
            hint="Give the id of the one to export.",
        )
    return org.definitions.get(project, int(found[0]["id"]))


def with_verbatim(spec: Spec, rendered: Mapping[str, Any], document: Mapping[str, Any]) -> Spec:
    """``spec`` with the merge patches that make its rendering (``rendered``) into ``document``."""
    desired, actual = _comparable(rendered), _comparable(document)
    desired_stages = {str(s["name"]).lower(): s for s in desired.pop("environments", [])}
    actual_stages = {str(s["name"]).lower(): s for s in actual.pop("environments", [])}
    top = without_empty_defaults(make_patch(desired, actual), desired)
    for key in ("name", "path"):  # what the definition is found by: the spec's own fields say it
        top.pop(key, None)
    if top.get("properties", {}) is None:
        top.pop("properties")  # where slotwise marks what it owns
    result = dict(spec)
    if top:
        result["verbatim"] = top
    stages = []
    for stage in spec["stages"]:
        key = str(stage["name"]).lower()
        patch = make_patch(desired_stages[key], actual_stages.get(key, {}))
        patch = without_empty_defaults(patch, desired_stages[key])
        patch.pop("name", None)
        stage = dict(stage)
        if "deployPhases" in patch:
            stage["steps"] = []
            stage.pop("app", None)
        if patch:
            stage["verbatim"] = patch
        stages.append(stage)
    result["stages"] = stages
    if "app" in result and all(s.get("steps") == [] for s in stages):
        result.pop("app")
    return result


def _comparable(document: Mapping[str, Any]) -> Document:
    """What is compared, without secret values (never known: the server answers null)."""
    found = comparable(document)
    for holder in [found, *found.get("environments", [])]:
        for value in (holder.get("variables") or {}).values():
            if isinstance(value, dict) and value.get("isSecret"):
                value.pop("value", None)
    return found


def _definition(spec: Spec) -> Definition | None:
    try:
        (definition,) = parse_specs(json.dumps(spec), SOURCE, json_syntax=True).definitions
    except SpecInvalid:
        return None
    return definition


def _without_steps(spec: Spec) -> Spec:
    stages = [{k: v for k, v in s.items() if k != "app"} | {"steps": []} for s in spec["stages"]]
    return {k: v for k, v in spec.items() if k not in ("app", "tasks")} | {"stages": stages}


class _KnownResolver:
    """Names back to the ids they were read from (what the organization's resolver answers too)."""

    def __init__(self, known: Known) -> None:
        self.known = known

    def _id(self, kind: str, project: str, name: str) -> Id:
        return self.known.ids.get((kind, project.lower(), name.lower()), f"<{kind}:{name}>")

    def project(self, name: str, at: Location) -> str:
        return str(self._id("project", "", name))

    def queue(self, project: str, name: str, at: Location) -> Id:
        return self._id("queue", project, name)

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        return str(self._id("endpoint", project, name))

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        return self._id("build", project, name)

    def identity(self, name: str, at: Location) -> str:
        return str(self._id("identity", "", name))

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        return self._id("group", project, name)

    def task(self, task: TaskDef, at: Location) -> str:
        return task.id

    def environment(self, variable: Variable) -> str:
        return f"<env:{variable.from_env}>"


def without_empty_defaults(patch: dict[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` without the empty lists and objects it would only add where ``desired`` (what
    slotwise renders) says nothing: what Azure DevOps fills in by default, e.g.
    ``preDeploymentGates: {gates: []}``; a spec need not say them, and plan keeps what a spec does not
    set. An empty value that replaces one the rendering has stays, and so does ``null`` (in a merge
    patch it removes a key)."""
    kept: dict[str, Any] = {}
    for key, value in patch.items():
        said = desired.get(key)
        if isinstance(value, dict):
            value = without_empty_defaults(value, said if isinstance(said, Mapping) else {})
        if (value == [] or value == {}) and not said:
            continue
        kept[key] = value
    return kept
