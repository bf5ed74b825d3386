"""Tags of emulated sites and slots, as ARM's tags API (``.../providers/Microsoft.Resources/tags/default``)
changes them.

Owns ARM's tag rules, the same for this API and for a site's own PUT: at most 50 tags; a name is 1 to
512 characters without ``<>%&\\?/`` or control characters; a value at most 256 characters; names
match case-insensitively ("Tag names are case-insensitive for operations", Azure's tag docs), values
do not. Operations (``Tags_*AtScope`` of Microsoft.Resources 2021-04-01): replace the whole set,
merge (add or overwrite by name), delete selected names, clear. A selective delete removes a tag
given with an empty value by name and one given with a value only when the value matches ("based on
given names or name/value pairs", the spec's words). Tags are ARM metadata: writing them is allowed
while a swap locks the slot, and they stay with their slot when it swaps. No HTTP here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slotwise_emulator.backends.model import Slot
from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.errors import ServiceError, bad_request

MAX_TAGS = 50
MAX_NAME = 512
MAX_VALUE = 256
_RESERVED = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")


def _too_many(count: int) -> ServiceError:
    return bad_request(
        f"Too many tags specified. Requested tag count - '{count}'. Maximum number of tags allowed - "
        f"'{MAX_TAGS}'.",
        code="InvalidTags",
    )


def check_tags(tags: Any) -> dict[str, str]:
    """``tags`` as a name -> value dict if it is a JSON object of valid tags, else ARM's 400."""
    if not isinstance(tags, dict):
        raise bad_request(
            "The tags must be a JSON object of names and string values.", "InvalidRequestContent"
        )
    if len(tags) > MAX_TAGS:
        raise _too_many(len(tags))
    for name, value in tags.items():
        if not name.strip():
            raise bad_request(
                "The tag name must be non-null, non-empty and non-whitespace only. "
                "Please provide an actual value.",
                code="InvalidTagName",
            )
        if not isinstance(value, str):
            raise bad_request(f"The value of tag '{name}' must be a string.", code="InvalidRequestContent")
    bad = [name for name in tags if _RESERVED.search(name)]
    if bad:
        raise bad_request(
            f"The tag names '{', '.join(bad)}' have reserved characters '<,>,%,&,\\,?,/' or control "
            "characters.",
            code="InvalidTagNameCharacters",
        )
    long_names = [name for name in tags if len(name) > MAX_NAME]
    if long_names:
        raise bad_request(
            f"Tag key too large. Following tag name '{', '.join(long_names)}' exceeded the maximum length. "
            f"Maximum allowed length for tag name - '{MAX_NAME}' characters.",
            code="InvalidTagName",
        )
    long_values = [value for value in tags.values() if len(value) > MAX_VALUE]
    if long_values:
        raise bad_request(
            f"Tag value too large. Following tag value '{', '.join(long_values)}' exceeded the maximum "
            f"length. Maximum allowed length for tag value - '{MAX_VALUE}' characters.",
            code="InvalidTagValueLength",
        )
    return dict(tags)


def merged(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """``current`` with ``changes`` added or overwritten, names matched case-insensitively (the new
    casing wins); 400 if the result has more than 50 tags."""
    result = dict(current)
    for name, value in changes.items():
        for existing in [key for key in result if key.lower() == name.lower()]:
            del result[existing]
        result[name] = value
    if len(result) > MAX_TAGS:
        raise _too_many(len(result))
    return result


def without(current: Mapping[str, str], selected: Mapping[str, str]) -> dict[str, str]:
    """``current`` less the selected tags: by name for an empty value, else only if the value matches."""
    wanted = {name.lower(): value for name, value in selected.items()}
    return {
        name: value
        for name, value in current.items()
        if name.lower() not in wanted or wanted[name.lower()] not in ("", value)
    }


class WebTagsMixin(WebBase):
    """ARM's tags API on sites and slots (``Tags_CreateOrUpdate/Update/Get/DeleteAtScope``)."""

    def tags(self, subscription: str, resource_group: str, name: str, slot: str) -> dict[str, str]:
        """The tags of a site or slot (ARM's 404 for an unknown one)."""
        return dict(self.slot(subscription, resource_group, name, slot).tags)

    def replace_tags(self, subscription: str, resource_group: str, name: str, slot: str, tags: Any) -> Slot:
        """The whole set of tags becomes ``tags`` (PUT, or PATCH with operation ``Replace``)."""
        target = self.slot(subscription, resource_group, name, slot)
        target.tags = check_tags(tags)
        return target

    def merge_tags(self, subscription: str, resource_group: str, name: str, slot: str, tags: Any) -> Slot:
        """Add ``tags``, overwriting values of names already there (PATCH, operation ``Merge``)."""
        target = self.slot(subscription, resource_group, name, slot)
        target.tags = merged(target.tags, check_tags(tags))
        return target

    def delete_tags(self, subscription: str, resource_group: str, name: str, slot: str, tags: Any) -> Slot:
        """Remove the selected tags (PATCH, operation ``Delete``); names not there are ignored."""
        target = self.slot(subscription, resource_group, name, slot)
        target.tags = without(target.tags, check_tags(tags))
        return target

    def clear_tags(self, subscription: str, resource_group: str, name: str, slot: str) -> Slot:
        """Remove every tag (DELETE)."""
        target = self.slot(subscription, resource_group, name, slot)
        target.tags = {}
        return target
