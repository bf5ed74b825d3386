"""The version, kept in one place: ``pyproject.toml``'s ``[project] version`` (``MAJOR.MINOR.PATCH``),
stamped into the staged manifest and each staged task.json (``Major``/``Minor``/``Patch``; the task's
``Major`` is what YAML names: ``- task: SlotwiseDeployToSlot@1``).

Must not: write anything.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from slotwise_build import BuildError

VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def project_version(root: Path) -> str:
    """``[project] version`` of ``root/pyproject.toml``: the one place the version lives."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    version: object
    if sys.version_info >= (3, 11):
        import tomllib

        version = tomllib.loads(text).get("project", {}).get("version")
    else:  # Python 3.10 has no TOML parser: the version line of the [project] table
        section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        found = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M) if section else None
        version = found.group(1) if found else None
    if not isinstance(version, str):
        raise BuildError("pyproject.toml has no [project] version")
    return version


def task_version(version: str) -> dict[str, int]:
    """``1.2.3`` as task.json wants it; anything but three numbers is refused (tfx and the
    marketplace accept no pre-release or local parts)."""
    match = VERSION_PATTERN.match(version)
    if match is None:
        raise BuildError(
            f"the version '{version}' in pyproject.toml is not MAJOR.MINOR.PATCH (three numbers): "
            "the extension and its tasks need exactly that"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return {"Major": major, "Minor": minor, "Patch": patch}


def task_folders(root: Path) -> list[str]:
    """The task folders of a checkout: ``tasks/<folder>/task.json``, ``_``-prefixed ones excluded."""
    return sorted(
        p.parent.name for p in (root / "tasks").glob("*/task.json") if not p.parent.name.startswith("_")
    )
