"""Dependencies point down: which slotwise packages may import which, and who reads the environment.

Read from the source with ``ast`` (every import, also inside functions and under ``TYPE_CHECKING``,
relative ones resolved, and ``importlib.import_module("...")`` with a literal name), not by grep, so
a comment or a string naming a module is not an import and an import written another way is not
missed. The checker is tested on snippets first, so a rule that finds nothing is seen to be able to.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "slotwise"

# (modules the rule is about, what they must never import); a name covers its submodules
RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        "slotwise.slots",
        ("slotwise.factory", "slotwise.cli", "slotwise.agent", "slotwise.demo", "slotwise_emulator"),
    ),
    (
        "slotwise.azure",
        (
            "slotwise.slots",
            "slotwise.cli",
            "slotwise.agent",
            "slotwise.factory",
            "slotwise.demo",
            "slotwise_emulator",
        ),
    ),
    # the emulator is an extra, reached only through slotwise.emulated (and by the demo's story)
    ("slotwise.agent", ("slotwise_emulator", "slotwise.cli", "slotwise.demo")),
    ("slotwise.cli", ("slotwise_emulator",)),
    ("slotwise.demo", ("slotwise.cli", "slotwise.agent")),
    ("slotwise.services", ("slotwise.factory", "slotwise.slots", "slotwise.cli", "slotwise.agent")),
    # Azure DevOps is a boundary like slotwise.azure; release/ knows it only through release.gateway
    (
        "slotwise.devops",
        (
            "slotwise.slots",
            "slotwise.cli",
            "slotwise.agent",
            "slotwise.factory",
            "slotwise.demo",
            "slotwise_emulator",
            "slotwise.release.plan",
            "slotwise.release.apply",
            "slotwise.release.export",
            "slotwise.release.diff",
        ),
    ),
    ("slotwise.release", ("slotwise.devops", "slotwise.factory", "slotwise.cli", "slotwise_emulator")),
    ("slotwise.events", ("slotwise.factory", "slotwise.slots", "slotwise.azure", "slotwise.cli")),
    ("slotwise.builds", ("slotwise.factory", "slotwise.slots", "slotwise.azure", "slotwise.cli")),
]
ENVIRONMENT_READER = "slotwise.factory"  # the only module that reads os.environ
_ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports; ``from a import b`` counts as both
    ``a`` and ``a.b`` (``b`` may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def _is_import_module(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id == "import_module"


def reads_environment(source: str) -> list[int]:
    """The lines where ``source`` reads (or changes) the process environment through ``os``."""
    tree = ast.parse(source)
    os_names = {"os"}
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names.update(alias.asname or alias.name for alias in node.names if alias.name == "os")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in _ENVIRONMENT_NAMES for alias in node.names)
        ):
            lines.append(node.lineno)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _ENVIRONMENT_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            lines.append(node.lineno)
    return sorted(lines)


def covers(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def sources() -> list[tuple[str, Path]]:
    return sorted((module_name(path), path) for path in PACKAGE.rglob("*.py"))


# ---- the checker itself ----------------------------------------------------------------------------------
def test_the_checker_sees_every_way_of_importing() -> None:
    source = """
import slotwise.cli.main
from slotwise import factory
from slotwise.slots.model import Hold
from ..agent import runtime
from . import sibling

def later():
    import importlib
    from slotwise.demo.story import run
    return importlib.import_module("slotwise.slots.guard")
"""
    found = imports_of(source, "slotwise.azure.kudu")
    for expected in (
        "slotwise.cli.main",
        "slotwise.factory",
        "slotwise.slots.model",
        "slotwise.agent.runtime",
        "slotwise.azure.sibling",
        "slotwise.demo.story",
        "slotwise.slots.guard",
    ):
        assert expected in found
    assert imports_of("from . import x", "slotwise.slots", is_package=True) >= {"slotwise.slots.x"}
    assert not [n for n in imports_of("'''import slotwise.cli'''\n# from slotwise import factory\n", "m")]


def test_the_checker_sees_every_way_of_reading_the_environment() -> None:
    assert reads_environment("import os\nos.environ.get('A')\n") == [2]
    assert reads_environment("import os as o\nx = o.getenv('A')\n") == [2]
    assert reads_environment("from os import environ\n") == [1]
    assert reads_environment("import os\nos.environ['A'] = 'b'\n") == [2]
    assert reads_environment("import os\nos.path.join('a', 'b')\n'os.environ'\n") == []
    assert reads_environment("def f(env):\n    return env.environ\n") == []


def test_the_package_is_found() -> None:
    names = {name for name, _ in sources()}
    assert {"slotwise.factory", "slotwise.slots.guard", "slotwise.azure.kudu", "slotwise.demo.story"} <= names


# ---- the rules -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("layer", "forbidden"), RULES, ids=[layer for layer, _ in RULES])
def test_dependencies_point_down(layer: str, forbidden: tuple[str, ...]) -> None:
    checked, broken = 0, []
    for name, path in sources():
        if not covers(name, layer):
            continue
        checked += 1
        found = imports_of(path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py")
        broken += [
            f"{name} imports {target}"
            for target in sorted(found)
            if any(covers(target, f) for f in forbidden)
        ]
    assert checked, f"no module of {layer} was found"
    assert broken == []


def test_only_the_factory_reads_the_environment() -> None:
    readers = {
        f"{name}:{line}"
        for name, path in sources()
        for line in reads_environment(path.read_text(encoding="utf-8"))
        if name != ENVIRONMENT_READER
    }
    assert readers == set()
    assert reads_environment((PACKAGE / "factory.py").read_text(encoding="utf-8")), "the factory reads it"
