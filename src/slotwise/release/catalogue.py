"""The tasks a spec's steps may name: id, major version, inputs.

Two catalogues, chosen by the spec's ``tasks:``:

- ``slotwise``: the extension's four tasks, keyed by folder (``deploy-to-slot``...), read from
  ``tasks/<folder>/task.json``, the one source of truth. An installed slotwise carries them as
  ``slotwise/release/tasks/<folder>/task.json``: ``setup.py`` copies them into the wheel when it is
  built (they are not duplicated in ``src/``); a source checkout (an editable install, the tests)
  reads ``tasks/`` itself.
- ``builtin``: Microsoft's ``AzureFunctionApp@2`` (as ``deploy-to-slot``) and
  ``AzureAppServiceManage@0`` (as ``slot-swap``), from ``release/builtin_tasks.json``: slotwise's
  own facts about them (ids, and the inputs a spec may give or rendering emits, with their type,
  required, allowed values, defaults, aliases and when a required one is shown), written for
  slotwise, not copied from Microsoft, and checked against their task.json by the tests. It leaves
  out what a slot deployment must not set (``isFlexConsumption``: Flex Consumption has no slots) and
  the actions of ``AzureAppServiceManage`` that are no swap. The other two steps have no built-in
  equivalent.

An input knows its type as the editor does: ``boolean``; a pick list with fixed options (not
``EditableOptions``); a number (``properties.isVariableOrNonNegativeNumber``, or type ``int``); text.

Must not: validate a spec's values (``inputs`` does) or know what a step means.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slotwise.errors import ConfigError

if TYPE_CHECKING:
    from importlib.abc import Traversable

TASK_JSON = "task.json"
PACKAGED_TASKS = "release/tasks"  # inside the slotwise package, in a built wheel
CHECKOUT_TASKS = Path(__file__).resolve().parents[3] / "tasks"  # src/slotwise/release/ → the checkout
BUILTIN_FACTS = "release/builtin_tasks.json"  # inside the slotwise package


class TaskSet(Enum):
    """Which tasks a spec's steps run (the spec's ``tasks:``)."""

    SLOTWISE = "slotwise"
    BUILTIN = "builtin"


@dataclass(frozen=True)
class TaskInput:
    """One input of a task.json, as the editor sees it."""

    name: str
    label: str
    type: str
    required: bool
    default: str
    options: tuple[str, ...] = ()
    editable: bool = False  # a pick list whose value may be typed (EditableOptions)
    numeric: bool = False  # a number or a $(variable)
    visible_rule: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def boolean(self) -> bool:
        return self.type == "boolean"

    @property
    def fixed_options(self) -> tuple[str, ...]:
        """The only values allowed (a pick list or radio without EditableOptions), else ()."""
        return self.options if self.options and not self.editable else ()

    @property
    def connection(self) -> bool:
        return self.type.startswith("connectedService:")

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TaskInput:
        properties = raw.get("properties") or {}
        options = raw.get("options") or {}
        default = raw.get("defaultValue", "")
        kind = str(raw.get("type") or "string")
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label") or raw["name"]),
            type=kind,
            required=bool(raw.get("required", False)),
            default=str(default).lower() if isinstance(default, bool) else str(default or ""),
            options=tuple(str(k) for k in options) if isinstance(options, Mapping) else (),
            editable=str(properties.get("EditableOptions", "")).lower() == "true",
            numeric=kind == "int"
            or str(properties.get("isVariableOrNonNegativeNumber", "")).lower() == "true",
            visible_rule=str(raw.get("visibleRule") or ""),
            aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        )

    @classmethod
    def from_facts(cls, name: str, raw: Mapping[str, Any]) -> TaskInput:
        """An input of ``builtin_tasks.json``: its ``options`` are the only values allowed (a pick
        list without them takes any text); ``shownWhen`` ({input: values it shows for}) becomes the
        ``visibleRule`` the editor would read."""
        return cls(
            name=name,
            label=name,
            type=str(raw["type"]),
            required=bool(raw.get("required", False)),
            default=str(raw.get("default", "")),
            options=tuple(str(o) for o in raw.get("options", ())),
            numeric=raw["type"] == "int",
            visible_rule=_rule(raw.get("shownWhen", {})),
            aliases=tuple(str(a) for a in raw.get("aliases", ())),
        )


def _rule(shown_when: Mapping[str, list[str]]) -> str:
    """``{a: [x, y], b: [z]}`` as a visibleRule: ``a = x && b = z || a = y && b = z``."""
    choices = [[f"{name} = {value}" for value in values] for name, values in shown_when.items()]
    return " || ".join(" && ".join(clauses) for clauses in product(*choices)) if choices else ""


@dataclass(frozen=True)
class TaskDef:
    """A task a step runs: what a WorkflowTask names (id, ``<major>.*``) and its inputs."""

    key: str  # what a spec calls it: deploy-to-slot, slot-swap, smoke-test, guard-against-overwrite
    id: str
    name: str  # task.json name: SlotwiseDeployToSlot, AzureFunctionApp...
    major: int
    friendly_name: str
    instance_name_format: str
    inputs: tuple[TaskInput, ...]

    @property
    def version(self) -> str:
        return f"{self.major}.*"

    @property
    def reference(self) -> str:
        """As YAML pipelines name it: ``SlotwiseDeployToSlot@1``."""
        return f"{self.name}@{self.major}"

    def input(self, name: str) -> TaskInput | None:
        """The input called ``name`` (or one of its aliases), exactly as task.json spells it."""
        for spec in self.inputs:
            if name == spec.name or name in spec.aliases:
                return spec
        return None

    @classmethod
    def parse(cls, key: str, raw: Mapping[str, Any]) -> TaskDef:
        version = raw.get("version") or {}
        return cls(
            key=key,
            id=str(raw["id"]).lower(),
            name=str(raw["name"]),
            major=int(version.get("Major", 0)),
            friendly_name=str(raw.get("friendlyName") or raw["name"]),
            instance_name_format=str(raw.get("instanceNameFormat") or raw.get("friendlyName") or raw["name"]),
            inputs=tuple(TaskInput.parse(i) for i in raw.get("inputs") or ()),
        )

    @classmethod
    def from_facts(cls, key: str, raw: Mapping[str, Any]) -> TaskDef:
        """A task of ``builtin_tasks.json``."""
        name, major = str(raw["task"]), int(raw["major"])
        return cls(
            key=key,
            id=str(raw["id"]).lower(),
            name=name,
            major=major,
            friendly_name=f"{name}@{major}",
            instance_name_format=str(raw["nameFormat"]),
            inputs=tuple(TaskInput.from_facts(n, i) for n, i in raw["inputs"].items()),
        )


def catalogue(tasks: TaskSet) -> Mapping[str, TaskDef]:
    """The tasks of ``tasks`` by the key a spec uses."""
    return _slotwise() if tasks is TaskSet.SLOTWISE else _builtin()


def all_step_keys() -> tuple[str, ...]:
    """Every key a step may name in some catalogue, sorted."""
    return tuple(sorted({*_slotwise(), *_builtin()}))


@cache
def _slotwise() -> Mapping[str, TaskDef]:
    found = dict(_slotwise_files())
    if not found:
        raise ConfigError(
            "This slotwise installation has no task definitions (task.json) of its pipeline tasks.",
            hint="Reinstall slotwise from a wheel built by `pip wheel` or `scripts/package`.",
        )
    return {key: TaskDef.parse(key, json.loads(text)) for key, text in sorted(found.items())}


def _slotwise_files() -> Iterator[tuple[str, str]]:
    """(folder, task.json text) of the packaged tasks, else of the checkout's ``tasks/``."""
    packaged = resources.files("slotwise").joinpath(PACKAGED_TASKS)
    if packaged.is_dir():
        yield from _folders(packaged)
    elif CHECKOUT_TASKS.is_dir():
        yield from _folders(CHECKOUT_TASKS)


def _folders(root: Traversable | Path) -> Iterator[tuple[str, str]]:
    for folder in root.iterdir():
        task_json = folder.joinpath(TASK_JSON)
        if folder.is_dir() and not folder.name.startswith("_") and task_json.is_file():
            yield folder.name, task_json.read_text(encoding="utf-8-sig")


@cache
def _builtin() -> Mapping[str, TaskDef]:
    facts = json.loads(resources.files("slotwise").joinpath(BUILTIN_FACTS).read_text(encoding="utf-8"))
    return {key: TaskDef.from_facts(key, raw) for key, raw in sorted(facts["tasks"].items())}
