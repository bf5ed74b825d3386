"""The watch over a deployment racing a swap (``slots.deploy_race``), on the in-memory Azure: what is
refused before the upload, what is said when Kudu has taken it, and the verdict after the
deployment: the rollback build a racing swap brought into the slot and the deployment destroyed is
named (exit 7), the build that moved away with the swap is told where it runs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from slotwise.azure.kudu import SWAP_IN_PROGRESS, KuduClient, KuduDeployment
from slotwise.azure.models import SlotRef
from slotwise.builds import BuildInfo
from slotwise.cli.remedies import advice as told
from slotwise.errors import ConflictError, HeldBuildDestroyed, NotFoundError, OutcomeUnknown, RemoteError
from slotwise.events import RecordingReporter
from slotwise.slots.deploy_race import Race, before_upload
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

BUILD_40, BUILD_41, BUILD_42 = (BuildInfo(build_number=n) for n in ("40", "41", "42"))
QA = STAGING.other("qa")


def ready() -> FakeServices:
    """Production runs build 40, staging build 41, qa build 39; the clock at 12:03 (three deploys)."""
    services = fake_services(slots=("staging", "qa"))
    web = services.fake
    web.deploy(PRODUCTION_SLOT, BUILD_40)
    web.deploy(STAGING, BUILD_41)
    web.deploy(QA, BuildInfo(build_number="39"))
    web.calls.clear()
    return services


def watch(
    services: FakeServices,
    ref: SlotRef = STAGING,
    *,
    allow_overwrite: bool = False,
    warned: str | None = None,
) -> tuple[Race, RecordingReporter]:
    """The watch as ``deploy`` starts it once Kudu is about to take ``BUILD_42`` into ``ref``."""
    reporter = RecordingReporter()
    seen = services.web_apps.get(ref)
    kudu = KuduClient.for_slot(services, seen)
    return Race(services, kudu, seen, BUILD_42, allow_overwrite, warned, reporter), reporter


def deployed(services: FakeServices, ref: SlotRef = STAGING) -> KuduDeployment:
    """Kudu deploys ``BUILD_42`` into ``ref`` (one minute): its record, as Kudu reports it."""
    deployment_id = services.fake.deploy(ref, BUILD_42)
    kudu = KuduClient.for_slot(services, services.web_apps.get(ref))
    return next(d for d in kudu.deployments() if d.id == deployment_id)


def what_runs(services: FakeServices) -> tuple[str, str]:
    web = services.fake
    return web.slot(PRODUCTION_SLOT).content.name, web.slot(STAGING).content.name


# ---- before the upload -----------------------------------------------------------------------------------
def never_checked(ref: SlotRef) -> str | None:
    raise AssertionError(f"the guard ran again for {ref}")


def test_a_slot_that_did_not_change_is_not_checked_again() -> None:
    services = ready()
    checked = services.web_apps.get(STAGING)
    reporter = RecordingReporter()
    now, warned = before_upload(services, checked, "build 39", never_checked, reporter)
    assert (now, warned) == (checked, "build 39")
    assert reporter.events == []


def test_a_slot_swapped_since_its_check_is_checked_again() -> None:
    services = ready()
    checked = services.web_apps.get(STAGING)
    services.fake.swap_now(STAGING)  # another release: staging now holds build 40
    asked: list[SlotRef] = []

    def check(ref: SlotRef) -> str | None:
        asked.append(ref)
        return "build 40"

    reporter = RecordingReporter()
    now, warned = before_upload(services, checked, None, check, reporter)
    assert (asked, warned) == ([STAGING], "build 40")
    assert now == services.web_apps.get(STAGING)
    assert reporter.texts() == [
        "func-demo/staging was swapped since it was checked (staging -> production at "
        "2025-03-01 12:03 UTC): checking again"
    ]


def test_a_slot_recreated_since_its_check_is_checked_again() -> None:
    services = ready()
    web = services.fake
    web.swap_now(STAGING)
    checked = services.web_apps.get(STAGING)
    web.slot(STAGING).swap_status = None  # deleted and created again: no swap record
    reporter = RecordingReporter()
    _, warned = before_upload(services, checked, None, lambda ref: "checked again", reporter)
    assert warned == "checked again"
    assert reporter.texts() == [
        "func-demo/staging was swapped since it was checked (no swap): checking again"
    ]


@pytest.mark.parametrize("prepared", [True, False])
def test_a_swap_running_or_prepared_on_the_slot_refuses_the_upload(prepared: bool) -> None:
    services = ready()
    web = services.fake
    checked = services.web_apps.get(STAGING)
    if prepared:
        web.apply_swap_preview(STAGING, "production")
    else:
        web.begin_swap(STAGING, "production")  # runs for five seconds
    with pytest.raises(ConflictError) as caught:
        before_upload(services, checked, None, never_checked, RecordingReporter())
    error = caught.value
    assert error.exit_code == 5
    assert error.code == SWAP_IN_PROGRESS
    assert error.message == (
        "A swap of func-demo/staging with slot 'production' is in progress (or prepared): "
        "nothing was uploaded."
    )
    assert told(error) == (
        "Wait for the swap to end (or cancel a prepared swap with preview), then look at the slot before "
        "deploying: after a swap with production it holds production's previous build, the rollback. "
        "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )
    assert web.host_requests == []  # nothing went to Kudu


# ---- when Kudu has taken the upload ----------------------------------------------------------------------
def test_nothing_is_said_when_the_slot_was_not_swapped() -> None:
    services = ready()
    race, reporter = watch(services)
    race.on_accepted()
    assert reporter.events == []


def test_a_swap_with_production_during_the_upload_is_warned_about_at_once() -> None:
    services = ready()
    race, reporter = watch(services)
    services.fake.swap_now(STAGING)
    race.on_accepted()
    assert reporter.events == [
        (
            "warning",
            "func-demo/staging was swapped with slot 'production' while the package was uploading "
            "(staging -> production at 2025-03-01 12:03 UTC): Kudu is deploying build 42 over "
            "production's previous build (the rollback).",
        )
    ]


@pytest.mark.parametrize(
    ("ref", "swapped", "partner"),
    [(STAGING, QA, "qa"), (PRODUCTION_SLOT, STAGING, "staging")],
)
def test_a_swap_that_brings_no_rollback_build_names_the_slot_it_came_from(
    ref: SlotRef, swapped: SlotRef, partner: str
) -> None:
    services = ready()
    race, reporter = watch(services, ref)
    services.fake.swap_now(swapped, ref.slot)
    race.on_accepted()
    assert reporter.texts("warning") == [
        f"{ref} was swapped with slot '{partner}' while the package was uploading ({swapped.slot} -> "
        f"{ref.slot} at 2025-03-01 12:03 UTC): Kudu is deploying build 42 over what slot '{partner}' ran."
    ]


def test_a_swap_still_running_when_kudu_takes_the_upload_waits_for_the_verdict() -> None:
    services = ready()
    race, reporter = watch(services)
    services.fake.begin_swap(STAGING, "production")  # running: no swap status yet
    race.on_accepted()
    assert reporter.events == []


def test_a_slot_that_cannot_be_read_after_the_upload_is_said_and_left_to_the_verdict() -> None:
    services = ready()
    race, reporter = watch(services)
    services.fake.inject("get", RemoteError("Connection aborted."))
    race.on_accepted()
    assert reporter.events == [
        ("detail", "could not read func-demo/staging after the upload (Connection aborted.)")
    ]


# ---- after the deployment --------------------------------------------------------------------------------
def test_a_deployment_without_a_swap_is_no_race() -> None:
    services = ready()
    race, reporter = watch(services, warned="build 39")
    assert race.after_deployment(deployed(services)) == "build 39"  # the overwrite agreed beforehand
    assert reporter.events == []
    assert what_runs(services) == ("build 40", "build 42")


def test_a_swap_with_production_during_the_deployment_destroyed_the_rollback_build() -> None:
    services = ready()
    race, reporter = watch(services)
    services.fake.swap_now(STAGING)  # another release swaps while Kudu deploys: build 40 comes to staging
    ours = deployed(services)
    with pytest.raises(HeldBuildDestroyed) as caught:
        race.after_deployment(ours)
    error = caught.value
    assert (error.exit_code, error.build) == (7, "build 40")
    assert error.message == (
        "Build 40, production's previous build (the rollback), was destroyed in slot 'staging' of app "
        "'func-demo': while build 42 was being deployed there, another operation swapped 'staging' with "
        "production (staging -> production at 2025-03-01 12:03 UTC), which moved build 40 into 'staging', "
        "and this deployment replaced it. Slot 'staging' now runs build 42."
    )
    assert told(error) == (
        "Swapping back cannot bring build 40 back any more. If production needs a rollback, redeploy "
        "build 40 from its build artifact to a slot. Serialise releases to app 'func-demo' (one stage "
        "deploys or swaps at a time)."
    )
    assert what_runs(services) == ("build 41", "build 42")
    assert reporter.texts("warning") == []


def test_the_destroyed_build_the_user_allowed_is_reported_as_that_overwrite() -> None:
    services = ready()
    race, reporter = watch(services, allow_overwrite=True, warned="build 40")
    services.fake.swap_now(STAGING)
    assert race.after_deployment(deployed(services)) == "build 40"
    assert reporter.texts("warning") == [
        "func-demo/staging was swapped with production during the deployment (staging -> "
        "production at 2025-03-01 12:03 UTC); build 42 replaced build 40, the build the overwrite was "
        "allowed for."
    ]


@pytest.mark.parametrize(("allow_overwrite", "warned"), [(True, "build 39"), (False, "build 40")])
def test_an_overwrite_allowed_for_another_build_or_not_allowed_does_not_cover_the_destroyed_one(
    allow_overwrite: bool, warned: str
) -> None:
    services = ready()
    race, _ = watch(services, allow_overwrite=allow_overwrite, warned=warned)
    services.fake.swap_now(STAGING)
    with pytest.raises(HeldBuildDestroyed) as caught:
        race.after_deployment(deployed(services))
    assert caught.value.build == "build 40"


@pytest.mark.parametrize(
    ("ref", "swapped", "partner"),
    [(STAGING, QA, "qa"), (PRODUCTION_SLOT, STAGING, "staging")],
)
def test_a_swap_that_brought_no_rollback_build_is_a_warning(
    ref: SlotRef, swapped: SlotRef, partner: str
) -> None:
    services = ready()
    race, reporter = watch(services, ref, warned="build 38")
    services.fake.swap_now(swapped, ref.slot)
    assert race.after_deployment(deployed(services, ref)) == "build 38"
    assert reporter.texts("warning") == [
        f"{ref} was swapped with slot '{partner}' during the deployment ({swapped.slot} -> {ref.slot} at "
        f"2025-03-01 12:03 UTC): build 42 replaced what came from slot '{partner}'."
    ]


def test_a_deployment_the_swap_moved_away_says_where_the_build_runs_now() -> None:
    services = ready()
    race, _ = watch(services)
    ours = deployed(services)
    services.fake.swap_now(STAGING)  # Kudu had finished: build 42 went to production with the swap
    with pytest.raises(ConflictError) as caught:
        race.after_deployment(ours)
    error = caught.value
    assert not isinstance(error, HeldBuildDestroyed)
    assert (error.exit_code, error.code) == (5, "SwappedDuringDeployment")
    assert error.message == (
        "build 42 did not stay in func-demo/staging: the slot was swapped with slot 'production' "
        "(staging -> production at 2025-03-01 12:04 UTC) after Kudu had deployed it, so build 42 now runs "
        "in slot 'production' and func-demo/staging runs what 'production' ran."
    )
    assert told(error) == (
        "Another operation (a release, the portal) swapped the slot while this deployment ran. Look at "
        "the slots and decide what must run where; serialise releases to app 'func-demo'. "
        "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )
    assert what_runs(services) == ("build 42", "build 40")


@pytest.mark.parametrize("swapped_before", [False, True], ids=["never-swapped", "swapped-before"])
def test_a_swap_still_running_after_the_deployment_is_a_warning_that_the_build_moves_with_it(
    swapped_before: bool,
) -> None:
    services = ready()
    if swapped_before:  # an earlier release swapped staging out and back: it has a swap record
        services.fake.swap_now(STAGING)
        services.fake.swap_now(STAGING)
    race, reporter = watch(services, warned="build 38")
    ours = deployed(services)
    services.fake.begin_swap(STAGING, "production")
    assert race.after_deployment(ours) == "build 38"
    assert reporter.texts("warning") == [
        "func-demo/staging is being swapped with slot 'production': build 42 moves with that swap. "
        "The slots show where each build runs once it ends."
    ]


def test_a_slot_that_cannot_be_read_after_the_deployment_is_an_unknown_outcome() -> None:
    services = ready()
    race, _ = watch(services)
    ours = deployed(services)
    services.fake.inject("get", RemoteError("Connection aborted."))
    with pytest.raises(OutcomeUnknown) as caught:
        race.after_deployment(ours)
    error = caught.value
    assert error.exit_code == 10
    assert error.message == (
        f"build 42 was deployed to func-demo/staging (Kudu deployment {ours.id}), but the slot "
        "could not be read afterwards (Connection aborted.): whether a swap meanwhile brought production's "
        "previous build into the slot, and this deployment replaced it, cannot be told."
    )
    assert told(error) == (
        "Look at the slots (what each runs, its last swap) before swapping or rolling back. "
        "`slotwise slot status -g rg-demo -n func-demo` shows the slots."
    )


def test_kudus_history_that_cannot_be_read_after_a_swap_is_an_unknown_outcome() -> None:
    services = ready()
    race, _ = watch(services)
    services.fake.swap_now(STAGING)
    ours = deployed(services)
    gone = replace(services.web_apps.get(STAGING), scm_host_name="gone.scm.azurewebsites.test")
    race.kudu = KuduClient.for_slot(services, gone)  # its Kudu answers 404
    with pytest.raises(OutcomeUnknown) as caught:
        race.after_deployment(ours)
    assert caught.value.message.startswith(
        f"build 42 was deployed to func-demo/staging (Kudu deployment {ours.id}), but the slot "
        "could not be read afterwards ("
    )


# ---- Kudu lost the deployment ----------------------------------------------------------------------------
def test_a_deployment_kudu_lost_to_a_swap_says_where_it_went() -> None:
    services = ready()
    race, _ = watch(services)
    services.fake.swap_now(STAGING)
    with pytest.raises(ConflictError) as caught:
        race.lost_deployment()
    assert caught.value.code == "SwappedDuringDeployment"
    assert "so build 42 now runs in slot 'production'" in caught.value.message


def test_a_deployment_kudu_lost_without_a_swap_leaves_the_callers_error() -> None:
    services = ready()
    race, _ = watch(services)
    race.lost_deployment()  # returns: the caller raises Kudu's 404
    services.fake.begin_swap(STAGING, "production")  # running, not ended: no swap to name yet
    race.lost_deployment()
    services.fake.inject("get", NotFoundError("gone", status=404))
    race.lost_deployment()


def test_a_deployment_kudu_lost_while_a_swap_runs_names_no_earlier_swap() -> None:
    """The slot's last swap record is an older swap; the swap now running has not ended, so it is not
    yet what moved the build: no 'swapped at <the older swap's time>' verdict, the caller's error stands."""
    services = ready()
    services.fake.swap_now(STAGING)  # an older swap, already in the slot's record
    race, _ = watch(services)
    services.fake.begin_swap(STAGING, "production")  # running now
    race.lost_deployment()
