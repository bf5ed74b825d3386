"""The fault matrix of issue 7: every remote call slotwise makes x every fault the emulator injects.

ONE table: ``CALLS`` (rows: a remote call, the host kind, method and path a fault rule matches, and
the commands that make that call) x ``FAULTS`` (columns: one fault rule, transient - it fires once -
or persistent - until removed). ``expect`` gives each cell the outcome the product promises (the
issue's words): transient faults are recovered; a change Azure accepted has its outcome found out
(never reported as refused, never started twice); a failure before anything changed is a clear
failure (its exit code, a message naming what failed, no traceback) with the slots as they were;
only when the outcome truly cannot be known, exit 10. A new operation is one ``Call``, a new fault
one ``Fault``, a new command one ``Scenario``.

``World`` puts the app into a scenario's starting state (builds go in with a raw, stamped Kudu zip
deploy, as another tool would) and reads what each slot really serves; ``Cell.check`` compares a run
with its expectation and with what ``slot status`` says afterwards (the status must tell the truth:
each slot's build is what it serves, holds where they are). ``MatrixReport`` collects the cells and
writes ``build/reports/fault-matrix.md`` (rows: remote call and command; columns: fault).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
import requests

from slotwise.builds import BuildInfo
from slotwise_emulator import Emulator
from tests.conftest import ROOT
from tests.packages import app_files, write_zip

GROUP, APP = "rg-demo", "func-demo"
READ_TIMEOUT = 1.0  # SLOTWISE_HTTP_TIMEOUT while the matrix runs: seconds per ARM or Kudu answer
SLOW_MS = 2000  # a slow answer: past READ_TIMEOUT and past the checks' own timeout (CHECKS)
REPORT = ROOT / "build" / "reports" / "fault-matrix.md"

CHECKS = """\
defaults:
  timeout: 1
checks:
  - name: health answers healthy
    path: /api/health
    expect:
      status: 200
      bodyContains: healthy
  - name: hello with its function key
    function: hello
    expect:
      status: 200
  - name: hello with a host key
    path: /api/hello/matrix
    auth: host
    expect:
      status: 200
"""


# ---- columns: the faults ---------------------------------------------------------------------------------
FaultKey = Literal["429", "500", "503", "drop", "drop_after", "slow", "409", "401", "403", "404"]
RETRYABLE: frozenset[FaultKey] = frozenset({"429", "500", "503", "drop", "drop_after", "slow"})
_ANSWERS: dict[str, dict[str, Any]] = {
    "429": {"status": 429, "code": "TooManyRequests", "message": "Injected: too many requests.",
            "retry_after": 1},
    "500": {"status": 500, "code": "InternalServerError", "message": "Injected: internal error."},
    "503": {"status": 503, "code": "ServiceUnavailable", "message": "Injected: unavailable."},
    "drop": {"drop": True},
    "drop_after": {"drop_after": True},
    "slow": {"latency_ms": SLOW_MS, "passthrough": True},
    "409": {"status": 409, "code": "Conflict", "message": "Injected: another operation is in progress."},
    "401": {"status": 401, "code": "InvalidAuthenticationToken", "message": "Injected: the token expired."},
    "403": {"status": 403, "code": "AuthorizationFailed", "message": "Injected: no permission."},
    "404": {"status": 404, "code": "NotFound", "message": "Injected: not found."},
}  # fmt: skip


@dataclass(frozen=True)
class Fault:
    """One column: a fault, firing once (``transient``) or until removed."""

    key: FaultKey
    transient: bool

    @property
    def column(self) -> str:
        return f"{self.key} x1" if self.transient else f"{self.key} always"

    @property
    def status(self) -> int | None:
        status = _ANSWERS[self.key].get("status")
        return int(status) if status is not None else None

    def rule(self, call: Call) -> dict[str, Any]:
        """The emulator's fault rule for this fault on ``call``, in the body shape of its service."""
        rule: dict[str, Any] = {"path": call.path, "method": call.method, "kind": call.kind}
        rule |= _ANSWERS[self.key]
        if "status" in rule:
            rule["shape"] = call.shape
        rule["count"] = 1 if self.transient else None
        if call.armed_by is None:
            return rule
        kind, method, path = call.armed_by
        return {"path": path, "method": method, "kind": kind, "passthrough": True, "count": 1, "then": rule}


FAULTS: tuple[Fault, ...] = (
    *(Fault(key, once) for key in ("429", "503", "drop", "drop_after") for once in (True, False)),
    Fault("500", True),  # persistent, a 500 is a 503: both retried (any method), then refused
    Fault("slow", True),  # persistent slowness is a persistent dropped connection, slower
    *(Fault(key, False) for key in ("409", "401", "403", "404")),  # not retried: once is enough
)  # fmt: skip


# ---- the states a scenario starts from and ends in -----------------------------------------------------
@dataclass(frozen=True)
class State:
    """What each slot serves (the version its /api/health answers, or 'none'), which slots hold
    which build, and which slot is prepared for a swap with preview."""

    serving: Mapping[str, str]
    held: Mapping[str, str] = field(default_factory=dict)
    prepared: str | None = None

    def describe(self) -> str:
        serving = ", ".join(f"{slot} {version}" for slot, version in self.serving.items())
        held = "".join(f"; {slot} holds {build}" for slot, build in self.held.items())
        return serving + held + (f"; {self.prepared} prepared" if self.prepared else "")


TWO_BUILDS = State({"production": "1", "staging": "2"})
SWAPPED = State({"production": "2", "staging": "1"}, {"staging": "build 1"})
PREPARED = State({"production": "1", "staging": "2"}, prepared="staging")
HELD_WITH_PARK = State({"production": "2", "staging": "1", "park": "none"}, {"staging": "build 1"})
PARKED = State({"production": "2", "staging": "none", "park": "1"}, {"park": "build 1"})
DEPLOYED = State({"production": "1", "staging": "3"})
Start = Literal["two builds", "swapped", "prepared", "held, park slot"]


@dataclass(frozen=True)
class Task:
    """The same job through the pipeline task: its command and inputs ({checks}: the checks YAML)."""

    command: str
    inputs: Mapping[str, str]


@dataclass(frozen=True)
class Scenario:
    """A command, the state it starts from, and what the job does when it is done."""

    name: str
    args: tuple[str, ...]  # after `slotwise slot`; {checks} and {package} are filled in
    start: Start
    before: State
    after: State
    swaps: int = 0  # swaps the job starts (a retried or resumed start must not start another)
    unrecorded: State | None = None  # the end state when the change is done but its record failed
    deploys: int = 0  # zip deployments the job starts
    task: Task | None = None


BOUNDED = ("--timeout", "120")  # on the FastClock: a swap never found finished fails in seconds
SWAP = Scenario(
    "slot swap --smoke-checks --rollback-on-failure",
    ("swap", "-s", "staging", "--smoke-checks", "{checks}", "--rollback-on-failure", *BOUNDED),
    "two builds", TWO_BUILDS, SWAPPED, swaps=1, unrecorded=SWAPPED,  # the hold is inferred anyway
    task=Task("slot-swap", {"smokeChecks": "inline", "smokeChecksInline": "{checks}",
                            "rollbackOnFailure": "true"}),
)  # fmt: skip
PREVIEW = Scenario(
    "slot swap --preview", ("swap", "-s", "staging", "--preview"), "two builds", TWO_BUILDS, PREPARED,
    task=Task("slot-swap", {"swapAction": "preview"}),
)  # fmt: skip
COMPLETE = Scenario(
    "slot swap --complete", ("swap", "-s", "staging", "--complete", *BOUNDED), "prepared", PREPARED, SWAPPED,
    swaps=1, task=Task("slot-swap", {"swapAction": "complete"}),
)  # fmt: skip
CANCEL = Scenario(
    "slot swap --cancel", ("swap", "-s", "staging", "--cancel"), "prepared", PREPARED, TWO_BUILDS,
    task=Task("slot-swap", {"swapAction": "cancel"}),
)  # fmt: skip
DEPLOY = Scenario(
    "slot deploy", ("deploy", "-s", "staging", "--package", "{package}", "--build-number", "3"),
    "two builds", TWO_BUILDS, DEPLOYED, deploys=1,
    task=Task("deploy-to-slot", {"package": "{package}"}),
)  # fmt: skip
SMOKE = Scenario(
    "slot smoke", ("smoke", "-s", "staging", "--checks", "{checks}"), "two builds", TWO_BUILDS, TWO_BUILDS,
    task=Task("smoke-test", {"checksSource": "inline", "checksInline": "{checks}"}),
)  # fmt: skip
PARK = Scenario(
    "slot guard --mode park", ("guard", "-s", "staging", "--mode", "park"), "held, park slot",
    HELD_WITH_PARK, PARKED, swaps=1, unrecorded=State(PARKED.serving),  # unprotected: said
    task=Task("guard-against-overwrite", {"mode": "park"}),
)  # fmt: skip
ROLLBACK = Scenario("slot rollback", ("rollback", *BOUNDED), "swapped", SWAPPED, TWO_BUILDS, swaps=1)
STATUS = Scenario("slot status", ("status", "-o", "json"), "swapped", SWAPPED, SWAPPED)
SCENARIOS = (SWAP, PREVIEW, COMPLETE, CANCEL, DEPLOY, SMOKE, PARK, ROLLBACK, STATUS)


# ---- rows: the remote calls -------------------------------------------------------------------------------
_SITE = r"/providers/Microsoft\.Web/sites/func-demo"
_SLOT_OR_SITE = _SITE + r"(/slots/[^/]+)?"
Role = Literal["read", "change", "follow", "outcome", "function"]


@dataclass(frozen=True)
class Call:
    """One row: a remote call slotwise makes, what it is for, and the commands that make it.

    ``role``: ``read`` reads before anything changes (a failure changes nothing); ``change`` asks
    the service to change something (once the service acted, its outcome must be found out);
    ``follow`` follows a change the service accepted (whatever it answers, the outcome is found out
    from the slots' own state); ``outcome``: every read after the change was accepted (``armed_by``:
    the fault starts once that call was made), so a persistent fault leaves the outcome unknowable;
    ``function`` calls the app itself (a failure is a failed check).
    ``after_change``: the call comes after the command changed the slots (a failure leaves them
    changed). ``words``: what a failure's message must name (a regular expression, any case)."""

    name: str
    kind: Literal["arm", "login", "scm", "site"]
    method: str
    path: str
    role: Role
    words: str
    scenarios: tuple[Scenario, ...]
    after_change: bool = False
    armed_by: tuple[str, str, str] | None = None  # (kind, method, path) of the call that starts it
    exits: Mapping[int, int] = field(default_factory=dict)  # a refusal's exit code, if not the usual
    task: bool = True  # the pipeline tasks make it too (the task face's cells include it)

    @property
    def shape(self) -> str:
        return {"arm": "arm", "login": "aad", "scm": "kudu", "site": "text"}[self.kind]


CALLS: tuple[Call, ...] = (
    Call("token (Entra ID)", "login", "POST", r"/oauth2/v2\.0/token$", "read", r"token|sign", (SWAP,)),
    Call("ARM: read site or slot", "arm", "GET", _SLOT_OR_SITE + "$", "read", r"reading slot|was not found",
         (SWAP, DEPLOY, STATUS)),
    Call("ARM: list slots", "arm", "GET", _SITE + r"/slots$", "read", r"listing the slots", (STATUS,)),
    Call("ARM: list functions", "arm", "GET", _SLOT_OR_SITE + r"/functions$", "read",
         r"listing the functions", (SMOKE,)),
    # the swap preflight's reads (the CLI's and the slot-swap task's, before a swap or a preview)
    Call("ARM: list functions (preflight)", "arm", "GET", _SLOT_OR_SITE + r"/functions$", "read",
         r"listing the functions", (SWAP, PREVIEW)),
    Call("ARM: app settings", "arm", "POST", _SLOT_OR_SITE + r"/config/appsettings/list$", "read",
         r"app settings", (SWAP, PREVIEW)),
    Call("ARM: sticky setting names", "arm", "GET", _SITE + r"/config/slotConfigNames$", "read",
         r"slot settings", (SWAP, PREVIEW)),
    Call("ARM: connection strings", "arm", "POST", _SLOT_OR_SITE + r"/config/connectionstrings/list$",
         "read", r"connection strings", (SWAP, PREVIEW)),
    Call("ARM: site config", "arm", "GET", _SLOT_OR_SITE + r"/config/web$", "read",
         r"site configuration", (SWAP, PREVIEW)),
    Call("ARM: swap start (slotsswap)", "arm", "POST", _SLOT_OR_SITE + r"/slotsswap$", "change", r"swap",
         (SWAP, ROLLBACK, PARK)),
    Call("ARM: swap poll (operationresults)", "arm", "GET", r"/operationresults/", "follow", r"swap",
         (SWAP, ROLLBACK, PARK)),
    Call("ARM: preview apply (applySlotConfig)", "arm", "POST", _SLOT_OR_SITE + r"/applySlotConfig$",
         "change", r"preparing the swap", (PREVIEW,)),
    Call("ARM: preview complete (slotsswap)", "arm", "POST", _SLOT_OR_SITE + r"/slotsswap$", "change",
         r"swap", (COMPLETE,)),
    Call("ARM: preview cancel (resetSlotConfig)", "arm", "POST", _SLOT_OR_SITE + r"/resetSlotConfig$",
         "change", r"cancelling the prepared swap", (CANCEL,)),
    Call("ARM: tags write (hold record)", "arm", "PATCH", r"/providers/Microsoft\.Resources/tags/default$",
         "change", r"tags|hold", (SWAP, PARK), after_change=True),
    Call("ARM: host keys (listkeys)", "arm", "POST", r"/host/default/listkeys$", "read", r"host keys",
         (SMOKE,)),
    Call("ARM: function keys (listkeys)", "arm", "POST", r"/functions/[^/]+/listkeys$", "read",
         r"keys of function|function key", (SMOKE,), exits={404: 8}),  # no keys: its check fails
    Call("Kudu: zip deploy upload", "scm", "POST", r"/api/zipdeploy$", "change", r"upload|kudu|deploy",
         (DEPLOY,)),
    Call("Kudu: deployment status", "scm", "GET", r"/api/deployments/latest$", "follow",
         r"deployment", (DEPLOY,)),
    Call("Kudu: deployment history", "scm", "GET", r"/api/deployments$", "read", r"deployments",
         (DEPLOY, STATUS)),
    Call("ARM: every read once the swap was accepted", "arm", "GET", r"^/subscriptions/", "outcome",
         r"outcome|unknown|find out", (SWAP,), armed_by=("arm", "POST", r"/slotsswap$")),
    Call("Kudu: every read once the upload was accepted", "scm", "GET", r".", "outcome",
         r"outcome|unknown|find out", (DEPLOY,), armed_by=("scm", "POST", r"/api/zipdeploy$")),
    Call("function calls (the app)", "site", "GET", r"^/api/", "function", r"smoke|check|warm-up",
         (SMOKE, SWAP)),
)  # fmt: skip


# ---- a cell's expectation ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """``exit`` 0: recovered, the job done. Otherwise a clear failure with that exit code, the slots
    in state ``state`` (``done``: the scenario's end state; ``before``: as they were)."""

    exit: int
    state: Literal["done", "before", "recorded"]  # recorded: done, but its record failed
    why: str
    also: int | None = None  # another exit code that keeps the promise as well

    @property
    def label(self) -> str:
        if self.exit == 0:
            return "recovered"
        return f"exit {self.exit}" + (f" or {self.also}" if self.also not in (None, self.exit) else "")

    def allows(self, code: int) -> bool:
        return code in (self.exit, self.also)


def refusal_exit(fault: Fault) -> int:
    """The exit code of a request refused with ``fault`` for good: 3 auth, 5 conflict, else 4."""
    return {401: 3, 409: 5}.get(fault.status or 0, 4)


def expect(call: Call, scenario: Scenario, fault: Fault) -> Expect:
    """What the product promises for ``call`` failing with ``fault`` while ``scenario`` runs."""
    if call.role == "function" and fault.key == "slow":
        return Expect(8, "before", "slower than the check's own timeout: the check fails (retries fit in it)")
    if fault.transient and fault.key in RETRYABLE:
        return Expect(0, "done", "a transient fault is recovered")
    if call.role == "outcome":
        return Expect(10, "done", "accepted, then nothing can be read: the outcome is unknown, said so")
    if call.role == "follow":
        return Expect(0, "done", "the service accepted the change: its outcome is found out from the slots")
    if call.role == "change" and fault.key == "drop_after":
        return Expect(0, "done", "the service acted: the outcome is found out, nothing started twice")
    if call.role == "function":
        if scenario is SWAP:
            return Expect(8, "before", "the checks fail, so the swap is swapped back")
        return Expect(8, "before", "the checks fail")
    if call.kind == "login":
        return Expect(3, "before", "no token: nothing is done")
    if call.after_change:  # the refusal's code, or 4; its hint must not say "run it again" (a swap back)
        return Expect(
            refusal_exit(fault), "recorded", "the change is done, recording it failed: said loudly", 4
        )
    exit = call.exits.get(fault.status or 0) or refusal_exit(fault)
    return Expect(exit, "before", "refused before anything changed")


@dataclass(frozen=True)
class Cell:
    call: Call
    scenario: Scenario
    fault: Fault

    @property
    def expected(self) -> Expect:
        return expect(self.call, self.scenario, self.fault)

    @property
    def id(self) -> str:
        return f"{self.call.name} | {self.scenario.name} | {self.fault.column}"


TASK_SCENARIOS = (SWAP, DEPLOY, SMOKE, PARK)
TASK_FAULTS = ("503 x1", "drop x1", "drop_after x1", "503 always", "drop always", "drop_after always",
               "409 always", "401 always", "404 always")  # fmt: skip


def cells(*, task_face: bool = False) -> list[Cell]:
    """Every cell of the table. The task face runs the cells that matter there: the swap (with
    checks), deploy, smoke and guard tasks, under the faults of ``TASK_FAULTS`` (429 and 500 are
    retried like 503, and slow answers need SLOTWISE_HTTP_TIMEOUT, a setting of the CLI's
    environment)."""
    found = []
    for call in CALLS:
        for scenario in call.scenarios:
            if task_face and (scenario not in TASK_SCENARIOS or not call.task):
                continue
            for fault in FAULTS:
                if task_face and fault.column not in TASK_FAULTS:
                    continue
                if fault.key == "drop_after" and call.role != "change":
                    continue  # the service acting on a read changes nothing: it is `drop` there
                found.append(Cell(call, scenario, fault))
    return found


def cell_params(*, task_face: bool = False) -> list[Any]:
    return [pytest.param(cell, id=cell.id) for cell in cells(task_face=task_face)]


# ---- the world: the emulator, as far as a test can see it --------------------------------------------------
class World:
    """Puts builds into slots as another tool would, injects faults, and reads the truth."""

    def __init__(self, emulator: Emulator, token: str, tmp_path: Path) -> None:
        self.emulator, self.token, self.tmp = emulator, token, tmp_path
        self.verify = str(emulator.ca_path)
        self.checks = tmp_path / "checks.yaml"
        self.checks.write_text(CHECKS, encoding="utf-8")
        self.package = write_zip(tmp_path / "build-3.zip", app_files("3"))

    def hosts(self, slot: str) -> tuple[str, str]:
        sub = self.emulator.subscription_id
        found = self.emulator.call(lambda b: b.web.slot(sub, GROUP, APP, slot))
        return found.host_name, found.scm_host_name

    def put(self, slot: str, version: str, *, broken: bool = False) -> None:
        """Deploy build ``version`` (answering 500 if ``broken``) to ``slot``, stamped as slotwise
        stamps, through a raw Kudu zip deploy."""
        health = {"status": 500, "body": {"status": "broken", "version": version}} if broken else None
        package = write_zip(self.tmp / f"raw-{slot}-{version}.zip", app_files(version, health))
        _, scm = self.hosts(slot)
        with package.open("rb") as body:
            answer = requests.post(
                f"https://{scm}/api/zipdeploy",
                params={"message": BuildInfo(build_number=version).to_message()},
                data=body,
                headers={"Authorization": f"Bearer {self.token}"},
                verify=self.verify,
                timeout=60,
            )
        answer.raise_for_status()

    def create_slot(self, slot: str) -> None:
        sub = self.emulator.subscription_id
        self.emulator.call(lambda b: b.web.create_slot(sub, GROUP, APP, slot))

    def serving(self, slot: str) -> str:
        """The version a slot's Functions host serves on /api/health, or 'none'."""
        host, _ = self.hosts(slot)
        answer = requests.get(f"https://{host}/api/health", verify=self.verify, timeout=30)
        return "none" if answer.status_code == 404 else str(answer.json().get("version"))

    def prepared(self) -> str | None:
        """The slot prepared for a swap with preview (the source: it took the target's settings)."""
        sub = self.emulator.subscription_id
        slots = self.emulator.call(
            lambda b: [
                (s.name, s.preview_from is not None) for s in b.web.site(sub, GROUP, APP).slots.values()
            ]
        )
        return next((name for name, source in slots if source), None)

    def fault(self, rule: Mapping[str, Any]) -> None:
        answer = requests.post(
            f"{self.emulator.arm_url}/_emulator/faults", json=dict(rule), verify=self.verify, timeout=10
        )
        assert answer.status_code == 201, answer.text

    def clear_faults(self) -> None:
        requests.delete(f"{self.emulator.arm_url}/_emulator/faults", verify=self.verify, timeout=10)

    def fired(self) -> bool:
        """Whether the fault injected has fired (a rule firing once is gone; one armed by another
        fires only once armed)."""
        answer = requests.get(f"{self.emulator.arm_url}/_emulator/faults", verify=self.verify, timeout=10)
        return all(rule["hits"] > 0 and rule["then"] is None for rule in answer.json()["value"])

    def counts(self) -> Counts:
        """Swaps started and zip deployments accepted so far."""
        log = self.emulator.call(lambda b: b.log.entries())
        swaps = self.emulator.call(lambda b: len(b.web.operations))
        deploys = sum(
            1 for e in log if e.method == "POST" and e.path == "/api/zipdeploy" and e.status in (200, 202)
        )
        return Counts(swaps, deploys)


@dataclass(frozen=True)
class Counts:
    swaps: int
    deploys: int

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.swaps - other.swaps, self.deploys - other.deploys)


# ---- a run and its verdict ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What one command did: its exit code, its words (stdout and stderr, or the task's log)."""

    exit: int
    output: str
    error: str  # the failure message (CLI: the `error:` and `hint:` lines; task: the error issues)
    stdout: str = ""


def slot_truth(world: World, status: Mapping[str, Any]) -> list[str]:
    """Where ``slot status -o json`` disagrees with what the slots serve: empty if it tells the truth."""
    wrong = []
    for entry in status["slots"]:
        slot, build = entry["slot"], entry.get("build")
        serves = world.serving(slot)
        said = build.get("label") if isinstance(build, dict) else None
        if (said or "none") != (f"build {serves}" if serves != "none" else "none"):
            wrong.append(f"status says {slot} runs {said or 'nothing'}, it serves {serves}")
    return wrong


def state_problems(world: World, status: Mapping[str, Any], want: State) -> list[str]:
    """How the slots (and the holds and preparation status shows) differ from ``want``."""
    problems = []
    for slot, version in want.serving.items():
        serves = world.serving(slot)
        if serves != version:
            problems.append(f"{slot} serves {serves}, expected {version}")
    holds = {e["slot"]: (e.get("hold") or {}).get("build") for e in status["slots"]}
    for slot, build in holds.items():
        if build != want.held.get(slot):
            wanted = want.held.get(slot) or "nothing"
            problems.append(f"status shows {slot} holding {build or 'nothing'}, expected {wanted}")
    prepared = world.prepared()
    if prepared != want.prepared:
        problems.append(f"{prepared or 'no slot'} is prepared for a swap, expected {want.prepared or 'none'}")
    return problems


def expected_state(scenario: Scenario, want: Expect) -> State:
    if want.state == "recorded":
        return scenario.unrecorded or scenario.after
    return scenario.after if want.state == "done" else scenario.before


def verdict(
    cell: Cell,
    world: World,
    outcome: Outcome,
    status: Mapping[str, Any],
    counts: Counts,
    *,
    fired: bool,
    task: bool,
) -> list[str]:
    """Every way ``outcome`` breaks the cell's expectation (empty: the cell passes). A task has one
    verdict for every failure (Failed): only whether it failed is compared there."""
    want = cell.expected
    scenario = cell.scenario
    problems = []
    if not fired:
        problems.append("the fault never fired: the command does not make this call")
    if "Traceback" in outcome.output:
        problems.append("a traceback was printed")
    got_exit = outcome.exit
    if task:
        got_exit = want.exit if (outcome.exit != 0) == (want.exit != 0) else outcome.exit
    if not want.allows(got_exit):
        problems.append(f"exit {got_exit} ({_first(outcome.error)}), expected {want.label}")
    elif want.exit and not re.search(cell.call.words, outcome.error, re.IGNORECASE):
        problems.append(
            f"the message does not name what failed (/{cell.call.words}/): {_first(outcome.error)}"
        )
    problems += slot_truth(world, status)
    problems += state_problems(world, status, expected_state(scenario, want))
    if want.exit == 0 and counts.swaps != scenario.swaps:
        problems.append(f"{counts.swaps} swaps started, the job needs {scenario.swaps}")
    if counts.swaps > max(scenario.swaps, 1) * 2:
        problems.append(f"{counts.swaps} swaps started: a swap was started again")
    if counts.deploys > scenario.deploys:
        problems.append(f"{counts.deploys} deployments started, the job needs {scenario.deploys}")
    if want.exit == 0 and counts.deploys != scenario.deploys:
        problems.append(f"{counts.deploys} deployments started, the job needs {scenario.deploys}")
    return problems


def _first(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "no message")
    return line[:300]


def prepare(world: World, start: Start, run: Callable[[tuple[str, ...]], Outcome]) -> None:
    """Put the app into ``start`` (no faults yet): builds 1 (production) and 2 (staging), then..."""
    world.put("production", "1")
    world.put("staging", "2")
    if start == "swapped":
        done = run(("swap", "-s", "staging"))
        assert done.exit == 0, done.output
    elif start == "prepared":
        done = run(("swap", "-s", "staging", "--preview"))
        assert done.exit == 0, done.output
    elif start == "held, park slot":
        world.create_slot("park")
        sub = world.emulator.subscription_id
        world.emulator.call(lambda b: b.web.start_swap(sub, GROUP, APP, "staging", "production"))
        # another tool's swap: no hold recorded; the next request finishes it (instant speed)
        world.serving("production")


def fill(text: str, world: World) -> str:
    return text.replace("{checks}", str(world.checks)).replace("{package}", str(world.package))


def settle(cell: Cell) -> None:
    """After a slow answer the service may still act on a request the client gave up on: wait until
    it has, so the state read afterwards includes it."""
    if cell.fault.key == "slow" and cell.call.role == "change":
        time.sleep(SLOW_MS / 1000 + 0.3)


# ---- the report ------------------------------------------------------------------------------------------
@dataclass
class MatrixReport:
    """The cells run in this session, by face, written as one markdown table per face."""

    results: dict[str, dict[str, tuple[Expect, bool, str]]] = field(default_factory=dict)

    def add(self, face: str, cell: Cell, passed: bool, got: str) -> None:
        self.results.setdefault(face, {})[cell.id] = (cell.expected, passed, _steady(got))

    def markdown(self) -> str:
        lines = [
            "# Fault matrix",
            "",
            "Rows: a remote call and the command that makes it. Columns: the fault injected by the",
            "emulator (x1: once; always: until removed). A cell: the promised outcome (`recovered`: exit 0,",
            "the job done; `exit N`: a clear failure naming what failed, the slots as promised and `slot",
            "status` telling the truth), then PASS, or FAIL with what happened. `-`: not a cell (drop_after",
            "only where a call changes something: on a read it is drop). Generated by",
            "tests/functional/test_fault_matrix*.py from the table in tests/faultmatrix.py.",
        ]
        columns = [fault.column for fault in FAULTS]
        for face in sorted(self.results):
            done = self.results[face]
            failed = sum(1 for _, ok, _ in done.values() if not ok)
            lines += ["", f"## {face}: {len(done)} cells, {len(done) - failed} pass, {failed} fail", ""]
            lines.append("| call | command | " + " | ".join(columns) + " |")
            lines.append("|---|---|" + "---|" * len(columns))
            notes: list[str] = []
            for call in CALLS:
                for scenario in call.scenarios or (None,):
                    row = [call.name, scenario.name if scenario else "(no command makes it)"]
                    for fault in FAULTS:
                        key = Cell(call, scenario, fault).id if scenario else None
                        found = done.get(key) if key else None
                        if found is None:
                            row.append("-")
                            continue
                        want, ok, got = found
                        label = want.label if face == "CLI" or not want.exit else "fails"  # a task: Failed
                        row.append(f"{label} PASS" if ok else f"{label} **FAIL**")
                        if not ok:
                            notes.append(f"- {key}: expected {label} ({want.why}); {got}")
                    if any(cell != "-" for cell in row[2:]) or scenario is None:
                        lines.append("| " + " | ".join(row) + " |")
            if notes:
                lines += ["", "### Failing cells", "", *notes]
        return "\n".join(lines) + "\n"

    def write(self, path: Path = REPORT) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")


_VARYING = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"port=\d+"), "port=<port>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T_][\d:.-]+Z?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8,}\b"), "<id>"),
    (re.compile(r"/tmp/\S+"), "<tmp>"),
)


def _steady(text: str) -> str:
    """``text`` without what changes from run to run (ports, times, ids, temporary paths), so the
    report of the same results is the same file."""
    for pattern, stable in _VARYING:
        text = pattern.sub(stable, text)
    return text.replace("|", "/").replace("\n", " ")


REPORT_OF_SESSION = MatrixReport()


@pytest.fixture(scope="session")
def matrix_report() -> Iterator[MatrixReport]:
    """The session's report, written to build/reports/fault-matrix.md when the session ends."""
    yield REPORT_OF_SESSION
    REPORT_OF_SESSION.write()


def status_json(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


# ---- the two faces --------------------------------------------------------------------------------------
def run_cli(args: tuple[str, ...]) -> Outcome:
    """``slotwise slot <args> -g rg-demo -n func-demo`` on services built from the environment as the
    CLI builds them, sleeping on a FastClock (retries and polls do not wait)."""
    import os

    from click.testing import CliRunner

    from slotwise.cli.main import cli
    from slotwise.factory import build_services, settings_from_env
    from tests.fakes import FastClock

    services = build_services(settings_from_env(os.environ), clock=FastClock())
    try:
        result = CliRunner().invoke(cli, ["slot", *args, "-g", GROUP, "-n", APP], obj={"services": services})
    finally:
        services.close()
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\nTraceback (uncaught): {type(result.exception).__name__}: {result.exception}"
    error = "\n".join(line for line in output.splitlines() if line.startswith(("error:", "hint:")))
    return Outcome(result.exit_code, output, error, result.stdout)


def run_task(world: World, task: Task, tmp_path: Path) -> Outcome:
    """The task in this process, as the agent runs it (environment built as the agent builds it),
    sleeping on a FastClock. ``exit``: 1 when its one ``task.complete`` says Failed, else 0 (the
    process itself exits 0 either way, as task-lib tasks do: checked here); ``error``: the error issues."""
    import importlib
    import io

    from slotwise.agent.__main__ import COMMANDS
    from slotwise.agent.runtime import run_task as run_agent_task
    from tests import vso
    from tests.fakes import FastClock
    from tests.functional.test_agent_tasks import Agent, task_folder

    folder = task_folder(task.command, tmp_path)
    inputs = {name: value.replace("{checks}", CHECKS).replace("{package}", str(world.package))
              for name, value in task.inputs.items()}  # fmt: skip
    env = Agent(world.emulator, tmp_path).environment(folder, inputs)
    env["BUILD_BUILDNUMBER"] = "3"  # the build a deploy stamps: the version the package serves
    stream = io.StringIO()
    module = importlib.import_module(COMMANDS[task.command])
    code = run_agent_task(task.command, module.run, folder, env=env, stream=stream, clock=FastClock())
    out = stream.getvalue()
    results = [c.properties.get("result") for c in vso.named(out, "task.complete")]
    assert len(results) == 1, f"task.complete results {results}:\n{out}"
    assert code == 0, f"exit {code} after task.complete:\n{out}"
    told = vso.cli_words(out)
    assert not told, "the task tells pipeline users CLI words:\n" + "\n".join(told)
    return Outcome(1 if results == ["Failed"] else 0, out, "\n".join(vso.issues(out, "error")), out)
