"""Reading a smoke checks file (YAML or JSON) into a ``SmokePlan``, validated by the published schema.

Owns the schema (``schemas/smoke-checks.schema.json``, package data), parsing (YAML with duplicate
keys refused, JSON), validation and the messages for mistakes: every problem is a ``UsageError``
naming the file, the JSON pointer of the bad field (and its line when it can be found) and what is
expected there, never a traceback. Any text is either a plan or one such error: what JSON cannot
hold (YAML dates as keys, NaN and infinities), nesting deeper than ``MAX_DEPTH`` and files that
expand (YAML aliases) past ``MAX_VALUES`` values are refused by name too. Builds the plan's types
(``smoke_plan.py``); runs nothing.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

from slotwise.errors import Action, Remedy, UsageError
from slotwise.slots.smoke_jsonpath import parse_path
from slotwise.slots.smoke_plan import (
    Auth,
    Body,
    Check,
    Expectation,
    HeaderExpectation,
    JsonExpectation,
    SmokePlan,
    Target,
    Warmup,
)

SCHEMA_FILE = "smoke-checks.schema.json"
HINT = "Fix the checks."
REMEDIES = (Remedy(Action.SEE_CHECKS_SCHEMA),)
Pointer = list[str | int]
MAX_DEPTH = 32  # levels of nesting; a checks file needs 7
MAX_VALUES = 100_000  # values in a file, YAML aliases expanded; a checks file has hundreds
ROOT_EXPECTED = "a mapping with a 'checks' list (and optionally 'defaults' and 'warmup')"


# ---- the schema ------------------------------------------------------------------------------------
def schema_text() -> str:
    """The published JSON Schema of checks files, as shipped."""
    return resources.files("slotwise").joinpath(f"schemas/{SCHEMA_FILE}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


# ---- loading ---------------------------------------------------------------------------------------
def load_checks(path: str | Path) -> SmokePlan:
    """The plan in the checks file at ``path`` (``.json``: JSON; anything else: YAML)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise UsageError(
            f"Cannot read the checks file {file}: {reason}.", hint=HINT, remedies=REMEDIES
        ) from None
    return parse_checks(text, source=str(file), syntax="json" if file.suffix.lower() == ".json" else "yaml")


def parse_checks(
    text: str, *, source: str = "<checks>", syntax: Literal["yaml", "json"] = "yaml"
) -> SmokePlan:
    """The plan in ``text`` (a checks file's content); ``source`` names it in messages."""
    where = _Where(source, text)
    parsed = _parse_json(text, source) if syntax == "json" else _parse_yaml(text, source)
    data = _Plain(where).value(parsed, [])
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        pointer, problem = explain(error)
        raise where.error(pointer, problem)
    return _Builder(where).plan(data)


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{source}, line {error.lineno}, column {error.colno}: not valid JSON: {error.msg}.",
            hint=HINT,
            remedies=REMEDIES,
        ) from None
    except RecursionError:
        raise _too_deep(source) from None


def _too_deep(source: str) -> UsageError:
    problem = f"nested more than {MAX_DEPTH} levels deep; a checks file needs 7"
    return UsageError(f"{source}: {problem}.", hint=HINT, remedies=REMEDIES)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys (which would silently drop a setting)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue  # complex keys: the schema refuses them later
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key_node.value!r}",
                key_node.start_mark,
            )
        seen.add(key_node.value)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(p for p in (error.context, error.problem) if p)
        raise UsageError(
            f"{source}{where}: not valid YAML: {problem}.", hint=HINT, remedies=REMEDIES
        ) from None
    except yaml.YAMLError as error:
        raise UsageError(f"{source}: not valid YAML: {error}.", hint=HINT, remedies=REMEDIES) from None
    except RecursionError:
        raise _too_deep(source) from None
    return data


class _Plain:
    """Parsed data as JSON sees it (YAML has more types: dates, integer keys, sets, bytes), refusing
    what JSON cannot hold (NaN, infinities), nesting deeper than ``MAX_DEPTH`` and more than
    ``MAX_VALUES`` values (YAML aliases are expanded here, so a small file can be huge): linear in
    the values it visits, never more than ``MAX_VALUES``."""

    def __init__(self, where: _Where) -> None:
        self.where = where
        self.count = 0

    def value(self, value: Any, at: Pointer) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            problem = f"more than {MAX_VALUES:,} values (YAML aliases expanded); a checks file has hundreds"
            raise self.where.error(at, problem)
        if len(at) > MAX_DEPTH:
            raise self.where.error(at, f"nested more than {MAX_DEPTH} levels deep; a checks file needs 7")
        if isinstance(value, dict):
            plain = {_key(k): v for k, v in value.items()}
            return {k: self.value(v, [*at, k]) for k, v in plain.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v, [*at, i]) for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            raise self.where.error(at, f"got {_show(value)}; expected a finite number")
        if value is None or isinstance(value, (str, int, float)):
            return value
        return str(value)  # dates, timestamps, bytes, sets: as text, as JSON would have them


def _key(key: Any) -> str:
    """A mapping key as JSON has it: a string (YAML's ``1:``, ``true:``, ``2024-01-01:`` included)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    return str(key)


# ---- messages --------------------------------------------------------------------------------------
def explain(error: ValidationError) -> tuple[Pointer, str]:
    """(pointer, sentence) for a schema violation: what is wrong and what is expected there."""
    pointer: Pointer = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    expected = f"; expected {schema['title']}" if "title" in schema else ""
    kind, instance = error.validator, error.instance
    if not pointer:
        if instance is None:
            return pointer, f"the file is empty; expected {ROOT_EXPECTED}"
        expected = f"; expected {ROOT_EXPECTED}"
    if "propertyNames" in error.absolute_schema_path:
        name = f"{_show(instance)} is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)"
        return [*pointer, str(instance)], name
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        name = sorted(set(instance) - set(allowed))[0]
        guess = difflib.get_close_matches(name, allowed, n=1)
        did_you_mean = f" (did you mean {guess[0]!r}?)" if guess else ""
        return [*pointer, name], f"unknown field {name!r}{did_you_mean}; allowed: {', '.join(allowed)}"
    if kind == "required" and isinstance(instance, dict):
        missing = [r for r in cast(list[str], error.validator_value) if r not in instance]
        return pointer, f"missing field {missing[0]!r}{expected}"
    alternatives = _required_alternatives(error)
    if alternatives and isinstance(instance, dict):
        given = [name for name in alternatives if name in instance]
        which = " and ".join(repr(n) for n in given) if given else " or ".join(repr(n) for n in alternatives)
        return pointer, (f"gives both {which}" if len(given) > 1 else f"gives none of {which}") + expected
    if kind == "minItems" and instance == []:
        return pointer, f"the list is empty{expected}"
    if kind == "minLength" and instance == "":
        return pointer, f"the text is empty{expected}"
    if kind == "uniqueItems":
        return pointer, f"the list repeats a value{expected}"
    return pointer, f"got {_show(instance)}{expected}"


def _required_alternatives(error: ValidationError) -> list[str]:
    """For ``oneOf: [{required: [a]}, {required: [b]}]`` (or ``not: {required: [a, b]}``): [a, b]."""
    value = error.validator_value
    if error.validator == "not" and isinstance(value, dict) and set(value) == {"required"}:
        return list(value["required"])
    if error.validator not in ("oneOf", "anyOf") or not isinstance(value, list):
        return []
    if all(isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in value):
        return [b["required"][0] for b in value]
    return []


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"the text {text}" if isinstance(value, str) else f"the number {text}"


class _Where:
    """Turns a pointer into a place people can find: JSON pointer, and the line when known."""

    def __init__(self, source: str, text: str) -> None:
        self.source, self.text = source, text

    def error(self, pointer: Pointer, problem: str) -> UsageError:
        encoded = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in pointer)
        line = self.line_of(pointer)
        place = (encoded or "the top level") + (f" (line {line})" if line else "")
        return UsageError(f"{self.source}: {place}: {problem}.", hint=HINT, remedies=REMEDIES)

    def line_of(self, pointer: Pointer) -> int | None:
        """The 1-based line of the node at ``pointer`` (the deepest one that exists)."""
        try:
            node = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except (yaml.YAMLError, RecursionError):
            return None
        for step in pointer:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == str(step)), None)
                child = child or next((k for k, _ in node.value if k.value == str(step)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                child = node.value[step]
            if child is None:
                break
            node = child
        return node.start_mark.line + 1 if node is not None else None


# ---- the plan --------------------------------------------------------------------------------------
class _Builder:
    """The plan's types from validated data, with the checks a schema cannot express."""

    def __init__(self, where: _Where) -> None:
        self.where = where

    def plan(self, data: dict[str, Any]) -> SmokePlan:
        defaults = data.get("defaults", {})
        checks = tuple(self.check(["checks", i], c, defaults) for i, c in enumerate(data["checks"]))
        seen: dict[str, int] = {}
        for index, check in enumerate(checks):
            if check.name in seen:
                problem = f"the name {check.name!r} is used twice (also /checks/{seen[check.name]}/name)"
                raise self.where.error(["checks", index, "name"], problem)
            seen[check.name] = index
        warmup = data.get("warmup")
        return SmokePlan(
            checks=checks,
            warmup=self.warmup(warmup) if warmup is not None else Warmup(),
            default_timeout=defaults.get("timeout"),
            source=self.where.source,
        )

    def check(self, at: Pointer, raw: dict[str, Any], defaults: dict[str, Any]) -> Check:
        expect = dict(raw.get("expect", {}))
        if "latencyMs" not in expect and "latencyMs" in defaults:
            expect["latencyMs"] = defaults["latencyMs"]
        return Check(
            name=raw["name"],
            target=self.target(at, raw),
            headers={**defaults.get("headers", {}), **raw.get("headers", {})},
            query={k: _query_value(v) for k, v in raw.get("query", {}).items()},
            body=_body(raw["body"]) if "body" in raw else None,
            timeout=raw.get("timeout"),
            expect=self.expectation([*at, "expect"], expect),
        )

    def target(self, at: Pointer, raw: dict[str, Any]) -> Target:
        auth = cast("Auth | None", raw.get("auth"))
        if auth == "function" and "function" not in raw:
            problem = "auth 'function' needs a 'function' to take the key of; use host, master or none"
            raise self.where.error([*at, "auth"], problem)
        method = raw.get("method")
        return Target(
            function=raw.get("function"),
            path=raw.get("path") if "function" not in raw else None,
            route_params={k: str(v) for k, v in raw.get("routeParams", {}).items()},
            method=method.upper() if method else None,
            auth=auth,
        )

    def expectation(self, at: Pointer, raw: dict[str, Any]) -> Expectation:
        contains = raw.get("bodyContains", ())
        if "bodyMatches" in raw:
            self.regex([*at, "bodyMatches"], raw["bodyMatches"])
        return Expectation(
            status=_statuses(raw.get("status")),
            body_contains=(contains,) if isinstance(contains, str) else tuple(contains),
            body_matches=raw.get("bodyMatches"),
            json=tuple(self.json_expectation([*at, "json", i], j) for i, j in enumerate(raw.get("json", ()))),
            headers=tuple(self.header([*at, "headers", n], n, v) for n, v in raw.get("headers", {}).items()),
            latency_ms=_whole(raw.get("latencyMs")),
        )

    def json_expectation(self, at: Pointer, raw: dict[str, Any]) -> JsonExpectation:
        try:
            parse_path(raw["path"])
        except ValueError as error:
            raise self.where.error([*at, "path"], str(error)) from None
        return JsonExpectation(path=raw["path"], equals=raw.get("equals"), exists=raw.get("exists"))

    def header(self, at: Pointer, name: str, raw: str | dict[str, str]) -> HeaderExpectation:
        if isinstance(raw, str):
            return HeaderExpectation(name=name, equals=raw)
        self.regex([*at, "matches"], raw["matches"])
        return HeaderExpectation(name=name, matches=raw["matches"])

    def regex(self, at: Pointer, pattern: str) -> None:
        try:
            re.compile(pattern)
        except (re.error, OverflowError) as error:
            raise self.where.error(at, f"not a valid regular expression: {error}") from None
        except RecursionError:
            raise self.where.error(at, "not a valid regular expression: nested too deeply") from None

    def warmup(self, raw: dict[str, Any]) -> Warmup:
        defaults = Warmup()
        named = "path" in raw or "function" in raw
        return Warmup(
            target=self.target(["warmup"], raw if named else {**raw, "path": defaults.target.path}),
            status=_statuses(raw.get("expect", {}).get("status")),
            attempts=int(raw.get("attempts", defaults.attempts)),
            timeout=raw.get("timeout", defaults.timeout),
            interval=raw.get("interval", defaults.interval),
        )


def _statuses(value: float | list[float] | None) -> tuple[int, ...]:
    """Status codes as ints (JSON's 200.0 is the integer 200 to the schema)."""
    if value is None:
        return ()
    return tuple(int(v) for v in value) if isinstance(value, list) else (int(value),)


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _query_value(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(value: Any) -> Body:
    if isinstance(value, str):
        return Body(value.encode("utf-8"), "text/plain; charset=utf-8")
    return Body(json.dumps(value, separators=(",", ":")).encode("utf-8"), "application/json")
