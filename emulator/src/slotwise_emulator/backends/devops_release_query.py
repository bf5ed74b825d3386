"""A release definitions list query (``GET .../definitions``): its filters, and which stored
definitions they select, in which order pages continue.

Must not: render, store, or know HTTP (the routes parse the query string into ``ListQuery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops_release import StoredDefinition

QUERY_ORDERS = ("idAscending", "idDescending", "nameAscending", "nameDescending")


@dataclass(frozen=True)
class ListQuery:
    """``GET .../definitions`` filters, already parsed (see the routes)."""

    search_text: str | None = None
    exact_name: bool = False
    search_folder: bool = False
    expands: frozenset[str] = frozenset()
    artifact_type: str | None = None
    artifact_source_id: str | None = None
    top: int | None = None
    continuation: str | None = None
    order: str = "idAscending"
    path: str | None = None
    tags: tuple[str, ...] = ()
    property_filters: tuple[str, ...] | None = None
    definition_ids: tuple[int, ...] | None = None
    deleted: bool = False


def matches(stored: StoredDefinition, query: ListQuery) -> bool:
    doc = stored.current
    if stored.deleted != query.deleted:
        return False
    name, path = str(doc.get("name", "")), str(doc.get("path", "\\"))
    if query.search_text:
        text = query.search_text.lower()
        hit = name.lower() == text if query.exact_name else text in name.lower()
        folder = path.rstrip("\\").rsplit("\\", 1)[-1].lower()
        if not hit and not (query.search_folder and (folder == text if query.exact_name else text in folder)):
            return False
    if query.path is not None:
        wanted = "\\" + query.path.strip("\\").lower()
        here = "\\" + path.strip("\\").lower()
        if wanted != "\\" and here != wanted and not here.startswith(wanted + "\\"):
            return False
    if query.definition_ids is not None and stored.id not in query.definition_ids:
        return False
    if query.tags and not {t.lower() for t in query.tags} <= {str(t).lower() for t in doc.get("tags") or []}:
        return False
    artifacts = doc.get("artifacts") or []
    if query.artifact_type and not any(
        str(a.get("type", "")).lower() == query.artifact_type.lower() for a in artifacts
    ):
        return False
    source = (query.artifact_source_id or "").lower()
    return not source or any(str(a.get("sourceId", "")).lower() == source for a in artifacts)


def after(stored: StoredDefinition, token: str, order: str) -> bool:
    """Whether ``stored`` is at or after the continuation token in ``order``."""
    if order.startswith("name"):
        name = str(stored.current["name"]).lower()
        return name <= token.lower() if order.endswith("Descending") else name >= token.lower()
    if not token.isdigit():
        return True
    return stored.id <= int(token) if order.endswith("Descending") else stored.id >= int(token)
