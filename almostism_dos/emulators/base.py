"""The one interface every emulator implements: start an image, stream its screen, report an outcome.

As pytest-embedded splits app / process / DUT, this splits what is built (the image, elsewhere), how it
runs (one :class:`Emulator` subclass per emulator, each in its own module), and what we expect on its
screen (:mod:`almostism_dos.console`). An emulator's own options (QEMU's screenshot, a write-protected
floppy, ALMOST.COM's command tail under DOSBox) are fields of its dataclass named as in
:class:`RunOptions`: what it accepts and how it is created from options both follow from those fields.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..result_line import halted_in

if TYPE_CHECKING:
    from ..screen import Observer, Screen


TEXT_DUMP = "text-screen.bin"  # where a wrapper has its emulator dump video memory at the power-off


class EmulatorMissing(Exception):
    """The emulator is not installed; the message names the Debian package."""


class EmulatorExited(Exception):
    """The emulator ended before the machine could run: its exit code and its own last words."""

    def __init__(self, title: str, status: int | None, said: str) -> None:
        words = " | ".join(line.strip() for line in said.splitlines() if line.strip())[-300:] or "nothing"
        super().__init__(f"{title} exited at once (exit code {status}); it said: {words}")


class ImageRefused(Exception):
    """This emulator cannot express what this image asks (the message says why, and what can)."""


class UnsupportedOption(Exception):
    """An option (a :class:`RunOptions` field) this emulator cannot honour on the medium asked for."""

    def __init__(self, option: str, boot_as: str) -> None:
        super().__init__(option)
        self.option = option
        self.boot_as = boot_as


@dataclass(frozen=True)
class RunOptions:
    """What the user may ask of a run beyond the image; each emulator honours the ones it names."""

    screenshot: Path | None = None  # save the final text screen as PNG
    write_protected: bool = False  # the floppy's write-protect tab set
    arguments: str = ""  # ALMOST.COM's command tail (only where we start ALMOST.COM ourselves)
    boot_as: str = "floppy"  # the drive the BIOS boots the image from: "floppy", "disk" or "usb"
    machine: str | None = None  # the emulated machine, where an emulator offers more than one (MAME)
    rompath: Path | None = None  # the directory of the machine's ROMs (MAME)


@dataclass(frozen=True)
class Outcome:
    """What one boot showed."""

    errorlevel: int | None  # from the result line; None if it never appeared
    exited: bool  # the emulator ended by itself before the deadline; else it was stopped
    console: str  # the rendered transcript of its screen
    seconds: float  # from starting the emulator to its end
    unsaved: str | None = None  # an output asked for (a screenshot) that could not be saved, and why
    halted: str | None = None  # the screen's last words, where the machine stopped before any result


def require(program: str, package: str) -> str:
    """The path of ``program``, or :class:`EmulatorMissing` naming the package that provides it."""
    import shutil  # (loaded when asked: what a boot loads before its emulator starts costs every run)

    path = shutil.which(program)
    if path is None:
        raise EmulatorMissing(f"{program} is not installed (Debian/Ubuntu: sudo apt-get install {package})")
    return path


_VERSIONS: dict[type[Emulator], str | None] = {}


def _version_of(kind: type[Emulator]) -> str | None:
    """:meth:`Emulator.version`, remembered (a check asks it of each cell, from several threads: a
    second asking costs one more short-lived process at most)."""
    import re
    import subprocess

    if kind not in _VERSIONS:
        try:
            said = subprocess.run(
                [kind.create(RunOptions()).executable(), *kind.version_asked],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=10,
                stdin=subprocess.DEVNULL,
            )
        except (EmulatorMissing, OSError, subprocess.TimeoutExpired):
            _VERSIONS[kind] = None
            return None
        found = re.search(kind.version_said, said.stdout + "\n" + said.stderr)
        _VERSIONS[kind] = found.group(0).strip() if found else None
    return _VERSIONS[kind]


class Emulator(ABC):
    """One emulator: how to boot an image in it and read its screen."""

    name: ClassVar[str]  # as the command line spells it: run --emulator NAME
    title: ClassVar[str]  # as people spell it
    program: ClassVar[str]  # the executable
    package: ClassVar[str]  # the Debian package that provides it
    typical_seconds: ClassVar[float]  # a self-booting floppy's boot here (check starts the longest first)
    boots: ClassVar[bool] = True  # boots the system on the image (False: runs ALMOST.COM in its own DOS)
    floppy_kilobytes: ClassVar[tuple[int, ...] | None] = None  # the floppy sizes its drives take; None: all
    boots_as: ClassVar[tuple[str, ...]] = ("floppy",)  # the RunOptions.boot_as values it honours
    protects_as: ClassVar[tuple[str, ...]] = ("floppy",)  # where it honours write_protected, if at all
    version_asked: ClassVar[tuple[str, ...]] = ("--version",)  # the arguments that make it say its version
    version_said: ClassVar[str] = r"version \S+"  # where in what it says (a regular expression)
    unsaved: str | None  # set by a boot that could not save an output asked of it (see Outcome)
    doing: str = ""  # what a boot is busy with before the machine shows anything, for a person watching

    @classmethod
    def accepts(cls) -> frozenset[str]:
        """The :class:`RunOptions` fields it honours: its own dataclass fields of the same names."""
        own: set[str] = {field.name for field in fields(cls)} if is_dataclass(cls) else set()
        return frozenset(own & {field.name for field in fields(RunOptions)})

    @classmethod
    def honours(cls, option: str, boot_as: str = "floppy") -> bool:
        """True when it honours the :class:`RunOptions` field ``option`` booting the image as ``boot_as``."""
        if boot_as not in cls.boots_as:
            return False
        if option == "write_protected":
            return boot_as in cls.protects_as and option in cls.accepts()
        return option == "boot_as" or option in cls.accepts()

    @classmethod
    def configured(cls, options: RunOptions) -> Emulator:
        """An instance set up for ``options``; :class:`UnsupportedOption` for one it cannot honour."""
        default = RunOptions()
        if not cls.honours("boot_as", options.boot_as):
            raise UnsupportedOption("boot_as", options.boot_as)
        for field in fields(options):
            asked = getattr(options, field.name) != getattr(default, field.name)
            if asked and not cls.honours(field.name, options.boot_as):
                raise UnsupportedOption(field.name, options.boot_as)
        return cls.create(options)

    @classmethod
    def create(cls, options: RunOptions) -> Emulator:
        """An instance with this emulator's own fields taken from ``options``."""
        return cls(**{name: getattr(options, name) for name in cls.accepts()})

    @classmethod
    def unavailable(cls) -> str | None:
        """Why the emulator cannot run here, in one line naming what to install; None when it can."""
        try:
            cls.create(RunOptions()).executable()
        except EmulatorMissing as missing:
            return str(missing)
        return None

    @classmethod
    def available(cls) -> bool:
        """True when the emulator can run here."""
        return cls.unavailable() is None

    @classmethod
    def version(cls) -> str | None:
        """The emulator's version as it says it (``QEMU emulator version 7.2.22``), for reports; None
        where it is missing or says nothing recognisable. Asked once per process."""
        return _version_of(cls)

    def refuses(self, image: bytes) -> str | None:
        """Why this emulator cannot judge ``image`` as the image would run on a PC, in one line; None
        when it can. Every emulator that boots the image can; one with a DOS of its own may not."""
        return None

    def executable(self) -> str:
        """The emulator's path, or :class:`EmulatorMissing`."""
        return require(self.program, self.package)

    def operating_system(self, booted: str) -> str:
        """The DOS that ran the liturgy, given the system the image boots (its own, by default)."""
        return booted

    def boot(
        self, image: Path, timeout: float, observer: Observer | None = None, log: Path | None = None
    ) -> Outcome:
        """Boot ``image`` (changed in place, as a real floppy would be) and follow it to its end.

        ``observer`` sees the rendered screen as it changes; ``log`` receives the console (the screen's
        transcript, as :attr:`Outcome.console` has it), whatever the emulator, even when the boot fails.
        """
        from ..screen import Screen  # (a terminal emulator: loaded only when something boots)

        program = self.executable()
        started = time.monotonic()
        screen = Screen()
        self.unsaved = None
        try:
            errorlevel, exited = self._boot(program, image, timeout, screen, observer)
        finally:
            if log is not None:
                log.write_text(screen.text(), encoding="utf-8")
        seconds = round(time.monotonic() - started, 3)
        console = screen.text()
        halted = halted_in(console) if errorlevel is None else None
        return Outcome(errorlevel, exited, console, seconds, self.unsaved, halted)

    @staticmethod
    def _shown_dump(
        directory: Path, screen: Screen, observer: Observer | None, errorlevel: int | None
    ) -> int | None:
        """The text screen as video memory held it at the power-off, where the emulator dumped it
        (:data:`TEXT_DUMP` in ``directory``: QEMU and Bochs do, since their own displays can lose the last
        line), shown on ``screen`` and told to ``observer``; the errorlevel of its result line. Without a
        dump (the machine never switched off), ``errorlevel`` as the stream showed it."""
        dump = directory / TEXT_DUMP
        if not dump.is_file():
            return errorlevel
        from ..console import show_video_memory

        return show_video_memory(dump.read_bytes(), screen, observer)

    @abstractmethod
    def _boot(
        self, program: str, image: Path, timeout: float, screen: Screen, observer: Observer | None
    ) -> tuple[int | None, bool]:
        """Run the emulator (``program``, its path as :meth:`executable` found it), feeding ``screen``;
        return (errorlevel, exited by itself)."""
