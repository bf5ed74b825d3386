"""A step's inputs checked against its task.json, and made into what a WorkflowTask carries (text).

``check_inputs`` takes the inputs a spec gives a step, the values slotwise fills in from the spec's
``app`` (the service connection, app, resource group...: ``bound``; the first three may not be given
as inputs) and the step's preset values, and answers every input of the task as text: task.json's
defaults, then the preset, the bound values, and what the spec gives. Every mistake is a problem
naming the input and what it allows:

- an input the task does not have (with the near match and the task's inputs);
- a boolean that is not true/false, a fixed pick list value not among its options, a number input
  that is not a number from 0 (a ``$(variable)`` is always allowed: it is only known at run time);
- a required input left empty while it is visible (its ``visibleRule`` holds, as the editor would
  show it).

Must not: know what the task does, or where the values come from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from slotwise.release.catalogue import TaskDef, TaskInput
from slotwise.release.problems import Location, Pointer, Problems, listed, suggest

_MACRO = re.compile(r"\$\([^)]+\)")
_CLAUSE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*(==|=|!=)\s*(.*?)\s*$")
Where = Callable[[Pointer], Location]


def text(value: Any) -> str:
    """A spec value as an input's text: ``true``/``false``, ``2`` (not ``2.0``), or the text itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_inputs(
    task: TaskDef,
    given: Mapping[str, Any],
    *,
    bound: Mapping[str, str],
    reserved: Mapping[str, str],
    preset: Mapping[str, str],
    at: Pointer,
    where: Where,
    problems: Problems,
) -> dict[str, str]:
    """Every input of ``task`` as text. ``reserved`` maps the inputs the spec may not give to the
    spec field that sets them; ``at`` is the pointer of the step's ``inputs``."""
    values = {spec.name: spec.default for spec in task.inputs}
    values.update(preset)
    values.update(bound)
    explicit: dict[str, str] = {}
    for key, value in given.items():
        spec = task.input(key)
        pointer = (*at, key)
        if spec is None:
            names = [i.name for i in task.inputs]
            problems.add(
                where(pointer),
                f"{task.key} ({task.reference}) has no input {key!r}{suggest(key, names)}; "
                f"its inputs: {listed(names)}",
            )
            continue
        if spec.name in reserved:
            problems.add(where(pointer), f"{_named(spec)} is set by {reserved[spec.name]}; remove it here")
            continue
        if spec.name in explicit:
            problems.add(where(pointer), f"{_named(spec)} is given twice (as {key!r}, an alias)")
            continue
        checked = _checked(spec, value, where(pointer), problems)
        if checked is not None:
            explicit[spec.name] = checked
    values.update(explicit)
    for spec in task.inputs:
        if spec.required and not values.get(spec.name, "").strip() and visible(spec, values) is True:
            when = f" when {spec.visible_rule}" if spec.visible_rule else ""
            problems.add(where(at), f"{task.key} needs the input {_named(spec)}{when}; give it a value")
    return values


def _named(spec: TaskInput) -> str:
    return f"{spec.name!r} ({spec.label})" if spec.label and spec.label != spec.name else repr(spec.name)


def _checked(spec: TaskInput, value: Any, where: Location, problems: Problems) -> str | None:
    """``value`` as text if it fits ``spec``'s type, else None and a problem."""
    shown = text(value)
    if isinstance(value, str) and _MACRO.search(value):
        return value  # a $(variable): its value is only known when the release runs
    if spec.boolean:
        if isinstance(value, bool) or shown.lower() in ("true", "false"):
            return shown.lower()
        problems.add(where, f"{_named(spec)} is true or false (or a $(variable)); got {shown!r}")
        return None
    if spec.fixed_options:
        if shown in spec.fixed_options:
            return shown
        problems.add(
            where,
            f"{_named(spec)} is one of {listed(spec.fixed_options)}; got {shown!r}"
            f"{suggest(shown, spec.fixed_options)}",
        )
        return None
    if spec.numeric:
        number = _number(value)
        if number is not None and number >= 0:
            return shown
        problems.add(where, f"{_named(spec)} is a number from 0 (or a $(variable)); got {shown!r}")
        return None
    return shown


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def visible(spec: TaskInput, values: Mapping[str, str]) -> bool | None:
    """Whether the editor shows ``spec`` given the other ``values`` (its ``visibleRule``); None when
    the rule uses what this evaluator does not know (then nothing is claimed about it)."""
    rule = spec.visible_rule.strip()
    if not rule:
        return True
    any_true = False
    for alternative in rule.split("||"):
        results = [_clause(clause, values) for clause in alternative.split("&&")]
        if None in results:
            return None
        any_true = any_true or all(results)
    return any_true


def _clause(clause: str, values: Mapping[str, str]) -> bool | None:
    match = _CLAUSE.match(clause)
    if match is None:
        return None
    name, operator, expected = match.groups()
    if name not in values:
        return None
    expected = expected[1:-1] if len(expected) >= 2 and expected[0] == expected[-1] == '"' else expected
    equal = values[name].strip().lower() == expected.strip().lower()
    return equal if operator in ("=", "==") else not equal
