"""almostism-dos web: the site, v86's pin, serving, and the page in a real headless Chromium.

The browser tests drive Debian's Chromium through Playwright's Python package, serve the written site on
127.0.0.1 and wait for ``window.almostism``, which the page sets when the result line is on its screen.
They skip, saying why, where Chromium, Playwright or npm (for v86, once) is missing.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from almostism_dos import reference, scripture
from almostism_dos.cell_map import CELLS, region_of
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators.base import EmulatorMissing
from almostism_dos.emulators.browser import Browser, session
from almostism_dos.emulators.browser import station as browser_station
from almostism_dos.fat12 import Fat12Image
from almostism_dos.result_line import RESULT_PREFIX
from almostism_dos.web import site as web_site
from almostism_dos.web import v86
from almostism_dos.web.serve import mounting, serving, url
from tests.images import embedded_image, self_booting


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache / "almostism-dos"


def fake_npm(directory: Path, tarball: bytes | None) -> None:
    """An ``npm`` on PATH whose ``pack`` drops ``tarball`` into --pack-destination (None: it fails)."""
    directory.mkdir(exist_ok=True)
    (directory / "v86.tgz.bin").write_bytes(tarball or b"")
    body = (
        f'cp "{directory}/v86.tgz.bin" "$4/v86-{v86.VERSION}.tgz"'
        if tarball is not None
        else 'echo "npm error network request failed, reason: getaddrinfo EAI_AGAIN" >&2; exit 1'
    )
    script = directory / "npm"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/build/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tarball_that_is_not_the_pinned_one_is_refused(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_npm(tmp_path / "bin", tarball({"libv86.js": b"// not v86", "v86.wasm": b"\0asm"}))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    with pytest.raises(v86.V86Unavailable, match="integrity is not the pinned one"):
        v86.obtain()
    assert not v86.cached().exists() or not any(v86.cached().iterdir())


def test_without_npm_web_says_so_in_one_line(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 7)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["web", str(image), "-o", str(tmp_path / "site")]) == ExitCode.UNAVAILABLE
    error = capsys.readouterr().err
    assert "npm is not installed" in error and len(error.strip().splitlines()) == 1


def test_offline_npm_is_one_clear_line(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_npm(tmp_path / "bin", None)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    image = tmp_path / "a.img"
    self_booting(image, 7)
    assert main(["web", str(image), "-o", str(tmp_path / "site")]) == ExitCode.UNAVAILABLE
    error = capsys.readouterr().err
    assert "failed (offline?)" in error and "EAI_AGAIN" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "site").exists()


def test_missing_bios_files_name_their_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 7)
    monkeypatch.setitem(web_site._BIOS_FILES, "bios/seabios.bin", tmp_path / "no-bios.bin")
    assert main(["web", str(image), "-o", str(tmp_path / "site")]) == ExitCode.UNAVAILABLE
    assert "apt-get install seabios vgabios" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_web_needs_exactly_one_of_output_and_serve(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 7)
    assert main(["web", str(image)]) == ExitCode.USAGE
    assert main(["web", str(image), "-o", str(tmp_path / "s"), "--serve"]) == ExitCode.USAGE
    assert main(["web", str(tmp_path / "missing.img"), "-o", str(tmp_path / "s")]) == ExitCode.NO_INPUT


def test_the_page_knows_the_liturgy_from_its_one_place() -> None:
    page = web_site.page()
    assert "@CONFIG@" not in page
    config = web_site.config()
    assert config["result_prefix"] == RESULT_PREFIX and config["scripture_file"] == scripture.SCRIPTURE_FILE
    meanings = config["meanings"]
    assert isinstance(meanings, dict) and meanings["4"] == scripture.Verdict.FALSE.meaning
    assert f'"result_prefix": "{RESULT_PREFIX}"' in page


# --- v86 itself, and the browser -----------------------------------------------------------------


@pytest.fixture(scope="session")
def v86_build() -> v86.V86:
    """The pinned v86 (the user cache, else npm); skips with the reason where it cannot be had."""
    try:
        return v86.obtain()
    except v86.V86Unavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture
def chromium() -> Any:
    """The browser emulator's own Chromium for this thread (one sync Playwright per thread)."""
    try:
        program = Browser().executable()
    except EmulatorMissing as missing:
        pytest.skip(str(missing))
    pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is missing")
    return session(program)


def site_for(image: Path, directory: Path) -> web_site.Site:
    assert main(["web", str(image), "-o", str(directory)]) == 0
    return web_site.Site(directory)


@contextlib.contextmanager
def opened(chromium: Any, written: web_site.Site) -> Iterator[Any]:
    """The site served on 127.0.0.1 and its page open, once the page has its result."""
    with serving(written.directory) as running:
        page = chromium.new_page()
        try:
            page.goto(url(running, written.page.name))
            page.wait_for_function("window.almostism !== undefined", timeout=60_000)
            yield page
        finally:
            page.close()


def outcome_in_browser(chromium: Any, written: web_site.Site, screenshot: Path) -> tuple[dict[str, Any], str]:
    """Open the site's page, wait for ``window.almostism``; the outcome and the page's title."""
    with opened(chromium, written) as page:
        page.screenshot(path=str(screenshot), full_page=True)
        return page.evaluate("window.almostism"), page.title()


@pytest.mark.browser
def test_a_valid_floppy_completes_in_the_browser(chromium: Any, v86_build: v86.V86, tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    before = image.read_bytes()
    shot = tmp_path / "page.png"
    outcome, title = outcome_in_browser(chromium, site_for(image, tmp_path / "site"), shot)
    assert outcome == {"errorlevel": 0, "vanished": True}
    assert title.startswith(f"{RESULT_PREFIX}0")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.read_bytes() == before  # the page boots its own copy


@pytest.mark.browser
def test_an_ordinary_file_is_left_alone_in_the_browser(
    chromium: Any, v86_build: v86.V86, tmp_path: Path
) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(embedded_image(b"Dear reader, an ordinary letter.\r\n"))
    outcome, title = outcome_in_browser(chromium, site_for(image, tmp_path / "site"), tmp_path / "page.png")
    assert outcome == {"errorlevel": 2, "vanished": False}
    assert title.startswith(f"{RESULT_PREFIX}2")


@pytest.mark.browser
@pytest.mark.freedos
def test_a_freedos_floppy_completes_in_the_browser(
    chromium: Any, v86_build: v86.V86, tmp_path: Path, configured_freedos: Path
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--freedos", str(configured_freedos)]) == 0
    outcome, _ = outcome_in_browser(chromium, site_for(image, tmp_path / "site"), tmp_path / "page.png")
    assert outcome == {"errorlevel": 0, "vanished": True}


@pytest.mark.browser
def test_keys_reach_the_pc_only_while_its_screen_has_the_focus(
    chromium: Any, v86_build: v86.V86, tmp_path: Path
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 9)
    with opened(chromium, site_for(image, tmp_path / "site")) as page:
        assert page.evaluate("emulator.keyboard_adapter.emu_enabled") is True  # focused at load
        assert page.evaluate("emulator.speaker_adapter === undefined")  # (no audio threads for no sound)
        page.click("#again")  # the button takes the focus: keys stay with the page
        page.wait_for_function("window.almostism !== undefined", timeout=60_000)
        assert page.evaluate("emulator.keyboard_adapter.emu_enabled") is False
        page.click("#screen_container")
        assert page.evaluate("emulator.keyboard_adapter.emu_enabled") is True
        # run again booted the original floppy: the liturgy completed once more
        assert page.evaluate("window.almostism") == {"errorlevel": 0, "vanished": True}


@pytest.mark.browser
@pytest.mark.usefixtures("ctrl_c_reaches_children")
def test_serve_prints_the_url_serves_the_site_and_stops_on_ctrl_c(v86_build: v86.V86, tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 9)
    command = [sys.executable, "-m", "almostism_dos", "web", str(image), "--serve", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:") and "(Ctrl-C stops)" in line
        address = line.split()[1]
        with urllib.request.urlopen(address, timeout=10) as response:
            assert b"libv86.js" in response.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()


_CELLS = (  # each cell of the page's grid: its glyph, its class (odd, changed) and the byte it shows
    "() => [...document.querySelectorAll('#cells span')]"
    ".map(cell => [cell.textContent, cell.className, cell.dataset.now || null])"
)


@pytest.mark.long
@pytest.mark.browser
def test_the_page_draws_the_cells_before_the_boot_and_as_the_disk_holds_them_after(
    chromium: Any, v86_build: v86.V86, tmp_path: Path
) -> None:
    """Before: the scripture's 1024 cells, each region's glyph, nothing outlined. After: every byte that
    was not zero changed (zeroed), and the entry marked deleted."""
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--unique-byte", "0x5A"]) == 0
    written = site_for(image, tmp_path / "site")
    true = reference.build(0x5A)
    with serving(written.directory) as running:
        page = chromium.new_page()
        try:
            page.route("**/libv86.js", lambda route: route.fulfill(body="window.V86 = function () {};"))
            page.goto(url(running, written.page.name))  # (v86 held back: the grid as served)
            page.wait_for_function("document.querySelectorAll('#cells span').length === 1024")
            before = page.evaluate(_CELLS)
        finally:
            page.close()
    assert [glyph for glyph, _, _ in before] == [region_of(cell).glyph for cell in range(CELLS)]
    assert [now for _, _, now in before][: scripture.SIZE] == [f"{byte:02x}" for byte in true]
    assert not any(kind for _, kind, _ in before)  # a true scripture: no cell differs
    with opened(chromium, written) as page:
        page.wait_for_function("document.getElementById('cells-state').textContent.startsWith('After')")
        after, said = page.evaluate(_CELLS), page.inner_text("#cells-state")
        page.screenshot(path=str(tmp_path / "cells.png"), full_page=True)
    changed = {cell for cell, (_, kind, _) in enumerate(after) if kind == "changed"}
    assert changed == {cell for cell, byte in enumerate(true) if byte}
    assert "every byte zeroed" in said and "marked deleted" in said


@pytest.mark.browser
def test_a_judged_scripture_is_outlined_where_it_differs(
    chromium: Any, v86_build: v86.V86, tmp_path: Path
) -> None:
    image = tmp_path / "a.img"
    false = bytearray(reference.build(0x5A))
    false[3] ^= 0xFF  # a creed byte: a false teaching
    image.write_bytes(embedded_image(bytes(false)))
    written = site_for(image, tmp_path / "site")
    with serving(written.directory) as running:
        page = chromium.new_page()
        try:
            page.route("**/libv86.js", lambda route: route.fulfill(body="window.V86 = function () {};"))
            page.goto(url(running, written.page.name))
            page.wait_for_function("document.querySelectorAll('#cells span').length === 1024")
            cells = page.evaluate(_CELLS)
        finally:
            page.close()
    assert {cell for cell, (_, kind, _) in enumerate(cells) if kind == "odd"} == {
        3,
        scripture.CHECKSUM_OFFSET,
    }


def test_a_mounted_site_is_served_under_its_name_only_while_it_is_mounted(tmp_path: Path) -> None:
    """The browser emulator's server: ``/NAME/FILE`` from the directory mounted under NAME, never cached;
    another name, a path climbing out, or a name taken away: not found."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "floppy.img").write_bytes(b"first")
    (tmp_path / "secret").write_bytes(b"outside")
    running = mounting()
    try:
        running.mounts["7"] = tmp_path / "site"

        def get(path: str) -> tuple[int, bytes, str | None]:
            try:
                with urllib.request.urlopen(url(running, path), timeout=10) as answer:
                    return answer.status, answer.read(), answer.headers["Cache-Control"]
            except urllib.error.HTTPError as error:
                return error.code, b"", None

        assert get("7/floppy.img") == (200, b"first", "no-store")
        assert get("8/floppy.img")[0] == 404
        assert get("7/../secret")[0] == 404 and get("7/%2e%2e/secret")[0] == 404
        assert get("floppy.img")[0] == 404
        running.mounts.pop("7")
        assert get("7/floppy.img")[0] == 404
    finally:
        running.shutdown()
        running.server_close()


@pytest.mark.browser
def test_each_boot_in_the_kept_page_boots_its_own_floppy_and_stops_after_it(
    chromium: Any, v86_build: v86.V86, tmp_path: Path
) -> None:
    """Three boots in one thread run in one page, each on its own floppy: a true scripture (0, gone), a
    false one (destroyed unrun, 4), a true one again; after each, its PC is stopped and its site no
    longer served; no floppy is touched by another's boot."""
    false_scripture = bytearray(reference.build(0x21))
    false_scripture[-1] ^= 0xFF  # the checksum no longer sums to zero
    images = [
        self_booting(tmp_path / "first.img", 0x11),
        tmp_path / "false.img",
        self_booting(tmp_path / "third.img", 0x33),
    ]
    images[1].write_bytes(embedded_image(bytes(false_scripture)))
    pages, verdicts, afters = [], [], []
    for image in images:
        outcome = Browser().boot(image, timeout=60)
        kept = browser_station(Browser().executable())
        pages.append(kept.page)
        verdicts.append(outcome.errorlevel)
        afters.append(image.read_bytes())
        assert kept.page.evaluate("emulator === null")  # its PC stopped
        assert kept.server.mounts == {}  # its site no longer served
    assert verdicts == [scripture.Verdict.COMPLETE, scripture.Verdict.FALSE, scripture.Verdict.COMPLETE]
    assert pages[0] is pages[1] is pages[2]
    assert all(Fat12Image.parse(after).find(scripture.SCRIPTURE_FILE) is None for after in afters)
    assert afters[0] != afters[2]  # (each booted its own: the two true floppies differ in their reader)
