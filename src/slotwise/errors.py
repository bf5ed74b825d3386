"""The one exception tree of slotwise.

Every failure a user can meet is one of these; each carries an ``exit_code`` (what the CLI and the
pipeline tasks exit with) and a ``hint`` (the next thing to try). Foreign exceptions (azure-core,
azure-identity, OS errors) are translated into this tree once, at the boundary that called them;
the CLI prints ``message`` and ``hint`` and never a traceback for these.

    SlotwiseError                   exit 1   something went wrong
    ├── UsageError                  exit 2   a command-line option, input or file is wrong
    │   ├── ConfigError             exit 2   configuration (environment, service connection) is wrong
    │   └── SpecInvalid             exit 2   release specs are invalid: every problem, by file, line and field
    ├── AuthError                   exit 3   credentials missing or refused
    ├── RemoteError                 exit 4   an Azure service refused or failed the request
    │   ├── NotFoundError           exit 4   the app, slot or resource does not exist
    │   └── ConflictError           exit 5   another operation is in progress on the target
    │       └── HeldSlotError       exit 7   the slot holds the rollback build: deploying would destroy it
    │           └── HeldBuildDestroyed exit 7 a race destroyed the rollback build anyway: named, loudly
    ├── OperationTimeout            exit 6   a long-running operation did not finish in time
    ├── OutcomeUnknown              exit 10  Azure accepted a change, but its outcome cannot be found out
    ├── SmokeFailed                 exit 8   smoke checks against a slot failed
    ├── EmulatorError               exit 9   the local emulator could not start or be reached
    └── Cancelled                   exit 130 the user or the pipeline cancelled the run

Messages never contain secrets: keys, tokens, client secrets and PATs are never interpolated.
"""

from __future__ import annotations


class SlotwiseError(Exception):
    """Base of every error slotwise raises on purpose."""

    exit_code: int = 1
    default_hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message


class UsageError(SlotwiseError):
    """A command-line option, task input or input file is missing or invalid."""

    exit_code = 2
    default_hint = "Run the command with --help to see what it expects."


class ConfigError(UsageError):
    """Configuration (environment variables, endpoints, service connection) is missing or invalid."""

    default_hint = "Check the environment variables and service connection slotwise was given."


class SpecInvalid(UsageError):
    """One or more release specs are invalid. ``problems`` holds every problem found (each names its
    file, line and field, ``file:line: field: message``); the message lists them all, one a line."""

    default_hint = (
        "Fix the spec files and run `slotwise release validate` again; "
        "`slotwise release --print-schema` prints their format."
    )

    def __init__(self, message: str, *, problems: tuple[object, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems  # release.problems.Problem values, sorted by file and line


class AuthError(SlotwiseError):
    """Credentials are missing, or the identity provider or service refused them."""

    exit_code = 3
    default_hint = "Check the tenant, client id and secret or certificate, and that the identity has access."


class RemoteError(SlotwiseError):
    """An Azure service refused or failed a request; the message carries the service's own words."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class NotFoundError(RemoteError):
    """The subscription, resource group, app, slot or deployment does not exist."""

    default_hint = "Check the names (resource group, app, slot) and the subscription."


class ConflictError(RemoteError):
    """Another operation (a swap, a deployment) is in progress on the target."""

    exit_code = 5
    default_hint = "Wait for the other operation to finish, then run the command again."


class HeldSlotError(ConflictError):
    """The target slot holds production's previous build (the rollback); deploying would destroy it."""

    exit_code = 7
    default_hint = (
        "Park the held build (`slotwise slot guard --mode park`), end the hold (`slotwise slot "
        "release-hold`), or pass --allow-overwrite to deploy over it anyway."
    )


class HeldBuildDestroyed(HeldSlotError):
    """A held build (production's previous one) was destroyed although the guard had let the command
    through: another operation (a swap by another release) moved it into the slot while this command
    was changing that slot. The message names the build that is gone."""

    default_hint = (
        "Production's previous build is no longer available for rollback. Redeploy it from its build "
        "artifact if you need it, and serialise releases to this app (one stage at a time)."
    )

    def __init__(
        self,
        message: str,
        *,
        build: str | None = None,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, status=status, code=code)
        self.build = build  # the label of the destroyed build, when known


class OperationTimeout(SlotwiseError):
    """A long-running operation did not finish within the allowed time."""

    exit_code = 6
    default_hint = "Raise the timeout, or check the operation's state with `slotwise slot status`."


class OutcomeUnknown(SlotwiseError):
    """Azure accepted a change (a swap, a deployment), but slotwise could not find out how it ended:
    neither the operation's status nor the slots' own state could be read. Nothing was retried and
    nothing further was done; the message says what to look at."""

    exit_code = 10
    default_hint = "Look at the slots with `slotwise slot status` before doing anything else."


class SmokeFailed(SlotwiseError):
    """One or more smoke checks against a slot failed (the report says which and why)."""

    exit_code = 8
    default_hint = "Look at the failed checks above; fix the build or the checks, then run again."

    def __init__(self, message: str, *, hint: str | None = None, report: object | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report  # the smoke report (slots.smoke_report.SmokeReport), when one exists


class EmulatorError(SlotwiseError):
    """The local emulator could not start, or a client could not reach it."""

    exit_code = 9
    default_hint = "Pick another port with --port, or check that the state directory is writable."


class Cancelled(SlotwiseError):
    """The user (Ctrl-C) or the pipeline (SIGTERM) cancelled the run."""

    exit_code = 130
