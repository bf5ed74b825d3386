"""A slot's Functions host (its ``defaultHostName``), called through an azure-core pipeline.

Owns turning one ``HostRequest`` into one HTTP call and its ``HostAnswer``: the key travels in the
``x-functions-key`` header (never in the URL, so it is in no log line or error), the pipeline's
retry policy survives transient faults (429 with Retry-After, 5xx, dropped connections) within the
request's timeout, redirects are answered as they are (never followed), the body is read up to
``MAX_BODY_BYTES``. Latency is measured on the injected clock and excludes the waits between
retries (a ``WaitMeter`` sits between the pipeline's transport and the clock). Errors after the
retries become ``RemoteError`` sentences with no secret in them. Knows nothing of smoke checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from azure.core import PipelineClient
from azure.core.exceptions import (
    AzureError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)
from azure.core.rest import HttpRequest, HttpResponse

from slotwise.azure.http import with_query
from slotwise.errors import RemoteError
from slotwise.text import remote
from slotwise.timing import Clock

KEY_HEADER = "x-functions-key"
MAX_BODY_BYTES = 1024 * 1024


class WaitMeter:
    """A clock that adds up the time slept through it (the retry policy's waits), then sleeps on
    the real one. One per thread: it belongs to the pipeline client it was built into."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.waited = 0.0

    def now(self) -> datetime:
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def sleep(self, seconds: float) -> None:
        self.waited += max(seconds, 0.0)
        self._clock.sleep(seconds)


@dataclass(frozen=True)
class HostRequest:
    """One call: ``path`` is already percent-encoded; ``key`` goes in the key header."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    key: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # per attempt, and for all attempts together
    retries: int = 3  # the pipeline's retries of transient faults (0: none)
    backoff: float = 0.4  # exponential backoff factor between retries without Retry-After
    max_backoff: float = 4.0  # longest wait between retries without Retry-After


@dataclass(frozen=True)
class HostAnswer:
    """What the host answered. Header names are lower-case."""

    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool  # the body was longer than MAX_BODY_BYTES
    latency: float  # seconds spent in requests and reading, waits between retries excluded
    waited: float  # seconds waited between retries

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


ClientFactory = Callable[[Clock], PipelineClient[Any, Any]]


class FunctionsHost:
    """Calls to one Functions host from one thread (its pipeline client is not shared)."""

    def __init__(self, host: str, make_client: ClientFactory, clock: Clock) -> None:
        self.host = host
        self._meter = WaitMeter(clock)
        self._client = make_client(self._meter)

    def close(self) -> None:
        self._client.close()

    def call(self, request: HostRequest) -> HostAnswer:
        """Send ``request`` (retrying transient faults) and read the answer."""
        started, waited_before = self._meter.monotonic(), self._meter.waited
        try:
            response = self._client.send_request(
                self._http_request(request),
                stream=True,
                connection_timeout=request.timeout,
                read_timeout=request.timeout,
                timeout=request.timeout,
                retry_total=request.retries,
                retry_backoff_factor=request.backoff,
                retry_backoff_max=request.max_backoff,
            )
            body, truncated = _read(response)
        except AzureError as error:
            raise RemoteError(self._describe(error, request)) from None
        waited = self._meter.waited - waited_before
        return HostAnswer(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            truncated=truncated,
            latency=max(self._meter.monotonic() - started - waited, 0.0),
            waited=waited,
        )

    def _http_request(self, request: HostRequest) -> HttpRequest:
        headers = dict(request.headers)
        if request.key:
            headers[KEY_HEADER] = request.key
        typed = any(name.lower() == "content-type" for name in headers)
        if request.body is not None and request.content_type and not typed:
            headers["Content-Type"] = request.content_type
        url = with_query(self._client.format_url(request.path), dict(request.query))
        return HttpRequest(request.method, url, headers=headers, content=request.body)

    def _describe(self, error: AzureError, request: HostRequest) -> str:
        """A sentence for a call that got no answer; never the key (it was only in a header)."""
        if isinstance(error, (ServiceRequestTimeoutError, ServiceResponseTimeoutError)):
            return f"no answer from {self.host} within {request.timeout:g} s"
        detail = remote(str(error.message or error), 300)
        if isinstance(error, ServiceRequestError):
            return f"could not connect to {self.host}: {detail}"
        return f"the connection to {self.host} failed before a full answer: {detail}"


def _read(response: HttpResponse) -> tuple[bytes, bool]:
    """The body, at most MAX_BODY_BYTES of it; the stream is closed either way."""
    chunks: list[bytes] = []
    size, truncated = 0, False
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                truncated = True
                break
    finally:
        response.close()
    return b"".join(chunks)[:MAX_BODY_BYTES], truncated
