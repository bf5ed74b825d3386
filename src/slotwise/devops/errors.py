"""The one boundary where errors of the ``azure-devops`` client, msrest and the network become slotwise
errors.

The client raises ``AzureDevOpsServiceError`` (the server's serialized exception: ``message``,
``typeKey``), ``AzureDevOpsAuthenticationError`` (a 401 without one), ``AzureDevOpsClientRequestError``
(other refusals, and msrest's "Error occurred in request" around a requests error) and ``ValueError``
(a REST resource the server does not offer); none carries the HTTP status. slotwise's clients
(``devops.connect``) attach the answer to the error they raise (``remember_answer``): status,
``Retry-After``, and the ``X-TFS-ServiceError`` header a 401 carries instead of a body. ``translate``
turns all of it into:

- ``AuthError`` (401, 403): which credential was used (by its variable's name) and what permission
  the call needs;
- ``NotFoundError`` (404), ``ConflictError`` (409), ``RemoteError`` (others, with status and the
  server's ``typeKey`` as code; a 429 says how long the server asked to wait);
- a server certificate that does not verify or a CA bundle that is not there, as slotwise.azure
  tells them (``REQUESTS_CA_BUNDLE``); a server that cannot be reached as that.

Every word the server said is quoted through ``slotwise.text.remote``; values of the secret registry
(the PAT, tokens) are masked in every message.

Must not: retry (``devops.retry``), decide what a refusal means for a release (StaleRevision is
``devops.definitions``' call), or print.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from azure.core.exceptions import DeserializationError
from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsServiceError
from msrest.exceptions import ClientException

from slotwise.azure.errors import CA_VARIABLE, untrusted_certificate
from slotwise.errors import AuthError, ConflictError, NotFoundError, RemoteError, SlotwiseError
from slotwise.secrets import SecretRegistry
from slotwise.text import remote

NOT_FOUND_HINT = (
    "Check the organization URL and the project's name, and that the credential may see the project "
    "(its PAT's organization and scopes)."
)
CONFLICT_HINT = "Someone else changed it at the same time: read it again (slotwise release plan), then retry."

_ANSWER = "slotwise_answer"  # the attribute of a client error holding its Answer


@dataclass(frozen=True)
class Answer:
    """What the server answered to a refused request, as far as an error needs it."""

    status: int
    retry_after: str | None = None
    service_error: str | None = None  # X-TFS-ServiceError, decoded


@dataclass(frozen=True)
class Call:
    """A call to Azure DevOps, for messages: what it does (``reading the agent queues of 'Fabrikam'``)
    and the permission it needs (the PAT scope, or what an identity must be allowed)."""

    doing: str
    permission: str


def remember_answer(error: BaseException, response: Any) -> None:
    """Attach ``response``'s status and headers to the client's ``error`` (``devops.connect`` does it
    for every refusal)."""
    headers = getattr(response, "headers", None) or {}
    said = headers.get("X-TFS-ServiceError")
    answer = Answer(
        status=int(getattr(response, "status_code", 0) or 0),
        retry_after=headers.get("Retry-After"),
        service_error=unquote(said) if said else None,
    )
    setattr(error, _ANSWER, answer)


def answer_of(error: BaseException) -> Answer | None:
    """The answer ``remember_answer`` attached, if any."""
    answer = getattr(error, _ANSWER, None)
    return answer if isinstance(answer, Answer) else None


@contextmanager
def boundary(call: Call, credential: str, secrets: SecretRegistry) -> Iterator[None]:
    """Run a client call; any foreign error leaves as a slotwise error (``translate``)."""
    try:
        yield
    except SlotwiseError:
        raise
    except Exception as error:
        raise translate(error, call, credential, secrets) from error


def translate(error: Exception, call: Call, credential: str, secrets: SecretRegistry) -> SlotwiseError:
    """A slotwise error for a client ``error`` raised while making ``call`` signed in with
    ``credential`` (its description: ``the personal access token in AZURE_DEVOPS_EXT_PAT``)."""
    if isinstance(error, SlotwiseError):
        return error
    translated = _translate(error, call, credential)
    translated.message = secrets.redact(translated.message)
    translated.args = (translated.message,)
    return translated


def _translate(error: Exception, call: Call, credential: str) -> SlotwiseError:
    answer = answer_of(error)
    if answer is None and not isinstance(error, AzureDevOpsAuthenticationError):
        return _without_answer(error, call)
    status = answer.status if answer is not None else 401
    code = remote(getattr(error, "type_key", None), 100) or None
    said = error.message if isinstance(error, AzureDevOpsServiceError) else None
    words = remote(said or (answer.service_error if answer else None) or str(error)) or "no details"
    if status in (401, 403):
        return _refused(status, words, call, credential)
    text = f"Azure DevOps refused {call.doing} ({status}{f' {code}' if code else ''}): {words}"
    if status == 404:
        return NotFoundError(text, status=status, code=code, hint=NOT_FOUND_HINT)
    if status == 409:
        return ConflictError(text, status=status, code=code, hint=CONFLICT_HINT)
    if status == 429:
        wait = (
            f" it asked to wait {remote(answer.retry_after, 40)} s more"
            if answer and answer.retry_after
            else ""
        )
        return RemoteError(
            text,
            status=status,
            code=code or "TooManyRequests",
            hint=f"Azure DevOps is throttling this identity's requests;{wait or ' '} slotwise stopped "
            "retrying. Try again in a few minutes, or apply fewer specs at once.",
        )
    return RemoteError(text, status=status, code=code)


def _refused(status: int, words: str, call: Call, credential: str) -> AuthError:
    if status == 401:
        return AuthError(
            f"Azure DevOps did not accept {credential} while {call.doing} (401): {words}",
            hint="The credential is wrong, expired or revoked, or belongs to another organization: "
            f"renew it. It needs {call.permission}.",
        )
    return AuthError(
        f"Azure DevOps refused {call.doing} to {credential} (403): {words}",
        hint=f"The identity is signed in but may not do this: it needs {call.permission}.",
    )


def _without_answer(error: Exception, call: Call) -> SlotwiseError:
    """Errors raised before or instead of an answer: TLS, the network, a resource the server lacks."""
    if isinstance(error, ValueError) and "is not registered on" in str(error):
        return RemoteError(
            f"The server does not offer what slotwise needs for {call.doing}: {remote(str(error))}",
            hint="Check that the organization URL is an Azure DevOps organization (Services, or Server "
            "2022 or later).",
        )
    reason = untrusted_certificate(error)
    if reason is not None:
        return RemoteError(
            f"Could not reach Azure DevOps while {call.doing}: the server's TLS certificate was not "
            f"trusted ({reason}).",
            hint=f"If Azure DevOps is reached through a TLS-inspecting proxy, or it is a server with a "
            f"private CA (or the local emulator), set {CA_VARIABLE} to a PEM file holding the CA "
            "certificate that signed the server's certificate; otherwise check the organization URL.",
        )
    if isinstance(error, DeserializationError):
        return RemoteError(
            f"The server's answer while {call.doing} is not what Azure DevOps sends: {remote(str(error))}",
            hint="Check that the organization URL points at Azure DevOps.",
        )
    if isinstance(error, AzureDevOpsServiceError):
        code = remote(error.type_key, 100) or None
        return RemoteError(f"Azure DevOps refused {call.doing}: {remote(error.message)}", code=code)
    if isinstance(error, ClientException):
        return RemoteError(
            f"Could not reach Azure DevOps while {call.doing}: {remote(_reason(error))}",
            hint="Check the organization URL, the network and proxies, then retry.",
        )
    return RemoteError(f"Unexpected failure while {call.doing}: {type(error).__name__}: {remote(str(error))}")


def _inner(error: BaseException) -> BaseException:
    inner = getattr(error, "inner_exception", None)
    return inner if isinstance(inner, BaseException) else error


def _reason(error: ClientException) -> str:
    """msrest says "Error occurred in request., ConnectionError: ..."; the inner error says more."""
    inner = _inner(error)
    return f"{type(inner).__name__}: {inner}" if inner is not error else str(error)
