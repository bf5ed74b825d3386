"""The Kudu backend: zip deployments as a state machine on a manual clock, and the package store."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from slotwise_emulator.apps import (
    app_files,
    broken_build,
    good_build,
    invalid_zip,
    malformed_build,
    write_zip,
)
from slotwise_emulator.backends.kudu import (
    BUILDING,
    DEPLOYING,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SUCCESS,
    KuduBackend,
    SlotRef,
)
from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.clock import ManualClock, Speed
from slotwise_emulator.errors import ServiceError

SUB, RG, APP = "00000000-0000-0000-0000-000000000001", "rg-demo", "func-demo"
STAGING = SlotRef(SUB, RG, APP, "staging")
PRODUCTION = SlotRef(SUB, RG, APP, "production")


class FakeWeb:
    """Stands in for WebBackend: one site with production and staging, and a switch for 'swap running'."""

    def __init__(self, clock: ManualClock) -> None:
        self.site_obj = Site(SUB, RG, APP, "westeurope", "functionapp", "/farm")
        for name in ("production", "staging"):
            self.site_obj.slots[name] = Slot(
                name, f"127.0.0.1:{len(name)}", f"127.0.0.1:{len(name) + 1}", clock.now()
            )
        self.swapping = False
        self.deleted = False

    def site(self, subscription: str, resource_group: str, name: str) -> Site:
        if self.deleted or name.lower() != APP:
            raise ServiceError(
                404, "ResourceNotFound", f"The Resource 'Microsoft.Web/sites/{name}' was not found."
            )
        return self.site_obj

    def slot(self, subscription: str, resource_group: str, name: str, slot: str) -> Slot:
        found = self.site(subscription, resource_group, name).slots.get(slot.lower())
        if found is None:
            raise ServiceError(
                404, "ResourceNotFound", f"The Resource 'Microsoft.Web/sites/slots/{slot}' was not found."
            )
        return found

    def check_writable(self, site: Site, slot: Slot | None = None) -> None:
        if self.swapping:
            raise ServiceError(
                409, "Conflict", "Cannot modify this site because another operation is in progress."
            )

    def swap(self) -> None:
        prod, staging = self.site_obj.slots["production"], self.site_obj.slots["staging"]
        prod.content, staging.content = staging.content, prod.content


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def web(clock: ManualClock) -> FakeWeb:
    return FakeWeb(clock)


@pytest.fixture
def speed() -> Speed:
    return Speed.instant()


@pytest.fixture
def kudu(clock: ManualClock, speed: Speed, web: FakeWeb, tmp_path: Path) -> KuduBackend:
    return KuduBackend(clock, speed, web, tmp_path / "content")  # type: ignore[arg-type]


def upload(kudu: KuduBackend, build: object = good_build, **kwargs: object) -> Path:
    """A package written where the route would stream it."""
    path = kudu.new_upload()
    build(path, **kwargs)  # type: ignore[operator]
    return path


def packages_on_disk(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "content" / "packages").glob("*"))


def test_an_instant_deployment_completes_on_the_first_tick(
    kudu: KuduBackend, web: FakeWeb, clock: ManualClock
) -> None:
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))

    assert (deployment.status, deployment.complete) == (PENDING, False)
    assert kudu.running(STAGING) is deployment
    kudu.tick()
    assert (deployment.status, deployment.complete, deployment.active) == (SUCCESS, True, True)
    assert deployment.end_time == deployment.last_success_end_time == clock.now()
    assert kudu.running(STAGING) is None
    content = web.site_obj.slots["staging"].content
    assert content.package_path == deployment.package_path
    assert Path(content.package_path or "").is_file()
    assert sorted(content.functions) == ["health", "hello", "items", "reset"]
    assert (content.route_prefix, content.deployment_id) == ("api", deployment.id)
    assert content.deployments == [deployment]
    assert web.site_obj.slots["production"].content.package_path is None  # only the target slot changed


def test_the_record_carries_kudus_defaults_and_the_callers_metadata(kudu: KuduBackend) -> None:
    plain = kudu.start_zip_deploy(STAGING, upload(kudu))
    assert (plain.author, plain.author_email, plain.deployer, plain.message) == (
        "N/A",
        "N/A",
        "ZipDeploy",
        "Created via a push deployment",
    )
    assert len(plain.id) == 32
    assert plain.size > 0
    stamped = kudu.start_zip_deploy(
        PRODUCTION,
        upload(kudu),
        author="ci",
        author_email="ci@example.org",
        deployer="slotwise",
        message="build 42",
    )
    assert (stamped.author, stamped.author_email, stamped.deployer, stamped.message) == (
        "ci",
        "ci@example.org",
        "slotwise",
        "build 42",
    )


def test_statuses_move_with_the_clock(kudu: KuduBackend, speed: Speed, clock: ManualClock) -> None:
    speed.deploy_seconds = 10
    start = clock.now()
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))
    seen = []
    for _ in range(11):
        kudu.tick()
        seen.append((deployment.status, deployment.progress))
        clock.advance(1)

    assert seen[0] == (PENDING, "")
    assert seen[1] == (BUILDING, "Generating deployment script.")
    assert seen[6] == (DEPLOYING, "Running deployment command...")
    assert seen[10] == (SUCCESS, "")
    assert deployment.start_time == start + 1
    assert deployment.end_time == start + 10  # when it was due, not when the tick came
    assert deployment.status_text == ""
    times = [entry.time for entry in kudu.log(STAGING, deployment.id)]
    assert times == sorted(times)
    assert [e.message for e in kudu.log(STAGING, deployment.id)][-1] == "Deployment successful."


def test_building_says_so_in_status_text(kudu: KuduBackend, speed: Speed, clock: ManualClock) -> None:
    speed.deploy_seconds = 4
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))
    clock.advance(1)
    kudu.tick()
    assert deployment.status_text == f"Building and Deploying '{deployment.id}'."
    assert kudu.seconds_left(deployment) == pytest.approx(3)


def test_a_second_deployment_while_one_runs_gets_409_and_its_upload_is_dropped(
    kudu: KuduBackend, speed: Speed
) -> None:
    speed.deploy_seconds = 5
    kudu.start_zip_deploy(STAGING, upload(kudu))
    second = upload(kudu)

    with pytest.raises(ServiceError) as caught:
        kudu.start_zip_deploy(STAGING, second)

    assert (caught.value.status, caught.value.message, caught.value.shape) == (409, IN_PROGRESS, "text")
    assert not second.exists()
    kudu.start_zip_deploy(PRODUCTION, upload(kudu))  # another slot has its own SCM site


def test_a_running_swap_refuses_a_deployment_in_kudus_shape(kudu: KuduBackend, web: FakeWeb) -> None:
    web.swapping = True
    package = upload(kudu)
    with pytest.raises(ServiceError) as caught:
        kudu.check_can_deploy(STAGING)
    assert (caught.value.status, caught.value.shape) == (409, "kudu")
    with pytest.raises(ServiceError):
        kudu.start_zip_deploy(STAGING, package)
    assert not package.exists()


def test_an_unknown_slot_is_a_404(kudu: KuduBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        kudu.check_can_deploy(SlotRef(SUB, RG, APP, "qa"))
    assert (caught.value.status, caught.value.shape) == (404, "kudu")


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (invalid_zip, "not a valid zip file"),
        (malformed_build, "hello/function.json: not valid JSON"),
        (
            lambda p: write_zip(p, {**app_files(), "hello/emulator.json": {"status": 700}}),
            "hello/emulator.json: field 'status'",
        ),
    ],
)
def test_a_bad_package_fails_with_a_log_line_saying_why(
    kudu: KuduBackend, web: FakeWeb, tmp_path: Path, build: object, reason: str
) -> None:
    good = kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    bad = kudu.start_zip_deploy(STAGING, upload(kudu, build))
    kudu.tick()

    assert (bad.status, bad.complete, bad.active) == (FAILED, True, False)
    assert reason in bad.status_text
    errors = [e for e in kudu.log(STAGING, bad.id) if e.type == 2]
    assert any(reason in e.message for e in errors)
    assert errors[-1].message == "Deployment Failed."
    assert bad.last_success_end_time == good.end_time
    content = web.site_obj.slots["staging"].content
    assert (content.deployment_id, good.active) == (good.id, True)  # the good build still runs
    assert [d.id for d in kudu.deployments(STAGING)] == [bad.id, good.id]
    assert packages_on_disk(tmp_path) == [Path(content.package_path or "")]


def test_a_new_build_replaces_the_old_one_on_disk(kudu: KuduBackend, web: FakeWeb, tmp_path: Path) -> None:
    first = kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    second = kudu.start_zip_deploy(STAGING, upload(kudu, broken_build))
    kudu.tick()

    assert (first.active, second.active) == (False, True)
    assert web.site_obj.slots["staging"].content.functions["health"].response.status == 500
    assert packages_on_disk(tmp_path) == [Path(second.package_path or "")]
    assert kudu.latest_completed(STAGING) is second
    assert list((tmp_path / "content" / "uploads").iterdir()) == []


def test_packages_that_a_swap_moved_are_kept_until_nothing_references_them(
    kudu: KuduBackend, web: FakeWeb, tmp_path: Path
) -> None:
    n1 = kudu.start_zip_deploy(STAGING, upload(kudu, good_build, version="1"))
    kudu.tick()
    web.swap()  # production runs 1
    n2 = kudu.start_zip_deploy(STAGING, upload(kudu, good_build, version="2"))
    kudu.tick()
    web.swap()  # production runs 2, staging holds 1 (the rollback)
    assert {p.name for p in packages_on_disk(tmp_path)} == {f"{n1.id}.zip", f"{n2.id}.zip"}
    assert [d.id for d in kudu.deployments(PRODUCTION)] == [n2.id]  # the history moved with the content
    assert [d.id for d in kudu.deployments(STAGING)] == [n1.id]

    n3 = kudu.start_zip_deploy(STAGING, upload(kudu, good_build, version="3"))  # overwrites the rollback
    kudu.tick()
    assert {p.name for p in packages_on_disk(tmp_path)} == {f"{n2.id}.zip", f"{n3.id}.zip"}


def test_a_slot_deleted_during_a_deployment_fails_it_quietly(
    kudu: KuduBackend, web: FakeWeb, speed: Speed, clock: ManualClock, tmp_path: Path
) -> None:
    speed.deploy_seconds = 2
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))
    del web.site_obj.slots["staging"]
    clock.advance(2)
    kudu.tick()
    assert (deployment.status, deployment.complete) == (FAILED, True)
    assert "no longer exists" in deployment.status_text
    assert packages_on_disk(tmp_path) == []


def test_a_deleted_site_leaves_no_packages_behind(
    kudu: KuduBackend, web: FakeWeb, speed: Speed, clock: ManualClock, tmp_path: Path
) -> None:
    kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    speed.deploy_seconds = 1
    kudu.start_zip_deploy(PRODUCTION, upload(kudu))
    assert len(packages_on_disk(tmp_path)) == 2
    web.deleted = True
    clock.advance(1)
    kudu.tick()
    assert packages_on_disk(tmp_path) == []


def test_unknown_deployments_and_no_history_are_404_in_kudus_words(kudu: KuduBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        kudu.latest_completed(STAGING)
    assert (caught.value.status, caught.value.message, caught.value.shape) == (
        404,
        "Deployment 'latest' not found.",
        "kudu",
    )
    with pytest.raises(ServiceError, match=r"Deployment 'abc' not found\."):
        kudu.deployment(STAGING, "abc")
    with pytest.raises(ServiceError):
        kudu.log(STAGING, "abc")


def test_deployments_list_newest_first_with_the_running_one_leading(
    kudu: KuduBackend, speed: Speed, clock: ManualClock
) -> None:
    first = kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    clock.advance(1)
    speed.deploy_seconds = 30
    running = kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    assert [d.id for d in kudu.deployments(STAGING)] == [running.id, first.id]
    assert kudu.deployment(STAGING, running.id) is running
    assert kudu.latest_completed(STAGING) is first


def test_log_entry_ids_are_stable(kudu: KuduBackend) -> None:
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    first, again = kudu.log(STAGING, deployment.id), kudu.log(STAGING, deployment.id)
    assert [e.id for e in first] == [e.id for e in again]
    assert len({e.id for e in first}) == len(first)
    assert first[0].message == "Fetching changes."


def test_the_backend_survives_pickling_mid_deployment(
    kudu: KuduBackend, web: FakeWeb, speed: Speed, clock: ManualClock
) -> None:
    speed.deploy_seconds = 3
    deployment = kudu.start_zip_deploy(STAGING, upload(kudu))
    restored: KuduBackend = pickle.loads(pickle.dumps(kudu))  # noqa: S301 - our own bytes
    restored._clock.advance(3)  # type: ignore[attr-defined]
    restored.tick()
    assert restored.running(STAGING) is None
    assert deployment.status == PENDING  # the original is untouched; the copy finished
    assert restored._web.site_obj.slots["staging"].content.deployment_id == deployment.id  # type: ignore[attr-defined]


def test_purge_leaves_an_empty_store(kudu: KuduBackend, speed: Speed, tmp_path: Path) -> None:
    kudu.start_zip_deploy(STAGING, upload(kudu))
    kudu.tick()
    speed.deploy_seconds = 5
    kudu.start_zip_deploy(PRODUCTION, upload(kudu))
    pending = upload(kudu)
    kudu.purge()
    assert packages_on_disk(tmp_path) == []
    assert not pending.exists()
    assert kudu.running(PRODUCTION) is None
