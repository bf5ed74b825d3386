"""The command line's ``--extension VSIX``: installed in the seeded organization before the env file
is written and said in the banner; an unreadable or broken one, or no seeded organization, stops the
emulator with a reason (exit 9), never a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from slotwise_emulator import Emulator, Speed
from slotwise_emulator.cli import install_extensions, main, parser
from slotwise_emulator.errors import EmulatorError
from tests.devops_client import Org, org

__all__ = ["org"]

TASK_ID = "9c7d3a5e-0000-4000-8000-0000000000aa"


def vsix(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "extension.vsixmanifest",
            '<PackageManifest><Metadata><Identity Id="swap" Version="2.0.1" Publisher="acme"/>'
            "</Metadata></PackageManifest>",
        )
        archive.writestr(
            "extension.vsomanifest",
            json.dumps({"contributions": [
                {"id": "swap", "type": "ms.vss-distributed-task.task", "properties": {"name": "tasks/swap"}}
            ]}),
        )  # fmt: skip
        archive.writestr(
            "tasks/swap/task.json",
            json.dumps({"id": TASK_ID, "name": "AcmeSwap", "version": {"Major": 2, "Minor": 0, "Patch": 1}}),
        )
    return path


def test_the_command_line_takes_extensions() -> None:
    assert parser().parse_args([]).extension == []
    chosen = parser().parse_args(["--extension", "a.vsix", "--extension", "b.vsix"])
    assert chosen.extension == [Path("a.vsix"), Path("b.vsix")]


def test_an_extension_is_installed_in_the_seeded_organization_and_said(org: Org, tmp_path: Path) -> None:
    directory = org.emulator.backends.devops.directory
    assert not directory.task_installed("contoso", TASK_ID, "2.*")
    lines = install_extensions(org.emulator, [vsix(tmp_path / "acme.vsix")])
    assert lines == ["  extension acme.swap 2.0.1 installed in contoso: AcmeSwap@2"]
    assert directory.task_installed("contoso", TASK_ID, "2.*")
    listed = org.raw("GET", "_apis/distributedtask/tasks").json()["value"]
    assert TASK_ID in {task["id"] for task in listed}


def test_without_a_seeded_organization_an_extension_is_refused(tmp_path: Path) -> None:
    with Emulator(speed=Speed.instant()) as emu, pytest.raises(EmulatorError) as refused:
        install_extensions(emu, [vsix(tmp_path / "acme.vsix")])
    assert "--seed devops" in refused.value.hint


@pytest.mark.parametrize(
    ("content", "words"), [(None, "Cannot read the extension"), (b"not a zip", "not a zip archive")]
)
def test_a_missing_or_broken_vsix_stops_the_command_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, words: str
) -> None:
    path = tmp_path / "broken.vsix"
    if content is not None:
        path.write_bytes(content)
    env_file = tmp_path / "emulator.env"
    code = main(["--speed", "instant", "--env-file", str(env_file), "--extension", str(path)])
    err = capsys.readouterr().err
    assert code == 9
    assert words in err
    assert str(path) in err
    assert "hint: Give --extension the path of an Azure DevOps extension package" in err
    assert "Traceback" not in err
    assert not env_file.exists()  # nothing said it was ready
