"""Contract tests of the emulated environments and check configurations: each answer is held to the
200 schema of the operation its row in ``table.ROUTES`` names (distributedTask-7.1 and checks-7.1), and
the check answers to the official examples' shapes (settings only when expanded or just written).

Strict, except what the service sends beyond the checks document: ``settings`` (every official
example of an add, an update or an expanded get has it) and ``version`` (the service's check version,
which microsoft/terraform-provider-azuredevops reads and sends back: approvalsandchecks/common.go).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract.spec import Converter, load, operations
from tests.contract.table import ROUTES
from tests.devops_client import Org, org

__all__ = ["org"]
CHECKS = "azure-devops/checks-7.1.openapi.json"
pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not (REFERENCE / CHECKS).is_file(), reason=REFERENCE_MISSING),
]
EXAMPLES = REFERENCE / "azure-devops/checks-examples-7.1/configurations"
EXTRA = {"ReferenceLinks": ("self",), "CheckConfiguration": ("settings", "version")}
ENVIRONMENTS = "/{org}/{project}/_apis/distributedtask/environments"
CONFIGURATIONS = "/{org}/{project}/_apis/pipelines/checks/configurations"
PREVIEW = "7.1-preview.1"


def held(org: Org, method: str, row: str, asked: str, body: Any = None, version: str = "7.1") -> Any:
    """The answer to ``method asked``, checked against the 200 schema of ``row``'s operation."""
    answer = org.raw(method, asked, json=body, version=version)
    assert answer.status_code == 200, answer.text
    contract = ROUTES[("devops", method, row)]
    document = load(REFERENCE / contract.document)
    [op] = [o for o in operations(contract.document, document) if o.operation_id == contract.name]
    schema = op.response_schema(200)
    assert schema is not None
    converter = Converter(document, strict=True, null_optional=True, extra=EXTRA)
    got = answer.json()
    if schema.get("type") == "array":
        assert set(got) == {"count", "value"}
        assert got["count"] == len(got["value"]) > 0
        assert converter.errors(schema, got["value"]) == []
    else:
        assert converter.errors(schema, got) == []
    return got


def test_environment_answers_are_what_their_operations_document(org: Org) -> None:
    made = held(org, "POST", ENVIRONMENTS, "Fabrikam/_apis/distributedtask/environments", {"name": "prod"})
    one = f"Fabrikam/_apis/distributedtask/environments/{made['id']}"
    held(org, "GET", ENVIRONMENTS, "Fabrikam/_apis/distributedtask/environments")
    got = held(org, "GET", ENVIRONMENTS + "/{environment_id}", f"{one}?expands=resourceReferences")
    assert got["resources"] == []
    held(org, "PATCH", ENVIRONMENTS + "/{environment_id}", one, {"description": "production"})


def _approval(org: Org, environment_id: int) -> dict[str, Any]:
    lead = org.emulator.backends.devops.directory.records_of("contoso").member_named("lead@contoso.com")
    assert lead is not None
    shown = load(EXAMPLES / "POST__AddApprovalCheckConfiguration.json")["parameters"]["body"]
    settings = {**shown["settings"], "approvers": [{"displayName": None, "id": lead.id}]}
    return {**shown, "settings": settings, "resource": {"type": "environment", "id": str(environment_id)}}


def test_check_answers_are_what_their_operations_and_the_official_examples_show(org: Org) -> None:
    environment = org.emulator.create_environment("contoso", "Fabrikam", "SampleEnv")
    base = "Fabrikam/_apis/pipelines/checks/configurations"
    sent = _approval(org, environment["id"])
    made = held(org, "POST", CONFIGURATIONS, base, sent, PREVIEW)
    example = load(EXAMPLES / "POST__AddApprovalCheckConfiguration.json")["responses"]["200"]["body"]
    assert set(made) - {"version"} == set(example)
    assert made["settings"] == sent["settings"]
    one = f"{base}/{made['id']}"
    got = held(org, "GET", CONFIGURATIONS + "/{check_id}", one, version=PREVIEW)
    assert set(got) - {"version"} == set(
        load(EXAMPLES / "GET__CheckConfiguration.json")["responses"]["200"]["body"]
    )
    assert "settings" in held(
        org, "GET", CONFIGURATIONS + "/{check_id}", f"{one}?$expand=settings", version=PREVIEW
    )
    on_environment = f"{base}?resourceType=environment&resourceId={environment['id']}"
    listed = held(org, "GET", CONFIGURATIONS, on_environment, version=PREVIEW)
    assert all("settings" not in c for c in listed["value"])
    changed = held(org, "PATCH", CONFIGURATIONS + "/{check_id}", one, {**sent, "timeout": 60}, PREVIEW)
    assert (changed["version"], changed["timeout"]) == (2, 60)
    queried = held(
        org, "POST", "/{org}/{project}/_apis/pipelines/checks/queryconfigurations",
        "Fabrikam/_apis/pipelines/checks/queryconfigurations?$expand=settings",
        [{"type": "environment", "id": str(environment["id"]), "name": "SampleEnv"}], PREVIEW,
    )  # fmt: skip
    assert [c["settings"] for c in queried["value"]] == [sent["settings"]]
    assert org.raw("DELETE", one, version=PREVIEW).status_code == 204
