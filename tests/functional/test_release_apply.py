"""`slotwise release plan | apply | export` against the emulated Azure DevOps, through the real
`azure-devops` client: what an admin sees and what the organization holds afterwards.

Each test stands up a seeded organization (project Fabrikam, its build pipelines, queue, service
connection, approvers) with the slotwise extension installed, and runs the command line in-process
with only the environment a user would have (AZURE_DEVOPS_ORG_URL, AZURE_DEVOPS_EXT_PAT, the CA).
What the organization holds is read back with the `azure-devops` client or its raw API; what was
sent is read from the emulator's request log (a write is any DevOps request but GET/HEAD/OPTIONS).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slotwise.cli.main import cli
from slotwise.errors import ConflictError
from slotwise.events import RecordingReporter
from slotwise.release.apply import apply_plan
from slotwise.release.load import load_specs
from slotwise.release.plan import make_plan
from slotwise_emulator import Emulator, Speed
from tests.conftest import REFERENCE, REFERENCE_MISSING
from tests.functional.control import add_fault, logged_requests
from tests.functional.devops_org import ROOT, devops_env, install_slotwise, opened

TEMPLATES = ROOT / "templates" / "release"
ARTICLE = TEMPLATES / "article.yaml"
ORG, PROJECT = "contoso", "Fabrikam"
SAMPLE = REFERENCE / "azure-devops" / "exported-definition-sample.json"
READS = ("GET", "HEAD", "OPTIONS")


def _task_id(folder: str) -> str:
    found: str = json.loads((ROOT / "tasks" / folder / "task.json").read_text(encoding="utf-8"))["id"]
    return found


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(speed=Speed.instant(), seed=True) as emulator:
        install_slotwise(emulator, tmp_path)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))  # for the tests' own client
        yield emulator


def slotwise(emu: Emulator, *args: str) -> Result:
    """The command line, in-process, with the environment a user of the seeded emulator has."""
    return CliRunner().invoke(cli, list(args), env=devops_env(emu), catch_exceptions=False)


def mark(emu: Emulator) -> int:
    return len(logged_requests(emu))


def devops_since(emu: Emulator, since: int) -> list[dict[str, Any]]:
    return [r for r in logged_requests(emu)[since:] if r["kind"] == "devops"]


def writes_since(emu: Emulator, since: int) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in devops_since(emu, since) if r["method"] not in READS]


def release_client(emu: Emulator) -> Any:
    from azure.devops.connection import Connection
    from msrest.authentication import BasicAuthentication

    env = devops_env(emu)
    creds = BasicAuthentication("", env["AZURE_DEVOPS_EXT_PAT"])
    return Connection(base_url=env["AZURE_DEVOPS_ORG_URL"], creds=creds).clients_v7_1.get_release_client()


def raw(emu: Emulator, name: str) -> dict[str, Any]:
    """The definition ``name`` of Fabrikam as the server holds it (every field, through slotwise's
    raw reads, which drop nothing)."""
    org = opened(devops_env(emu))
    (listed,) = [d for d in org.definitions.list(PROJECT) if d["name"] == name]
    return org.definitions.get(PROJECT, int(listed["id"]))


def stage(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in document["environments"] if s["name"] == name)
    return found


def test_apply_creates_the_articles_release_pipeline(emu: Emulator) -> None:
    before = mark(emu)
    result = slotwise(emu, "release", "apply", str(ARTICLE))
    assert result.exit_code == 0, result.output
    assert "Applied: 1 created." in result.output
    assert writes_since(emu, before) == [f"POST /{ORG}/{PROJECT}/_apis/release/definitions"]

    client = release_client(emu)
    (listed,) = client.get_release_definitions(PROJECT, search_text="orders-api", is_exact_name_match=True)
    made = client.get_release_definition(PROJECT, listed.id)
    (artifact,) = made.artifacts
    assert (artifact.type, artifact.alias, artifact.is_primary) == ("Build", "drop", True)
    assert artifact.definition_reference["definition"].name == "orders-api-CI"
    (trigger,) = made.triggers
    assert trigger["triggerType"] == "artifactSource"
    assert [c["sourceBranch"] for c in trigger["triggerConditions"]] == ["refs/heads/main"]
    staging, production = made.environments
    assert (staging.name, production.name) == ("Staging", "Production")
    assert [(c.condition_type, c.name) for c in staging.conditions] == [("event", "ReleaseStarted")]
    assert [(c.condition_type, c.name, c.value) for c in production.conditions] == [
        ("environmentState", "Staging", "4")
    ]
    staging_tasks = [t["taskId"] for p in staging.deploy_phases for t in p["workflowTasks"]]
    assert staging_tasks == [_task_id(t) for t in ("guard-against-overwrite", "deploy-to-slot", "smoke-test")]
    assert [t["taskId"] for p in production.deploy_phases for t in p["workflowTasks"]] == [
        _task_id("slot-swap")
    ]
    approvers = {a.approver.unique_name for a in production.pre_deploy_approvals.approvals}
    assert approvers == {"lead@contoso.com", "[Fabrikam]\\Release Approvers"}
    assert production.pre_deploy_approvals.approval_options.timeout_in_minutes == 3 * 24 * 60
    assert all(a.is_automated for a in staging.pre_deploy_approvals.approvals)


def test_re_applying_every_template_writes_nothing_and_reads_no_definition_one_by_one(emu: Emulator) -> None:
    specs = [str(p) for p in sorted(TEMPLATES.glob("*.yaml"))]
    first = slotwise(emu, "release", "apply", *specs)
    assert first.exit_code == 0, first.output
    created = first.output.count("Creating release definition")
    assert created == len(load_specs(specs).definitions) >= 6
    before = mark(emu)
    again = slotwise(emu, "release", "apply", *specs)
    assert again.exit_code == 0, again.output
    assert "Nothing to change" in again.output
    assert writes_since(emu, before) == []
    definitions = [r["path"] for r in devops_since(emu, before) if "/release/definitions" in r["path"]]
    assert definitions == [f"/{ORG}/{PROJECT}/_apis/release/definitions"]  # one bulk listing, no get


def test_a_changed_spec_is_planned_as_a_readable_diff_then_updated_with_its_revision(
    emu: Emulator, tmp_path: Path
) -> None:
    assert slotwise(emu, "release", "apply", str(ARTICLE)).exit_code == 0
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )
    before = mark(emu)
    planned = slotwise(emu, "release", "plan", str(spec))
    assert planned.exit_code == 0, planned.output
    assert "~ update" in planned.output
    assert "environments[Production].preDeployApprovals.approvalOptions.timeoutInMinutes: 4320 → 1440" in (
        planned.output
    )
    assert writes_since(emu, before) == []  # plan changes nothing
    applied = slotwise(emu, "release", "apply", str(spec))
    assert applied.exit_code == 0, applied.output
    assert writes_since(emu, before) == [f"PUT /{ORG}/{PROJECT}/_apis/release/definitions"]
    updated = raw(emu, "orders-api")
    assert updated["revision"] == 2
    assert stage(updated, "Production")["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 1440


def test_an_edit_made_while_apply_runs_is_refused_and_force_lays_the_spec_over_it(
    emu: Emulator, tmp_path: Path
) -> None:
    assert slotwise(emu, "release", "apply", str(ARTICLE)).exit_code == 0
    definition_id = int(raw(emu, "orders-api")["id"])
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )

    class EditsInThePortal(RecordingReporter):
        """Someone saves the definition in the portal just as apply starts to update it."""

        def step(self, message: str) -> None:
            super().step(message)
            if message.startswith("Updating"):
                emu.edit_release_definition(
                    ORG, PROJECT, definition_id, {"description": "edited in the portal"}
                )

    org = opened(devops_env(emu))
    with pytest.raises(ConflictError) as refused:
        apply_plan(make_plan(load_specs([spec]), org), org, EditsInThePortal())
    assert refused.value.exit_code == 5
    assert "orders-api" in refused.value.message
    assert "description" in refused.value.message  # what the other person changed is shown
    held = raw(emu, "orders-api")
    assert (held["revision"], held["description"]) == (2, "edited in the portal")  # nothing of ours written
    assert stage(held, "Production")["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 4320

    forced = apply_plan(make_plan(load_specs([spec]), org), org, EditsInThePortal(), force=True)
    assert forced.writes == 1
    after = raw(emu, "orders-api")
    assert stage(after, "Production")["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 1440
    assert after["revision"] == 4  # the portal's second edit, then ours on top of it


def test_an_update_keeps_what_the_portal_set_even_where_the_client_has_no_field_for_it(
    emu: Emulator, tmp_path: Path
) -> None:
    assert slotwise(emu, "release", "apply", str(ARTICLE)).exit_code == 0
    made = raw(emu, "orders-api")
    field = "publishDeploymentStatusToWorkItems"  # an EnvironmentOptions field the client's models lack
    emu.edit_release_definition(
        ORG, PROJECT, int(made["id"]), {f"environments.0.environmentOptions.{field}": True}
    )
    through_models = release_client(emu).get_release_definition(PROJECT, made["id"])
    assert field not in json.dumps(through_models.as_dict())  # a GET → PUT through the models loses it
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 2d"), encoding="utf-8"
    )
    assert slotwise(emu, "release", "apply", str(spec)).exit_code == 0
    after = raw(emu, "orders-api")
    assert after["revision"] == made["revision"] + 2  # the portal's edit, then slotwise's update
    assert stage(after, "Staging")["environmentOptions"][field] is True
    assert stage(after, "Production")["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 2880


def test_prune_deletes_only_definitions_slotwise_made_that_no_spec_names(emu: Emulator) -> None:
    chained = TEMPLATES / "chained.yaml"
    assert slotwise(emu, "release", "apply", str(ARTICLE), str(chained)).exit_code == 0
    emu.load_release_definition(
        ORG,
        PROJECT,
        {"name": "hand-made", "path": "\\Functions", "environments": [{"name": "Stage 1", "rank": 1}]},
    )
    planned = slotwise(emu, "release", "plan", "--prune", str(ARTICLE))
    assert planned.exit_code == 0, planned.output
    assert "- delete    Fabrikam\\Functions\\orders-api-chained" in planned.output
    assert "hand-made" not in planned.output
    before = mark(emu)
    pruned = slotwise(emu, "release", "apply", "--prune", str(ARTICLE))
    assert pruned.exit_code == 0, pruned.output
    deletes = [w for w in writes_since(emu, before) if w.startswith("DELETE")]
    assert len(deletes) == 1
    left = {d.name for d in release_client(emu).get_release_definitions(PROJECT)}
    assert left == {"orders-api", "hand-made"}


def test_every_template_exports_to_a_spec_that_plans_as_unchanged(emu: Emulator, tmp_path: Path) -> None:
    specs = [str(p) for p in sorted(TEMPLATES.glob("*.yaml"))]
    assert slotwise(emu, "release", "apply", *specs).exit_code == 0
    names = [(d.name, d.folder) for d in load_specs(specs).definitions]
    exported = []
    for name, _folder in names:
        result = slotwise(emu, "release", "export", "--project", PROJECT, name)
        assert result.exit_code == 0, result.output
        path = tmp_path / f"{name}.yaml"
        path.write_text(result.output, encoding="utf-8")
        exported.append(str(path))
        assert "\nverbatim:" not in result.output  # what the server fills by default is not repeated
        assert "  verbatim:" not in result.output
    before = mark(emu)
    planned = slotwise(emu, "release", "plan", "-o", "json", *exported)
    assert planned.exit_code == 0, planned.output
    actions = [item["action"] for item in json.loads(planned.output)["items"]]
    assert actions == ["unchanged"] * len(names)
    assert writes_since(emu, before) == []


@pytest.mark.skipif(not SAMPLE.is_file(), reason=REFERENCE_MISSING)
def test_a_definition_made_in_a_real_portal_exports_to_a_spec_that_plans_without_a_change(
    emu: Emulator, tmp_path: Path
) -> None:
    (sample,) = json.loads(SAMPLE.read_text(encoding="utf-8-sig"))["value"]
    reference = sample["artifacts"][0]["definitionReference"]  # its build pipeline, where it was made
    project, build = reference["project"], reference["definition"]
    emu.create_project(ORG, project["name"], project_id=project["id"])
    emu.create_build_definition(ORG, project["name"], build["name"], definition_id=int(build["id"]))
    definition_id = emu.load_release_definition(ORG, PROJECT, sample)
    exported = slotwise(emu, "release", "export", "--project", PROJECT, str(definition_id))
    assert exported.exit_code == 0, exported.output
    spec = tmp_path / "exported.yaml"
    spec.write_text(exported.output, encoding="utf-8")
    before = mark(emu)
    planned = slotwise(emu, "release", "plan", "--adopt", "-o", "json", str(spec))
    assert planned.exit_code == 0, planned.output
    (item,) = json.loads(planned.output)["items"]
    assert (item["action"], item["changes"]) == ("adopt", [])  # only the ownership mark would be written
    assert writes_since(emu, before) == []
    stages = [e["name"] for e in sorted(sample["environments"], key=lambda e: int(e["rank"]))]
    assert [s.name for s in load_specs([spec]).definitions[0].stages] == stages


def test_an_invalid_spec_among_valid_ones_means_not_a_single_request(emu: Emulator, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("after: Staging", "after: Stagign"), "utf-8"
    )
    before = mark(emu)
    result = slotwise(emu, "release", "apply", str(ARTICLE), str(broken))
    assert result.exit_code == 2
    assert f"{broken}:" in result.output
    assert "Stagign" in result.output
    assert "Traceback" not in result.output
    assert devops_since(emu, before) == []


def test_a_name_the_organization_does_not_have_is_shown_with_its_near_match_and_nothing_is_written(
    emu: Emulator, tmp_path: Path
) -> None:
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("lead@contoso.com", "lead@contso.com"), "utf-8"
    )
    before = mark(emu)
    result = slotwise(emu, "release", "apply", str(spec))
    assert result.exit_code == 2, result.output
    assert "stages[1].approvals.before.approvers[0]" in result.output
    assert "lead@contoso.com" in result.output  # did you mean
    assert writes_since(emu, before) == []


def test_azure_devops_server_2022_is_detected_and_applied_to(emu: Emulator) -> None:
    emu.set_devops_server("2022")
    result = slotwise(emu, "release", "apply", str(ARTICLE))
    assert result.exit_code == 0, result.output
    org = opened(devops_env(emu))
    assert (org.server.api_version, org.server.hosted) == ("7.0", False)
    assert raw(emu, "orders-api")["revision"] == 1


def test_apply_under_azure_devops_rate_limiting_waits_and_completes(emu: Emulator) -> None:
    add_fault(
        emu,
        **{"kind": "devops", "status": 429, "shape": "devops", "code": "TooManyRequests", "count": None,
         "message": "Request was blocked due to exceeding usage of resource.", "rate": 4, "burst": 4},
    )  # fmt: skip
    specs = [str(p) for p in sorted(TEMPLATES.glob("*.yaml"))]
    before = mark(emu)
    result = slotwise(emu, "release", "apply", *specs)
    assert result.exit_code == 0, result.output
    statuses = [r["status"] for r in devops_since(emu, before)]
    assert 429 in statuses  # the limiter did throttle it
    assert result.output.count("Creating release definition") == len(load_specs(specs).definitions)


@pytest.mark.skipif(not SAMPLE.is_file(), reason=REFERENCE_MISSING)
def test_a_definition_copied_from_another_organization_exports_with_the_names_it_recorded(
    emu: Emulator, tmp_path: Path
) -> None:
    (sample,) = json.loads(SAMPLE.read_text(encoding="utf-8-sig"))["value"]
    definition_id = emu.load_release_definition(ORG, PROJECT, sample)  # its build project is not here
    exported = slotwise(emu, "release", "export", "--project", PROJECT, str(definition_id))
    assert exported.exit_code == 0, exported.output
    spec = tmp_path / "exported.yaml"
    spec.write_text(exported.output, encoding="utf-8")
    (definition,) = load_specs([spec]).definitions
    reference = sample["artifacts"][0]["definitionReference"]
    assert (definition.artifact.project, definition.artifact.build) == (
        reference["project"]["name"],
        reference["definition"]["name"],
    )


def test_render_shows_the_documents_apply_sends_with_the_organizations_ids(emu: Emulator) -> None:
    before = mark(emu)
    rendered = slotwise(emu, "release", "render", str(ARTICLE))
    assert rendered.exit_code == 0, rendered.output
    assert writes_since(emu, before) == []
    (shown,) = json.loads(rendered.output)
    assert slotwise(emu, "release", "apply", str(ARTICLE)).exit_code == 0
    stored = raw(emu, "orders-api")
    for name in ("Staging", "Production"):
        sent, held = stage(shown["definition"], name), stage(stored, name)
        assert (
            sent["deployPhases"][0]["deploymentInput"]["queueId"]
            == held["deployPhases"][0]["deploymentInput"]["queueId"]
        )
        assert [t["inputs"] for t in sent["deployPhases"][0]["workflowTasks"]] == [
            t["inputs"] for t in held["deployPhases"][0]["workflowTasks"]
        ]
    approvers = [a["approver"]["id"] for a in stage(stored, "Production")["preDeployApprovals"]["approvals"]]
    assert approvers == [
        a["approver"]["id"]
        for a in stage(shown["definition"], "Production")["preDeployApprovals"]["approvals"]
    ]


def _plan_with(emu: Emulator, env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, ["release", "plan", str(ARTICLE)], env=env, catch_exceptions=False)


def test_in_a_pipeline_the_collection_uri_and_the_jobs_access_token_are_enough(emu: Emulator) -> None:
    job = emu.pipeline_job(ORG, PROJECT, "contoso-azure", hub="release")
    env = {
        "REQUESTS_CA_BUNDLE": str(emu.ca_path),
        "AZURE_DEVOPS_ORG_URL": "",
        "AZURE_DEVOPS_EXT_PAT": "",
        "SYSTEM_COLLECTIONURI": devops_env(emu)["AZURE_DEVOPS_ORG_URL"],
        "SYSTEM_ACCESSTOKEN": job.access_token,
    }
    result = _plan_with(emu, env)
    assert result.exit_code == 0, result.output
    assert "+ create    Fabrikam\\Functions\\orders-api" in result.output
    assert job.access_token not in result.output


def test_an_entra_id_token_signs_in_where_no_token_variable_is_set(emu: Emulator) -> None:
    everything = emu.env()
    env = {
        **{k: everything[k] for k in ("REQUESTS_CA_BUNDLE", "AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID")},
        **{
            k: everything[k]
            for k in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CORE_INSTANCE_DISCOVERY")
        },
        "AZURE_DEVOPS_ORG_URL": everything["AZURE_DEVOPS_ORG_URL"],
        "AZURE_DEVOPS_EXT_PAT": "",
        "SLOTWISE_AUTH": "secret",
    }
    result = _plan_with(emu, env)
    assert result.exit_code == 0, result.output
    assert "+ create    Fabrikam\\Functions\\orders-api" in result.output
    assert everything["AZURE_CLIENT_SECRET"] not in result.output
