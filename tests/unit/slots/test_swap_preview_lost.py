"""The two steps of a swap with preview that are not a swap (``prepare``: applySlotConfig, ``cancel``:
resetSlotConfig) when their answer is lost, on the in-memory Azure: the source slot's own state
(``targetSwapSlot``) tells whether Azure did it; it is sent once more only when the slot shows no sign
of it, and an unreadable slot is an unknown outcome, never a failure for something that happened."""

from __future__ import annotations

import pytest

from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, OutcomeUnknown, RemoteError
from slotwise.events import RecordingReporter
from slotwise.slots.swap import SwapRequest, cancel, prepare
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services


def lost() -> RemoteError:
    """As ``translate`` says a dropped connection or a read timeout: no status."""
    return RemoteError("Could not reach Azure while preparing the swap: Connection aborted.")


def prepared(services: FakeServices) -> tuple[str | None, str | None]:
    web = services.fake
    return web.slot(STAGING).target_swap_slot, web.slot(PRODUCTION_SLOT).target_swap_slot


def test_a_preparation_whose_answer_was_lost_after_azure_did_it_is_not_sent_again() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost(), after=True)
    reporter = RecordingReporter()

    result = prepare(services, SwapRequest(STAGING), reporter=reporter)

    assert result.phase == "prepared"
    assert prepared(services) == ("production", "staging")
    assert services.fake.count("apply_swap_preview") == 1
    assert any("lost the connection while preparing the swap" in t for t in reporter.texts("warning"))


def test_a_preparation_lost_before_azure_got_it_is_sent_again_once() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost())
    reporter = RecordingReporter()

    prepare(services, SwapRequest(STAGING), reporter=reporter)

    assert prepared(services) == ("production", "staging")
    assert services.fake.count("apply_swap_preview") == 2
    assert "the slot shows no sign of it: sending it again" in reporter.texts("detail")


def test_a_preparation_lost_twice_without_a_sign_says_nothing_changed() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost())
    services.fake.inject("apply_swap_preview", lost())

    with pytest.raises(RemoteError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert caught.value.exit_code == 4
    assert "Slot 'staging' shows that Azure did not do it: nothing changed." in caught.value.message
    assert prepared(services) == (None, None)
    assert services.fake.count("apply_swap_preview") == 2  # never a third


def test_a_lost_preparation_whose_slot_cannot_be_read_is_an_unknown_outcome() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost(), after=True)
    services.fake.inject(
        "get", RemoteError("Azure refused reading slot 'staging': busy.", status=503), skip=1
    )

    with pytest.raises(OutcomeUnknown) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert caught.value.exit_code == 10
    assert "whether Azure did it could not be found out" in caught.value.message
    assert "slotwise slot status -g rg-demo -n func-demo" in told(caught.value)
    assert services.fake.count("apply_swap_preview") == 1  # not sent again blindly


def test_a_resent_preparation_refused_because_the_first_landed_is_done() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost())
    busy = ConflictError("Cannot modify this site because another operation is in progress.", status=409)
    services.fake.inject("apply_swap_preview", busy, after=True)  # the late first one prepared it

    result = prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert result.phase == "prepared"
    assert prepared(services) == ("production", "staging")


def test_a_first_refusal_is_still_a_refusal() -> None:
    services = fake_services()
    busy = ConflictError("Cannot modify this site because another operation is in progress.", status=409)
    services.fake.inject("apply_swap_preview", busy, after=True)

    with pytest.raises(ConflictError, match="Cannot prepare a swap of staging with production"):
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    assert services.fake.count("apply_swap_preview") == 1


def test_a_cancel_whose_answer_was_lost_after_azure_did_it_is_not_sent_again() -> None:
    services = fake_services()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    services.fake.inject("reset_swap_preview", lost(), after=True)

    result = cancel(services, STAGING, reporter=RecordingReporter())

    assert result.phase == "cancelled"
    assert prepared(services) == (None, None)
    assert services.fake.count("reset_swap_preview") == 1


def test_a_cancel_lost_before_azure_got_it_is_sent_again_once() -> None:
    services = fake_services()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    services.fake.inject("reset_swap_preview", lost())

    cancel(services, STAGING, reporter=RecordingReporter())

    assert prepared(services) == (None, None)
    assert services.fake.count("reset_swap_preview") == 2


# ---- what the user is told, word for word ------------------------------------------------------------------
PREPARING = "preparing the swap of staging with production"
CHECK_NETWORK = "Check the network, then retry."

# the service's words are kept; only a final full stop is dropped before the next sentence
WORDS = [
    ("Connection aborted.", "Connection aborted"),
    ("Connection aborted", "Connection aborted"),
    (".Connection refused by proxy GW-BOX.", ".Connection refused by proxy GW-BOX"),
]


def test_a_preparation_lost_after_azure_did_it_says_what_happened_and_what_the_slot_shows() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost(), after=True)
    reporter = RecordingReporter()

    prepare(services, SwapRequest(STAGING), reporter=reporter)

    assert reporter.texts("warning") == [
        f"lost the connection while {PREPARING} ({lost().message}); reading slot 'staging' to find out "
        "whether Azure did it"
    ]
    assert f"the slot shows Azure did it ({PREPARING})" in reporter.texts("detail")


def test_a_preparation_with_another_slot_than_production_lost_after_azure_did_it_is_not_sent_again() -> None:
    services = fake_services(slots=("staging", "preview"))
    services.fake.inject("apply_swap_preview", lost(), after=True)

    result = prepare(services, SwapRequest(STAGING, "preview"), reporter=RecordingReporter())

    assert result.phase == "prepared"
    assert services.fake.slot(STAGING).target_swap_slot == "preview"
    assert services.fake.count("apply_swap_preview") == 1


def test_a_resent_preparation_refused_because_the_first_landed_says_so() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost())
    busy = ConflictError("Cannot modify this site because another operation is in progress.", status=409)
    services.fake.inject("apply_swap_preview", busy, after=True)
    reporter = RecordingReporter()

    prepare(services, SwapRequest(STAGING), reporter=reporter)

    assert f"Azure had done it on the first try ({PREPARING})" in reporter.texts("detail")
    assert services.fake.count("apply_swap_preview") == 2


def test_a_resent_preparation_refused_while_the_slot_cannot_be_read_is_a_refusal() -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", lost())
    busy = ConflictError("Cannot modify this site because another operation is in progress.", status=409)
    services.fake.inject("apply_swap_preview", busy)
    # read 1: before preparing, read 2: after the lost answer; read 3 (after the refusal) fails
    services.fake.inject(
        "get", RemoteError("Azure refused reading slot 'staging': busy.", status=503), skip=2
    )

    with pytest.raises(ConflictError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert caught.value.exit_code == 5
    assert caught.value.message.startswith("Cannot prepare a swap of staging with production")
    assert prepared(services) == (None, None)
    assert services.fake.count("apply_swap_preview") == 2


@pytest.mark.parametrize(("said", "kept"), WORDS)
def test_a_preparation_lost_twice_keeps_the_words_and_the_hint_of_the_lost_connection(
    said: str, kept: str
) -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", RemoteError(said, hint=CHECK_NETWORK))
    services.fake.inject("apply_swap_preview", RemoteError(said, hint=CHECK_NETWORK))

    with pytest.raises(RemoteError) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert type(caught.value) is RemoteError
    assert caught.value.message == f"{kept}. Slot 'staging' shows that Azure did not do it: nothing changed."
    assert told(caught.value) == CHECK_NETWORK


@pytest.mark.parametrize(("said", "kept"), WORDS)
def test_a_lost_preparation_whose_slot_cannot_be_read_says_what_is_unknown_and_where_to_look(
    said: str, kept: str
) -> None:
    services = fake_services()
    services.fake.inject("apply_swap_preview", RemoteError(said), after=True)
    services.fake.inject(
        "get", RemoteError("Azure refused reading slot 'staging': busy.", status=503), skip=1
    )

    with pytest.raises(OutcomeUnknown) as caught:
        prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())

    assert caught.value.message == (
        f"The connection was lost while {PREPARING} ({kept}), and whether Azure did it could not be found "
        "out: slot 'staging' could not be read (Azure refused reading slot 'staging': busy.)."
    )
    assert told(caught.value) == (
        "Look at the slots (a prepared swap shows there) before doing anything else, then complete or cancel "
        "the prepared swap, or prepare it again. `slotwise slot status -g rg-demo -n func-demo` shows the "
        "slots."
    )


def test_a_lost_cancel_says_what_was_being_done() -> None:
    services = fake_services()
    prepare(services, SwapRequest(STAGING), reporter=RecordingReporter())
    services.fake.inject("reset_swap_preview", lost(), after=True)
    reporter = RecordingReporter()

    cancel(services, STAGING, reporter=reporter)

    assert reporter.texts("warning") == [
        f"lost the connection while cancelling the prepared swap of staging ({lost().message}); reading "
        "slot 'staging' to find out whether Azure did it"
    ]
    assert "the slot shows Azure did it (cancelling the prepared swap of staging)" in reporter.texts("detail")
