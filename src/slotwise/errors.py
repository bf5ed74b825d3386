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
    │   ├── ApprovalRefused         exit 4   Azure DevOps refused a release approval's decision
    │   └── ConflictError           exit 5   another operation is in progress on the target
    │       └── HeldSlotError       exit 7   the slot holds the rollback build: deploying would destroy it
    │           └── HeldBuildDestroyed exit 7 a race destroyed the rollback build anyway: named, loudly
    ├── OperationTimeout            exit 6   a long-running operation did not finish in time
    ├── OutcomeUnknown              exit 10  Azure accepted a change, but its outcome cannot be found out
    ├── ReleaseWaiting              exit 11  a watched release waits for a person (approval, manual stage)
    ├── ReleaseFailed               exit 12  a watched release's deployment failed
    ├── ReleaseRejected             exit 13  a watched release was rejected (approver, timeout) or canceled
    ├── PreflightRefused            exit 14  a swap's preflight found what would break production: not started
    ├── SmokeFailed                 exit 8   smoke checks against a slot failed
    ├── EmulatorError               exit 9   the local emulator could not start or be reached
    └── Cancelled                   exit 130 the user or the pipeline cancelled the run

Messages never contain secrets: keys, tokens, client secrets and PATs are never interpolated.

What to do next comes in two parts: ``hint``, words that fit every face, and ``remedies``, the
actions that help (``Remedy``: park the held build, complete the swap, ...), which each face words
its own way (``advice``): the CLI as a command with its options (``slotwise.cli.remedies``), the
pipeline tasks as task inputs (``slotwise.agent.remedies``). A pipeline user is never told an option
of the command line; neither hints nor messages name one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Action(Enum):
    """Something a person can do about an error; each face words it (see ``advice``)."""

    PARK_HELD_BUILD = "park-held-build"  # move the held build to the park slot (``other``), freeing ``slot``
    RELEASE_HOLD = "release-hold"  # end the hold on ``slot``: the build is no rollback any more
    ALLOW_OVERWRITE = "allow-overwrite"  # deploy into ``slot`` anyway, destroying the held build
    WAIT_LONGER = "wait-longer"  # wait longer for the hold on ``slot`` to end
    CHOOSE_PARK_SLOT = "choose-park-slot"  # name another slot to park the build of ``slot`` in
    CREATE_PARK_SLOT = "create-park-slot"  # let the guard create the park slot ``other``
    CREATE_SLOT = "create-slot"  # let the deployment create ``slot``
    PREPARE_SWAP = "prepare-swap"  # phase one of a swap with preview of ``slot`` with ``other``
    COMPLETE_SWAP = "complete-swap"  # phase two: swap the prepared ``slot`` with ``other``
    CANCEL_SWAP = "cancel-swap"  # undo phase one on ``slot``
    CHOOSE_SWAP_PAIR = "choose-swap-pair"  # name two different slots to swap
    ROLL_BACK = "roll-back"  # swap ``slot``, which holds production's previous build, back in
    ROLLBACK_ON_FAILURE = "rollback-on-failure"  # have the swap swap back at once when checks fail
    RUN_SMOKE = "run-smoke"  # run the smoke checks against ``slot``
    LOOK_AT_SLOTS = "look-at-slots"  # see what each slot of the app runs, holds and does
    RAISE_TIMEOUT = "raise-timeout"  # give the operation more time
    SEE_CHECKS_SCHEMA = "see-checks-schema"  # read the format of smoke checks
    CHOOSE_SLOT = "choose-slot"  # name the slot to work on (production only when meant)
    CHECK_APP = "check-app"  # check the app's name, its resource group and the subscription
    SEE_USAGE = "see-usage"  # read what the command or task expects


class Place(Protocol):
    """A slot of an app (``azure.models.SlotRef``), as far as a remedy needs it."""

    @property
    def resource_group(self) -> str: ...

    @property
    def app(self) -> str: ...

    @property
    def slot(self) -> str: ...


@dataclass(frozen=True)
class Remedy:
    """One ``Action`` and what it is about: the app (``resource_group``, ``app``), ``slot``, and
    ``other``, the second slot of a swap or the park slot. Empty: not known or not needed."""

    action: Action
    resource_group: str = ""
    app: str = ""
    slot: str = ""
    other: str = ""

    @classmethod
    def at(cls, action: Action, place: Place, other: str = "") -> Remedy:
        """``action`` about the slot ``place`` (``other``: the park slot, the swap's other slot)."""
        return cls(action, place.resource_group, place.app, place.slot, other)


Wording = Callable[[Remedy], str]  # a face's sentence for one remedy


class SlotwiseError(Exception):
    """Base of every error slotwise raises on purpose."""

    exit_code: int = 1
    default_hint: str = ""
    default_remedies: tuple[Remedy, ...] = ()

    def __init__(self, message: str, *, hint: str | None = None, remedies: tuple[Remedy, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        given = hint is not None or bool(remedies)  # the raiser's own advice replaces the class's
        self.hint = hint if hint is not None else ("" if given else self.default_hint)
        self.remedies = remedies if given else self.default_remedies

    def __str__(self) -> str:
        return self.message


def advice(error: SlotwiseError, wording: Wording) -> str:
    """What to do, as one face says it: the hint, then each remedy in that face's words."""
    return " ".join(part for part in (error.hint, *map(wording, error.remedies)) if part)


class UsageError(SlotwiseError):
    """A command-line option, task input or input file is missing or invalid."""

    exit_code = 2
    default_remedies = (Remedy(Action.SEE_USAGE),)


class ConfigError(UsageError):
    """Configuration (environment variables, endpoints, service connection) is missing or invalid."""

    default_hint = "Check the environment variables and service connection slotwise was given."


class SpecInvalid(UsageError):
    """One or more release specs are invalid. ``problems`` holds every problem found (each names its
    file, line and field, ``file:line: field: message``); the message lists them all, one a line."""

    default_hint = (
        "Fix each problem where it points, then validate the specs again; the format of a spec is "
        "slotwise's published JSON Schema for release specs."
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
        remedies: tuple[Remedy, ...] = (),
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, remedies=remedies)
        self.status = status
        self.code = code


class NotFoundError(RemoteError):
    """The subscription, resource group, app, slot or deployment does not exist."""

    default_hint = "Check the names (resource group, app, slot) and the subscription."


class ApprovalRefused(RemoteError):
    """Azure DevOps refused to approve, reject or reassign a release approval: the identity is not
    an approver (nor in the approving group), the release's creator may not approve it, or it was
    already decided. ``said`` holds the service's words; ``status`` its HTTP status (400, 403).
    Exit 4 like every refusal by a service (the credential itself was accepted: not exit 3)."""

    default_hint = "List what is waiting for you: the pending approvals assigned to you or your groups."

    def __init__(
        self, message: str, *, hint: str | None = None, status: int | None = None, said: str = ""
    ) -> None:
        super().__init__(message, hint=hint, status=status, code=None)
        self.said = said


class ConflictError(RemoteError):
    """Another operation (a swap, a deployment) is in progress on the target."""

    exit_code = 5
    default_hint = "Wait for the other operation to finish, then try again."


class HeldSlotError(ConflictError):
    """The target slot holds production's previous build (the rollback); deploying would destroy it."""

    exit_code = 7
    default_hint = ""
    default_remedies = (
        Remedy(Action.PARK_HELD_BUILD),
        Remedy(Action.RELEASE_HOLD),
        Remedy(Action.ALLOW_OVERWRITE),
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
        remedies: tuple[Remedy, ...] = (),
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, remedies=remedies, status=status, code=code)
        self.build = build  # the label of the destroyed build, when known


class OperationTimeout(SlotwiseError):
    """A long-running operation did not finish within the allowed time."""

    exit_code = 6
    default_hint = "It may still be going on."
    default_remedies = (Remedy(Action.LOOK_AT_SLOTS), Remedy(Action.RAISE_TIMEOUT))


class OutcomeUnknown(SlotwiseError):
    """Azure accepted a change (a swap, a deployment), but slotwise could not find out how it ended:
    neither the operation's status nor the slots' own state could be read. Nothing was retried and
    nothing further was done; the message says what to look at."""

    exit_code = 10
    default_hint = "Do nothing else before you have looked at the slots."
    default_remedies = (Remedy(Action.LOOK_AT_SLOTS),)


class ReleaseWaiting(SlotwiseError):
    """A release being watched stopped moving because it waits for a person: an approval is pending,
    or a stage deploys only when someone starts it. The release is fine and goes on once they act."""

    exit_code = 11
    default_hint = "The release goes on when its approvers decide (or someone deploys the stage)."


class ReleaseFailed(SlotwiseError):
    """A release being watched ended with a stage whose deployment failed (a task failed)."""

    exit_code = 12
    default_hint = "Read the failed task's log, fix the build or the pipeline, then start a new release."


class ReleaseRejected(SlotwiseError):
    """A release being watched ended with a stage rejected by an approver (or by an approval's
    timeout), or canceled."""

    exit_code = 13
    default_hint = "Read the approver's comment; start a new release once the reason is dealt with."


class PreflightRefused(SlotwiseError):
    """The swap preflight (``slots.preflight``) found errors that are not accepted: the swap was not
    started, nothing changed. ``codes`` are the findings' codes that refused it; the message names
    the app, the slots, each finding and the names involved (never a value)."""

    exit_code = 14
    default_hint = (
        "Fix what each finding says, or accept the finding by its code if the change is meant; see "
        "the whole picture with the slot diff."
    )

    def __init__(self, message: str, *, codes: tuple[str, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.codes = codes


class SmokeFailed(SlotwiseError):
    """One or more smoke checks against a slot failed (the report says which and why)."""

    exit_code = 8
    default_hint = "Look at the failed checks above; fix the build or the checks, then run again."

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        remedies: tuple[Remedy, ...] = (),
        report: object | None = None,
    ) -> None:
        super().__init__(message, hint=hint, remedies=remedies)
        self.report = report  # the smoke report (slots.smoke_report.SmokeReport), when one exists


class EmulatorError(SlotwiseError):
    """The local emulator could not start, or a client could not reach it."""

    exit_code = 9
    default_hint = "Pick another port with --port, or check that the state directory is writable."


class Cancelled(SlotwiseError):
    """The user (Ctrl-C) or the pipeline (SIGTERM) cancelled the run."""

    exit_code = 130
