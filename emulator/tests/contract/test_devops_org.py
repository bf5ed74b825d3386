"""Contract tests of the emulated Azure DevOps organization: each answer of the seeded organization is
held to the 200 schema of the operation its row in ``table.ROUTES`` names, in the official 7.1 document.

Strict on the core objects (no property beyond the document's) except where the real service sends
more than its document says; those extras are listed per definition (``EXTRA``) with the evidence.
Error answers cannot be held to these documents (they declare none, see test_devops.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract.spec import Converter, load, operations
from tests.contract.table import ROUTES
from tests.devops_client import Org, org

__all__ = ["org"]
pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not (REFERENCE / "azure-devops").is_dir(), reason=REFERENCE_MISSING),
]

# What the real service sends beyond the documents: ReferenceLinks is documented as ``{"links": {...}}``
# but serialized flattened, ``{"self": {"href"}, "web": ...}`` (every official example with _links, e.g.
# serviceEndpoint-examples-7.1/endpoints/GetServiceEndpointsByName.json's createdBy._links.avatar)
EXTRA = {"ReferenceLinks": ("self", "web", "collection", "avatar")}

# (route row, path to ask, strict)
CASES = [
    (("GET", "/{org}/_apis/projects"), "_apis/projects", True),
    (("GET", "/{org}/_apis/projects/{project_id}"), "_apis/projects/Fabrikam", True),
    (("GET", "/{org}/{project}/_apis/build/definitions"), "Fabrikam/_apis/build/definitions", True),
    (("GET", "/{org}/{project}/_apis/build/builds"), "Fabrikam/_apis/build/builds", True),
    (("GET", "/{org}/{project}/_apis/distributedtask/queues"), "Fabrikam/_apis/distributedtask/queues", True),
    (("GET", "/{org}/_apis/distributedtask/pools"), "_apis/distributedtask/pools", True),
    (
        ("GET", "/{org}/{project}/_apis/serviceendpoint/endpoints"),
        "Fabrikam/_apis/serviceendpoint/endpoints",
        True,
    ),
    (("GET", "/{org}/_apis/graph/users"), "_apis/graph/users", True),
    (("GET", "/{org}/_apis/graph/groups"), "_apis/graph/groups", True),
]


@pytest.mark.parametrize(("row", "asked", "strict"), CASES, ids=[c[1].split("?")[0] for c in CASES])
def test_an_answer_is_what_its_operation_documents(
    org: Org, row: tuple[str, str], asked: str, strict: bool
) -> None:
    answer = org.raw("GET", asked)
    assert answer.status_code == 200, answer.text
    contract = ROUTES[("devops", *row)]
    document = load(REFERENCE / contract.document)
    [op] = [o for o in operations(contract.document, document) if o.operation_id == contract.name]
    schema = op.response_schema(200)
    assert schema is not None
    body = answer.json()
    converter = Converter(document, strict=strict, null_optional=True, extra=EXTRA)
    # a list operation documents its items (the wire wraps them in {count, value})
    if schema.get("type") == "array":
        assert set(body) == {"count", "value"}
        assert body["count"] == len(body["value"]) > 0
        assert converter.errors(schema, body["value"]) == []
    else:
        assert converter.errors(schema, body) == []


def test_an_identity_has_what_the_official_example_of_a_search_by_email_has(org: Org) -> None:
    """The identities document types ``descriptor`` as an object; the service (and its official
    example) writes a string: the answer is held to the example's item instead."""
    example = load(REFERENCE / "azure-devops/identities-examples-7.1/Identities/SearchIdentityByEmail.json")
    [shown] = example["responses"]["200"]["body"]["value"]
    [answered] = org.raw("GET", "_apis/identities?searchFilter=General&filterValue=lead@contoso.com").json()[
        "value"
    ]
    assert set(answered) <= set(shown)
    assert {k: type(v) for k, v in answered.items()} == {k: type(shown[k]) for k in answered}
    assert set(answered["properties"]) <= set(shown["properties"])


def test_a_builds_artifacts_are_what_artifacts_list_documents(org: Org) -> None:
    files = {"drop": {"app.zip": b"PK..", "notes/readme.md": b"# hi"}, "logs": {"a.txt": b"x"}}
    build = org.emulator.complete_build("contoso", "Fabrikam", "orders-api-CI", artifacts=files)
    answer = org.raw("GET", f"Fabrikam/_apis/build/builds/{build.id}/artifacts")
    assert answer.status_code == 200, answer.text
    contract = ROUTES[("devops", "GET", "/{org}/{project}/_apis/build/builds/{build_id}/artifacts")]
    document = load(REFERENCE / contract.document)
    [op] = [o for o in operations(contract.document, document) if o.operation_id == contract.name]
    schema = op.response_schema(200)
    assert schema is not None
    body = answer.json()
    converter = Converter(document, strict=True, null_optional=True, extra=EXTRA)
    assert converter.errors(schema, body["value"]) == []
    listed = org.connect().clients_v7_1.get_build_client().get_artifacts("Fabrikam", build.id)
    assert [(a.name, a.resource.type, a.resource.properties["artifactsize"]) for a in listed] == [
        ("drop", "Container", "8"),
        ("logs", "Container", "1"),
    ]
    missing = org.raw("GET", "Fabrikam/_apis/build/builds/999/artifacts")
    assert (missing.status_code, missing.json()["typeKey"]) == (404, "BuildNotFoundException")
