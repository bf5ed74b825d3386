"""The demo story, step by step, through the real Azure SDK clients against the embedded emulator.

For now (the foundation): create a function app with a staging slot, deploy build 1 to production
and build 2 to staging, show each slot answering through its own host, swap staging into production
with azure-mgmt-web's own long-running-operation poller, and show that production now runs build 2
while staging holds build 1 as the rollback. Later work replaces the raw steps with slotwise's own
slot operations.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from azure.identity import ClientSecretCredential
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import CsmSlotEntity

from slotwise.demo.sample_app import build_package
from slotwise.emulator import Emulator, Speed

Say = Callable[[str], None]
GROUP, APP = "rg-orders", "func-orders"


def run(say: Say, speed: Speed) -> None:
    """Tell the story; raises on any step that does not go as told."""
    with Emulator(speed=speed) as emu, tempfile.TemporaryDirectory(prefix="slotwise-demo-") as tmp:
        verify = str(emu.ca_path)
        say(f"Started the Azure emulator: ARM at {emu.arm_url}, login at {emu.authority}")
        emu.create_function_app(GROUP, APP, slots=("staging",))
        credential = ClientSecretCredential(
            emu.tenant_id,
            emu.client_id,
            emu.client_secret,
            authority=emu.authority,
            connection_verify=verify,
            disable_instance_discovery=True,
        )
        web = WebSiteManagementClient(
            credential, emu.subscription_id, base_url=emu.arm_url, connection_verify=verify
        )
        token = credential.get_token("https://management.azure.com/.default").token
        say(f"Created function app {APP} in {GROUP} with a staging slot")
        for slot in [web.web_apps.get(GROUP, APP), *web.web_apps.list_slots(GROUP, APP)]:
            say(f"  {slot.name:<24} https://{slot.default_host_name}")

        packages = Path(tmp)
        _deploy(say, web, token, verify, "production", build_package(packages, "1"))
        _deploy(say, web, token, verify, "staging", build_package(packages, "2"))
        _show(say, web, verify)

        say("Swapping staging into production (azure-mgmt-web's poller, 1 s between polls)")
        started = time.monotonic()
        poller = web.web_apps.begin_swap_slot(
            GROUP,
            APP,
            "staging",
            CsmSlotEntity(target_slot="production", preserve_vnet=True),
            polling_interval=1,
        )
        while not poller.done():
            poller.wait(1)
            say(f"  swap {poller.status()} after {time.monotonic() - started:.0f} s")
        poller.result()
        status = web.web_apps.get(GROUP, APP).slot_swap_status
        assert status is not None
        say(f"Swap complete: {status.source_slot_name} -> {status.destination_slot_name}")
        _show(say, web, verify)
        production = _build_of(web, "production", verify)
        staging = _build_of(web, "staging", verify)
        if (production, staging) != ("2", "1"):
            raise RuntimeError(f"after the swap production runs {production} and staging {staging}")
        say("Production runs build 2; staging holds build 1, ready to swap back as a rollback.")


def _host(web: WebSiteManagementClient, slot: str) -> str:
    site = web.web_apps.get(GROUP, APP) if slot == "production" else web.web_apps.get_slot(GROUP, APP, slot)
    return str(site.default_host_name)


def _scm_host(web: WebSiteManagementClient, slot: str) -> str:
    site = web.web_apps.get(GROUP, APP) if slot == "production" else web.web_apps.get_slot(GROUP, APP, slot)
    return next(
        str(s.name)
        for s in site.host_name_ssl_states or []
        if str(s.host_type) in ("Repository", "HostType.REPOSITORY")
    )


def _deploy(
    say: Say, web: WebSiteManagementClient, token: str, verify: str, slot: str, package: Path
) -> None:
    scm = _scm_host(web, slot)
    say(f"Deploying {package.name} to {slot} through Kudu (zipdeploy)")
    with package.open("rb") as body:
        answer = requests.post(
            f"https://{scm}/api/zipdeploy?isAsync=true",
            data=body,
            verify=verify,
            timeout=60,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
        )
    answer.raise_for_status()
    location = answer.headers["Location"]
    while True:
        status = requests.get(
            location, headers={"Authorization": f"Bearer {token}"}, verify=verify, timeout=30
        ).json()
        if status["complete"]:
            break
        time.sleep(0.5)
    if status["status"] != 4:
        raise RuntimeError(f"deployment to {slot} failed: {status['status_text']}")
    say(f"  deployed: deployment {status['id'][:8]} complete")


def _build_of(web: WebSiteManagementClient, slot: str, verify: str) -> str:
    answer = requests.get(f"https://{_host(web, slot)}/api/health", verify=verify, timeout=10)
    return str(answer.json()["build"])


def _show(say: Say, web: WebSiteManagementClient, verify: str) -> None:
    for slot in ("production", "staging"):
        say(f"  {slot:<11} https://{_host(web, slot)}/api/health -> build {_build_of(web, slot, verify)}")
