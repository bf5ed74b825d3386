"""What slotwise last wrote to a definition, stamped on it, so a no-op plan needs no reads but lists.

A listed definition is shallow (Azure DevOps lists stages without their jobs and tasks, even with
``$expand``), so telling "unchanged" from a listing alone needs something the listing does carry:
the definition's properties. Every definition slotwise writes carries ``APPLIED`` =
``"<revision>:<fingerprint>"``: the revision the write will produce (1 for a create, the base
revision + 1 for an update: Azure DevOps counts each write) and a SHA-256 of the desired document
(secret values left out: they are never read back). When a listing shows the same revision and the
same fingerprint, nobody has changed the definition since slotwise wrote what the spec says now:
it is unchanged, with no ``get``. Anything else (an edit in the portal, a changed spec, an older
slotwise) falls back to reading the whole definition and comparing.

Must not: decide what to write (plan and apply do), or read Azure DevOps.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from slotwise.release.gateway import Document
from slotwise.release.render import redact_secrets

APPLIED = "Slotwise.Applied"  # a definition property: "<revision>:<fingerprint>"


def fingerprint(desired: Mapping[str, Any]) -> str:
    """A SHA-256 of the desired document (as rendered), secret values and the stamp left out."""
    shown = redact_secrets(dict(desired))
    (shown.get("properties") or {}).pop(APPLIED, None)
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamped(document: Mapping[str, Any], desired: Mapping[str, Any], revision: int) -> Document:
    """A copy of ``document`` (what will be written) stamped as ``desired`` at ``revision`` (the
    revision the write produces)."""
    found: Document = copy.deepcopy(dict(document))
    properties = found.get("properties")
    properties = dict(properties) if isinstance(properties, dict) else {}
    properties[APPLIED] = {"$type": "System.String", "$value": f"{revision}:{fingerprint(desired)}"}
    found["properties"] = properties
    return found


def unchanged_since_applied(listed: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Whether ``listed`` (a listing's shallow definition) is still what slotwise wrote for
    ``desired``: its stamp names its current revision and ``desired``'s fingerprint."""
    marker = (listed.get("properties") or {}).get(APPLIED)
    value = marker.get("$value") if isinstance(marker, dict) else marker
    if not isinstance(value, str):
        return False
    revision, _, print_ = value.partition(":")
    return revision == str(listed.get("revision")) and print_ == fingerprint(desired)
