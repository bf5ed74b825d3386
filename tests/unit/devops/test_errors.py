"""The azure-devops client's errors, translated once: real client errors from answers as the server
sends them (a serialized VSS exception, an empty 401, a 429), through slotwise's client classes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsServiceError
from msrest.exceptions import ClientException, ClientRequestError

from slotwise.devops.connect import client_class
from slotwise.devops.errors import Call, answer_of, translate
from slotwise.devops.routes import RELEASE
from slotwise.errors import AuthError, ConflictError, NotFoundError, RemoteError
from slotwise.secrets import SecretRegistry

PAT = "pat-0123456789-secret"
CALL = Call("reading release definition 7 of project 'Fabrikam'", "the PAT scope Release (Read)")
CREDENTIAL = "the personal access token in AZURE_DEVOPS_EXT_PAT"


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers.update(headers or {})
    response.url = "https://dev.azure.com/contoso/Fabrikam/_apis/Release/definitions/7"
    return response


def vss(message: str, type_key: str) -> dict[str, Any]:
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": f"Microsoft.VisualStudio.Services.ReleaseManagement.Data.Exceptions.{type_key}, x",
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": 3000,
    }


def client_error(response: requests.Response) -> Exception:
    """What slotwise's release client raises for ``response`` (the client's own error handling)."""
    client = client_class("7.1", RELEASE)(base_url="https://dev.azure.com/contoso", creds=None)
    with pytest.raises(ClientException) as raised:
        client._handle_error(type("Request", (), {"url": response.url})(), response)
    return raised.value


def secrets() -> SecretRegistry:
    registry = SecretRegistry()
    registry.add(PAT)
    return registry


def test_a_service_error_keeps_its_status_and_becomes_not_found() -> None:
    error = client_error(
        answer(404, vss("VS402856: Release definition 7 not found.", "ReleaseDefinitionNotFoundException"))
    )
    assert isinstance(error, AzureDevOpsServiceError)
    assert answer_of(error) is not None
    assert answer_of(error).status == 404
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert isinstance(translated, NotFoundError)
    assert translated.status == 404
    assert translated.code == "ReleaseDefinitionNotFoundException"
    assert "VS402856: Release definition 7 not found." in translated.message
    assert "reading release definition 7" in translated.message
    assert "project" in translated.hint  # Azure DevOps' advice, not ARM's (resource group, subscription)
    assert "resource group" not in translated.hint


def test_a_conflict_is_a_conflict_error_and_other_refusals_remote_errors_with_status_and_code() -> None:
    conflict = translate(
        client_error(answer(409, vss("in use", "InvalidRequestException"))), CALL, CREDENTIAL, secrets()
    )
    assert isinstance(conflict, ConflictError)
    assert conflict.exit_code == 5
    bad = translate(
        client_error(answer(400, vss("VS402875: no stages", "InvalidRequestException"))),
        CALL,
        CREDENTIAL,
        secrets(),
    )
    assert type(bad) is RemoteError
    assert bad.status == 400
    assert bad.code == "InvalidRequestException"
    assert "VS402875: no stages" in bad.message
    assert bad.exit_code == 4


def test_an_empty_401_names_the_credential_by_its_variable_and_the_permission_needed() -> None:
    said = "TF400813: The user '' is not authorized to access this resource."
    error = client_error(answer(401, headers={"X-TFS-ServiceError": requests.utils.quote(said)}))
    assert isinstance(error, AzureDevOpsAuthenticationError)
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert isinstance(translated, AuthError)
    assert translated.exit_code == 3
    assert "AZURE_DEVOPS_EXT_PAT" in translated.message
    assert "(401)" in translated.message
    assert said in translated.message  # the server's words, from X-TFS-ServiceError
    assert "the PAT scope Release (Read)" in translated.hint
    assert PAT not in translated.message + translated.hint


def test_a_403_says_the_identity_lacks_the_permission() -> None:
    error = client_error(
        answer(
            403, vss("VS402904: Access denied: no Edit release pipeline permission", "AccessDeniedException")
        )
    )
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert isinstance(translated, AuthError)
    assert "VS402904" in translated.message
    assert "(403)" in translated.message
    assert "needs the PAT scope Release (Read)" in translated.hint


def test_a_429_says_how_long_the_server_asked_to_wait() -> None:
    error = client_error(
        answer(429, vss("Request was blocked", "RequestBlockedException"), {"Retry-After": "90"})
    )
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert type(translated) is RemoteError
    assert translated.status == 429
    assert "asked to wait 90 s" in translated.hint


def test_a_secret_the_server_repeats_is_masked() -> None:
    error = client_error(answer(400, vss(f"bad token {PAT}", "InvalidRequestException")))
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert PAT not in translated.message
    assert PAT not in str(translated)
    assert "***" in translated.message


def test_a_connection_that_fails_is_could_not_reach() -> None:
    inner = requests.ConnectionError("Max retries exceeded: connection refused")
    error = ClientRequestError("Error occurred in request.", inner_exception=inner)
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert type(translated) is RemoteError
    assert "Could not reach Azure DevOps while reading release definition 7" in translated.message
    assert "connection refused" in translated.message


def test_an_untrusted_certificate_names_the_ca_variable() -> None:
    inner = requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )
    translated = translate(
        ClientRequestError("Error occurred in request.", inner_exception=inner), CALL, CREDENTIAL, secrets()
    )
    assert "not trusted (self-signed certificate)" in translated.message
    assert "REQUESTS_CA_BUNDLE" in translated.hint


def test_a_resource_the_server_does_not_offer_is_said_so() -> None:
    error = ValueError("API resource location d8f96f24 is not registered on https://tfs.local/tfs/c.")
    translated = translate(error, CALL, CREDENTIAL, secrets())
    assert type(translated) is RemoteError
    assert "does not offer" in translated.message
