"""Release definitions as raw documents through slotwise.devops against the emulated release service
(branch ado-release: these tests need it merged into the emulator). Create, get, list with ownership,
update with the revision, a concurrent edit detected, nothing the client's models would drop is lost,
delete; also as Azure DevOps Server 2022 (REST 7.0)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from slotwise.errors import NotFoundError
from slotwise.release.gateway import Document, Organization, StaleRevision
from slotwise.release.load import load_specs
from slotwise.release.render import MANAGED_BY, render
from slotwise.release.resolve import references
from slotwise_emulator import Emulator, Speed
from tests.functional.devops_org import ROOT, devops_env, opened

PROJECT = "Fabrikam"


@pytest.fixture(params=["services", "2022"])
def org(request: pytest.FixtureRequest) -> Iterator[Organization]:
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        if request.param == "2022":
            emu.set_devops_server("2022")
        yield opened(devops_env(emu))


def rendered(org: Organization) -> Document:
    definition = load_specs([ROOT / "templates" / "release" / "builtin-tasks.yaml"]).definitions[0]
    return render(definition, org.resolver(references(definition))).document


def test_create_get_list_update_and_delete_keep_every_field(org: Organization) -> None:
    definitions = org.definitions
    created = definitions.create(PROJECT, rendered(org), comment="slotwise apply")
    assert created["revision"] == 1
    got = definitions.get(PROJECT, created["id"])
    assert got["properties"][MANAGED_BY]["$value"] == "slotwise"
    listed = definitions.list(PROJECT, path=got["path"])
    assert [d["id"] for d in listed] == [created["id"]]
    assert listed[0]["properties"][MANAGED_BY]["$value"] == "slotwise"

    edited = copy.deepcopy(got)
    # a field the azure-devops client's models do not know (seen in a real export): a raw update keeps it
    edited["environments"][0]["environmentOptions"]["publishDeploymentStatusToWorkItems"] = True
    edited["description"] = "changed by the test"
    updated = definitions.update(PROJECT, edited, comment="slotwise apply")
    assert updated["revision"] == 2
    again = definitions.get(PROJECT, created["id"])
    assert again["environments"][0]["environmentOptions"]["publishDeploymentStatusToWorkItems"] is True
    assert again["description"] == "changed by the test"

    definitions.delete(PROJECT, created["id"], comment="slotwise apply --prune")
    with pytest.raises(NotFoundError):
        definitions.get(PROJECT, created["id"])


def test_an_update_based_on_an_old_revision_is_a_stale_revision(org: Organization) -> None:
    definitions = org.definitions
    created = definitions.create(PROJECT, rendered(org), comment="slotwise apply")
    read = definitions.get(PROJECT, created["id"])
    someone = copy.deepcopy(read)
    someone["description"] = "edited in the portal meanwhile"
    definitions.update(PROJECT, someone, comment="portal")
    with pytest.raises(StaleRevision) as raised:
        definitions.update(PROJECT, read, comment="slotwise apply")
    assert raised.value.definition_id == created["id"]
    assert raised.value.exit_code == 5
    assert "revision 1 was sent, it is now at revision 2" in raised.value.message
