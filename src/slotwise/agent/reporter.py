"""An operation's progress as an Azure Pipelines log: ``AgentReporter`` implements ``Reporter``.

Steps become ``==> step`` lines, details indented lines, warnings ``task.logissue type=warning``
(which also makes the task's result at best ``SucceededWithIssues``), and progress with a known total
``task.setprogress`` (the percentage next to the task in the run's view), at most once per percent;
byte transfers also get a plain line every 10 %. Everything goes through ``Vso``: masked, and every
line neutralised, because operations pass on text that came from Azure (Kudu's status texts and logs,
service error messages).

Must not: decide the task's result beyond "a warning was seen" (tasks do), or print directly.
"""

from __future__ import annotations

from slotwise.agent.vso import Result, Vso, worst


class AgentReporter:
    """Reports an operation's events to the agent and remembers the worst result they imply."""

    def __init__(self, out: Vso) -> None:
        self._out = out
        self._percent = -1
        self._tenth = -1
        self.result: Result = "Succeeded"
        self.warnings: list[str] = []
        self.last_step: str | None = None

    def step(self, message: str) -> None:
        self._percent = self._tenth = -1
        self.last_step = message
        self._out.line(f"==> {message}")

    def detail(self, message: str) -> None:
        self._out.line("\n".join(f"    {line}" for line in message.splitlines()) or "")

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        if not total or total <= 0:
            return
        percent = max(0, min(100, done * 100 // total))
        if percent != self._percent:
            self._percent = percent
            label = "Uploading" if unit == "bytes" else f"{done} of {total} {unit}"
            self._out.setprogress(percent, label)
        tenth = percent // 10
        if unit == "bytes" and tenth != self._tenth:
            self._tenth = tenth
            self._out.line(f"    {_size(done)} of {_size(total)} ({percent}%)")

    def warning(self, message: str) -> None:
        self.warnings.append(message)
        self.issue("SucceededWithIssues")
        self._out.logissue("warning", message)

    def issue(self, result: Result) -> None:
        """Make the task's result at least as bad as ``result``."""
        self.result = worst(self.result, result)


def _size(count: int) -> str:
    if count < 1048576:
        return f"{count / 1024:,.1f} KiB"
    return f"{count / 1048576:,.1f} MiB"
