"""The checks ``tfx`` only warns about (a bad id, name, friendlyName over 40, no instanceNameFormat, a
missing handler target), references inside a task.json (groups, visibleRules, bindings), the manifest's
agreement with the staged task folders, and what a built .vsix must hold. Full JSON Schema validation
is the tests' job (the official schemas are not vendored).

Must not: write anything; each check answers the list of problems it found (empty: none).
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slotwise_build.project import VERSION_PATTERN, task_version
from slotwise_build.runtime import LOCK, WHEEL_REQUIREMENT

MANIFEST = "vss-extension.json"
VSIX_MANIFEST = "extension.vsixmanifest"  # what tfx makes of the manifest, in the .vsix
VSO_MANIFEST = "extension.vsomanifest"
SHIM = "shim.js"
PUBLISHER_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]+$")
REQUIRED_HANDLERS = ("Node20_1", "Node24")
DEPRECATED_HANDLERS = ("Node", "Node6", "Node10", "Node16")
INPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
RULE_CLAUSE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*(==|=|!=|[A-Za-z]+)\s*(.*?)\s*$")


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


def check_vsix(vsix: Path, folders: Sequence[str], version: str) -> list[str]:
    """What a built .vsix must hold: tfx's two manifests (this version, one task contribution per
    folder), and per task its task.json (this version), the shim, the wheel, the lock and the wheel's
    hashed requirement."""
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
            for name in ("task.json", SHIM, LOCK, WHEEL_REQUIREMENT, f"slotwise-{version}-py3-none-any.whl"):
                if base + name not in names:
                    problems.append(f"{vsix.name}: no {base}{name}")
            if base + "task.json" in names:
                stamped = json.loads(archive.read(base + "task.json")).get("version")
                if stamped != task_version(version):
                    problems.append(f"{vsix.name}: {base}task.json has version {stamped}, not {version}")
    return problems
