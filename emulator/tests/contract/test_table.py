"""The table of routes and contracts (``table.py``) is complete and true: every route the emulator
answers has a row, every row that names a document names what that document has, and no route answers
a documented operation without being held to it. The first two tests need no reference."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.contract.spec import load, operations, route_key
from tests.contract.table import (
    APP_SERVICE_EXCERPT,
    DEVOPS_DOCUMENTS,
    NOT_IMPLEMENTED,
    ROUTES,
    Row,
    emulator_routes,
)

needs_reference = pytest.mark.skipif(
    not (REFERENCE / APP_SERVICE_EXCERPT).is_file(), reason=REFERENCE_MISSING
)
# which emulated service answers the operations of which documents
SERVICE_OF = {APP_SERVICE_EXCERPT: "arm", **dict.fromkeys(DEVOPS_DOCUMENTS, "devops")}


def keyed(rows: set[Row]) -> dict[tuple[str, str, str], Row]:
    return {(service, *route_key(method, path)): (service, method, path) for service, method, path in rows}


def test_every_route_of_the_emulator_has_a_row() -> None:
    routes = emulator_routes()
    assert sorted(routes - set(ROUTES)) == [], "routes without a row in table.ROUTES"
    assert sorted(set(ROUTES) - routes) == [], "rows of table.ROUTES the emulator does not route"


def test_what_is_listed_as_not_implemented_is_not_answered() -> None:
    answered = keyed(emulator_routes())
    listed = keyed(set(NOT_IMPLEMENTED))
    assert sorted(set(answered) & set(listed)) == [], "now implemented: move these rows to table.ROUTES"


@needs_reference
def test_every_row_that_names_a_document_names_what_it_has() -> None:
    wrong = []
    for (_service, method, path), contract in ROUTES.items():
        if contract.kind == "operation":
            found = {
                op.operation_id: op
                for op in operations(contract.document, load(REFERENCE / contract.document))
            }
            op = found.get(contract.name)
            if op is None or op.key != route_key(method, path):
                wrong.append(f"{method} {path}: {contract.name} is not that operation of {contract.document}")
        elif contract.kind == "example":
            shown = load(REFERENCE / contract.document)
            slot = "slot" in shown["parameters"]
            if slot != ("{slot}" in path) or "200" not in shown["responses"]:
                wrong.append(f"{method} {path}: {contract.document} is not an example of it")
        elif (
            contract.kind == "definition"
            and contract.name not in load(REFERENCE / contract.document)["definitions"]
        ):
            wrong.append(f"{method} {path}: {contract.document} does not define {contract.name}")
    assert wrong == []


@needs_reference
def test_an_answered_documented_operation_is_held_to_that_operation() -> None:
    answered = keyed(emulator_routes())
    unheld, not_implemented = [], []
    for document, service in SERVICE_OF.items():
        for op in operations(document, load(REFERENCE / document)):
            row = answered.get((service, *op.key))
            if row is None:
                not_implemented.append(op)
                continue
            contract = ROUTES[row]
            held = (contract.kind, same_api(contract.document), contract.name)
            if held != ("operation", same_api(document), op.operation_id):
                unheld.append(f"{row}: answers {op.operation_id} of {document} but its row says {contract}")
    assert unheld == []
    # the table's account of what is not implemented: none of the excerpt's four operations; of the
    # Azure DevOps documents', every one no row of table.ROUTES names (their oidctoken operation is not
    # among them, see table.ROUTES)
    assert [op.operation_id for op in not_implemented if op.document == APP_SERVICE_EXCERPT] == []
    devops = [op for op in not_implemented if op.document in DEVOPS_DOCUMENTS]
    served = {(same_api(c.document), c.name) for c in ROUTES.values() if c.kind == "operation"}
    documented = [op for d in DEVOPS_DOCUMENTS for op in operations(d, load(REFERENCE / d))]
    unserved = [op for op in documented if (same_api(op.document), op.operation_id) not in served]
    assert len(devops) == len(unserved)


def same_api(document: str) -> str:
    """The API a document describes, whichever version: release-7.0 and release-7.1 describe the same
    operations at the same routes (FACTS.md), which the emulator serves at both versions."""
    return re.sub(r"-7\.\d+\.openapi\.json$", "", document)
