"""The swap preflight's decision (``slots.preflight``): which codes it takes, what it tells, when it
refuses, and that a refusal names every error and what to do, on the fake App Service."""

from __future__ import annotations

import pytest

from slotwise.azure.models import SlotRef
from slotwise.errors import PreflightRefused, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots import findings as rules
from slotwise.slots.findings import CODES
from slotwise.slots.preflight import check_codes, preflight
from slotwise.slots.swap import SwapRequest
from tests.unit.slots.test_diff_findings import SQL_PROD, SQL_STAGING, arrange

STAGING = SwapRequest(SlotRef("rg-demo", "func-demo", "staging"))


def moving_connection() -> object:
    return arrange({"OrdersDb": SQL_PROD}, {"OrdersDb": SQL_STAGING, "FUNCTIONS_WORKER_RUNTIME": "node"})


def test_known_codes_are_taken_and_an_unknown_one_is_refused_naming_it_and_the_codes() -> None:
    assert check_codes([rules.CONNECTION_MOVES]) == frozenset({rules.CONNECTION_MOVES})
    assert check_codes([]) == frozenset()
    with pytest.raises(UsageError) as caught:
        check_codes([rules.CONNECTION_MOVES, "connection-move"])
    assert "Unknown preflight finding 'connection-move'" in caught.value.message
    assert all(code in caught.value.message for code in CODES)
    assert caught.value.hint == "Accept a finding by the code the preflight printed for it."


def test_an_error_finding_refuses_naming_its_code_names_and_advice() -> None:
    reporter = RecordingReporter()
    with pytest.raises(PreflightRefused) as caught:
        preflight(moving_connection(), STAGING, [], reporter=reporter)  # type: ignore[arg-type]
    refused = caught.value
    assert refused.codes == (rules.CONNECTION_MOVES,)
    assert f"[{rules.CONNECTION_MOVES}]" in refused.message
    assert "(OrdersDb)" in refused.message
    assert "was not started: the preflight found 1 error(s)" in refused.message
    assert refused.hint.endswith(" If a change is meant, accept its finding by the code in brackets.")
    assert len(refused.hint) > len(" If a change is meant, accept its finding by the code in brackets.")
    assert SQL_PROD not in refused.message + refused.hint
    assert SQL_STAGING not in refused.message + refused.hint
    told = reporter.texts("detail")
    assert any(t.startswith(f"error: [{rules.CONNECTION_MOVES}]") for t in told)
    assert reporter.texts("step") == [
        "Preflight: what swapping staging with production changes in production"
    ]


def test_an_accepted_error_is_a_warning_and_the_swap_may_go_on() -> None:
    reporter = RecordingReporter()
    result = preflight(moving_connection(), STAGING, [rules.CONNECTION_MOVES], reporter=reporter)  # type: ignore[arg-type]
    assert result.refusing == ()
    assert [f.code for f in result.findings if f.code == rules.CONNECTION_MOVES] == [rules.CONNECTION_MOVES]
    assert result.accepted == frozenset({rules.CONNECTION_MOVES})
    assert (result.diff.source.ref.slot, result.diff.target.ref.slot) == ("staging", "production")
    assert result.diff.source.content is None  # the preflight reads no Kudu: builds are not needed
    warned = reporter.texts("warning")
    assert any(w.startswith(f"accepted error [{rules.CONNECTION_MOVES}]") for w in warned)
    assert not any(t.startswith("error:") for t in reporter.texts("detail"))


def test_warnings_alone_never_refuse_and_a_clean_pair_says_nothing_was_found() -> None:
    warned = arrange({}, {"FUNCTIONS_EXTENSION_VERSION": "~4"}, sticky=set())
    reporter = RecordingReporter()
    result = preflight(warned, STAGING, [], reporter=reporter)  # type: ignore[arg-type]
    assert result.findings
    assert result.refusing == ()
    assert all(t.startswith("warning: ") for t in reporter.texts("detail"))
    clean = RecordingReporter()
    assert (
        preflight(arrange({"A": "same-value-1"}, {"A": "same-value-1"}), STAGING, [], reporter=clean).findings
        == ()
    )  # type: ignore[arg-type]
    assert clean.texts("detail") == ["Nothing found."]
