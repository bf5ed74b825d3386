"""The ``slotwise`` entry point: the command group and the one place errors become exit codes.

A ``SlotwiseError`` prints its message and hint (never a traceback) and exits with its exit code;
Ctrl-C exits 130 with a sentence saying so. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from slotwise import __version__
from slotwise.cli.lazy import LazyGroup
from slotwise.errors import Cancelled, SlotwiseError


class SlotwiseGroup(LazyGroup):
    """A click group that turns slotwise errors into a message, a hint and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlotwiseError as error:
            report(error)
            raise click.exceptions.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            report(Cancelled("Cancelled (Ctrl-C)."))
            raise click.exceptions.Exit(Cancelled.exit_code) from None


def report(error: SlotwiseError) -> None:
    """Print an error for a person: what went wrong, then what to do."""
    click.secho(f"error: {error.message}", fg="red", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)


@click.group(
    cls=SlotwiseGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy_commands={
        "slot": "slotwise.cli.slot:slot",
        "emulator": "slotwise.cli.emulator:emulator",
        "demo": "slotwise.cli.demo:demo",
    },
)
@click.version_option(__version__, prog_name="slotwise")
def cli() -> None:
    """slotwise: safe deployment-slot releases for Azure Functions and App Service.

    Deploy a build to a staging slot, prove it works there, swap it into production, and keep the
    previous production build as a rollback that nothing overwrites by accident.

    Try it without Azure: `slotwise demo` runs the whole story on a local emulator.
    """


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="slotwise"))


if __name__ == "__main__":  # pragma: no cover
    main()
