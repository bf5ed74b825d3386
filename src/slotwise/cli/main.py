"""The ``slotwise`` entry point: the command group and the one place errors become exit codes.

A ``SlotwiseError`` prints its message and what to do (its hint and remedies, worded as commands by
``cli.remedies``; never a traceback) and exits with its exit code;
Ctrl-C exits 130 with a sentence saying so. Anything else is a bug and keeps its traceback.

What the CLI prints may be read by the Azure Pipelines agent (a ``script:`` step running slotwise):
an error's lines are printed through ``slotwise.text.neutral`` (remote words in them were already
made safe where they entered, ``azure/errors.py``; this keeps any other quoted text inert too), and
the libraries' own warnings are printed one safe line each, not raw by Python's last-resort handler;
azure-identity's records of failures it raises are dropped (the error says it, once).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from slotwise import __version__
from slotwise.cli.lazy import LazyGroup
from slotwise.errors import Cancelled, SlotwiseError
from slotwise.text import neutral, remote


class SlotwiseGroup(LazyGroup):
    """A click group that turns slotwise errors into a message, a hint and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with library_logs():
                return super().invoke(ctx)
        except SlotwiseError as error:
            report(error)
            raise click.exceptions.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            report(Cancelled("Cancelled (Ctrl-C)."))
            raise click.exceptions.Exit(Cancelled.exit_code) from None


def report(error: SlotwiseError) -> None:
    """Print an error for a person: what went wrong, then what to do (masked, each line inert)."""
    from slotwise.cli.remedies import advice

    click.secho(f"error: {_inert(error.message)}", fg="red", err=True)
    said = advice(error)
    if said:
        click.echo(f"hint: {_inert(said)}", err=True)


def _masked(text: str) -> str:
    """``text`` with the secrets the command learned masked (the CLI's services, once built)."""
    from slotwise.cli.context import known_secrets  # here: a CLI start needs no azure

    secrets = known_secrets()
    return secrets.redact(text) if secrets is not None else text


def _inert(text: str) -> str:
    return "\n".join(neutral(line) for line in _masked(text).splitlines())


class _LibraryWarnings(logging.Handler):
    """Warnings of azure-core, azure-identity, urllib3... on stderr, one safe line each."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        from slotwise.azure.credentials import reported_by_the_error  # here: a CLI start needs no azure

        if reported_by_the_error(record):
            return
        try:
            click.echo(f"warning: {record.name}: {remote(_masked(record.getMessage()))}", err=True)
        except Exception:  # a log line must never end the command
            self.handleError(record)


@contextmanager
def library_logs() -> Iterator[None]:
    """Route the libraries' warnings through ``_LibraryWarnings`` while a command runs."""
    root, handler = logging.getLogger(), _LibraryWarnings()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@click.group(
    cls=SlotwiseGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy_commands={
        "slot": "slotwise.cli.slot:slot",
        "emulator": "slotwise.cli.emulator:emulator",
        "demo": "slotwise.cli.demo:demo",
        "release": "slotwise.cli.release:release",
        "approvals": "slotwise.cli.approvals:approvals",
    },
)
@click.version_option(__version__, prog_name="slotwise")
def cli() -> None:
    """slotwise: safe deployment-slot releases for Azure Functions and App Service.

    Deploy a build to a staging slot, prove it works there, swap it into production, and keep the
    previous production build as a rollback that nothing overwrites by accident.

    Try it without Azure: `scripts/demo` (from a checkout) tells the whole story through releases on a
    local emulator.
    """


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="slotwise"))


if __name__ == "__main__":  # pragma: no cover
    main()
