"""``almostism-dos check``: one image proved on every emulator here, as every drive each boots it from.

The matrix is every registered emulator crossed with every drive it boots the image as (a floppy image:
floppy, IDE disk, USB stick; a partitioned disk image: disk and stick only). A cell whose emulator is
missing here, or that cannot judge this image, is skipped with the reason, which names the fix.
``--shard K/N`` keeps every N-th cell from the K-th: the N shards together are the matrix, no cell
twice.

Each cell is ``run --keep``'s boot (:func:`~.run.run_image`) in a thread of this process, booting a
private copy of the image's bytes as read once (the image stays byte for byte as it was); its report is
``run --json``'s. Cells run ``jobs`` at a time, the longest first: each is one single-threaded emulator.
A stopped check stops the processes its cells started, and each boot then removes its files.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .emulators import BOOT_AS, REGISTRY, emulator_class
from .emulators.base import RunOptions


class ShardError(ValueError):
    """A ``--shard`` that is not K/N with 1 <= K <= N."""


@dataclass(frozen=True)
class Cell:
    """One emulator booting the image as one drive."""

    emulator: str  # as --emulator spells it
    drive: str  # as --as spells it

    @property
    def name(self) -> str:
        """The cell as people and JUnit read it: ``qemu as usb``."""
        return f"{self.emulator} as {self.drive}"


@dataclass
class CellResult:
    """What one cell came to: the report of its boot (``run --json``'s), or the reason it was skipped,
    or the error that left it without a report (its ``run`` failed otherwise than as the liturgy)."""

    cell: Cell
    report: dict[str, object] | None = None
    skipped: str | None = None
    error: str | None = None

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL`` or ``skip``."""
        if self.skipped is not None:
            return "skip"
        return "pass" if self.report is not None and self.report.get("ok") is True else "FAIL"

    @property
    def reason(self) -> str | None:
        """Why the cell did not pass, in one line; None when it did."""
        if self.verdict == "pass":
            return None
        if self.report is not None and isinstance(self.report.get("reason"), str):
            return str(self.report["reason"])
        return self.skipped or self.error or "no report"

    def as_json(self) -> dict[str, object]:
        """The cell for machines: ``run --json``'s report, and the cell's name and verdict. A cell with
        no report has the same keys, its reason in ``reason`` and nothing measured."""
        report = self.report or {
            **dict.fromkeys(REPORT_KEYS),
            "emulator": self.cell.emulator,
            "drive": self.cell.drive,
            "ok": False,
        }
        return {"cell": self.cell.name, "verdict": self.verdict, **report, "reason": self.reason}


REPORT_KEYS = (  # run --json's keys (almostism_dos.run.RunReport.as_json; a test holds the two together)
    *("emulator", "emulator_version", "drive", "os", "errorlevel", "had_scripture", "vanished", "ok"),
    *("reason", "seconds", "console"),
)


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` as (K, N); :class:`ShardError` unless 1 <= K <= N."""
    found = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", text)
    if found is None:
        raise ShardError(f"--shard {text!r} is not K/N (shard K of N, as 1/2 and 2/2)")
    index, total = int(found.group(1)), int(found.group(2))
    if not 1 <= index <= total:
        raise ShardError(f"--shard {index}/{total}: K must be from 1 to N")
    return index, total


def image_drives(data: bytes) -> tuple[tuple[str, ...], bool]:
    """The drives an image boots from, and whether it is a partitioned disk image: a disk image from a
    disk or a stick; a floppy image from any drive, unless its system boots from drive A: only."""
    from .inspection import floppy_only
    from .partition import has_partition_table
    from .run import parsed_volume

    partitioned = has_partition_table(data)
    if partitioned:
        return ("disk", "usb"), True
    if floppy_only(parsed_volume(data), partitioned) is not None:
        return ("floppy",), False
    return tuple(BOOT_AS), False


def matrix(data: bytes, emulators: Sequence[str] = (), drives: Sequence[str] = ()) -> list[Cell]:
    """The cells for the image ``data``, in registry then drive order: those of ``emulators`` and
    ``drives`` (all, when empty) that can boot it (:func:`image_drives`). Only an emulator that boots
    the image's own system takes a floppy image as a disk: DOSBox mounts a floppy image as a floppy."""
    possible, partitioned = image_drives(data)
    cells = []
    for name in REGISTRY:
        if emulators and name not in emulators:
            continue
        kind = emulator_class(name)
        for drive in BOOT_AS:
            if drives and drive not in drives:
                continue
            if drive not in kind.boots_as or drive not in possible:
                continue
            if not partitioned and drive != "floppy" and not kind.boots:
                continue
            cells.append(Cell(name, drive))
    return cells


def shard(cells: Sequence[Cell], index: int, total: int) -> list[Cell]:
    """Shard ``index`` of ``total`` (from 1): every ``total``-th cell from the ``index``-th."""
    return list(cells[index - 1 :: total])


def skip_reason(cell: Cell, data: bytes) -> str | None:
    """Why ``cell`` cannot run here on the image ``data``, naming the fix; None when it can."""
    kind = emulator_class(cell.emulator)
    missing = kind.unavailable()
    if missing is not None:
        return missing
    return kind.configured(RunOptions(boot_as=cell.drive)).refuses(data)


def run_cells(
    data: bytes,
    cells: Sequence[Cell],
    timeout: float,
    jobs: int,
    log_dir: Path | None = None,
    name: Path = Path("image.img"),
) -> Generator[CellResult, None, None]:
    """Boot each cell on a private copy of the image's bytes ``data`` (``name``: the image's path, for
    messages), ``jobs`` at a time; yield the skipped cells first, then each result as it is finished.
    Each cell's console goes to ``log_dir`` (and its final screen as PNG, where the emulator takes one)
    when given. Closing the iterator early (a stop) stops the cells under way: see :func:`_stop_started`."""
    skipped = {cell: skip_reason(cell, data) for cell in cells}
    for cell in cells:
        if skipped[cell] is not None:
            yield CellResult(cell, skipped=skipped[cell])
    to_run = sorted((cell for cell in cells if skipped[cell] is None), key=_expected_seconds, reverse=True)
    if not to_run:
        return
    before = _descendants()
    stopping = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="almostism-check") as pool:
        pending = [pool.submit(_run_cell, stopping, data, name, cell, timeout, log_dir) for cell in to_run]
        finished = False
        try:
            for done in as_completed(pending):
                yield done.result()
            finished = True
        finally:
            if not finished:  # (stopped, or an error: no cell starts any more, those under way stop)
                stopping.set()
                for future in pending:
                    future.cancel()
                _stop_started(before)


def _expected_seconds(cell: Cell) -> float:
    """What a boot in ``cell`` usually takes: the longest start first, so that the last to start is a
    short one (three cells on two cores: QEMU and Bochs, then DOSBox, not DOSBox and QEMU, then Bochs)."""
    return emulator_class(cell.emulator).typical_seconds


def _run_cell(
    stopping: threading.Event, data: bytes, name: Path, cell: Cell, timeout: float, log_dir: Path | None
) -> CellResult:
    """One cell, in this process: ``run --keep``'s boot and report, on a copy of ``data``."""
    from .emulators.base import EmulatorMissing, ImageRefused, UnsupportedOption
    from .fat12 import ImageError
    from .inputs import InputError
    from .run import KeepCopyError, run_image

    if stopping.is_set():
        return CellResult(cell, error="stopped before it started")
    kind = emulator_class(cell.emulator)
    picture = None
    if log_dir is not None and kind.honours("screenshot", cell.drive):
        picture = log_dir / f"{_file_name(cell)}.png"
    try:
        emulator = kind.configured(RunOptions(screenshot=picture, boot_as=cell.drive))
        report = run_image(name, emulator, timeout, keep=True, data=data)
    except (EmulatorMissing, ImageRefused, UnsupportedOption, ImageError, InputError, KeepCopyError) as error:
        return CellResult(cell, error=str(error))
    except OSError as error:
        return CellResult(cell, error=f"{cell.emulator}: {error.strerror or error}")
    report.emulator_version = emulator.version()
    if log_dir is not None:
        _write_log(log_dir / f"{_file_name(cell)}.log", report.console)
    return CellResult(cell, report.as_json())


def _descendants() -> set[int]:
    """The process ids of every process under this one (its children, theirs, ...), from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # (it ended meanwhile)
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    below: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return below


def _stop_started(before: set[int]) -> None:
    """Stop every process started under this one since ``before`` (the cells' emulators, and for the
    browser its Playwright driver and Chromium): SIGTERM, then SIGKILL for any still there a second
    later. Each cell's boot then ends as a boot whose emulator died does, removing its files.

    By hand because the cells run in threads of this process (no process of their own costs a Python
    start each: measured, ``check`` on three emulators 0.93x the three ``run``s in a row that way), and
    no emulator wrapper hands out its process: what appeared since the check began is what it started."""
    started = _descendants() - before
    for number in (signal.SIGTERM, signal.SIGKILL):
        for pid in started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, number)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and started & _descendants():
            time.sleep(0.02)
        started &= _descendants()
        if not started:
            return


def _file_name(cell: Cell) -> str:
    return f"{cell.emulator}-{cell.drive}"


def _write_log(path: Path, console: str) -> None:
    from .outputs import write_atomically

    write_atomically(path, console.encode("utf-8"), force=True)  # (never through a link left there)


def prepare_log_dir(path: Path) -> None:
    """Make ``path`` a directory for the logs, or :class:`~.outputs.OutputError`: a link or a file
    there is refused."""
    from .outputs import OutputError

    if path.is_symlink():
        raise OutputError(f"{path}: is a symbolic link; refusing to write through it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path}: exists and is not a directory") from None
    except OSError as error:
        raise OutputError(f"{path}: cannot make the directory ({error.strerror})") from None


# --- what a person reads: a table as cells finish, and a total ---------------------------------------

COLUMNS = ("emulator", "drive", "errorlevel", "gone", "seconds", "verdict")
_WIDTHS = (9, 8, 11, 6, 8, 7)


def header() -> str:
    return _row(COLUMNS)


def row(result: CellResult) -> str:
    """The cell's line; a skipped or failed cell's reason follows it on a line of its own."""
    report = result.report or {}
    level, vanished = report.get("errorlevel"), report.get("vanished")
    shown = (
        result.cell.emulator,
        result.cell.drive,
        "-" if report == {} else "none" if level is None else str(level),
        "yes" if vanished is True else "no" if vanished is False else "-",
        f"{report['seconds']:.2f}" if isinstance(report.get("seconds"), (int, float)) else "-",
        result.verdict,
    )
    return _row(shown) + ("" if result.reason is None else f"\n    {result.reason}")


def _row(cells: Sequence[str]) -> str:
    return "".join(cell.ljust(width) for cell, width in zip(cells, _WIDTHS, strict=True)).rstrip()


def total(results: Sequence[CellResult], seconds: float) -> str:
    """The one-line total: passed, failed, skipped, of how many cells, in how long."""
    counted = {verdict: sum(r.verdict == verdict for r in results) for verdict in ("pass", "FAIL", "skip")}
    return (
        f"{counted['pass']} passed, {counted['FAIL']} failed, {counted['skip']} skipped "
        f"of {len(results)} cells in {seconds:.1f} s"
    )


def check(
    data: bytes,
    cells: Sequence[Cell],
    timeout: float,
    jobs: int,
    log_dir: Path | None = None,
    each: Callable[[CellResult], None] | None = None,
    name: Path = Path("image.img"),
) -> tuple[list[CellResult], float]:
    """Run the cells; call ``each`` as each finishes; return the results in matrix order and the
    seconds it all took."""
    started = time.monotonic()
    results = []
    with contextlib.closing(run_cells(data, cells, timeout, jobs, log_dir, name)) as finishing:
        for result in finishing:  # (a stop while ``each`` prints closes the cells too)
            results.append(result)
            if each is not None:
                each(result)
    order = {cell: at for at, cell in enumerate(cells)}
    results.sort(key=lambda result: order[result.cell])
    return results, time.monotonic() - started
