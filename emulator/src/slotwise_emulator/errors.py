"""Errors the emulated services answer with, in the body shape each real service uses.

Backends raise ``ServiceError``; the routes turn it into a response with ``render``. Shapes:

- ``arm``: Azure Resource Manager, ``{"error": {"code", "message"}}``
- ``appservice``: App Service's own, ``{"Code", "Message", "Target", "Details": [...], "Innererror"}``
- ``aad``: Entra ID token endpoint, ``{"error", "error_description", "error_codes", ...}``
- ``kudu``: the SCM site, a JSON ``{"Message": ...}`` like ASP.NET's HttpError
- ``devops``: Azure DevOps, a serialized VSS exception ``{"$id", "innerException", "message",
  "typeName", "typeKey", "errorCode", "eventId"}`` (``code`` is the ``typeKey``)
- ``text``: a plain text body (the function host, and some front-end errors)
- ``empty``: no body at all

``EmulatorError`` is the other kind: the emulator itself could not start, restore its state or do what
its driver asked (a test, the command line). It is raised to the program driving the emulator, never
answered to a client.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

Shape = Literal["arm", "appservice", "aad", "kudu", "devops", "text", "empty"]
SHAPES: tuple[Shape, ...] = ("arm", "appservice", "aad", "kudu", "devops", "text", "empty")


@dataclass
class ServiceError(Exception):
    """An error answer from an emulated service."""

    status: int
    code: str
    message: str
    shape: Shape = "arm"
    headers: dict[str, str] = field(default_factory=dict)
    extended_code: str | None = None  # App Service's ErrorEntity.ExtendedCode
    aad_codes: list[int] = field(default_factory=list)
    type_name: str | None = None  # Azure DevOps: the exception's .NET type, "Namespace.Type, Assembly"

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def body_for(error: ServiceError) -> Any:
    """The JSON body (or text) the real service would send for ``error``; None for no body."""
    if error.shape == "arm":
        return {"error": {"code": error.code, "message": error.message}}
    if error.shape == "appservice":
        entity = {
            "ExtendedCode": error.extended_code or "04001",
            "MessageTemplate": error.message,
            "Parameters": [],
            "Code": error.code,
            "Message": error.message,
        }
        return {
            "Code": error.code,
            "Message": error.message,
            "Target": None,
            "Details": [{"Message": error.message}, {"Code": error.code}, {"ErrorEntity": entity}],
            "Innererror": None,
        }
    if error.shape == "aad":
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        codes = error.aad_codes or [0]
        return {
            "error": error.code,
            "error_description": (
                f"{error.message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"
            ),
            "error_codes": codes,
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={codes[0]}",
        }
    if error.shape == "kudu":
        return {"Message": error.message}
    if error.shape == "devops":
        return {
            "$id": "1",
            "innerException": None,
            "message": error.message,
            "typeName": error.type_name
            or f"Microsoft.VisualStudio.Services.WebApi.{error.code}, Microsoft.VisualStudio.Services.WebApi",
            "typeKey": error.code,
            "errorCode": 0,
            "eventId": 3000,
        }
    if error.shape == "text":
        return error.message
    return None


def arm_not_found(resource_type: str, name: str, group: str) -> ServiceError:
    """ARM's 404 for a missing resource under a resource group."""
    return ServiceError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def devops_error(status: int, type_key: str, message: str, type_name: str | None = None) -> ServiceError:
    """An Azure DevOps error: a VSS exception named by its ``typeKey`` (and .NET ``typeName``)."""
    return ServiceError(status, type_key, message, shape="devops", type_name=type_name)


def bad_request(message: str, code: str = "BadRequest", shape: Shape = "arm") -> ServiceError:
    return ServiceError(400, code, message, shape=shape)


class EmulatorError(Exception):
    """The emulator could not start, restore its state, or do what its driver asked."""

    default_hint = "Pick another port with --port, or check that the state directory is writable."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message
