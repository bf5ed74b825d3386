"""A rendered (desired) ReleaseDefinition against one that exists: the lossless merge, and the diff.

- ``merge(existing, desired)``: the document an update sends: the existing raw definition with the
  desired values laid over it. Fields the spec does not set (and fields the ``azure-devops`` models do
  not know) are kept; so are the ids of stages, approvals and phases matched by name. What a spec
  describes as a set is the spec's: stages (matched by name), the tasks of a job (by task id, in
  order), the approvals (by approver), artifacts, triggers and conditions, and the variables (by
  name): members the spec no longer names are removed, members it keeps keep what it does not set.
- **Secrets**: Azure DevOps never answers a secret's value (``null``), so whether it changed cannot be
  known. Policy: a secret is written when the variable is new, or was not secret before, or
  ``update_secrets`` asks for it; otherwise the merge keeps the server's (``null``: Azure DevOps keeps
  the secret it holds) and the secret counts as unchanged. Re-applying stays at zero writes.
- ``changes(before, after)``: what differs, field by field, as ``Change`` values with readable paths
  (``environments[Production].preDeployApprovals.approvalOptions.timeoutInMinutes``), stages and
  tasks added or removed by name; server-owned fields, ``null`` against absent and the ownership
  marker are ignored. A secret's value is never shown (``(secret)``).

Must not: read from or write to Azure DevOps, or print.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slotwise.release.render import MANAGED_BY, MANAGED_BY_VALUE
from slotwise.release.stamp import APPLIED
from slotwise.release.verbatim import SERVER_OWNED, STAGE_SERVER_OWNED, clean

Document = dict[str, Any]
SECRET = "(secret)"  # noqa: S105 (what is shown in place of a secret)
_IDENTITY_EXTRAS = ("displayName", "url", "_links", "imageUrl", "descriptor", "uniqueName", "isContainer")


def _text(value: Any) -> str:
    return str(value).lower() if value is not None else ""


# Lists whose members are matched by identity (their key in the document: how a member is identified).
_IDENTITIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "environments": lambda e: _text(e.get("name")),
    "deployPhases": lambda p: f"{p.get('rank')}/{p.get('phaseType')}",
    "workflowTasks": lambda t: _text(t.get("taskId")),
    "approvals": lambda a: (
        "automated" if a.get("isAutomated") else _text((a.get("approver") or {}).get("id"))
    ),
    "artifacts": lambda a: _text(a.get("alias")),
    "triggers": lambda t: f"{t.get('triggerType')}/{_text(t.get('artifactAlias'))}",
    "conditions": lambda c: f"{c.get('conditionType')}/{_text(c.get('name'))}",
    "downloadInputs": lambda d: _text(d.get("alias")),
}
# How a member is shown in a path: environments[Production], workflowTasks[Deploy to the slot].
_LABELS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "environments": lambda e: str(e.get("name")),
    "deployPhases": lambda p: str(p.get("name") or p.get("rank")),
    "workflowTasks": lambda t: str(t.get("name") or t.get("taskId")),
    "approvals": lambda a: "automated" if a.get("isAutomated") else str((a.get("approver") or {}).get("id")),
    "artifacts": lambda a: str(a.get("alias")),
    "triggers": lambda t: str(t.get("artifactAlias") or t.get("triggerType")),
    "conditions": lambda c: str(c.get("name")),
    "downloadInputs": lambda d: str(d.get("alias")),
}


def owned(document: Mapping[str, Any]) -> bool:
    """Whether slotwise manages this definition (its ``MANAGED_BY`` property says so)."""
    marker = (document.get("properties") or {}).get(MANAGED_BY)
    value = marker.get("$value") if isinstance(marker, Mapping) else marker
    return value == MANAGED_BY_VALUE


# ---- the lossless merge --------------------------------------------------------------------------------
def merge(
    existing: Mapping[str, Any], desired: Mapping[str, Any], *, update_secrets: bool = False
) -> Document:
    """``desired`` laid over ``existing`` (neither is changed): the document to update with."""
    merged: Document = _merge(existing, desired, "", update_secrets)
    return merged


def _merge(old: Any, new: Any, key: str, update_secrets: bool) -> Any:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        if key == "variables":
            return _merge_variables(old, new, update_secrets)
        result = copy.deepcopy(dict(old))
        for name, value in new.items():
            result[name] = _merge(old.get(name), value, name, update_secrets)
        return result
    if isinstance(old, list) and isinstance(new, list) and _all_mappings(old) and _all_mappings(new):
        return [
            _merge(before, after, "", update_secrets) if before is not None else copy.deepcopy(after)
            for before, after in _pair(old, new, key)
        ]
    return copy.deepcopy(new)


def _merge_variables(old: Mapping[str, Any], new: Mapping[str, Any], update_secrets: bool) -> Document:
    result: Document = {}
    for name, value in new.items():
        before = old.get(name)
        if not (isinstance(before, Mapping) and isinstance(value, Mapping)):
            result[name] = copy.deepcopy(value)
            continue
        merged = _merge(before, value, name, update_secrets)
        if value.get("isSecret") and before.get("isSecret") and not update_secrets:
            merged["value"] = before.get("value")  # the secret the server holds (it answers null)
        result[name] = merged
    return result


def _all_mappings(items: list[Any]) -> bool:
    return all(isinstance(item, Mapping) for item in items)


def _pair(old: list[Any], new: list[Any], key: str) -> list[tuple[Any, Any]]:
    """(existing member or None, desired member) for each desired member: by identity where the list
    has one (the n-th of an identity with the n-th), else by position."""
    identity = _IDENTITIES.get(key)
    if identity is None:
        return [(old[i] if i < len(old) else None, item) for i, item in enumerate(new)]
    pool = _keyed(old, identity)
    return [(pool.get(k), item) for k, item in zip(_keys(new, identity), new, strict=True)]


def _keys(items: list[Any], identity: Callable[[Mapping[str, Any]], str]) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    keys = []
    for item in items:
        k = identity(item)
        keys.append((k, seen.get(k, 0)))
        seen[k] = seen.get(k, 0) + 1
    return keys


def _keyed(items: list[Any], identity: Callable[[Mapping[str, Any]], str]) -> dict[tuple[str, int], Any]:
    return dict(zip(_keys(items, identity), items, strict=True))


# ---- comparing -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One difference: at ``path``, ``before`` → ``after`` (shown as text; None: absent)."""

    path: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        return "added" if self.before is None else ("removed" if self.after is None else "changed")

    def __str__(self) -> str:
        if self.before is None:
            return f"+ {self.path}: {self.after}"
        if self.after is None:
            return f"- {self.path}: {self.before}"
        return f"~ {self.path}: {self.before} → {self.after}"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


def comparable(document: Mapping[str, Any]) -> Document:
    """``document`` as compared: without what Azure DevOps sets (ids, revision, dates, owners,
    links, approvers' display names), the ownership marker and stamp, and keys holding ``null``."""
    found: Document = clean(copy.deepcopy(dict(document)))
    for key in SERVER_OWNED:
        found.pop(key, None)
    properties = found.get("properties")
    if isinstance(properties, dict):
        properties.pop(MANAGED_BY, None)
        properties.pop(APPLIED, None)
    for stage in found.get("environments") or []:
        if not isinstance(stage, dict):
            continue
        for key in STAGE_SERVER_OWNED:
            stage.pop(key, None)
        for side in ("preDeployApprovals", "postDeployApprovals"):
            for step in (stage.get(side) or {}).get("approvals") or []:
                step.pop("id", None)
                for extra in _IDENTITY_EXTRAS:
                    (step.get("approver") or {}).pop(extra, None)
        for side in ("preDeploymentGates", "postDeploymentGates"):
            (stage.get(side) or {}).pop("id", None)
    for artifact in found.get("artifacts") or []:
        (artifact.get("definitionReference") or {}).pop("artifactSourceDefinitionUrl", None)
    return found


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every difference from ``before`` to ``after`` (both raw definitions), in document order."""
    found: list[Change] = []
    _walk(comparable(before), comparable(after), "", "", found, secret=False)
    return found


def _walk(old: Any, new: Any, path: str, key: str, out: list[Change], *, secret: bool) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for name in [*old, *(k for k in new if k not in old)]:
            here = f"{path}.{name}" if path else name
            inside = key == "variables" and _secret(old.get(name), new.get(name))  # a secret variable
            hidden = inside or (secret and name == "value")
            if name not in new:
                out.append(Change(here, _show(old[name], hidden), None))
            elif name not in old:
                out.append(Change(here, None, _show(new[name], hidden)))
            else:
                _walk(old[name], new[name], here, name, out, secret=inside or hidden)
        return
    members = isinstance(old, list) and isinstance(new, list) and _all_mappings(old) and _all_mappings(new)
    if members and (key in _IDENTITIES or len(old) == len(new)):
        _walk_members(old, new, path, key, out, secret=secret)
        return
    out.append(Change(path, _show(old, secret), _show(new, secret)))


def _walk_members(
    old: list[Any], new: list[Any], path: str, key: str, out: list[Change], *, secret: bool
) -> None:
    identity = _IDENTITIES.get(key)
    label = _LABELS.get(key)
    if identity is None or label is None:
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            _walk(before, after, f"{path}[{index}]", "", out, secret=secret)
        return
    before_keys, after_keys = _keyed(old, identity), _keyed(new, identity)
    for k, member in before_keys.items():
        if k not in after_keys:
            out.append(Change(f"{path}[{label(member)}]", _summary(key, member), None))
    for k, member in after_keys.items():
        here = f"{path}[{label(member)}]"
        if k not in before_keys:
            out.append(Change(here, None, _summary(key, member)))
        else:
            _walk(before_keys[k], member, here, "", out, secret=secret)


def _summary(key: str, member: Mapping[str, Any]) -> str:
    what = {"environments": "stage", "workflowTasks": "task"}.get(key)
    return f"({what})" if what else _show(member, False)


def _secret(*values: Any) -> bool:
    return any(isinstance(v, Mapping) and bool(v.get("isSecret")) for v in values)


def _show(value: Any, secret: bool) -> str:
    """``value`` for a person: JSON, long mappings and lists shortened; a secret's never."""
    if secret:
        return SECRET
    shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(shown) <= 100:
        return shown
    if isinstance(value, dict):
        return f"{{… {len(value)} fields}}"
    if isinstance(value, list):
        return f"[… {len(value)} items]"
    return shown[:97] + "..."
