"""Reading and validating a set of release spec files: every problem of every file, or the specs.

``check_specs(paths)`` answers the ``SpecSet`` and every problem found (``release validate``);
``load_specs(paths)`` answers the set or raises ``SpecInvalid`` listing them all (every other
command: nothing is rendered or sent when any spec of the set is invalid). Per file: read
(``source``), schema (``schema``), then meaning (``build``) for each definition whose part of the
file passed the schema. Across files: a definition (project, folder, name) is described once.

Must not: resolve names, render, or print.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from slotwise.release.build import build_definition
from slotwise.release.model import Definition, SpecSet
from slotwise.release.problems import Problem, Problems
from slotwise.release.schema import schema_problems
from slotwise.release.source import Reading, SourceFile, parse_text, read_sources


def load_specs(paths: Iterable[str | Path]) -> SpecSet:
    """The specs under ``paths``; ``SpecInvalid`` (every problem) if any is invalid."""
    specs, problems = check_specs(paths)
    found = Problems()
    found.extend(problems)
    found.raise_if_any(specs.files)
    return specs


def check_specs(paths: Iterable[str | Path]) -> tuple[SpecSet, list[Problem]]:
    """The valid definitions under ``paths`` and every problem found (sorted by file and line)."""
    sources, read_problems = read_sources(paths)
    problems = Problems()
    problems.extend(read_problems)
    definitions = [d for source in sources for d in _definitions(source, problems)]
    _refuse_repeats(definitions, problems)
    valid = () if problems else tuple(definitions)
    return SpecSet(valid, tuple(s.name for s in sources)), problems.sorted


def parse_specs(text: str, name: str = "<spec>", *, json_syntax: bool = False) -> SpecSet:
    """The specs in ``text`` (one file's content); ``SpecInvalid`` if it has problems."""
    source, problem = parse_text(text, name, json_syntax=json_syntax)
    problems = Problems()
    if problem is not None:
        problems.extend([problem])
        problems.raise_if_any([name])
    definitions = _definitions(source, problems)
    _refuse_repeats(definitions, problems)
    problems.raise_if_any([name])
    return SpecSet(tuple(definitions), (name,))


def _definitions(source: SourceFile, problems: Problems) -> list[Definition]:
    """The definitions of one file; problems go to ``problems``."""
    found = schema_problems(source)
    problems.extend(problem for _, problem in found)
    if any(len(pointer) < 2 or pointer[0] != "definitions" for pointer, _ in found):
        return []  # the file's shape itself is wrong: nothing more can be said about it
    broken = {pointer[1] for pointer, _ in found}
    data = source.data
    raws = list(enumerate(data["definitions"])) if "definitions" in data else [(None, data)]
    definitions: list[Definition] = []
    for index, raw in raws:
        if index in broken:
            continue
        reading = Reading(source, () if index is None else ("definitions", index), Problems())
        definition = build_definition(reading, raw)
        problems.extend(reading.problems.sorted)
        if not reading.problems:
            definitions.append(definition)
    return definitions


def _refuse_repeats(definitions: list[Definition], problems: Problems) -> None:
    """A problem for each definition that another one already describes (same project, folder, name)."""
    first: dict[tuple[str, str, str], Definition] = {}
    for definition in definitions:
        seen = first.setdefault(definition.key, definition)
        if seen is not definition:
            where = f"{seen.at.file}:{seen.at.line}"
            problems.add(
                definition.at,
                f"the release definition {definition.name!r} (project {definition.project}, folder "
                f"{definition.folder}) is already described at {where}; each is described once",
            )
