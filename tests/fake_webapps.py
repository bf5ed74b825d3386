"""An in-memory Azure for unit tests of the slot operations: ``FakeWebApps`` stands in for
``slotwise.azure.arm.WebApps``, ``FakeServices`` for ``slotwise.services.Services``.

State lives in dicts and moves as App Service moves it (see emulator/README.md and the emulator's
``web_swap_rules``): a slot's *content* (its Kudu deployment history and whether it answers
healthily) travels with a swap, tags and slot settings stay with the slot; a completed swap sets
the same ``slotSwapStatus`` on both slots; a swap running, or a swap with preview prepared, locks
the pair (409). Time is a ``ManualClock`` that moves only when something sleeps or waits.

Kudu and the Functions host are faked as narrowly as the operations read them: ``GET
/api/deployments`` of a slot's SCM host lists the content's deployment records, and any request to
a slot's default host answers the content's ``status`` (200 healthy, 500 broken).

Faults: ``web.inject("begin_swap", error, after=True)`` makes the next ``begin_swap`` raise
``error`` (``after``: once the fake has acted, as a connection dropped after the service handled
the request). Every call is logged in ``web.calls`` as ``(method, slot)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError

from slotwise.azure.cloud import resolve_cloud
from slotwise.azure.models import (
    PRODUCTION,
    ConnectionString,
    FunctionInfo,
    HostKeys,
    SlotInfo,
    SlotRef,
    StickyNames,
    SwapStatus,
    slot_name,
)
from slotwise.builds import BuildInfo
from slotwise.errors import ConflictError, NotFoundError, RemoteError, UsageError
from slotwise.secrets import SecretRegistry
from slotwise.services import Services, Settings

T = TypeVar("T")
V = TypeVar("V")
START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
PRODUCTION_SLOT = SlotRef("rg-demo", "func-demo", PRODUCTION)
STAGING = PRODUCTION_SLOT.other("staging")


class ManualClock:
    """Time that moves only when slotwise sleeps (``sleep``) or a test says so (``advance``)."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._scheduled: list[tuple[float, Callable[[], None]]] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds
        due = [item for item in self._scheduled if item[0] <= self.elapsed]
        self._scheduled = [item for item in self._scheduled if item[0] > self.elapsed]
        for _, action in due:
            action()

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        """Run ``action`` (someone else's doing) once the clock has moved ``seconds`` from now."""
        self._scheduled.append((self.elapsed + seconds, action))


# ---- what a slot is made of ------------------------------------------------------------------------------
@dataclass
class Content:
    """What a swap moves: the Kudu deployment history (newest last) and how the app answers."""

    name: str
    deployments: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200  # what the Functions host answers on any path
    functions: list[FunctionInfo] = field(default_factory=list)  # what the functions API lists
    stack: dict[str, str] = field(default_factory=dict)  # the site config's stack versions

    @property
    def live(self) -> str | None:
        """The id of the active deployment (None: never deployed)."""
        return next((d["id"] for d in self.deployments if d["active"]), None)


@dataclass
class FakeSlot:
    ref: SlotRef
    content: Content
    kind: str = "functionapp"
    tags: dict[str, str] = field(default_factory=dict)
    app_settings: dict[str, str] = field(default_factory=dict)
    connection_strings: dict[str, ConnectionString] = field(default_factory=dict)
    swap_status: SwapStatus | None = None
    target_swap_slot: str | None = None  # prepared (swap with preview) or running swap partner
    prepared_from: dict[str, str] | None = None  # own settings while prepared

    @property
    def host(self) -> str:
        suffix = "" if self.ref.is_production else f"-{self.ref.slot}"
        return f"{self.ref.app}{suffix}.azurewebsites.test"

    @property
    def scm_host(self) -> str:
        suffix = "" if self.ref.is_production else f"-{self.ref.slot}"
        return f"{self.ref.app}{suffix}.scm.azurewebsites.test"

    def info(self, operation: str | None = None) -> SlotInfo:
        return SlotInfo(
            ref=self.ref,
            kind=self.kind,
            state="Running",
            default_host_name=self.host,
            scm_host_name=self.scm_host,
            deployment_id=self.content.live,
            last_modified=None,
            swap_status=self.swap_status,
            target_swap_slot=self.target_swap_slot,
            tags=dict(self.tags),
            in_progress_operation_id=operation,
        )


@dataclass
class Fault:
    method: str
    error: Exception
    after: bool = False  # the fake acts first, then the answer is lost
    slot: str | None = None  # only calls about this slot (None: any)
    skip: int = 0  # matching calls let through before this one fails


@dataclass
class SwapOperation:
    id: str
    source: FakeSlot
    target: FakeSlot
    due: float  # on the clock's monotonic time
    fail: str | None = None  # fails at warm-up with this message
    state: str = "running"  # running | succeeded | failed


class FakeSwapPoller:
    """What ``WebApps.begin_swap`` returns (azure-core's ``LROPoller`` surface that slotwise uses).
    Waiting moves the clock; the swap is applied when its time has come."""

    def __init__(self, web: FakeWebApps, operation: SwapOperation) -> None:
        self._web, self.operation = web, operation

    def done(self) -> bool:
        self._web.tick()
        return self.operation.state != "running" or self._web.poll_error is not None

    def status(self) -> str:
        self._web.tick()
        return {"running": "InProgress", "succeeded": "Succeeded", "failed": "Failed"}[self.operation.state]

    def wait(self, timeout: float | None = None) -> None:
        remaining = self.operation.due - self._web.clock.monotonic()
        if self.operation.state == "running" and remaining > 0:
            self._web.clock.advance(remaining if timeout is None else min(timeout, remaining))
        self._web.tick()
        if self._web.poll_error is not None:  # the status poll failed; the swap goes on regardless
            raise self._web.poll_error

    def result(self, timeout: float | None = None) -> None:
        self.wait(timeout)
        if self.operation.state == "running":
            raise RemoteError("the swap is still running")  # as azure-core after its own timeout
        if self.operation.state == "failed":  # as azure-core's poller: a foreign error, translated above
            body = {"error": {"code": "SwapFailed", "message": self.operation.fail}}
            raise HttpResponseError(response=FakeResponse(500, body, "operationresults"))


class FakeWebApps:
    """``slotwise.azure.arm.WebApps`` in memory (one subscription)."""

    def __init__(self, clock: ManualClock, *, poll_interval: float = 1.0, swap_seconds: float = 5.0) -> None:
        self.clock = clock
        self.poll_interval = poll_interval
        self.swap_seconds = swap_seconds
        self.slots: dict[tuple[str, str, str], FakeSlot] = {}
        self.sticky: dict[tuple[str, str], set[str]] = {}
        self.sticky_connections: dict[tuple[str, str], set[str]] = {}
        self.operations: list[SwapOperation] = []
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []
        self.fail_next_swap: str | None = None
        self.poll_error: Exception | None = None  # every status poll of a swap fails with this
        self.preserve_vnet: list[bool] = []  # as each swap and swap preview asked
        self.host_requests: list[str] = []  # "METHOD url" of every Kudu and Functions host request
        self._before: dict[str, Callable[[], None]] = {}
        self._deployments = 0

    # ---- arranging (tests) ---------------------------------------------------------------------------
    def add_app(
        self,
        resource_group: str,
        app: str,
        *,
        slots: tuple[str, ...] = ("staging",),
        kind: str = "functionapp",
    ) -> SlotRef:
        for name in (PRODUCTION, *slots):
            ref = SlotRef(resource_group, app, slot_name(name))
            self.slots[self._key(ref)] = FakeSlot(ref, Content(f"{app}/{ref.slot} (empty)"), kind=kind)
        self.sticky[(resource_group, app)] = set()
        self.sticky_connections[(resource_group, app)] = set()
        return SlotRef(resource_group, app, PRODUCTION)

    def slot(self, ref: SlotRef) -> FakeSlot:
        found = self.slots.get(self._key(ref))
        if found is None:
            raise KeyError(f"no slot {ref} in the fake")
        return found

    def deploy(
        self, ref: SlotRef, build: BuildInfo | None, *, status: int = 200, succeeded: bool = True
    ) -> str:
        """A zip deployment into ``ref`` one minute from now: new content, with the history of the
        content it replaces (Kudu keeps it); a failed deployment leaves the live one live."""
        self.clock.advance(60)
        target = self.slot(ref)
        self._deployments += 1
        deployment_id = f"{self._deployments:04d}" + "ab" * 18
        now = self.clock.now().isoformat()
        record = {
            "id": deployment_id,
            "status": 4 if succeeded else 3,
            "status_text": "" if succeeded else "failed",
            "complete": True,
            "active": succeeded,
            "received_time": now,
            "start_time": now,
            "end_time": now,
            "author": "N/A",
            "deployer": "ZipDeploy",
            "message": build.to_message() if build else "Created via a push deployment",
            "progress": "",
        }
        if succeeded:
            for old in target.content.deployments:
                old["active"] = False
            target.content = Content(
                build.label if build else deployment_id, [*target.content.deployments, record], status
            )
        else:
            target.content.deployments.append(record)
        return deployment_id

    def inject(
        self, method: str, error: Exception, *, after: bool = False, slot: str | None = None, skip: int = 0
    ) -> None:
        """The next call of ``method`` (about ``slot``; after ``skip`` good ones) raises ``error``."""
        self.faults.append(Fault(method, error, after, slot, skip))

    def before_next(self, method: str, action: Callable[[], None]) -> None:
        """Run ``action`` (someone else's doing, or a request that arrives late) just before the next
        call of ``method`` reaches the fake."""
        self._before[method] = action

    def swap_now(self, source: SlotRef, target: str = PRODUCTION) -> None:
        """A swap made by someone else (the portal, az CLI), run to its end."""
        self.begin_swap(source, target).result()

    def count(self, method: str, slot: str | None = None) -> int:
        return sum(1 for m, s in self.calls if m == method and (slot is None or s == slot))

    # ---- WebApps: reading ----------------------------------------------------------------------------
    def close(self) -> None:
        pass

    def get(self, ref: SlotRef) -> SlotInfo:
        return self._call("get", ref, lambda: self._existing(ref).info(self._operation_on(ref)))

    def list_slots(self, resource_group: str, app: str) -> list[SlotInfo]:
        production = self.get(SlotRef(resource_group, app, PRODUCTION))
        others = [
            s.info(self._operation_on(s.ref))
            for s in self.slots.values()
            if (s.ref.resource_group, s.ref.app) == (resource_group, app) and not s.ref.is_production
        ]
        return [production, *sorted(others, key=lambda s: s.ref.slot)]

    def exists(self, ref: SlotRef) -> bool:
        try:
            self.get(ref)
        except NotFoundError:
            return False
        return True

    def app_settings(self, ref: SlotRef) -> dict[str, str]:
        return self._call("app_settings", ref, lambda: dict(self._existing(ref).app_settings))

    def sticky_setting_names(self, resource_group: str, app: str) -> set[str]:
        return set(self.sticky.get((resource_group, app), set()))

    def sticky_names(self, resource_group: str, app: str) -> StickyNames:
        key = (resource_group, app)
        return StickyNames(
            frozenset(self.sticky.get(key, set())), frozenset(self.sticky_connections.get(key, set()))
        )

    def connection_strings(self, ref: SlotRef) -> dict[str, ConnectionString]:
        return self._call("connection_strings", ref, lambda: dict(self._existing(ref).connection_strings))

    def stack(self, ref: SlotRef) -> dict[str, str]:
        return self._call("stack", ref, lambda: dict(self._existing(ref).content.stack))

    def host_keys(self, ref: SlotRef) -> HostKeys:
        return self._call("host_keys", ref, lambda: HostKeys(master=f"master-{ref.slot}-key"))

    def function_keys(self, ref: SlotRef, function: str) -> dict[str, str]:
        return self._call("function_keys", ref, lambda: {"default": f"{function}-{ref.slot}-key"})

    def functions(self, ref: SlotRef) -> list[FunctionInfo]:
        return self._call("functions", ref, lambda: list(self._existing(ref).content.functions))

    # ---- WebApps: changing ---------------------------------------------------------------------------
    def create_slot(self, ref: SlotRef) -> SlotInfo:
        def create() -> SlotInfo:
            production = self._existing(ref.other(PRODUCTION))
            if self._key(ref) in self.slots:
                raise ConflictError(f"Slot {ref.slot} of site {ref.app} already exists.", status=409)
            slot = FakeSlot(ref, Content(f"{ref.app}/{ref.slot} (empty)"), kind=production.kind)
            self.slots[self._key(ref)] = slot
            return slot.info()

        return self._call("create_slot", ref, create)

    def begin_swap(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> FakeSwapPoller:
        def start() -> FakeSwapPoller:
            self.preserve_vnet.append(preserve_vnet)
            first, second = self._pair(source, target)
            self._refuse_running(first, second)
            prepared = self._prepared_pair(first, second)
            if not prepared and (first.target_swap_slot or second.target_swap_slot):
                raise _prepared_conflict()
            if not prepared:
                self._prepare(first, second)
            fail, self.fail_next_swap = self.fail_next_swap, None
            due = self.clock.monotonic() + self.swap_seconds
            operation = SwapOperation(f"op-{len(self.operations) + 1}", first, second, due, fail)
            self.operations.append(operation)
            return FakeSwapPoller(self, operation)

        return self._call("begin_swap", source, start)

    def apply_swap_preview(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> None:
        def apply() -> None:
            self.preserve_vnet.append(preserve_vnet)
            first, second = self._pair(source, target)
            self._refuse_running(first, second)
            if first.target_swap_slot or second.target_swap_slot:
                if self._prepared_pair(first, second) and first.prepared_from is not None:
                    return
                raise _prepared_conflict()
            self._prepare(first, second)

        self._call("apply_swap_preview", source, apply)

    def reset_swap_preview(self, source: SlotRef) -> None:
        def reset() -> None:
            slot = self._existing(source)
            self._refuse_running(slot)
            if slot.target_swap_slot is None:
                return
            partner = self.slots.get(self._key(source.other(slot.target_swap_slot)), slot)
            for each in (slot, partner):
                _unprepare(each)

        self._call("reset_swap_preview", source, reset)

    def merge_tags(self, ref: SlotRef, tags: dict[str, str]) -> None:
        def merge() -> None:
            slot = self._existing(ref)
            for name, value in tags.items():
                for old in [k for k in slot.tags if k.lower() == name.lower()]:
                    del slot.tags[old]
                slot.tags[name] = value

        self._call("merge_tags", ref, merge)

    def delete_tags(self, ref: SlotRef, names: list[str]) -> None:
        def delete() -> None:
            slot = self._existing(ref)
            lowered = {n.lower() for n in names}
            slot.tags = {k: v for k, v in slot.tags.items() if k.lower() not in lowered}

        if names:
            self._call("delete_tags", ref, delete)

    # ---- the service's side --------------------------------------------------------------------------
    def tick(self) -> None:
        """Apply every swap whose time has come, as App Service does on its own."""
        for operation in self.operations:
            if operation.state == "running" and operation.due <= self.clock.monotonic():
                self._finish(operation)

    def _operation_on(self, ref: SlotRef) -> str | None:
        slot = self._existing(ref)
        return next((op.id for op in self.running() if slot in (op.source, op.target)), None)

    def running(self) -> list[SwapOperation]:
        self.tick()
        return [op for op in self.operations if op.state == "running"]

    def _finish(self, operation: SwapOperation) -> None:
        first, second = operation.source, operation.target
        if operation.fail is not None:
            operation.state = "failed"
            for each in (first, second):
                _unprepare(each)
            return
        sticky = self.sticky.get((first.ref.resource_group, first.ref.app), set())
        own_first = first.prepared_from if first.prepared_from is not None else first.app_settings
        own_second = second.prepared_from if second.prepared_from is not None else second.app_settings
        first.app_settings, second.app_settings = (
            {**_part(own_first, sticky, True), **_part(own_second, sticky, False)},
            {**_part(own_second, sticky, True), **_part(own_first, sticky, False)},
        )
        held = self.sticky_connections.get((first.ref.resource_group, first.ref.app), set())
        first.connection_strings, second.connection_strings = (
            {**_part(first.connection_strings, held, True), **_part(second.connection_strings, held, False)},
            {**_part(second.connection_strings, held, True), **_part(first.connection_strings, held, False)},
        )
        first.content, second.content = second.content, first.content
        status = SwapStatus(self.clock.now(), first.ref.slot, second.ref.slot)
        for each in (first, second):
            each.swap_status = status
            each.target_swap_slot, each.prepared_from = None, None
        operation.state = "succeeded"

    # ---- plumbing ------------------------------------------------------------------------------------
    def _call(self, method: str, ref: SlotRef, action: Callable[[], T]) -> T:
        before = self._before.pop(method, None)
        if before is not None:
            before()
        self.calls.append((method, ref.slot))
        self.tick()
        fault = next((f for f in self.faults if f.method == method and f.slot in (None, ref.slot)), None)
        if fault is not None and fault.skip > 0:
            fault.skip -= 1
            fault = None
        elif fault is not None:
            self.faults.remove(fault)
            if not fault.after:
                raise fault.error
        result = action()
        if fault is not None:
            raise fault.error
        return result

    @staticmethod
    def _key(ref: SlotRef) -> tuple[str, str, str]:
        return (ref.resource_group.lower(), ref.app.lower(), ref.slot)

    def _existing(self, ref: SlotRef) -> FakeSlot:
        found = self.slots.get(self._key(ref))
        if found is None:
            raise NotFoundError(
                f"Slot '{ref.slot}' of app '{ref.app}' in group '{ref.resource_group}' was not found.",
                status=404,
            )
        return found

    def _pair(self, source: SlotRef, target: str) -> tuple[FakeSlot, FakeSlot]:
        first, second = self._existing(source), self._existing(source.other(target))
        if first is second:
            raise RemoteError("The source and target slots of a swap must be different.", status=400)
        return first, second

    def _refuse_running(self, *slots: FakeSlot) -> None:
        for operation in self.running():
            if any(s in (operation.source, operation.target) for s in slots):
                raise ConflictError(
                    "Cannot modify this site because another operation is in progress.", status=409
                )

    @staticmethod
    def _prepared_pair(first: FakeSlot, second: FakeSlot) -> bool:
        return first.target_swap_slot == second.ref.slot and second.target_swap_slot == first.ref.slot

    def _prepare(self, first: FakeSlot, second: FakeSlot) -> None:
        sticky = self.sticky.get((first.ref.resource_group, first.ref.app), set())
        first.prepared_from = dict(first.app_settings)
        first.app_settings = {
            **_part(first.app_settings, sticky, False),
            **_part(second.app_settings, sticky, True),
        }
        first.target_swap_slot, second.target_swap_slot = second.ref.slot, first.ref.slot


def _part(values: dict[str, V], names: set[str], sticky: bool) -> dict[str, V]:
    return {k: v for k, v in values.items() if (k in names) is sticky}


def _unprepare(slot: FakeSlot) -> None:
    if slot.prepared_from is not None:
        slot.app_settings = slot.prepared_from
    slot.prepared_from, slot.target_swap_slot = None, None


def _prepared_conflict() -> ConflictError:
    return ConflictError(
        "Cannot modify this site because a swap with preview is prepared on one of its slots.", status=409
    )


# ---- Kudu and the Functions host, as narrowly as the operations read them ---------------------------------
class FakeResponse:
    """The part of azure-core's ``HttpResponse`` that ``KuduClient`` and ``FunctionsHost`` read."""

    def __init__(self, status_code: int, body: Any, url: str) -> None:
        self.status_code = status_code
        self.reason = "OK" if status_code < 400 else "Error"
        self.headers = {"content-type": "application/json"}
        self.content = json.dumps(body).encode()
        self.url = url

    def json(self) -> Any:
        return json.loads(self.content)

    def text(self) -> str:
        return self.content.decode()

    def iter_bytes(self) -> Iterator[bytes]:
        yield self.content

    def close(self) -> None:
        pass

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpResponseError(message=f"{self.status_code} from {self.url}", response=self)


class FakeHostClient:
    """The pipeline client of one slot's SCM or default host, answering from the fake's state."""

    def __init__(self, web: FakeWebApps, host: str) -> None:
        self._web, self._host = web, host
        self.requests: list[str] = []

    def format_url(self, path: str) -> str:
        return f"https://{self._host}/{path.lstrip('/')}"

    def close(self) -> None:
        pass

    def send_request(self, request: Any, **_: Any) -> FakeResponse:
        url: str = request.url
        self.requests.append(f"{request.method} {url}")
        self._web.host_requests.append(f"{request.method} {url}")
        for slot in self._web.slots.values():
            if self._host == slot.scm_host:
                if request.method == "GET" and url.split("?")[0].endswith("/api/deployments"):
                    return FakeResponse(200, list(reversed(slot.content.deployments)), url)
                return FakeResponse(404, {"Message": "not faked"}, url)
            if self._host == slot.host:
                return FakeResponse(slot.content.status, {"content": slot.content.name}, url)
        return FakeResponse(404, {"Message": f"no such host {self._host}"}, url)


class NoCredential:
    """Never asked: the fakes need no token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise UsageError("the fake services have no credential")


@dataclass(frozen=True)
class FakeConnections:
    """``Connections`` over ``FakeWebApps``: Kudu and host clients answer from the fake's state."""

    fake: FakeWebApps

    def scm(self, scm_host: str, clock: object) -> Any:
        return FakeHostClient(self.fake, scm_host)

    def host(self, host: str, clock: object) -> Any:
        return FakeHostClient(self.fake, host)


@dataclass
class FakeServices(Services):
    """``Services`` over ``FakeWebApps``."""

    @property
    def fake(self) -> FakeWebApps:
        web = self.web_apps
        assert isinstance(web, FakeWebApps)
        return web


def fake_services(*, app: str = "func-demo", slots: tuple[str, ...] = ("staging",)) -> FakeServices:
    """Services over an in-memory app ``rg-demo/<app>`` with ``slots``, on a ``ManualClock``."""
    clock = ManualClock()
    web = FakeWebApps(clock)
    web.add_app("rg-demo", app, slots=slots)
    settings = Settings(cloud=resolve_cloud(None), subscription_id=SUBSCRIPTION)
    return FakeServices(
        settings=settings,
        credential=NoCredential(),  # type: ignore[arg-type]
        web_apps=web,  # type: ignore[arg-type]
        clock=clock,
        secrets=SecretRegistry(),
        connections=FakeConnections(web),
    )
