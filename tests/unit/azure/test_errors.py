"""Foreign errors become slotwise errors once, with the service's own words from either body shape."""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse

from slotwise.azure.errors import service_error, translate
from slotwise.errors import AuthError, ConfigError, ConflictError, NotFoundError, RemoteError


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


# ---- remote words are quoted inert ---------------------------------------------------------------------
INJECTED = "Refused.\n##vso[task.setvariable variable=pwned]yes\r\n##[error]fake\x1b[2J"


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "Bad##vso[x]", "message": INJECTED}},
        {"Code": "Bad##vso[x]", "Message": INJECTED, "Details": [{"Message": INJECTED}]},
        INJECTED,  # not JSON: a proxy's page
    ],
)
def test_a_service_message_is_one_inert_line(body: Any) -> None:
    translated = translate(HttpResponseError(response=response(400, body)), "reading slot staging")
    assert isinstance(translated, RemoteError)
    assert "\n" not in translated.message
    assert "\r" not in translated.message
    assert "\x1b" not in translated.message
    assert "##" not in translated.message
    assert "Refused. # #vso[task.setvariable variable=pwned]yes # #[error]fake" in translated.message
    assert translated.code is None or "##" not in translated.code


def test_a_flood_of_words_is_bounded() -> None:
    body = {"error": {"code": "BadRequest", "message": "x" * 100_000}}
    translated = translate(HttpResponseError(response=response(400, body)), "reading slot staging")
    assert len(translated.message) < 2_000


def test_a_sign_in_error_is_one_inert_line_without_trace_noise() -> None:
    error = ClientAuthenticationError(
        message="ClientSecretCredential.get_token failed: Authentication failed: AADSTS7000215: Invalid "
        "client secret.\n##vso[task.setvariable variable=pwned]yes\r\nTrace ID: abc\r\nCorrelation ID: d"
    )
    translated = translate(error, "signing in")
    assert isinstance(translated, AuthError)
    assert "AADSTS7000215: Invalid client secret. # #vso[task.setvariable variable=pwned]yes" in (
        translated.message
    )
    assert "\n" not in translated.message
    assert "Trace ID" not in translated.message


@pytest.mark.parametrize("wrapped", [ServiceRequestError, ServiceResponseError])
def test_network_words_are_inert_too(wrapped: type[Exception]) -> None:
    translated = translate(wrapped("reset\n##vso[task.complete result=Succeeded]"), "listing slots")
    assert "##" not in translated.message
    assert "\n" not in translated.message


# ---- TLS: what failed is told as that ------------------------------------------------------------------
def test_an_untrusted_server_certificate_is_a_remote_error_naming_the_ca_variable() -> None:
    words = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in chain"
    cause = ssl.SSLCertVerificationError(1, words)
    try:
        raise ServiceRequestError(str(cause), error=cause) from cause
    except ServiceRequestError as error:
        translated = translate(error, "listing slots")
    assert type(translated) is RemoteError
    assert translated.exit_code == 4
    assert "TLS certificate was not trusted (self-signed certificate in chain)" in translated.message
    assert "REQUESTS_CA_BUNDLE" in translated.hint


def test_an_untrusted_certificate_at_sign_in_is_not_a_credentials_problem() -> None:
    error = ClientAuthenticationError(
        message="DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "EnvironmentCredential: Authentication failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
        "failed: unable to get local issuer certificate (_ssl.c:1006)"
    )
    translated = translate(error, "reading slot staging")
    assert type(translated) is RemoteError
    assert "Could not sign in while reading slot staging" in translated.message
    assert "(unable to get local issuer certificate)" in translated.message
    assert "REQUESTS_CA_BUNDLE" in translated.hint


def test_a_missing_ca_bundle_is_a_configuration_error_naming_the_path() -> None:
    error = ClientAuthenticationError(
        message="Authentication failed: Could not find a suitable TLS CA certificate bundle, invalid path: "
        "/no/such/ca.pem"
    )
    translated = translate(error, "reading slot staging")
    assert isinstance(translated, ConfigError)
    assert translated.exit_code == 2
    assert "/no/such/ca.pem" in translated.message
    assert "REQUESTS_CA_BUNDLE" in translated.hint


def test_a_service_answer_quoting_tls_words_stays_the_service_answer() -> None:
    body = {"error": {"code": "BadRequest", "message": "certificate verify failed: of the customer's domain"}}
    translated = translate(HttpResponseError(response=response(400, body)), "binding a certificate")
    assert "Azure refused binding a certificate" in translated.message
    assert "REQUESTS_CA_BUNDLE" not in translated.hint
