"""The azure-core plumbing every slotwise client shares: transport, retries and pipelines.

- ``SlotwiseTransport``: requests-based, with the sleep injected, so retries and long-running-operation
  polls wait through the caller's clock (tests pass a fake that returns at once); request bodies
  (a zip deploy's package) go out in 256 KiB blocks rather than urllib3's 16 KiB.
- ``SlotwiseRetryPolicy``: azure-core's retry (exponential backoff, honours ``Retry-After``), also
  retrying throttled (429) requests of any method, since a throttled request was never processed.
  ``READING_POST`` are the per-request options for a POST that only reads (ARM's ``listkeys``):
  retried on a dropped connection or a failed read like a GET, on any client built with the policy;
  ``IDEMPOTENT_PATCH`` the same for a PATCH that gives the same result however often it is applied
  (ARM's tags API with operation Merge or Delete).
- ``build_client``: a ``PipelineClient`` for Kudu or a Functions host: retry, bearer auth for an ARM
  audience (or none, for function-key calls), user agent, and logging that redacts headers and
  query parameters (function keys travel as ``code``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlencode

import requests
from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from slotwise import __version__
from slotwise.azure.errors import untrusted_certificate

Sleep = Callable[[float], None]
USER_AGENT = f"slotwise/{__version__}"
UPLOAD_BLOCKSIZE = 256 * 1024  # bytes per read and TLS write of a request body (measured: bench)


class LargeBlockAdapter(HTTPAdapter):
    """requests' adapter sending request bodies in ``UPLOAD_BLOCKSIZE`` blocks.

    urllib3 reads a file body ``blocksize`` bytes at a time (default 16 KiB) and hands each block to
    its own ``sendall``; azure-core's own larger-block adapter sets it in ``get_connection``, which
    requests >= 2.32 no longer calls, so a 1 GiB upload made 65,536 TLS writes and as many Python
    round trips. Set on the pool manager, the block size holds whichever way requests connects.
    """

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs.setdefault("blocksize", UPLOAD_BLOCKSIZE)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


class SlotwiseTransport(RequestsTransport):  # type: ignore[misc]
    """azure-core's requests transport, sleeping through an injected function, sending bodies in
    large blocks (``LargeBlockAdapter``)."""

    def __init__(self, sleep: Sleep, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sleep = sleep

    def sleep(self, duration: float) -> None:
        self._sleep(duration)

    def _init_session(self, session: requests.Session) -> None:
        super()._init_session(session)
        adapter = LargeBlockAdapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False))
        for prefix in ("http://", "https://"):
            session.mount(prefix, adapter)


class SlotwiseRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """RetryPolicy that also retries 429 for POST and PATCH (the service did not process them), and
    takes ``retry_on_methods`` at construction (azure-core reads it only per request, so without
    this a policy built with POST in it would still never retry a POST after a dropped connection).
    A server certificate that did not verify is not retried: it will not verify on the next try.
    """

    def __init__(self, *, retry_on_methods: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if retry_on_methods is not None:
            self._method_whitelist = frozenset(m.upper() for m in retry_on_methods)

    def increment(
        self, settings: dict[str, Any], response: Any = None, error: Exception | None = None
    ) -> bool:
        if error is not None and untrusted_certificate(error) is not None:
            return False
        return bool(super().increment(settings, response=response, error=error))

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        if response is not None and response.status_code == 429:
            return True
        return bool(super()._is_method_retryable(settings, request, response=response))


REPEATABLE_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"})  # azure-core's
READING_POST: Mapping[str, Any] = MappingProxyType({"retry_on_methods": REPEATABLE_METHODS | {"POST"}})
IDEMPOTENT_PATCH: Mapping[str, Any] = MappingProxyType({"retry_on_methods": REPEATABLE_METHODS | {"PATCH"}})


def retry_policy(
    *, total: int = 6, backoff: float = 0.8, max_backoff: float = 30.0, post: bool = False
) -> SlotwiseRetryPolicy:
    """Retries with exponential backoff; ``post=True`` also retries POST on connection and read errors
    (only for operations that are safe to repeat, such as a zip deployment of the same package)."""
    methods = REPEATABLE_METHODS | ({"POST"} if post else set())
    return SlotwiseRetryPolicy(
        retry_total=total,
        retry_backoff_factor=backoff,
        retry_backoff_max=max_backoff,
        retry_on_methods=methods,
    )


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended, percent-encoded. azure-core's ``HttpRequest(params=...)`` puts
    values in the URL unencoded, so a '+' arrives as a space and a '&' splits a value."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, quote_via=quote)}"


def logging_policy() -> HttpLoggingPolicy:
    """azure-core's HTTP logging: headers and query values outside a short allow-list are redacted."""
    policy = HttpLoggingPolicy()
    policy.allowed_query_params = {"api-version", "isAsync", "deployer"}
    return policy


def build_client(
    base_url: str,
    *,
    transport: SlotwiseTransport,
    credential: TokenCredential | None = None,
    scope: str | None = None,
    retry: SlotwiseRetryPolicy | None = None,
) -> PipelineClient[Any, Any]:
    """A pipeline client for one host (a Kudu site, a Functions host)."""
    policies: list[Any] = [
        RequestIdPolicy(),
        HeadersPolicy(),
        UserAgentPolicy(user_agent=USER_AGENT),
        retry or retry_policy(),
    ]
    if credential is not None:
        if scope is None:
            raise ValueError("a credential needs a scope")
        policies.append(BearerTokenCredentialPolicy(credential, scope))
    policies.append(logging_policy())
    return PipelineClient(base_url=base_url, policies=policies, transport=transport)
