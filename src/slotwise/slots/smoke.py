"""Smoke tests of a slot: warm it up through its own host, then run the checks concurrently.

``run_smoke`` is the public operation (the CLI and the swap call it; keep it stable), with
``load_checks`` re-exported from ``smoke_checks.py``. It resolves the slot through ARM and talks only
to that slot's ``defaultHostName``; resolves every check's target (routes and keys through ARM,
each key registered as a secret at once: ``smoke_targets.py``) before any request; warms the slot
up (a first request repeated, bounded by attempts and time, waiting on the injected clock); then
runs the checks on a thread pool, each thread with its own pipeline client
(``azure/functions_host.py``: transient faults retried there), and judges each answer
(``smoke_assert.py``). Failing checks are results, not exceptions: the caller decides what a failed
report means. Reports progress through a ``Reporter``; never prints.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace

from slotwise.azure.functions_host import FunctionsHost, HostRequest
from slotwise.azure.models import SlotRef
from slotwise.errors import RemoteError, UsageError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.smoke_assert import judge
from slotwise.slots.smoke_checks import load_checks
from slotwise.slots.smoke_plan import DEFAULT_TIMEOUT, Check, SmokePlan, Warmup
from slotwise.slots.smoke_report import CheckResult, SmokeReport, WarmupResult
from slotwise.slots.smoke_targets import ResolvedTarget, TargetResolver
from slotwise.slots.smoke_text import body_excerpt, safe_text

__all__ = ["DEFAULT_CONCURRENCY", "SmokePlan", "SmokeReport", "load_checks", "run_smoke"]

DEFAULT_CONCURRENCY = 64
CHECK_RETRIES = 3  # retries of transient faults per check, by the pipeline's retry policy


def run_smoke(
    services: Services,
    ref: SlotRef,
    plan: SmokePlan,
    *,
    reporter: Reporter,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
) -> SmokeReport:
    """Run ``plan`` against slot ``ref``. ``timeout``: seconds per request for checks that set none
    of their own (it overrides the file's ``defaults.timeout``)."""
    if concurrency < 1:
        raise UsageError(f"The concurrency must be 1 or more, not {concurrency}.")
    clock = services.clock
    started_at, started = clock.now(), clock.monotonic()
    slot = services.web_apps.get(ref)
    if not slot.default_host_name:
        raise RemoteError(f"ARM reports no host name for {ref}, so it cannot be tested.")
    reporter.step(f"Smoke testing {ref} at {slot.url}")
    resolver = TargetResolver(services.web_apps, ref, services.secrets)
    pool = _HostPool(services, slot.default_host_name)
    try:
        request_timeout = timeout or plan.default_timeout or DEFAULT_TIMEOUT
        warmup = _warm_up(pool.current(), resolver, plan.warmup, services, reporter, request_timeout)
        if warmup.passed:
            results = _run_checks(pool, resolver, plan, services, reporter, concurrency, timeout)
        else:
            results = [_not_run(check) for check in plan.checks]
    finally:
        pool.close()
    return SmokeReport(
        slot=ref,
        url=slot.url,
        started=started_at,
        seconds=clock.monotonic() - started,
        warmup=warmup,
        results=tuple(results),
    )


class _HostPool:
    """One ``FunctionsHost`` (and so one pipeline client and connection pool) per thread."""

    def __init__(self, services: Services, host: str) -> None:
        self._services, self._host = services, host
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[FunctionsHost] = []

    def current(self) -> FunctionsHost:
        found: FunctionsHost | None = getattr(self._local, "host", None)
        if found is None:
            services, host = self._services, self._host
            # the client sleeps (retries) through the host's wait meter, which then sleeps on the clock
            found = FunctionsHost(
                host, lambda meter: replace(services, clock=meter).host_client(host), services.clock
            )
            self._local.host = found
            with self._lock:
                self._all.append(found)
        return found

    def close(self) -> None:
        with self._lock:
            hosts, self._all = self._all, []
        for host in hosts:
            host.close()


# ---- warm-up ---------------------------------------------------------------------------------------
def _warm_up(
    host: FunctionsHost,
    resolver: TargetResolver,
    warmup: Warmup,
    services: Services,
    reporter: Reporter,
    request_timeout: float,
) -> WarmupResult:
    """Repeat the warm-up request until the slot answers as expected, within attempts and time."""
    clock, secrets = services.clock, services.secrets
    started = clock.monotonic()
    try:
        target = resolver.resolve(warmup.target)
    except UsageError as error:
        return WarmupResult(warmup.target.label, False, 0, 0.0, failure=safe_text(error.message, secrets))
    label = f"{target.method} {target.path}"
    reporter.detail(
        f"Warming up: {label} until it answers (at most {warmup.attempts} attempts, {warmup.timeout:g} s)"
    )
    request = _request(target, timeout=request_timeout, retries=0)
    attempt = 0
    while True:
        attempt += 1
        remaining = started + warmup.timeout - clock.monotonic()
        status, problem, retry_after = _warmup_attempt(
            host, replace(request, timeout=max(min(request_timeout, remaining), 0.1))
        )
        elapsed = clock.monotonic() - started
        if status is not None and warmup.accepts(status):
            reporter.detail(f"The slot answered {status} after {attempt} attempt(s), {elapsed:.1f} s")
            return WarmupResult(label, True, attempt, elapsed, status)
        wait = max(warmup.interval, retry_after or 0.0)
        problem = safe_text(problem, secrets)
        if attempt >= warmup.attempts or elapsed + wait >= warmup.timeout:
            failure = (
                f"the slot did not answer {label} as expected after {attempt} attempt(s) "
                f"in {elapsed:.1f} s; last: {problem}"
            )
            reporter.warning(f"Warm-up gave up: {failure}")
            return WarmupResult(label, False, attempt, elapsed, status, failure)
        reporter.detail(f"Warm-up attempt {attempt}: {problem}; trying again in {wait:g} s")
        clock.sleep(wait)


def _warmup_attempt(host: FunctionsHost, request: HostRequest) -> tuple[int | None, str, float | None]:
    """(status or None, what happened, Retry-After seconds) of one warm-up request."""
    try:
        answer = host.call(request)
    except RemoteError as error:
        return None, error.message, None
    return answer.status, f"answered {answer.status}", _retry_after(answer.header("retry-after"))


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP date: the interval applies


# ---- checks ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    """A check ready to send, or the reason it cannot be."""

    check: Check
    label: str
    request: HostRequest | None = None
    problem: str | None = None


def _run_checks(
    pool: _HostPool,
    resolver: TargetResolver,
    plan: SmokePlan,
    services: Services,
    reporter: Reporter,
    concurrency: int,
    timeout: float | None,
) -> list[CheckResult]:
    """Every check, ``concurrency`` at a time; results in the plan's order."""
    prepared = [_prepare(resolver, check, plan.timeout_of(check, timeout)) for check in plan.checks]
    workers = min(concurrency, len(prepared))
    reporter.step(f"Running {len(prepared)} check(s), {workers} at a time")
    results: list[CheckResult | None] = [None] * len(prepared)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slotwise-smoke")
    try:
        futures: dict[Future[CheckResult], int] = {
            executor.submit(_run_one, pool, item, services): index for index, item in enumerate(prepared)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            results[futures[future]] = result
            _report(reporter, result)
            reporter.progress(done, len(prepared), "checks")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return [r for r in results if r is not None]


def _prepare(resolver: TargetResolver, check: Check, timeout: float) -> _Prepared:
    """Resolve a check's target (keys are fetched and registered here, before any request)."""
    try:
        target = resolver.resolve(check.target)
    except UsageError as error:
        return _Prepared(check, check.target.label, problem=error.message)
    request = _request(target, timeout=timeout, retries=CHECK_RETRIES, check=check)
    return _Prepared(check, f"{target.method} {target.path}", request)


def _request(
    target: ResolvedTarget, *, timeout: float, retries: int, check: Check | None = None
) -> HostRequest:
    return HostRequest(
        method=target.method,
        path=target.path,
        query=dict(check.query) if check else {},
        headers=dict(check.headers) if check else {},
        body=check.body.content if check and check.body else None,
        content_type=check.body.content_type if check and check.body else None,
        key=target.key,
        timeout=timeout,
        retries=retries,
    )


def _run_one(pool: _HostPool, item: _Prepared, services: Services) -> CheckResult:
    """Send one check and judge the answer (runs on a worker thread)."""
    secrets, name = services.secrets, item.check.name
    if item.request is None:
        return CheckResult(name, item.label, False, failures=(safe_text(item.problem or "", secrets),))
    try:
        answer = pool.current().call(item.request)
    except RemoteError as error:
        return CheckResult(name, item.label, False, failures=(safe_text(error.message, secrets),))
    failures = judge(item.check.expect, answer, secrets)
    return CheckResult(
        name=name,
        request=item.label,
        passed=not failures,
        status=answer.status,
        latency_ms=answer.latency * 1000,
        failures=tuple(failures),
        excerpt=body_excerpt(answer.body, secrets),
        waited_s=answer.waited,
    )


def _not_run(check: Check) -> CheckResult:
    return CheckResult(
        check.name, check.target.label, False, failures=("not run: the warm-up failed",), skipped=True
    )


def _report(reporter: Reporter, result: CheckResult) -> None:
    if result.passed:
        latency = f" in {result.latency_ms:,.0f} ms" if result.latency_ms is not None else ""
        reporter.detail(f"PASS {result.name} ({result.request}): {result.status}{latency}")
    else:
        reporter.detail(f"FAIL {result.name} ({result.request}): {'; '.join(result.failures)}")
    if result.waited_s:
        reporter.detail(f"     {result.name}: waited {result.waited_s:.1f} s for retries of transient faults")
