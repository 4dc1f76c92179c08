"""Run an image in an emulator and say whether the liturgy happened: errorlevel 0 and the file gone."""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from .console import await_liturgy, clean, last_lines
from .emulators import EMULATORS, dosbox, qemu
from .fat12 import Fat12Image
from .floppy import SCRIPTURE, result_in
from .inspection import boot_system


@dataclass
class RunReport:
    """The outcome of one run; ``ok`` only if errorlevel 0 and the scripture is gone from the image."""

    emulator: str
    os: str
    errorlevel: int | None
    vanished: bool
    seconds: float
    console: str
    exited: bool
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.errorlevel == 0 and self.vanished and self.problem is None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        return {key: data[key] for key in ("emulator", "os", "errorlevel", "vanished", "seconds", "console")}


def _scripture_present(image: Path) -> bool:
    return Fat12Image.parse(image.read_bytes()).find(SCRIPTURE) is not None


def _run_qemu(
    image: Path, timeout: float, stream: TextIO | None, screenshot: Path | None, read_only: bool
) -> tuple[int | None, bool, str]:
    with tempfile.TemporaryDirectory(prefix="almostism-qemu-") as scratch:
        qmp_path = Path(scratch) / "qmp.sock" if screenshot else None
        saver = None
        if qmp_path is not None and screenshot is not None:
            server = qemu.Qmp(qmp_path)
            saver = threading.Thread(
                target=server.screenshot_at_shutdown, args=(screenshot, timeout), daemon=True
            )
            saver.start()
        child = qemu.spawn(image, timeout, read_only, qmp_path)
        if stream is not None:
            child.logfile_read = stream
        outcome = await_liturgy(child, timeout)
        if saver is not None:
            saver.join(timeout=5)
        return outcome.errorlevel, outcome.exited, outcome.console


def _run_dosbox(
    image: Path, timeout: float, stream: TextIO | None, arguments: str
) -> tuple[int | None, bool, str]:
    outcome = dosbox.run(image, timeout, arguments)
    if stream is not None:
        stream.write(outcome.console)
    return result_in(outcome.console), outcome.exited, outcome.console


def run_image(
    image: Path,
    emulator: str = "qemu",
    timeout: float = 60.0,
    stream: TextIO | None = None,
    screenshot: Path | None = None,
    read_only: bool = False,
    arguments: str = "",
) -> RunReport:
    """Run ``image`` (changed in place) and report. Raises EmulatorMissing, ImageError, OSError."""
    system = boot_system(Fat12Image.parse(image.read_bytes()))
    started = time.monotonic()
    if emulator == "qemu":
        errorlevel, exited, console = _run_qemu(image, timeout, stream, screenshot, read_only)
    elif emulator == "dosbox":
        errorlevel, exited, console = _run_dosbox(image, timeout, stream, arguments)
        system = "DOSBox"
    else:
        raise ValueError(f"unknown emulator {emulator!r}; choose from {', '.join(EMULATORS)}")
    seconds = round(time.monotonic() - started, 3)
    vanished = not _scripture_present(image)
    problem = None
    if not exited:
        where = " | ".join(last_lines(console)) or "no output at all"
        problem = f"timed out after {timeout:g} s; the console last showed: {where}"
    elif errorlevel is None:
        problem = "the emulator exited without printing the result line"
    elif errorlevel != 0:
        problem = f"the liturgy ended with errorlevel {errorlevel}"
    elif not vanished:
        problem = f"errorlevel 0, yet {SCRIPTURE} is still on the image"
    return RunReport(emulator, system, errorlevel, vanished, seconds, clean(console), exited, problem)
