"""QEMU's command line, and QEMU started paused: as the command line asks it, or before it has loaded.

Every QEMU boot starts with the machine paused (``-S``), in a private directory holding the QMP socket
it connects to; :class:`~.qemu.Qmp` lets the machine run once the image has been judged fit to boot.
QEMU spends about 30 ms setting itself up before a machine can run, and a ``run`` about as long loading
the rest of itself and judging the image: so ``almostism-dos run IMG`` starts QEMU first of all
(:func:`start_early`, called by :mod:`almostism_dos.entry` before the command line loads) and does the
rest while QEMU sets itself up. The early start only guesses: the boot takes it (:func:`take`) only when
its command line is exactly the one the boot would use, and it is stopped and removed otherwise, or when
the command ends without booting. Paused, a QEMU runs none of the image's code and writes nothing to it.

This module loads with the interpreter's own modules only (``os``, socket's C half): each millisecond
of imports before QEMU starts is one more of every ``run`` (measured: ``typing`` 5 ms, ``socket`` 3,
``signal`` 4 of ``enum``). What it needs from the rest of the package (a USB stick's geometry, the
missing-QEMU message) it imports when it needs it.
"""

from __future__ import annotations

import _socket  # (socket's C half: socket.py spends 3 ms making enums of its constants)
import os
import stat

from ..boot_sector import SECTOR, has_bpb
from ..scratch import name_prefix
from ..text_screen import COLUMNS, ROWS
from .terminal_process import TerminalProcess

TYPE_CHECKING = False  # (not typing's, which costs 5 ms before QEMU could start)
if TYPE_CHECKING:
    from pathlib import Path

PROGRAM = "qemu-system-i386"
PACKAGE = "qemu-system-x86"
_SOCKET_PATH_LIMIT = 107  # bytes in an AF_UNIX socket's path on Linux (sun_path, less its final NUL)
_SOCKET = "qmp.sock"
# run's options that change nothing of QEMU's command line (every other one leaves the start to the boot)
_PLAIN_FLAGS = ("--quiet", "--json", "--emulator=qemu")


def drive_value(path: str | Path) -> str:
    """``path`` as a value in QEMU's comma-separated option syntax: every comma doubled."""
    return str(path).replace(",", ",,")


def drives(image: str | Path, boot_as: str = "floppy", read_only: bool = False) -> list[str]:
    """QEMU's options attaching ``image`` as ``boot_as`` (drive A:, the first IDE disk, or a USB stick on
    an EHCI controller) and booting from it:
    SeaBIOS gives a disk DL = 80h and its own geometry.

    The stick is a SCSI disk with a geometry of its own behind a USB bulk-only transport, not QEMU's plain
    ``usb-storage``: SeaBIOS takes a stick's geometry from its SCSI mode page only where the sector count
    divides evenly by its heads x cylinders, and QEMU's guess for an image without a partition table
    (2 cylinders x 16 heads below 1008 sectors) leaves 180 and 360 KB images unbootable ("could not read
    the boot disk", measured). An image no geometry fits is an :class:`~almostism_dos.fat12.ImageError`."""
    file = f"file={drive_value(image)},format=raw" + (",readonly=on" if read_only else "")
    if boot_as == "floppy":
        return ["-drive", f"{file},if=floppy,index=0", "-boot", "order=a"]
    if boot_as == "disk":
        return ["-drive", f"{file},if=ide,index=0", "-boot", "order=c"]
    if boot_as == "usb":
        from ..fat12 import ImageError
        from ..formats import disk_geometry

        try:
            cylinders, heads, per_track = disk_geometry(os.stat(image).st_size // SECTOR)
        except ValueError as error:
            raise ImageError(f"{image}: {error}") from None
        geometry = f"cyls={cylinders},heads={heads},secs={per_track}"
        return [
            "-device", "usb-ehci,id=ehci",
            "-device", "usb-bot,id=stick,bus=ehci.0",
            "-drive", f"if=none,id=stick-disk,{file}",
            "-device", f"scsi-hd,bus=stick.0,drive=stick-disk,bootindex=0,{geometry}",
        ]  # fmt: skip
    raise ValueError(f"{boot_as}: QEMU boots a floppy, a disk or a USB stick")


def command(
    image: str | Path,
    read_only: bool = False,
    qmp: Path | None = None,
    program: str | None = None,
    boot_as: str = "floppy",
) -> list[str]:
    """The QEMU command line for booting ``image`` as ``boot_as``; with ``qmp``, QEMU connects there and
    waits, powered off, to be told to quit (without it, QEMU alone: it ends at the power-off)."""
    if program is None:
        from .base import require

        program = require(PROGRAM, PACKAGE)
    line = [
        program,
        "-nographic",  # no window; the serial console (and SeaBIOS's text mirror) on stdio
        "-no-user-config",
        "-machine", "pc",
        "-m", "16",
        "-nic", "none",  # no network, no option ROM to wait for
        *drives(image, boot_as, read_only),
        "-no-reboot",  # a reset (triple fault) ends QEMU instead of booting again
    ]  # fmt: skip
    return line if qmp is None else [*line, *qmp_options(qmp)]


def qmp_options(socket_path: str | Path) -> list[str]:
    """QEMU connects to our socket listening at ``socket_path`` and, powered off, waits to be told to quit."""
    return ["-qmp", f"unix:{drive_value(socket_path)}", "-no-shutdown"]


def scratch_home(temporary: str) -> str:
    """Where QEMU's private directory goes: ``temporary``, unless the socket's path there would be longer
    than AF_UNIX allows (a deep TMPDIR: binding raised "AF_UNIX path too long", a traceback, under
    pytest's per-test TMPDIR); then /tmp, which every Linux has."""
    # (the name: the prefix, the process id, 10 random letters)
    socket_path = os.path.join(temporary, f"{name_prefix('qemu')}0123456789", _SOCKET)
    return temporary if len(os.fsencode(socket_path)) <= _SOCKET_PATH_LIMIT else "/tmp"


class Launch:
    """A QEMU started paused on ``line`` (:func:`command` without QMP), connecting to :attr:`server`
    in :attr:`scratch`, its private directory. Closing it ends QEMU if it still runs and removes the
    directory."""

    def __init__(self, line: list[str], home: str) -> None:
        self.line = line
        self.scratch = os.path.join(home, name_prefix("qemu") + os.urandom(5).hex())
        os.mkdir(self.scratch, 0o700)
        try:
            path = os.path.join(self.scratch, _SOCKET)
            self.server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            self.server.bind(path)
            self.server.listen(1)  # (before QEMU starts: there is no race for the socket)
            paused = [*qmp_options(path), "-S"]  # (-S: the machine waits for QMP's cont)
            self.process = TerminalProcess([*line, *paused], ROWS, COLUMNS)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End QEMU (if it runs) and remove the directory."""
        process = getattr(self, "process", None)
        if process is not None:
            process.close()
        server = getattr(self, "server", None)
        if server is not None:
            server.close()
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Launch:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


_early: Launch | None = None
_early_image: tuple[str, int, int] | None = None  # the early QEMU's image: its path, device and inode


def _identity(path: str) -> tuple[str, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return path, info.st_dev, info.st_ino


def take(line: list[str]) -> Launch | None:
    """The QEMU started early, if it runs ``line`` on the very file it opened; else None, and one that
    runs another line or file is ended (it holds the image open, and locked for writing).

    The file is checked, not only its name: a path swapped for another file after QEMU opened it would
    have the new file judged and the old one booted."""
    global _early, _early_image
    launch, image, _early, _early_image = _early, _early_image, None, None
    if launch is not None and (launch.line != line or image is None or _identity(image[0]) != image):
        launch.close()
        return None
    return launch


def discard_early() -> None:
    """End and remove a QEMU started early that no boot took (the command refused the image, or failed)."""
    take([])


def start_early(arguments: list[str]) -> None:
    """Start QEMU paused for ``almostism-dos ARGUMENTS`` when they are a ``run`` of a floppy image whose
    QEMU command line is known before the command line loads (``run IMG`` with ``--quiet``, ``--json``,
    ``--timeout S`` or ``--emulator qemu`` at most); else nothing. Never raises: whatever stands in the
    way leaves the start to the boot, which says what is wrong."""
    global _early, _early_image
    image = _plain_run(arguments)
    if image is None or _early is not None:
        return
    try:
        info = os.lstat(image)
        if not stat.S_ISREG(info.st_mode):  # (a link, a device, a pipe: the command says what it is)
            return
        descriptor = os.open(image, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            sector = os.read(descriptor, SECTOR)
        finally:
            os.close(descriptor)
        program = _program()
        if not has_bpb(sector) or program is None:  # (a disk, or no QEMU: the boot decides, and says)
            return
        temporary = next(
            (os.environ[name] for name in ("TMPDIR", "TEMP", "TMP") if os.environ.get(name)), "/tmp"
        )
        _early = Launch(command(image, program=program), scratch_home(temporary))
        _early_image = image, info.st_dev, info.st_ino
    except OSError:
        return


def _plain_run(arguments: list[str]) -> str | None:
    """The image of a ``run`` whose options change nothing of QEMU's command line, spelled as the command
    line's ``Path`` spells it (``./a.img`` is ``a.img``); else None."""
    if not arguments or arguments[0] != "run":
        return None
    images = []
    words = iter(arguments[1:])
    for word in words:
        if word in _PLAIN_FLAGS or word.startswith("--timeout="):
            continue
        if word in ("--emulator", "--timeout"):
            value = next(words, None)
            if value is None or (word == "--emulator" and value != "qemu"):
                return None
            continue
        if word.startswith("-") or not word:
            return None
        images.append(word)
    if len(images) != 1:
        return None
    parts = [part for part in images[0].split("/") if part not in ("", ".")]
    return ("/" if images[0].startswith("/") else "") + "/".join(parts) or "."


def _program() -> str | None:
    """QEMU's path as ``shutil.which`` finds it (the boot compares the two lines: a difference only
    costs the early start)."""
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", PROGRAM)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None
