"""DOSBox: mount the image (a floppy as A:, a disk's partition as D:), run ALMOST.COM, capture its output
and errorlevel, exit.

DOSBox runs headless (``SDL_VIDEODRIVER=dummy``) with a private HOME. Its shell has no ``%ERRORLEVEL%``,
so a batch file on a mounted host directory turns the errorlevel into the result line with an
``IF ERRORLEVEL`` chain (the chain is too long for DOSBox's own [autoexec] section).

DOSBox 0.74 shows its logo for 600 ms before anything runs, whatever the display (``sdlmain.cpp``
spins on SDL's clock, ``max_splash_loop = 600``, and no setting skips it): most of every run.
The loop ends early on an SDL quit event, which SDL posts when the process gets SIGINT, so this
wrapper sends one while the logo shows (:func:`_skip_logo`). Sent any later, the same event would end
DOSBox itself; sent before SDL is up, the signal would kill it; and SDL 1.2's handler can hang DOSBox
(:func:`_unless_hung`). Each way ``ALMOST.COM`` never started, the image is as it was, and DOSBox is
run again without the signal.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..fat12 import ImageError
from ..formats import SECTOR
from ..partition import CYLINDER, DISK_HEADS, DISK_SECTORS_PER_TRACK, boot_partition, has_partition_table
from ..programs import ALMOST
from ..result_line import RESULT_PREFIX, result_in
from ..scratch import private_directory
from .base import Emulator
from .pseudo_terminal import spawn

if TYPE_CHECKING:
    import pexpect

    from ..screen import Observer, Screen

PROGRAM = "dosbox"
PACKAGE = "dosbox"
_CONFIG = """[sdl]
output=surface
[dosbox]
memsize=16
[cpu]
cycles=max
[mixer]
nosound=true
[speaker]
pcspeaker=false
[autoexec]
mount c "{work}"
{mount}
call C:\\RUN.BAT
exit
"""
_SDL_UP = "CONFIG:Loading"  # logged reading -conf: after SDL_Init (its SIGINT handler), before the logo
_LOGO_GONE = "MIXER:"  # logged by the first section set up after the logo
_LOOK = 0.05  # seconds between looks for a DOSBox hung by the quit, while waiting for it to go on


def mount(image: Path, boot_as: str, size: int) -> tuple[str, str]:
    """The ``imgmount`` line for ``image`` (``size`` bytes) and the drive it mounts: a floppy as A:, a
    hard-disk image (its first partition, with the geometry the builder gives every disk) as D:."""
    if boot_as == "disk":
        cylinders = size // (SECTOR * CYLINDER)
        geometry = f"{SECTOR},{DISK_SECTORS_PER_TRACK},{DISK_HEADS},{cylinders}"
        return f'imgmount d "{image}" -t hdd -size {geometry}', "d"
    return f'imgmount a "{image}" -t floppy', "a"


def batch(arguments: str, drive: str = "a") -> str:
    """RUN.BAT: the liturgy, the result line for any errorlevel 0..255, the directory listing."""
    # Without ALMOST.COM on the drive (a drive that would not mount), DOSBox's "Illegal command" leaves
    # the errorlevel at 0: no result line then, never a verdict ALMOST.COM did not give.
    lines = ["@echo off", f"if not exist {drive}:\\{ALMOST} goto missing", f"{drive}:"]
    lines += [f"{ALMOST} {arguments}".rstrip() + " > C:\\OUT.TXT"]
    lines += [f"if errorlevel {level} goto e{level}" for level in range(255, -1, -1)]
    for level in range(256):
        lines += [f":e{level}", f"echo {RESULT_PREFIX}{level}>> C:\\RES.TXT", "goto done"]
    lines += [":done", f"dir {drive}:\\ >> C:\\RES.TXT", "goto end"]
    lines += [
        ":missing",
        f"echo {ALMOST} is not on drive {drive.upper()}: (the image did not mount)> C:\\RES.TXT",
    ]
    lines += [":end"]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Dosbox(Emulator):
    """DOSBox: its own DOS runs ALMOST.COM from the image mounted as A:."""

    name: ClassVar[str] = "dosbox"
    title: ClassVar[str] = "DOSBox"
    program: ClassVar[str] = PROGRAM
    package: ClassVar[str] = PACKAGE
    typical_seconds: ClassVar[float] = 0.17  # (measured: run --keep, 1.44 MB, 2 cores)
    boots: ClassVar[bool] = False

    arguments: str = ""  # ALMOST.COM's command tail
    boot_as: str = "floppy"  # or "disk": a partitioned hard-disk image, its partition mounted as D:
    boots_as: ClassVar[tuple[str, ...]] = ("floppy", "disk")
    version_asked: ClassVar[tuple[str, ...]] = ("-version",)
    version_said: ClassVar[str] = r"DOSBox version [^,\s]+"
    logo_skipped: bool = field(default=False, init=False)  # the last run's logo was cut short (tests)

    def operating_system(self, booted: str) -> str:
        return "DOSBox"  # DOSBox's own DOS runs ALMOST.COM, whatever the image would boot

    def refuses(self, image: bytes) -> str | None:
        """DOSBox 0.74's ``imgmount -t hdd`` mounts a disk's first partition, whichever is active: on an
        image that boots another, it judged the wrong one (and said "errorlevel 0, scripture gone" of an
        image whose active partition was spent: a false success). And it runs ALMOST.COM without booting,
        so it would complete the liturgy on an image no PC gets that far with."""
        from ..inspection import inspect

        if not has_partition_table(image):
            return None
        try:
            active = boot_partition(image)
            stops = inspect(image).boot_problem
        except ImageError:
            return None  # (judged as an image: refused with the reason elsewhere)
        if stops is not None:  # DOSBox runs ALMOST.COM without booting: it would judge what no PC runs
            return f"a PC would not reach the liturgy ({stops}); DOSBox runs it without booting"
        if active.index == 0:
            return None
        return (
            f"DOSBox mounts a disk's first partition only, and this image boots from partition "
            f"{active.index + 1}: run it with --emulator qemu or bochs"
        )

    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        with private_directory("dosbox") as scratch:
            work = Path(scratch)
            (work / "disk.img").symlink_to(image.resolve())
            line, drive = mount(work / "disk.img", self.boot_as, image.stat().st_size)
            (work / "RUN.BAT").write_bytes(batch(self.arguments, drive).encode("ascii"))
            (work / "dosbox.conf").write_text(_CONFIG.format(work=work, mount=line))
            environment = {
                **os.environ,
                "SDL_VIDEODRIVER": "dummy",
                "SDL_AUDIODRIVER": "dummy",
                "HOME": str(work),
            }
            deadline = time.monotonic() + timeout
            command = [program, "-conf", str(work / "dosbox.conf")]
            exited, quit_sent = run_dosbox(command, environment, deadline, skip_logo=True)
            self.logo_skipped = quit_sent and (work / "OUT.TXT").exists()  # and ALMOST.COM ran after it
            if quit_sent and exited and not self.logo_skipped:  # the quit ended it before ALMOST.COM
                exited, _ = run_dosbox(command, environment, deadline, skip_logo=False)
            # What DOS printed, as it would have appeared on the screen: CR LF line ends.
            console = (
                "".join(
                    (work / name).read_bytes().decode("cp437")
                    for name in ("OUT.TXT", "RES.TXT")
                    if (work / name).exists()
                )
                .replace("\r\n", "\n")
                .replace("\n", "\r\n")
            )
        screen.feed(console)
        if observer is not None:
            observer(screen)
        return result_in(screen.text()), exited


def run_dosbox(
    command: list[str], environment: dict[str, str], deadline: float, skip_logo: bool
) -> tuple[bool, bool]:
    """Run DOSBox (``command``, in ``environment``) to its end or the deadline, cutting its logo short if
    asked: (exited by itself, a quit was sent during the logo). Also the floor of ``bench/bench.py``."""
    import pexpect

    child = spawn(command, environment, before_exec=_sigint_heard)
    quit_sent = False
    try:
        if skip_logo:
            quit_sent = _skip_logo(child, deadline)
        child.expect(pexpect.EOF, timeout=max(0.0, deadline - time.monotonic()))
        return True, quit_sent
    except pexpect.TIMEOUT:
        return False, quit_sent
    finally:
        child.close(force=True)


def _sigint_heard() -> None:
    """In DOSBox's process before it starts: SIGINT at its default, so that SDL installs its handler (SDL
    leaves a signal alone that is ignored, and a command started in the background, or under ``nohup``,
    passes SIGINT on ignored). DOSBox runs in a session of its own: no terminal's Ctrl-C reaches it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _skip_logo(child: pexpect.spawn, deadline: float) -> bool:
    """Once SDL is up, stop DOSBox, and if it has not yet passed its logo, post SDL's quit (SIGINT) and
    let it go on: the logo's loop takes the quit. True if the quit was sent (and DOSBox has gone on
    past its logo, or ended, or was killed hung).

    Stopped first, DOSBox cannot pass the logo between the look at its output and the signal, however
    late this process reads: a quit that arrived after the logo would end DOSBox instead."""
    import pexpect

    if child.expect_exact([_SDL_UP, pexpect.EOF], timeout=max(0.0, deadline - time.monotonic())) != 0:
        return False
    try:
        os.kill(child.pid, signal.SIGSTOP)
        os.waitid(os.P_PID, child.pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)  # (stopped, or ended)
    except (ProcessLookupError, ChildProcessError):  # (it has ended and been waited for already)
        return False
    said = child.buffer
    try:
        while True:  # everything it wrote before it stopped
            said += child.read_nonblocking(65536, timeout=0)
    except (pexpect.TIMEOUT, pexpect.EOF):
        pass
    if not child.isalive():  # (it ended, and is waited for now: no signal may go to its old number)
        return False
    if _LOGO_GONE in said:
        os.kill(child.pid, signal.SIGCONT)
        return False
    os.kill(child.pid, signal.SIGINT)
    os.kill(child.pid, signal.SIGCONT)
    _unless_hung(child, deadline)
    return True


def _unless_hung(child: pexpect.spawn, deadline: float) -> None:
    """Wait until DOSBox logs past its logo, or ends; if SDL's signal handler has hung it instead, kill
    it (then ``ALMOST.COM`` never started, and DOSBox runs again without the quit).

    SDL 1.2 posts the quit from inside its signal handler, taking the event queue's lock; a signal that
    comes while the logo's loop holds that lock waits for it forever (gdb: ``SDL_PushEvent`` in the
    handler, over ``SDL_PeepEvents`` in the loop). Measured: 15 hangs in 480 quits under four test
    workers on two cores. No moment for the signal can be chosen from outside, so the hang is looked
    for."""
    import pexpect

    while (left := deadline - time.monotonic()) > 0:
        found = child.expect_exact([_LOGO_GONE, pexpect.EOF, pexpect.TIMEOUT], timeout=min(_LOOK, left))
        if found != 2:
            return
        if _waits_on_itself(child.pid):
            child.terminate(force=True)
            return


def _waits_on_itself(pid: int) -> bool:
    """True when the process's only thread waits on a lock with no time limit (a futex wait without a
    timeout, read from /proc): no other thread exists to release it, so it never will."""
    try:
        threads = len(os.listdir(f"/proc/{pid}/task"))
        where = Path(f"/proc/{pid}/wchan").read_text()
        call = Path(f"/proc/{pid}/syscall").read_text().split()  # number, six arguments, SP, PC
    except (OSError, ValueError):
        return False
    return threads == 1 and where.startswith("futex") and len(call) > 4 and call[4] == "0x0"
