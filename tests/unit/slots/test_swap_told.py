"""What a swap tells (``slots.swap``, ``slots.swap_follow``) on the in-memory Azure, word for word
where the words are the promise: which swap is in the way, how a swap whose status could not be read
or whose start was lost ended, where things stand after Ctrl-C, and that no hint after an accepted
swap says to run it again."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from slotwise.cli.remedies import advice as told
from slotwise.errors import Cancelled, ConflictError, OperationTimeout, OutcomeUnknown, RemoteError
from slotwise.events import RecordingReporter
from slotwise.slots.swap import SwapRequest, cancel, complete, prepare, swap
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeResponse, FakeServices
from tests.unit.slots.test_swap_ops import QA, ready, serving

SLOTS = "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
HINT_BUSY = f"Wait until it has finished, then swap again. {SLOTS}"
AZURE_BUSY = "Cannot modify this site because another operation is in progress."
STATUS_UNKNOWN = (
    "Look at the slots (what each serves and its last swap) and at the app's activity log in the Azure "
    "portal before doing anything else; smoke checks, the hold record and any swap-back were not done. "
    f"{SLOTS}"
)


def qa_swapping_with_production(services: FakeServices, seconds: float = 30) -> None:
    """Someone else's swap of qa into production, running for ``seconds``."""
    web = services.fake
    web.swap_seconds, before = seconds, web.swap_seconds
    web.begin_swap(QA, "production")
    web.swap_seconds = before


def polls_fail(services: FakeServices, status: int) -> None:
    body = {"error": {"code": "NotFound", "message": "The operation was not found."}}
    services.fake.poll_error = HttpResponseError(response=FakeResponse(status, body, "operationresults"))


def blind(services: FakeServices, reads: int = 100) -> None:
    """The next ``reads`` reads of any slot fail (the connection to ARM is gone)."""
    for _ in range(reads):
        services.fake.inject("get", RemoteError("Connection aborted."))


# ---- a pair in use ---------------------------------------------------------------------------------------
def test_a_swap_is_refused_while_one_of_its_slots_swaps_with_another() -> None:
    services = ready(slots=("staging", "qa"))
    services.fake.swap_seconds = 30
    services.fake.begin_swap(STAGING, "qa")
    with pytest.raises(ConflictError) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == "A swap of slot 'staging' with 'qa' is in progress."
    assert told(caught.value) == f"Wait until it has finished, then swap again. {SLOTS}"
    assert services.fake.count("begin_swap") == 1  # only the other swap


def test_preparing_a_slot_that_is_swapping_names_that_swap() -> None:
    services = ready()
    services.fake.swap_seconds = 30
    services.fake.begin_swap(STAGING, "production")
    with pytest.raises(ConflictError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    error = caught.value
    assert error.message == (
        "Cannot prepare a swap of staging with production of app 'func-demo' now: a swap of slot 'staging' "
        "with 'production' is in progress."
    )
    assert (error.status, error.code, told(error), error.exit_code) == (409, None, HINT_BUSY, 5)
    assert services.fake.count("apply_swap_preview") == 0


def test_a_preparation_azure_refuses_names_the_swap_in_the_way_with_azures_words() -> None:
    services = ready(slots=("staging", "qa"))
    qa_swapping_with_production(services)
    with pytest.raises(ConflictError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    error = caught.value
    assert error.message == (
        "Cannot prepare a swap of staging with production of app 'func-demo' now: a swap of slot "
        f"'production' with 'qa' is in progress. Azure said: {AZURE_BUSY}"
    )
    assert (error.status, told(error)) == (409, HINT_BUSY)
    assert services.fake.slot(STAGING).target_swap_slot is None


def test_a_cancel_refused_while_the_prepared_swap_completes_says_so() -> None:
    services = ready()
    web = services.fake
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    web.swap_seconds = 30
    web.begin_swap(STAGING, "production")  # the second phase, running
    with pytest.raises(ConflictError) as caught:
        cancel(services, STAGING, reporter=RecordingReporter())
    error = caught.value
    assert error.message == (
        "Cannot cancel the prepared swap of staging with production of app 'func-demo' now: a swap of slot "
        f"'staging' with 'production' is in progress. Azure said: {AZURE_BUSY}"
    )
    assert (error.status, told(error)) == (409, HINT_BUSY)


def test_a_cancel_refused_names_the_pair_that_was_prepared() -> None:
    services = ready(slots=("staging", "qa"))
    web = services.fake
    prepare(services, SwapRequest(STAGING, "qa"), reporter=RecordingReporter())
    web.swap_seconds = 30
    web.begin_swap(STAGING, "qa")
    with pytest.raises(ConflictError) as caught:
        cancel(services, STAGING, reporter=RecordingReporter())
    assert caught.value.message == (
        "Cannot cancel the prepared swap of staging with qa of app 'func-demo' now: a swap of slot "
        f"'staging' with 'qa' is in progress. Azure said: {AZURE_BUSY}"
    )


def test_a_resend_refused_because_another_swap_took_the_pair_names_it() -> None:
    services = ready(slots=("staging", "qa"))
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection refused."))  # never reached Azure
    web.before_next(
        "begin_swap", lambda: web.before_next("begin_swap", lambda: qa_swapping_with_production(services))
    )
    with pytest.raises(ConflictError) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    error = caught.value
    assert error.message == (
        "Cannot swap staging with production of app 'func-demo' now: a swap of slot 'production' with 'qa' "
        f"is in progress. Azure said: {AZURE_BUSY}"
    )
    assert (error.status, told(error)) == (409, HINT_BUSY)
    assert web.count("begin_swap") == 3  # the lost start, qa's swap, the refused resend
    assert web.slot(STAGING).content.name == "build 41"  # staging took part in no swap


# ---- a start whose answer was lost -----------------------------------------------------------------------
def test_a_lost_start_is_followed_through_the_slots_and_said_so() -> None:
    services = ready()
    web = services.fake
    web.swap_seconds = 12
    web.inject("begin_swap", RemoteError("Connection aborted."), after=True)
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    assert reporter.events == [
        ("step", "Swapping staging with production on app 'func-demo'"),
        (
            "warning",
            "lost the connection while starting the swap (Connection aborted.); reading the slots to find "
            "out whether Azure started it",
        ),
        ("detail", "swap in progress (read from the slots)"),
        ("detail", "swap in progress (read from the slots)"),
        ("detail", "Azure had started the swap, and it has completed"),
        ("detail", "swap complete after 12.0 s"),
    ]
    assert web.count("begin_swap") == 1
    assert serving(services) == ("build 41", "build 40")


def test_a_start_that_never_reached_azure_is_sent_again_and_said_so() -> None:
    services = ready()
    services.fake.inject("begin_swap", RemoteError("Connection refused."))
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    assert reporter.texts("detail")[:1] == ["the slots show no sign of the swap: sending it again"]
    assert services.fake.count("begin_swap") == 2


def test_a_lost_start_the_slots_cannot_tell_about_is_an_unknown_start_not_an_accepted_swap() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection aborted."), after=True)
    web.before_next("begin_swap", lambda: blind(services))
    with pytest.raises(OutcomeUnknown) as caught:
        swap(services, SwapRequest(STAGING, timeout=60), reporter=RecordingReporter())
    assert caught.value.message == (
        "The connection was lost while starting the swap of staging with production, and whether Azure "
        "started it could not be found out: neither the swap's status nor the slots could be read within "
        "60 s (last answer: Connection aborted.). It may have completed, may still run, or may have failed."
    )
    assert told(caught.value) == STATUS_UNKNOWN
    assert web.count("begin_swap") == 1


def test_a_resend_refused_by_the_lost_start_that_landed_late_is_followed_as_that_swap() -> None:
    services = ready()
    web = services.fake
    web.swap_seconds = 12
    web.inject("begin_swap", RemoteError("Connection refused."))  # lost on its way...

    def arrives_late() -> None:  # ... and reaches Azure just before slotwise sends it again
        web.begin_swap(STAGING, "production")

    web.before_next("begin_swap", lambda: web.before_next("begin_swap", arrives_late))
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    assert reporter.texts("detail").count("swap in progress (read from the slots)") == 2
    assert serving(services) == ("build 41", "build 40")
    assert web.count("begin_swap") == 3


def test_a_resend_refused_by_a_late_start_the_slots_cannot_tell_about_is_an_unknown_start() -> None:
    services = ready()
    web = services.fake
    web.inject("begin_swap", RemoteError("Connection refused."))

    def arrives_late() -> None:
        web.begin_swap(STAGING, "production")
        blind(services)

    web.before_next("begin_swap", lambda: web.before_next("begin_swap", arrives_late))
    with pytest.raises(OutcomeUnknown) as caught:
        swap(services, SwapRequest(STAGING, timeout=60), reporter=RecordingReporter())
    assert caught.value.message.startswith(
        "The connection was lost while starting the swap of staging with production, and whether Azure "
        "started it could not be found out: "
    )
    assert told(caught.value) == STATUS_UNKNOWN


# ---- a status poll that fails ----------------------------------------------------------------------------
def test_a_failing_status_poll_is_followed_through_the_slots_and_said_so() -> None:
    services = ready()
    services.fake.swap_seconds = 12
    polls_fail(services, 404)
    reporter = RecordingReporter()
    result = swap(services, SwapRequest(STAGING), reporter=reporter)
    assert reporter.events == [
        ("step", "Swapping staging with production on app 'func-demo'"),
        (
            "warning",
            "the swap's status could not be read (Azure refused swapping staging with production: The "
            "operation was not found. (NotFound)); reading the slots to find out how the swap ended",
        ),
        ("detail", "the slots show the swap completed"),
        ("detail", "swap complete after 12.0 s"),
    ]
    assert serving(services) == ("build 41", "build 40")
    assert result.completed_at == services.fake.slot(PRODUCTION_SLOT).swap_status.timestamp  # type: ignore[union-attr]


def test_a_status_poll_that_fails_while_the_swap_runs_says_what_failed() -> None:
    services = ready()
    services.fake.swap_seconds = 12
    services.clock.after(2, lambda: polls_fail(services, 503))
    reporter = RecordingReporter()
    swap(services, SwapRequest(STAGING), reporter=reporter)
    assert reporter.texts("warning") == [
        "the swap's status could not be read (Azure refused swapping staging with production: The operation "
        "was not found. (NotFound)); reading the slots to find out how the swap ended"
    ]
    assert serving(services) == ("build 41", "build 40")


@pytest.mark.parametrize(
    ("status", "code", "said"),
    [
        (404, "NotFound", "The operation was not found. (NotFound)"),
        (None, None, "The operation was not found. (NotFound)"),  # 401: an AuthError has no status
    ],
)
def test_a_failing_poll_of_a_swap_that_failed_says_it_did_not_take_place(
    status: int | None, code: str | None, said: str
) -> None:
    services = ready()
    services.fake.fail_next_swap = "the app did not warm up"
    polls_fail(services, 404 if status else 401)
    with pytest.raises(RemoteError) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    error = caught.value
    assert error.message == (
        f"Azure refused swapping staging with production: {said}. The swap of staging with production did "
        "not take place: Azure no longer runs it and neither slot shows it, so both run what they ran before."
    )
    assert (error.status, error.code, error.exit_code) == (status, code, 4)
    assert told(error) == (
        "Look at the reason above (the app's activity log in the Azure portal has the details), fix it, "
        "then swap again."
    )
    assert serving(services) == ("build 40", "build 41")


def test_a_swap_that_ends_within_the_last_look_after_its_deadline_is_complete() -> None:
    services = ready()
    services.fake.swap_seconds = 10.25  # the poller is looked at every 0.5 s
    result = swap(services, SwapRequest(STAGING, timeout=10), reporter=RecordingReporter())
    assert result.seconds == 10.25
    assert serving(services) == ("build 41", "build 40")


def test_a_swap_running_past_its_deadline_is_a_timeout() -> None:
    services = ready()
    services.fake.swap_seconds = 10.75
    with pytest.raises(OperationTimeout) as caught:
        swap(services, SwapRequest(STAGING, timeout=10), reporter=RecordingReporter())
    assert caught.value.message == (
        "The swap of staging with production did not finish within 10 s. It continues on the service."
    )
    assert told(caught.value) == f"Look at the slots to see how it ends. {SLOTS}"


def test_a_swap_whose_target_shows_no_swap_time_still_completes() -> None:
    services = ready()
    web = services.fake

    class Forgetful(RecordingReporter):
        """The service's record of the swap is not (yet) on the target when slotwise reads it."""

        def detail(self, message: str) -> None:
            super().detail(message)
            if message.startswith("swap complete after"):
                web.slot(PRODUCTION_SLOT).swap_status = None

    result = swap(services, SwapRequest(STAGING), reporter=Forgetful())
    assert (result.phase, result.completed_at) == ("swapped", None)
    assert serving(services) == ("build 41", "build 40")


# ---- Ctrl-C ----------------------------------------------------------------------------------------------
PREFIX = (
    "Interrupted while swapping staging with production. Azure had accepted the swap and finishes it on "
    "its own; it cannot be stopped from here."
)


def interrupt() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_during_a_second_swap_says_it_is_still_in_progress() -> None:
    services = ready()
    services.fake.swap_now(STAGING)  # the slots have a swap record already
    services.fake.swap_seconds = 30
    services.clock.after(2, interrupt)
    with pytest.raises(Cancelled) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == f"{PREFIX} It is still in progress. Look at the slots in a minute."
    assert told(caught.value) == SLOTS


def test_ctrl_c_as_the_swap_completes_says_it_has_completed() -> None:
    services = ready()
    services.clock.after(5, interrupt)  # the swap ends at 5 s
    with pytest.raises(Cancelled) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == f"{PREFIX} It has already completed. Look at the slots."
    assert serving(services) == ("build 41", "build 40")


def test_ctrl_c_before_the_start_reached_azure_says_the_slots_show_no_swap() -> None:
    services = ready()
    services.fake.before_next("begin_swap", interrupt)
    with pytest.raises(Cancelled) as caught:
        swap(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == (f"{PREFIX} The slots show no swap (yet). Look at the slots in a minute.")
    assert serving(services) == ("build 40", "build 41")


def test_ctrl_c_while_completing_a_prepared_swap_says_where_it_stands() -> None:
    services = ready()
    services.fake.swap_now(STAGING)
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    services.fake.swap_seconds = 30
    services.clock.after(2, interrupt)
    with pytest.raises(Cancelled) as caught:
        complete(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert caught.value.message == f"{PREFIX} It is still in progress. Look at the slots in a minute."
    assert told(caught.value) == SLOTS
