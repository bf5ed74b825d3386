"""The emulated Azure DevOps organization's rules without HTTP: task versions, reading a .vsix, name
filters, api-version ranges, the directory's lookups and who a credential stands for."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest

from slotwise_emulator.backends.devops import DevOpsBackend
from slotwise_emulator.backends.devops_auth import check_version
from slotwise_emulator.backends.devops_directory import ApiLocation, OrganizationDirectory
from slotwise_emulator.backends.devops_org import name_matches
from slotwise_emulator.backends.devops_records import SERVER_2022, SERVICES, OrgRecords
from slotwise_emulator.backends.devops_tasks import install, read_vsix, task_installed
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.clock import ManualClock
from slotwise_emulator.errors import ServiceError

LOCATION = ApiLocation("id", "core", "projects", "_apis/{resource}", 4)


@pytest.fixture
def devops() -> DevOpsBackend:
    clock = ManualClock()
    idp = IdentityBackend(clock)
    idp.create_tenant("tenant-a")
    backend = DevOpsBackend(clock, idp)
    backend.base_url = "https://devops.example/"
    backend.create_organization(
        "contoso", org_id="0b6e8f32-1c9a-4bb1-9d4f-3f1a2f6a0c11", tenant_id="tenant-a"
    )
    backend.create_project("contoso", "Fabrikam", project_id="p-1")
    return backend


def vsix(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


MANIFEST = '<Identity Id="ext" Version="2.0.0" Publisher="pub" />'
TASK = {"id": "ABC", "name": "T", "version": {"Major": 3, "Minor": 1, "Patch": 0}}
CONTRIBUTIONS = {
    "contributions": [{"id": "t", "type": "ms.vss-distributed-task.task", "properties": {"name": "t"}}]
}


@pytest.mark.parametrize(
    ("spec", "installed"),
    [("2.*", True), ("2", True), ("2.279.*", True), ("1.*", True), ("3.*", False), ("x", False)],
)
def test_a_version_spec_names_a_major_and_optionally_more(spec: str, installed: bool) -> None:
    assert task_installed(OrgRecords(), "501DD25D-1785-43E4-B4E5-A5C78CCC0573", spec) is installed


def test_a_vsix_contributes_its_task_folders() -> None:
    extension = read_vsix(
        vsix({"extension.vsixmanifest": MANIFEST, "extension.vsomanifest": json.dumps(CONTRIBUTIONS),
              "t/task.json": json.dumps(TASK)}),
        now=0,
    )  # fmt: skip
    records = OrgRecords()
    install(records, extension)
    assert (extension.publisher, extension.extension_id, extension.version) == ("pub", "ext", "2.0.0")
    assert task_installed(records, "abc", "3.*")
    assert extension.tasks[0].contribution == "pub.ext.t"


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"extension.vsomanifest": "{}"}, "no extension.vsixmanifest"),
        ({"extension.vsixmanifest": "<Identity Id='x'/>", "extension.vsomanifest": "{}"}, "lacks"),
        ({"extension.vsixmanifest": MANIFEST, "extension.vsomanifest": json.dumps(CONTRIBUTIONS)}, "task"),
        ({"extension.vsixmanifest": MANIFEST, "extension.vsomanifest": "[1"}, "not JSON"),
        (
            {"extension.vsixmanifest": MANIFEST, "extension.vsomanifest": json.dumps(CONTRIBUTIONS),
             "t/task.json": json.dumps({"id": "x", "name": "T"})},
            "version",
        ),
    ],
)  # fmt: skip
def test_a_broken_vsix_is_refused_saying_why(files: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        read_vsix(vsix(files), now=0)


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [(None, "x", True), ("orders-api-CI", "Orders-API-ci", True), ("*-CI", "orders-api-CI", True),
     ("ord*", "billing", False), ("a.c", "abc", False)],
)  # fmt: skip
def test_name_filters_ignore_case_and_take_wildcards(pattern: str | None, name: str, matches: bool) -> None:
    assert name_matches(pattern, name) is matches


def test_api_versions_are_checked_against_the_server_and_the_location() -> None:
    assert check_version(SERVICES, LOCATION, "7.1-preview.4") == "7.1-preview.4"
    assert check_version(SERVER_2022, LOCATION, "7.0") == "7.0"
    with pytest.raises(ServiceError) as too_new:
        check_version(SERVER_2022, LOCATION, "7.1")
    assert (too_new.value.status, too_new.value.code) == (400, "VssVersionOutOfRangeException")
    with pytest.raises(ServiceError, match="earliest"):
        check_version(SERVICES, ApiLocation("i", "a", "r", "t", 1, min_version="5.0"), "4.1")


def test_the_backend_is_the_organization_directory_the_release_service_consults(
    devops: DevOpsBackend,
) -> None:
    directory: OrganizationDirectory = devops.directory
    org = devops.directory
    queue = org.create_queue("contoso", "Fabrikam", "Default")
    definition = org.create_build_definition("contoso", "Fabrikam", "orders-api-CI")
    lead = org.create_user("contoso", "lead@contoso.com")
    group = org.create_group("contoso", "Fabrikam", "Release Approvers", ("lead@contoso.com",))
    assert directory.project("contoso", "FABRIKAM") == ("p-1", "Fabrikam")
    assert directory.project("contoso", "nope") is None
    assert directory.queue("contoso", "p-1", queue.id) == "Default"
    assert directory.queue("contoso", "other", queue.id) is None
    assert directory.build_definition("contoso", "p-1", definition.id) == "orders-api-CI"
    assert (directory.identity("contoso", lead.id) or {})["uniqueName"] == "lead@contoso.com"
    assert (directory.identity("contoso", group.id) or {})["isContainer"] is True
    assert directory.identity("contoso", "missing") is None
    assert directory.task_installed("contoso", "f045e430-8704-11e6-968f-e717e6411619", "0.*")
    assert directory.variable_group("contoso", "p-1", 1) is None
    assert directory.service_endpoint("contoso", "p-1", "nope") is None


def test_a_pat_stands_for_its_user_until_it_expires(devops: DevOpsBackend) -> None:
    org = devops.directory
    org.create_user("contoso", "ops@contoso.com", "Ops Person")
    token = org.issue_pat("contoso", "ops@contoso.com").token
    basic = "Basic " + base64.b64encode(f"anyone:{token}".encode()).decode()
    assert org.authorize("contoso", basic)["displayName"] == "Ops Person"
    with pytest.raises(ServiceError) as bearer:  # a PAT is not a bearer token
        org.authorize("contoso", f"Bearer {token}")
    assert bearer.value.status == 401
    clock = devops.clock
    assert isinstance(clock, ManualClock)
    clock.advance(91 * 24 * 3600)
    with pytest.raises(ServiceError) as expired:
        org.authorize("contoso", basic)
    assert expired.value.status == 401
    with pytest.raises(ServiceError) as unknown_org:
        org.authorize("nowhere", basic)
    assert unknown_org.value.status == 404
