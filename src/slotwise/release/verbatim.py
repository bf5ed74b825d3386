"""The escape hatch of release specs: ``verbatim``, a JSON merge patch (RFC 7386) laid on what slotwise
renders, for what a spec cannot express (a portal definition's gates, a script task, an e-mail
setting...). ``release export`` writes it; ``render`` applies it.

A spec carries one at definition level (applied to the ReleaseDefinition document, all but its
``environments``) and one per stage (applied to that stage's environment document). Merge patch
rules: a mapping merges key by key, ``null`` removes a key, anything else (a list included)
replaces the value whole.

- ``apply_patch(target, patch)``: the RFC's MergePatch.
- ``make_patch(source, target)``: the smallest patch that makes ``source`` into ``target``, where a
  key holding ``null`` counts as absent (a patch cannot set ``null``; Azure DevOps answers ``null`` for
  what is unset).
- ``verbatim_problems(...)``: what a spec's verbatim may not touch (server-owned fields, the stages
  themselves, the names slotwise matches definitions and stages by, secret values).

Must not: know how a document is rendered or compared, or print.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from slotwise.release.problems import Pointer
from slotwise.release.source import Reading

# What Azure DevOps sets on a ReleaseDefinition (OpenAPI 7.1 "Gets ..." fields, and what the portal's
# exported definitions show it answering): never written from a spec.
SERVER_OWNED = frozenset(
    {
        "id",
        "revision",
        "url",
        "_links",
        "createdBy",
        "createdOn",
        "modifiedBy",
        "modifiedOn",
        "isDeleted",
        "lastRelease",
        "source",
        "comment",
        "projectReference",
    }
)
# ... and on each of its environments (stages).
STAGE_SERVER_OWNED = frozenset({"id", "owner", "badgeUrl", "currentRelease", "deployStep"})
SPEC_OWNED = frozenset({"name", "path", "environments"})  # a definition's verbatim may not set these
STAGE_SPEC_OWNED = frozenset({"name"})


def apply_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(target, patch): a new value; neither argument is changed."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result: dict[str, Any] = dict(copy.deepcopy(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_patch(result.get(key), value)
    return result


def clean(value: Any) -> Any:
    """``value`` without the mapping keys that hold ``null`` (at any depth): what is unset."""
    if isinstance(value, Mapping):
        return {key: clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def make_patch(source: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest merge patch ``p`` with ``clean(apply_patch(source, p)) == clean(target)``."""
    before, after = clean(source), clean(target)
    patch: dict[str, Any] = {}
    for key, wanted in after.items():
        had = before.get(key)
        if isinstance(had, dict) and isinstance(wanted, dict):
            inner = make_patch(had, wanted)
            if inner:
                patch[key] = inner
        elif key not in before or had != wanted:
            patch[key] = copy.deepcopy(wanted)
    for key in before:
        if key not in after:
            patch[key] = None
    return patch


def verbatim_problems(patch: Mapping[str, Any], *, stage: bool) -> Iterator[tuple[Pointer, str]]:
    """(pointer inside the patch, message) for each thing a definition's (or a stage's) verbatim may
    not set."""
    owned = STAGE_SERVER_OWNED if stage else SERVER_OWNED
    for key in sorted(patch):
        if key in owned:
            yield (key,), f"{key!r} is set by Azure DevOps, not by a spec; remove it from verbatim"
        elif key == "environments" and not stage:
            yield (
                (key,),
                "stages are described under 'stages'; give a stage's own fields in that stage's verbatim",
            )
        elif key in (STAGE_SPEC_OWNED if stage else SPEC_OWNED):
            where = "the stage's 'name'" if stage else ("'folder'" if key == "path" else f"'{key}'")
            yield (key,), f"{key!r} is what slotwise finds the definition by; set {where} in the spec instead"
    yield from _secret_values(patch.get("variables"))


def _secret_values(variables: Any) -> Iterator[tuple[Pointer, str]]:
    if not isinstance(variables, Mapping):
        return
    for name, value in variables.items():
        if isinstance(value, Mapping) and value.get("isSecret") and value.get("value") is not None:
            yield (
                ("variables", str(name), "value"),
                "a secret's value never goes in a spec file: declare the variable under 'variables' "
                "with 'fromEnv: NAME'",
            )


def checked_verbatim(reading: Reading, at: Pointer, raw: Mapping[str, Any], *, stage: bool) -> dict[str, Any]:
    """The verbatim merge patch at ``at`` (schema-valid), with a problem for each field it may not set."""
    for pointer, message in verbatim_problems(raw, stage=stage):
        reading.add((*at, *pointer), message)
    return dict(raw)
