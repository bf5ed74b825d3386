"""A deployment racing a swap, an upload whose answer is lost, Ctrl-C during an upload: against the
live emulator, through the real clients and the CLI.

The races are real: the upload is held up in the emulator (a ``latency_ms`` + ``passthrough`` fault on
``/api/zipdeploy``: the request has arrived, the service handles it after the delay) and another
release swaps staging with production meanwhile, from another thread, through the unmodified
azure-mgmt-web client. The fault rule fires once and is then gone from the control plane's list:
that is how the test knows the upload is in flight.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import CsmSlotEntity
from click.testing import CliRunner, Result

from slotwise.azure.kudu import KuduClient
from slotwise.azure.models import SlotRef
from slotwise.builds import BuildInfo
from slotwise.cli.main import cli
from slotwise.cli.remedies import advice as told
from slotwise.errors import Cancelled, HeldBuildDestroyed, HeldSlotError
from slotwise.events import RecordingReporter
from slotwise.services import Services
from slotwise.slots.deploy import DeployRequest, deploy
from slotwise.slots.guard import check
from slotwise.slots.model import GuardDecision
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests.functional.control import add_fault, faults, uploads
from tests.functional.deploying import serving
from tests.packages import NOT_AN_APP, good_build, not_an_app, write_zip

STAGING = SlotRef("rg-demo", "func-demo", "staging")
PRODUCTION = SlotRef("rg-demo", "func-demo", "production")
HELD = "build 20260101.1"  # production's build before the race: the rollback the race must not lose silently


# ---- helpers ------------------------------------------------------------------------------------------
def kudu(services: Services, ref: SlotRef) -> KuduClient:
    return KuduClient.for_slot(services, services.web_apps.get(ref))


def stamps(services: Services, ref: SlotRef) -> list[str]:
    """The build labels of every deployment Kudu of ``ref`` knows (newest first)."""
    return [d.build.label if d.build else "unstamped" for d in kudu(services, ref).deployments()]


def ship(services: Services, tmp_path: Path, slot: str, number: str, version: str) -> None:
    """Put a stamped build into a slot, the way an earlier release did."""
    package = good_build(tmp_path / f"{slot}-{version}.zip", version)
    request = DeployRequest("rg-demo", "func-demo", slot, package, build=BuildInfo(build_number=number))
    deploy(services, request, guard=None, reporter=RecordingReporter())


def swap_with_production(web: WebSiteManagementClient) -> None:
    """Another release swaps staging into production (and waits until the service has done it)."""
    web.web_apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", CsmSlotEntity(target_slot="production"), polling_interval=0
    ).result()


def hold_upload(emulator: Emulator, seconds: float) -> None:
    """Hold up the next upload in the emulator for ``seconds`` after it arrived."""
    add_fault(
        emulator,
        path="^/api/zipdeploy$",
        kind="scm",
        latency_ms=int(seconds * 1000),
        passthrough=True,
        count=1,
    )


def ctrl_c() -> None:
    """Ctrl-C, as the terminal sends it: SIGINT to the main thread, which is blocked waiting for Kudu's
    answer (the wait is interrupted and KeyboardInterrupt raised there). ``_thread.interrupt_main``
    would only flag it, to be raised wherever the main thread next runs Python code: under load that
    can be a finalizer, which swallows it."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@contextmanager
def python_handles_ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, as in a terminal, while the block runs. A test run started in
    the background by a shell without job control inherits SIGINT ignored (POSIX), and Python then
    leaves it ignored: Ctrl-C would not reach the deployment at all."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def when_upload_arrives(emulator: Emulator, then: Callable[[], object]) -> Iterator[None]:
    """Run ``then`` in another thread as soon as the held-up upload has arrived at the emulator (the
    fault rule fired: it is gone from the list), while the block runs."""
    errors: list[BaseException] = []

    def watch() -> None:
        try:
            deadline = time.monotonic() + 60
            while faults(emulator):
                assert time.monotonic() < deadline, "the upload never arrived"
                time.sleep(0.02)
            then()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(timeout=60)
    assert not errors, errors


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", *args])


def deploy_cli(package: Path, *options: str) -> Result:
    """``slotwise slot deploy`` of ``package`` to staging of func-demo."""
    return run_cli(
        "deploy", "-g", "rg-demo", "-n", "func-demo", "-s", "staging", "--package", str(package), *options
    )


def build_3(tmp_path: Path) -> Path:
    """The next release's package: version 3 of the app."""
    return good_build(tmp_path / "v3.zip", "3")


def request_3(tmp_path: Path) -> DeployRequest:
    """Deploying build 20260101.3 (version 3) to staging, as the library is asked."""
    return DeployRequest(
        "rg-demo", "func-demo", "staging", build_3(tmp_path), build=BuildInfo(build_number="20260101.3")
    )


@pytest.fixture
def web(web_client: WebSiteManagementClient) -> WebSiteManagementClient:
    return web_client


@pytest.fixture
def released(
    emulator: Emulator,
    function_app: FunctionApp,
    slot_env: dict[str, str],
    services: Services,
    tmp_path: Path,
) -> None:
    """Production runs build 20260101.1 (version 1), staging the next release's build 20260101.2
    (version 2), tested and about to be swapped in; no swap yet, so staging holds nothing."""
    ship(services, tmp_path, "production", "20260101.1", "1")
    ship(services, tmp_path, "staging", "20260101.2", "2")


# ---- defect 3: a deploy racing a swap -----------------------------------------------------------------
@pytest.mark.usefixtures("released")
def test_a_swap_during_the_upload_that_destroys_the_rollback_is_a_loud_failure_naming_it(
    emulator: Emulator, services: Services, web: WebSiteManagementClient, tmp_path: Path
) -> None:
    hold_upload(emulator, 3)

    with when_upload_arrives(emulator, lambda: swap_with_production(web)):
        result = deploy_cli(build_3(tmp_path), "--build-number", "20260101.3")

    assert result.exit_code == 7, result.output
    assert HELD in result.output
    assert "was destroyed" in result.output
    assert "swapped 'staging' with production" in result.output
    assert "Traceback" not in result.output
    # what is true now, and what slot status says
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "3")
    assert HELD not in stamps(services, STAGING)[:1]
    status = run_cli("status", "-g", "rg-demo", "-n", "func-demo", "-o", "json")
    assert status.exit_code == 0, status.output
    slots = {s["slot"]: s for s in json.loads(status.stdout)["slots"]}
    assert slots["staging"]["build"]["label"] == "build 20260101.3"
    assert slots["staging"]["hold"] is None  # nothing to roll back to any more: status does not pretend
    rollback = run_cli("rollback", "-g", "rg-demo", "-n", "func-demo")
    assert rollback.exit_code != 0, rollback.output  # swapping back would put build .3 live, not build .1
    assert "Traceback" not in rollback.output
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "3")


@pytest.mark.usefixtures("released")
def test_the_library_raises_held_build_destroyed_with_the_label(
    emulator: Emulator, services: Services, web: WebSiteManagementClient, tmp_path: Path
) -> None:
    reporter = RecordingReporter()
    request = request_3(tmp_path)
    hold_upload(emulator, 3)

    with (
        pytest.raises(HeldBuildDestroyed) as caught,
        when_upload_arrives(emulator, lambda: swap_with_production(web)),
    ):
        deploy(services, request, guard=lambda ref: check(services, ref, reporter), reporter=reporter)

    assert caught.value.build == HELD
    assert caught.value.exit_code == 7
    assert "slot 'staging' of app 'func-demo'" in caught.value.message
    assert any("while the package was uploading" in w for w in reporter.texts("warning"))


@pytest.mark.usefixtures("released")
def test_a_swap_still_running_when_the_upload_arrives_is_said_as_a_swap(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    sub = emulator.subscription_id
    emulator.set_speed(Speed(swap_seconds=600))
    hold_upload(emulator, 2)

    def start_swap() -> None:
        emulator.call(lambda b: b.web.start_swap(sub, "rg-demo", "func-demo", "staging", "production"))

    with when_upload_arrives(emulator, start_swap):
        result = deploy_cli(build_3(tmp_path))

    assert result.exit_code == 5, result.output
    assert "A swap is in progress on func-demo/staging" in result.output
    assert "already running" not in result.output
    assert "Nothing was deployed" in result.output
    assert stamps(services, STAGING) == ["build 20260101.2"]  # nothing deployed


@pytest.mark.usefixtures("released")
def test_a_swap_running_before_the_upload_is_refused_without_sending_the_package(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    sub = emulator.subscription_id
    emulator.set_speed(Speed(swap_seconds=600))
    emulator.call(lambda b: b.web.start_swap(sub, "rg-demo", "func-demo", "staging", "production"))
    before = uploads(emulator)

    result = deploy_cli(build_3(tmp_path))

    assert result.exit_code == 5, result.output
    assert "A swap of func-demo/staging with slot 'production' is in progress" in result.output
    assert "nothing was uploaded" in result.output
    assert uploads(emulator) == before


@pytest.mark.usefixtures("released")
def test_a_swap_right_after_the_guard_checked_makes_it_check_again_and_refuse(
    emulator: Emulator, services: Services, web: WebSiteManagementClient, tmp_path: Path
) -> None:
    reporter = RecordingReporter()
    calls: list[GuardDecision] = []

    def guard(ref: SlotRef) -> GuardDecision:
        decision = check(services, ref, reporter)
        calls.append(decision)
        if len(calls) == 1:
            swap_with_production(web)  # another release swaps the moment after the check
        return decision

    before = uploads(emulator)
    request = DeployRequest("rg-demo", "func-demo", "staging", build_3(tmp_path))

    with pytest.raises(HeldSlotError) as caught:
        deploy(services, request, guard=guard, reporter=reporter)

    assert not isinstance(caught.value, HeldBuildDestroyed)  # refused in time: nothing was destroyed
    assert [d.hold is None for d in calls] == [True, False]
    assert HELD in caught.value.message
    assert uploads(emulator) == before
    assert serving(emulator, "staging") == "1"  # the rollback is still there
    assert any("was swapped since it was checked" in s for s in reporter.texts("step"))


@pytest.mark.usefixtures("released")
def test_allow_overwrite_reports_the_race_as_the_agreed_overwrite_only_for_the_warned_build(
    emulator: Emulator, services: Services, web: WebSiteManagementClient, tmp_path: Path
) -> None:
    swap_with_production(web)  # production runs build .2; staging holds build .1, the rollback
    reporter = RecordingReporter()

    def request(version: str) -> DeployRequest:
        return DeployRequest(
            "rg-demo", "func-demo", "staging", good_build(tmp_path / f"v{version}.zip", version),
            build=BuildInfo(build_number=f"20260101.{version}"), allow_overwrite=True,
        )  # fmt: skip

    def guard(ref: SlotRef) -> GuardDecision:
        return check(services, ref, reporter)

    # swapped twice while uploading: staging holds build .1 again, the build the user agreed to destroy
    hold_upload(emulator, 3)
    with when_upload_arrives(emulator, lambda: (swap_with_production(web), swap_with_production(web))):
        agreed = deploy(services, request("3"), guard=guard, reporter=reporter)
    assert agreed.overwrote == HELD
    assert any("the build the overwrite was allowed for" in w for w in reporter.texts("warning"))

    # staging runs .3 now (held nothing when checked); swapped once while uploading: production's .2
    # came in and was destroyed, a build --allow-overwrite never warned about: a loud failure
    hold_upload(emulator, 3)
    with (
        pytest.raises(HeldBuildDestroyed) as caught,
        when_upload_arrives(emulator, lambda: swap_with_production(web)),
    ):
        deploy(services, request("4"), guard=guard, reporter=reporter)
    assert caught.value.build == "build 20260101.2"
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("3", "4")


# ---- defect 4: not a function app ---------------------------------------------------------------------
@pytest.mark.usefixtures("released")
@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_package_without_host_json_is_refused_before_the_upload(
    emulator: Emulator, services: Services, tmp_path: Path, kind: str
) -> None:
    if kind == "zip":
        package = write_zip(tmp_path / "readme.zip", NOT_AN_APP)
    else:
        package = not_an_app(tmp_path / "site")
    before = uploads(emulator)

    result = deploy_cli(package)

    assert result.exit_code == 2, result.output
    assert "host.json" in result.output
    assert str(package) in result.output
    assert "is not a function app" in result.output
    assert "Traceback" not in result.output
    assert uploads(emulator) == before
    assert serving(emulator, "staging") == "2"


def test_an_app_service_app_takes_a_package_without_host_json(
    emulator: Emulator, slot_env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    emulator.create_function_app("rg-demo", "web-demo", slots=("staging",), kind="app,linux")
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text("<p>hello</p>\n")

    result = run_cli("deploy", "-g", "rg-demo", "-n", "web-demo", "-s", "staging", "--package", str(folder))

    assert result.exit_code == 0, result.output
    assert uploads(emulator) == 1


# ---- item 6: a lost answer, a dropped connection, Ctrl-C ----------------------------------------------
@pytest.mark.usefixtures("released")
@pytest.mark.parametrize("deploy_seconds", [0, 2], ids=["finished-already", "still-running"])
def test_an_upload_whose_answer_was_lost_is_followed_not_sent_twice(
    emulator: Emulator, services: Services, tmp_path: Path, deploy_seconds: float
) -> None:
    emulator.set_speed(Speed(deploy_seconds=deploy_seconds))
    add_fault(emulator, path="^/api/zipdeploy$", kind="scm", drop_after=True, count=1)
    before = uploads(emulator)
    request = request_3(tmp_path)

    result = deploy(services, request, guard=None, reporter=RecordingReporter())

    assert uploads(emulator) == before + 1  # the service took it once; never sent again
    assert stamps(services, STAGING) == ["build 20260101.3", "build 20260101.2"]
    assert kudu(services, STAGING).latest().id == result.deployment_id  # type: ignore[union-attr]
    assert serving(emulator, "staging") == "3"


@pytest.mark.usefixtures("released")
def test_a_lost_answer_that_cannot_be_checked_exits_10_and_says_what_to_look_at(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    add_fault(emulator, path="^/api/zipdeploy$", kind="scm", drop_after=True, latency_ms=1000, count=1)
    before = uploads(emulator)

    def kudu_unreadable() -> None:  # from the moment the upload arrived: the guard could read it before
        add_fault(emulator, path="^/api/deployments$", kind="scm", status=403, shape="kudu", count=None)

    with when_upload_arrives(emulator, kudu_unreadable):
        result = deploy_cli(build_3(tmp_path))

    assert result.exit_code == 10, result.output
    assert "may have taken the package" in result.output
    assert "slot status" in result.output
    assert "Traceback" not in result.output
    assert uploads(emulator) == before + 1


def cancelled(run: Callable[[], object]) -> Cancelled:
    """The ``Cancelled`` that ``run`` ends with; a raw KeyboardInterrupt escaping is a test failure
    (not the end of the test session)."""
    try:
        run()
    except Cancelled as error:
        return error
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped as a raw KeyboardInterrupt: nobody said where things stand")
    pytest.fail("the deployment was not cancelled")


class Interrupting(RecordingReporter):
    """A reporter that presses Ctrl-C once the upload has sent ``after`` bytes."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def progress(self, done: int, total: int | None, unit: str = "bytes") -> None:
        super().progress(done, total, unit)
        if unit == "bytes" and done >= self.after:
            raise KeyboardInterrupt


@pytest.mark.usefixtures("released")
def test_ctrl_c_during_the_upload_says_the_slot_still_runs_its_previous_build(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    import os
    import zipfile

    package = tmp_path / "big.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("host.json", "{}")
        archive.writestr("bin/payload.bin", os.urandom(9 * 1024 * 1024))
    request = DeployRequest("rg-demo", "func-demo", "staging", package)

    error = cancelled(lambda: deploy(services, request, guard=None, reporter=Interrupting(after=4 << 20)))

    assert error.exit_code == 130
    assert "Cancelled during the upload" in error.message
    assert "after 4.0 MiB of 9.0 MiB" in error.message
    assert "still runs its previous build" in error.message
    assert "slot status" in told(error)
    assert serving(emulator, "staging") == "2"  # true: the previous build


@pytest.mark.usefixtures("released")
def test_ctrl_c_after_the_whole_package_went_out_says_kudu_may_have_it(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    # held far longer than the test takes: Ctrl-C interrupts the wait at once, and a watcher slowed
    # down by a loaded machine still signals while the upload is held
    hold_upload(emulator, 60)
    request = DeployRequest("rg-demo", "func-demo", "staging", build_3(tmp_path))

    with python_handles_ctrl_c(), when_upload_arrives(emulator, lambda: (time.sleep(0.3), ctrl_c())):
        error = cancelled(lambda: deploy(services, request, guard=None, reporter=RecordingReporter()))

    assert "whole package" in error.message
    assert "may have received it" in error.message
    assert "slot status" in told(error)


@pytest.mark.usefixtures("released")
def test_a_slot_that_cannot_be_read_after_the_deployment_is_an_unknown_outcome_not_a_silent_success(
    emulator: Emulator, services: Services, tmp_path: Path
) -> None:
    hold_upload(emulator, 1)

    def arm_refuses_reading_staging() -> None:
        add_fault(emulator, path="/slots/staging$", method="GET", kind="arm", status=403, count=None)

    with when_upload_arrives(emulator, arm_refuses_reading_staging):
        result = deploy_cli(build_3(tmp_path), "--build-number", "20260101.3")

    assert result.exit_code == 10, result.output
    assert "build 20260101.3 was deployed to func-demo/staging" in result.output
    assert "cannot be told" in result.output
    assert serving(emulator, "staging") == "3"


def test_create_slot_checks_the_package_before_creating_anything(
    emulator: Emulator,
    function_app: FunctionApp,
    slot_env: dict[str, str],
    services: Services,
    tmp_path: Path,
) -> None:
    folder = not_an_app(tmp_path / "site")

    result = run_cli(
        "deploy", "-g", "rg-demo", "-n", "func-demo", "-s", "qa", "--create-slot", "--package", str(folder)
    )

    assert result.exit_code == 2, result.output
    assert "host.json is missing" in result.output
    assert not services.web_apps.exists(STAGING.other("qa"))
