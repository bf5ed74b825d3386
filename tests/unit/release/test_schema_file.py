"""The published schema: valid JSON Schema 2020-12, every field titled (messages say what is expected
there from its title) and described (editors show it), the templates valid against it as editors
check them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from slotwise.release.schema import schema_text

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads(schema_text())


def test_it_is_a_valid_2020_12_schema_and_the_shipped_file() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    shipped = ROOT / "src" / "slotwise" / "schemas" / "release-spec.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == SCHEMA


def fields(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            yield f"{path}.{name}", value
        for key, value in node.items():
            if key == "if":
                continue  # a condition's shape, not a field
            if key in ("properties", "$defs"):
                for name, child in value.items():
                    yield from fields(child, f"{path}.{name}")
            elif isinstance(value, (dict, list)):
                yield from fields(value, path)
    elif isinstance(node, list):
        for item in node:
            yield from fields(item, path)


def test_every_field_has_a_title() -> None:
    untitled = [path for path, value in fields(SCHEMA) if "$ref" not in value and "title" not in value]
    assert untitled == []


def test_every_field_of_a_definition_and_a_stage_is_described() -> None:
    for name in ("definition", "stage", "app", "artifact", "approval", "step"):
        for field, value in SCHEMA["$defs"][name]["properties"].items():
            assert "description" in value or "$ref" in value, f"{name}.{field}"


@pytest.mark.parametrize(
    "template", sorted((ROOT / "templates" / "release").glob("*.yaml")), ids=lambda p: p.stem
)
def test_templates_are_valid_for_editors(template: Path) -> None:
    data = yaml.safe_load(template.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(SCHEMA).iter_errors(data)) == []
