"""Release variables and variable groups of a definition or a stage, read from a validated spec.

A variable is a literal (text, number, true/false) or comes from the environment of the command
that applies the spec (``fromEnv: NAME``). A secret variable must come from the environment: its
value is never written in a spec file, and ``value`` beside ``secret: true`` is a problem. Names
are checked as Azure Pipelines treats them: case-insensitively (``Foo`` and ``foo`` are one
variable), and not starting with a prefix the agent reserves (their values never reach a task).

Must not: read the environment (a resolver does, when the definition is rendered for sending).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slotwise.release.inputs import text
from slotwise.release.model import Named, Variable
from slotwise.release.problems import Pointer
from slotwise.release.source import Reading

# Azure Pipelines: "Don't use variable prefixes reserved by the system: endpoint, input, secret,
# path, and securefile. Any variable that begins with one of these strings (regardless of
# capitalization) won't be available to your tasks and scripts."
RESERVED_PREFIXES = ("endpoint", "input", "secret", "path", "securefile")


def build_variables(reading: Reading, at: Pointer, raw: Mapping[str, Any]) -> tuple[Variable, ...]:
    """The variables at ``at`` (sorted by name), checked."""
    seen: dict[str, str] = {}
    variables: list[Variable] = []
    for name, value in raw.items():
        pointer = (*at, name)
        lower = name.lower()
        if lower in seen:
            reading.add(
                pointer,
                f"{name!r} and {seen[lower]!r} are one variable to Azure Pipelines (names ignore case); "
                "keep one",
            )
            continue
        seen[lower] = name
        reserved = next((p for p in RESERVED_PREFIXES if lower.startswith(p)), None)
        if reserved is not None:
            reading.add(
                pointer,
                f"names starting with {reserved!r} are reserved by Azure Pipelines (endpoint, input, "
                "secret, path, securefile): the variable would never reach a task; rename it",
            )
            continue
        variable = _variable(reading, pointer, name, value)
        if variable is not None:
            variables.append(variable)
    return tuple(sorted(variables, key=lambda v: v.name.lower()))


def _variable(reading: Reading, at: Pointer, name: str, value: Any) -> Variable | None:
    where = reading.where(at)
    if not isinstance(value, dict):
        return Variable(name, text(value), None, secret=False, settable_at_release=False, at=where)
    secret = bool(value.get("secret", False))
    from_env = value.get("fromEnv")
    literal = value.get("value")
    if secret and literal is not None:
        reading.add(
            (*at, "value"),
            "a secret's value never goes in a spec file: remove 'value' and give 'fromEnv: NAME', "
            "an environment variable set where the spec is applied",
        )
        return None
    if secret and from_env is None:
        reading.add(at, "a secret variable needs 'fromEnv: NAME' (an environment variable holding its value)")
        return None
    if literal is not None and from_env is not None:
        reading.add(at, "gives both 'value' and 'fromEnv'; keep one")
        return None
    if literal is None and from_env is None:
        reading.add(at, "needs 'value' (or 'fromEnv: NAME' to take it from the environment)")
        return None
    return Variable(
        name,
        None if literal is None else text(literal),
        from_env,
        secret=secret,
        settable_at_release=bool(value.get("settableAtRelease", False)),
        at=where,
    )


def build_groups(reading: Reading, at: Pointer, raw: list[str]) -> tuple[Named, ...]:
    """The variable groups at ``at``, by name (each once, case-insensitively)."""
    seen: set[str] = set()
    groups: list[Named] = []
    for index, name in enumerate(raw):
        if name.lower() in seen:
            reading.add((*at, index), f"the variable group {name!r} is listed twice")
            continue
        seen.add(name.lower())
        groups.append(Named(name, reading.where((*at, index))))
    return tuple(groups)
