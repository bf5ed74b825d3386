"""The release definitions service as the emulator serves it on its Azure DevOps host: the real
``azure-devops`` client finds it through the location handshake and uses it; the control plane puts
in and edits definitions as the portal would, and the client sees each edit as a new revision."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.devops_client import Org, org

__all__ = ["org"]
SAMPLE = REFERENCE / "azure-devops" / "exported-definition-sample.json"


def _control(seeded: Org, method: str, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.request(
        method,
        f"{seeded.emulator.arm_url}/_emulator/devops/contoso/Fabrikam/{path}",
        json=body,
        verify=str(seeded.emulator.ca_path),
        timeout=10,
    )


def _minimal() -> dict[str, Any]:
    return {"name": "from-the-portal", "path": "\\", "environments": [{"name": "Stage 1", "rank": 1}]}


def test_the_client_lists_and_reads_what_the_control_plane_put_in_and_sees_a_portal_edit(org: Org) -> None:
    loaded = _control(org, "POST", "releasedefinitions", _minimal())
    assert loaded.status_code == 201
    definition_id, revision = loaded.json()["id"], loaded.json()["revision"]
    client = org.connect().clients_v7_1.get_release_client()
    (listed,) = client.get_release_definitions(
        "Fabrikam", search_text="from-the-portal", is_exact_name_match=True
    )
    assert (listed.id, listed.revision) == (definition_id, revision)
    edited = _control(org, "PATCH", f"releasedefinitions/{definition_id}", {"environments.0.name": "QA"})
    assert edited.json()["revision"] == revision + 1
    read = client.get_release_definition("Fabrikam", definition_id)
    assert ([e.name for e in read.environments], read.revision) == (["QA"], revision + 1)
    history = client.get_release_definition_history("Fabrikam", definition_id)
    assert [h.revision for h in history] == [revision, revision + 1]


def test_editing_a_definition_that_does_not_exist_names_it(org: Org) -> None:
    answer = _control(org, "PATCH", "releasedefinitions/4242", {"name": "x"})
    assert answer.status_code == 404
    assert "4242" in answer.json()["Message"]


@pytest.mark.skipif(not SAMPLE.is_file(), reason=REFERENCE_MISSING)
def test_a_definition_exported_from_a_real_organization_loads_and_reads_back_whole(org: Org) -> None:
    (exported,) = json.loads(SAMPLE.read_text(encoding="utf-8-sig"))["value"]
    loaded = _control(org, "POST", "releasedefinitions", exported)
    assert loaded.status_code == 201
    read = org.raw("GET", f"Fabrikam/_apis/release/definitions/{loaded.json()['id']}").json()
    assert [e["name"] for e in read["environments"]] == [e["name"] for e in exported["environments"]]
    tasks = [t["taskId"] for e in read["environments"] for p in e["deployPhases"] for t in p["workflowTasks"]]
    assert tasks == [
        t["taskId"] for e in exported["environments"] for p in e["deployPhases"] for t in p["workflowTasks"]
    ]
