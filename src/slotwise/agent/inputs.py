"""Task inputs as the agent passes them: ``INPUT_<NAME>`` variables, read into typed values.

The agent puts each input in the environment under ``INPUT_`` + the name with ``.`` and space
turned into ``_``, upper-cased; values arrive trimmed, with defaults filled in and macros expanded.
``TaskInputs`` reads them (falling back to task.json's default when an input is absent altogether)
and turns them into strings, booleans (task-lib's rule: upper-cased value equals ``TRUE``), numbers
in a range, pick-list choices, multi-line text and file paths with glob patterns (``**`` included)
resolved to exactly one match. Every problem is a ``UsageError`` that names the input by the label
the pipeline author saw in the editor.

File paths: the agent roots relative paths and passes a ``filePath`` input left empty as the
repository root (``BUILD_SOURCESDIRECTORY``); that value means "not given", as task-lib's
``filePathSupplied`` decides. Relative paths are resolved against ``SYSTEM_DEFAULTWORKINGDIRECTORY``
(or the current directory).

Must not: read anything but its environment mapping and task.json's definition, or print.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from slotwise.agent.taskdef import TaskDefinition, env_name, expand
from slotwise.errors import UsageError

GLOB_CHARS = frozenset("*?[")
MAX_LISTED = 10  # matches named in the error of an ambiguous pattern
_REPO_ROOTS = ("BUILD_SOURCESDIRECTORY", "SYSTEM_DEFAULTWORKINGDIRECTORY", "BUILD_REPOSITORY_LOCALPATH")


def input_variable(name: str) -> str:
    """``INPUT_<NAME>`` for an input name."""
    return "INPUT_" + env_name(name)


def has_glob(pattern: str) -> bool:
    return any(char in GLOB_CHARS for char in pattern)


def find_matches(pattern: str, base: Path) -> tuple[Path, list[Path]]:
    """Where to look for ``pattern`` and what matches there (sorted). Relative patterns start at
    ``base``; ``**`` matches any number of folders (hidden ones too, as task-lib's ``dot: true``)."""
    path = Path(pattern)
    with contextlib.suppress(RuntimeError):  # ~name of no known user: a path like any other
        path = path.expanduser()
    if not path.is_absolute():
        path = base / path
    parts = path.parts
    first = next((i for i, part in enumerate(parts) if has_glob(part)), None)
    if first is None:
        return path.parent, [path] if path.exists() else []
    root = Path(*parts[:first])
    if not root.is_dir():
        return root, []
    rest = "/".join(parts[first:])
    return root, sorted({match for match in root.glob(rest)})


class TaskInputs:
    """The inputs of one task run, typed; problems name the input by its label."""

    def __init__(self, env: Mapping[str, str], definition: TaskDefinition | None = None) -> None:
        self._env = env
        self.definition = definition or TaskDefinition()

    # ---- raw values ------------------------------------------------------------------------------------
    def describe(self, name: str) -> str:
        """How messages name the input: ``'App name' (appName)``."""
        return self.definition.describe(name)

    def raw(self, name: str) -> str | None:
        """The value as passed (the input, else an alias, else task.json's default, macros expanded);
        None if there is none at all."""
        found = self.definition.get(name)
        for candidate in (name, *(found.aliases if found else ())):
            value = self._env.get(input_variable(candidate))
            if value is not None:
                return value
        if found is not None and found.default is not None:
            return expand(found.default, self._env)
        return None

    def string(self, name: str, default: str | None = None) -> str | None:
        """The trimmed value, or ``default`` if empty."""
        value = (self.raw(name) or "").strip()
        return value or default

    def required(self, name: str) -> str:
        value = self.string(name)
        if value is None:
            raise UsageError(
                f"The input {self.describe(name)} is required.",
                hint=f"Set {name} in the task's inputs (YAML) or fill it in the task's editor (classic).",
            )
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        """task-lib's rule: true when the upper-cased value is ``TRUE``; empty means ``default``."""
        value = self.string(name)
        return default if value is None else value.upper() == "TRUE"

    def number(
        self, name: str, *, default: float, minimum: float | None = None, maximum: float | None = None
    ) -> float:
        return self._numeric(name, default, minimum, maximum, whole=False)

    def integer(
        self, name: str, *, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        return int(self._numeric(name, default, minimum, maximum, whole=True))

    def _numeric(
        self, name: str, default: float, minimum: float | None, maximum: float | None, *, whole: bool
    ) -> float:
        """The input as a finite number within the range (a whole one if ``whole``), or ``default``."""
        value = self.string(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        fits = math.isfinite(number) and (not whole or number == int(number))
        if not fits or not _within(number, minimum, maximum):
            expected = _range("a whole number" if whole else "a number", minimum, maximum)
            raise UsageError(f"The input {self.describe(name)} must be {expected}, not '{_clip(value)}'.")
        return number

    def choice(self, name: str, allowed: Sequence[str], default: str | None = None) -> str:
        """One of ``allowed`` (compared case-insensitively; answered as spelled in ``allowed``)."""
        value = self.string(name, default) or self.required(name)
        for option in allowed:
            if option.lower() == value.lower():
                return option
        choices = ", ".join(allowed)
        raise UsageError(f"The input {self.describe(name)} must be one of {choices}, not '{_clip(value)}'.")

    def text(self, name: str, *, required: bool = False) -> str | None:
        """Multi-line text as given (indentation kept), or None if blank."""
        value = self.raw(name) or ""
        if not value.strip():
            if required:
                self.required(name)
            return None
        lines = value.splitlines()
        while lines and not lines[0].strip():
            lines.pop(0)
        return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"

    def lines(self, name: str) -> list[str]:
        """A multi-line input as its non-blank lines, each trimmed."""
        return [line.strip() for line in (self.raw(name) or "").splitlines() if line.strip()]

    # ---- file paths ------------------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """Where relative paths start: the default working directory, else the current one."""
        return Path(self._env.get("SYSTEM_DEFAULTWORKINGDIRECTORY") or os.getcwd())

    def path_given(self, name: str) -> str | None:
        """A ``filePath`` input's value, or None if empty or the repository root the agent passes for
        an empty one."""
        value = self.string(name)
        if value is None:
            return None
        roots = {_normal(self._env[key]) for key in _REPO_ROOTS if self._env.get(key)}
        return None if _normal(value) in roots else value

    def path(self, name: str, *, folder: bool = False) -> Path:
        """The one file (or, with ``folder``, file or folder) a required ``filePath`` input names or
        its pattern matches."""
        value = self.path_given(name)
        if value is None:
            raise UsageError(
                f"The input {self.describe(name)} is required.",
                hint=f"Give {name} a path or a pattern, e.g. $(System.DefaultWorkingDirectory)/**/*.zip.",
            )
        kind = "file or folder" if folder else "file"
        try:
            root, matches = find_matches(value, self.base_dir)
            if not folder:
                if not has_glob(value) and matches and matches[0].is_dir():
                    raise UsageError(
                        f"The input {self.describe(name)} must name a file, but {matches[0]} is a folder."
                    )
                matches = [match for match in matches if match.is_file()]
        except OSError as error:  # a name too long, a folder that cannot be read
            raise UsageError(
                f"The input {self.describe(name)} cannot be used as a path: '{_clip(value)}': "
                f"{error.strerror or error}.",
                hint="Check the path or pattern.",
            ) from None
        if not matches:
            shown = _clip(value)
            where = f"looked in {root}" if has_glob(value) else f"{shown} does not exist"
            raise UsageError(
                f"The input {self.describe(name)} matches no {kind}: nothing matches '{shown}' ({where}).",
                hint="Check the path or pattern, and that an earlier step (download of the build "
                "artifact, build) put the file there.",
            )
        if len(matches) > 1:
            listed = ", ".join(str(m) for m in matches[:MAX_LISTED])
            more = f" and {len(matches) - MAX_LISTED} more" if len(matches) > MAX_LISTED else ""
            raise UsageError(
                f"The input {self.describe(name)} must match exactly one {kind}, but "
                f"'{_clip(value)}' matches {len(matches)}: {listed}{more}.",
                hint="Make the pattern more specific (a folder name, a file name), or publish one package.",
            )
        return matches[0]


def _clip(value: str, limit: int = 120) -> str:
    """A value as messages show it: at most ``limit`` characters."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _within(number: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or number >= minimum) and (maximum is None or number <= maximum)


def _range(what: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{what} from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"{what} of at least {minimum:g}"
    if maximum is not None:
        return f"{what} of at most {maximum:g}"
    return what


def _normal(path: str) -> str:
    return os.path.normcase(os.path.normpath(path.strip())).rstrip("\\/")
