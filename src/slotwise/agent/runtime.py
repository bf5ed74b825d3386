"""One task run, start to end: the frame every task function runs in.

``run_task`` registers the endpoint secrets, reads task.json, builds the ``TaskContext`` (inputs,
output, reporter, the connection on demand), runs the task, then sets the result: the summary for
approvers is written and uploaded, and ``task.complete`` is the last command, with the worst result
seen. Errors are caught here and only here: a ``SlotwiseError`` becomes ``task.logissue type=error``
(message, then what to do: its hint and remedies in the task inputs' words, ``agent.remedies``) and
``task.complete result=Failed``, never a traceback; cancellation (SIGINT, or SIGTERM / SIGHUP, which
are turned into ``Terminated``, a ``KeyboardInterrupt``, so an operation's own
``except KeyboardInterrupt`` says where things stand) ends the same way with "Cancelled". Only an
unexpected exception (a bug) prints its traceback, masked and neutralised.

Exit code: 0 once ``task.complete`` is written, whatever the result (``REPORTED``), as tasks built on
azure-pipelines-task-lib exit after ``setResult(Failed)``: the agent's Node handler runs the process
with ``requireExitCodeZero`` and takes any other exit code for an infrastructure failure, adding an
error "Exit code N returned from process" to the task's own (docs/tasks-contract.md, "Exit code").
The result is the one ``task.complete`` says; a process that dies before writing it (an import error,
a signal) exits non-zero and the agent fails the task for it.
Must not: know what a task does (task modules do), or print but through ``Vso``.
"""

from __future__ import annotations

import logging
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TextIO

from slotwise import __version__
from slotwise.agent import endpoints
from slotwise.agent.inputs import TaskInputs
from slotwise.agent.remedies import advice
from slotwise.agent.reporter import AgentReporter
from slotwise.agent.summary import Summary, render, write
from slotwise.agent.taskdef import TaskDefinition
from slotwise.agent.vso import Vso
from slotwise.azure.credentials import reported_by_the_error
from slotwise.azure.models import SlotRef
from slotwise.errors import AuthError, Cancelled, ConfigError, SlotwiseError, UsageError
from slotwise.factory import build_services, check_ca_bundles, checked_subscription
from slotwise.services import Services
from slotwise.timing import Clock

TaskFunction = Callable[["TaskContext"], str]  # answers the completion message
REPORTED = 0  # the exit code once task.complete has said the result, Failed included (see the docstring)


class Terminated(KeyboardInterrupt):
    """The pipeline cancelled the run (SIGTERM); a KeyboardInterrupt so operations treat it as one."""


class TaskContext:
    """What a task function works with: inputs, output, reporter, summary, and the connection."""

    def __init__(
        self,
        command: str,
        env: Mapping[str, str],
        inputs: TaskInputs,
        out: Vso,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.command = command
        self.env = env
        self.inputs = inputs
        self.out = out
        self.reporter = AgentReporter(out)
        self.summary = Summary(title=command)
        self.services: Services | None = None
        self.app: SlotRef | None = None  # the app's production slot, once the task named the app
        self._clock = clock

    # ---- the connection --------------------------------------------------------------------------------
    def connect(self) -> Services:
        """The services for the ``azureSubscription`` connection, built once."""
        if self.services is not None:
            return self.services
        name = "azureSubscription"
        connection = endpoints.read_connection(
            self.env,
            self.inputs.required(name),
            secrets=self.out.secrets,
            input_label=self.inputs.describe(name),
        )
        settings = endpoints.settings_of(connection, self.env)
        self.out.line(f"Service connection: {connection.describe()}")
        ca_bundle = check_ca_bundles(self.env)
        subscription = checked_subscription(
            settings.subscription_id,
            f"the service connection '{connection.id}' of the input {self.inputs.describe(name)}",
            "Edit the service connection (Project settings > Service connections): its subscription id "
            "must be the id of the app's subscription, a GUID.",
        )
        settings = replace(settings, subscription_id=subscription, ca_bundle=ca_bundle)
        try:
            self.services = build_services(settings, clock=self._clock, secrets=self.out.secrets)
        except ValueError:  # azure-identity refusing the certificate; its words may quote the data
            raise ConfigError(
                f"The certificate of the service connection '{connection.id}' could not be read.",
                hint="The connection needs a PEM certificate with its private key (no password).",
            ) from None
        return self.services

    def app_ref(self) -> SlotRef:
        """The app the task works on (``appName``, ``resourceGroupName``), as its production slot."""
        app = self.inputs.required("appName")
        group = self.inputs.required("resourceGroupName")
        self.app = SlotRef(group, app)
        self.summary.fact("App", f"{app} (resource group {group})")
        return self.app

    # ---- results ---------------------------------------------------------------------------------------
    def output(self, name: str, value: str | None) -> None:
        """An output variable (``isOutput=true``), empty when there is nothing to say."""
        self.out.setvariable(name, value or "")

    @property
    def temp_dir(self) -> Path:
        return Path(self.env.get("AGENT_TEMPDIRECTORY") or tempfile.gettempdir())

    def publish_summary(self, *, read_slots: bool) -> None:
        """Write the summary (after reading what runs where, if asked) and upload it. Never raises:
        a summary that cannot be written costs a line in the log, not the task."""
        if read_slots and self.services is not None and self.app is not None:
            from slotwise.slots.status import app_status

            try:
                self.summary.status = app_status(self.services, self.app.resource_group, self.app.app)
            except SlotwiseError as error:
                self.summary.status_problem = error.message
            except Exception as error:  # the summary is a courtesy: never fail the task for it
                self.summary.status_problem = type(error).__name__
        try:
            path = write(render(self.summary), self.temp_dir, self.command, self.out.secrets)
        except OSError as error:
            self.out.line(f"Could not write the summary: {error.strerror or error}")
            return
        self.out.uploadsummary(str(path))

    def close(self) -> None:
        if self.services is not None:
            self.services.close()


class _LogToVso(logging.Handler):
    """Library warnings (azure-core, urllib3...) into the log through ``Vso``, masked and
    neutralised, instead of raw on stderr, which the agent reads for logging commands too.
    azure-identity's records of a failure it raises are dropped: the error reports it, once."""

    def __init__(self, out: Vso) -> None:
        super().__init__(logging.WARNING)
        self._out = out

    def emit(self, record: logging.LogRecord) -> None:
        if reported_by_the_error(record):
            return
        try:
            self._out.line(f"{record.levelname.lower()}: {record.name}: {record.getMessage()}")
        except Exception:  # a log line must never end the task
            self.handleError(record)


@contextmanager
def library_logs(out: Vso) -> Iterator[None]:
    """Route warnings of the libraries (and Python's ``warnings``) through ``out`` while a task runs."""
    root, handler = logging.getLogger(), _LogToVso(out)
    root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)


def _stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that cancel a task: SIGTERM (the agent), SIGHUP (the shim forwards it), SIGINT."""
    found = [getattr(signal, name, None) for name in ("SIGTERM", "SIGHUP")]
    return (signal.SIGINT, *(sig for sig in found if sig is not None))


@contextmanager
def cancellation(*, restore: bool = True) -> Iterator[Callable[[], None]]:
    """SIGTERM (and SIGHUP) raise ``Terminated``, SIGINT ``KeyboardInterrupt``, while the task runs;
    the yielded function ignores them from then on (while the task reports how it ended). Restored
    afterwards, unless ``restore`` is False (a process that ends with the task keeps ignoring them,
    so a late signal cannot interrupt its shutdown)."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return

    previous = {sig: signal.getsignal(sig) for sig in _stop_signals()}

    def ignore() -> None:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)

    def stop(signum: int, frame: FrameType | None) -> None:
        # The first stop signal cancels; the agent's follow-up (SIGTERM after SIGINT) and a second
        # Ctrl-C must not interrupt the cancellation while it reports where things stand.
        ignore()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated()

    for sig in previous:
        signal.signal(sig, stop)

    try:
        yield ignore
    finally:
        if restore:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        else:
            ignore()


def run_task(
    command: str,
    task: TaskFunction,
    task_dir: Path | None,
    *,
    env: Mapping[str, str],
    stream: TextIO,
    clock: Clock | None = None,
    last_in_process: bool = False,
) -> int:
    """Run ``task`` as the agent runs a task and answer ``REPORTED``: its result, Failed or not, is
    the one ``task.complete`` line written last. ``last_in_process``: the process ends with this
    task, so stop signals stay ignored after it."""
    out = Vso(stream)
    endpoints.register_secrets(env, out.secrets)
    definition = TaskDefinition.load(task_dir)
    ctx = TaskContext(command, env, TaskInputs(env, definition), out, clock=clock)
    out.line(f"slotwise {__version__}: {command}")
    if definition.problem:
        out.line(f"(input labels unavailable: {definition.problem})")
    with library_logs(out), cancellation(restore=not last_in_process) as stop_listening:
        try:
            message = task(ctx)
            stop_listening()
            ctx.summary.result = ctx.reporter.result
            ctx.publish_summary(read_slots=True)
            out.complete(ctx.reporter.result, message)
            return REPORTED
        except SlotwiseError as error:
            stop_listening()
            return _failed(ctx, error)
        except KeyboardInterrupt:
            stop_listening()
            return _failed(ctx, Cancelled(_cancelled(ctx)))
        except Exception as error:
            stop_listening()
            for line in traceback.format_exception(type(error), error, error.__traceback__):
                out.line(line.rstrip("\n"))
            return _failed(
                ctx,
                SlotwiseError(
                    f"slotwise failed unexpectedly ({type(error).__name__}: {error}).",
                    hint="This is a bug in slotwise: please report it with the log above.",
                ),
            )
        finally:
            ctx.close()


def _cancelled(ctx: TaskContext) -> str:
    last = ctx.reporter.last_step
    return f"Cancelled while: {last}." if last else "Cancelled."


def _failed(ctx: TaskContext, error: SlotwiseError) -> int:
    """Report ``error`` (an issue, the summary, ``task.complete result=Failed``); answer ``REPORTED``."""
    out = ctx.out
    message = error.message
    if isinstance(error, Cancelled) and not message.startswith("Cancel"):
        message = f"Cancelled. {message}"
    said = advice(error, ctx.command)  # the hint and remedies in task inputs' words, no CLI option
    out.logissue("error", f"{message}\n{said}" if said else message)
    ctx.reporter.issue("Failed")
    ctx.summary.result = "Failed"
    ctx.summary.problem, ctx.summary.hint = message, said or None
    remote = not isinstance(error, (UsageError, AuthError, Cancelled))
    ctx.publish_summary(read_slots=remote)
    out.complete("Failed", message)
    return REPORTED
