"""Shared fixtures: the assembled programs, ALMOST.COM in the Unicorn DOS machine, and every emulator."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from almostism_dos import freedos, programs
from almostism_dos.assembler import Assembly
from almostism_dos.emulators import BOOT_AS, REGISTRY, TIMEOUT, emulator_class
from almostism_dos.emulators.base import Emulator, RunOptions
from almostism_dos.run import RunReport, run_image
from vm.dos import Disk, RunResult, run_com

RunLiturgy = Callable[..., RunResult]

# How many cases each fuzz test draws unless its variable says otherwise (CONTRIBUTING.md quotes these).
FUZZ_DEFAULTS = {
    "ALMOSTISM_FUZZ_EXAMPLES": 3000,
    "ALMOSTISM_IMAGE_FUZZ": 300,
    "ALMOSTISM_HOST_FUZZ": 300,
    "ALMOSTISM_FREEDOS_FUZZ": 40,
}


def fuzz_examples(variable: str) -> int:
    """The number of fuzz cases: the environment variable, else its default."""
    return int(os.environ.get(variable, FUZZ_DEFAULTS[variable]))


@pytest.fixture
def ctrl_c_reaches_children() -> Iterator[None]:
    """SIGINT as a terminal's foreground job has it, for the children the test starts.

    A suite started as a background job (``pytest ... &`` in a script) inherits SIGINT ignored, and so
    does every child it starts: a Ctrl-C test then times out (seen: both did, in such a run). A caught
    signal is reset to its default when a child execs, so catching it here gives the children the
    default, and Python in them turns it into KeyboardInterrupt as it does under a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def configured_freedos() -> Path:
    """The FreeDOS boot floppy configured here (``ALMOSTISM_FREEDOS``, the user cache); the test is
    skipped, saying how to configure one, where there is none."""
    located = freedos.locate(None)
    if located is None:
        pytest.skip(f"no FreeDOS configured: set {freedos.ENVIRONMENT} or run 'almostism-dos freedos fetch'")
    return located


@pytest.fixture(scope="session")
def almost() -> Assembly:
    return programs.assembly("almost")


@pytest.fixture(scope="session")
def buffer_range(almost: Assembly) -> range:
    """Where ALMOST.COM reads the file: no byte of it may run unless verified."""
    start = almost.symbols["buffer"]
    return range(start, start + 1024)


@pytest.fixture
def run_liturgy(almost: Assembly, buffer_range: range) -> RunLiturgy:
    """Run ALMOST.COM on a disk, watching execution inside its read buffer."""

    def run(disk: Disk, tail: str = "", **options: object) -> RunResult:
        return run_com(almost.code, disk, tail, watch=buffer_range, **options)  # type: ignore[arg-type]

    return run


# --- emulators: one fixture per registered emulator, skipping with the reason when it is missing -----


@dataclass
class EmulatorUnderTest:
    """A registered emulator, ready to boot images; each boot's console log stays under ``logs``."""

    kind: type[Emulator]
    logs: Path
    boots: int = 0

    def needs(self, option: str) -> None:
        """Skip, saying why, unless this emulator honours the :class:`RunOptions` field ``option``."""
        if option not in self.kind.accepts():
            pytest.skip(f"{self.kind.title} has no {option.replace('_', '-')} option")

    def needs_medium(self, boot_as: str) -> None:
        """Skip, saying why, unless this emulator boots an image as ``boot_as`` (run --as)."""
        if not self.kind.honours("boot_as", boot_as):
            pytest.skip(f"{self.kind.title} boots no image as a {BOOT_AS[boot_as]}")

    def run(
        self, image: Path, options: RunOptions | None = None, timeout: float = TIMEOUT, keep: bool = False
    ) -> RunReport:
        """Boot ``image`` as ``almostism-dos run`` does and report."""
        self.boots += 1
        log = self.logs / f"{self.kind.name}-{self.boots}.log"
        return run_image(image, self.kind.configured(options or RunOptions()), timeout, keep=keep, log=log)


def _emulator_fixture(name: str) -> Callable[[Path], EmulatorUnderTest]:
    def fixture(tmp_path: Path) -> EmulatorUnderTest:
        kind = emulator_class(name)
        missing = kind.unavailable()
        if missing is not None:
            pytest.skip(missing)
        return EmulatorUnderTest(kind, tmp_path)

    fixture.__doc__ = f"The {name} emulator; the test is skipped, with the reason, where it is missing."
    return pytest.fixture(name=name)(fixture)


for _name in REGISTRY:
    globals()[f"_{_name}_fixture"] = _emulator_fixture(_name)

BOOTING = [name for name in REGISTRY if emulator_class(name).boots]  # emulators that boot the floppy


@pytest.fixture(params=list(REGISTRY))
def any_emulator(request: pytest.FixtureRequest) -> EmulatorUnderTest:
    """Each registered emulator (DOSBox too), skipping where missing."""
    emulator: EmulatorUnderTest = request.getfixturevalue(request.param)
    return emulator


@pytest.fixture(params=BOOTING)
def booting(request: pytest.FixtureRequest) -> EmulatorUnderTest:
    """Each emulator that boots the floppy's own system (QEMU, Bochs, the browser), skipping where missing."""
    emulator: EmulatorUnderTest = request.getfixturevalue(request.param)
    return emulator
