"""The stamp slotwise leaves on what it writes (release.stamp): what it fingerprints, its form on the
wire, and when a listed definition counts as unchanged since it was written."""

from __future__ import annotations

import hashlib
from typing import Any

from slotwise.release.stamp import APPLIED, fingerprint, stamped, unchanged_since_applied

DESIRED: dict[str, Any] = {
    "name": "orders-api",
    "description": "Zürich → production",
    "properties": {"Slotwise.ManagedBy": {"$type": "System.String", "$value": "slotwise"}},
    "variables": {"Key": {"isSecret": True, "value": "s3cr3t"}, "Plain": {"value": "1"}},
}


def test_the_fingerprint_is_the_sha256_of_the_canonical_json_without_secret_values() -> None:
    # A stamp written by one slotwise is read by the next: the canonical form is part of the contract
    # (keys sorted, no spaces, UTF-8 as is, secrets' values left out).
    canonical = (
        '{"description":"Zürich → production","name":"orders-api",'
        '"properties":{"Slotwise.ManagedBy":{"$type":"System.String","$value":"slotwise"}},'
        '"variables":{"Key":{"isSecret":true,"value":null},"Plain":{"value":"1"}}}'
    )
    assert fingerprint(DESIRED) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_the_fingerprint_ignores_key_order_and_the_stamp_itself_and_secret_values() -> None:
    reordered = dict(reversed(list(DESIRED.items())))
    assert fingerprint(reordered) == fingerprint(DESIRED)
    assert fingerprint(stamped(DESIRED, DESIRED, revision=5)) == fingerprint(DESIRED)
    other_secret = {**DESIRED, "variables": {**DESIRED["variables"], "Key": {"isSecret": True, "value": "x"}}}
    assert fingerprint(other_secret) == fingerprint(DESIRED)
    assert fingerprint({**DESIRED, "name": "billing-api"}) != fingerprint(DESIRED)


def test_the_stamp_is_a_typed_string_property_and_leaves_the_document_given_alone() -> None:
    document = {
        "name": "orders-api",
        "properties": {"Portal.Note": {"$type": "System.String", "$value": "x"}},
    }
    made = stamped(document, DESIRED, revision=3)
    assert made["properties"][APPLIED] == {"$type": "System.String", "$value": f"3:{fingerprint(DESIRED)}"}
    assert made["properties"]["Portal.Note"] == document["properties"]["Portal.Note"]
    assert APPLIED not in document["properties"]
    assert stamped({"name": "bare"}, DESIRED, revision=1)["properties"] == {
        APPLIED: {"$type": "System.String", "$value": f"1:{fingerprint(DESIRED)}"}
    }


def _listed(revision: int, stamp: object) -> dict[str, Any]:
    return {"name": "orders-api", "revision": revision, "properties": {APPLIED: stamp}}


def test_unchanged_only_when_the_stamp_names_the_listed_revision_and_the_same_fingerprint() -> None:
    value = f"4:{fingerprint(DESIRED)}"
    assert unchanged_since_applied(_listed(4, {"$type": "System.String", "$value": value}), DESIRED)
    assert unchanged_since_applied(_listed(4, value), DESIRED)  # a property answered untyped
    assert not unchanged_since_applied(_listed(5, value), DESIRED)  # edited since
    assert not unchanged_since_applied(_listed(4, value), {**DESIRED, "name": "x"})  # the spec changed
    assert not unchanged_since_applied({"name": "orders-api", "revision": 4}, DESIRED)  # no stamp
    assert not unchanged_since_applied(_listed(4, None), DESIRED)
    assert not unchanged_since_applied(_listed(4, {"$type": "System.String"}), DESIRED)
