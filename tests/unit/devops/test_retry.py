"""When a request to Azure DevOps is sent again: slotwise's urllib3 policy, exercised through requests
against a scripted server on loopback, sleeping on a recording fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from requests.adapters import HTTPAdapter

from slotwise.devops.retry import DevOpsRetry

Script = list[tuple[int, dict[str, str]]]
DROP = 0


class Scripted:
    """A loopback server answering each request with the next (status, headers) of ``script``."""

    def __init__(self) -> None:
        self.script: Script = []
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.seen.append(self.command)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, headers = outer.script.pop(0) if outer.script else (200, {})
                if status == DROP:  # read the request, then close without answering
                    self.close_connection = True
                    return
                self.send_response(status)
                for name, value in {**headers, "Content-Length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()

            do_GET = do_POST = do_PUT = do_OPTIONS = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/org/_apis/x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    yield scripted
    scripted.server.shutdown()
    scripted.server.server_close()


def session(slept: list[float], **policy: float) -> requests.Session:
    s = requests.Session()
    retry = DevOpsRetry.policy(slept.append, **policy)  # type: ignore[arg-type]
    s.mount("http://", HTTPAdapter(max_retries=retry))
    return s


def test_a_throttled_read_waits_what_retry_after_says_then_succeeds(server: Scripted) -> None:
    server.script = [(429, {"Retry-After": "2"}), (429, {"Retry-After": "3"}), (200, {})]
    slept: list[float] = []
    assert session(slept).get(server.url).status_code == 200
    assert slept == [2.0, 3.0]
    assert server.seen == ["GET"] * 3


def test_a_throttled_write_is_sent_again_the_server_did_not_take_it(server: Scripted) -> None:
    server.script = [(429, {"Retry-After": "1"}), (201, {})]
    slept: list[float] = []
    assert session(slept).post(server.url, json={"name": "x"}).status_code == 201
    assert slept == [1.0]
    assert server.seen == ["POST", "POST"]


def test_503_is_retried_for_reads_only(server: Scripted) -> None:
    server.script = [(503, {"Retry-After": "1"}), (200, {})]
    slept: list[float] = []
    assert session(slept).get(server.url).status_code == 200
    assert slept == [1.0]
    server.script, server.seen, slept[:] = [(503, {"Retry-After": "1"}), (200, {})], [], []
    assert session(slept).put(server.url, json={}).status_code == 503  # a write may have been taken
    assert slept == []
    assert server.seen == ["PUT"]


def test_other_failures_are_answered_once(server: Scripted) -> None:
    server.script = [(500, {}), (200, {})]
    slept: list[float] = []
    assert session(slept).get(server.url).status_code == 500
    assert slept == []
    assert server.seen == ["GET"]


def test_no_retry_whose_wait_passes_the_total_bound(server: Scripted) -> None:
    server.script = [(429, {"Retry-After": "4"}), (429, {"Retry-After": "4"}), (200, {})]
    slept: list[float] = []
    answer = session(slept, max_wait=5.0).get(server.url)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "4"
    assert slept == [4.0]
    assert len(server.seen) == 2


def test_attempts_are_bounded(server: Scripted) -> None:
    server.script = [(429, {"Retry-After": "0"})] * 10
    slept: list[float] = []
    assert session(slept, attempts=3).get(server.url).status_code == 429
    assert len(server.seen) == 3


def test_without_retry_after_it_backs_off(server: Scripted) -> None:
    server.script = [(429, {}), (429, {"Retry-After": "not a number or a date"}), (200, {})]
    slept: list[float] = []
    assert session(slept).get(server.url).status_code == 200
    assert slept == [0.5, 1.0]  # exponential


def test_a_refused_connection_is_retried_for_every_method_the_request_never_left() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for method in ("GET", "POST"):
        slept: list[float] = []
        with pytest.raises(requests.ConnectionError):
            session(slept, attempts=3).request(method, f"http://127.0.0.1:{port}/org/_apis", json={})
        assert slept == [0.5, 1.0]


def test_a_connection_dropped_after_the_request_was_sent_is_retried_for_reads_only(server: Scripted) -> None:
    server.script = [(DROP, {}), (200, {})]
    slept: list[float] = []
    assert session(slept).get(server.url).status_code == 200
    assert server.seen == ["GET", "GET"]
    server.script, server.seen = [(DROP, {}), (201, {})], []
    with pytest.raises(requests.ConnectionError):
        session(slept).post(server.url, json={})  # it may have been taken: not sent again
    assert server.seen == ["POST"]
