"""Fixtures shared by every test: a live emulator per test, and real Azure SDK clients pointed at it.

Every test using ``emulator`` is swept for the secrets it issued (``tests/secrets_sweep.py``).
Hypothesis runs derandomized (the same examples every run: CI stays reproducible); set
``HYPOTHESIS_PROFILE=explore`` to draw new ones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# The azure-devops client caches each server's resource locations on disk, in the folder this names,
# read when it is first imported: a test run gets its own, so a location cached from an earlier run's
# emulator (another port, another mode) never answers for this one.
os.environ["AZURE_DEVOPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="slotwise-azure-devops-cache-")

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.web import WebSiteManagementClient
from hypothesis import settings

from slotwise.factory import build_services, settings_from_env
from slotwise.services import Services
from slotwise_emulator import Emulator, FunctionApp, Speed
from tests.fakes import FastClock
from tests.secrets_sweep import pytest_runtest_makereport, secrets_witness, tmp_path, watch

__all__ = ["pytest_runtest_makereport", "secrets_witness", "tmp_path"]

settings.register_profile("derandomized", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))

ROOT = Path(__file__).resolve().parents[1]
# ../shared/reference beside the checkout; SLOTWISE_REFERENCE names it elsewhere (a git worktree)
REFERENCE = Path(os.environ.get("SLOTWISE_REFERENCE") or ROOT.parent / "shared" / "reference")
REFERENCE_MISSING = "../shared/reference is absent (CI has it beside the checkout; a user's clone does not)"


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started emulator, its own state, swaps and deployments finishing on the first poll; the
    test's output is swept for every secret it issues."""
    with Emulator(speed=Speed.instant()) as emu:
        keep = watch(request.node, emu)
        yield emu
        keep()


@pytest.fixture
def credential(emulator: Emulator) -> ClientSecretCredential:
    """The emulator's default service principal, through the real azure-identity credential."""
    return ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        emulator.client_secret,
        authority=emulator.authority,
        connection_verify=str(emulator.ca_path),
        disable_instance_discovery=True,
    )


@pytest.fixture
def arm_token(credential: ClientSecretCredential) -> str:
    return credential.get_token("https://management.azure.com/.default").token


@pytest.fixture
def web_client(emulator: Emulator, credential: ClientSecretCredential) -> Iterator[WebSiteManagementClient]:
    """The unmodified azure-mgmt-web client, pointed at the emulator."""
    client = WebSiteManagementClient(
        credential,
        emulator.subscription_id,
        base_url=emulator.arm_url,
        connection_verify=str(emulator.ca_path),
    )
    with client:
        yield client


@pytest.fixture
def function_app(emulator: Emulator) -> FunctionApp:
    """Function app 'func-demo' in resource group 'rg-demo', with a 'staging' slot."""
    return emulator.create_function_app("rg-demo", "func-demo", slots=("staging",))


@pytest.fixture
def slot_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The process environment pointed at the emulator, as a user's shell would be after sourcing
    its env file (azure-identity's DefaultAzureCredential picks the service principal up)."""
    for key in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "SLOTWISE_CLOUD"):
        monkeypatch.delenv(key, raising=False)
    env = emulator.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def fast_clock() -> FastClock:
    return FastClock()


@pytest.fixture
def services(slot_env: dict[str, str], fast_clock: FastClock) -> Iterator[Services]:
    """slotwise's own clients, built by the factory from the environment, sleeping on a FastClock."""
    import os

    built = build_services(settings_from_env(os.environ), clock=fast_clock)
    yield built
    built.close()


# ---- the built extension and what its tasks install (the tasks' tests, the demo's) -------------------


@pytest.fixture(scope="session")
def lock_text() -> str:
    """The tasks' lock, as committed."""
    from tests.tasks.shimkit import runtime_lock

    return runtime_lock()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, lock_text: str) -> Path:
    """Wheels of the locked dependencies: what an agent without internet would be given."""
    from tests.tasks.shimkit import build_wheelhouse

    root = tmp_path_factory.mktemp("wheelhouse")
    lock = root / "requirements.lock"
    lock.write_text(lock_text)
    house = root / "wheels"
    try:
        build_wheelhouse(lock, house)
    except RuntimeError as err:
        pytest.skip(f"cannot fetch the locked dependencies (offline, no package index?): {err}")
    return house


@pytest.fixture(scope="session")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .vsix built by scripts/package from this checkout, once per session."""
    from tests.tasks.agentkit import PackagingUnavailable, build_vsix

    root = tmp_path_factory.mktemp("package")
    try:
        return build_vsix(root / "build", root / "dist")
    except PackagingUnavailable as err:
        pytest.skip(f"cannot build the .vsix on this machine: {err}")
