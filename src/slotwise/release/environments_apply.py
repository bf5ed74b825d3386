"""``release apply --as yaml``: carry an ``EnvironmentPlan`` out; the only module of ``release`` that
writes environments and check configurations.

- Nothing is written when the plan refuses an environment (one slotwise did not make):
  ``ConflictError`` naming each, before the first write.
- ``CREATE`` an environment (with slotwise's description), then its checks on it; ``UPDATE``/``ADOPT``
  its description; checks: ``CREATE`` on the environment, ``UPDATE`` the configuration by id (the
  settings slotwise sets laid over those the check has); ``UNCHANGED`` and ``FOREIGN``: nothing (a
  check slotwise did not make is said, never touched).
- Re-running after a partial failure converges: a new plan sees what was done.

Every step is told to the ``Reporter``.

Must not: decide what to change (``release.environments_plan``), or print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slotwise.errors import ConflictError
from slotwise.events import Reporter
from slotwise.release.environments import EnvironmentOrganization
from slotwise.release.environments_plan import Action, CheckItem, EnvironmentItem, EnvironmentPlan, resource


@dataclass
class EnvironmentOutcome:
    """What apply did: (what, action, title, id) per write, in order."""

    done: list[tuple[str, Action, str, int | None]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.done)

    def as_dict(self) -> dict[str, object]:
        return {"done": [{"what": w, "action": a.value, "name": t, "id": i} for w, a, t, i in self.done]}


def apply_environment_plan(
    plan: EnvironmentPlan, org: EnvironmentOrganization, reporter: Reporter
) -> EnvironmentOutcome:
    """Carry ``plan`` out against ``org``."""
    refuse_unowned(plan)
    outcome = EnvironmentOutcome()
    for item in plan.items:
        environment_id = _environment(item, org, reporter, outcome)
        for check in item.checks:
            _check(item, check, environment_id, org, reporter, outcome)
    if not outcome.done:
        reporter.step("Nothing to change: every environment and check is as the specs say.")
    return outcome


def refuse_unowned(plan: EnvironmentPlan) -> None:
    refused = plan.refused
    if not refused:
        return
    names = "; ".join(f"{item.title} (id {item.environment_id})" for item in refused)
    raise ConflictError(
        f"An environment with a stage's name exists and slotwise did not make it, so it is left alone: "
        f"{names}. Nothing was changed.",
        hint="Take it over with `slotwise release apply --as yaml --adopt` (its checks stay; slotwise adds "
        "its own), or rename the spec or the stage.",
    )


def _environment(
    item: EnvironmentItem, org: EnvironmentOrganization, reporter: Reporter, outcome: EnvironmentOutcome
) -> int:
    d = item.desired
    if item.action is Action.CREATE:
        reporter.step(f"Creating environment {item.title} (stage {d.stage} of {d.definition})")
        created = org.environments.create(d.project, d.name, d.description)
        environment_id = int(created["id"])
        outcome.done.append(("environment", Action.CREATE, item.title, environment_id))
        return environment_id
    assert item.environment_id is not None  # an existing environment has its id
    if item.action in (Action.UPDATE, Action.ADOPT) and item.changes:
        verb = "Adopting" if item.action is Action.ADOPT else "Updating"
        reporter.step(f"{verb} environment {item.title} (id {item.environment_id})")
        for change in item.changes:
            reporter.detail(str(change))
        org.environments.update(d.project, item.environment_id, d.name, d.description)
        outcome.done.append(("environment", item.action, item.title, item.environment_id))
    return item.environment_id


def _check(
    item: EnvironmentItem,
    check: CheckItem,
    environment_id: int,
    org: EnvironmentOrganization,
    reporter: Reporter,
    outcome: EnvironmentOutcome,
) -> None:
    title = f"{check.kind} check on {item.title}"
    if check.action is Action.FOREIGN:
        reporter.detail(f"{title} (id {check.check_id}) was not made by slotwise: left alone")
        return
    if not check.action.writes:
        return
    assert check.document is not None  # a create or update carries what it sends
    project = item.desired.project
    if check.action is Action.CREATE:
        reporter.step(f"Adding the {title}")
        document = {**check.document, "resource": resource(environment_id, item.desired.name)}
        created = org.checks.create(project, document)
        outcome.done.append(("check", Action.CREATE, title, _id(created.get("id"))))
        return
    assert check.check_id is not None  # an update names its check
    reporter.step(f"Updating the {title} (id {check.check_id})")
    for change in check.changes:
        reporter.detail(str(change))
    org.checks.update(project, check.check_id, check.document)
    outcome.done.append(("check", Action.UPDATE, title, check.check_id))


def _id(value: object) -> int | None:
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None
