"""Property: whatever a spec holds, checking it answers definitions or problems, never an exception,
and every problem points at a line of the file. Specs are the valid base spec with parts replaced by
arbitrary values (so the checks past the schema are reached, not only the schema's)."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.release.load import check_specs
from slotwise.release.render import render_all
from slotwise.release.resolve import OfflineResolver

BASE: dict[str, Any] = {
    "name": "orders-api",
    "project": "Fabrikam",
    "artifact": {"build": "orders-api-CI", "trigger": {"branches": ["main"]}},
    "app": {"serviceConnection": "c", "resourceGroup": "g", "name": "n"},
    "variables": {"A": "1", "S": {"secret": True, "fromEnv": "S"}},
    "stages": [
        {"name": "Staging", "steps": [{"task": "deploy-to-slot", "inputs": {"createSlot": True}}]},
        {"name": "Production", "after": "Staging", "approvals": {"before": {"approvers": ["a@b.c"]}}},
    ],
}
PATHS: list[tuple[str | int, ...]] = [
    ("name",),
    ("tasks",),
    ("folder",),
    ("artifact", "defaultVersion"),
    ("artifact", "defaultBranch"),
    ("artifact", "trigger"),
    ("app", "slot"),
    ("variables", "S"),
    ("variables", "secretX"),
    ("stages", 0, "name"),
    ("stages", 0, "after"),
    ("stages", 0, "steps"),
    ("stages", 0, "steps", 0, "task"),
    ("stages", 0, "steps", 0, "inputs", "createSlot"),
    ("stages", 0, "steps", 0, "inputs", "slotName"),
    ("stages", 0, "steps", 0, "inputs", "unknown"),
    ("stages", 1, "after"),
    ("stages", 1, "name"),
    ("stages", 1, "approvals", "before", "required"),
    ("stages", 1, "approvals", "before", "timeout"),
    ("stages", 1, "approvals", "before", "approvers"),
    ("stages", 1, "queueing"),
]
WORDS = st.sampled_from(
    ["Staging", "Production", "staging", "release", "manual", "deploy", "swap", "all", "7d", "0", "slot-swap",
     "deploy-to-slot", "builtin", "production", "$(x)", "", "latestWithBranchAndTags", "-1"]
)  # fmt: skip
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 600_000), WORDS, st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(WORDS, inner, max_size=3)),
    max_leaves=6,
)


def replaced(spec: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """``value`` at ``path`` in ``spec``, where the path still leads somewhere."""
    node: Any = spec
    for step in path[:-1]:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return
    last = path[-1]
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
        node[last] = value


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=4))
def test_any_spec_gives_definitions_or_problems_at_its_lines(changes: list[tuple[Any, Any]]) -> None:
    spec = copy.deepcopy(BASE)
    for path, value in changes:
        replaced(spec, path, value)
    text = yaml.safe_dump(spec, sort_keys=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        specs, problems = check_specs([path])
    lines = text.count("\n")
    assert all(1 <= p.line <= lines for p in problems), problems
    assert all(p.message and p.field for p in problems)
    if not problems:
        assert len(specs.definitions) == 1
        render_all(specs.definitions, OfflineResolver())  # a valid spec always renders
