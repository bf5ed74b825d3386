"""Fixtures of the contract tests: raw HTTPS calls to a live emulator, as a client of Azure would send
them, with a real token and the names of an app and slot the emulator has."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from slotwise_emulator import Emulator, FunctionApp

API_VERSION = "2025-05-01"


class Arm:
    """Calls to the emulator's ARM endpoint for the function app of the ``function_app`` fixture."""

    def __init__(self, emulator: Emulator, app: FunctionApp, token: str) -> None:
        self.emulator = emulator
        self.token = token
        group = f"/subscriptions/{app.subscription_id}/resourceGroups/{app.resource_group}"
        self.group = group
        self.site = f"{group}/providers/Microsoft.Web/sites/{app.name}"
        self.slot = f"{self.site}/slots/staging"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        api_version: str | None = API_VERSION,
        authenticated: bool = True,
    ) -> requests.Response:
        """``method`` on ``path`` (an ARM path, or a full URL such as a Location) with ``body`` as JSON."""
        url = path if path.startswith("https://") else f"{self.emulator.arm_url}{path}"
        params = {"api-version": api_version} if api_version is not None and "?" not in url else None
        headers = {"Authorization": f"Bearer {self.token}"} if authenticated else {}
        return requests.request(
            method,
            url,
            params=params,
            json=body,
            headers=headers,
            verify=str(self.emulator.ca_path),
            timeout=10,
        )


@pytest.fixture
def arm(emulator: Emulator, function_app: FunctionApp, arm_token: str) -> Arm:
    return Arm(emulator, function_app, arm_token)
