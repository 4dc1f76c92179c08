"""The browser: the ``web`` page booting the floppy in v86, in headless Chromium driven by Playwright.

The same site ``almostism-dos web`` writes is served on 127.0.0.1 and opened in Debian's Chromium. The
page itself watches its screen for the result line and sets ``window.almostism``; this wrapper reads the
VGA text screen as it changes (rendered through the same screen layer as every other emulator), takes
the errorlevel from the page, and writes the floppy as v86 left it back into the image, so that ``run``
judges it as it judges a floppy that QEMU or Bochs wrote to. v86 has no power-off: the run ends when
the page has its result. Playwright is not a dependency of the tool: where it is missing, this emulator
is, and says how to get it.

Chromium is launched once per thread and kept (:func:`session`), and so is a station (:class:`_Station`):
a page and a server on 127.0.0.1 that serves each boot's own site under a name used once
(``/7/index.html``, ``/7/floppy.img``) for as long as that boot lasts. The first boot loads the page;
every later one boots its site in that page in place (``almostismBoot``): a new V86, with that site's
floppy, BIOS and configuration; what it keeps of the last boot is libv86.js and the compiled v86, nothing
of the machine. Nothing is cached (the server forbids it) and no address is served twice. When the boot
is over the page stops its PC (``almostismStop``); a page that cannot is closed, and the next boot
opens another. Measured on a 2-core EPYC: starting Playwright and Chromium for each boot cost 1.3 s of a
3.6 s boot; a fresh context and page for each boot 0.9 s more than a kept page; and loading the page
anew for each boot cost Chromium 0.55 s of CPU a self-booting boot (0.39 s wall), booting in place
0.31 s (0.26 s wall; 8 boots of each, alternating runs).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..result_line import halted_in
from ..scratch import private_directory
from .base import Emulator, EmulatorMissing

if TYPE_CHECKING:
    from ..screen import Observer, Screen

PROGRAM = "chromium"
PACKAGE = "chromium npm seabios vgabios"
_NEXT_SCREEN = """async ([seen, wait]) => {
  const until = performance.now() + wait;
  for (;;) {
    const kept = window.almostismScreens || [], outcome = window.almostism || null;
    if (outcome !== null || kept.length > seen || performance.now() >= until) {
      const rows = emulator.screen_adapter ? emulator.screen_adapter.get_text_screen() : [];
      return { changes: kept.length, outcome, screens: [...kept.slice(seen), rows] };
    }
    await new Promise(next => setTimeout(next, 10));
  }
}"""  # once the page has kept a screen since the ``seen``-th, or has a result, or ``wait`` ms have passed:
# how many it has kept, the result (or null), and each screen kept since, then the screen as it is now.
# (The screen as it was at each call alone lost the VGA BIOS's banner, which SeaBIOS clears at once,
# on a loaded machine: measured, 1 of 3 full test runs with MAME's tests beside it.)
_CHANGED_SECTORS = """async () => {
  const now = await currentImage();
  const before = new Uint8Array(await (await fetch(here(config.image), { cache: "no-store" })).arrayBuffer());
  if (before.length !== now.length) return null;
  const changed = [];
  for (let at = 0; at < now.length; at += 512) {
    for (let i = at; i < Math.min(at + 512, now.length); i++) {
      if (now[i] !== before[i]) {
        changed.push([at, btoa(String.fromCharCode(...now.subarray(at, at + 512)))]);
        break;
      }
    }
  }
  return changed;
}"""  # [offset, base64 of the sector] for each sector v86 changed; null if the sizes differ
_DISK = """async () => {
  const disk = await currentImage();
  let text = "";
  for (let i = 0; i < disk.length; i += 0x8000) text += String.fromCharCode(...disk.subarray(i, i + 0x8000));
  return btoa(text);
}"""


def _playwright() -> Any:
    try:
        from playwright import sync_api
    except ImportError:
        raise EmulatorMissing(
            "Playwright's Python package is not installed (pip install 'almostism-dos[browser]')"
        ) from None
    return sync_api


_SESSIONS: dict[int, tuple[Any, Any]] = {}  # thread -> (Playwright, its Chromium); one sync API per thread


def session(program: str) -> Any:
    """This thread's headless Chromium (``program``), launched at first use and kept until the process
    ends or it is closed (then launched again)."""
    thread = threading.get_ident()
    if thread in _SESSIONS:
        playwright, chromium = _SESSIONS[thread]
        if chromium.is_connected():
            return chromium
        _SESSIONS.pop(thread)
        with contextlib.suppress(Exception):  # (it is gone already; only Playwright is left to stop)
            playwright.stop()
    playwright = _playwright().sync_playwright().start()
    chromium = launch(playwright, program)
    _SESSIONS[thread] = (playwright, chromium)
    return chromium


_NAMES = itertools.count(1)  # the names sites are served under: each used once in this process


@dataclass
class _Station:
    """One thread's page for boots (in a context of its own in :func:`session`'s Chromium) and the server
    its sites are mounted on; ``loaded``: the page holds our page, which can boot a site in place;
    ``mounted``: the name the current boot's site is served under."""

    page: Any
    server: Any
    loaded: bool = False
    mounted: str | None = None

    def boot(self, site: Path) -> None:
        """Serve ``site`` under a new name and boot it: in place, or by loading its page."""
        from ..web.serve import url
        from ..web.site import PAGE

        self.mounted = str(next(_NAMES))
        self.server.mounts[self.mounted] = site
        address = url(self.server, f"{self.mounted}/{PAGE}")
        if self.loaded:
            self.page.evaluate("address => almostismBoot(address)", address)
        else:
            self.page.goto(address)
            self.loaded = True

    def stop(self) -> bool:
        """Stop the page's PC and stop serving the boot's site; False if the page could not."""
        if self.mounted is not None:
            self.server.mounts.pop(self.mounted, None)
            self.mounted = None
        try:
            self.page.evaluate("async () => { if (window.almostismStop) await almostismStop(); }")
        except Exception:  # (crashed, or its Chromium is gone: nothing of it is worth keeping)
            return False
        return True

    def close(self) -> None:
        """Close the page with its context, and the server (what can still be closed)."""
        self.server.shutdown()
        self.server.server_close()
        with contextlib.suppress(Exception):
            self.page.context.close()


_STATIONS: dict[int, _Station] = {}  # thread -> its station


def station(program: str) -> _Station:
    """This thread's station; made anew when there is none yet, or its page has gone (closed, or its
    Chromium restarted). Raises :class:`~..web.serve.ServeError` when no port can be had."""
    from ..web.serve import mounting

    thread = threading.get_ident()
    chromium = session(program)
    kept = _STATIONS.get(thread)
    if kept is not None and not kept.page.is_closed() and kept.page.context.browser is chromium:
        return kept
    if kept is not None:
        kept.close()
    server = mounting()
    try:
        made = _Station(chromium.new_context().new_page(), server)
    except BaseException:
        server.shutdown()
        server.server_close()
        raise
    _STATIONS[thread] = made
    return made


def _leave(kept: _Station) -> None:
    """End a boot: its PC stopped, its site no longer served; a station whose page cannot stop its PC is
    closed, and the next boot makes another."""
    if not kept.stop():
        _STATIONS.pop(threading.get_ident(), None)
        kept.close()


@atexit.register
def _close_sessions() -> None:
    """Close every thread's station, Chromium and Playwright as the process ends (what can be closed)."""
    for kept in _STATIONS.values():
        kept.close()
    _STATIONS.clear()
    for playwright, chromium in _SESSIONS.values():
        with contextlib.suppress(Exception):
            chromium.close()
            playwright.stop()
    _SESSIONS.clear()


def launch(playwright: Any, program: str) -> Any:
    """Debian's Chromium, headless, through a running Playwright; its sandbox off only for root, where
    Chromium refuses to start with it (CI runs as root)."""
    arguments = ["--no-sandbox"] if os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=program, args=arguments)


def _image_after(page: Any, booted: bytes) -> bytes:
    """The image as v86 has it now: the sectors it changed, put into the bytes it booted.

    Only the changed sectors cross from the page: sending the whole 1.44 MB floppy as base64 took
    150-230 ms of a 0.8 s boot, the changed sectors 31-46 ms, most of it the page fetching the served
    image again to compare (measured, self-booting, 4 boots each)."""
    changed: list[tuple[int, str]] | None = page.evaluate(_CHANGED_SECTORS)
    if changed is None:  # (v86 changed the image's size: take it whole)
        return base64.b64decode(page.evaluate(_DISK))
    image = bytearray(booted)
    for offset, encoded in changed:
        sector = base64.b64decode(encoded)
        image[offset : offset + len(sector)] = sector
    return bytes(image)


@dataclass
class Browser(Emulator):
    """v86 (SeaBIOS and the LGPL VGA BIOS) on the ``web`` page, in headless Chromium."""

    name: ClassVar[str] = "browser"
    title: ClassVar[str] = "v86 in Chromium"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    typical_seconds: ClassVar[float] = 5.3  # (measured: run --keep, 1.44 MB, 2 cores)
    boot_as: str = "floppy"  # or "disk": v86's first hard disk (a disk image always boots so)
    boots_as: ClassVar[tuple[str, ...]] = ("floppy", "disk")
    version_said: ClassVar[str] = r"Chromium \S+"

    @classmethod
    def version(cls) -> str | None:
        """The pinned v86 and the Chromium it runs in (``v86 0.5.462 in Chromium 156.0.8078.114``)."""
        from ..web.v86 import VERSION

        return f"v86 {VERSION} in {super().version() or 'Chromium'}"

    @classmethod
    def unavailable(cls) -> str | None:
        from ..web.v86 import V86Unavailable, obtain

        try:
            cls().executable()
            _playwright()
            obtain()  # the pinned v86, from the cache or (once) by npm
        except (EmulatorMissing, V86Unavailable) as missing:
            return str(missing)
        return None

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        from ..outputs import write_atomically
        from ..web.site import IMAGE, BiosMissing, write_site
        from ..web.v86 import V86Unavailable

        deadline = time.monotonic() + timeout
        with private_directory("browser") as scratch:
            self.doing = "getting v86"  # (from the cache; the first time, by npm)
            try:
                site = write_site(image, Path(scratch) / "site", boot_as=self.boot_as)
            except (V86Unavailable, BiosMissing) as error:
                raise EmulatorMissing(str(error)) from None
            self.doing = "starting Chromium"
            kept = station(program)
            try:
                self.doing = "loading v86"
                kept.boot(site.directory)
                self.doing = "booting"
                outcome = self._follow(kept.page, screen, observer, deadline)
                if outcome is not None:  # the floppy as v86 left it, renamed into place whole
                    booted = (site.directory / IMAGE).read_bytes()
                    write_atomically(image, _image_after(kept.page, booted), force=True)
            finally:
                _leave(kept)
        return (None, False) if outcome is None else (int(outcome["errorlevel"]), True)

    @staticmethod
    def _follow(
        page: Any, screen: Screen, observer: Observer | None, deadline: float
    ) -> dict[str, Any] | None:
        """Render the page's screen until it has a result (returned) or the deadline passes (None).

        One call into the page a screen change: v86 runs on the page's main thread, so every call waits
        for its current slice. Asking for the count, the result and the screen separately, and waiting
        between, took about 22 ms a call and 0.24-0.37 s of a 0.7 s self-booting boot (measured)."""
        shown: list[str] = []
        seen = 0  # screens taken so far
        while True:
            wait = max(0.0, deadline - time.monotonic())
            state: dict[str, Any] = page.evaluate(_NEXT_SCREEN, [seen, wait * 1000])
            seen = state["changes"]
            changed = False
            for rows in state["screens"]:
                if rows != shown:
                    screen.show(rows)
                    shown, changed = rows, True
            if changed and observer is not None:
                observer(screen)
            outcome: dict[str, Any] | None = state["outcome"]
            if outcome is not None or deadline - time.monotonic() <= 0 or halted_in("\n".join(shown)):
                return outcome
