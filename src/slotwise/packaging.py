"""Packaging the Azure DevOps extension: the Python half of ``scripts/package``.

Owns, for the ``.vsix`` that ``tfx extension create`` builds from ``build/extension``:

- the **version**, kept in one place: ``pyproject.toml``'s ``[project] version`` (``MAJOR.MINOR.PATCH``),
  stamped into the staged manifest and into each staged task.json (``Major``/``Minor``/``Patch``; the
  task's ``Major`` is what YAML names: ``- task: SlotwiseDeployToSlot@1``);
- the **lock** shipped beside the wheel in every task: the runtime dependencies of the wheel, pinned
  to the versions installed in this (tested) environment, found by walking installed metadata from
  the wheel's own ``Requires-Dist`` (offline, no resolver, no index);
- the **staging** tree: ``vss-extension.json`` (version, publisher), the marketplace files from
  ``tasks/_extension/``, and per task ``tasks/<folder>/`` with task.json, the shim, the wheel, the
  lock and the icon;
- the **checks tfx only warns about** (a bad id, name, friendlyName over 40, no instanceNameFormat, a
  missing handler target), plus references inside a task.json (groups, visibleRules, bindings) and
  the manifest's agreement with the task folders. Full JSON Schema validation is the tests' job
  (the official schemas are not vendored).

Must not: talk to Azure or Azure DevOps, import the product's operations, or run npm (the script
does). Needs ``packaging`` (present wherever pip and pytest are).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import sys
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from email.parser import Parser
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from slotwise.errors import SlotwiseError, UsageError

MANIFEST = "vss-extension.json"
VSIX_MANIFEST = "extension.vsixmanifest"  # what tfx makes of the manifest, in the .vsix
VSO_MANIFEST = "extension.vsomanifest"
SHIM = "shim.js"
LOCK = "requirements.lock"
EXTENSION_FILES = "tasks/_extension"
DEFAULT_PUBLISHER = "slotwise-dev"
PUBLISHER_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]+$")
VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
REQUIRED_HANDLERS = ("Node20_1", "Node24")
DEPRECATED_HANDLERS = ("Node", "Node6", "Node10", "Node16")
INPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
RULE_CLAUSE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*(==|=|!=|[A-Za-z]+)\s*(.*?)\s*$")


class PackagingError(SlotwiseError):
    """The extension cannot be staged: the message lists every problem found."""


# ------------------------------------------------------------------------------------ version


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
        raise PackagingError("pyproject.toml has no [project] version")
    return version


def task_version(version: str) -> dict[str, int]:
    """``1.2.3`` as task.json wants it; anything but three numbers is refused (tfx and the
    marketplace accept no pre-release or local parts)."""
    match = VERSION_PATTERN.match(version)
    if match is None:
        raise PackagingError(
            f"the version '{version}' in pyproject.toml is not MAJOR.MINOR.PATCH (three numbers): "
            "the extension and its tasks need exactly that"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return {"Major": major, "Minor": minor, "Patch": patch}


# --------------------------------------------------------------------------------------- lock


def wheel_requirements(wheel: Path) -> tuple[list[str], str]:
    """A built wheel's ``Requires-Dist`` lines, and the lowest Python it supports (``3.10``)."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
        if len(names) != 1:
            raise PackagingError(f"{wheel.name} has no single .dist-info/METADATA")
        metadata = Parser().parsestr(archive.read(names[0]).decode("utf-8"))
    floor = re.search(r">=\s*([0-9.]+)", metadata.get("Requires-Python") or "")
    return metadata.get_all("Requires-Dist") or [], floor.group(1) if floor else "3.0"


def _environment_marker(requirement: Requirement) -> str:
    """The requirement's marker unless it only selects an extra (extras are resolved by the walk)."""
    marker = str(requirement.marker) if requirement.marker is not None else ""
    return "" if not marker or "extra" in marker else marker


def _python_marker(requires_python: str | None, floor: str) -> str:
    """A marker limiting a pin to the Pythons it supports, if those exclude slotwise's ``floor``."""
    if not requires_python or SpecifierSet(requires_python).contains(floor):
        return ""
    clauses = [
        f'python_full_version {spec.operator} "{spec.version}"' for spec in SpecifierSet(requires_python)
    ]
    return " and ".join(sorted(clauses))


def _any_of(paths: set[frozenset[str]]) -> str:
    """One marker for the ways a package is reached: '' if some way has no condition."""
    if frozenset() in paths:
        return ""
    alternatives = sorted(
        " and ".join(sorted(path)) if len(path) == 1 else " and ".join(f"({m})" for m in sorted(path))
        for path in paths
    )
    return alternatives[0] if len(alternatives) == 1 else " or ".join(f"({a})" for a in alternatives)


def runtime_lock(requirements: Iterable[str], *, title: str, python_floor: str = "3.10") -> str:
    """Pin every requirement reachable from ``requirements`` to the version installed in this
    environment, one ``name==version`` line each, usable with ``pip install -r`` or ``-c``.

    A package reached only through environment markers (``python_version < "3.11"``,
    ``platform_python_implementation != "PyPy"``, ...) keeps those markers on its line, so another
    agent's pip skips it where it does not apply. Requirements whose markers exclude this platform
    or Python are listed as comments: not installed here, so there is no tested version to pin; pip
    resolves them within their ranges. A tested version that needs a newer Python than
    ``python_floor`` (slotwise's own minimum) is pinned for those Pythons only: on an older one pip
    picks a version within slotwise's range that runs there.
    """
    pins: dict[str, str] = {}
    paths: dict[str, set[frozenset[str]]] = {}
    newer: dict[str, str] = {}
    elsewhere: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str], frozenset[str]]] = set()
    Pending = tuple[Requirement, frozenset[str], frozenset[str], str]
    pending: list[Pending] = [
        (Requirement(line), frozenset(), frozenset(), "slotwise") for line in requirements
    ]
    while pending:
        requirement, parent_extras, markers, parent = pending.pop()
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in (parent_extras or {""})
        ):
            if "extra" not in str(requirement.marker):
                elsewhere.setdefault(
                    str(canonicalize_name(requirement.name)), f"{requirement}  (from {parent})"
                )
            continue
        key = str(canonicalize_name(requirement.name))
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:
            raise PackagingError(
                f"{requirement.name} (required by {parent}) is not installed in {sys.prefix}: "
                "run scripts/test once, or pip install -e '.[test]', then package again"
            ) from None
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise PackagingError(
                f"{dist.metadata['Name']} {dist.version} is installed but {parent} needs {requirement}"
            )
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        newer[key] = _python_marker((dist.metadata.get_all("Requires-Python") or [None])[0], python_floor)
        path = markers | ({_environment_marker(requirement)} - {""})
        paths.setdefault(key, set()).add(path)
        extras = frozenset(str(canonicalize_name(extra)) for extra in requirement.extras)
        if (key, extras, path) in visited:
            continue
        visited.add((key, extras, path))
        for line in dist.requires or []:
            pending.append((Requirement(line), extras, path, str(dist.metadata["Name"])))
    for key in pins:
        elsewhere.pop(key, None)
    lines = [
        f"# {title}: runtime dependencies pinned to the versions tested with it.",
        f"# Generated by scripts/package from the environment of Python {platform.python_version()} "
        f"on {sys.platform}.",
        "# Beside the wheel: pip install -r requirements.lock slotwise-*.whl (or -c: constraints).",
    ]
    if elsewhere:
        lines.append(
            "# Needed only on other platforms or Python versions (not installed here, so not pinned):"
        )
        lines += [f"#   {elsewhere[key]}" for key in sorted(elsewhere)]
    for key in sorted(pins):
        marker = _any_of(paths[key])
        if newer[key]:
            marker = f"({marker}) and {newer[key]}" if marker else newer[key]
        lines.append(f"{pins[key]} ; {marker}" if marker else pins[key])
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- checks


def _input_names(task: dict[str, Any]) -> set[str]:
    return {str(spec.get("name")) for spec in task.get("inputs", [])}


def _rule_names(rule: str) -> list[str]:
    """The input names a visibleRule reads (clauses joined by ``&&`` / ``||``)."""
    names = []
    for clause in re.split(r"&&|\|\|", rule):
        match = RULE_CLAUSE.match(clause)
        names.append(match.group(1) if match else clause.strip())
    return names


def check_task(task: dict[str, Any], folder: Path) -> list[str]:
    """What tfx would only warn about, and what would break the editor, for one task.json."""
    label = f"{folder.name}/task.json"
    problems: list[str] = []
    try:
        uuid.UUID(str(task.get("id", "")))
    except ValueError:
        problems.append(f"{label}: id is not a GUID")
    if not re.fullmatch(r"[A-Za-z0-9\-]+", str(task.get("name", ""))):
        problems.append(f"{label}: name must be letters, digits and '-' (YAML calls the task by it)")
    if not 1 <= len(str(task.get("friendlyName", ""))) <= 40:
        problems.append(f"{label}: friendlyName must be 1 to 40 characters")
    if not task.get("instanceNameFormat"):
        problems.append(f"{label}: instanceNameFormat is missing")
    version = task.get("version", {})
    if sorted(version) != ["Major", "Minor", "Patch"] or not all(
        isinstance(v, int) for v in version.values()
    ):
        problems.append(f"{label}: version must be {{Major, Minor, Patch}} numbers")
    execution = task.get("execution", {})
    for handler in REQUIRED_HANDLERS:
        if handler not in execution:
            problems.append(f"{label}: execution has no {handler} handler")
    for handler, spec in execution.items():
        if handler in DEPRECATED_HANDLERS:
            problems.append(f"{label}: execution handler {handler} is end-of-life")
        target = str(spec.get("target", "")) if isinstance(spec, dict) else ""
        target = re.sub(r"\$\(\s*currentdirectory\s*\)", ".", target, flags=re.I)
        if not target or not (folder / target).is_file():
            problems.append(
                f"{label}: execution.{handler}.target '{target}' is not a file in the task folder"
            )
    names = _input_names(task)
    groups = {group.get("name") for group in task.get("groups", [])}
    seen: set[str] = set()
    for spec in task.get("inputs", []):
        name = str(spec.get("name"))
        for alias in [name, *spec.get("aliases", [])]:
            if alias.lower() in seen:
                problems.append(f"{label}: input name or alias '{alias}' is used twice")
            seen.add(alias.lower())
        if not INPUT_NAME.match(name):
            problems.append(f"{label}: input name '{name}' must be letters and digits")
        if "groupName" in spec and spec["groupName"] not in groups:
            problems.append(
                f"{label}: input '{name}' is in group '{spec['groupName']}', which is not declared"
            )
        for read in _rule_names(str(spec.get("visibleRule", ""))) if spec.get("visibleRule") else []:
            if read not in names:
                problems.append(f"{label}: the visibleRule of '{name}' reads '{read}', which is no input")
    for group in task.get("groups", []):
        for read in _rule_names(str(group.get("visibleRule", ""))) if group.get("visibleRule") else []:
            if read not in names:
                problems.append(f"{label}: the visibleRule of group '{group.get('name')}' reads '{read}'")
    for binding in task.get("dataSourceBindings", []):
        if binding.get("target") not in names:
            problems.append(
                f"{label}: a dataSourceBinding targets '{binding.get('target')}', which is no input"
            )
        texts = [str(binding.get("endpointId", "")), *map(str, binding.get("parameters", {}).values())]
        for read in re.findall(r"\$\(([^)]+)\)", " ".join(texts)):
            if read not in names:
                problems.append(f"{label}: a dataSourceBinding reads $({read}), which is no input")
    for output in task.get("outputVariables", []):
        if not INPUT_NAME.match(str(output.get("name", ""))):
            problems.append(f"{label}: output variable '{output.get('name')}' must be letters and digits")
    return problems


def check_manifest(manifest: dict[str, Any], root: Path) -> list[str]:
    """The staged manifest against the staged tree: versions, paths, one contribution per task."""
    problems: list[str] = []
    if manifest.get("manifestVersion") != 1:
        problems.append(f"{MANIFEST}: manifestVersion must be 1")
    if not VERSION_PATTERN.match(str(manifest.get("version", ""))):
        problems.append(f"{MANIFEST}: version must be MAJOR.MINOR.PATCH")
    for key in ("id", "publisher"):
        if not PUBLISHER_PATTERN.match(str(manifest.get(key, ""))):
            problems.append(f"{MANIFEST}: {key} must be letters, digits and '-'")
    paths = [str(manifest.get("icons", {}).get("default", ""))]
    paths += [str(entry.get("path", "")) for entry in manifest.get("content", {}).values()]
    paths += [str(entry.get("path", "")) for entry in manifest.get("files", [])]
    problems += [
        f"{MANIFEST}: '{path}' does not exist in the staged tree"
        for path in paths
        if not (root / path).exists()
    ]
    contributed = [
        str(c.get("properties", {}).get("name", ""))
        for c in manifest.get("contributions", [])
        if c.get("type") == "ms.vss-distributed-task.task"
    ]
    staged = sorted(str(p.parent.relative_to(root)) for p in root.glob("tasks/*/task.json"))
    if sorted(contributed) != staged:
        problems.append(
            f"{MANIFEST}: task contributions {sorted(contributed)} differ from the task folders {staged}"
        )
    files = sorted(str(entry.get("path", "")) for entry in manifest.get("files", []))
    if not set(staged) <= set(files):
        problems.append(f"{MANIFEST}: files {files} do not include every task folder {staged}")
    tasks = [json.loads((root / folder / "task.json").read_text(encoding="utf-8")) for folder in staged]
    for key in ("id", "name"):
        values = [str(task.get(key, "")).lower() for task in tasks]
        if len(set(values)) != len(values):
            problems.append(f"{MANIFEST}: two tasks share one {key}")
    return problems


# ------------------------------------------------------------------------------------ staging


def task_folders(root: Path) -> list[str]:
    """The task folders of a checkout: ``tasks/<folder>/task.json``, ``_``-prefixed ones excluded."""
    return sorted(
        p.parent.name for p in (root / "tasks").glob("*/task.json") if not p.parent.name.startswith("_")
    )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def stage(root: Path, out: Path, *, wheel: Path, publisher: str) -> list[str]:
    """Build the tree ``tfx extension create --root out`` packages; answer the task folders staged.

    Raises ``PackagingError`` listing every problem; nothing is left half-checked.
    """
    if not PUBLISHER_PATTERN.match(publisher):
        raise UsageError(
            f"publisher '{publisher}' must be letters, digits and '-' (your marketplace publisher id)"
        )
    version = project_version(root)
    parts = task_version(version)
    shim = root / "tasks" / "_shim" / SHIM
    if not shim.is_file():
        raise PackagingError(f"{shim.relative_to(root)} is missing: the tasks have nothing to run")
    if out.exists():
        shutil.rmtree(out)
    (out / "tasks").mkdir(parents=True)
    requirements, python_floor = wheel_requirements(wheel)
    lock = runtime_lock(requirements, title=f"slotwise {version}", python_floor=python_floor)
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(version=version, publisher=publisher)
    _write_json(out / MANIFEST, manifest)
    for item in sorted((root / EXTENSION_FILES).iterdir()):
        if item.is_file() and not item.name.startswith("."):
            shutil.copy2(item, out / item.name)
    folders = task_folders(root)
    for folder in folders:
        target = out / "tasks" / folder
        target.mkdir()
        task = json.loads((root / "tasks" / folder / "task.json").read_text(encoding="utf-8"))
        task["version"] = parts
        _write_json(target / "task.json", task)
        shutil.copy2(shim, target / SHIM)
        shutil.copy2(wheel, target / wheel.name)
        (target / LOCK).write_text(lock, encoding="utf-8")
        if (out / "icon.png").is_file():
            shutil.copy2(out / "icon.png", target / "icon.png")  # the task's icon in the editor
    problems = [
        p
        for folder in folders
        for p in check_task(_read(out / "tasks" / folder / "task.json"), out / "tasks" / folder)
    ]
    problems += check_manifest(manifest, out)
    if problems:
        raise PackagingError("the staged extension is not valid:\n  " + "\n  ".join(problems))
    return folders


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise PackagingError(f"{path} is not a JSON object")
    return data


def check_vsix(vsix: Path, folders: Sequence[str], version: str) -> list[str]:
    """What a built .vsix must hold: tfx's two manifests (this version, one task contribution per
    folder), and per task its task.json (this version), the shim, the wheel and the lock."""
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        problems = [f"{vsix.name}: no {name}" for name in (VSIX_MANIFEST, VSO_MANIFEST) if name not in names]
        if problems:
            return problems
        identity = re.search(
            r"<Identity [^>]*Version=\"([^\"]+)\"", archive.read(VSIX_MANIFEST).decode("utf-8")
        )
        if identity is None or identity.group(1) != version:
            problems.append(f"{vsix.name}: {VSIX_MANIFEST} does not say version {version}")
        contributions = json.loads(archive.read(VSO_MANIFEST)).get("contributions", [])
        contributed = sorted(str(c.get("properties", {}).get("name")) for c in contributions)
        if contributed != sorted(f"tasks/{folder}" for folder in folders):
            problems.append(
                f"{vsix.name}: contributes {contributed}, expected one per task folder {list(folders)}"
            )
        for folder in folders:
            base = f"tasks/{folder}/"
            for name in ("task.json", SHIM, LOCK, f"slotwise-{version}-py3-none-any.whl"):
                if base + name not in names:
                    problems.append(f"{vsix.name}: no {base}{name}")
            if base + "task.json" in names:
                stamped = json.loads(archive.read(base + "task.json")).get("version")
                if stamped != task_version(version):
                    problems.append(f"{vsix.name}: {base}task.json has version {stamped}, not {version}")
    return problems


# ---------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slotwise.packaging", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout (default: here)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print pyproject's version")
    staging = commands.add_parser("stage", help="stage the extension tree and check it")
    staging.add_argument("--wheel", type=Path, required=True)
    staging.add_argument("--out", type=Path, required=True)
    staging.add_argument("--publisher", default=DEFAULT_PUBLISHER)
    checking = commands.add_parser("check-vsix", help="check what a built .vsix holds")
    checking.add_argument("vsix", type=Path)
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.command == "version":
            version = project_version(root)
            task_version(version)
            print(version)
        elif args.command == "stage":
            folders = stage(root, args.out.resolve(), wheel=args.wheel.resolve(), publisher=args.publisher)
            print(f"staged {len(folders)} tasks in {args.out}: {', '.join(folders)}")
        else:
            problems = check_vsix(args.vsix, task_folders(root), project_version(root))
            if problems:
                raise PackagingError("\n  ".join(["the .vsix is incomplete:", *problems]))
            print(f"{args.vsix}: manifest and {len(task_folders(root))} complete task folders")
    except SlotwiseError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
