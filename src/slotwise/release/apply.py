"""``release apply``: carry a ``Plan`` out; the only module of ``release`` that writes to Azure DevOps.

- Nothing is written when the plan refuses a definition (a same-named one slotwise does not own):
  ``ConflictError`` naming each, before the first write.
- ``CREATE``: the rendered document; ``UPDATE``/``ADOPT``: the lossless merge the plan made, carrying
  the revision the plan read; ``DELETE``: with a comment; ``UNCHANGED``: nothing. A plan with nothing
  to change writes nothing.
- An update refused as stale (``StaleRevision``: someone changed the definition since the plan read
  it) re-reads it and refuses (``ConflictError``, exit 5) showing what the other person changed, so
  nobody's work is overwritten unseen; with ``force`` the spec's values are laid over the fresh
  definition (keeping what the other person set that the spec does not) and it is updated with the
  fresh revision.
- Re-running after a partial failure converges: a new plan sees what was done.

Every step is told to the ``Reporter``; the gateway retries what may be retried (no sleeps here).

Must not: decide what to change (``plan`` does), render, or print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slotwise.errors import ConflictError
from slotwise.events import Reporter
from slotwise.release.diff import changes, merge, owned
from slotwise.release.gateway import Organization, StaleRevision
from slotwise.release.plan import Action, Item, Plan
from slotwise.release.stamp import stamped

COMMENT = "slotwise release apply"


@dataclass
class Outcome:
    """What apply did: (action, title, id) per definition written, in order."""

    done: list[tuple[Action, str, int | None]] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.done)

    def as_dict(self) -> dict[str, object]:
        return {"done": [{"action": a.value, "definition": t, "id": i} for a, t, i in self.done]}


def apply_plan(plan: Plan, org: Organization, reporter: Reporter, *, force: bool = False) -> Outcome:
    """Carry ``plan`` out against ``org``."""
    refuse_unowned(plan)
    outcome = Outcome()
    for item in plan.items:
        if item.action is Action.CREATE:
            outcome.done.append(create(item, org, reporter))
        elif item.action in (Action.UPDATE, Action.ADOPT):
            done = update(item, org, reporter, force=force, update_secrets=plan.update_secrets)
            if done is not None:
                outcome.done.append(done)
        elif item.action is Action.DELETE:
            outcome.done.append(delete(item, org, reporter))
    if not outcome.done:
        reporter.step("Nothing to change: every release definition is as its spec says.")
    return outcome


def refuse_unowned(plan: Plan) -> None:
    """``ConflictError`` when the plan refuses a definition: nothing is written then."""
    refused = plan.refused
    if not refused:
        return
    names = "; ".join(f"{item.title} (id {item.definition_id})" for item in refused)
    raise ConflictError(
        f"A release definition with the spec's name exists and slotwise did not make it, so it is left "
        f"alone: {names}. Nothing was changed.",
        hint="Compare it with the spec (`slotwise release export` writes it as one), then take it over "
        "with `slotwise release apply --adopt`, or give the spec another name or folder.",
    )


def create(item: Item, org: Organization, reporter: Reporter) -> tuple[Action, str, int | None]:
    assert item.document is not None  # a CREATE item carries its document
    reporter.step(f"Creating release definition {item.title}")
    created = org.definitions.create(item.project, item.document, comment=_comment(item))
    reporter.detail(f"created: id {created.get('id')}, revision {created.get('revision')}")
    return (Action.CREATE, item.title, _id(created.get("id")))


def update(
    item: Item, org: Organization, reporter: Reporter, *, force: bool, update_secrets: bool
) -> tuple[Action, str, int | None] | None:
    """The plan's update; when someone changed the definition since the plan read it, refuse (or with
    ``force`` update the fresh definition). None when, re-read, there was nothing left to change."""
    assert item.document is not None  # an UPDATE carries both
    assert item.rendered is not None
    verb = "Adopting" if item.action is Action.ADOPT else "Updating"
    reporter.step(f"{verb} release definition {item.title} (revision {item.revision})")
    for change in item.changes:
        reporter.detail(str(change))
    try:
        updated = org.definitions.update(item.project, item.document, comment=_comment(item))
    except StaleRevision:
        fresh = org.definitions.get(item.project, _require_id(item))
        theirs = changes(item.base or {}, fresh)
        if not force:
            raise _concurrent_edit(item, fresh.get("revision"), [str(c) for c in theirs]) from None
        reporter.warning(
            f"{item.title} changed since the plan read it (revision {item.revision} → "
            f"{fresh.get('revision')}); laying the spec over the new revision (force)"
        )
        for change in theirs:
            reporter.detail(f"theirs: {change}")
        merged = merge(fresh, item.rendered, update_secrets=update_secrets)
        document = stamped(merged, item.rendered, revision=int(fresh.get("revision") or 0) + 1)
        if owned(fresh) and not changes(fresh, document):
            reporter.detail("the new revision is already as the spec says: nothing to write")
            return None
        updated = org.definitions.update(item.project, document, comment=_comment(item))
    reporter.detail(f"updated: revision {updated.get('revision')}")
    return (item.action, item.title, _id(updated.get("id")))


def _concurrent_edit(item: Item, revision: object, theirs: list[str]) -> ConflictError:
    shown = "\n".join(f"  {line}" for line in theirs) or "  (no change to what slotwise compares)"
    return ConflictError(
        f"Someone changed the release definition {item.title} since the plan read revision "
        f"{item.revision} (it is at revision {revision} now); it was not updated. Their changes:\n{shown}",
        hint="Run `slotwise release plan` again to see the spec against their version, then apply again "
        "(or apply with --force to lay the spec over their changes).",
    )


def delete(item: Item, org: Organization, reporter: Reporter) -> tuple[Action, str, int | None]:
    reporter.step(f"Deleting release definition {item.title} (id {item.definition_id}): no spec names it")
    org.definitions.delete(item.project, _require_id(item), comment=f"{COMMENT} --prune: no spec names it")
    return (Action.DELETE, item.title, item.definition_id)


def _comment(item: Item) -> str:
    return f"{COMMENT} ({item.source})" if item.source else COMMENT


def _require_id(item: Item) -> int:
    assert item.definition_id is not None  # updates and deletes name one
    return item.definition_id


def _id(value: object) -> int | None:
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None
