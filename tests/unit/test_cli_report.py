"""What the CLI prints outside a command's own output: an error and its hint, and the libraries'
warnings; each line inert (no live logging command), secrets the command learned masked."""

from __future__ import annotations

import logging

import click
import pytest

from slotwise.cli.main import cli, library_logs, report
from slotwise.errors import SlotwiseError
from slotwise.factory import build_services, settings_from_env

GUID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
ENV = {"SLOTWISE_ARM_ENDPOINT": "https://127.0.0.1:1", "AZURE_SUBSCRIPTION_ID": GUID}


def test_an_error_is_printed_inert_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    services = build_services(settings_from_env(ENV))
    services.secrets.add("key-learned-by-the-command")
    with click.Context(cli) as ctx:
        ctx.obj = {"services": services}
        report(
            SlotwiseError("Refused key-learned-by-the-command\n##vso[task.complete]x", hint="Try ##[error]")
        )
    services.close()
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: Refused ***", "# #vso[task.complete]x", "hint: Try # #[error]"]


def test_an_error_outside_a_command_is_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    report(SlotwiseError("plain"))
    assert capsys.readouterr().err == "error: plain\n"


def test_library_warnings_are_one_inert_line_and_identity_failures_are_left_to_the_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with library_logs():
        logging.getLogger("azure.core.pipeline").warning("odd\n##vso[task.setvariable variable=x]1")
        logging.getLogger("azure.identity._internal").warning("ClientSecretCredential.get_token failed: no")
        logging.getLogger("azure.core").info("not shown")
    err = capsys.readouterr().err
    assert "warning: azure.core.pipeline: odd # #vso[task.setvariable variable=x]1\n" in err
    assert "get_token failed" not in err
    assert "not shown" not in err
    assert not any(type(h).__name__ == "_LibraryWarnings" for h in logging.getLogger().handlers)
