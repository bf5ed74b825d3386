"""Promote when something fails after Azure accepted the swap (issue 7, defect 1), on the in-memory
Azure: a failing status poll, a hold that cannot be recorded, checks that cannot be run, a swap-back
that fails. The outcome is found out and every later step still runs; what failed is said last.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, RemoteError, SlotwiseError, SmokeFailed
from slotwise.events import RecordingReporter
from slotwise.slots.holds import HOLD_TAG, RELEASED_TAG, find_hold
from slotwise.slots.swap import SwapRequest
from slotwise.slots.swap_phases import SwapOrder, run_swap
from tests.fake_webapps import STAGING, FakeResponse, FakeServices
from tests.unit.slots.test_promote_ops import CHECKS, order, ready, serving

FUNCTION_CHECKS = """
checks:
  - name: hello
    function: hello
"""
REFUSED = "Azure refused writing tags: AuthorizationFailed"
SLOT_STATUS = "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
ROLL_BACK = "Roll back: `slotwise slot rollback -g rg-demo -n func-demo`."
NEVER_AGAIN = "Do not run the swap again: it would swap back."


def forbidden() -> RemoteError:
    """A 403 (a fresh one: promote adds what had happened before it to the error it raises)."""
    return RemoteError(REFUSED, status=403, code="AuthorizationFailed")


SWAP_BACK_FAILED = (
    "Look at the slots first; if production still runs that build, roll back. Do not run the swap again. "
    f"{SLOT_STATUS} {ROLL_BACK}"
)


def checked(checks: str = CHECKS, *, rollback_on_failure: bool = False) -> SwapOrder:
    """A swap of staging into production by alice, with the smoke checks ``checks``."""
    return order(SwapRequest(STAGING), checks, rollback_on_failure=rollback_on_failure, requested_by="alice")


def polls_fail(services: FakeServices, status: int = 404) -> None:
    body = {"error": {"code": "NotFound", "message": "The operation was not found."}}
    services.fake.poll_error = HttpResponseError(response=FakeResponse(status, body, "operationresults"))


@pytest.mark.parametrize("status", [404, 409, 503])
def test_a_failing_status_poll_still_leads_to_the_checks_and_the_swap_back(status: int) -> None:
    services = ready(staging_status=500)
    polls_fail(services, status)
    reporter = RecordingReporter()
    with pytest.raises(SmokeFailed, match="so it was swapped back"):
        run_swap(services, checked(rollback_on_failure=True), reporter=reporter)
    assert serving(services) == ("build 40", "build 41")
    assert services.fake.count("begin_swap") == 2  # the swap and the swap-back, nothing more
    assert find_hold(services, STAGING) is None
    assert RELEASED_TAG in services.fake.slot(STAGING).tags
    assert any("status could not be read" in text for text in reporter.texts("warning"))


def test_a_failing_status_poll_with_passing_checks_records_the_hold() -> None:
    services = ready()
    polls_fail(services)
    result = run_swap(services, checked(), reporter=RecordingReporter())
    assert result.smoke is not None
    assert result.smoke.passed
    assert serving(services) == ("build 41", "build 40")
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert (hold.build, hold.by) == ("build 40", "alice")


def test_a_hold_that_cannot_be_recorded_does_not_stop_the_swap_back() -> None:
    services = ready(staging_status=500)
    services.fake.inject("merge_tags", forbidden())
    with pytest.raises(SmokeFailed, match="so it was swapped back"):
        run_swap(services, checked(rollback_on_failure=True), reporter=RecordingReporter())
    assert serving(services) == ("build 40", "build 41")


def test_a_hold_that_cannot_be_recorded_fails_loudly_after_passing_checks() -> None:
    services = ready()
    services.fake.inject("merge_tags", forbidden())
    reporter = RecordingReporter()
    with pytest.raises(RemoteError) as caught:
        run_swap(services, checked(), reporter=reporter)
    assert caught.value.exit_code == 4
    assert (
        caught.value.message
        == f"The swap completed, but recording the hold on func-demo/staging failed: {REFUSED}"
    )
    assert told(caught.value) == (
        f"{NEVER_AGAIN} The slots show the hold anyway (inferred from the swap); only who and which build "
        "are not recorded. Check that the identity may write tags (Microsoft.Resources/tags/write). "
        f"{SLOT_STATUS}"
    )
    assert serving(services) == ("build 41", "build 40")
    assert any(text.startswith("Smoke testing") for text in reporter.texts("step"))  # the checks ran
    assert reporter.texts("warning") == [
        f"the swap completed, but recording the hold on staging failed: {REFUSED}"
    ]
    assert HOLD_TAG not in services.fake.slot(STAGING).tags


def test_checks_that_cannot_be_run_are_a_failure_and_leave_the_build_live_without_rollback() -> None:
    services = ready()
    services.fake.inject("functions", forbidden())
    with pytest.raises(SlotwiseError) as caught:
        run_swap(services, checked(FUNCTION_CHECKS), reporter=RecordingReporter())
    assert (
        caught.value.message
        == f"The swap completed, but the smoke checks on production could not be run: {REFUSED}"
    )
    assert told(caught.value) == (
        f"{NEVER_AGAIN} Run the checks once the cause is fixed: `slotwise slot smoke -g rg-demo -n func-demo "
        f"-s production --checks FILE`. {ROLL_BACK}"
    )
    assert serving(services) == ("build 41", "build 40")
    assert find_hold(services, STAGING) is not None


def test_checks_that_cannot_be_run_swap_back_with_rollback_on_failure() -> None:
    services = ready()
    services.fake.inject("functions", forbidden())
    reporter = RecordingReporter()
    with pytest.raises(SmokeFailed) as caught:
        run_swap(services, checked(FUNCTION_CHECKS, rollback_on_failure=True), reporter=reporter,
        )  # fmt: skip
    assert caught.value.message == (
        f"The smoke checks on production could not be run after the swap ({REFUSED}), so it was swapped "
        "back: production runs what it ran before, staging has the unchecked build."
    )
    assert told(caught.value) == "Fix what stopped the checks, then swap again."
    assert reporter.texts("warning") == [
        f"the smoke checks on production could not be run ({REFUSED}): swapping back"
    ]
    assert serving(services) == ("build 40", "build 41")
    assert find_hold(services, STAGING) is None


def test_a_swap_back_that_fails_says_the_failing_build_is_still_live() -> None:
    services = ready(staging_status=500)
    services.fake.inject("begin_swap", ConflictError("Cannot modify this site", status=409), skip=1)
    with pytest.raises(ConflictError) as caught:
        run_swap(services, checked(rollback_on_failure=True), reporter=RecordingReporter())
    assert caught.value.message == (
        "The build swapped into production may still be live although its smoke checks failed: swapping "
        "back failed: Cannot swap staging with production of app 'func-demo' now: another operation is in "
        "progress on one of the slots. Azure said: Cannot modify this site"
    )
    assert told(caught.value) == SWAP_BACK_FAILED
    assert serving(services) == ("build 41", "build 40")
    assert find_hold(services, STAGING) is not None  # the rollback build stays protected


def test_checks_that_cannot_be_run_and_a_failing_swap_back_say_the_unchecked_build_may_be_live() -> None:
    services = ready()
    services.fake.inject("functions", forbidden())
    services.fake.inject("begin_swap", ConflictError("Cannot modify this site", status=409), skip=1)
    with pytest.raises(ConflictError) as caught:
        run_swap(services, checked(FUNCTION_CHECKS, rollback_on_failure=True), reporter=RecordingReporter(),
        )  # fmt: skip
    assert caught.value.message.startswith(
        "The build swapped into production may still be live although its smoke checks could not be run: "
        "swapping back failed: Cannot swap staging with production"
    )
    assert told(caught.value) == SWAP_BACK_FAILED
    assert serving(services) == ("build 41", "build 40")


def test_a_hold_that_cannot_be_ended_after_the_swap_back_is_a_warning() -> None:
    services = ready(staging_status=500)
    services.fake.inject("merge_tags", forbidden(), skip=1)  # the hold is recorded; the release mark fails
    reporter = RecordingReporter()
    with pytest.raises(SmokeFailed, match="so it was swapped back"):
        run_swap(services, checked(rollback_on_failure=True), reporter=reporter)
    assert serving(services) == ("build 40", "build 41")
    assert reporter.texts("warning")[-1] == (
        f"swapped back, but ending the hold on staging failed ({REFUSED}): release it before deploying the "
        "fix there"
    )


def test_a_resend_refused_because_the_lost_start_landed_late_follows_that_swap() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection aborted."))  # the start is lost on its way...

    def arrives_late() -> None:  # ... and reaches Azure just before slotwise sends it again
        web.begin_swap(STAGING, "production")

    web.before_next("begin_swap", lambda: web.before_next("begin_swap", arrives_late))
    result = run_swap(services, order(SwapRequest(STAGING)), reporter=RecordingReporter())
    assert web.count("begin_swap") == 3  # lost, arrived late, the resend refused with a 409
    assert serving(services) == ("build 41", "build 40")  # swapped once, not swapped back
    assert result.held == STAGING
    assert find_hold(services, STAGING) is not None
