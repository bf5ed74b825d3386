"""Foreign errors become slotwise errors once, with the service's own words from either body shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse

from slotwise.azure.errors import service_error, translate
from slotwise.errors import AuthError, ConflictError, NotFoundError, RemoteError


def response(status: int, body: Any) -> RequestsTransportResponse:
    """A real azure-core transport response over a ``requests.Response`` built in memory."""
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "reason"
    raw._content = (body if isinstance(body, str) else json.dumps(body)).encode()
    raw.headers["Content-Type"] = "application/json"
    return RequestsTransportResponse(HttpRequest("GET", "https://example.test/"), raw)


ARM = {
    "error": {"code": "ResourceNotFound", "message": "The Resource 'Microsoft.Web/sites/x' was not found."}
}
APP_SERVICE = {
    "Code": "Conflict",
    "Message": "Cannot modify this site because another operation is in progress.",
    "Target": None,
    "Details": [{"Message": "Cannot modify this site because another operation is in progress."}],
    "Innererror": None,
}


def test_both_body_shapes_are_read() -> None:
    assert service_error(json.dumps(ARM)) == ("ResourceNotFound", ARM["error"]["message"])
    assert service_error(json.dumps(APP_SERVICE)) == ("Conflict", APP_SERVICE["Message"])
    assert service_error("plain text from a proxy") == (None, "plain text from a proxy")
    assert service_error("") == (None, None)


def test_an_app_service_conflict_becomes_a_conflict_with_its_message() -> None:
    error = HttpResponseError(response=response(409, APP_SERVICE))
    translated = translate(error, "swapping staging")
    assert isinstance(translated, ConflictError)
    assert "another operation is in progress" in translated.message
    assert "swapping staging" in translated.message
    assert translated.exit_code == 5


def test_not_found_keeps_the_arm_words() -> None:
    translated = translate(ResourceNotFoundError(response=response(404, ARM)), "reading slot staging")
    assert isinstance(translated, NotFoundError)
    assert "was not found" in translated.message
    assert translated.code == "ResourceNotFound"


def test_forbidden_names_the_role_to_grant() -> None:
    body = {"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization."}}
    translated = translate(HttpResponseError(response=response(403, body)), "swapping")
    assert isinstance(translated, RemoteError)
    assert "Website Contributor" in translated.hint


def test_token_failures_drop_the_trace_noise() -> None:
    error = ClientAuthenticationError(
        message="AADSTS7000215: Invalid client secret.\nTrace ID: abc\nCorrelation ID: d\nTimestamp: x"
    )
    translated = translate(error, "signing in")
    assert isinstance(translated, AuthError)
    assert "AADSTS7000215" in translated.message
    assert "Trace ID" not in translated.message


def test_connection_failures_say_what_to_check() -> None:
    translated = translate(ServiceRequestError("Connection refused"), "listing slots")
    assert isinstance(translated, RemoteError)
    assert translated.status is None
    assert "SLOTWISE_ARM_ENDPOINT" in translated.hint


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_remote_errors_with_the_status(status: int) -> None:
    translated = translate(HttpResponseError(response=response(status, "upstream failed")), "deploying")
    assert isinstance(translated, RemoteError)
    assert translated.status == status
    assert "upstream failed" in translated.message
