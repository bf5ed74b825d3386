"""The package a deployment uploads: a zip as it is, a folder zipped to a temporary file, errors named."""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from slotwise.errors import UsageError
from slotwise.slots.package import check_function_app, check_package, prepared_package, zip_folder
from tests.packages import app_files, good_build, invalid_zip, write_zip


def write_folder(root: Path, files: dict[str, object]) -> Path:
    for name, value in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value))
    return root


def test_a_zip_is_uploaded_as_it_is(tmp_path: Path) -> None:
    archive = good_build(tmp_path / "app.zip")

    source = check_package(archive)
    with prepared_package(source) as package:
        assert (source.kind, package.path, package.size) == ("zip", archive, archive.stat().st_size)
        assert not package.temporary
    assert archive.exists()


def test_a_folder_is_zipped_to_a_temporary_file_removed_afterwards(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "site", app_files("3"))

    source = check_package(folder)
    with prepared_package(source, temp_dir=tmp_path) as package:
        assert source.kind == "folder"
        assert package.temporary
        assert package.size == package.path.stat().st_size
        with zipfile.ZipFile(package.path) as archive:
            assert set(archive.namelist()) == set(app_files("3"))
            assert b'"version": "3"' in archive.read("health/emulator.json")
        made = package.path
    assert not made.exists()
    assert not made.parent.exists()


def test_the_same_folder_gives_the_same_member_order(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "site", app_files("1"))
    zip_folder(folder, tmp_path / "a.zip")
    zip_folder(folder, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as a, zipfile.ZipFile(tmp_path / "b.zip") as b:
        assert a.namelist() == b.namelist()


def test_the_temporary_zip_is_removed_when_the_deployment_fails(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "site", app_files("1"))
    made: list[Path] = []

    def deploy_that_fails() -> None:
        with prepared_package(check_package(folder), temp_dir=tmp_path) as package:
            made.append(package.path)
            raise RuntimeError("upload failed")

    with pytest.raises(RuntimeError):
        deploy_that_fails()
    assert not made[0].exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_link_cycle_in_a_folder_does_not_loop(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "site", {"host.json": {}, "lib/a.txt": "a"})
    (folder / "lib" / "again").symlink_to(folder / "lib", target_is_directory=True)
    zip_folder(folder, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert sorted(archive.namelist()) == ["host.json", "lib/a.txt"]


def test_a_missing_path_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"'.*nowhere\.zip' does not exist") as caught:
        check_package(tmp_path / "nowhere.zip")
    assert caught.value.exit_code == 2


def test_a_file_that_is_not_a_zip_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    path = invalid_zip(tmp_path / "app.zip")
    with pytest.raises(UsageError, match=r"'.*app\.zip' is not a zip file"):
        check_package(path)


def test_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UsageError, match="has no files"):
        check_package(tmp_path / "empty")


# ---- a function app's package: host.json at its root ---------------------------------------------------
def test_a_function_app_package_has_host_json_at_its_root(tmp_path: Path) -> None:
    check_function_app(check_package(good_build(tmp_path / "app.zip")))
    check_function_app(check_package(write_folder(tmp_path / "site", app_files("1"))))


@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_a_package_without_host_json_is_refused_naming_the_file_and_the_package(
    tmp_path: Path, kind: str
) -> None:
    files = {"readme.txt": "hello\n"}
    folder = write_folder(tmp_path / "site", files)
    package = write_zip(tmp_path / "site.zip", files) if kind == "zip" else folder

    with pytest.raises(UsageError) as caught:
        check_function_app(check_package(package))

    assert caught.value.exit_code == 2
    assert f"The package {kind} '{package}' is not a function app" in caught.value.message
    assert "host.json is missing at its root" in caught.value.message
    assert "host.json at its root" in caught.value.hint
    assert "function.json" in caught.value.hint


@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_a_host_json_one_level_down_is_pointed_at(tmp_path: Path, kind: str) -> None:
    files = {f"publish/{name}": value for name, value in app_files("1").items()}
    folder = write_folder(tmp_path / "out", files)
    package = write_zip(tmp_path / "out.zip", files) if kind == "zip" else folder

    with pytest.raises(UsageError, match=r"It has one at 'publish/host\.json'"):
        check_function_app(check_package(package))


def test_zip_member_names_are_read_as_kudu_sees_them(tmp_path: Path) -> None:
    package = write_zip(tmp_path / "dotted.zip", {"./host.json": "{}", "./hello/function.json": "{}"})
    check_function_app(check_package(package))


def test_the_check_reads_a_large_zip_s_directory_only(tmp_path: Path) -> None:
    package = tmp_path / "large.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("host.json", "{}")
        with archive.open("bin/payload.bin", "w", force_zip64=True) as member:
            block = os.urandom(1 << 20)
            for _ in range(64):
                member.write(block)
    source = check_package(package)

    tracemalloc.start()
    try:
        check_function_app(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert package.stat().st_size > 64 << 20
    assert peak < 1 << 20  # a 64 MiB zip judged with less than 1 MiB: its content was not read
