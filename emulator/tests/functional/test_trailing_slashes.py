"""A trailing slash is answered as the same path without it, never with a redirect, where the real
service ignores it: Microsoft's Node library behind the App Service tasks posts to
``<authority>/<tenant>/oauth2/token/`` and reads a production site as ``.../sites/<app>/``, and its
HTTP client follows no redirects."""

from __future__ import annotations

from typing import Any

import requests

from slotwise_emulator import Emulator, FunctionApp

API = "api-version=2016-08-01"  # what the library asks for


def _no_redirect(method: str, url: str, emulator: Emulator, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, url, verify=str(emulator.ca_path), timeout=10, allow_redirects=False, **kwargs
    )


def test_the_v1_token_endpoint_answers_with_a_trailing_slash(emulator: Emulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "resource": "https://management.core.windows.net/",
    }
    url = f"{emulator.authority}/{emulator.tenant_id}/oauth2/token/"
    answer = _no_redirect("POST", url, emulator, data=form)
    assert answer.status_code == 200
    assert answer.json()["resource"] == "https://management.core.windows.net/"
    assert answer.json()["access_token"]


def test_arm_answers_a_site_with_a_trailing_slash(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-demo"
    site = f"{group}/providers/Microsoft.Web/sites/func-demo"
    headers = {"Authorization": f"Bearer {arm_token}"}
    with_slash = _no_redirect("GET", f"{emulator.arm_url}{site}/?{API}", emulator, headers=headers)
    without = _no_redirect("GET", f"{emulator.arm_url}{site}?{API}", emulator, headers=headers)
    assert with_slash.status_code == 200
    assert with_slash.json() == without.json()
    listed = _no_redirect("GET", f"{emulator.arm_url}{site}/slots/?{API}", emulator, headers=headers)
    assert [slot["name"] for slot in listed.json()["value"]] == ["func-demo/staging"]


def test_kudu_answers_its_deployments_with_a_trailing_slash(
    emulator: Emulator, function_app: FunctionApp, arm_token: str
) -> None:
    host = emulator.call(
        lambda b: b.web.slot(emulator.subscription_id, "rg-demo", "func-demo", "staging").scm_host_name
    )
    answer = _no_redirect(
        "GET", f"https://{host}/api/deployments/", emulator, headers={"Authorization": f"Bearer {arm_token}"}
    )
    assert (answer.status_code, answer.json()) == (200, [])


def test_an_unknown_path_with_a_trailing_slash_is_a_404(emulator: Emulator, arm_token: str) -> None:
    headers = {"Authorization": f"Bearer {arm_token}"}
    answer = _no_redirect("GET", f"{emulator.arm_url}/not-a-thing/?{API}", emulator, headers=headers)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "InvalidResourceType"


def test_azure_devops_answers_the_oidc_token_endpoint_with_a_trailing_slash(emulator: Emulator) -> None:
    job = emulator.pipeline_job()
    url = f"{job.oidc_request_uri}/?serviceConnectionId={job.service_connection_id}&api-version=7.1"
    headers = {"Authorization": f"Bearer {job.access_token}", "X-TFS-FedAuthRedirect": "Suppress"}
    answer = _no_redirect("POST", url, emulator, headers=headers, json={})
    assert answer.status_code == 200
    assert answer.json()["oidcToken"]
