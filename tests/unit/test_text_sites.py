"""Every place where remote text enters slotwise's errors and reports applies the same rules
(``slotwise.text``): whatever a service says, what slotwise quotes is one line, carries no control or
invisible formatting character, and no ``##`` (so no ``##vso[`` nor ``##[``) the agent could run."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.agent.vso import neutral as agent_neutral
from slotwise.azure.errors import translate
from slotwise.azure.kudu_records import KuduDeployment
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke_text import neutralise, safe_text
from slotwise.text import remote


def _response(status: int, body: str) -> RequestsTransportResponse:
    raw = requests.Response()
    raw.status_code = status
    raw._content = body.encode()
    raw.headers["Content-Type"] = "application/json"
    return RequestsTransportResponse(HttpRequest("GET", "https://example.test/"), raw)


def _arm(text: str) -> str:
    body = json.dumps({"error": {"code": "BadRequest", "message": text}})
    return translate(HttpResponseError(response=_response(400, body)), "reading a slot").message


def _app_service(text: str) -> str:
    body = json.dumps({"Code": text, "Message": text})
    return translate(HttpResponseError(response=_response(409, body)), "swapping").message


def _sign_in(text: str) -> str:
    return translate(ClientAuthenticationError(message=f"AADSTS7000215: {text}"), "signing in").message


def _network(text: str) -> str:
    return translate(ServiceRequestError(text), "listing slots").message


SITES: dict[str, Callable[[str], str]] = {
    "shared rules": remote,
    "ARM error": _arm,
    "App Service error": _app_service,
    "sign-in error": _sign_in,
    "network error": _network,
    "Kudu text": lambda text: KuduDeployment.from_json({"id": "1a2b", "status_text": text}).status_text,
    "smoke report text": neutralise,
    "smoke excerpt": lambda text: safe_text(text, SecretRegistry(), 10_000),
    "agent output": agent_neutral,
}
HOSTILE = [
    "Refused.\n##vso[task.setvariable variable=pwned]yes",
    "##[error]fake",
    "#\u200b#vso[task.complete]",
    "#\u2060#vso[task.complete]",  # word joiner: invisible, and skipped by a culture-aware search
    "#\u00ad#vso[task.complete]",  # soft hyphen
    "#\u0301#vso[task.complete]",  # a combining mark stuck to the '#'
    "#\u034f#[group]x",  # combining grapheme joiner
    "\x1b]0;title\x07\x1b[2J#\r#vso[x]",
]


def assert_safe(shown: str) -> None:
    assert "##" not in shown
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in shown), repr(shown)


@pytest.mark.parametrize("site", list(SITES))
@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_site_makes_hostile_text_safe(site: str, hostile: str) -> None:
    assert_safe(SITES[site](f"before {hostile} after"))


_ALPHABET = st.sampled_from(["#", "v", "s", "o", "[", "]", "\n", "\r", "\t", " ", "a", "\u200b", "\u2060",
                             "\u00ad", "\u0301", "\u034f", "\u202e", "\ufeff", "\x1b", "\x00", "\x85",
                             "\u2028", "é"])  # fmt: skip


@pytest.mark.parametrize("site", list(SITES))
@settings(max_examples=150, deadline=None)
@given(text=st.lists(_ALPHABET, max_size=40).map("".join))
def test_no_text_gets_through_any_site_unsafe(site: str, text: str) -> None:
    assert_safe(SITES[site](text))
