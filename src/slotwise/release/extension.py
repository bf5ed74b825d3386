"""The slotwise extension as an Azure DevOps organization installs it: a minimal .vsix of its tasks.

An organization knows a task once an extension contributing it is installed; a .vsix is a zip whose
``extension.vsixmanifest`` names the extension (publisher, id, version), whose
``extension.vsomanifest`` lists its contributions, and which holds each contributed task folder's
``task.json``. This module builds one from ``vss-extension.json`` and the tasks' ``task.json``: what
``slotwise emulator`` installs in its seeded organization, so specs on slotwise's own tasks apply
there (the tests install it the same way).

Where they are read: an installed slotwise carries the manifest as ``slotwise/release/vss-extension.json``
beside ``slotwise/release/tasks/<folder>/task.json`` (``setup.py`` copies both into the wheel), so the
manifest's folders (``tasks/<folder>``) resolve beside it as they do at the root of a checkout, which a
source checkout (an editable install, the tests) reads instead.

Must not: package the marketplace extension (``scripts/package`` does: shim, wheel, icon, pinned
versions), or install anything (the emulator's own API does).
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from slotwise.errors import ConfigError
from slotwise.release.catalogue import CHECKOUT_TASKS, TASK_JSON

if TYPE_CHECKING:
    from importlib.abc import Traversable
    from pathlib import Path

MANIFEST = "vss-extension.json"
PACKAGED_ROOT = "release"  # inside the slotwise package, in a built wheel: release/vss-extension.json
CHECKOUT_ROOT = CHECKOUT_TASKS.parent
TASK_CONTRIBUTION = "ms.vss-distributed-task.task"
REINSTALL = "Reinstall slotwise from a wheel built by `pip wheel` or `scripts/package`."


def extension_root() -> Traversable | Path:
    """The folder holding ``vss-extension.json`` and the ``tasks/`` it names: the package's, else the
    checkout's; a ``ConfigError`` when neither has it."""
    packaged = resources.files("slotwise").joinpath(PACKAGED_ROOT)
    for root in (packaged, CHECKOUT_ROOT):
        if root.joinpath(MANIFEST).is_file():
            return root
    raise ConfigError(
        f"This slotwise installation has no {MANIFEST} (the manifest of its Azure DevOps extension).",
        hint=REINSTALL,
    )


def manifest() -> dict[str, Any]:
    """The extension's ``vss-extension.json``."""
    data: dict[str, Any] = json.loads(extension_root().joinpath(MANIFEST).read_text(encoding="utf-8-sig"))
    return data


def minimal_vsix() -> bytes:
    """A .vsix of the extension's identity, its task contributions and each task's ``task.json``."""
    root = extension_root()
    found = manifest()
    tasks = [c for c in found.get("contributions", ()) if c.get("type") == TASK_CONTRIBUTION]
    identity = " ".join(
        f"{attribute}={quoteattr(str(found[key]))}"
        for attribute, key in (("Id", "id"), ("Version", "version"), ("Publisher", "publisher"))
    )
    display = f"<DisplayName>{escape(str(found.get('name') or found['id']))}</DisplayName>"
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as vsix:
        vsix.writestr(
            "extension.vsixmanifest",
            f"<PackageManifest><Metadata><Identity {identity}/>{display}</Metadata></PackageManifest>",
        )
        vsix.writestr("extension.vsomanifest", json.dumps({"contributions": tasks}, indent=2))
        for contribution in tasks:
            folder = str(contribution["properties"]["name"]).strip("/")
            task_json = root.joinpath(folder).joinpath(TASK_JSON)
            if not task_json.is_file():
                raise ConfigError(
                    f"{MANIFEST}: the task contribution '{contribution.get('id')}' names {folder}, "
                    f"which has no {TASK_JSON} in this installation.",
                    hint=REINSTALL,
                )
            vsix.writestr(f"{folder}/{TASK_JSON}", task_json.read_bytes())
    return data.getvalue()
