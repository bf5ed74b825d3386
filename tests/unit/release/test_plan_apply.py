"""Plan and apply against an honest in-memory organization (tests.fakes.FakeOrganization): create,
no-op re-apply (zero writes; zero gets when the listing shows equality), update with a diff, lossless
updates, concurrent edits refused (and --force), prune, same-named definitions slotwise does not own,
unknown names, and the secret policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from slotwise.errors import ConflictError, SpecInvalid
from slotwise.events import RecordingReporter
from slotwise.release.apply import apply_plan
from slotwise.release.diff import owned
from slotwise.release.load import load_specs
from slotwise.release.plan import Action, Plan, make_plan
from slotwise.release.render import MANAGED_BY
from tests.fakes import FakeDefinitions, FakeOrganization
from tests.unit.release.orgs import TEMPLATES, fabrikam

ARTICLE = TEMPLATES / "article.yaml"


def line_of(spec: Path, text: str) -> int:
    """The number of the (one) line of ``spec`` holding ``text``."""
    (number,) = [n for n, line in enumerate(spec.read_text().splitlines(), 1) if text in line]
    return number


SECRET_VALUE = "s3cr3t-value-never-shown"


def plan_of(org: FakeOrganization, *paths: Path, **options: bool) -> Plan:
    return make_plan(load_specs(paths), org, **options)


def applied(org: FakeOrganization, *paths: Path, **options: bool) -> RecordingReporter:
    force = options.pop("force", False)
    reporter = RecordingReporter()
    apply_plan(plan_of(org, *paths, **options), org, reporter, force=force)
    return reporter


def stored(org: FakeOrganization, name: str) -> dict[str, Any]:
    found = [d for project in org.store.stored.values() for d in project.values() if d["name"] == name]
    assert len(found) == 1, found
    return found[0]


def stage(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in document["environments"] if s["name"] == name)
    return found


def test_a_first_apply_creates_every_definition_marked_as_slotwises() -> None:
    org = fabrikam()
    plan = plan_of(org, TEMPLATES)
    assert [i.action for i in plan.items] == [Action.CREATE] * 6
    assert plan.summary() == "Plan: 6 to create, 0 to update, 0 unchanged, 0 to delete."
    reporter = RecordingReporter()
    outcome = apply_plan(plan, org, reporter)
    assert (org.store.count("create"), outcome.writes) == (6, 6)
    document = stored(org, "orders-api")
    assert owned(document)
    assert document["path"] == "\\Functions"
    assert "Creating release definition Fabrikam\\Functions\\orders-api" in reporter.texts("step")


def test_re_applying_writes_nothing_and_reads_only_the_listings() -> None:
    org = fabrikam()
    applied(org, TEMPLATES)
    org.store.calls.clear()
    plan = plan_of(org, TEMPLATES)
    assert {i.action for i in plan.items} == {Action.UNCHANGED}
    reporter = RecordingReporter()
    assert apply_plan(plan, org, reporter).writes == 0
    assert org.store.calls == [("list", "Fabrikam")]  # one bulk read for the one project, no get
    assert reporter.texts("step") == ["Nothing to change: every release definition is as its spec says."]


def test_a_shallow_listing_of_what_slotwise_wrote_is_decided_by_its_stamp_without_a_get() -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    org.store.listing_lacks = ("environments.deployPhases", "variables")  # as Azure DevOps lists them
    org.store.calls.clear()
    plan = plan_of(org, ARTICLE)
    assert [i.action for i in plan.items] == [Action.UNCHANGED]
    assert (org.store.count("list"), org.store.count("get"), org.store.writes) == (1, 0, 0)


def _note_in_the_portal(document: dict[str, Any]) -> None:
    """An edit of something the spec does not say: a property of someone else's."""
    document["properties"]["Portal.Note"] = {"$type": "System.String", "$value": "kept"}


def test_a_shallow_listing_edited_since_slotwise_wrote_it_is_checked_with_a_get_and_writes_nothing() -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    found = stored(org, "orders-api")
    org.store.portal_edit("Fabrikam", int(found["id"]), _note_in_the_portal)
    org.store.listing_lacks = ("environments.deployPhases", "variables")
    org.store.calls.clear()
    plan = plan_of(org, ARTICLE)
    assert [i.action for i in plan.items] == [Action.UNCHANGED]  # the spec says nothing of the edit
    assert (org.store.count("list"), org.store.count("get"), org.store.writes) == (1, 1, 0)
    assert stored(org, "orders-api")["properties"]["Portal.Note"]["$value"] == "kept"


def test_a_changed_spec_is_not_hidden_by_the_stamp(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    org.store.listing_lacks = ("environments.deployPhases", "variables")
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("slot: staging", "slot: canary"), encoding="utf-8"
    )
    plan = plan_of(org, spec)
    assert [i.action for i in plan.items] == [Action.UPDATE]
    assert any("canary" in str(c) for c in plan.items[0].changes)


def test_a_changed_spec_updates_with_a_readable_diff(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )
    (item,) = plan_of(org, spec).items
    assert item.action is Action.UPDATE
    assert [str(c) for c in item.changes] == [
        "~ environments[Production].preDeployApprovals.approvalOptions.timeoutInMinutes: 4320 → 1440"
    ]
    before = stored(org, "orders-api")["revision"]
    assert item.revision == before
    reporter = applied(org, spec)
    assert reporter.events == [
        ("step", f"Updating release definition Fabrikam\\Functions\\orders-api (revision {before})"),
        (
            "detail",
            "~ environments[Production].preDeployApprovals.approvalOptions.timeoutInMinutes: 4320 → 1440",
        ),
        ("detail", f"updated: revision {before + 1}"),
    ]
    assert stored(org, "orders-api")["revision"] == before + 1
    assert (
        stage(stored(org, "orders-api"), "Production")["preDeployApprovals"]["approvalOptions"][
            "timeoutInMinutes"
        ]
        == 1440
    )
    assert [i.action for i in plan_of(org, spec).items] == [Action.UNCHANGED]


def test_stages_and_tasks_added_or_removed_are_named(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    text = ARTICLE.read_text(encoding="utf-8")
    text, replaced = re.subn(  # Staging's steps, whatever the template says, lose the guard
        r"^    steps:.*?(?=^  - name: Production)",
        "    steps: [deploy-to-slot, smoke-test]\n\n",
        text,
        count=1,
        flags=re.S | re.M,
    )
    assert replaced == 1
    text += "\n  - name: Canary\n    after: Production\n    steps: [smoke-test]\n"
    spec = tmp_path / "article.yaml"
    spec.write_text(text, encoding="utf-8")
    (item,) = plan_of(org, spec).items
    shown = [str(c) for c in item.changes]
    assert "+ environments[Canary]: (stage)" in shown
    assert any(
        line.startswith("- environments[Staging].deployPhases[Agent job].workflowTasks[") and "(task)" in line
        for line in shown
    ), shown


def test_an_update_keeps_what_the_spec_does_not_set(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    document = stored(org, "orders-api")

    def portal(definition: dict[str, Any]) -> None:
        definition["unmodelledField"] = {"kept": [1, 2]}
        definition["properties"]["IntegrateJiraWorkItems"] = {"$type": "System.String", "$value": "false"}
        stage(definition, "Staging")["environmentOptions"]["emailNotificationType"] = "Always"
        stage(definition, "Staging")["preDeploymentGates"] = {"id": 0, "gates": [{"tasks": ["x"]}]}

    org.store.portal_edit("fabrikam", document["id"], portal)
    staging_id = stage(document, "Staging")["id"]
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 2d"), encoding="utf-8"
    )
    applied(org, spec)
    after = stored(org, "orders-api")
    assert after["unmodelledField"] == {"kept": [1, 2]}
    assert after["properties"]["IntegrateJiraWorkItems"]["$value"] == "false"
    assert after["properties"][MANAGED_BY]["$value"] == "slotwise"
    staging = stage(after, "Staging")
    assert staging["id"] == staging_id  # matched by name: the stage keeps its id (and its history)
    assert staging["environmentOptions"]["emailNotificationType"] == "Always"
    assert staging["preDeploymentGates"]["gates"] == [{"tasks": ["x"]}]


def _portal_retention(store: FakeDefinitions, project: str, document: dict[str, Any]) -> None:
    def edit(definition: dict[str, Any]) -> None:
        stage(definition, "Staging")["retentionPolicy"]["daysToKeep"] = 90
        stage(definition, "Staging")["environmentOptions"]["emailNotificationType"] = "Never"

    store.portal_edit(project, int(document["id"]), edit)


def test_a_concurrent_edit_is_refused_with_their_changes(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )
    plan = plan_of(org, spec)
    org.store.before_update = _portal_retention
    with pytest.raises(ConflictError) as caught:
        apply_plan(plan, org, RecordingReporter())
    error = caught.value
    assert error.exit_code == 5
    assert "Fabrikam\\Functions\\orders-api" in error.message
    assert "since the plan read revision 1 (it is at revision 2 now)" in error.message
    assert "environments[Staging].retentionPolicy.daysToKeep: 30 → 90" in error.message
    assert "slotwise release plan" in error.hint
    assert "--force" in error.hint
    production = stage(stored(org, "orders-api"), "Production")
    assert production["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 4320  # not written


def test_force_lays_the_spec_over_their_version(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", "timeout: 1d"), encoding="utf-8"
    )
    plan = plan_of(org, spec)
    org.store.before_update = _portal_retention
    reporter = RecordingReporter()
    apply_plan(plan, org, reporter, force=True)
    after = stored(org, "orders-api")
    assert stage(after, "Production")["preDeployApprovals"]["approvalOptions"]["timeoutInMinutes"] == 1440
    assert stage(after, "Staging")["retentionPolicy"]["daysToKeep"] == 30  # the spec sets it
    assert stage(after, "Staging")["environmentOptions"]["emailNotificationType"] == "Never"  # theirs, kept
    assert any("theirs: ~ environments[Staging].retentionPolicy.daysToKeep" in t for t in reporter.texts())
    assert "(revision 1 → 2)" in reporter.texts("warning")[0]
    assert org.store.count("update") == 2
    assert all(comment.startswith("slotwise") for comment in org.store.comments)


def test_prune_deletes_only_owned_definitions_no_spec_names(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, TEMPLATES)
    org.store.put("fabrikam", {"name": "hand-made", "path": "\\Functions\\Shop", "properties": {}})
    other = (
        (TEMPLATES / "several-apps.yaml")
        .read_text(encoding="utf-8")
        .replace("project: Fabrikam", "project: Tailspin")
    )
    (tmp_path / "tailspin.yaml").write_text(other, encoding="utf-8")
    applied(org, tmp_path / "tailspin.yaml")
    text = (TEMPLATES / "several-apps.yaml").read_text(encoding="utf-8")
    kept = text.split("  - <<: *inventory\n    name: billing-api")[0]
    (tmp_path / "shop.yaml").write_text(kept, encoding="utf-8")
    assert [i.action for i in plan_of(org, tmp_path / "shop.yaml").items] == [Action.UNCHANGED]  # no prune
    plan = plan_of(org, tmp_path / "shop.yaml", prune=True)
    deletes = [i.title for i in plan.items if i.action is Action.DELETE]
    assert deletes == [
        "Fabrikam\\Functions\\Shop\\billing-api",
        "Fabrikam\\Functions\\Shop\\notifications-api",
    ]
    apply_plan(plan, org, RecordingReporter())
    names = sorted(d["name"] for d in org.store.stored["fabrikam"].values())
    assert names == ["hand-made", "inventory-api", "orders-api", "orders-api-builtin", "orders-api-chained"]
    assert len(org.store.stored["tailspin"]) == 3  # another project: not covered by the specs


def test_a_same_named_definition_slotwise_does_not_own_is_refused_unless_adopted() -> None:
    org = fabrikam()
    org.store.put(
        "fabrikam", {"name": "Orders-API", "path": "\\functions", "properties": {}, "environments": []}
    )
    plan = plan_of(org, ARTICLE)
    assert [i.action for i in plan.items] == [Action.REFUSED]
    with pytest.raises(ConflictError) as caught:
        apply_plan(plan, org, RecordingReporter())
    assert "Fabrikam\\Functions\\orders-api" in caught.value.message
    assert "--adopt" in caught.value.hint
    assert org.store.writes == 0
    adopted = plan_of(org, ARTICLE, adopt=True)
    assert [i.action for i in adopted.items] == [Action.ADOPT]
    assert "+ environments[Staging]: (stage)" in [str(c) for c in adopted.items[0].changes]
    apply_plan(adopted, org, RecordingReporter())
    assert owned(stored(org, "orders-api"))
    assert [i.action for i in plan_of(org, ARTICLE).items] == [Action.UNCHANGED]


def test_a_name_not_found_is_a_spec_problem_at_its_line_and_nothing_is_read_or_written(
    tmp_path: Path,
) -> None:
    org = fabrikam()
    spec = tmp_path / "article.yaml"
    text = ARTICLE.read_text(encoding="utf-8").replace("build: orders-api-CI", "build: orders-api-Cl")
    spec.write_text(text.replace("[lead@contoso.com,", "[led@contoso.com,"), encoding="utf-8")
    with pytest.raises(SpecInvalid) as caught:
        plan_of(org, spec)
    message = caught.value.message
    assert caught.value.exit_code == 2
    assert (
        f"{spec}:18: artifact: no build definition named 'orders-api-Cl' (did you mean 'orders-api-CI'?)"
        in message
    )
    assert (
        f"{spec}:{line_of(spec, '[led@contoso.com,')}: stages[1].approvals.before.approvers[0]: "
        "no user or group named 'led@contoso.com'" in message
    )
    assert org.store.calls == []


def test_secrets_are_written_when_new_kept_otherwise_and_never_shown(tmp_path: Path) -> None:
    org = fabrikam({"ORDERS_API_KEY": SECRET_VALUE})
    spec = tmp_path / "article.yaml"
    text = ARTICLE.read_text(encoding="utf-8")
    spec.write_text(text.replace("  # Orders.ApiKey:", "  Orders.ApiKey:"), encoding="utf-8")
    plan = plan_of(org, spec)
    assert plan.items[0].secrets_written == ("variables.Orders.ApiKey",)
    apply_plan(plan, org, RecordingReporter())
    assert stored(org, "orders-api")["variables"]["Orders.ApiKey"] == {
        "value": SECRET_VALUE,
        "isSecret": True,
    }
    again = plan_of(org, spec)
    assert [i.action for i in again.items] == [Action.UNCHANGED]
    assert again.items[0].secrets_kept == ("variables.Orders.ApiKey",)
    rewrite = plan_of(org, spec, update_secrets=True)
    assert [str(c) for c in rewrite.items[0].changes] == [
        "+ variables.Orders.ApiKey.value: (secret)"  # the server answers null: written again
    ]
    assert SECRET_VALUE not in repr(rewrite.as_dict()) + repr(rewrite.items)
    org.directory.env["ORDERS_API_KEY"] = "an0ther-secret-value"
    apply_plan(plan_of(org, spec, update_secrets=True), org, RecordingReporter())
    assert stored(org, "orders-api")["variables"]["Orders.ApiKey"]["value"] == "an0ther-secret-value"


def test_a_secret_needs_its_environment_variable_only_when_the_plan_writes_it(tmp_path: Path) -> None:
    org = fabrikam({})
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("  # Orders.ApiKey:", "  Orders.ApiKey:"),
        encoding="utf-8",
    )
    with pytest.raises(SpecInvalid) as refused:  # a new secret: its value must be there
        plan_of(org, spec)
    assert "ORDERS_API_KEY is not set" in str(refused.value)
    assert org.store.writes == 0
    org.directory.env["ORDERS_API_KEY"] = SECRET_VALUE
    apply_plan(plan_of(org, spec), org, RecordingReporter())
    del org.directory.env["ORDERS_API_KEY"]  # someone else, later, without the secret
    again = plan_of(org, spec)
    assert [i.action for i in again.items] == [Action.UNCHANGED]
    with pytest.raises(SpecInvalid, match="ORDERS_API_KEY"):  # asked to write it: the value is needed
        plan_of(org, spec, update_secrets=True)


def test_a_variable_that_becomes_secret_is_written(tmp_path: Path) -> None:
    org = fabrikam({"ORDERS_API_KEY": SECRET_VALUE})
    spec = tmp_path / "article.yaml"
    text = ARTICLE.read_text(encoding="utf-8")
    spec.write_text(
        text.replace("  # Orders.ApiKey: {secret: true, fromEnv: ORDERS_API_KEY}", "  Orders.ApiKey: plain")
    )
    applied(org, spec)
    spec.write_text(text.replace("  # Orders.ApiKey:", "  Orders.ApiKey:"), encoding="utf-8")
    (item,) = plan_of(org, spec).items
    assert item.action is Action.UPDATE
    assert [str(c) for c in item.changes] == [
        "~ variables.Orders.ApiKey.value: (secret) → (secret)",
        "+ variables.Orders.ApiKey.isSecret: true",
    ]
    assert item.secrets_written == ("variables.Orders.ApiKey",)


# ---- what the mutation run found untested --------------------------------------------------------
def _timeout(tmp_path: Path, value: str) -> Path:
    spec = tmp_path / f"article-{value}.yaml"
    spec.write_text(ARTICLE.read_text(encoding="utf-8").replace("timeout: 3d", f"timeout: {value}"), "utf-8")
    return spec


def _replanned_from_the_listing_alone(org: FakeOrganization, spec: Path) -> None:
    org.store.listing_lacks = ("environments.deployPhases", "variables")  # as Azure DevOps lists
    org.store.calls.clear()
    assert [i.action for i in plan_of(org, spec).items] == [Action.UNCHANGED]
    assert (org.store.count("get"), org.store.writes) == (0, 0)  # the stamp names the new revision
    org.store.listing_lacks = ()


def test_an_update_stamps_the_revision_it_makes_so_the_next_plan_needs_no_get(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    spec = _timeout(tmp_path, "1d")
    applied(org, spec)
    assert stored(org, "orders-api")["revision"] == 2
    _replanned_from_the_listing_alone(org, spec)


def test_a_forced_update_stamps_the_revision_it_makes_too(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    spec = _timeout(tmp_path, "1d")
    plan = plan_of(org, spec)
    org.store.before_update = _portal_retention
    apply_plan(plan, org, RecordingReporter(), force=True)
    assert stored(org, "orders-api")["revision"] == 3  # the portal's edit, then the forced update
    _replanned_from_the_listing_alone(org, spec)


def test_an_owned_definition_without_a_stamp_is_compared_not_trusted(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE)
    found = stored(org, "orders-api")
    org.store.portal_edit("Fabrikam", int(found["id"]), lambda d: d["properties"].pop("Slotwise.Applied"))
    org.store.listing_lacks = ("environments.deployPhases", "variables")
    changed = plan_of(org, _timeout(tmp_path, "1d"))
    assert [i.action for i in changed.items] == [Action.UPDATE]  # no stamp: read and compared
    org.store.listing_lacks = ()
    org.store.calls.clear()
    same = plan_of(org, ARTICLE)  # a whole listing that shows equality needs no get either
    assert [i.action for i in same.items] == [Action.UNCHANGED]
    assert org.store.count("get") == 0


def test_a_forced_update_writes_the_secrets_when_asked_to(tmp_path: Path) -> None:
    org = fabrikam({"ORDERS_API_KEY": SECRET_VALUE})
    text = ARTICLE.read_text(encoding="utf-8").replace("  # Orders.ApiKey:", "  Orders.ApiKey:")
    spec = tmp_path / "article.yaml"
    spec.write_text(text, encoding="utf-8")
    applied(org, spec)
    org.directory.env["ORDERS_API_KEY"] = "r0tated-value"
    spec.write_text(text.replace("timeout: 3d", "timeout: 1d"), encoding="utf-8")
    plan = plan_of(org, spec, update_secrets=True)
    org.store.before_update = _portal_retention
    apply_plan(plan, org, RecordingReporter(), force=True)
    assert stored(org, "orders-api")["variables"]["Orders.ApiKey"]["value"] == "r0tated-value"


def test_a_definition_read_and_found_unchanged_writes_no_secret_and_says_it_keeps_them(
    tmp_path: Path,
) -> None:
    org = fabrikam({"ORDERS_API_KEY": SECRET_VALUE})
    spec = tmp_path / "article.yaml"
    spec.write_text(
        ARTICLE.read_text(encoding="utf-8").replace("  # Orders.ApiKey:", "  Orders.ApiKey:"),
        encoding="utf-8",
    )
    applied(org, spec)
    found = stored(org, "orders-api")
    org.store.portal_edit("Fabrikam", int(found["id"]), _note_in_the_portal)  # the stamp no longer says it
    (item,) = plan_of(org, spec).items
    assert item.action is Action.UNCHANGED
    assert (item.secrets_written, item.secrets_kept) == ((), ("variables.Orders.ApiKey",))


def test_prune_keeps_planning_the_definitions_the_specs_name(tmp_path: Path) -> None:
    org = fabrikam()
    applied(org, ARTICLE, TEMPLATES / "chained.yaml")
    plan = plan_of(org, _timeout(tmp_path, "1d"), prune=True)
    assert [(i.action, i.name) for i in plan.items] == [
        (Action.UPDATE, "orders-api"),
        (Action.DELETE, "orders-api-chained"),
    ]


def test_every_write_says_in_its_revision_comment_that_slotwise_made_it(tmp_path: Path) -> None:
    org = fabrikam()
    outcome = apply_plan(plan_of(org, ARTICLE, TEMPLATES / "chained.yaml"), org, RecordingReporter())
    assert [i for _, _, i in outcome.done] == [
        int(stored(org, n)["id"]) for n in ("orders-api", "orders-api-chained")
    ]
    updated = apply_plan(plan_of(org, _timeout(tmp_path, "1d"), prune=True), org, RecordingReporter())
    assert [(a, i) for a, _, i in updated.done] == [
        (Action.UPDATE, int(stored(org, "orders-api")["id"])),
        (Action.DELETE, outcome.done[1][2]),
    ]
    assert len(org.store.comments) == 4
    assert all(comment.startswith("slotwise") for comment in org.store.comments), org.store.comments
    assert "--prune" in org.store.comments[-1]


def test_adopting_says_so_and_a_refusal_says_how_to_adopt() -> None:
    org = fabrikam()
    org.store.put("fabrikam", {"name": "orders-api", "path": "\\Functions", "properties": {}, "revision": 7})
    refused = plan_of(org, ARTICLE)
    (item,) = refused.items
    assert (item.action, item.revision) == (Action.REFUSED, 7)
    with pytest.raises(ConflictError) as caught:
        apply_plan(refused, org, RecordingReporter())
    assert "--adopt" in caught.value.hint
    reporter = RecordingReporter()
    apply_plan(plan_of(org, ARTICLE, adopt=True), org, reporter)
    assert reporter.texts("step") == [
        "Adopting release definition Fabrikam\\Functions\\orders-api (revision 7)"
    ]
