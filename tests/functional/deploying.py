"""Putting builds into slots for tests, the way another tool would: a raw Kudu zip deploy."""

from __future__ import annotations

from pathlib import Path

import requests

from slotwise_emulator import Emulator
from tests.packages import broken_build, good_build


def slot_hosts(emulator: Emulator, group: str, app: str, slot: str) -> tuple[str, str]:
    """(site host, SCM host) of a slot, as the emulator reports them."""
    sub = emulator.subscription_id
    found = emulator.call(lambda b: b.web.slot(sub, group, app, slot))
    return found.host_name, found.scm_host_name


def deploy_build(
    emulator: Emulator,
    token: str,
    tmp_path: Path,
    slot: str,
    version: str,
    *,
    broken: bool = False,
    group: str = "rg-demo",
    app: str = "func-demo",
) -> None:
    """Deploy build ``version`` (healthy, or answering 500 if ``broken``) to ``slot``, synchronously."""
    package = (broken_build if broken else good_build)(tmp_path / f"{slot}-{version}.zip", version)
    _, scm = slot_hosts(emulator, group, app, slot)
    with package.open("rb") as body:
        answer = requests.post(
            f"https://{scm}/api/zipdeploy",
            data=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(emulator.ca_path),
            timeout=60,
        )
    answer.raise_for_status()


def serving(emulator: Emulator, slot: str, *, group: str = "rg-demo", app: str = "func-demo") -> str:
    """The build version a slot's Functions host serves (its /api/health answer), or 'none'."""
    host, _ = slot_hosts(emulator, group, app, slot)
    answer = requests.get(f"https://{host}/api/health", verify=str(emulator.ca_path), timeout=30)
    if answer.status_code == 404:
        return "none"
    return str(answer.json().get("version"))
