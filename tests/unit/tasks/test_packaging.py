"""slotwise.packaging: the version, the lock, the staged tree and the checks tfx only warns about.

Staging runs on a copy of the task files with a stand-in wheel (only its METADATA matters here); the
real wheel, npm and tfx are exercised by tests/functional/test_package.py.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from slotwise.errors import UsageError
from slotwise.packaging import (
    PackagingError,
    check_task,
    project_version,
    runtime_lock,
    stage,
    task_folders,
    task_version,
)

ROOT = Path(__file__).resolve().parents[3]


def pins(lock: str) -> dict[str, Requirement]:
    lines = [line for line in lock.splitlines() if line and not line.startswith("#")]
    return {Requirement(line).name.lower(): Requirement(line) for line in lines}


# ------------------------------------------------------------------------------------ version


def test_task_version_is_three_numbers() -> None:
    assert task_version("1.2.3") == {"Major": 1, "Minor": 2, "Patch": 3}
    for bad in ("1.0", "1.0.0rc1", "1.0.0.dev0", "v1.0.0", "1.0.0+local"):
        with pytest.raises(PackagingError, match=r"MAJOR\.MINOR\.PATCH"):
            task_version(bad)


def test_project_version_is_the_project_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.other]\nversion = "9.9.9"\n\n[project]\nname = "slotwise"\nversion = "2.3.4"\n'
    )
    assert project_version(tmp_path) == "2.3.4"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "slotwise"\n')
    with pytest.raises(PackagingError, match=r"no \[project\] version"):
        project_version(tmp_path)


# --------------------------------------------------------------------------------------- lock


def test_lock_pins_the_installed_runtime_closure_and_nothing_for_tests() -> None:
    lock = runtime_lock(distribution("slotwise").requires or [], title="slotwise test")
    pinned = pins(lock)
    for name in ("azure-mgmt-web", "azure-identity", "azure-core", "click", "jsonschema", "msal", "pyjwt"):
        spec = str(pinned[name].specifier)
        assert spec == f"=={distribution(name).version}", name
    for name in ("pytest", "ruff", "mypy", "psutil", "slotwise"):
        assert name not in pinned
    assert "cryptography" in pinned  # through PyJWT[crypto]: extras are followed
    names = [line.split("=")[0].lower() for line in lock.splitlines() if not line.startswith("#")]
    assert names == sorted(names)


def test_lock_limits_a_pin_to_the_pythons_it_supports() -> None:
    requires_python = distribution("click").metadata["Requires-Python"]
    lock = runtime_lock(["click"], title="t", python_floor="3.0")
    marker = pins(lock)["click"].marker
    assert marker is not None
    assert f"python_full_version {requires_python.replace('>=', '>= ')}" in str(marker).replace('"', "")
    assert pins(runtime_lock(["click"], title="t", python_floor="3.10"))["click"].marker is None


def test_lock_lists_but_does_not_pin_what_only_other_platforms_need() -> None:
    lock = runtime_lock(['no-such-dist>=1; sys_platform == "no-such-os"', "click"], title="t")
    assert '#   no-such-dist>=1; sys_platform == "no-such-os"  (from slotwise)' in lock
    assert "no-such-dist" not in pins(lock)


def test_lock_refuses_a_dependency_that_is_not_installed() -> None:
    with pytest.raises(PackagingError, match=r"no-such-dist .*not installed"):
        runtime_lock(["no-such-dist>=1"], title="t")


def test_lock_refuses_an_installed_version_outside_the_range() -> None:
    with pytest.raises(PackagingError, match=r"click \S+ is installed but slotwise needs click<1"):
        runtime_lock(["click<1"], title="t")


# ------------------------------------------------------------------------------------- checks


@pytest.fixture
def task_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "slot-swap"
    shutil.copytree(ROOT / "tasks" / "slot-swap", folder)
    (folder / "shim.js").write_text("// shim\n")
    return folder


def read(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "task.json").read_text())
    return data


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda task: task.__setitem__(key, value)


def _input(name: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(task: dict[str, Any]) -> None:
        next(spec for spec in task["inputs"] if spec["name"] == name)[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (_set("id", "not-a-guid"), "id is not a GUID"),
        (_set("name", "Slotwise Slot Swap"), "name must be"),
        (_set("friendlyName", "x" * 41), "friendlyName must be 1 to 40"),
        (_set("instanceNameFormat", ""), "instanceNameFormat is missing"),
        (_set("execution", {"Node20_1": {"target": "shim.js"}}), "no Node24 handler"),
        (
            _set("execution", {"Node20_1": {"target": "main.js"}, "Node24": {"target": "shim.js"}}),
            "execution.Node20_1.target 'main.js' is not a file",
        ),
        (
            _set(
                "execution",
                {"Node16": {"target": "shim.js"}, "Node20_1": {}, "Node24": {"target": "shim.js"}},
            ),
            "Node16 is end-of-life",
        ),
        (_set("version", {"Major": 1, "Minor": 0}), "version must be"),
        (_input("holdDays", "groupName", "nowhere"), "group 'nowhere', which is not declared"),
        (
            _input("targetSlot", "visibleRule", "swapWithProd = false"),
            "reads 'swapWithProd', which is no input",
        ),
        (_input("sourceSlot", "name", "appName"), "'appName' is used twice"),
        (_input("sourceSlot", "aliases", ["azureSubscription"]), "'azureSubscription' is used twice"),
    ],
)
def test_check_task_reports_what_tfx_would_only_warn_about(
    task_dir: Path, change: Callable[[dict[str, Any]], None], complaint: str
) -> None:
    assert check_task(read(task_dir), task_dir) == []
    task = read(task_dir)
    change(task)
    assert any(complaint in problem for problem in check_task(task, task_dir)), check_task(task, task_dir)


def test_check_task_reports_a_binding_to_no_input(task_dir: Path) -> None:
    task = read(task_dir)
    task["dataSourceBindings"][0]["parameters"] = {"WebAppName": "$(webAppName)"}
    assert any("reads $(webAppName)" in problem for problem in check_task(task, task_dir))


# ------------------------------------------------------------------------------------ staging


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files staging reads, version 2.3.4, and a stand-in shim."""
    root = tmp_path / "checkout"
    for folder in [*task_folders(ROOT), "_extension"]:
        shutil.copytree(ROOT / "tasks" / folder, root / "tasks" / folder)
    (root / "tasks" / "_shim").mkdir()
    (root / "tasks" / "_shim" / "shim.js").write_text("// the shim\n")
    shutil.copy2(ROOT / "vss-extension.json", root / "vss-extension.json")
    (root / "pyproject.toml").write_text('[project]\nname = "slotwise"\nversion = "2.3.4"\n')
    return root


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "slotwise-2.3.4-py3-none-any.whl"
    metadata = (
        "Metadata-Version: 2.1\nName: slotwise\nVersion: 2.3.4\nRequires-Python: >=3.10\n"
        'Requires-Dist: click>=8.1\nRequires-Dist: pytest>=8; extra == "test"\nProvides-Extra: test\n\n'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("slotwise-2.3.4.dist-info/METADATA", metadata)
        archive.writestr("slotwise/__init__.py", "")
    return path


def test_stage_builds_the_tree_tfx_packages(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "extension"
    folders = stage(checkout, out, wheel=wheel, publisher="my-org")
    assert folders == sorted(["deploy-to-slot", "slot-swap", "smoke-test", "guard-against-overwrite"])
    manifest = json.loads((out / "vss-extension.json").read_text())
    assert (manifest["version"], manifest["publisher"]) == ("2.3.4", "my-org")
    for name in ("overview.md", "icon.png", "license.md"):
        assert (out / name).is_file()
    for folder in folders:
        staged = out / "tasks" / folder
        assert sorted(p.name for p in staged.iterdir()) == [
            "icon.png",
            "requirements.lock",
            "shim.js",
            "slotwise-2.3.4-py3-none-any.whl",
            "task.json",
        ]
        task = json.loads((staged / "task.json").read_text())
        committed = json.loads((checkout / "tasks" / folder / "task.json").read_text())
        assert task["version"] == {"Major": 2, "Minor": 3, "Patch": 4}
        assert {**task, "version": None} == {**committed, "version": None}
        assert (staged / "shim.js").read_text() == "// the shim\n"
        lock = (staged / "requirements.lock").read_text()
        assert str(pins(lock)["click"].specifier) == f"=={distribution('click').version}"
        assert "pytest" not in pins(lock)


def test_stage_starts_from_an_empty_tree(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "extension"
    (out / "tasks" / "old-task").mkdir(parents=True)
    stage(checkout, out, wheel=wheel, publisher="my-org")
    assert not (out / "tasks" / "old-task").exists()


def test_stage_refuses_a_bad_task_json(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    path = checkout / "tasks" / "smoke-test" / "task.json"
    task = json.loads(path.read_text())
    task["friendlyName"] = "slotwise: Smoke test a deployment slot now"
    path.write_text(json.dumps(task))
    with pytest.raises(PackagingError, match=r"smoke-test/task\.json: friendlyName must be 1 to 40"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_refuses_a_task_folder_the_manifest_does_not_contribute(
    checkout: Path, wheel: Path, tmp_path: Path
) -> None:
    shutil.copytree(checkout / "tasks" / "smoke-test", checkout / "tasks" / "smoke-test-v2")
    with pytest.raises(PackagingError, match=r"task contributions .* differ from the task folders"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_needs_the_shim(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    (checkout / "tasks" / "_shim" / "shim.js").unlink()
    with pytest.raises(PackagingError, match=r"shim\.js is missing"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_refuses_a_publisher_the_marketplace_would(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="publisher 'my org'"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my org")
