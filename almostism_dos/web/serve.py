"""Serve a written site on 127.0.0.1 only, until Ctrl-C (or SIGTERM, or SIGHUP).

A static file server is all the page needs (``file://`` cannot fetch the floppy image); this is the
standard library's, made safe to leave running: quiet (no per-request log, no traceback when a client
hangs up or sends a path it cannot open), the WebAssembly type set so browsers compile ``v86.wasm`` as it
streams, no directory listings, a time limit on idle connections, and only requests addressed to this
server by name (a Host header of 127.0.0.1 or localhost and its port): a page elsewhere that rebinds its
own domain name to 127.0.0.1 gets nothing. Nothing it sends may be cached: a site served again on the
same port (the default 8086, or a free port handed out again) has the same addresses, and a browser
that kept the last image under a heuristic freshness or an If-Modified-Since answered within the same
second would boot the wrong floppy. The browser emulator's server (:func:`mounting`) is the same handler
serving many sites at once, each under a name of its own, for as long as it is mounted.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import os
import socket
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from ..stop_signals import start_thread

HOST = "127.0.0.1"
IDLE_SECONDS = 10  # a connection that sends nothing for this long is closed


class ServeError(Exception):
    """The server cannot start; the message says why."""


class Stopped(Exception):
    """Raised by a signal handler to stop :func:`serve` cleanly."""


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    timeout = IDLE_SECONDS
    extensions_map = {  # noqa: RUF012 (the standard library declares it so)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing per request: the terminal shows the URL and nothing else."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _addressed_to_us(self) -> bool:
        port = self.server.server_address[1]  # type: ignore[index]
        hosts = self.headers.get_all("Host") or []
        # Exactly one Host: with two, which one a proxy or a browser believed is anyone's guess (this
        # server judged by the first, measured), so a request that names two is not addressed to us.
        return len(hosts) == 1 and hosts[0] in (f"{HOST}:{port}", f"localhost:{port}")

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        if not self._addressed_to_us():
            self.send_error(HTTPStatus.FORBIDDEN, "Not addressed to this server")
            return None
        try:
            return super().send_head()
        except ValueError:  # a path the file system cannot name (an encoded NUL)
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad path")
            return None

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None


class _MountsHandler(_SiteHandler):
    """Serves ``/NAME/FILE`` from the directory mounted under NAME (:attr:`_SiteServer.mounts`); any
    other path, or a name no longer mounted, is not found."""

    def translate_path(self, path: str) -> str:
        name, _, rest = path.lstrip("/").partition("/")
        mounted = self.server.mounts.get(name)  # type: ignore[attr-defined]
        if mounted is None:
            return os.devnull + "/not-mounted"  # (a path that names no file: 404)
        self.directory = str(mounted)
        return super().translate_path("/" + rest)


class _SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: socketserver's 5 made connects beyond it wait for a SYN retry, a second each
    # (measured: 32 of them under 200 held connections). The kernel caps it at somaxconn.
    request_queue_size = socket.SOMAXCONN
    mounts: dict[str, Path]  # (a server of :func:`mounting` only) name -> the directory it serves

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or stalls is its own business; anything else, in one line."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            print(f"almostism-dos: web: a request failed: {error!r}", file=sys.stderr)


def server(directory: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for ``directory`` bound to 127.0.0.1 (port 0: any free one); not yet serving.

    Raises :class:`ServeError` when the port cannot be had.
    """
    return _bound(functools.partial(_SiteHandler, directory=str(directory)), port)


def _bound(handler: Any, port: int) -> _SiteServer:
    """A :class:`_SiteServer` on ``port`` of 127.0.0.1 answering with ``handler``; :class:`ServeError`
    when the port cannot be had."""
    try:
        return _SiteServer((HOST, port), handler)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ServeError(f"cannot listen on {HOST}:{port} ({reason})") from None


def _answering(running: http.server.ThreadingHTTPServer) -> None:
    """Answer from a background thread; :meth:`~socketserver.BaseServer.shutdown` is seen within 20 ms
    (the default poll, 0.5 s, was paid at every browser boot)."""
    start_thread(threading.Thread(target=running.serve_forever, args=(0.02,), daemon=True))


@contextlib.contextmanager
def serving(directory: Path, port: int = 0) -> Iterator[http.server.ThreadingHTTPServer]:
    """:func:`server`, answering from a background thread until the block ends."""
    with server(directory, port) as running:
        _answering(running)
        try:
            yield running
        finally:
            running.shutdown()


def mounting() -> _SiteServer:
    """A server on any free port of 127.0.0.1, already answering, that serves each directory put in
    its ``mounts`` under its name (``/NAME/...``) for as long as it is there, nothing else; the caller
    shuts it down and closes it. Raises :class:`ServeError` when no port can be had."""
    running = _bound(_MountsHandler, 0)
    running.mounts = {}
    _answering(running)
    return running


def url(running: http.server.ThreadingHTTPServer, page: str) -> str:
    """The address of ``page`` on ``running``."""
    return f"http://{HOST}:{running.server_address[1]}/{page}"


def serve(directory: Path, page: str, port: int, out: TextIO) -> None:
    """Serve until Ctrl-C or :class:`Stopped`, after printing the page's URL."""
    try:
        with server(directory, port) as running:
            print(f"serving {url(running, page)} (Ctrl-C stops)", file=out, flush=True)
            running.serve_forever()
    except (KeyboardInterrupt, Stopped):  # whenever it comes: before, while or after serving starts
        print("stopped", file=out)
