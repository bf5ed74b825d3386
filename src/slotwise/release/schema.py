"""The published JSON Schema of release specs, and its violations as problems people can act on.

Owns ``schemas/release-spec.schema.json`` (package data; ``slotwise release --print-schema``) and
``schema_problems(source)``: every violation in a file, each at its field's line, saying what is
wrong and what is allowed there (from the schema's ``title``), with the near match for a mistyped
key or value. Where a value may take several shapes (``anyOf``/``oneOf``), the best-matching shape's
complaint is reported, once per field.

Must not: check meaning the schema cannot express (``build`` does), or read files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

from slotwise.release.problems import Pointer, Problem, listed, suggest
from slotwise.release.source import SourceFile

SCHEMA_FILE = "release-spec.schema.json"
ROOT_EXPECTED = "a release definition (a mapping with name, project, artifact, app, stages) or 'definitions'"


def schema_text() -> str:
    """The published JSON Schema of release specs, as shipped."""
    return resources.files("slotwise").joinpath(f"schemas/{SCHEMA_FILE}").read_text(encoding="utf-8")


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


def schema_problems(source: SourceFile) -> list[tuple[Pointer, Problem]]:
    """Every schema violation in ``source``, one problem per field and complaint, with its pointer."""
    problems: dict[Problem, Pointer] = {}
    for error in _validator().iter_errors(source.data):
        for leaf in _leaves(error):
            for pointer, message in explain(leaf):
                problems.setdefault(Problem.at(source.at(pointer), message), pointer)
    return [(pointer, problem) for problem, pointer in problems.items()]


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The error itself, or for ``anyOf``/``oneOf`` the complaint of the best-matching branch."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        chosen = best_match(error.context)
        if chosen is not None:
            yield from _leaves(chosen)
            return
    yield error


def explain(error: ValidationError) -> list[tuple[Pointer, str]]:
    """(pointer, sentence) for a schema violation: what is wrong and what is expected there."""
    pointer: Pointer = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = str(schema.get("title", ""))
    expected = f"; expected {title}" if title else ""
    kind, instance = error.validator, error.instance
    show = _kind_of if _in_a_variable(pointer) else _show
    if not pointer and not isinstance(instance, dict):
        what = "the file is empty" if instance is None else f"got {_show(instance)} at the top"
        return [(pointer, f"{what}; expected {ROOT_EXPECTED}")]
    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        return [((*pointer, instance), f"{instance!r} is not allowed as a name here{expected}")]
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        extras = sorted(set(instance) - set(allowed))
        return [
            (
                (*pointer, name),
                f"unknown field {name!r}{suggest(name, allowed)}; allowed here: {listed(allowed)}",
            )
            for name in extras
        ]
    if kind == "required" and isinstance(instance, dict):
        missing = [name for name in cast(list[str], error.validator_value) if name not in instance]
        return [(pointer, f"missing field {name!r}{expected}") for name in missing]
    if kind == "enum":
        allowed_values = [str(v) for v in cast(list[Any], error.validator_value)]
        guess = suggest(str(instance), allowed_values) if isinstance(instance, str) else ""
        return [(pointer, f"got {show(instance)}{guess}; allowed: {listed(allowed_values)}")]
    if kind == "const":
        return [(pointer, f"got {show(instance)}{expected}")]
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return [(pointer, f"got {show(instance)}; must be {bound} {error.validator_value}{expected}")]
    if kind == "minItems" and instance == []:
        return [(pointer, f"the list is empty{expected}")]
    if kind == "minLength" and instance == "":
        return [(pointer, f"the text is empty{expected}")]
    if kind == "uniqueItems":
        return [(pointer, f"the list repeats a value{expected}")]
    return [(pointer, f"got {show(instance)}{expected}")]


def _in_a_variable(pointer: Pointer) -> bool:
    """Whether ``pointer`` is inside a variable's value: variable values are never quoted (one may
    be a secret written where it should not be)."""
    return any(step == "variables" and index < len(pointer) - 1 for index, step in enumerate(pointer[:-1]))


def _kind_of(value: Any) -> str:
    """What ``value`` is, without its content."""
    if isinstance(value, str):
        return "a text"
    return "a number" if isinstance(value, (int, float)) and not isinstance(value, bool) else _show(value)


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"the text {shown}" if isinstance(value, str) else f"the number {shown}"
