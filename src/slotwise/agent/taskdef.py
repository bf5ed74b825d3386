"""What a task's ``task.json`` says about its inputs: labels, defaults, aliases, pick-list options.

The agent fills in defaults itself and passes only values, so the agent package needs task.json for
one thing above all: naming an input by the label the pipeline author saw in the editor ("The input
'App name' (appName) is required."). Defaults are read too, as a fallback when the agent did not
pass an input at all (an older agent, a hand-made environment), with ``$(Variable.Name)`` macros
expanded from the environment as the agent would.

Must not: validate values (``inputs`` does), or fail a run because task.json is missing or damaged:
without it inputs are named by their names, and ``TaskDefinition.problem`` says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASK_JSON = "task.json"
_MACRO = re.compile(r"\$\(([A-Za-z0-9_. ]+)\)")


def env_name(name: str) -> str:
    """A variable or input name as the agent puts it in the environment: ``.`` and space → ``_``,
    upper-cased, nothing else changed."""
    return name.replace(".", "_").replace(" ", "_").upper()


def expand(value: str, env: Mapping[str, str]) -> str:
    """``$(System.DefaultWorkingDirectory)`` and the like replaced by their values; unknown macros
    are left as they are (the agent does the same)."""
    return _MACRO.sub(lambda m: env.get(env_name(m.group(1)), m.group(0)), value)


def has_macro(value: str) -> bool:
    return bool(_MACRO.search(value))


@dataclass(frozen=True)
class InputDef:
    """One input of task.json."""

    name: str
    label: str = ""
    type: str = "string"
    default: str | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> InputDef:
        options = raw.get("options")
        default = raw.get("defaultValue")
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label") or ""),
            type=str(raw.get("type") or "string"),
            default=str(default).lower() if isinstance(default, bool) else _text(default),
            required=bool(raw.get("required", False)),
            aliases=tuple(str(a) for a in raw.get("aliases") or () if isinstance(a, str)),
            options=tuple(str(k) for k in options) if isinstance(options, Mapping) else (),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class TaskDefinition:
    """The inputs of one task, by name (case-insensitively, as the environment is)."""

    name: str = ""
    inputs: Mapping[str, InputDef] = field(default_factory=dict)
    problem: str | None = None  # why task.json could not be read, if it could not

    @classmethod
    def load(cls, task_dir: Path | None) -> TaskDefinition:
        """The definition in ``task_dir/task.json``; an empty one (with ``problem``) if unreadable."""
        if task_dir is None:
            return cls(problem="no task folder was given")
        path = task_dir / TASK_JSON if task_dir.is_dir() or task_dir.suffix != ".json" else task_dir
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            inputs = [InputDef.parse(raw) for raw in data.get("inputs") or [] if isinstance(raw, dict)]
        except OSError as error:
            return cls(problem=f"cannot read {path}: {error.strerror or error}")
        except (ValueError, KeyError, AttributeError, TypeError):
            return cls(problem=f"{path} is not a valid task.json")
        return cls(name=str(data.get("name") or ""), inputs={i.name.lower(): i for i in inputs})

    def get(self, name: str) -> InputDef | None:
        return self.inputs.get(name.lower())

    def describe(self, name: str) -> str:
        """``'App name' (appName)``, or ``'appName'`` without a label."""
        found = self.get(name)
        if found is not None and found.label and found.label != name:
            return f"'{found.label}' ({name})"
        return f"'{name}'"
