"""``python -m slotwise.agent <command> [<taskDir>]``: what each task's Node shim runs.

Owns the command table (command → the module whose ``run`` does that task; imported only when that
command runs, so ``--version`` and start-up stay fast) and the process around it: stdout as UTF-8,
the exit code (``runtime.REPORTED``, 0, once ``task.complete`` has said the result, Failed included,
as azure-pipelines-task-lib tasks do; non-zero only when the process fails before it could say it).
A wrong command line is a failed task too, reported in logging commands like any other failure.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from slotwise import __version__

COMMANDS: dict[str, str] = {
    "deploy-to-slot": "slotwise.agent.task_deploy",
    "slot-swap": "slotwise.agent.task_swap",
    "smoke-test": "slotwise.agent.task_smoke",
    "guard-against-overwrite": "slotwise.agent.task_guard",
}
USAGE = f"usage: python -m slotwise.agent {{{','.join(COMMANDS)}}} [<taskDir>] | --version"


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = stream or _utf8_stdout()
    if args[:1] == ["--version"]:
        out.write(f"slotwise {__version__}\n")
        return 0
    from slotwise.agent.runtime import REPORTED, TaskFunction, run_task
    from slotwise.factory import environment

    if not args or args[0] not in COMMANDS or len(args) > 2:
        from slotwise.agent.vso import Vso

        vso = Vso(out)
        message = f"Unknown command line: {' '.join(args) or '(none)'}. {USAGE}"
        vso.logissue("error", message)
        vso.complete("Failed", message)
        return REPORTED
    command = args[0]
    task = cast(TaskFunction, importlib.import_module(COMMANDS[command]).run)
    task_dir = Path(args[1]) if len(args) > 1 else None
    return run_task(command, task, task_dir, env=environment(), stream=out, last_in_process=argv is None)


def _utf8_stdout() -> TextIO:
    """stdout as UTF-8 (the agent reads it so), undecodable text replaced rather than failing."""
    stdout = sys.stdout
    reconfigure = getattr(stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8", errors="replace")
    return stdout


if __name__ == "__main__":
    sys.exit(main())
