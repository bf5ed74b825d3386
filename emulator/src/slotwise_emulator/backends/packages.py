"""What a deployed function-app package serves, read from its zip without extracting it.

Owns reading the few small members that matter (``host.json``, ``<name>/function.json``,
``<name>/emulator.json``) with ``zipfile``, validating them, and matching a request path against the
HTTP routes they declare. Never reads or extracts the rest of the zip: a 1 GiB package costs no
more than its central directory. Every problem is a ``PackageError`` whose text names the file and
the field, as a Kudu deployment log line.

What the emulated function host serves
--------------------------------------
A function is a top-level folder with a ``function.json`` whose ``bindings`` hold one trigger (a
binding whose ``type`` ends in ``Trigger``: ``httpTrigger``, ``timerTrigger``, ``queueTrigger``,
``serviceBusTrigger``, ``eventHubTrigger``, ``blobTrigger``, ``cosmosDBTrigger``...; direction
``in``); a folder without one is no function, two triggers fail the deployment. Every function is
listed by the functions API; only HTTP-triggered ones are served, and ``"disabled": true`` (or the
slot's ``AzureWebJobs.<name>.Disabled`` app setting, see ``FunctionDef.disabled_in``) turns a
function off. From the ``httpTrigger`` binding:

- ``route``: an ASP.NET route template, default the function's name. Segments may be literals or
  parameters: ``{id}``, ``{id?}`` (optional), ``{id=5}`` (default), ``{*rest}`` (catch-all, last
  segment), with constraints ``{id:int}``, ``long``, ``bool``, ``guid``, ``alpha``, ``decimal``,
  ``double``, ``float``, ``datetime``, ``min(n)``, ``max(n)``, ``range(a,b)``, ``length(n)``,
  ``length(a,b)``, ``minlength(n)``, ``maxlength(n)``, ``regex(...)``. Literals match case-insensitively.
- ``methods``: allowed HTTP methods (absent: all); another method gets 404, as from the real host.
- ``authLevel``: ``anonymous``, ``function`` (default) or ``admin``.

Routes sit under ``/api/`` unless ``host.json`` sets ``extensions.http.routePrefix`` (``""``: none).

What a function answers is defined by the package: an optional ``<name>/emulator.json`` beside
``function.json``::

    {"status": 200, "body": <string or any JSON>, "headers": {"name": "value"}, "delayMs": 0}

All fields are optional. ``status``: 200-599 (default 200; a 204 or 304 has no body). ``body``: a
string is sent as ``text/plain``, any other JSON value as ``application/json``, ``null`` as an empty
body; without ``body`` the answer is a small JSON echo naming the function with the request's
method, route parameters and query (keys removed). ``headers``: extra response headers (a
``Content-Type`` here wins). ``delayMs``: wait this long before answering (at most 230000, the
front end's timeout).
Unknown fields are refused. A package whose ``function.json``, ``emulator.json`` or ``host.json`` is
malformed fails its deployment (Kudu status 3) with a log line naming the file and field; a zip
that cannot be read fails the same way. This lets a build be packaged "broken" on purpose (status
500, or a 2 s delay) to exercise smoke tests and rollbacks.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from slotwise_emulator.backends.model import Content, EmulatedResponse, FunctionDef

MAX_MEMBER_BYTES = 1024 * 1024  # host.json, function.json, emulator.json are small; refuse zip bombs
MAX_DELAY_MS = 230_000  # the App Service front end gives up on a request after 230 s
AUTH_LEVELS = ("anonymous", "function", "admin")
_EMULATOR_FIELDS = ("status", "body", "headers", "delayMs")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PARAM = re.compile(r"^(?P<star>\*{1,2})?(?P<name>\w+)(?P<rest>.*)$", re.DOTALL)


class PackageError(Exception):
    """A package that cannot be deployed; the text names the file and field."""


@dataclass
class Package:
    """The served part of a package: its functions (by lower-case name) and route prefix."""

    functions: dict[str, FunctionDef]
    route_prefix: str


# ---- reading the zip -------------------------------------------------------------------------------------
def read_package(path: Path) -> Package:
    """Read and validate the small members of the zip at ``path``."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(archive)
    except zipfile.BadZipFile as exc:
        raise PackageError(f"The uploaded package is not a valid zip file: {exc}.") from exc
    except OSError as exc:
        raise PackageError(f"The uploaded package cannot be read: {exc}.") from exc


def _read_archive(archive: zipfile.ZipFile) -> Package:
    members = {info.filename.replace("\\", "/").lstrip("/"): info for info in archive.infolist()}
    host = members.get("host.json")
    prefix = route_prefix(_member_json(archive, host, "host.json")) if host else "api"
    functions: dict[str, FunctionDef] = {}
    for name, info in sorted(members.items()):
        folder, _, leaf = name.partition("/")
        if leaf != "function.json" or not folder:
            continue
        extra, extra_name = members.get(f"{folder}/emulator.json"), f"{folder}/emulator.json"
        response = emulated_response(_member_json(archive, extra, extra_name), extra_name) if extra else None
        function = function_def(folder, _member_json(archive, info, name), response)
        if function is None:
            continue
        if function.name.lower() in functions:
            raise PackageError(f"{name}: a function named '{folder}' exists twice (names ignore case).")
        functions[function.name.lower()] = function
    return Package(functions, prefix)


def _member_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Any:
    if info.file_size > MAX_MEMBER_BYTES:
        raise PackageError(
            f"{name}: the file is {info.file_size} bytes; at most {MAX_MEMBER_BYTES} are read."
        )
    try:
        with archive.open(info) as member:
            raw = member.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise PackageError(f"{name}: cannot be read from the zip: {exc}.") from exc
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"{name}: not valid JSON: {exc}.") from exc


# ---- host.json, function.json, emulator.json -------------------------------------------------------------
def route_prefix(host_json: Any) -> str:
    """``extensions.http.routePrefix`` of host.json (default ``api``), without slashes."""
    if not isinstance(host_json, dict):
        raise PackageError("host.json: must be a JSON object.")
    extensions = host_json.get("extensions", {})
    http = extensions.get("http", {}) if isinstance(extensions, dict) else None
    if not isinstance(http, dict):
        raise PackageError("host.json: field 'extensions.http' must be an object.")
    prefix = http.get("routePrefix", "api")
    if not isinstance(prefix, str):
        raise PackageError("host.json: field 'extensions.http.routePrefix' must be a string.")
    return prefix.strip("/")


def function_def(name: str, config: Any, response: EmulatedResponse | None) -> FunctionDef | None:
    """The function ``name`` declared by ``config`` (function.json); None if no binding is a trigger."""
    file = f"{name}/function.json"
    if not isinstance(config, dict) or not isinstance(config.get("bindings"), list):
        raise PackageError(f"{file}: field 'bindings' must be a list.")
    triggers = [b for b in config["bindings"] if isinstance(b, dict) and _is_trigger(b)]
    if not triggers:
        return None
    if len(triggers) > 1:
        kinds = ", ".join(str(b["type"]) for b in triggers)
        raise PackageError(f"{file}: field 'bindings' holds more than one trigger ({kinds}).")
    trigger = triggers[0]
    kind = str(trigger["type"])
    if str(trigger.get("direction", "in")).lower() != "in":
        raise PackageError(f"{file}: field 'bindings[].direction' of the {kind} must be 'in'.")
    disabled = config.get("disabled") is True
    if kind.lower() != "httptrigger":
        return FunctionDef(name, "", [], "", config=config, trigger=kind, disabled=disabled)
    auth = trigger.get("authLevel", "function")
    if not isinstance(auth, str) or auth.lower() not in AUTH_LEVELS:
        raise PackageError(f"{file}: field 'authLevel' must be one of {', '.join(AUTH_LEVELS)}.")
    methods = trigger.get("methods") or []
    if not isinstance(methods, list) or not all(isinstance(m, str) and m.strip() for m in methods):
        raise PackageError(f"{file}: field 'methods' must be a list of HTTP method names.")
    route = trigger.get("route") or name
    if not isinstance(route, str):
        raise PackageError(f"{file}: field 'route' must be a string.")
    try:
        RouteTemplate.parse(route)
    except ValueError as exc:
        raise PackageError(f"{file}: field 'route' is not a valid route template: {exc}.") from exc
    return FunctionDef(
        name=name,
        route=route.strip("/"),
        methods=[m.strip().upper() for m in methods],
        auth_level=auth.lower(),
        response=response or EmulatedResponse(),
        config=config,
        disabled=disabled,
    )


def _is_trigger(binding: dict[str, Any]) -> bool:
    """A binding whose ``type`` names a trigger (httpTrigger, timerTrigger, queueTrigger, ...)."""
    kind = binding.get("type")
    return isinstance(kind, str) and kind.lower().endswith("trigger") and len(kind) > len("trigger")


def emulated_response(data: Any, file: str) -> EmulatedResponse:
    """What ``emulator.json`` says the function answers."""
    if not isinstance(data, dict):
        raise PackageError(f"{file}: must be a JSON object.")
    unknown = sorted(set(data) - set(_EMULATOR_FIELDS))
    if unknown:
        raise PackageError(f"{file}: unknown field '{unknown[0]}'; known: {', '.join(_EMULATOR_FIELDS)}.")
    status = data.get("status", 200)
    if not _is_int(status) or not 200 <= status <= 599:
        raise PackageError(f"{file}: field 'status' must be an integer between 200 and 599.")
    delay = data.get("delayMs", 0)
    if not _is_int(delay) or not 0 <= delay <= MAX_DELAY_MS:
        raise PackageError(f"{file}: field 'delayMs' must be an integer between 0 and {MAX_DELAY_MS}.")
    headers = data.get("headers", {})
    if not isinstance(headers, dict):
        raise PackageError(f"{file}: field 'headers' must be an object of header names to strings.")
    for key, value in headers.items():
        if not _HEADER_NAME.match(key) or not isinstance(value, str) or "\r" in value or "\n" in value:
            raise PackageError(f"{file}: field 'headers.{key}' must be a header name with a one-line string.")
    return EmulatedResponse(
        status=status, body=data.get("body"), headers=dict(headers), delay_ms=delay, echo="body" not in data
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- routes ------------------------------------------------------------------------------------------------
Check = Callable[[str, list[str]], bool]


def _parses(kind: Callable[[str], object], value: str) -> bool:
    try:
        kind(value)
    except ValueError:
        return False
    return True


def _whole(value: str) -> bool:
    return re.fullmatch(r"-?\d+", value) is not None


def _length(value: str, args: list[str]) -> bool:
    return len(value) == int(args[0]) if len(args) == 1 else int(args[0]) <= len(value) <= int(args[1])


_CONSTRAINTS: dict[str, Check] = {
    "int": lambda v, _: _whole(v) and -(2**31) <= int(v) < 2**31,
    "long": lambda v, _: _whole(v) and -(2**63) <= int(v) < 2**63,
    "bool": lambda v, _: v.lower() in ("true", "false"),
    "guid": lambda v, _: _parses(uuid.UUID, v),
    "alpha": lambda v, _: re.fullmatch(r"[A-Za-z]+", v) is not None,
    "decimal": lambda v, _: _parses(float, v),
    "double": lambda v, _: _parses(float, v),
    "float": lambda v, _: _parses(float, v),
    "datetime": lambda v, _: _parses(datetime.fromisoformat, v),
    "min": lambda v, a: _whole(v) and int(v) >= int(a[0]),
    "max": lambda v, a: _whole(v) and int(v) <= int(a[0]),
    "range": lambda v, a: _whole(v) and int(a[0]) <= int(v) <= int(a[1]),
    "length": _length,
    "minlength": lambda v, a: len(v) >= int(a[0]),
    "maxlength": lambda v, a: len(v) <= int(a[0]),
    "regex": lambda v, a: re.search(a[0], v, re.IGNORECASE) is not None,
    "required": lambda v, _: v != "",
}
_ARITY = {"min": (1,), "max": (1,), "range": (2,), "length": (1, 2), "minlength": (1,), "maxlength": (1,)}


@dataclass(frozen=True)
class _Param:
    name: str
    constraints: tuple[tuple[str, tuple[str, ...]], ...]
    optional: bool
    default: str | None
    catch_all: bool


@dataclass(frozen=True)
class RouteTemplate:
    """A compiled ASP.NET route template (see the module docstring for what is understood)."""

    pattern: re.Pattern[str]
    params: tuple[_Param, ...]
    precedence: tuple[int, ...]  # sorts more specific templates first

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        """Compile ``template``; a ``ValueError`` says what is wrong with it."""
        body = template.strip().lstrip("~").strip("/")
        segments = body.split("/") if body else []
        regex, params, precedence = "", [], []
        for index, segment in enumerate(segments):
            part, seg_params, rank = _compile_segment(segment)
            if any(p.catch_all for p in seg_params) and index != len(segments) - 1:
                raise ValueError("a catch-all parameter must be in the last segment")
            regex += f"(?:/{part})?" if rank >= 5 else f"/{part}"
            params.extend(seg_params)
            precedence.append(rank)
        names = [p.name.lower() for p in params]
        if len(set(names)) != len(names):
            raise ValueError("a parameter name is used twice")
        return cls(re.compile(f"^{regex}/?$", re.IGNORECASE), tuple(params), tuple(precedence))

    def match(self, path: str) -> dict[str, str] | None:
        """The route parameters if ``path`` (below the route prefix) matches, else None."""
        found = self.pattern.match("/" + path.strip("/"))
        if found is None:
            return None
        values: dict[str, str] = {}
        for param in self.params:
            value = found.group(param.name)
            if not value:
                if param.default is not None:
                    values[param.name] = param.default
                continue
            if not all(_CONSTRAINTS[name](value, list(args)) for name, args in param.constraints):
                return None
            values[param.name] = value
        return values


def _compile_segment(segment: str) -> tuple[str, list[_Param], int]:
    """(regex, parameters, precedence rank) of one path segment."""
    if not segment:
        raise ValueError("empty segment ('//')")
    leftover = re.sub(r"\{[^{}]*\}", "", segment)
    if "{" in leftover or "}" in leftover:
        raise ValueError(f"unbalanced braces in '{segment}'")
    regex, params, pos = "", [], 0
    for brace in re.finditer(r"\{([^{}]*)\}", segment):
        param = _parse_param(brace.group(1))
        value = ".*" if param.catch_all else "[^/]+"
        regex += re.escape(segment[pos : brace.start()]) + f"(?P<{param.name}>{value})"
        params.append(param)
        pos = brace.end()
    regex += re.escape(segment[pos:])
    alone = len(params) == 1 and segment.startswith("{") and segment.endswith("}")
    if any(p.catch_all or p.optional or p.default is not None for p in params) and not alone:
        raise ValueError(f"'{segment}': an optional, default or catch-all parameter must be a segment alone")
    return regex, params, _rank(params, alone)


def _rank(params: list[_Param], alone: bool) -> int:
    if not params:
        return 1  # literal
    if not alone:
        return 2  # literal text around parameters
    param = params[0]
    if param.catch_all:
        return 6
    if param.optional or param.default is not None:
        return 5
    return 3 if param.constraints else 4


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses (regex constraints may contain it)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _parse_param(text: str) -> _Param:
    found = _PARAM.match(text.strip())
    if found is None:
        raise ValueError(f"'{{{text}}}' is not a parameter (letters, digits and '_' only)")
    rest = found.group("rest")
    optional = rest.endswith("?")
    rest, *default = _split_top(rest.removesuffix("?"), "=")
    if rest and not rest.startswith(":"):
        raise ValueError(f"'{{{text}}}': unexpected '{rest}'")
    constraints = tuple(_parse_constraint(item, text) for item in _split_top(rest, ":")[1:])
    star = bool(found.group("star"))
    if star and optional:
        raise ValueError(f"'{{{text}}}': a catch-all parameter cannot be optional")
    return _Param(found.group("name"), constraints, optional, "=".join(default) if default else None, star)


def _parse_constraint(item: str, text: str) -> tuple[str, tuple[str, ...]]:
    call = re.fullmatch(r"(\w+)(?:\((.*)\))?", item, re.DOTALL)
    if call is None or call.group(1).lower() not in _CONSTRAINTS:
        raise ValueError(f"'{{{text}}}': unknown constraint '{item}'")
    name, inside = call.group(1).lower(), call.group(2)
    if name == "regex":
        try:
            re.compile(inside or "")
        except re.error as exc:
            raise ValueError(f"'{{{text}}}': bad regex: {exc}") from exc
        return name, (inside or "",)
    args = tuple(a.strip() for a in inside.split(",")) if inside else ()
    if len(args) not in _ARITY.get(name, (0,)) or not all(_whole(a) for a in args):
        raise ValueError(
            f"'{{{text}}}': {name} takes {' or '.join(map(str, _ARITY.get(name, (0,))))} "
            "whole-number argument(s)"
        )
    return name, args


def find_function(content: Content, method: str, path: str) -> tuple[FunctionDef, dict[str, str]] | None:
    """The HTTP function serving ``method path`` (the full request path) and its route parameters, if
    any; whether it is disabled is the caller's to decide (a disabled function still runs for the
    master key)."""
    rest = path.strip("/")
    prefix = content.route_prefix.strip("/")
    if prefix:
        if rest.lower() != prefix.lower() and not rest.lower().startswith(prefix.lower() + "/"):
            return None
        rest = rest[len(prefix) :]
    templates = sorted(
        ((RouteTemplate.parse(f.route), f) for f in content.functions.values() if f.http),
        key=lambda pair: (pair[0].precedence, pair[1].name.lower()),
    )
    for template, function in templates:
        params = template.match(rest)
        if params is not None and (not function.methods or method.upper() in function.methods):
            return function, params
    return None
