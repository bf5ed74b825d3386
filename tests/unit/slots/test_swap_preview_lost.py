"""The two steps of a swap with preview that are not a swap (``prepare``: applySlotConfig, ``cancel``:
resetSlotConfig) when their answer is lost, on the in-memory Azure: the source slot's own state
(``targetSwapSlot``) tells whether Azure did it; it is sent once more only when the slot shows no sign
of it, and an unreadable slot is an unknown outcome, never a failure for something that happened."""

from __future__ import annotations

import pytest

from slotwise.errors import ConflictError, OutcomeUnknown, RemoteError
from slotwise.slots.events import RecordingReporter
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
    assert "slotwise slot status -g rg-demo -n func-demo" in caught.value.hint
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
