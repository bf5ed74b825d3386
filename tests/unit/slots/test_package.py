"""The package a deployment uploads: a zip as it is, a folder zipped to a temporary file, errors named."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from slotwise.errors import UsageError
from slotwise.slots.package import check_package, prepared_package, zip_folder
from tests.packages import app_files, good_build, invalid_zip


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
