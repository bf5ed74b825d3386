"""The emulator is a distribution of its own: it imports nothing of slotwise, and what it needs to run
is declared in its own pyproject.toml (no test-only or client library)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


PACKAGE = Path(__file__).resolve().parents[2] / "src" / "slotwise_emulator"
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"
# what the running emulator may import: the standard library, its own package, and its dependencies
DECLARED = {"starlette", "uvicorn", "trustme", "cryptography", "jwt"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_of_the_emulator_imports_slotwise() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(roots & {"slotwise", "tests"})
        for path in PACKAGE.rglob("*.py")
        if (roots := imported_roots(path)) & {"slotwise", "tests"}
    }
    assert offenders == {}


def test_the_emulator_imports_only_the_standard_library_itself_and_its_declared_dependencies() -> None:
    allowed = set(sys.stdlib_module_names) | {"slotwise_emulator"} | DECLARED
    found = {
        str(path.relative_to(PACKAGE)): sorted(roots - allowed)
        for path in PACKAGE.rglob("*.py")
        if (roots := imported_roots(path)) - allowed
    }
    assert found == {}


def test_its_dependencies_are_the_ones_it_imports() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    names = {req.split(">")[0].split("[")[0].split("=")[0].strip().lower() for req in project["dependencies"]}
    assert names == {"starlette", "uvicorn", "trustme", "cryptography", "pyjwt"}
