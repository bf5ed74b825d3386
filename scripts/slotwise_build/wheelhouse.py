"""Offline wheelhouses: for each agent platform (Linux x64, Windows x64), one folder holding the wheel
of every locked dependency for CPython 3.10 to 3.13, and the slotwise wheel, so an agent without
package access bootstraps the tasks with ``PIP_FIND_LINKS=<folder>`` and ``PIP_NO_INDEX=true``.

Each target and Python is one ``pip download --only-binary=:all: --no-deps --platform ...
--python-version ... --implementation cp --require-hashes`` of the lock's lines that apply there (pip
evaluates a requirement's markers for the running interpreter, not the target, so they are evaluated
here for the target's Python and platform first). Every file is checked against the lock's hashes.

Must not: resolve (the lock is complete: ``--no-deps``), or fetch anything not in the lock.
Needs ``packaging`` (the test extra) for markers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from slotwise_build import BuildError
from slotwise_build.runtime import lock_entries


@dataclass(frozen=True)
class Target:
    """An agent platform: its name, pip's platform tag, and the marker environment it has."""

    name: str
    platform_tags: tuple[str, ...]  # pip expands none of the manylinux_2_* tags itself: all are listed
    markers: dict[str, str]
    title: str


TARGETS = {
    # glibc 2.28 or newer: Ubuntu 20.04+, Debian 10+, RHEL 8+ (hosted agents included)
    "linux-x64": Target(
        "linux-x64",
        (*(f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)), "manylinux2014_x86_64"),
        {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": "x86_64",
        },
        "Linux x64 (glibc 2.28 or newer)",
    ),
    "windows-x64": Target(
        "windows-x64",
        ("win_amd64",),
        {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
        "Windows x64",
    ),
}
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def applicable(lock_text: str, target: Target, python: str) -> list[str]:
    """The lock's lines (requirement and hashes, no marker) that a CPython ``python`` on ``target``
    installs."""
    environment = {
        **target.markers,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    lines = []
    for requirement, hashes in lock_entries(lock_text):
        parsed = Requirement(requirement)
        if parsed.marker is None or parsed.marker.evaluate(environment):
            lines.append(" ".join([f"{parsed.name}{parsed.specifier}", *hashes]))
    return lines


def folder_name(version: str, target: Target) -> str:
    return f"slotwise-{version}-wheelhouse-{target.name}"


def readme(version: str, target: Target, pythons: Sequence[str]) -> str:
    return (
        f"slotwise {version} wheelhouse for {target.title} agents, CPython {', '.join(pythons)}: "
        "set the pipeline variables (or the agent's environment) PIP_FIND_LINKS=<this folder> and "
        "PIP_NO_INDEX=true; the tasks' first run installs from here, checked against their lock's hashes.\n"
    )


def build(
    lock_text: str,
    wheel: Path,
    out: Path,
    *,
    version: str,
    targets: Sequence[str] = tuple(TARGETS),
    pythons: Sequence[str] = PYTHONS,
) -> list[Path]:
    """One folder (and a zip of it) per target in ``out``; answers the folders."""
    made = []
    for name in targets:
        target = TARGETS[name]
        folder = out / folder_name(version, target)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for python in pythons:
            requirements = folder / f".requirements-{python}.txt"
            requirements.write_text("\n".join(applicable(lock_text, target, python)) + "\n", encoding="utf-8")
            _download(requirements, folder, target, python)
            requirements.unlink()
        shutil.copy2(wheel, folder / wheel.name)
        (folder / "README.txt").write_text(readme(version, target, pythons), encoding="utf-8")
        _zip(folder)
        made.append(folder)
    return made


def _download(requirements: Path, folder: Path, target: Target, python: str) -> None:
    command = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
        "--only-binary=:all:", "--no-deps", "--require-hashes",
        *(option for tag in target.platform_tags for option in ("--platform", tag)),
        "--python-version", python, "--implementation", "cp",
        "-d", str(folder), "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip()
        raise BuildError(
            f"pip download for {target.title}, CPython {python} failed (exit {result.returncode}): {said}"
        )


def _zip(folder: Path) -> Path:
    archive = folder.parent / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, f"{folder.name}/{path.name}")
    return archive
