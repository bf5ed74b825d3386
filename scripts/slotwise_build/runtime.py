"""The task runtime shipped beside the wheel in every task folder: the committed lock and the wheel's
own hashed requirement line.

``tasks/_runtime/requirements.in`` lists what the tasks import; ``scripts/lock`` resolves it (uv, for
CPython 3.10 to 3.13 on Linux, Windows and macOS) into ``requirements.lock``: every line ``==`` with a
``--hash`` per file. The shim installs ``pip install --require-hashes --no-deps -r requirements.lock
-r requirements-slotwise.txt`` from the task folder: the second file names the bundled wheel with the
sha256 taken here, at packaging time, so the wheel is checked like every dependency and only the lock
is installed (the wheel's own ``Requires-Dist`` is not followed).

Must not: resolve anything (scripts/lock does, with the network), or change the lock.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from slotwise_build import BuildError

RUNTIME = Path("tasks") / "_runtime"
LOCK = "requirements.lock"
WHEEL_REQUIREMENT = "requirements-slotwise.txt"
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[^\s;\\]+(\s*;[^\\]*)?$")
_HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lock_entries(text: str) -> list[tuple[str, list[str]]]:
    """The requirements of a pip requirements file as ``(requirement, [--hash options])``: continuation
    lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        continued = line.endswith("\\")
        pending = f"{pending} {line.rstrip(chr(92)).strip()}".strip()
        if not continued:
            if pending:
                logical.append(pending)
            pending = ""
    if pending:
        logical.append(pending)
    entries = []
    for line in logical:
        parts = line.split(" --hash=")
        entries.append((parts[0].strip(), [f"--hash={part.strip()}" for part in parts[1:]]))
    return entries


def read_lock(root: Path) -> str:
    """The committed lock, refused unless every requirement is pinned ``==`` and hashed."""
    path = root / RUNTIME / LOCK
    if not path.is_file():
        raise BuildError(f"{path.relative_to(root)} is missing: run scripts/lock")
    text = path.read_text(encoding="utf-8")
    entries = lock_entries(text)
    problems = [
        f"'{requirement}' is not pinned with == (one version per line)"
        for requirement, _ in entries
        if not _PIN.match(requirement)
    ]
    problems += [
        f"'{requirement}' has no --hash=sha256:<64 hex digits>"
        for requirement, hashes in entries
        if not hashes or not all(_HASH.match(option) for option in hashes)
    ]
    if not entries:
        problems.append("it pins nothing")
    if problems:
        raise BuildError(
            f"{path.relative_to(root)} cannot be installed with --require-hashes: "
            + "; ".join(problems)
            + ". Run scripts/lock."
        )
    return text


def wheel_requirement(wheel: Path) -> str:
    """``requirements-slotwise.txt``: the wheel beside it (a path relative to the task folder, where
    the shim runs pip) and the sha256 it has now."""
    return (
        "# The slotwise wheel of this task folder and its sha256, taken when it was packaged\n"
        "# (pip runs in the task folder: pip install --require-hashes --no-deps -r requirements.lock\n"
        f"# -r {WHEEL_REQUIREMENT}).\n"
        f"./{wheel.name} --hash=sha256:{sha256(wheel)}\n"
    )
