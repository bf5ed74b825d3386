"""The real ``azure-devops`` client pointed at an emulated organization, for the emulator's own tests.

``connect`` builds a ``Connection`` as slotwise (and az devops) do: the organization's collection URL and
``BasicAuthentication('', pat)``. TLS trust comes from ``REQUESTS_CA_BUNDLE`` (the client's requests
session reads it), which the ``devops`` fixture sets to the emulator's CA. ``raw`` sends one request the
way the client does (Accept with the api-version, ``X-TFS-FedAuthRedirect: Suppress``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from azure.devops.connection import Connection
from msrest.authentication import BasicAuthentication

from slotwise_emulator import Emulator, Speed


@dataclass(frozen=True)
class Org:
    """A seeded emulator and what a client needs of its organization."""

    emulator: Emulator
    url: str  # the collection URL, https://127.0.0.1:<port>/contoso/
    pat: str
    api_version: str = "7.1"  # the newest the server speaks

    def connect(self, pat: str | None = None) -> Any:
        return Connection(base_url=self.url, creds=BasicAuthentication("", pat or self.pat))

    def raw(
        self,
        method: str,
        path: str,
        *,
        version: str | None = "",
        authorization: str | None = None,
        suppress: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """``method`` on ``{collection}{path}`` with the seeded PAT (unless ``authorization``), asking
        for ``version`` (by default the server's newest; None: no api-version)."""
        basic = base64.b64encode(f":{self.pat}".encode()).decode()
        headers = {"Authorization": authorization if authorization is not None else f"Basic {basic}"}
        if version is not None:
            headers["Accept"] = f"application/json;api-version={version or self.api_version}"
        if suppress:
            headers["X-TFS-FedAuthRedirect"] = "Suppress"
        return requests.request(
            method,
            f"{self.url}{path}",
            headers=headers,
            verify=str(self.emulator.ca_path),
            timeout=10,
            allow_redirects=False,
            **kwargs,
        )


def seeded(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, api_version: str = "7.1") -> Org:
    env = emulator.env()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
    return Org(emulator, env["AZURE_DEVOPS_ORG_URL"], env["AZURE_DEVOPS_EXT_PAT"], api_version)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """A seeded emulator answering as Azure DevOps Services."""
    with Emulator(speed=Speed.instant(), seed=True) as emu:
        yield seeded(emu, monkeypatch)


@pytest.fixture
def server_2022(monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """A seeded emulator answering as Azure DevOps Server 2022."""
    with Emulator(speed=Speed.instant(), seed=True, devops_server="2022") as emu:
        yield seeded(emu, monkeypatch, "7.0")
