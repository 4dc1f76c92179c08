"""QEMU alone (the product's command line, no Python in the boot) timed on several floppies in turn."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from almostism_dos.emulators import TIMEOUT, qemu_launch


def medians(floppies: dict[str, bytes], repeat: int) -> dict[str, float]:
    """Each floppy's median whole-process boot time: ``repeat`` rounds, every floppy booted once a round
    (so all of them see the same machine), each boot on a fresh copy."""
    times: dict[str, list[float]] = {name: [] for name in floppies}
    with tempfile.TemporaryDirectory(prefix="almostism-bench-") as scratch:
        target = Path(scratch) / "a.img"
        for _ in range(repeat):
            for name, image in floppies.items():
                target.write_bytes(image)
                started = time.perf_counter()
                subprocess.run(qemu_launch.command(target), check=True, capture_output=True, timeout=TIMEOUT)
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(seconds) for name, seconds in times.items()}
