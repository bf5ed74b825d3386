"""The azure-core plumbing every slotwise client shares: transport, retries and pipelines.

- ``SlotwiseTransport``: requests-based, with the sleep injected, so retries and long-running-operation
  polls wait through the caller's clock (tests pass a fake that returns at once).
- ``SlotwiseRetryPolicy``: azure-core's retry (exponential backoff, honours ``Retry-After``), also
  retrying throttled (429) requests of any method, since a throttled request was never processed.
- ``build_client``: a ``PipelineClient`` for Kudu or a Functions host: retry, bearer auth for an ARM
  audience (or none, for function-key calls), user agent, and logging that redacts headers and
  query parameters (function keys travel as ``code``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

from slotwise import __version__

Sleep = Callable[[float], None]
USER_AGENT = f"slotwise/{__version__}"


class SlotwiseTransport(RequestsTransport):  # type: ignore[misc]
    """azure-core's requests transport, sleeping through an injected function."""

    def __init__(self, sleep: Sleep, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sleep = sleep

    def sleep(self, duration: float) -> None:
        self._sleep(duration)


class SlotwiseRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """RetryPolicy that also retries 429 for POST and PATCH (the service did not process them)."""

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        if response is not None and response.status_code == 429:
            return True
        return bool(super()._is_method_retryable(settings, request, response=response))


def retry_policy(
    *, total: int = 6, backoff: float = 0.8, max_backoff: float = 30.0, post: bool = False
) -> SlotwiseRetryPolicy:
    """Retries with exponential backoff; ``post=True`` also retries POST on connection and read errors
    (only for operations that are safe to repeat, such as a zip deployment of the same package)."""
    methods = {"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"} | ({"POST"} if post else set())
    return SlotwiseRetryPolicy(
        retry_total=total,
        retry_backoff_factor=backoff,
        retry_backoff_max=max_backoff,
        retry_on_methods=methods,
    )


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
