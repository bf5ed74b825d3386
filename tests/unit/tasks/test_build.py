"""slotwise_build (scripts/): the version, the lock, the staged tree and the checks tfx only warns about.

Staging runs on a copy of the task files with a stand-in wheel (only its METADATA matters here); the
real wheel, npm and tfx are exercised by tests/functional/test_package.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slotwise_build import BuildError
from slotwise_build.checks import check_task
from slotwise_build.project import project_version, task_folders, task_version
from slotwise_build.runtime import lock_entries, read_lock, wheel_requirement
from slotwise_build.stage import stage
from slotwise_build.wheelhouse import TARGETS, applicable

ROOT = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------------------------ version


def test_task_version_is_three_numbers() -> None:
    assert task_version("1.2.3") == {"Major": 1, "Minor": 2, "Patch": 3}
    for bad in ("1.0", "1.0.0rc1", "1.0.0.dev0", "v1.0.0", "1.0.0+local"):
        with pytest.raises(BuildError, match=r"MAJOR\.MINOR\.PATCH"):
            task_version(bad)


def test_project_version_is_the_project_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.other]\nversion = "9.9.9"\n\n[project]\nname = "slotwise"\nversion = "2.3.4"\n'
    )
    assert project_version(tmp_path) == "2.3.4"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "slotwise"\n')
    with pytest.raises(BuildError, match=r"no \[project\] version"):
        project_version(tmp_path)


# --------------------------------------------------------------------------------------- lock


LOCK_TEXT = """\
# a comment
alpha==1.0 \\
    --hash=sha256:{a} \\
    --hash=sha256:{b}
    # via beta
gamma==2.0 ; python_full_version < '3.11' \\
    --hash=sha256:{a}
gamma==3.0 ; python_full_version >= '3.11' \\
    --hash=sha256:{b}
""".format(a="a" * 64, b="b" * 64)


def test_lock_entries_join_continuations_and_drop_comments() -> None:
    assert lock_entries(LOCK_TEXT) == [
        ("alpha==1.0", [f"--hash=sha256:{'a' * 64}", f"--hash=sha256:{'b' * 64}"]),
        ("gamma==2.0 ; python_full_version < '3.11'", [f"--hash=sha256:{'a' * 64}"]),
        ("gamma==3.0 ; python_full_version >= '3.11'", [f"--hash=sha256:{'b' * 64}"]),
    ]


@pytest.fixture
def lock_root(tmp_path: Path) -> Path:
    (tmp_path / "tasks" / "_runtime").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("alpha>=1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n", "'alpha>=1.0' is not pinned with =="),
        ("alpha==1.0\n", "'alpha==1.0' has no --hash"),
        ("alpha==1.0 --hash=md5:abc\n", "'alpha==1.0' has no --hash"),
        ("# nothing\n", "it pins nothing"),
    ],
)
def test_read_lock_refuses_what_require_hashes_would(lock_root: Path, text: str, complaint: str) -> None:
    (lock_root / "tasks" / "_runtime" / "requirements.lock").write_text(text)
    with pytest.raises(BuildError, match=re.escape(complaint)):
        read_lock(lock_root)


def test_read_lock_answers_the_committed_text(lock_root: Path) -> None:
    (lock_root / "tasks" / "_runtime" / "requirements.lock").write_text(LOCK_TEXT)
    assert read_lock(lock_root) == LOCK_TEXT
    assert read_lock(ROOT) == (ROOT / "tasks" / "_runtime" / "requirements.lock").read_text()


def test_read_lock_says_how_to_make_a_missing_lock(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"requirements\.lock is missing: run scripts/lock"):
        read_lock(tmp_path)


def test_wheel_requirement_names_the_wheel_beside_it_with_its_sha256(tmp_path: Path) -> None:
    wheel = tmp_path / "slotwise-2.3.4-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    lines = [line for line in wheel_requirement(wheel).splitlines() if not line.startswith("#")]
    assert lines == [f"./{wheel.name} --hash=sha256:{hashlib.sha256(b'not really a wheel').hexdigest()}"]


def test_wheelhouse_takes_the_lines_for_each_target_python_and_platform() -> None:
    text = LOCK_TEXT + "delta==4.0 ; sys_platform == 'win32' \\\n    --hash=sha256:" + "c" * 64 + "\n"
    linux, windows = TARGETS["linux-x64"], TARGETS["windows-x64"]
    names = {
        (target.name, python): [line.split(" ")[0] for line in applicable(text, target, python)]
        for target in (linux, windows)
        for python in ("3.10", "3.11")
    }
    assert names[("linux-x64", "3.10")] == ["alpha==1.0", "gamma==2.0"]
    assert names[("linux-x64", "3.11")] == ["alpha==1.0", "gamma==3.0"]
    assert names[("windows-x64", "3.10")] == ["alpha==1.0", "gamma==2.0", "delta==4.0"]
    assert applicable(text, linux, "3.10")[1] == f"gamma==2.0 --hash=sha256:{'a' * 64}"


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
    (root / "tasks" / "_runtime").mkdir()
    (root / "tasks" / "_runtime" / "requirements.lock").write_text(LOCK_TEXT)
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
            "requirements-slotwise.txt",
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
        assert (staged / "requirements.lock").read_text() == LOCK_TEXT  # the committed lock, as it is
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        requirement = (staged / "requirements-slotwise.txt").read_text()
        assert f"./{wheel.name} --hash=sha256:{digest}\n" in requirement


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
    with pytest.raises(BuildError, match=r"smoke-test/task\.json: friendlyName must be 1 to 40"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_refuses_a_task_folder_the_manifest_does_not_contribute(
    checkout: Path, wheel: Path, tmp_path: Path
) -> None:
    shutil.copytree(checkout / "tasks" / "smoke-test", checkout / "tasks" / "smoke-test-v2")
    with pytest.raises(BuildError, match=r"task contributions .* differ from the task folders"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_refuses_a_lock_without_hashes(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    (checkout / "tasks" / "_runtime" / "requirements.lock").write_text("alpha==1.0\n")
    with pytest.raises(BuildError, match=r"cannot be installed with --require-hashes"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")
    assert not (tmp_path / "extension").exists()


def test_stage_needs_the_shim(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    (checkout / "tasks" / "_shim" / "shim.js").unlink()
    with pytest.raises(BuildError, match=r"shim\.js is missing"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my-org")


def test_stage_refuses_a_publisher_the_marketplace_would(checkout: Path, wheel: Path, tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="publisher 'my org'"):
        stage(checkout, tmp_path / "extension", wheel=wheel, publisher="my org")
