"""``slotwise slot deploy`` and ``slots.deploy.deploy`` against the live emulator, through the real clients.

Each test deploys real zips (``tests.packages``) over HTTPS to the slot's Kudu and checks what the
function host serves afterwards, what Kudu recorded, what was printed and what exit code came back.
Faults are injected through the emulator's control plane; sleeps go to a ``FastClock``.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from slotwise.azure.kudu import KuduClient
from slotwise.azure.models import SlotRef
from slotwise.builds import BuildInfo
from slotwise.cli.main import cli
from slotwise.cli.remedies import advice as told
from slotwise.errors import (
    ConflictError,
    HeldSlotError,
    NotFoundError,
    OperationTimeout,
    RemoteError,
    UsageError,
)
from slotwise.events import RecordingReporter
from slotwise.services import Services
from slotwise.slots.deploy import DeployRequest, deploy
from slotwise.slots.metadata import build_info
from slotwise.slots.model import GuardDecision, Hold
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests.fakes import FastClock
from tests.functional.control import add_fault, uploads
from tests.packages import app_files, good_build, invalid_zip, malformed_build

STAGING = SlotRef("rg-demo", "func-demo", "staging")
PRODUCTION = SlotRef("rg-demo", "func-demo", "production")


# ---- helpers -----------------------------------------------------------------------------------------------
def write_folder(root: Path, files: dict[str, Any]) -> Path:
    for name, value in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value))
    return root


def served_version(emulator: Emulator, services: Services, ref: SlotRef) -> str | None:
    """The version the slot's function host answers on /api/health (None: nothing deployed)."""
    host = services.web_apps.get(ref).default_host_name
    response = requests.get(f"https://{host}/api/health", verify=str(emulator.ca_path), timeout=30)
    if response.status_code == 404:
        return None
    version: str = response.json()["version"]
    return version


def kudu(services: Services, ref: SlotRef) -> KuduClient:
    return KuduClient.for_slot(services, services.web_apps.get(ref))


def issued_secrets(emulator: Emulator) -> list[str]:
    body = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return [s for s in strings(body.json()) if len(s) >= 8]


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["slot", "deploy", "-g", "rg-demo", "-n", "func-demo", *args])


def request_for(package: Path, slot: str = "staging", **options: Any) -> DeployRequest:
    build = options.pop("build", BuildInfo(build_number="20260101.1"))
    return DeployRequest("rg-demo", "func-demo", slot, package, build=build, **options)


@pytest.fixture
def app(function_app: FunctionApp, slot_env: dict[str, str]) -> FunctionApp:
    return function_app


# ---- zip and folder --------------------------------------------------------------------------------------
def test_a_zip_is_deployed_and_served(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    reporter = RecordingReporter()
    package = good_build(tmp_path / "app.zip", version="1")

    result = deploy(services, request_for(package), guard=None, reporter=reporter)

    assert served_version(emulator, services, STAGING) == "1"
    assert served_version(emulator, services, PRODUCTION) is None
    assert result.slot == STAGING
    assert result.url == services.web_apps.get(STAGING).url
    assert (result.bytes, result.zipped, result.created_slot) == (package.stat().st_size, False, False)
    assert kudu(services, STAGING).latest().id == result.deployment_id  # type: ignore[union-attr]
    assert reporter.texts("progress")[-1] == f"{package.stat().st_size}/{package.stat().st_size} bytes"
    assert result.as_dict()["build"]["buildNumber"] == "20260101.1"


def test_a_folder_is_zipped_on_the_fly_and_deployed(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "build", app_files("7"))

    result = deploy(services, request_for(folder), guard=None, reporter=RecordingReporter())

    assert served_version(emulator, services, STAGING) == "7"
    assert result.zipped
    assert result.package == folder
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("slotwise-package-*/build.zip"))


def test_a_large_package_reports_its_bytes_as_it_goes(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    package = tmp_path / "big.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in app_files("9").items():
            archive.writestr(name, value if isinstance(value, str) else json.dumps(value))
        archive.writestr("bin/payload.bin", os.urandom(9 * 1024 * 1024))
    reporter = RecordingReporter()

    deploy(services, request_for(package), guard=None, reporter=reporter)

    done = [int(text.split("/")[0]) for text in reporter.texts("progress")]
    assert len(done) >= 3
    assert done == sorted(done)
    assert done[-1] == package.stat().st_size
    assert served_version(emulator, services, STAGING) == "9"


def test_the_cli_deploys_a_zip_and_prints_the_result(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    package = good_build(tmp_path / "app.zip", version="3")

    result = run_cli("-s", "staging", "--package", str(package), "--build-number", "20260101.3", "-o", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["slot"], data["build"]["label"], data["bytes"]) == (
        "staging",
        "build 20260101.3",
        package.stat().st_size,
    )
    assert "Uploading build 20260101.3" in result.stderr
    assert served_version(emulator, services, STAGING) == "3"


def test_the_cli_deploys_a_folder(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "site", app_files("5"))

    result = run_cli("-s", "staging", "--package", str(folder))

    assert result.exit_code == 0, result.output
    assert "(zipped)" in result.stdout
    assert served_version(emulator, services, STAGING) == "5"


# ---- production only when named -------------------------------------------------------------------------
def test_the_cli_refuses_to_guess_the_slot(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    package = good_build(tmp_path / "app.zip")

    missing = run_cli("--package", str(package))
    empty = run_cli("-s", "", "--package", str(package))

    assert missing.exit_code == 2
    assert "Missing option '-s' / '--slot'" in missing.output
    assert empty.exit_code == 2
    assert "never deploys to production unless told" in empty.output
    assert "Traceback" not in missing.output + empty.output
    assert uploads(emulator) == 0
    assert kudu(services, PRODUCTION).latest() is None


def test_production_is_deployed_when_named(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    result = run_cli("-s", "production", "--package", str(good_build(tmp_path / "app.zip", version="2")))

    assert result.exit_code == 0, result.output
    assert served_version(emulator, services, PRODUCTION) == "2"
    assert served_version(emulator, services, STAGING) is None


def test_the_library_refuses_an_empty_slot_before_any_call(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="never deploys to production"):
        deploy(
            services,
            request_for(good_build(tmp_path / "a.zip"), slot=""),
            guard=None,
            reporter=RecordingReporter(),
        )
    assert uploads(emulator) == 0


# ---- missing and created slots ---------------------------------------------------------------------------
def test_a_missing_slot_is_an_error_that_points_to_create_slot(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="has no slot 'qa'") as caught:
        deploy(
            services,
            request_for(good_build(tmp_path / "a.zip"), slot="qa"),
            guard=None,
            reporter=RecordingReporter(),
        )
    assert "--create-slot" in told(caught.value)

    result = run_cli("-s", "qa", "--package", str(good_build(tmp_path / "a.zip")))
    assert result.exit_code == 4
    assert "--create-slot" in result.output
    assert "Traceback" not in result.output


def test_a_missing_app_is_named(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    request = DeployRequest(
        "rg-demo", "func-nope", "staging", good_build(tmp_path / "a.zip"), create_slot=True
    )
    with pytest.raises(NotFoundError, match="App 'func-nope' was not found in resource group 'rg-demo'"):
        deploy(services, request, guard=None, reporter=RecordingReporter())


def test_create_slot_creates_it_then_deploys(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    qa = STAGING.other("qa")

    result = deploy(
        services,
        request_for(good_build(tmp_path / "a.zip", version="4"), slot="qa", create_slot=True),
        guard=None,
        reporter=RecordingReporter(),
    )

    assert result.created_slot
    assert services.web_apps.exists(qa)
    assert served_version(emulator, services, qa) == "4"


# ---- invalid packages ------------------------------------------------------------------------------------
def test_a_file_that_is_not_a_zip_is_refused_before_any_upload(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    package = invalid_zip(tmp_path / "app.zip")

    with pytest.raises(UsageError, match=r"app\.zip' is not a zip file"):
        deploy(services, request_for(package), guard=None, reporter=RecordingReporter())
    result = run_cli("-s", "staging", "--package", str(package))

    assert result.exit_code == 2
    assert "is not a zip file" in result.output
    assert uploads(emulator) == 0


def test_a_package_kudu_cannot_deploy_fails_with_the_log_line(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    good = deploy(
        services,
        request_for(good_build(tmp_path / "good.zip", version="1")),
        guard=None,
        reporter=RecordingReporter(),
    )
    package = malformed_build(tmp_path / "bad.zip")

    with pytest.raises(RemoteError) as caught:
        deploy(services, request_for(package), guard=None, reporter=RecordingReporter())
    cli_result = run_cli("-s", "staging", "--package", str(package))

    message = caught.value.message
    assert "Kudu could not deploy build 20260101.1 to func-demo/staging (Failed)" in message
    assert "hello/function.json: not valid JSON" in message
    assert "Deployment Failed." in message
    assert "/log" in caught.value.hint
    assert cli_result.exit_code == 4
    assert "hello/function.json: not valid JSON" in cli_result.output
    assert "Traceback" not in cli_result.output
    assert served_version(emulator, services, STAGING) == "1"  # the slot still runs the good build
    assert good.deployment_id in [d.id for d in kudu(services, STAGING).deployments()]


def test_a_missing_package_is_a_usage_error(app: FunctionApp, tmp_path: Path) -> None:
    result = run_cli("-s", "staging", "--package", str(tmp_path / "nowhere.zip"))
    assert result.exit_code == 2
    assert "nowhere.zip' does not exist" in result.output


# ---- transient and permanent faults ----------------------------------------------------------------------
TRANSIENT = [
    pytest.param(
        {"path": "/api/zipdeploy", "status": 429, "retry_after": 2}, True, id="upload-429-retry-after"
    ),
    pytest.param({"path": "/api/zipdeploy", "status": 503}, False, id="upload-503"),
    pytest.param({"path": "/api/zipdeploy", "drop": True}, False, id="upload-dropped"),
    pytest.param(
        {"path": "/api/deployments", "status": 429, "retry_after": 2}, True, id="poll-429-retry-after"
    ),
    pytest.param({"path": "/api/deployments", "status": 503}, False, id="poll-503"),
    pytest.param({"path": "/api/deployments", "drop": True}, False, id="poll-dropped"),
]


@pytest.mark.parametrize(("fault", "retry_after"), TRANSIENT)
def test_transient_faults_are_survived(
    emulator: Emulator,
    app: FunctionApp,
    services: Services,
    fast_clock: FastClock,
    tmp_path: Path,
    fault: dict[str, Any],
    retry_after: bool,
) -> None:
    add_fault(emulator, kind="scm", count=1, **fault)

    result = deploy(
        services,
        request_for(good_build(tmp_path / "a.zip", version="6")),
        guard=None,
        reporter=RecordingReporter(),
    )

    assert served_version(emulator, services, STAGING) == "6"
    if retry_after:
        assert 2 in fast_clock.sleeps
    assert [d.id for d in kudu(services, STAGING).deployments()] == [result.deployment_id]  # deployed once
    if fault["path"] == "/api/zipdeploy":
        assert uploads(emulator) == 2


@pytest.mark.parametrize(
    ("status", "exit_code", "words"),
    [(403, 4, "Website Contributor"), (404, 4, "Azure refused uploading the package")],
)
def test_permanent_faults_end_with_a_clear_message_and_exit_code(
    emulator: Emulator, app: FunctionApp, tmp_path: Path, status: int, exit_code: int, words: str
) -> None:
    add_fault(
        emulator, path="/api/zipdeploy", kind="scm", status=status, shape="kudu", message="Nope.", count=None
    )

    result = run_cli("-s", "staging", "--package", str(good_build(tmp_path / "a.zip")))

    assert result.exit_code == exit_code, result.output
    assert words in result.output
    assert "Nope." in result.output
    assert "Traceback" not in result.output
    assert uploads(emulator) == 1  # not retried


def test_a_deployment_already_running_is_a_conflict(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    emulator.set_speed(Speed(deploy_seconds=600))
    package = good_build(tmp_path / "a.zip")
    with package.open("rb") as body:
        kudu(services, STAGING).zip_deploy(body, size=package.stat().st_size, metadata=None)

    with pytest.raises(ConflictError, match="A deployment is already running on func-demo/staging"):
        deploy(services, request_for(package), guard=None, reporter=RecordingReporter())
    result = run_cli("-s", "staging", "--package", str(package))
    assert result.exit_code == 5
    assert "already running" in result.output


# ---- timeout ---------------------------------------------------------------------------------------------
def test_a_deployment_that_takes_too_long_times_out(
    emulator: Emulator, app: FunctionApp, services: Services, fast_clock: FastClock, tmp_path: Path
) -> None:
    emulator.set_speed(Speed(deploy_seconds=600))
    reporter = RecordingReporter()

    with pytest.raises(OperationTimeout) as caught:
        deploy(
            services, request_for(good_build(tmp_path / "a.zip"), timeout=30), guard=None, reporter=reporter
        )

    assert caught.value.exit_code == 6
    assert "did not finish within 30 s" in caught.value.message
    assert "may still finish" in caught.value.message
    assert re.search(r"/api/deployments/[0-9a-f]{32} ", caught.value.hint)  # this deployment's own record
    assert 25 < sum(fast_clock.sleeps) <= 30  # waited up to the timeout (polls take real time too)
    assert any(text.startswith("Kudu: ") for text in reporter.texts("detail"))


def test_the_cli_times_out_with_exit_code_6(emulator: Emulator, app: FunctionApp, tmp_path: Path) -> None:
    emulator.set_speed(Speed(deploy_seconds=600))

    result = run_cli("-s", "staging", "--package", str(good_build(tmp_path / "a.zip")), "--timeout", "1")

    assert result.exit_code == 6, result.output
    assert "may still finish" in result.output
    assert "Traceback" not in result.output


# ---- the guard -------------------------------------------------------------------------------------------
def held_guard(calls: list[SlotRef]) -> Any:
    def guard(ref: SlotRef) -> GuardDecision:
        calls.append(ref)
        since = datetime(2026, 1, 2, 9, 30, tzinfo=timezone.utc)
        return GuardDecision(
            ref, Hold(ref, "build 20251231.9", since, by="alice"), ["swapped out of production"]
        )

    return guard


def test_a_held_slot_is_refused_before_any_upload(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    calls: list[SlotRef] = []

    with pytest.raises(HeldSlotError) as caught:
        deploy(
            services,
            request_for(good_build(tmp_path / "a.zip")),
            guard=held_guard(calls),
            reporter=RecordingReporter(),
        )

    assert calls == [STAGING]
    assert caught.value.exit_code == 7
    for part in ("build 20251231.9", "2026-01-02 09:30 UTC", "alice"):
        assert part in caught.value.message
    for part in ("release-hold", "--allow-overwrite"):
        assert part in told(caught.value)
    assert uploads(emulator) == 0


def test_allow_overwrite_goes_past_a_hold_and_says_what_it_destroys(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    reporter = RecordingReporter()

    result = deploy(
        services,
        request_for(good_build(tmp_path / "a.zip", version="8"), allow_overwrite=True),
        guard=held_guard([]),
        reporter=reporter,
    )

    assert result.overwrote == "build 20251231.9"
    assert any("build 20251231.9" in w and "destroyed" in w for w in reporter.texts("warning"))
    assert served_version(emulator, services, STAGING) == "8"


# ---- the stamp and secrets ---------------------------------------------------------------------------------
def test_the_build_is_stamped_on_the_deployment(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path
) -> None:
    env = {
        "TF_BUILD": "True",
        "BUILD_BUILDID": "4711",
        "BUILD_BUILDNUMBER": "20260105.2",
        "BUILD_SOURCEVERSION": "0123456789abcdef0123456789abcdef01234567",
        "RELEASE_RELEASENAME": "Release-12",
        "RELEASE_REQUESTEDFOR": "Ada Lovelace & co + friends",
        "BUILD_DEFINITIONNAME": "func-demo-ci",
    }
    build = build_info(env, now=services.clock.now(), overrides=BuildInfo(commit="feedbeef"))

    deploy(
        services,
        request_for(good_build(tmp_path / "a.zip"), build=build),
        guard=None,
        reporter=RecordingReporter(),
    )

    latest = kudu(services, STAGING).latest()
    assert latest is not None
    assert latest.build == build
    assert (latest.deployer, latest.author) == ("slotwise", "Ada Lovelace & co + friends")


def test_the_cli_stamps_the_pipeline_variables(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_BUILD", "True")
    monkeypatch.setenv("BUILD_BUILDID", "99")
    monkeypatch.setenv("BUILD_BUILDNUMBER", "20260106.1")
    monkeypatch.setenv("BUILD_REQUESTEDFOR", "Grace")

    result = run_cli("-s", "staging", "--package", str(good_build(tmp_path / "a.zip")), "--release", "R-1")

    assert result.exit_code == 0, result.output
    stamped = kudu(services, STAGING).latest().build  # type: ignore[union-attr]
    assert stamped is not None
    assert (stamped.build_id, stamped.build_number, stamped.release, stamped.requested_by) == (
        "99",
        "20260106.1",
        "R-1",
        "Grace",
    )


def test_no_key_token_or_secret_is_printed(emulator: Emulator, app: FunctionApp, tmp_path: Path) -> None:
    outputs: list[str] = []
    for args in (
        ["-s", "staging", "--package", str(good_build(tmp_path / "a.zip"))],
        ["-s", "staging", "--package", str(good_build(tmp_path / "a.zip")), "-o", "json"],
        ["-s", "staging", "--package", str(malformed_build(tmp_path / "m.zip"))],
        ["-s", "qa", "--package", str(good_build(tmp_path / "a.zip"))],
    ):
        outputs.append(run_cli(*args).output)
    add_fault(emulator, path="/api/zipdeploy", kind="scm", status=403, count=None)
    outputs.append(run_cli("-s", "staging", "--package", str(good_build(tmp_path / "a.zip"))).output)

    everything = "\n".join(outputs)
    secrets = issued_secrets(emulator)
    assert secrets  # at least the client secret and the tokens slotwise got
    assert [s for s in secrets if s in everything] == []
    assert "Bearer" not in everything


def test_the_cli_runs_the_guard_and_allow_overwrite_names_what_it_destroys(
    emulator: Emulator, app: FunctionApp, services: Services, tmp_path: Path, web_client: Any
) -> None:
    pytest.importorskip("slotwise.slots.guard", reason="the guard is wired when slotwise.slots.guard exists")
    from azure.mgmt.web.models import CsmSlotEntity

    first = run_cli(
        "-s", "staging", "--package", str(good_build(tmp_path / "v1.zip", "1")), "--build-number", "1.0"
    )
    assert first.exit_code == 0, first.output
    web_client.web_apps.begin_swap_slot(
        "rg-demo", "func-demo", "staging", CsmSlotEntity(target_slot="production"), polling_interval=0
    ).result()  # staging now holds production's previous content: the rollback

    refused = run_cli("-s", "staging", "--package", str(good_build(tmp_path / "v2.zip", "2")))
    forced = run_cli(
        "-s", "staging", "--package", str(good_build(tmp_path / "v2.zip", "2")), "--allow-overwrite"
    )

    assert refused.exit_code == 7, refused.output
    assert "--allow-overwrite" in refused.output
    assert "Traceback" not in refused.output
    assert forced.exit_code == 0, forced.output
    assert "Overwriting on purpose: deploying over it anyway" in forced.stderr
    assert served_version(emulator, services, STAGING) == "2"
    assert served_version(emulator, services, PRODUCTION) == "1"
