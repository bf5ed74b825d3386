"""When a request to Azure DevOps is sent again: ``DevOpsRetry``, the urllib3 retry policy the client's
requests sessions use.

The ``azure-devops`` client sends through msrest and requests, whose retries happen inside urllib3;
msrest's default retries every 5xx and (with ``Retry-After``) 429, sleeping with ``time.sleep``.
slotwise's policy instead:

- 429 (throttled: the server did not accept the request) is retried for every method, reads and
  writes alike; 503 (unavailable) only for reads (GET, HEAD, OPTIONS): a write may have been taken;
- every other status is answered at once (no retry: the caller reports it);
- a connection that could not be opened is retried for every method (the request never left); one
  that failed after the request was sent only for reads;
- the wait is the answer's ``Retry-After`` (seconds or an HTTP date), else exponential backoff (0.5 s,
  1 s, 2 s, ... at most 30 s); at
  most ``attempts`` tries in all, and no retry whose wait would take the total past ``max_wait``
  seconds (the last answer is then given to the caller: a 429 says how long it asked to wait);
- sleeping goes through the injected ``sleep`` (``Clock.sleep``), so tests do not wait.

Must not: know Azure DevOps' errors (``devops.errors`` does), or sleep any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

Sleep = Callable[[float], None]
READS = frozenset({"GET", "HEAD", "OPTIONS"})
THROTTLED, UNAVAILABLE = 429, 503
DEFAULT_ATTEMPTS = 6
DEFAULT_MAX_WAIT = 120.0


class DevOpsRetry(Retry):
    """urllib3's ``Retry`` with slotwise's rules (see the module); ``waited`` is what earlier retries
    of this request slept, ``sleeper`` the injected sleep."""

    def __init__(
        self, *, sleeper: Sleep, max_wait: float = DEFAULT_MAX_WAIT, waited: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.sleeper = sleeper
        self.max_wait = max_wait
        self.waited = waited

    @classmethod
    def policy(
        cls, sleeper: Sleep, *, attempts: int = DEFAULT_ATTEMPTS, max_wait: float = DEFAULT_MAX_WAIT
    ) -> DevOpsRetry:
        """At most ``attempts`` tries of one request, sleeping at most ``max_wait`` seconds in all."""
        retries = max(attempts - 1, 0)
        return cls(
            sleeper=sleeper,
            max_wait=max_wait,
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=False,
            allowed_methods=READS,
            status_forcelist=(),
            backoff_factor=0.5,
            backoff_max=30.0,
            raise_on_status=False,  # the last answer goes to the client, which reports it
            respect_retry_after_header=True,
        )

    def new(self, **kw: Any) -> DevOpsRetry:
        kw.setdefault("sleeper", self.sleeper)
        kw.setdefault("max_wait", self.max_wait)
        kw.setdefault("waited", self.waited)
        retry: DevOpsRetry = super().new(**kw)
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether an answer with ``status_code`` to a ``method`` request is tried again."""
        if not self.total:
            return False
        if status_code == THROTTLED:
            return True
        return status_code == UNAVAILABLE and method.upper() in READS

    def increment(self, *args: Any, **kwargs: Any) -> DevOpsRetry:
        """The next policy, counting the wait it will sleep; exhausted (MaxRetryError, so urllib3 hands
        the last answer on) when that wait would go past ``max_wait``."""
        retry: DevOpsRetry = super().increment(*args, **kwargs)
        response = kwargs.get("response")
        wait = retry.wait_for(response)
        if self.waited + wait > self.max_wait:
            reason = ResponseError(f"waiting {wait:g} s more would pass {self.max_wait:g} s in all")
            url = kwargs.get("url", args[1] if len(args) > 1 else None)
            raise MaxRetryError(cast(Any, kwargs.get("_pool")), url, reason)
        retry.waited = self.waited + wait
        return retry

    def wait_for(self, response: Any = None) -> float:
        """Seconds to wait before the next try: the answer's Retry-After, else the backoff."""
        try:
            after = self.get_retry_after(response) if response is not None else None
        except InvalidHeader:  # a Retry-After that is neither seconds nor a date: back off instead
            after = None
        if after is not None:
            return max(float(after), 0.0)
        tries: int = len(self.history)  # answers and errors so far
        backoff = float(self.backoff_factor) * float(2 ** max(tries - 1, 0))
        return min(float(self.backoff_max), backoff)

    def sleep(self, response: Any = None) -> None:
        wait = self.wait_for(response)
        if wait > 0:
            self.sleeper(wait)
