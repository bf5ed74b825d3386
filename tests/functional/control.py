"""The emulator's control plane as functional tests use it: fault rules and the request log.

``add_fault`` posts a rule (emulator/README.md "Faults"), ``faults`` lists the rules still in force (a
rule with a ``count`` is gone once it fired that often), ``logged_requests`` reads what reached the
emulator, ``uploads`` counts the zip deploys among it. Knows nothing of slotwise: plain HTTPS calls
to the emulator, as a test's second terminal would make them.
"""

from __future__ import annotations

from typing import Any

import requests

from slotwise_emulator import Emulator


def add_fault(emulator: Emulator, **rule: Any) -> None:
    """Inject the fault ``rule`` (path regex, method, kind, status, shape, drop, count...)."""
    answer = requests.post(
        f"{emulator.arm_url}/_emulator/faults", json=rule, verify=str(emulator.ca_path), timeout=10
    )
    assert answer.status_code == 201, answer.text


def faults(emulator: Emulator) -> list[dict[str, Any]]:
    """The fault rules still in force."""
    answer = requests.get(f"{emulator.arm_url}/_emulator/faults", verify=str(emulator.ca_path), timeout=10)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["value"]
    return found


def logged_requests(emulator: Emulator, path: str | None = None) -> list[dict[str, Any]]:
    """The requests the emulator received, oldest first; only those to ``path`` if given."""
    answer = requests.get(f"{emulator.arm_url}/_emulator/requests", verify=str(emulator.ca_path), timeout=10)
    answer.raise_for_status()
    entries: list[dict[str, Any]] = answer.json()["value"]
    return [entry for entry in entries if path is None or entry["path"] == path]


def uploads(emulator: Emulator) -> int:
    """How many zip deploys (uploads to a Kudu's ``/api/zipdeploy``) reached the emulator."""
    return len(logged_requests(emulator, "/api/zipdeploy"))
