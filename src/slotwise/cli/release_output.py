"""What ``slotwise release plan|apply|export`` print: the plan for people, what apply did, an exported
spec as YAML or JSON. Secret values are never printed: plans hold none (``release.diff`` shows
``(secret)``), and what apply tells is masked with every secret value the plan would send.

Must not: decide or change anything.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from slotwise.release.apply import Outcome
from slotwise.release.plan import SECRETS_NOTE, Action, Item, Plan
from slotwise.secrets import SecretRegistry

_MARKS = {
    Action.CREATE: "+ create   ",
    Action.UPDATE: "~ update   ",
    Action.UNCHANGED: "= unchanged",
    Action.DELETE: "- delete   ",
    Action.ADOPT: "~ adopt    ",
    Action.REFUSED: "! refused  ",
}


def plan_lines(plan: Plan) -> list[str]:
    """One line per definition, its changes indented under it, then the summary."""
    lines: list[str] = []
    for item in plan.items:
        lines.append(f"{_MARKS[item.action]} {item.title}{_where(item)}")
        lines += [f"      {change}" for change in item.changes]
        if item.action is Action.ADOPT:
            lines.append("      slotwise will manage it from now on")
        if item.action is Action.REFUSED:
            lines.append(
                "      exists and slotwise did not make it: left alone (apply --adopt takes it over)"
            )
        if item.secrets_written:
            lines.append(f"      secrets written: {', '.join(item.secrets_written)}")
        if item.secrets_kept:
            lines.append(f"      secrets kept as they are: {', '.join(item.secrets_kept)}")
    lines.append(plan.summary())
    if any(item.secrets_written or item.secrets_kept for item in plan.items):
        lines.append(f"note: {SECRETS_NOTE}")
    return lines


def _where(item: Item) -> str:
    parts = [f"id {item.definition_id}"] if item.definition_id is not None else []
    if item.revision is not None and item.action is not Action.DELETE:
        parts.append(f"revision {item.revision}")
    if item.source:
        parts.append(item.source)
    return f"  ({', '.join(parts)})" if parts else ""


def outcome_lines(outcome: Outcome) -> list[str]:
    counts = {action: sum(1 for a, _, _ in outcome.done if a is action) for action in Action}
    done = [f"{counts[a]} {word}" for a, word in _DONE if counts[a]]
    return [f"Applied: {', '.join(done)}." if done else "Applied: nothing to change."]


_DONE = (
    (Action.CREATE, "created"),
    (Action.UPDATE, "updated"),
    (Action.ADOPT, "adopted"),
    (Action.DELETE, "deleted"),
)


def registry_for(plan: Plan) -> SecretRegistry:
    """A registry of every secret value the plan would send (to mask what apply tells)."""
    registry = SecretRegistry()
    for item in plan.items:
        document = item.rendered or {}
        for holder in [document, *document.get("environments", [])]:
            for value in (holder.get("variables") or {}).values():
                if value.get("isSecret"):
                    registry.add(value.get("value"))
    return registry


def export_text(spec: dict[str, Any], fmt: str) -> str:
    """The exported spec; as YAML with a head saying where it comes from and what it needs."""
    if fmt == "json":
        return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    secrets = sorted(_from_env(spec))
    head = [
        f"# Release definition {spec['name']!r} of project {spec['project']}, exported by slotwise.",
        "# `slotwise release plan` on this file shows no change; `verbatim:` keeps what a spec cannot say.",
    ]
    if secrets:
        head.append(f"# Secret values are never exported: set {', '.join(secrets)} where you plan and apply.")
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
    return "\n".join(head) + "\n" + str(body)


def _from_env(spec: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for holder in [spec, *spec.get("stages", [])]:
        for value in (holder.get("variables") or {}).values():
            if isinstance(value, dict) and "fromEnv" in value:
                found.add(str(value["fromEnv"]))
    return found
