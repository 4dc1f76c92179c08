"""The web page in headless Chromium: boot-to-result time beside a bare v86 boot, and the guide's picture.

    python -m bench.web [--repeat N] [--screenshot bench/web-page.png]     (from the repository's top)

- web, boot to result: page load until ``window.almostism`` is set (the result line was on the screen and
  the floppy was read), for the self-booting 1.44 MB floppy.
- bare v86 boot: the same page, emulator and BIOS with a floppy whose boot sector only powers off, from
  page load until SeaBIOS says "Booting from Floppy". Both in the same browser session.

Prints a Markdown table for docs/benchmarks.md and saves a screenshot of the page after the liturgy. Needs
Debian's Chromium, Playwright's Python package and v86 (npm, once). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from almostism_dos import reference
from almostism_dos.emulators.browser import Browser, session
from almostism_dos.floppy import Contents, embedded_floppy
from almostism_dos.formats import FORMATS
from almostism_dos.web.serve import serving, url
from almostism_dos.web.site import IMAGE, PAGE, write_site
from bench.bench import bare_boot_image

HERE = Path(__file__).parent
BOOTING = "Booting from Floppy"  # what SeaBIOS prints as it starts the boot sector


def seconds_until(page: Any, address: str, condition: str) -> float:
    """Load ``address`` and wait for the JavaScript ``condition``; wall seconds from the load."""
    started = time.perf_counter()
    page.goto(address)
    page.wait_for_function(condition, timeout=60_000)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--screenshot", type=Path, default=HERE / "web-page.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="almostism-bench-web-") as scratch:
        work = Path(scratch)
        floppy = work / "embedded.img"
        floppy.write_bytes(embedded_floppy(FORMATS[1440], Contents(reference.build(0x5A), 0)))
        liturgy = write_site(floppy, work / "liturgy").directory
        bare = work / "bare"
        shutil.copytree(liturgy, bare)
        shutil.copyfile(bare_boot_image(work), bare / IMAGE)
        with serving(work) as running:
            page = session(Browser().executable()).new_page(viewport={"width": 1100, "height": 900})
            screen = "emulator.screen_adapter && emulator.screen_adapter.get_text_screen()"
            booted = f"{screen} && {screen}.some(line => line.includes({BOOTING!r}))"
            web, baseline = [], []
            for _ in range(args.repeat):
                web.append(
                    seconds_until(page, url(running, f"liturgy/{PAGE}"), "window.almostism !== undefined")
                )
                baseline.append(seconds_until(page, url(running, f"bare/{PAGE}"), booted))
            page.goto(url(running, f"liturgy/{PAGE}"))
            page.wait_for_function("window.almostism !== undefined", timeout=60_000)
            page.screenshot(path=str(args.screenshot), full_page=True)
            version = page.context.browser.version
    seconds, base = statistics.median(web), statistics.median(baseline)
    print(f"Machine: {platform.machine()}; Chromium {version} headless; median of {args.repeat} page loads\n")
    print("| measured | median | baseline (same browser session) | median | ratio |")
    print("|---|---|---|---|---|")
    print(f"| web, boot to result | {seconds:.3f} s | bare v86 boot | {base:.3f} s | {seconds / base:.2f}x |")
    print(f"\n(screenshot: {args.screenshot})")


if __name__ == "__main__":
    main()
