"""tasks/_runtime: the tasks' lock holds exactly what the tasks import, for every supported Python.

Resolving needs the package index (scripts/lock), so these tests check the committed lock offline
against what it must be:

- requirements.in names exactly the distributions the agent's modules import (read from their source:
  ``slotwise.agent`` and everything it reaches), with pyproject.toml's ranges;
- for CPython 3.10 to 3.13 on Linux, Windows and macOS, the lock's lines that apply there are exactly
  the closure of requirements.in (each distribution's requirements read from its installed metadata in
  this environment, evaluated for that Python and platform), one pin per distribution, within every
  range that asks for it; nothing else is pinned;
- every line is ``==`` with sha256 hashes (``pip install --require-hashes`` needs nothing less);
- where a pin applies to this interpreter, it is the version the tests run with (scripts/_bootstrap.sh
  installs the development environment within the lock).

Limit: a distribution's requirements are those of the version installed here; where the lock pins
another version of it for another Python (e.g. an older one for 3.10), that version's own requirements
are not read (none of them is installed).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from slotwise_build.runtime import lock_entries, read_lock

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "tasks" / "_runtime"
SRC = ROOT / "src"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}
MACHINES = ("x86_64", "AMD64", "arm64", "aarch64")
NEVER_ON_AN_AGENT = (
    "azure-devops", "msrest", "oauthlib", "requests-oauthlib", "click",  # the CLI's, the releases'
    "starlette", "uvicorn", "trustme", "anyio", "h11", "slotwise",  # the emulator's, the wheel itself
)  # fmt: skip


def environments() -> Iterator[tuple[str, dict[str, str]]]:
    for python in PYTHONS:
        for platform, markers in PLATFORMS.items():
            for machine in MACHINES:
                env = {
                    **default_environment(),
                    **markers,
                    "platform_machine": machine,
                    "python_version": python,
                    "python_full_version": f"{python}.0",
                    "implementation_name": "cpython",
                    "platform_python_implementation": "CPython",
                }
                yield f"CPython {python} {platform} {machine}", env


ENVIRONMENTS = dict(environments())


def key(name: str) -> str:
    return str(canonicalize_name(name))


def inputs() -> dict[str, Requirement]:
    text = (RUNTIME / "requirements.in").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {key(Requirement(line).name): Requirement(line) for line in lines}


def lock() -> list[tuple[Requirement, list[str]]]:
    return [(Requirement(line), hashes) for line, hashes in lock_entries(read_lock(ROOT))]


def pins_for(env: dict[str, str]) -> dict[str, list[Version]]:
    """The lock's pins that apply in ``env``: name -> versions (more than one is a fault)."""
    found: dict[str, list[Version]] = {}
    for requirement, _ in lock():
        if requirement.marker is None or requirement.marker.evaluate(env):
            (spec,) = requirement.specifier
            found.setdefault(key(requirement.name), []).append(Version(spec.version))
    return found


def closure(env: dict[str, str]) -> tuple[dict[str, list[Requirement]], list[str]]:
    """Every distribution reachable from requirements.in in ``env`` with the requirements that ask for
    it; and those not installed here (their own requirements could not be read)."""
    wanted: dict[str, list[Requirement]] = {}
    unread: list[str] = []
    todo: list[tuple[Requirement, frozenset[str]]] = [(r, frozenset()) for r in inputs().values()]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, parent_extras = todo.pop()
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({**env, "extra": extra}) for extra in (parent_extras or {""})
        ):
            continue
        name = key(requirement.name)
        wanted.setdefault(name, []).append(requirement)
        extras = frozenset(key(extra) for extra in requirement.extras)
        if (name, extras) in done:
            continue
        done.add((name, extras))
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            unread.append(name)
            continue
        todo += [(Requirement(line), extras) for line in requires]
    return wanted, unread


# ---- what the tasks import -------------------------------------------------------------------------


def _module_file(name: str) -> Path | None:
    path = SRC / Path(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def agent_imports() -> set[str]:
    """The modules outside slotwise and the standard library that the agent's modules (every module
    of slotwise.agent: the task modules are imported by name) reach, at any depth, at any place."""
    todo = [f"slotwise.agent.{p.stem}" for p in (SRC / "slotwise" / "agent").glob("*.py")]
    seen: set[str] = set()
    foreign: set[str] = set()
    while todo:
        module = todo.pop()
        source = _module_file(module)
        if module in seen or source is None:
            continue
        seen.add(module)
        package = module if source.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for name in names:
                if name.split(".")[0] == "slotwise":
                    todo.append(name)
                elif name.split(".")[0] not in sys.stdlib_module_names and name != "__future__":
                    foreign.add(name)
    return foreign


def distribution_of(module: str) -> str:
    """The installed distribution whose files hold ``module`` (namespace packages such as ``azure``
    are shared by several)."""
    spec = None
    name = module
    while spec is None or spec.origin is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or spec.origin is None:  # ``from azure.core import rest``: a name, or a namespace
            name = name.rpartition(".")[0]
            assert name, f"{module} is not importable here"
    origin = Path(spec.origin).resolve()
    for dist_name in importlib.metadata.packages_distributions().get(module.split(".")[0], []):
        dist = importlib.metadata.distribution(dist_name)
        if any(Path(str(dist.locate_file(f))).resolve() == origin for f in dist.files or []):
            return key(dist_name)
    raise AssertionError(f"no installed distribution holds {module} ({origin})")


def test_the_input_is_exactly_what_the_agent_imports() -> None:
    imported = {distribution_of(module) for module in agent_imports()}
    assert {"jsonschema", "azure-mgmt-web"} <= imported  # the walk reaches the task modules
    assert sorted(inputs()) == sorted(imported)


def test_the_input_keeps_pyprojects_ranges() -> None:
    declared = {
        key(r.name): r
        for r in map(Requirement, importlib.metadata.distribution("slotwise").requires or [])
        if r.marker is None
    }
    for name, requirement in inputs().items():
        if name in declared:
            assert requirement.specifier == declared[name].specifier, name


# ---- the lock --------------------------------------------------------------------------------------


def test_every_line_is_pinned_and_hashed() -> None:
    entries = lock()
    assert len(entries) > len(inputs())
    for requirement, hashes in entries:
        (spec,) = requirement.specifier
        assert spec.operator == "==", requirement
        assert hashes, requirement
        assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), requirement


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
def test_the_lock_is_the_closure_of_the_input(environment: str) -> None:
    env = ENVIRONMENTS[environment]
    pins = pins_for(env)
    wanted, _ = closure(env)
    assert sorted(pins) == sorted(wanted), "pinned here but not needed / needed but not pinned"
    for name, requirements in wanted.items():
        assert len(pins[name]) == 1, f"{name} is pinned {len(pins[name])} times in {environment}"
        for requirement in requirements:
            assert requirement.specifier.contains(pins[name][0], prereleases=True), (name, str(requirement))


def test_nothing_of_the_cli_the_releases_or_the_emulator_is_pinned() -> None:
    pinned = {key(requirement.name) for requirement, _ in lock()}
    assert pinned.isdisjoint(NEVER_ON_AN_AGENT), pinned & set(NEVER_ON_AN_AGENT)
    assert pinned == {name for env in ENVIRONMENTS.values() for name in closure(env)[0]}


def test_the_lock_needs_every_input_on_the_oldest_python() -> None:
    """Today's packaging pinned from the 3.11 venv: a package needed only on 3.10 was left unpinned."""
    env = ENVIRONMENTS["CPython 3.10 linux x86_64"]
    assert set(inputs()) <= set(pins_for(env))
    _, unread = closure(env)
    assert unread == [], f"not installed here, so their requirements were not checked: {unread}"


def test_the_tests_run_with_the_locked_versions() -> None:
    here = {**default_environment(), "extra": ""}
    for name, versions in pins_for(here).items():
        installed = Version(importlib.metadata.version(name))
        assert installed == versions[0], (
            f"{name} {installed} is installed, the lock pins {versions[0]}: run scripts/test (its "
            "bootstrap reinstalls within the lock)"
        )
