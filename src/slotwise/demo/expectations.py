"""What the demo's story says holds after each step, and the check that it does.

An ``Expectation`` names the step it follows and what must then be true: the build each slot serves,
each named stage's status (and, for a stage that waits, its step), the exit code a watching command
ended with. ``differences`` compares it with what was found and answers one sentence per mismatch;
``failed`` makes the error (exit 1) that carries them when the story did not go as told.

Must not: ask anything of the emulator or print (the story finds and says).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from slotwise.demo.organization import Stage
from slotwise.errors import SlotwiseError


@dataclass(frozen=True)
class StageIs:
    """A stage's expected status; ``step`` too when it matters (``preApproval``: waits for approval)."""

    status: str
    step: str | None = None

    def differs(self, found: Stage | None) -> str | None:
        if found is None:
            return "is missing"
        if found.status != self.status or (self.step is not None and found.step != self.step):
            want = self.status + (f" at {self.step}" if self.step else "")
            return f"is {found.status} at {found.step or 'no step'}, the story expects {want}"
        return None


@dataclass(frozen=True)
class Expectation:
    """What holds after the step ``after``."""

    after: str
    serving: Mapping[str, str] = field(default_factory=dict)  # slot -> build it serves
    stages: Mapping[str, StageIs] = field(default_factory=dict)  # stage name -> its status
    watch_exit: int = 0  # how `slotwise release status --watch` ends (when the step watched one)

    def differences(
        self, serving: Mapping[str, str], stages: Mapping[str, Stage], watch_exit: int | None = None
    ) -> list[str]:
        """One sentence per thing that is not as expected (empty: all is); ``watch_exit``: the exit
        code of the watch that ended the step, if one did."""
        found = []
        if watch_exit is not None and watch_exit != self.watch_exit:
            found.append(
                f"`slotwise release status --watch` exited {watch_exit}, the story expects {self.watch_exit}"
            )
        for slot, build in self.serving.items():
            actual = serving.get(slot, "no slot")
            if actual != build:
                found.append(f"slot {slot} serves build {actual}, the story expects build {build}")
        for name, expected in self.stages.items():
            problem = expected.differs(stages.get(name))
            if problem is not None:
                found.append(f"stage {name} {problem}")
        return found


def failed(step: str, differences: list[str], hint: str) -> SlotwiseError:
    """The error that ends the demo when ``step`` did not go as told (exit 1, the generic failure)."""
    return SlotwiseError(f"The demo went wrong at {step}: " + "; ".join(differences) + ".", hint=hint)
