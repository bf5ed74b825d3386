"""Property: for any spec slotwise accepts, render → store (as Azure DevOps would) → export → render
again gives the same document; and a spec without verbatim exports without verbatim (everything
slotwise made is expressed as spec fields)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slotwise.errors import SpecInvalid
from slotwise.release.diff import comparable
from slotwise.release.export import export
from slotwise.release.export_spec import env_name
from slotwise.release.load import parse_specs
from slotwise.release.render import render
from tests.unit.release.orgs import IDENTITIES, fabrikam

STAGE_NAMES = ["Test", "Staging", "Production", "Canary"]
SLOTWISE_STEPS = ["guard-against-overwrite", "deploy-to-slot", "smoke-test", "slot-swap"]


@st.composite
def approvals(draw: st.DrawFn) -> dict[str, Any]:
    people = draw(st.lists(st.sampled_from(IDENTITIES), min_size=1, max_size=3, unique=True))
    found: dict[str, Any] = {"approvers": people}
    if len(people) > 1 and draw(st.booleans()):
        found["order"] = "sequence"
    elif draw(st.booleans()):
        found["required"] = draw(st.integers(1, len(people)))
    if draw(st.booleans()):
        found["timeout"] = draw(st.sampled_from([1, 90, "12h", "3d", 525600]))
    flags = {"creatorCanApprove": st.booleans(), "revalidateIdentity": st.booleans()}
    found.update(draw(st.fixed_dictionaries({}, optional=flags)))
    return found


@st.composite
def variables(draw: st.DrawFn, stage: str) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["Region", "Api.Url", "Key", "Level"]), max_size=3, unique=True))
    found: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(["plain", "settable", "secret"]))
        if kind == "secret":
            found[name] = {"secret": True, "fromEnv": env_name(name, stage)}
        elif kind == "settable":
            found[name] = {"value": draw(st.text("abc-1 ", max_size=5)), "settableAtRelease": True}
        else:
            found[name] = draw(st.text("abc-1 ", max_size=5))
    return found


@st.composite
def stages(draw: st.DrawFn, tasks: str) -> list[dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(STAGE_NAMES), min_size=1, max_size=3, unique=True))
    found = []
    for index, name in enumerate(names):
        stage: dict[str, Any] = {"name": name}
        earlier = names[:index]
        after = draw(st.sampled_from(["default", "release", "manual", *(["some"] if earlier else [])]))
        if after == "some":
            stage["after"] = draw(st.lists(st.sampled_from(earlier), min_size=1, unique=True))
        elif after != "default":
            stage["after"] = after
        if draw(st.booleans()):
            stage["approvals"] = {draw(st.sampled_from(["before", "after"])): draw(approvals())}
        steps = draw(st.sampled_from(["default", "deploy", "list", "none"]))
        if steps == "list":
            keys = SLOTWISE_STEPS if tasks == "slotwise" else ["deploy-to-slot", "slot-swap"]
            chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3))
            stage["steps"] = [{"task": key, **({"name": f"step {i}"} if draw(st.booleans()) else {})}
                              for i, key in enumerate(chosen)]  # fmt: skip
        elif steps == "none":
            stage["steps"] = []
        elif steps == "deploy":
            stage["steps"] = "deploy"
        if draw(st.booleans()):
            subsequent = draw(st.sampled_from(["deployAll", "deployLatest"]))
            stage["queueing"] = {"maxConcurrent": draw(st.integers(1, 3)), "subsequent": subsequent}
        if draw(st.booleans()):
            stage["queue"] = "Default"
        if draw(st.booleans()):
            stage["variables"] = draw(variables(name))
        if draw(st.booleans()):
            stage["app"] = {"slot": draw(st.sampled_from(["blue", "qa"]))}
        if draw(st.booleans()):
            stage["jobTimeoutMinutes"] = draw(st.integers(1, 600))
        found.append(stage)
    return found


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    tasks = draw(st.sampled_from(["slotwise", "builtin"]))
    version = draw(st.sampled_from(["latest", "latestWithBranchAndTags", "selectDuringReleaseCreation"]))
    artifact: dict[str, Any] = {"build": "orders-api-CI", "defaultVersion": version}
    if version == "latestWithBranchAndTags":
        artifact["defaultBranch"] = "refs/heads/main"
        artifact["defaultTags"] = draw(st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True))
    artifact["trigger"] = draw(st.sampled_from([True, False, {"branches": ["refs/heads/main"]},
                                                {"branches": ["main", "dev"], "tags": ["ok"]}]))  # fmt: skip
    spec: dict[str, Any] = {
        "name": "orders-api",
        "project": "Fabrikam",
        "folder": draw(st.sampled_from(["\\", "\\Functions", "/A/B"])),
        "tasks": tasks,
        "artifact": artifact,
        "app": {"serviceConnection": "contoso-azure", "resourceGroup": "rg", "name": "func"},
        "variables": draw(variables("")),
        "stages": draw(stages(tasks)),
    }
    if draw(st.booleans()):
        spec["tags"] = draw(st.lists(st.sampled_from(["x", "y"]), min_size=1, unique=True))
    if draw(st.booleans()):
        spec["variableGroups"] = ["orders-settings"]
    return spec


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_render_store_export_render_gives_the_same_document(spec: dict[str, Any]) -> None:
    try:
        (definition,) = parse_specs(yaml.safe_dump(spec), "spec.yaml").definitions
    except SpecInvalid:
        assume(False)
        return
    holders = [spec.get("variables") or {}, *(stage.get("variables") or {} for stage in spec["stages"])]
    secret_names = {
        v["fromEnv"] for held in holders for v in held.values() if isinstance(v, dict) and "fromEnv" in v
    }
    org = fabrikam({name: f"value-of-{name}" for name in secret_names})
    first = render(definition, org.resolver([])).document
    org.store.create("Fabrikam", first, comment="test")
    exported = export(org, "Fabrikam", "orders-api")
    assert "verbatim" not in exported, exported.get("verbatim")
    assert all("verbatim" not in stage for stage in exported["stages"]), exported["stages"]
    (again,) = parse_specs(yaml.safe_dump(exported), "exported.yaml").definitions
    second = render(again, org.resolver([])).document
    assert comparable(second) == comparable(first)
