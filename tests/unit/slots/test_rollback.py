"""Rollback planning and the swap back (``slots.rollback``) on the in-memory Azure."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from slotwise.azure.models import SwapStatus
from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, OperationTimeout, UsageError
from slotwise.events import RecordingReporter
from slotwise.slots.guard import guard
from slotwise.slots.holds import RELEASED_TAG, ReleaseMark, find_hold
from slotwise.slots.rollback import RollbackPlan, plan_rollback, rollback
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

BUILD_40, BUILD_41 = BuildInfo(build_number="40"), BuildInfo(build_number="41")
HINT_REDEPLOY = (
    "Find the previous build, deploy it to a slot, then swap it in. "
    "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
)


def released(slots: tuple[str, ...] = ("staging",)) -> FakeServices:
    """Production ran build 40; build 41 came in from staging, which now has build 40."""
    services = fake_services(slots=slots)
    services.fake.deploy(PRODUCTION_SLOT, BUILD_40)
    services.fake.deploy(STAGING, BUILD_41)
    services.fake.swap_now(STAGING)
    services.fake.calls.clear()
    return services


def last_swap(services: FakeServices) -> SwapStatus:
    status = services.fake.slot(PRODUCTION_SLOT).swap_status
    assert status is not None
    return status


def test_an_app_never_swapped_has_nothing_to_roll_back() -> None:
    services = fake_services()
    services.fake.deploy(STAGING, BUILD_41)
    with pytest.raises(UsageError) as caught:
        plan_rollback(services, "rg-demo", "func-demo")
    assert caught.value.message == (
        "Nothing to roll back: production of app 'func-demo' has never been swapped, so no slot holds a "
        "previous production build."
    )
    assert told(caught.value) == "Deploy the build you want live to a slot and swap it in."
    assert services.fake.calls == [("get", "production")]


def test_the_slot_of_the_last_swap_holds_the_previous_build() -> None:
    services = released()
    plan = plan_rollback(services, "rg-demo", "func-demo")
    swapped_at = last_swap(services).timestamp
    assert plan == RollbackPlan(PRODUCTION_SLOT, STAGING, swapped_at)
    assert plan.as_dict() == {"slot": "staging", "swappedAt": swapped_at.isoformat()}


def test_a_swap_started_from_production_counts_the_same() -> None:
    services = fake_services()
    services.fake.deploy(PRODUCTION_SLOT, BUILD_40)
    services.fake.deploy(STAGING, BUILD_41)
    services.fake.swap_now(PRODUCTION_SLOT, "staging")
    assert last_swap(services).source == "production"
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING


def test_a_slot_that_was_never_deployed_to_still_holds_what_production_gave_it() -> None:
    services = fake_services()
    services.fake.deploy(PRODUCTION_SLOT, BUILD_40)
    services.fake.swap_now(STAGING)
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING


def test_a_redeployed_holder_no_longer_has_the_previous_build() -> None:
    services = released()
    services.fake.deploy(STAGING, BuildInfo(build_number="42"))
    with pytest.raises(ConflictError) as caught:
        plan_rollback(services, "rg-demo", "func-demo")
    deployed = services.clock.now()
    assert caught.value.message == (
        "Cannot roll back: slot 'staging' was redeployed (build 42, "
        f"{deployed:%Y-%m-%d %H:%M:%S} UTC) after the swap into production, which destroyed "
        "production's previous build."
    )
    assert told(caught.value) == (
        "Deploy the previous build to a slot and swap it in. slotwise's guard, run before each deployment, "
        "prevents this."
    )


def test_a_failed_redeployment_leaves_the_previous_build_in_place() -> None:
    services = released()
    services.fake.deploy(STAGING, BuildInfo(build_number="42"), succeeded=False)
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING


def test_a_deployment_at_the_very_time_of_the_swap_is_not_a_redeployment() -> None:
    services = released()
    swapped = last_swap(services).timestamp
    record = services.fake.slot(STAGING).content.deployments[-1]
    record["end_time"] = swapped.isoformat()
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING
    record["end_time"] = (swapped + timedelta(microseconds=1)).isoformat()
    with pytest.raises(ConflictError, match=r"^Cannot roll back: slot 'staging' was redeployed"):
        plan_rollback(services, "rg-demo", "func-demo")


def test_a_deployment_record_without_times_does_not_block_the_rollback() -> None:
    services = released()
    record = services.fake.slot(STAGING).content.deployments[-1]
    for key in ("received_time", "start_time", "end_time"):
        record[key] = None
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING


def test_the_build_is_followed_into_the_slot_the_guard_parked_it_in() -> None:
    services = released(slots=("staging", "park"))
    guard(services, STAGING, mode="park", reporter=RecordingReporter())
    plan = plan_rollback(services, "rg-demo", "func-demo")
    assert plan.holder == STAGING.other("park")
    assert plan.swapped_at == last_swap(services).timestamp


def test_the_build_is_followed_through_four_swaps_but_not_five() -> None:
    names = ("staging", "a", "b", "c", "d", "e")
    services = released(slots=names)
    for here, there in pairwise(names[:5]):
        services.clock.advance(60)
        services.fake.swap_now(STAGING.other(here), there)
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING.other("d")
    services.clock.advance(60)
    services.fake.swap_now(STAGING.other("d"), "e")
    with pytest.raises(ConflictError) as caught:
        plan_rollback(services, "rg-demo", "func-demo")
    assert caught.value.message == (
        "Cannot roll back: the previous production build moved through too many swaps to follow."
    )


def test_the_build_is_followed_whichever_way_round_the_park_swap_went() -> None:
    services = released(slots=("staging", "park"))
    services.fake.swap_now(STAGING.other("park"), "staging")  # started from the park slot
    assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING.other("park")


def test_a_slot_recreated_since_the_swap_does_not_hold_the_build() -> None:
    services = released()
    swapped = last_swap(services).timestamp
    services.fake.slot(STAGING).swap_status = None  # deleted and created again
    with pytest.raises(ConflictError) as caught:
        plan_rollback(services, "rg-demo", "func-demo")
    assert caught.value.message == (
        f"Cannot roll back: slot 'staging' does not show the swap of {swapped:%Y-%m-%d %H:%M:%S} UTC, so "
        "it no longer holds production's previous build."
    )
    assert told(caught.value) == HINT_REDEPLOY


def test_swap_times_a_millisecond_apart_are_one_swap_and_two_are_not() -> None:
    services = released()
    swapped = last_swap(services)
    holder = services.fake.slot(STAGING)
    for offset in (timedelta(milliseconds=1), -timedelta(milliseconds=1)):
        holder.swap_status = SwapStatus(swapped.timestamp + offset, swapped.source, swapped.destination)
        assert plan_rollback(services, "rg-demo", "func-demo").holder == STAGING
    holder.swap_status = SwapStatus(swapped.timestamp - timedelta(milliseconds=2), "staging", "production")
    with pytest.raises(ConflictError, match="does not show the swap of"):
        plan_rollback(services, "rg-demo", "func-demo")


def test_a_holder_swapped_with_production_again_meanwhile_is_refused() -> None:
    services = released()
    first = last_swap(services)
    services.clock.advance(60)
    services.fake.swap_now(STAGING)  # a second release ...
    second = last_swap(services).timestamp
    services.fake.slot(PRODUCTION_SLOT).swap_status = first  # ... that production's read missed (a race)
    with pytest.raises(ConflictError) as caught:
        plan_rollback(services, "rg-demo", "func-demo")
    assert caught.value.message == (
        "Cannot roll back: slot 'staging' was swapped with production again at "
        f"{second:%Y-%m-%d %H:%M:%S} UTC."
    )
    assert told(caught.value) == (
        "Check what production runs now. `slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )


def test_rollback_swaps_back_and_frees_the_slot_for_the_fix() -> None:
    services = released()
    plan_time = last_swap(services).timestamp
    reporter = RecordingReporter()
    plan, result = rollback(services, "rg-demo", "func-demo", reporter=reporter, requested_by="carol")
    web = services.fake
    assert plan.holder == STAGING
    assert web.slot(PRODUCTION_SLOT).content.name == "build 40"
    assert web.slot(STAGING).content.name == "build 41"
    assert (result.source, result.target, result.phase) == (STAGING, PRODUCTION_SLOT, "swapped")
    assert find_hold(services, STAGING) is None
    mark = ReleaseMark.decode(web.slot(STAGING).tags[RELEASED_TAG])
    assert mark.by == "carol"
    assert mark.swap == web.slot(STAGING).swap_status.timestamp  # type: ignore[union-attr]
    assert reporter.texts("step")[0] == (
        "Rolling back app 'func-demo': swapping production with staging, which holds the build "
        f"production ran before {plan_time:%Y-%m-%d %H:%M:%S} UTC"
    )
    assert reporter.texts("detail")[-1] == (
        "staging now has the build that was rolled back; it is not held, so a fix can be deployed there"
    )
    assert not any("Releasing" in text for text in reporter.texts())  # the release is quiet


def test_rollback_waits_for_the_swap_no_longer_than_its_timeout() -> None:
    services = released()
    with pytest.raises(OperationTimeout):
        rollback(services, "rg-demo", "func-demo", reporter=RecordingReporter(), timeout=2)
    assert services.fake.running()  # the service goes on with it
