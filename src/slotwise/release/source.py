"""Reading release spec files: YAML or JSON, one or many files or folders, with a line for every field.

``read_sources(paths)`` expands folders (``*.yaml``, ``*.yml``, ``*.json``, recursively, sorted) and
reads each file into a ``SourceFile``: its data as JSON sees it, and the line of every field (by
pointer), so a problem anywhere can be reported as ``file:line: field``. Any file is either a
``SourceFile`` or problems naming it: unreadable files, YAML or JSON syntax, duplicate keys (YAML
would silently keep the last), unknown YAML tags, what JSON cannot hold (NaN, infinities), more
than one YAML document, nesting deeper than ``MAX_DEPTH`` and more than ``MAX_VALUES`` values
(YAML aliases expanded: a small file can be huge). YAML merge keys (``<<: *anchor``) work, which
is how several definitions in one file share their common parts.

Must not: know the spec's schema or meaning.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from slotwise.release.problems import Location, Pointer, Problem, Problems

SUFFIXES = (".yaml", ".yml", ".json")
MAX_DEPTH = 40  # levels of nesting; a spec needs about 8
MAX_VALUES = 200_000  # values in a file, aliases expanded; a spec of 200 definitions has tens of thousands
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class SourceFile:
    """One spec file: its data and the 1-based line of each field (by pointer)."""

    name: str
    data: Any
    lines: Mapping[Pointer, int] = field(default_factory=dict)

    def line(self, pointer: Pointer) -> int:
        """The line of ``pointer``, or of its deepest parent that exists (a missing field: its
        mapping's line)."""
        for end in range(len(pointer), -1, -1):
            found = self.lines.get(pointer[:end])
            if found is not None:
                return found
        return 1

    def at(self, pointer: Pointer) -> Location:
        return Location(self.name, self.line(pointer), pointer)


class _Invalid(Exception):
    """A problem that makes the whole file unreadable (raised inside the reader only)."""

    def __init__(self, line: int, pointer: Pointer, message: str, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.line, self.pointer, self.message = line, pointer, message
        self.duplicate = duplicate


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The spec files named by ``paths`` (folders: their spec files, recursively, sorted)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                message = f"the folder has no spec files ({', '.join('*' + s for s in SUFFIXES)})"
                problems.append(Problem(str(path), 1, "(top level)", message))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, "(top level)", "no such file or folder"))
    unique = list(dict.fromkeys(files))
    return unique, problems


def read_sources(paths: Iterable[str | Path]) -> tuple[list[SourceFile], list[Problem]]:
    """Every spec file under ``paths``, read; and the problems of those that could not be."""
    files, problems = expand(paths)
    sources: list[SourceFile] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            problems.append(Problem(str(path), 1, "(top level)", f"cannot read the file: {reason}"))
            continue
        source, problem = parse_text(text, str(path), json_syntax=path.suffix.lower() == ".json")
        if problem is not None:
            problems.append(problem)
        else:
            sources.append(source)
    return sources, problems


def parse_text(text: str, name: str, *, json_syntax: bool = False) -> tuple[SourceFile, Problem | None]:
    """``text`` (a spec file's content) read; ``name`` names it in problems."""
    try:
        if json_syntax:
            data, lines = _read_json(text)
        else:
            data, lines = _read_yaml(text)
    except _Invalid as error:
        return SourceFile(name, None), Problem.at(Location(name, error.line, error.pointer), error.message)
    return SourceFile(name, data, lines), None


def _read_json(text: str) -> tuple[Any, dict[Pointer, int]]:
    """JSON, read by JSON's rules (and its messages); the lines come from reading it as YAML, which
    JSON is (tabs, only whitespace in valid JSON, read as spaces)."""
    lines: dict[Pointer, int] = {}
    try:
        _, lines = _read_yaml(text.replace("\t", " "))
    except _Invalid as error:
        if error.duplicate:
            raise
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise _Invalid(error.lineno, (), f"not valid JSON: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise _Invalid(1, (), f"nested more than {MAX_DEPTH} levels deep") from None
    return data, lines


def _no_duplicates(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Invalid(1, (), f"the key {key!r} appears twice in one object", duplicate=True)
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise _Invalid(1, (), f"{name} is not a number a spec can hold; write a finite number")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader; an alias (``*name``) answers a copy of its anchor's node placed where
    the alias is written, so a repeated part is reported at the repetition's line."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        alias = self.check_event(yaml.AliasEvent)
        start = cast(Any, self).peek_event().start_mark if alias else None  # untyped in the stubs
        node = super().compose_node(parent, index)
        if start is None or node is None:
            return node
        placed = copy.copy(node)
        placed.start_mark = start
        return placed


def _read_yaml(text: str) -> tuple[Any, dict[Pointer, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        reader = _Reader(loader)
        data = None if node is None else reader.value(node, ())
        return data, reader.lines
    except yaml.composer.ComposerError as error:
        mark = error.problem_mark
        if error.context and "single document" in error.context and mark is not None:
            message = "a second YAML document (---); list several definitions under 'definitions:'"
            raise _Invalid(mark.line + 1, (), message) from None
        raise _Invalid(*_syntax(error)) from None
    except yaml.MarkedYAMLError as error:
        raise _Invalid(*_syntax(error)) from None
    except yaml.YAMLError as error:
        raise _Invalid(1, (), f"not valid YAML: {error}") from None
    except RecursionError:
        raise _Invalid(1, (), f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _syntax(error: yaml.MarkedYAMLError) -> tuple[int, Pointer, str]:
    mark = error.problem_mark or error.context_mark
    problem = " ".join(p for p in (error.context, error.problem) if p)
    column = f" (column {mark.column + 1})" if mark is not None else ""
    return (mark.line + 1 if mark is not None else 1), (), f"not valid YAML: {problem}{column}"


class _Reader:
    """Builds JSON-like data from YAML nodes, recording each field's line, within the limits."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Pointer, int] = {}
        self.count = 0

    def value(self, node: yaml.Node, at: Pointer) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_VALUES:
            raise _Invalid(line, at, f"more than {MAX_VALUES:,} values (YAML aliases expanded)")
        if len(at) > MAX_DEPTH:
            raise _Invalid(line, at, f"nested more than {MAX_DEPTH} levels deep")
        self.lines.setdefault(at, line)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, (*at, index)) for index, child in enumerate(node.value)]
        try:
            scalar = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as error:
            raise _Invalid(line, at, f"not valid YAML: {error.problem}") from None
        if isinstance(scalar, float) and not math.isfinite(scalar):
            raise _Invalid(line, at, f"{scalar} is not a number a spec can hold; write a finite number")
        if scalar is None or isinstance(scalar, (str, int, float)):
            return scalar
        return str(scalar)  # dates, timestamps, bytes: as text, as JSON would have them

    def mapping(self, node: yaml.MappingNode, at: Pointer) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            key = self.key(key_node, at)
            if key in result:
                message = f"the key {key!r} appears twice in this mapping; give it once"
                raise _Invalid(key_node.start_mark.line + 1, (*at, key), message, duplicate=True)
            pointer = (*at, key)
            self.lines[pointer] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, pointer)
        for source in merged:  # `<<: *anchor` or `<<: [*a, *b]`: keys not given here, first one wins
            for mapping in source.value if isinstance(source, yaml.SequenceNode) else [source]:
                if not isinstance(mapping, yaml.MappingNode):
                    line = mapping.start_mark.line + 1
                    raise _Invalid(
                        line, at, "not valid YAML: a merge key (<<) needs a mapping or a list of them"
                    )
                self.merge(result, mapping, at)
        return result

    def merge(self, result: dict[str, Any], mapping: yaml.MappingNode, at: Pointer) -> None:
        """The keys of ``mapping`` that ``result`` lacks, with their lines (those of the anchor)."""
        saved, self.lines = self.lines, {}
        try:
            values = self.mapping(mapping, at)
            scratch = self.lines
        finally:
            self.lines = saved
        taken = {key for key in values if key not in result}
        for key in taken:
            result[key] = values[key]
        depth = len(at)
        for pointer, line in scratch.items():
            if len(pointer) > depth and pointer[depth] in taken:
                self.lines.setdefault(pointer, line)

    def key(self, node: yaml.Node, at: Pointer) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise _Invalid(
                node.start_mark.line + 1, at, "a mapping key must be a plain name, not a list or mapping"
            )
        value = self.loader.construct_object(node)
        if isinstance(value, str):
            return value
        if value is None or isinstance(value, bool):
            return json.dumps(value)
        return str(value)


@dataclass(frozen=True)
class Reading:
    """One definition being read from ``source``: pointers relative to it (``base``: where it sits in
    the file, ``("definitions", 2)`` or the root), and the problems found so far."""

    source: SourceFile
    base: Pointer
    problems: Problems

    def at(self, *pointer: str | int) -> Location:
        return self.source.at((*self.base, *pointer))

    def where(self, pointer: Pointer) -> Location:
        return self.source.at((*self.base, *pointer))

    def add(self, pointer: Pointer, message: str) -> None:
        self.problems.add(self.where(pointer), message)
