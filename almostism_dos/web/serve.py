"""Serve a written site on 127.0.0.1 only, until Ctrl-C.

A static file server is all the page needs (``file://`` cannot fetch the floppy image); this is the
standard library's, quiet, with the WebAssembly type set so browsers compile ``v86.wasm`` as it streams.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

HOST = "127.0.0.1"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the standard library declares it so)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing per request: the terminal shows the URL and nothing else."""


def server(directory: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for ``directory`` bound to 127.0.0.1 (port 0: any free one); not yet serving."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((HOST, port), handler)


@contextlib.contextmanager
def serving(directory: Path, port: int = 0) -> Iterator[http.server.ThreadingHTTPServer]:
    """:func:`server`, answering from a background thread until the block ends."""
    with server(directory, port) as running:
        threading.Thread(target=running.serve_forever, daemon=True).start()
        try:
            yield running
        finally:
            running.shutdown()


def url(running: http.server.ThreadingHTTPServer, page: str) -> str:
    """The address of ``page`` on ``running``."""
    return f"http://{HOST}:{running.server_address[1]}/{page}"


def serve(directory: Path, page: str, port: int, out: TextIO) -> None:
    """Serve until Ctrl-C, after printing the page's URL."""
    with server(directory, port) as running:
        print(f"serving {url(running, page)} (Ctrl-C stops)", file=out, flush=True)
        try:
            running.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=out)
