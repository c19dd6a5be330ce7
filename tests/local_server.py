"""Serve an ASGI app on 127.0.0.1 in its own thread and event loop (for local fake servers).

Its own loop means a fake that hangs on purpose never blocks the test's loop, and tests of
any loop (and benchmarks) can share one server.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn


def listening_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1, for ``uvicorn.Server.serve(sockets=...)``.

    With TCP_NODELAY: connections accepted from it inherit the option, and asyncio sets it only
    on sockets created with ``proto=IPPROTO_TCP``. Without it, Nagle's algorithm held each
    response's second write until the client's delayed ACK: 44 ms per request.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServer:
    """Call :meth:`serve` with the app; ``url`` and ``hostport`` say where it listens."""

    def __init__(self) -> None:
        self.url = ""
        self.hostport = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def serve(self, app: Any) -> None:
        """Start serving ``app`` on a free port; return once it accepts connections."""
        sock = listening_socket()
        self.hostport = f"127.0.0.1:{sock.getsockname()[1]}"
        self.url = f"http://{self.hostport}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
