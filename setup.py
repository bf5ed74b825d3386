"""Build hook: the pipeline tasks' task.json files and the extension's manifest go into the wheel.

``tasks/<folder>/task.json`` is the one source of truth for the extension's tasks (what the
editor shows, what the agent runs). ``slotwise release`` validates specs against the same files,
so a built wheel carries a byte-for-byte copy of each as ``slotwise/release/tasks/<folder>/task.json``,
made here when the wheel is built (``pip wheel``, ``python -m build``, ``scripts/package``); nothing is
duplicated in ``src/``. The extension's manifest, ``vss-extension.json``, goes beside them as
``slotwise/release/vss-extension.json`` (its ``tasks/<folder>`` resolve there as at the checkout's root):
``slotwise emulator`` installs the extension's tasks in its organization from them
(``slotwise.release.extension``). An editable install reads ``tasks/`` and the manifest from the
checkout instead (``slotwise.release.catalogue``). Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
TASKS = ROOT / "tasks"
MANIFEST = ROOT / "vss-extension.json"
PACKAGED = Path("slotwise") / "release" / "tasks"


class BuildPyWithTasks(build_py):
    """``build_py``, then the task.json of every task folder (not ``_``-prefixed) and the extension's
    manifest into the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable: the checkout's tasks/ is read where it is
        found = sorted(p for p in TASKS.glob("*/task.json") if not p.parent.name.startswith("_"))
        if not found:
            raise SystemExit(f"setup.py: no tasks/<folder>/task.json under {TASKS}; the wheel needs them")
        for task_json in found:
            target = Path(self.build_lib) / PACKAGED / task_json.parent.name / "task.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(task_json, target)
        if not MANIFEST.is_file():
            raise SystemExit(f"setup.py: no {MANIFEST}; the wheel needs the extension's manifest")
        shutil.copyfile(MANIFEST, Path(self.build_lib) / PACKAGED.parent / MANIFEST.name)


setup(cmdclass={"build_py": BuildPyWithTasks})
