"""The package a deployment uploads: a ``.zip`` file as it is, or a folder zipped on the fly.

Owns checking what the user pointed at (``check_package``: before anything remote happens), checking
that it is a function app (``check_function_app``: ``host.json`` at its root, read from the folder's
listing or the zip's central directory, never from the zip's content), and turning it into one zip
file on disk to stream (``prepared_package``). Glob patterns are resolved by the caller (the pipeline
face), not here; nothing here talks to Azure or reads a package into memory.

Why a folder becomes a **temporary zip file** rather than a zip generator streamed straight into
the request:

- a retry needs a re-readable body: azure-core's retry policy rewinds a file object with ``seek``;
  a generator cannot be rewound (the retry would send an exhausted, empty body), and re-creating it
  would zip the whole folder again per attempt, reading every file a second time;
- Kudu and App Service's front ends are sent a ``Content-Length`` (no chunked upload), and the byte
  progress has a known total; both need the size before the first byte goes out;
- ``zipfile`` writes each member from its file in small blocks, so memory stays flat for any folder;
  the cost is disk space for the compressed size, in the system's temporary directory, removed when
  the deployment ends (also on failure or Ctrl-C).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from slotwise.errors import UsageError

PackageKind = Literal["zip", "folder"]
HOST_JSON = "host.json"  # what makes a folder a function app, at its root
_SEARCH_DEPTH = 2  # how deep a misplaced host.json is looked for in a folder, to say where it is


@dataclass(frozen=True)
class PackageSource:
    """What the user asked to deploy, checked: an existing zip file or an existing, non-empty folder."""

    path: Path
    kind: PackageKind


@dataclass(frozen=True)
class Package:
    """The zip file to upload (``path``: the user's zip, or a temporary one made from a folder)."""

    source: PackageSource
    path: Path
    size: int

    @property
    def temporary(self) -> bool:
        return self.path != self.source.path


def check_package(path: Path | str) -> PackageSource:
    """``path`` checked: a zip file or a folder, else ``UsageError`` naming it. Reads only the zip's
    central directory (``zipfile.is_zipfile``), never the whole file."""
    source = Path(path).expanduser()
    if not source.exists():
        raise UsageError(
            f"The package '{source}' does not exist.",
            hint=f"Give the path of a .zip file or of the folder to deploy (relative to {Path.cwd()}).",
        )
    if source.is_dir():
        if not any(_files(source)):
            raise UsageError(
                f"The package folder '{source}' has no files to deploy.",
                hint="Point the package at the folder holding host.json (the build output).",
            )
        return PackageSource(source, "folder")
    if not source.is_file():
        raise UsageError(f"The package '{source}' is neither a file nor a folder.")
    try:
        is_zip = zipfile.is_zipfile(source)
    except OSError as error:
        raise UsageError(f"Cannot read the package '{source}': {error.strerror or error}.") from error
    if not is_zip:
        raise UsageError(
            f"The package '{source}' is not a zip file.",
            hint="Pass a .zip of the app (e.g. from `func pack` or your build's archive step), or the "
            "folder holding host.json, which slotwise zips for you.",
        )
    return PackageSource(source, "zip")


def check_function_app(source: PackageSource) -> None:
    """Refuse (``UsageError``) a package that is not a function app: the Functions host needs
    ``host.json`` at the root of what is deployed. A zip is judged by its central directory only
    (the names of its members), a folder by its listing: nothing is read or unpacked."""
    names = _member_names(source) if source.kind == "zip" else None
    if names is None:
        if (source.path / HOST_JSON).is_file():
            return
        nested = _nested_in_folder(source.path)
    else:
        if HOST_JSON in names:
            return
        nested = min((n for n in names if n.rpartition("/")[2] == HOST_JSON), key=_depth, default=None)
    what = "zip" if source.kind == "zip" else "folder"
    found = f" It has one at '{nested}': deploy that folder (or a zip of its contents)." if nested else ""
    raise UsageError(
        f"The package {what} '{source.path}' is not a function app: {HOST_JSON} is missing at its "
        f"root.{found}",
        hint=f"A function app package holds {HOST_JSON} at its root, beside the functions (folders with "
        "function.json, or the code and bin/ of a compiled app). Point the package at the build output "
        f"folder holding {HOST_JSON}, or at a zip of that folder's contents (not of the folder itself).",
    )


def _member_names(source: PackageSource) -> set[str]:
    """The member names of a zip, normalised ('/'-separated, no leading './' or '/'), from its
    central directory."""
    try:
        with zipfile.ZipFile(source.path) as archive:
            raw = archive.namelist()
    except (OSError, zipfile.BadZipFile) as error:
        raise UsageError(f"Cannot read the package '{source.path}': {error}.") from error
    names = set()
    for name in raw:
        clean = name.replace("\\", "/")
        while clean.startswith(("./", "/")):
            clean = clean[2:] if clean.startswith("./") else clean[1:]
        names.add(clean)
    return names


def _nested_in_folder(folder: Path, depth: int = _SEARCH_DEPTH) -> str | None:
    """Where a ``host.json`` sits below ``folder`` (the shallowest, at most ``depth`` levels down)."""
    level = [folder]
    for _ in range(depth):
        below = sorted(p for parent in level for p in _subfolders(parent))
        for sub in below:
            if (sub / HOST_JSON).is_file():
                return (sub / HOST_JSON).relative_to(folder).as_posix()
        level = below
    return None


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def _depth(name: str) -> int:
    return name.count("/")


@contextmanager
def prepared_package(source: PackageSource, *, temp_dir: Path | None = None) -> Iterator[Package]:
    """The zip to upload for ``source``; a folder is zipped into ``temp_dir`` (default: the system's
    temporary directory) and the zip is deleted when the block ends."""
    if source.kind == "zip":
        yield Package(source, source.path, source.path.stat().st_size)
        return
    workdir = Path(tempfile.mkdtemp(prefix="slotwise-package-", dir=temp_dir))
    try:
        target = workdir / f"{source.path.resolve().name or 'package'}.zip"
        zip_folder(source.path, target)
        yield Package(source, target, target.stat().st_size)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def zip_folder(folder: Path, target: Path) -> None:
    """Zip every file under ``folder`` (paths relative to it, sorted, '/'-separated) into ``target``,
    one file at a time in small blocks. Symbolic links are followed, as Kudu would see the files."""
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for file in _files(folder):
                archive.write(file, file.relative_to(folder).as_posix())
    except OSError as error:
        name = error.filename or folder
        raise UsageError(f"Cannot zip the package folder '{folder}': {name}: {error.strerror}.") from error


def _files(folder: Path) -> Iterator[Path]:
    """The regular files under ``folder``, in a stable order (so the same folder gives the same zip);
    links to folders are followed, except one back to a folder it sits in (a cycle)."""
    for root, dirs, files in os.walk(folder, followlinks=True):
        if _is_cycle(root, str(folder)):
            dirs.clear()
            continue
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file():
                yield path


def _is_cycle(root: str, top: str) -> bool:
    """Whether ``root`` is (through a link) the same folder as one of its parents up to ``top``."""
    real = os.path.realpath(root)
    parent = root
    while parent != top and len(parent) > len(top):
        parent = os.path.dirname(parent)
        if os.path.realpath(parent) == real:
            return True
    return False
