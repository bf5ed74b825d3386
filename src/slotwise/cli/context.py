"""What every ``slotwise slot ...`` command shares: common options, the services, the output.

``slot_options`` adds ``-g/--resource-group``, ``-n/--name``, ``--subscription``, ``--auth`` and
``-o/--output``; ``environment(ctx)`` is the environment the command runs in, read once through the
factory (or handed in by whoever runs the command in-process: ``obj={"environment": ...}``);
``services(ctx)`` builds the clients once through the factory; ``CliReporter`` prints an
operation's progress to stderr (masked); ``emit`` prints the result to stdout as text or JSON
(``--output json``), masked too.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from slotwise.azure.credentials import AUTH_CHOICES
from slotwise.factory import build_services, settings_from_env
from slotwise.factory import environment as process_environment
from slotwise.secrets import SecretRegistry
from slotwise.services import Services

F = TypeVar("F", bound=Callable[..., Any])


class Number(click.FloatRange):
    """A number option: click's ``FloatRange``, refusing ``nan`` and ``inf`` (every comparison with
    NaN is false, so click would let it through and an operation would take it as "never")."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number slotwise can use: give a finite number.", param, ctx)
        return number


MAX_HOLD_DAYS = 3650.0  # ten years; beyond that a hold's expiry date is no longer a date


AUTH_HELP = (
    "How to sign in (default: $SLOTWISE_AUTH, else default): default (azure-identity's "
    "DefaultAzureCredential: environment, workload identity, managed identity, az login, in turn); "
    "secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET); certificate (AZURE_TENANT_ID, "
    "AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH, optional AZURE_CLIENT_CERTIFICATE_PASSWORD); "
    "workload-identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE); "
    "managed-identity (AZURE_CLIENT_ID for a user-assigned identity); azure-cli (your az login)."
)


def _remember_auth(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep ``--auth`` beside the services it is for (read by ``services``)."""
    if value is not None:
        ctx.find_root().ensure_object(dict)["auth"] = value


_OUTPUT_HELP = {
    ("table", "json"): "Print the result as a human-readable table or as JSON.",
    ("table", "json", "markdown"): (
        "Print the result as a human-readable table, as JSON, or as Markdown (for a pull request or "
        "a release's approval)."
    ),
}


def slot_options(fn: F) -> F:
    """The options every slot command takes (slot itself is per command)."""
    return slot_options_with(("table", "json"))(fn)


def slot_options_with(outputs: tuple[str, ...]) -> Callable[[F], F]:
    """``slot_options`` for a command that prints in ``outputs`` (the first is the default)."""
    return lambda fn: _slot_options(fn, outputs)


def _slot_options(fn: F, outputs: tuple[str, ...]) -> F:
    fn = click.option(
        "-o",
        "--output",
        type=click.Choice(list(outputs)),
        default=outputs[0],
        show_default=True,
        help=_OUTPUT_HELP.get(outputs, f"Print the result as {', '.join(outputs[:-1])} or {outputs[-1]}."),
    )(fn)
    fn = click.option(
        "--auth",
        type=click.Choice(AUTH_CHOICES),
        expose_value=False,
        callback=_remember_auth,
        help=AUTH_HELP,
    )(fn)
    fn = click.option(
        "--subscription", metavar="ID", help="Subscription id (default: $AZURE_SUBSCRIPTION_ID)."
    )(fn)
    fn = click.option(
        "-n", "--name", "app", required=True, metavar="APP", help="The function app or web app."
    )(fn)
    fn = click.option(
        "-g", "--resource-group", required=True, metavar="GROUP", help="The app's resource group."
    )(fn)
    return fn


INFERRED_HOLD_HELP = (
    "How long a hold slotwise did not record itself (a swap made in the portal or by another tool) "
    "lasts after the swap, in days."
)


def hold_days_option(help_text: str) -> Callable[[F], F]:
    """``--hold-days DAYS`` (default 7): how long a hold lasts; ``help_text`` says which hold."""
    from slotwise.slots.holds import DEFAULT_HOLD_DAYS

    return click.option(
        "--hold-days", type=Number(min=0, max=MAX_HOLD_DAYS), default=DEFAULT_HOLD_DAYS, show_default=True,
        metavar="DAYS", help=help_text,
    )  # fmt: skip


def swap_timeout_option(fn: F) -> F:
    """``--timeout SECONDS`` for commands that wait for a swap."""
    return click.option(
        "--timeout", type=Number(min=1), default=1800.0, show_default=True, metavar="SECONDS",
        help="Give up waiting for the swap after this many seconds (it continues on Azure).",
    )(fn)  # fmt: skip


class CliReporter:
    """Prints progress for a person, on stderr, secrets masked; byte progress at most every 10%."""

    def __init__(self, secrets: SecretRegistry, *, quiet: bool = False) -> None:
        self._secrets = secrets
        self._quiet = quiet
        self._last_tenth = -1

    def _echo(self, text: str, **style: Any) -> None:
        if not self._quiet:
            click.secho(self._secrets.redact(text), err=True, **style)

    def step(self, message: str) -> None:
        self._last_tenth = -1
        self._echo(f"==> {message}", bold=True)

    def detail(self, message: str) -> None:
        self._echo(f"    {message}")

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        if not total:
            return
        tenth = min(10, done * 10 // total)
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            if unit == "bytes":
                self._echo(f"    {_size(done)} of {_size(total)} ({tenth * 10}%)")
            else:
                self._echo(f"    {done} of {total} {unit}")

    def warning(self, message: str) -> None:
        self._echo(f"warning: {message}", fg="yellow")


def _size(count: int) -> str:
    """Bytes for a person: KiB below a MiB, MiB above."""
    if count < 1048576:
        return f"{count / 1024:,.1f} KiB"
    return f"{count / 1048576:,.1f} MiB"


def environment(ctx: click.Context) -> Mapping[str, str]:
    """The environment this command runs in: handed in on the root context's object (a command run
    in-process, as the demo runs them), else the process environment, read once through the factory."""
    obj = ctx.find_root().ensure_object(dict)
    if "environment" not in obj:
        obj["environment"] = process_environment()
    found: Mapping[str, str] = obj["environment"]
    return found


def services(ctx: click.Context, subscription: str | None) -> Services:
    """The services for this command, built once and closed when the command ends. Kept on the root
    context, so the error report after the command can still mask the secrets it learned."""
    obj = ctx.find_root().ensure_object(dict)
    if "services" not in obj:
        settings = settings_from_env(environment(ctx), subscription=subscription, auth=obj.get("auth"))
        built = build_services(settings)
        obj["services"] = built
        ctx.call_on_close(built.close)
    result: Services = obj["services"]
    return result


def known_secrets() -> SecretRegistry | None:
    """The secrets the running command has learned so far, if it built its services (for output
    printed outside a command's own code: errors, library warnings)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_root().obj if ctx is not None else None
    built = found.get("services") if isinstance(found, dict) else None
    return built.secrets if isinstance(built, Services) else None


def emit(services: Services, output: str, data: dict[str, Any], text: Callable[[], list[str]]) -> None:
    """Print a command's result: ``text()`` lines for people, ``data`` as JSON for programs."""
    rendered = json.dumps(data, indent=2, default=str) if output == "json" else "\n".join(text())
    sys.stdout.write(services.secrets.redact(rendered) + "\n")


def table(rows: list[list[str]], headers: list[str]) -> list[str]:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in rows]
    return lines
