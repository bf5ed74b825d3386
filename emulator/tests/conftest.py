"""Fixtures of the emulator's own tests: a live emulator per test, and the real Azure SDK clients
(azure-identity, azure-mgmt-web) pointed at it. Nothing here knows slotwise: these tests hold the
emulator to Azure's contract with clients we did not write."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.web import WebSiteManagementClient

from slotwise_emulator import Emulator, FunctionApp, Speed

# The azure-devops client caches every organization's locations on disk, in a directory it reads once
# when imported: one of this session's own, so no cache leaks between emulators (their ports) or runs.
os.environ["AZURE_DEVOPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="slotwise-emulator-azure-devops-cache-")

ROOT = Path(__file__).resolve().parents[2]
# ../shared/reference beside the checkout (CI); SLOTWISE_REFERENCE names it elsewhere (a worktree)
REFERENCE = Path(os.environ.get("SLOTWISE_REFERENCE") or ROOT.parent / "shared" / "reference")
REFERENCE_MISSING = "../shared/reference is absent (CI has it beside the checkout; a user's clone does not)"
ARM_SCOPE = "https://management.azure.com/.default"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator with its own state; swaps and deployments finish on the first poll."""
    with Emulator(speed=Speed.instant()) as emu:
        yield emu


def principal(emulator: Emulator) -> ClientSecretCredential:
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
def credential(emulator: Emulator) -> ClientSecretCredential:
    """The emulator's default service principal, through the real azure-identity credential."""
    return principal(emulator)


@pytest.fixture
def arm_token(credential: ClientSecretCredential) -> str:
    return credential.get_token(ARM_SCOPE).token


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
