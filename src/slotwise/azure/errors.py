"""The one boundary where errors of azure-core, azure-identity and the network become slotwise errors.

Both error body shapes of App Service are understood: ARM's ``{"error": {"code", "message"}}`` and
App Service's own ``{"Code", "Message", ...}`` (for which the SDK alone says only "Operation returned
an invalid status"). Messages name what was being done (``doing``) and never carry a secret.
"""

from __future__ import annotations

import json
import re
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from slotwise.errors import AuthError, ConflictError, NotFoundError, RemoteError, SlotwiseError

_NOISE = re.compile(r"\s*(Trace ID|Correlation ID|Timestamp):.*$", re.MULTILINE)


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
    if isinstance(error, ClientAuthenticationError) and error.response is None:
        detail = _NOISE.sub("", str(error.message or error)).strip()
        return AuthError(f"Could not get a token while {doing}: {detail}")
    if isinstance(error, HttpResponseError):
        return _from_response(error, doing)
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return RemoteError(
            f"Could not reach Azure while {doing}: {_first_line(str(error))}",
            hint="Check the network, proxies and the endpoint (SLOTWISE_ARM_ENDPOINT for other clouds), "
            "then retry.",
        )
    return RemoteError(f"Unexpected failure while {doing}: {type(error).__name__}: {_first_line(str(error))}")


def _from_response(error: HttpResponseError, doing: str) -> SlotwiseError:
    status = error.status_code
    code, message = service_error(_body_of(error))
    if message is None:
        message = _first_line(str(error.message or error.reason or "no details"))
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


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]
