"""The one boundary where errors of azure-core, azure-identity and the network become slotwise errors.

Both error body shapes of App Service are understood: ARM's ``{"error": {"code", "message"}}`` and
App Service's own ``{"Code", "Message", ...}`` (for which the SDK alone says only "Operation returned
an invalid status"). Messages name what was being done (``doing``) and never carry a secret.

Every word a service or a library said (a service's message and code, an Entra ID ``AADSTS...``
error as azure-identity words it, a network error) is quoted through ``slotwise.text.remote``: one
line, no control characters, no live ``##vso[`` or ``##[``, bounded. That is done here, once, so both
faces (CLI and agent) print it safely; Entra ID's trace noise (trace and correlation ids, timestamp)
is dropped first. A server certificate that does not verify is told as that (a ``RemoteError`` naming
the CA variable to set), not as a credentials problem; a CA bundle that is not there is a
``ConfigError``; a credential that cannot work where slotwise runs (no managed identity endpoint, no
signed-in az) is told as that, not as credentials that were refused.
"""

from __future__ import annotations

import json
import re
import ssl
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import CredentialUnavailableError

from slotwise.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    NotFoundError,
    RemoteError,
    SlotwiseError,
)
from slotwise.text import remote

_NOISE = re.compile(r"\s*(Trace ID|Correlation ID|Timestamp):.*$", re.MULTILINE)
_CODE_CHARS = 100
_UNTRUSTED = re.compile(r"certificate verify failed: ([^(\]\r\n]+)", re.IGNORECASE)
_NO_BUNDLE = "Could not find a suitable TLS CA certificate bundle"
CA_VARIABLE = "REQUESTS_CA_BUNDLE"
_UNAVAILABLE_HINT = (
    "This way of signing in is not available where slotwise runs (no managed identity answers on this "
    "machine, or the Azure CLI is not installed or not signed in): sign in where it is, or another way."
)


def service_error(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from either App Service error shape, or (None, None)."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body or b"null")
        except ValueError:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return None, text.strip()[:500] or None
    if not isinstance(body, dict):
        return None, None
    inner = body.get("error")
    if isinstance(inner, dict):
        return _str(inner.get("code")), _str(inner.get("message"))
    if "Code" in body or "Message" in body:
        return _str(body.get("Code")), _str(body.get("Message"))
    if "Message" in body or "message" in body:
        return None, _str(body.get("Message") or body.get("message"))
    return None, None


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def _body_of(error: HttpResponseError) -> Any:
    response = error.response
    if response is None:
        return None
    try:
        return response.text()
    except Exception:  # the stream was consumed or closed
        return None


def translate(error: Exception, doing: str) -> SlotwiseError:
    """A slotwise error for a foreign ``error`` raised while ``doing`` something (a sentence fragment)."""
    if isinstance(error, SlotwiseError):
        return error
    tls = _tls_problem(error, doing)
    if tls is not None:
        return tls
    if isinstance(error, ClientAuthenticationError) and error.response is None:
        detail = remote(_NOISE.sub("", str(error.message or error)))
        if isinstance(error, CredentialUnavailableError):
            return AuthError(f"Could not get a token while {doing}: {detail}", hint=_UNAVAILABLE_HINT)
        return AuthError(f"Could not get a token while {doing}: {detail}")
    if isinstance(error, HttpResponseError):
        return _from_response(error, doing)
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return RemoteError(
            f"Could not reach Azure while {doing}: {remote(str(error))}",
            hint="Check the network, proxies and the endpoint (SLOTWISE_ARM_ENDPOINT for other clouds), "
            "then retry.",
        )
    return RemoteError(f"Unexpected failure while {doing}: {type(error).__name__}: {remote(str(error))}")


def _from_response(error: HttpResponseError, doing: str) -> SlotwiseError:
    status = error.status_code
    said_code, said = service_error(_body_of(error))
    code = remote(said_code, _CODE_CHARS) or None
    message = remote(said or str(error.message or error.reason or "")) or "no details"
    text = f"Azure refused {doing}: {message}" + (f" ({code})" if code else "")
    if isinstance(error, ResourceNotFoundError) or status == 404:
        return NotFoundError(text, status=status, code=code)
    if isinstance(error, ClientAuthenticationError) or status == 401:
        return AuthError(
            text, hint="Check that the token is for the right tenant and cloud, then sign in again."
        )
    if status == 403:
        return RemoteError(
            text,
            status=status,
            code=code,
            hint="The identity is signed in but lacks permission: give it the Website Contributor role "
            "(or Contributor) on the app.",
        )
    if isinstance(error, ResourceExistsError) or status == 409:
        return ConflictError(text, status=status, code=code)
    return RemoteError(text, status=status, code=code)


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps (``__cause__``, ``__context__``, azure-core's ``inner_exception``)."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is known for known in seen) or len(seen) > 20:
            continue
        seen.append(current)
        inner = getattr(current, "inner_exception", None)
        pending += [
            current.__cause__,
            current.__context__,
            inner if isinstance(inner, BaseException) else None,
        ]
    return seen


def untrusted_certificate(error: BaseException) -> str | None:
    """Why the server's certificate did not verify (as the TLS library said it, made safe), if that
    is what ``error`` is; None otherwise. azure-identity's chained credentials keep only the words
    of what failed, so the words are read too."""
    if isinstance(error, HttpResponseError) and error.response is not None:
        return None  # a server answered: TLS worked
    causes = _causes(error)
    said = next((match for cause in causes if (match := _UNTRUSTED.search(str(cause)))), None)
    if said is not None:
        return remote(said.group(1), 200).rstrip(". ") or "certificate verify failed"
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        return "certificate verify failed"
    return None


def _tls_problem(error: Exception, doing: str) -> SlotwiseError | None:
    """The error to report when TLS, not the service or the credentials, failed: a server
    certificate that did not verify, or a CA bundle that is not there. None otherwise."""
    if isinstance(error, HttpResponseError) and error.response is not None:
        return None
    missing = next((text for cause in _causes(error) if _NO_BUNDLE in (text := str(cause))), None)
    if missing is not None:
        where = (missing.partition("invalid path:")[2].strip().splitlines() or [""])[0]
        return ConfigError(
            f"The CA bundle to verify servers with is not there{f' ({remote(where, 300)})' if where else ''}"
            f" (while {doing}).",
            hint=f"Point {CA_VARIABLE} at an existing PEM file, or unset it to use "
            "the default CA certificates.",
        )
    reason = untrusted_certificate(error)
    if reason is None:
        return None
    who = "sign in" if isinstance(error, ClientAuthenticationError) else "reach Azure"
    return RemoteError(
        f"Could not {who} while {doing}: the server's TLS certificate was not trusted ({reason}).",
        hint=f"If Azure is reached through a TLS-inspecting proxy, a private cloud or the local emulator, "
        f"set {CA_VARIABLE} to a PEM file holding the CA certificate that signed the server's "
        "certificate; otherwise check the endpoint (SLOTWISE_ARM_ENDPOINT, AZURE_AUTHORITY_HOST).",
    )
