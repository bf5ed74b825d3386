"""The guard against overwriting production's previous build, against the live emulator.

The world is put into each state the way other tools would: builds go in with a raw Kudu zip deploy
(stamped like slotwise stamps them, or not at all), swaps through azure-mgmt-web's own poller with
no hold recorded (a swap made "by another tool"). Then slotwise's guard, holds and status look.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.azure.kudu import KuduClient
from slotwise.azure.models import PRODUCTION, SlotRef
from slotwise.builds import BuildInfo
from slotwise.cli.main import cli
from slotwise.cli.remedies import advice as told
from slotwise.errors import HeldSlotError, NotFoundError, OperationTimeout, UsageError
from slotwise.events import NullReporter, RecordingReporter
from slotwise.services import Services
from slotwise.slots.guard import check, guard
from slotwise.slots.holds import HOLD_TAG, RELEASED_TAG, find_hold, record_hold, release_hold
from slotwise.slots.status import app_status
from slotwise_emulator import Emulator, FunctionApp
from tests.fakes import FastClock
from tests.packages import app_files, write_zip

GROUP, APP = "rg-demo", "func-demo"
STAGING = SlotRef(GROUP, APP, "staging")
PARK = SlotRef(GROUP, APP, "park")


# ---- putting the world into a state -------------------------------------------------------------------
class World:
    """Deploys and swaps the way other tools do, and reads what each slot serves."""

    def __init__(self, emulator: Emulator, services: Services, token: str, tmp_path: Path) -> None:
        self.emulator, self.services, self.token, self.tmp = emulator, services, token, tmp_path
        self.verify = str(emulator.ca_path)

    def deploy(self, slot: str, version: str, *, stamped: bool = True) -> None:
        """Zip-deploy build ``version`` to ``slot`` through Kudu, synchronously."""
        info = self.services.web_apps.get(STAGING.other(slot))
        package = write_zip(self.tmp / f"{slot}-{version}.zip", app_files(version))
        params = {"message": BuildInfo(build_number=version).to_message()} if stamped else {}
        with package.open("rb") as body:
            answer = requests.post(
                f"https://{info.scm_host_name}/api/zipdeploy",
                params=params,
                data=body,
                headers={"Authorization": f"Bearer {self.token}"},
                verify=self.verify,
                timeout=60,
            )
        answer.raise_for_status()

    def swap(self, slot: str = "staging", target: str = PRODUCTION) -> datetime:
        """Swap as another tool would (no hold recorded); answers the swap's time."""
        self.services.web_apps.begin_swap(STAGING.other(slot), target).result()
        status = self.services.web_apps.get(STAGING.other(slot)).swap_status
        assert status is not None
        return status.timestamp

    def serving(self, slot: str) -> str:
        """The version a slot's Functions host answers on /api/health, or 'none'."""
        host = self.services.web_apps.get(STAGING.other(slot)).default_host_name
        answer = requests.get(f"https://{host}/api/health", verify=self.verify, timeout=30)
        return "none" if answer.status_code == 404 else str(answer.json()["version"])

    def builds(self, slot: str) -> list[str]:
        """The stamped build numbers of a slot's Kudu history, newest first."""
        info = self.services.web_apps.get(STAGING.other(slot))
        kudu = KuduClient.for_slot(self.services, info)
        try:
            return [d.build.build_number or "?" if d.build else "?" for d in kudu.deployments()]
        finally:
            kudu.close()

    def tags(self, slot: str) -> dict[str, str]:
        return self.services.web_apps.get(STAGING.other(slot)).tags


@pytest.fixture
def world(
    emulator: Emulator, function_app: FunctionApp, services: Services, arm_token: str, tmp_path: Path
) -> World:
    return World(emulator, services, arm_token, tmp_path)


@pytest.fixture
def swapped(world: World) -> datetime:
    """Build 1 was live, build 2 was in staging; another tool swapped them. Staging holds build 1."""
    world.deploy(PRODUCTION, "1")
    world.deploy("staging", "2")
    return world.swap()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args, "-g", GROUP, "-n", APP])


class ReleasingClock:
    """A FastClock whose first sleep runs ``on_sleep`` (someone releasing the hold meanwhile)."""

    def __init__(self, inner: FastClock, on_sleep: Callable[[], object]) -> None:
        self.inner, self.on_sleep, self.sleeps = inner, on_sleep, 0

    def now(self) -> datetime:
        return self.inner.now()

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
        self.sleeps += 1
        if self.sleeps == 1:
            self.on_sleep()


# ---- what a hold is --------------------------------------------------------------------------------
def test_a_slot_is_not_held_before_any_swap(world: World, services: Services) -> None:
    world.deploy("staging", "1")
    decision = check(services, STAGING, NullReporter())
    assert (decision.safe, decision.hold) == (True, None)
    assert decision.reasons == ["the slot has never been swapped"]


def test_a_swap_by_another_tool_leaves_staging_held_with_the_build_named(
    world: World, services: Services, swapped: datetime
) -> None:
    reporter = RecordingReporter()
    decision = check(services, STAGING, reporter)

    hold = decision.hold
    assert hold is not None
    assert not decision.safe
    assert (hold.build, hold.since, hold.by, hold.source) == ("build 1", swapped, None, "swap-status")
    assert hold.expires == swapped + timedelta(days=7)
    assert any("build 1" in d and "another tool" in d for d in reporter.texts("detail"))
    assert (world.serving(PRODUCTION), world.serving("staging")) == ("2", "1")
    assert check(services, STAGING.other(PRODUCTION), NullReporter()).safe  # production: never held


def test_a_slot_that_does_not_exist_holds_nothing(services: Services, function_app: FunctionApp) -> None:
    decision = check(services, STAGING.other("nope"), NullReporter())
    assert decision.safe
    assert "does not exist" in decision.reasons[0]


def test_an_unstamped_build_is_named_by_its_deployment(world: World, services: Services) -> None:
    world.deploy(PRODUCTION, "1", stamped=False)
    world.deploy("staging", "2")
    world.swap()
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert hold.build.startswith("deployment ")


def test_a_slot_that_never_had_a_deployment_is_held_after_a_swap(world: World, services: Services) -> None:
    world.deploy("staging", "2")
    world.swap()  # production had no content: staging now has none
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert hold.build == "an unlabelled build"


def test_a_redeployment_after_the_swap_ends_the_hold(
    world: World, services: Services, swapped: datetime
) -> None:
    world.deploy("staging", "3")
    decision = check(services, STAGING, NullReporter())
    assert decision.safe
    assert any("redeployed (build 3)" in reason for reason in decision.reasons)


def test_a_recorded_hold_names_who_swapped_and_which_build(
    world: World, services: Services, swapped: datetime
) -> None:
    recorded = record_hold(services, STAGING, BuildInfo(build_number="1"), "alice@example.org")

    tag = world.tags("staging")[HOLD_TAG]
    assert len(tag) <= 256
    assert json.loads(tag)["by"] == "alice@example.org"
    hold = find_hold(services, STAGING)
    assert hold == recorded
    assert hold is not None
    assert (hold.build, hold.by, hold.source, hold.since) == (
        "build 1",
        "alice@example.org",
        "slotwise",
        swapped,
    )


def test_release_ends_a_recorded_hold_and_the_inferred_one_for_that_swap(
    world: World, services: Services, swapped: datetime
) -> None:
    record_hold(services, STAGING, "build 1", "alice")
    reporter = RecordingReporter()

    result = release_hold(services, STAGING, by="bob", reporter=reporter)

    assert result.released is not None
    assert result.released.build == "build 1"
    assert result.swap == swapped
    tags = world.tags("staging")
    assert HOLD_TAG not in tags
    assert json.loads(tags[RELEASED_TAG])["by"] == "bob"
    assert find_hold(services, STAGING) is None  # nor inferred from the same swap
    assert world.serving("staging") == "1"  # nothing was deployed or deleted

    world.swap()  # a new swap: staging now holds build 2, whatever was released before
    hold = find_hold(services, STAGING)
    assert hold is not None
    assert hold.build == "build 2"


def test_releasing_a_slot_that_holds_nothing_is_harmless(world: World, services: Services) -> None:
    world.deploy("staging", "1")
    result = release_hold(services, STAGING, by="bob", reporter=NullReporter())
    assert (result.released, result.swap) == (None, None)
    assert world.tags("staging") == {}  # nothing written


def test_production_is_never_recorded_as_held(services: Services, swapped: datetime) -> None:
    with pytest.raises(UsageError):
        record_hold(services, STAGING.other(PRODUCTION), "build 2", "alice")


def test_holds_expire(world: World, services: Services, fast_clock: FastClock, swapped: datetime) -> None:
    record_hold(services, STAGING, "build 1", "alice", expires=services.clock.now() - timedelta(minutes=1))
    assert find_hold(services, STAGING) is None  # a record with a past expiry

    release_hold(services, STAGING, by="test", reporter=NullReporter())
    world.swap()
    world.swap()  # a fresh swap by another tool: inferred again, 7 days by default
    assert find_hold(services, STAGING) is not None
    fast_clock.sleep(8 * 86400)  # eight days later
    assert find_hold(services, STAGING) is None
    assert find_hold(services, STAGING, hold_days=30) is not None


# ---- fail ------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("slot_env")
def test_fail_mode_exits_7_naming_the_build_when_by_whom_and_the_ways_on(
    world: World, swapped: datetime
) -> None:
    result = run("guard", "-s", "staging")

    assert result.exit_code == 7, result.output
    assert result.stdout == ""
    error = result.stderr
    assert "build 1" in error
    assert "staging" in error
    assert f"{swapped:%Y-%m-%d %H:%M} UTC" in error
    assert "another tool" in error
    assert "--mode park" in error
    assert "slotwise slot release-hold" in error
    assert "--allow-overwrite" in error
    assert "Traceback" not in result.output


def test_fail_mode_raises_held_slot_error_naming_who(services: Services, swapped: datetime) -> None:
    record_hold(services, STAGING, "build 1", "alice")
    with pytest.raises(HeldSlotError) as refused:
        guard(services, STAGING, mode="fail", reporter=NullReporter())
    message = refused.value.message
    assert "holds build 1" in message
    assert f"swapped out of production at {swapped:%Y-%m-%d %H:%M} UTC by alice" in message
    for way in ("--mode park", "slotwise slot release-hold", "--allow-overwrite"):
        assert way not in message  # the message says what is wrong in words for every face ...
        assert way in told(refused.value)  # ... the CLI words the ways on as commands
    assert refused.value.exit_code == 7


@pytest.mark.usefixtures("slot_env")
def test_guard_on_a_free_slot_exits_0(world: World) -> None:
    world.deploy("staging", "1")
    result = run("guard", "-s", "staging", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["slot"], data["held"], data["outcome"]) == ("staging", None, "free")


# ---- wait ------------------------------------------------------------------------------------------
def test_wait_returns_when_someone_releases_the_hold_meanwhile(
    services: Services, fast_clock: FastClock, swapped: datetime
) -> None:
    clock = ReleasingClock(
        fast_clock, lambda: release_hold(services, STAGING, by="carol", reporter=NullReporter())
    )
    waiting = dataclasses.replace(services, clock=clock)

    result = guard(waiting, STAGING, mode="wait", wait_timeout=600, poll_interval=30, reporter=NullReporter())

    assert (result.outcome, result.mode) == ("released", "wait")
    assert result.decision.hold is not None
    assert result.decision.hold.build == "build 1"
    assert fast_clock.sleeps == [30]
    assert result.waited >= 30


def test_wait_returns_when_the_hold_expires(
    services: Services, fast_clock: FastClock, swapped: datetime
) -> None:
    result = guard(
        services,
        STAGING,
        mode="wait",
        wait_timeout=4 * 3600,
        poll_interval=600,
        hold_days=1 / 24,  # one hour
        reporter=NullReporter(),
    )
    assert result.outcome == "expired"
    assert 3600 - 600 <= sum(fast_clock.sleeps) <= 3600 + 600


def test_wait_times_out_while_the_hold_lasts(
    services: Services, fast_clock: FastClock, swapped: datetime
) -> None:
    with pytest.raises(OperationTimeout) as timed_out:
        guard(services, STAGING, mode="wait", wait_timeout=100, poll_interval=30, reporter=NullReporter())
    assert fast_clock.sleeps[:3] == [30, 30, 30]
    assert len(fast_clock.sleeps) == 4
    assert 9 < fast_clock.sleeps[3] <= 10
    assert "still holds build 1" in timed_out.value.message
    assert timed_out.value.exit_code == 6


# ---- park ------------------------------------------------------------------------------------------
def test_park_moves_the_held_build_to_the_park_slot_and_frees_staging(
    world: World, services: Services, swapped: datetime
) -> None:
    record_hold(services, STAGING, "build 1", "alice")

    result = guard(services, STAGING, mode="park", create_park_slot=True, reporter=NullReporter())

    assert (result.outcome, result.parked_in) == ("parked", PARK)
    assert (world.serving(PRODUCTION), world.serving("park"), world.serving("staging")) == ("2", "1", "none")
    assert (world.builds("park"), world.builds("staging")) == (["1"], [])
    parked = find_hold(services, PARK)
    assert parked is not None
    assert (parked.build, parked.by, parked.since, parked.parked_from) == (
        "build 1",
        "alice",
        swapped,
        "staging",
    )
    assert find_hold(services, STAGING) is None
    assert HOLD_TAG not in world.tags("staging")
    assert check(services, STAGING, NullReporter()).safe


def test_park_of_an_inferred_hold_says_who_as_another_tool(
    world: World, services: Services, swapped: datetime
) -> None:
    guard(services, STAGING, mode="park", create_park_slot=True, reporter=NullReporter())
    parked = find_hold(services, PARK)
    assert parked is not None
    assert parked.by is None
    assert parked.build == "build 1"
    assert "another tool" in parked.swapped_by
    assert world.serving("park") == "1"


@pytest.mark.usefixtures("slot_env")
def test_park_without_a_park_slot_says_how_to_create_one(world: World, swapped: datetime) -> None:
    result = run("guard", "-s", "staging", "--mode", "park")
    assert result.exit_code == NotFoundError.exit_code, result.output
    assert "no slot 'park'" in result.stderr
    assert "--create-park-slot" in result.stderr
    assert world.serving("staging") == "1"  # nothing moved


def test_park_refuses_a_park_slot_that_is_itself_held(
    world: World, services: Services, swapped: datetime
) -> None:
    services.web_apps.create_slot(PARK)
    record_hold(services, PARK, "build 0", "dave")
    with pytest.raises(HeldSlotError) as refused:
        guard(services, STAGING, mode="park", reporter=NullReporter())
    assert "Cannot park in slot 'park'" in refused.value.message
    assert "build 0" in refused.value.message
    assert world.serving("staging") == "1"


@pytest.mark.usefixtures("slot_env")
def test_park_through_the_cli_into_a_named_slot(world: World, swapped: datetime) -> None:
    result = run("guard", "-s", "staging", "--mode", "park", "--park-slot", "Keep", "--create-park-slot")
    assert result.exit_code == 0, result.output
    assert "moved from slot 'staging' to slot 'keep'" in result.stdout
    assert world.serving("keep") == "1"


# ---- release-hold and status through the CLI ---------------------------------------------------------
@pytest.mark.usefixtures("slot_env")
def test_release_hold_command(world: World, services: Services, swapped: datetime) -> None:
    result = run("release-hold", "-s", "staging", "--by", "erin", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["slot"], data["released"]["build"], data["by"]) == ("staging", "build 1", "erin")
    assert run("guard", "-s", "staging").exit_code == 0
    again = run("release-hold", "-s", "staging")
    assert again.exit_code == 0
    assert "held nothing" in again.stdout


@pytest.mark.usefixtures("slot_env")
def test_status_shows_builds_holds_and_swaps_as_a_table_and_as_json(
    emulator: Emulator, world: World, services: Services, swapped: datetime
) -> None:
    record_hold(services, STAGING, "build 1", "alice")
    table = run("status")
    as_json = run("status", "-o", "json")

    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[2].split()[:8] == ["SLOT", "BUILD", "DEPLOYED", "HOLD", "HELD", "BY", "SINCE", "EXPIRES"]
    production = next(line for line in lines if line.startswith("production"))
    staging = next(line for line in lines if line.startswith("staging"))
    assert "build 2" in production
    assert "staging -> production" in production
    assert "build 1" in staging
    assert "alice" in staging
    assert f"{swapped:%Y-%m-%d %H:%M}" in staging

    data = json.loads(as_json.stdout)
    slots = {s["slot"]: s for s in data["slots"]}
    assert list(slots) == ["production", "staging"]
    assert slots["production"]["build"]["label"] == "build 2"
    assert slots["production"]["hold"] is None
    assert slots["staging"]["hold"]["build"] == "build 1"
    assert slots["staging"]["hold"]["by"] == "alice"
    assert slots["staging"]["lastSwap"]["destination"] == "production"
    assert slots["staging"]["build"]["deployedAt"] < slots["staging"]["lastSwap"]["at"]

    issued = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    secrets = [s for values in issued.json().values() if isinstance(values, list) for s in values]
    assert secrets
    everything = table.output + as_json.output + run("guard", "-s", "staging").output
    assert [s for s in secrets if isinstance(s, str) and s in everything] == []


def test_status_reads_every_slot(world: World, services: Services, swapped: datetime) -> None:
    world.deploy("staging", "3")
    status = app_status(services, GROUP, APP)
    assert [(s.info.ref.slot, s.content.label if s.content else None) for s in status.slots] == [
        ("production", "build 2"),
        ("staging", "build 3"),
    ]
    assert all(s.hold.hold is None for s in status.slots)
