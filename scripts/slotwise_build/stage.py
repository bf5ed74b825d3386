"""The staging tree ``tfx extension create --root out`` packages: ``vss-extension.json`` (version,
publisher), the marketplace files from ``tasks/_extension/``, and per task ``tasks/<folder>/`` with
task.json (version stamped), the shim, the wheel, the committed lock, the wheel's hashed requirement
and the icon; then every check of ``checks``.

Must not: build the wheel (the script does) or resolve dependencies (the lock is committed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from slotwise_build import BuildError
from slotwise_build.checks import MANIFEST, PUBLISHER_PATTERN, SHIM, check_manifest, check_task
from slotwise_build.project import project_version, task_folders, task_version
from slotwise_build.runtime import LOCK, WHEEL_REQUIREMENT, read_lock, wheel_requirement

EXTENSION_FILES = Path("tasks") / "_extension"
DEFAULT_PUBLISHER = "slotwise-dev"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise BuildError(f"{path} is not a JSON object")
    return data


def stage(root: Path, out: Path, *, wheel: Path, publisher: str) -> list[str]:
    """Build the tree ``tfx extension create --root out`` packages; answer the task folders staged.

    Raises ``BuildError`` listing every problem; nothing is left half-checked.
    """
    if not PUBLISHER_PATTERN.match(publisher):
        raise BuildError(
            f"publisher '{publisher}' must be letters, digits and '-' (your marketplace publisher id)"
        )
    version = project_version(root)
    parts = task_version(version)
    shim = root / "tasks" / "_shim" / SHIM
    if not shim.is_file():
        raise BuildError(f"{shim.relative_to(root)} is missing: the tasks have nothing to run")
    lock = read_lock(root)
    if out.exists():
        shutil.rmtree(out)
    (out / "tasks").mkdir(parents=True)
    requirement = wheel_requirement(wheel)
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
        (target / WHEEL_REQUIREMENT).write_text(requirement, encoding="utf-8")
        if (out / "icon.png").is_file():
            shutil.copy2(out / "icon.png", target / "icon.png")  # the task's icon in the editor
    problems = [
        p
        for folder in folders
        for p in check_task(_read(out / "tasks" / folder / "task.json"), out / "tasks" / folder)
    ]
    problems += check_manifest(manifest, out)
    if problems:
        raise BuildError("the staged extension is not valid:\n  " + "\n  ".join(problems))
    return folders
