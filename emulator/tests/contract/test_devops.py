"""Contract tests of the emulated Azure DevOps against the official 7.1 documents on hand.

The emulator answers one Azure DevOps operation: a pipeline job's OIDC token (``oidctoken`` of the
distributed-task area). Its path object is in ``distributedTask/7.1/task.json``, which is not on hand
(SOURCES.md); the definition of its answer, ``TaskHubOidcToken``, is in the taskAgent document
(``distributedTask-7.1.openapi.json``). So each answer of the emulator is held to that definition,
strictly (Azure DevOps serializes its contract types: no property beyond the model's).

Error answers cannot be held to these documents: they declare no error response for any operation
(``test_the_documents_declare_no_error_answer`` keeps that true). The error paths of this endpoint are
held to the public sources by emulator/tests/unit/test_devops.py.

Like the App Service cases, explicit requests with the real job the emulator made, ``jsonschema``
rather than schemathesis (see test_app_service.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from slotwise_emulator import Emulator, PipelineJob
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract.spec import Converter, load, operations
from tests.contract.table import DEVOPS_DOCUMENTS, DISTRIBUTED_TASK, OIDC_TOKEN, ROUTES

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not (REFERENCE / DISTRIBUTED_TASK).is_file(), reason=REFERENCE_MISSING),
]


@pytest.fixture
def job(emulator: Emulator) -> PipelineJob:
    return emulator.pipeline_job()


def oidc_token(emulator: Emulator, job: PipelineJob, api_version: str) -> requests.Response:
    """What a task (or azure-identity's AzurePipelinesCredential) sends for the job's OIDC token."""
    return requests.post(
        job.oidc_request_uri,
        params={"api-version": api_version, "serviceConnectionId": job.service_connection_id},
        json={},
        headers={"Authorization": f"Bearer {job.access_token}", "X-TFS-FedAuthRedirect": "Suppress"},
        verify=str(emulator.ca_path),
        timeout=10,
    )


def answer_schema() -> tuple[Converter, dict[str, Any]]:
    contract = ROUTES[("devops", "POST", OIDC_TOKEN)]
    document = load(REFERENCE / contract.document)
    return Converter(document, strict=True), {"$ref": f"#/definitions/{contract.name}"}


# the version the operation documents (x-ms-docs-override-version), and the one azure-identity sends
@pytest.mark.parametrize("api_version", ["7.1-preview.1", "7.1"])
def test_an_oidc_token_answer_is_a_task_hub_oidc_token(
    emulator: Emulator, job: PipelineJob, api_version: str
) -> None:
    response = oidc_token(emulator, job, api_version)
    assert response.status_code == 200, response.text
    converter, schema = answer_schema()
    assert response.headers["content-type"].startswith("application/json")
    assert converter.errors(schema, response.json()) == []
    assert response.json()["oidcToken"].count(".") == 2  # a JWT, not an empty string


def test_the_definition_refuses_what_is_not_a_task_hub_oidc_token() -> None:
    converter, schema = answer_schema()
    assert converter.errors(schema, {"oidcToken": 5}) != []
    assert converter.errors(schema, {"oidcToken": "a.b.c", "expiresIn": 600}) != []


def test_the_documents_declare_no_error_answer() -> None:
    declared = {
        status
        for document in DEVOPS_DOCUMENTS
        for op in operations(document, load(REFERENCE / document))
        for status, answer in op.responses.items()
        if status != "200" and "schema" in answer
    }
    assert declared == set()
