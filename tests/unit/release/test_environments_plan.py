"""`release plan|apply --as yaml` against an in-memory organization: each stage's environment and its
checks (Approval, Exclusive Lock) made once, a no-op re-apply with zero writes, spec changes and
portal edits planned as updates with readable changes, checks and environments slotwise did not make
left alone, names not found reported together before anything is read."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from slotwise.cli.main import cli
from slotwise.errors import ConflictError, SpecInvalid
from slotwise.events import RecordingReporter
from slotwise.release.environments import MARKER, CheckKind
from slotwise.release.environments_apply import apply_environment_plan
from slotwise.release.environments_plan import Action, EnvironmentPlan, make_environment_plan
from slotwise.release.load import load_specs, parse_specs
from slotwise.release.model import SpecSet
from tests.unit.release.environment_fakes import FakeEnvironmentOrganization, organization
from tests.unit.release.orgs import TEMPLATES

ARTICLE = TEMPLATES / "article.yaml"
CHAINED = TEMPLATES / "chained.yaml"


def article() -> SpecSet:
    return load_specs([ARTICLE])


def applied(org: FakeEnvironmentOrganization, specs: SpecSet) -> EnvironmentPlan:
    plan = make_environment_plan(specs, org)
    apply_environment_plan(plan, org, RecordingReporter())
    return plan


def article_with(old: str, new: str) -> SpecSet:
    text = ARTICLE.read_text(encoding="utf-8")
    assert old in text
    return parse_specs(text.replace(old, new), "article.yaml")


def test_the_article_makes_two_environments_an_approval_before_production_and_a_lock_on_each() -> None:
    org = organization()
    plan = make_environment_plan(article(), org)
    assert [(i.action, i.desired.name) for i in plan.items] == [
        (Action.CREATE, "orders-api-staging"),
        (Action.CREATE, "orders-api-production"),
    ]
    assert [c.kind for c in plan.items[0].checks] == ["ExclusiveLock"]
    assert [c.kind for c in plan.items[1].checks] == ["Approval", "ExclusiveLock"]
    assert org.calls.writes == 0
    apply_environment_plan(plan, org, RecordingReporter())
    production = org.environment("orders-api-production")
    assert MARKER in production["description"]
    approval, lock = org.checks.on(production["id"])
    assert approval["type"] == {"id": CheckKind.APPROVAL.type_id, "name": "Approval"}
    assert approval["resource"] == {
        "type": "environment",
        "id": str(production["id"]),
        "name": production["name"],
    }
    ids = org.directory.identities
    assert approval["settings"]["approvers"] == [
        {"id": ids["lead@contoso.com"], "displayName": "lead@contoso.com"},
        {"id": ids["[Fabrikam]\\Release Approvers"], "displayName": "[Fabrikam]\\Release Approvers"},
    ]
    assert approval["settings"]["minRequiredApprovers"] == 1
    assert approval["settings"]["requesterCannotBeApprover"] is True  # creatorCanApprove: false
    assert approval["settings"]["executionOrder"] == "anyOrder"
    assert MARKER in approval["settings"]["instructions"]
    assert approval["timeout"] == 3 * 24 * 60
    assert lock["type"]["id"] == "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563"
    assert MARKER in lock["settings"]["displayName"]
    assert org.calls.writes == 5  # 2 environments, 3 checks


def test_a_sequence_of_approvers_who_must_all_approve_is_in_sequence_with_zero_minimum() -> None:
    org = organization()
    applied(org, load_specs([CHAINED]))
    production = org.environment("orders-api-chained-production")
    (approval,) = [c for c in org.checks.on(production["id"]) if c["type"]["name"] == "Approval"]
    assert approval["settings"]["executionOrder"] == "inSequence"
    assert approval["settings"]["minRequiredApprovers"] == 0  # every approver
    staging = org.environment("orders-api-chained-staging")  # its approval is after: in the YAML
    assert [c["type"]["name"] for c in org.checks.on(staging["id"])] == ["ExclusiveLock"]


def test_re_applying_writes_nothing() -> None:
    org = organization()
    applied(org, article())
    org.calls.made.clear()
    plan = make_environment_plan(article(), org)
    assert {i.action for i in plan.items} == {Action.UNCHANGED}
    assert {c.action for i in plan.items for c in i.checks} == {Action.UNCHANGED}
    assert plan.writes == 0
    reporter = RecordingReporter()
    outcome = apply_environment_plan(plan, org, reporter)
    assert outcome.writes == 0
    assert org.calls.writes == 0
    assert ("step", "Nothing to change: every environment and check is as the specs say.") in reporter.events
    # one listing of identities, one of the project's environments, one of each environment's checks
    assert len(org.calls.made) == 4


def test_a_changed_approver_is_an_update_of_the_check_showing_the_names() -> None:
    org = organization()
    applied(org, article())
    changed = article_with(
        'approvers: [lead@contoso.com, "[Fabrikam]\\\\Release Approvers"]', "approvers: [ops@contoso.com]"
    )
    plan = make_environment_plan(changed, org)
    production = plan.items[1]
    assert production.action is Action.UNCHANGED
    approval = production.checks[0]
    assert approval.action is Action.UPDATE
    (change,) = approval.changes
    assert change.path == "approvers"
    assert change.before == '["[Fabrikam]\\\\Release Approvers", "lead@contoso.com"]'  # the spec's names
    assert change.after == '["ops@contoso.com"]'
    apply_environment_plan(plan, org, RecordingReporter())
    env = org.environment("orders-api-production")
    stored = next(c for c in org.checks.on(env["id"]) if c["type"]["name"] == "Approval")
    assert [a["id"] for a in stored["settings"]["approvers"]] == [org.directory.identities["ops@contoso.com"]]
    assert make_environment_plan(changed, org).writes == 0


def test_a_check_edited_in_the_portal_is_planned_back_to_the_spec_keeping_what_slotwise_does_not_set() -> (
    None
):
    org = organization()
    applied(org, article())
    env = org.environment("orders-api-production")
    approval = next(c for c in org.checks.on(env["id"]) if c["type"]["name"] == "Approval")
    approval["settings"]["minRequiredApprovers"] = 2  # someone in the portal
    approval["settings"]["portalOnly"] = "kept"
    approval["timeout"] = 60
    plan = make_environment_plan(article(), org)
    item = plan.items[1].checks[0]
    assert item.action is Action.UPDATE
    assert {(c.path, c.before, c.after) for c in item.changes} == {
        ("timeout", "60", "4320"),
        ("minRequiredApprovers", "2", "1"),
    }
    apply_environment_plan(plan, org, RecordingReporter())
    assert approval["id"] in org.checks.stored
    stored = org.checks.stored[approval["id"]]
    assert stored["settings"]["minRequiredApprovers"] == 1
    assert stored["settings"]["portalOnly"] == "kept"
    assert stored["timeout"] == 4320


def test_a_check_slotwise_did_not_make_is_left_alone_and_said() -> None:
    org = organization()
    applied(org, article())
    env = org.environment("orders-api-production")
    theirs = org.add_portal_check(
        "orders-api-production",
        CheckKind.APPROVAL.type_id,
        "Approval",
        {"approvers": [], "instructions": "mine"},
    )
    before = dict(org.checks.stored[theirs])
    plan = make_environment_plan(article(), org)
    foreign = [c for c in plan.items[1].checks if c.action is Action.FOREIGN]
    assert [(c.kind, c.check_id) for c in foreign] == [("Approval", theirs)]
    assert plan.writes == 0
    assert "1 checks not slotwise's left alone" in plan.summary()
    reporter = RecordingReporter()
    apply_environment_plan(plan, org, reporter)
    assert org.checks.stored[theirs] == before
    assert len(org.checks.on(env["id"])) == 3
    assert any("was not made by slotwise: left alone" in text for _, text in reporter.events)


def test_an_environment_slotwise_did_not_make_is_refused_with_nothing_written_or_adopted() -> None:
    org = organization()
    org.environments.create("Fabrikam", "orders-api-production", "made by hand")
    org.calls.made.clear()
    plan = make_environment_plan(article(), org)
    assert [i.action for i in plan.items] == [Action.CREATE, Action.REFUSED]
    with pytest.raises(ConflictError, match="orders-api-production"):
        apply_environment_plan(plan, org, RecordingReporter())
    assert org.calls.writes == 0
    adopted = make_environment_plan(article(), org, adopt=True)
    assert adopted.items[1].action is Action.ADOPT
    apply_environment_plan(adopted, org, RecordingReporter())
    assert MARKER in org.environment("orders-api-production")["description"]
    assert make_environment_plan(article(), org).writes == 0


def test_names_not_found_and_timeouts_a_check_cannot_have_are_reported_together_before_any_read() -> None:
    org = organization()
    text = ARTICLE.read_text(encoding="utf-8")
    broken = parse_specs(
        text.replace("lead@contoso.com", "lead@contsoo.com").replace("timeout: 3d", "timeout: 40d"),
        "article.yaml",
    )
    with pytest.raises(SpecInvalid) as raised:
        make_environment_plan(broken, org)
    message = str(raised.value)
    assert "lead@contsoo.com" in message
    assert "did you mean 'lead@contoso.com'" in message
    assert "at most 30 days" in message
    assert org.calls.made == [("list", "identities")]


def test_a_stage_deploying_several_releases_at_once_has_no_lock() -> None:
    org = organization()
    specs = article_with("    after: release\n", "    after: release\n    queueing: {maxConcurrent: 2}\n")
    plan = make_environment_plan(specs, org)
    assert plan.items[0].checks == ()


def run(org: FakeEnvironmentOrganization, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["release", *args], obj={"organization": org})
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_the_commands_plan_apply_and_re_apply() -> None:
    org = organization()
    code, out, _ = run(org, "plan", "--as", "yaml", str(ARTICLE))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("+ create    environment Fabrikam/orders-api-staging  (")
    assert "    + create    ExclusiveLock check" in lines
    assert lines[-1] == (
        "Plan: environments: 2 to create, 0 to update, 0 unchanged; "
        "checks: 3 to create, 0 to update, 0 unchanged."
    )
    assert org.calls.writes == 0
    code, out, err = run(org, "apply", "--as", "yaml", str(ARTICLE))
    assert code == 0
    assert out.splitlines()[-1] == "Applied: 5 writes."
    assert "Adding the Approval check on Fabrikam/orders-api-production" in err
    code, out, _ = run(org, "apply", "--as", "yaml", str(ARTICLE))
    assert (code, out.splitlines()[-1]) == (0, "Applied: 0 writes.")


def test_classic_only_options_are_refused_with_as_yaml() -> None:
    org = organization()
    code, _, err = run(org, "apply", "--as", "yaml", "--prune", str(ARTICLE))
    assert code == 2
    assert "--prune: only for classic release definitions" in err
    assert org.calls.made == []
