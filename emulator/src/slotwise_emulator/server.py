"""The HTTPS server under the emulator: one event loop, many loopback listeners, one ASGI app.

Every host the emulator reports has a port of its own, opened on demand (``open_port``) while the
server runs, all served by the same app, which tells them apart by the ``Host`` header. The server
runs its loop in a background thread so tests and the CLI can start and stop it in-process. It also
lets the app drop a connection on purpose (a fault): ``abort_current_connection()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from slotwise_emulator.backends.hosts import LOOPBACK
from slotwise_emulator.errors import EmulatorError
from slotwise_emulator.tls import TlsFiles

T = TypeVar("T")

_current_transport: contextvars.ContextVar[asyncio.Transport | None] = contextvars.ContextVar(
    "slotwise_emulator_transport", default=None
)


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering the connection for the request tasks it starts."""

    def handle_events(self) -> None:
        token = _current_transport.set(self.transport)
        try:
            super().handle_events()
        finally:
            _current_transport.reset(token)


def abort_current_connection() -> None:
    """Drop the TCP connection of the request being served (no response at all)."""
    transport = _current_transport.get()
    if transport is not None:
        transport.abort()


class _Server(uvicorn.Server):
    """A uvicorn server that can start listening on more sockets while it runs."""

    async def add_socket(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop
            )

        server = await loop.create_server(create_protocol, sock=sock, ssl=config.ssl, backlog=config.backlog)
        self.servers.append(server)


def bind_loopback(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (``port`` 0: any free port)."""
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without
    # it every response with a body waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        sock.close()
        raise EmulatorError(f"Cannot listen on {LOOPBACK}:{port}: {exc.strerror or exc}.") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class HttpsServer:
    """Runs an ASGI app over HTTPS on loopback listeners, in a background thread."""

    def __init__(self, app: Any, tls: TlsFiles) -> None:
        self._config = uvicorn.Config(
            app,
            ssl_certfile=str(tls.cert_path),
            ssl_keyfile=str(tls.key_path),
            http=_Protocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            loop="asyncio",
            timeout_graceful_shutdown=1,
            h11_max_incomplete_event_size=64 * 1024,
        )
        self._server = _Server(self._config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[socket.socket] = []
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._server.started

    def open_port(self, wanted: int = 0) -> int:
        """Listen on another loopback port (any free one if ``wanted`` is 0); returns the port."""
        sock = bind_loopback(wanted)
        port = int(sock.getsockname()[1])
        loop = self._loop
        if loop is None or not self._server.started:
            self._pending.append(sock)
        elif _on_loop(loop):
            loop.create_task(self._server.add_socket(sock))
        else:
            asyncio.run_coroutine_threadsafe(self._server.add_socket(sock), loop).result(timeout=10)
        return port

    def start(self, timeout: float = 10.0) -> None:
        """Start serving every port opened so far; returns once the server accepts connections."""
        sockets, self._pending = self._pending, []
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(sockets, ready))
            except BaseException as exc:
                self._error = exc
                ready.set()
            finally:
                _cancel_pending(loop)
                loop.close()

        self._thread = threading.Thread(target=run, name="slotwise-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or self._error is not None:
            raise EmulatorError(f"The emulator did not start: {self._error or 'timed out'}.")

    async def _serve(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        async def announce() -> None:
            while not self._server.started and not self._server.should_exit:
                await asyncio.sleep(0.002)
            for sock in self._pending:  # opened while starting
                await self._server.add_socket(sock)
            self._pending = []
            ready.set()

        task = asyncio.get_running_loop().create_task(announce())
        await self._server.serve(sockets=sockets)
        task.cancel()

    def call(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the server's loop thread (where all state changes happen) and return its result."""
        loop = self._loop
        if loop is None or not self.running:
            return fn()
        if _on_loop(loop):
            return fn()

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close connections, and wait for the thread to end."""
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread is not None:
            deadline = time.monotonic() + timeout
            self._thread.join(max(0.0, deadline - time.monotonic()))
        for sock in self._pending:
            sock.close()
        self._pending = []


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Requests still being served when the server stops (a fault holding one up, a client that never
    finished sending) are cancelled, quietly: the emulator is going away and nobody waits for their
    answers. Without this the loop would be closed under them ("Task was destroyed but it is
    pending!", and uvicorn's "Exception in ASGI application" when they are collected)."""
    pending = asyncio.all_tasks(loop)
    if not pending:
        return
    for task in pending:
        task.cancel()
    uvicorn_errors = logging.getLogger("uvicorn.error")
    was_disabled, uvicorn_errors.disabled = uvicorn_errors.disabled, True
    try:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        uvicorn_errors.disabled = was_disabled


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
