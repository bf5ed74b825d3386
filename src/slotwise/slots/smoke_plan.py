"""What a smoke test of a slot is made of, as plain data: checks, expectations, the warm-up.

A ``SmokePlan`` is what ``load_checks`` reads from a checks file (``smoke_checks.py``) and what
``run_smoke`` (``smoke.py``) runs; nothing here reads files or talks to a host. Defaults from the
file's ``defaults`` section are already merged into each ``Check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Auth = Literal["function", "host", "master", "none"]

DEFAULT_TIMEOUT = 30.0  # seconds per request
DEFAULT_WARMUP_ATTEMPTS = 30
DEFAULT_WARMUP_TIMEOUT = 120.0
DEFAULT_WARMUP_INTERVAL = 2.0


@dataclass(frozen=True)
class JsonExpectation:
    """The value at ``path`` of the JSON body equals ``equals`` (when ``exists`` is None) or exists."""

    path: str
    equals: Any = None
    exists: bool | None = None


@dataclass(frozen=True)
class HeaderExpectation:
    """A response header equals ``equals`` exactly, or ``matches`` is found in it."""

    name: str
    equals: str | None = None
    matches: str | None = None


@dataclass(frozen=True)
class Expectation:
    """What a passing answer looks like; ``status`` empty means any 2xx."""

    status: tuple[int, ...] = ()
    body_contains: tuple[str, ...] = ()
    body_matches: str | None = None
    json: tuple[JsonExpectation, ...] = ()
    headers: tuple[HeaderExpectation, ...] = ()
    latency_ms: int | None = None


@dataclass(frozen=True)
class Target:
    """Where a request goes: a function (its route read from ARM) or a path; exactly one is set.

    ``method`` None: GET, or the first method a function accepts if it does not accept GET.
    ``auth`` None: the function's own level decides (none, function key, master key); a path: none.
    """

    function: str | None = None
    path: str | None = None
    route_params: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    auth: Auth | None = None

    @property
    def label(self) -> str:
        """How people see the target: ``function hello`` or ``/api/health``."""
        return f"function {self.function}" if self.function else str(self.path)


@dataclass(frozen=True)
class Body:
    """A request body: bytes with their content type."""

    content: bytes
    content_type: str


@dataclass(frozen=True)
class Check:
    """One request and its expectations."""

    name: str
    target: Target
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Body | None = None
    timeout: float | None = None  # the check's own; else run_smoke's, the file's default, 30 s
    expect: Expectation = field(default_factory=Expectation)


NOT_READY = (429, 502, 503, 504)


@dataclass(frozen=True)
class Warmup:
    """The first request, repeated until the slot answers; ``status`` empty: any status but those a
    front end gives while the app is starting or overloaded (429, 502, 503, 504). A 500 is an answer:
    the app is up (and the checks will say whether it is right)."""

    target: Target = field(default_factory=lambda: Target(path="/"))
    status: tuple[int, ...] = ()
    attempts: int = DEFAULT_WARMUP_ATTEMPTS
    timeout: float = DEFAULT_WARMUP_TIMEOUT
    interval: float = DEFAULT_WARMUP_INTERVAL

    def accepts(self, status: int) -> bool:
        """Whether an answer with ``status`` means the slot is warm."""
        if self.status:
            return status in self.status
        return status not in NOT_READY


@dataclass(frozen=True)
class SmokePlan:
    """The checks of one file, in file order, and the warm-up before them."""

    checks: tuple[Check, ...]
    warmup: Warmup = field(default_factory=Warmup)
    default_timeout: float | None = None  # ``defaults.timeout`` of the file
    source: str = "<checks>"

    def timeout_of(self, check: Check, override: float | None = None) -> float:
        """A check's request timeout: its own, else ``override`` (the command line), else the file's
        default, else 30 s."""
        return check.timeout or override or self.default_timeout or DEFAULT_TIMEOUT
