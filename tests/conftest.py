"""Shared fixtures: the assembled programs, ALMOST.COM in the Unicorn DOS machine, and every emulator."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from almostism_dos import freedos, programs
from almostism_dos.assembler import Assembly
from almostism_dos.emulators import REGISTRY, emulator_class
from almostism_dos.pytest_plugin import EmulatorUnderTest
from vm.dos import Disk, RunResult, run_com

pytest_plugins = ["pytester"]  # (tests/test_pytest_plugin.py runs a team's test file)

RunLiturgy = Callable[..., RunResult]

# How many cases each fuzz or sweep test takes unless its variable says otherwise: CI sets none of them
# and runs these (CONTRIBUTING.md quotes them; a test holds the two to each other).
FUZZ_DEFAULTS = {
    "ALMOSTISM_FUZZ_EXAMPLES": 3000,
    "ALMOSTISM_IMAGE_FUZZ": 300,
    "ALMOSTISM_HOST_FUZZ": 300,
    "ALMOSTISM_FREEDOS_FUZZ": 40,
    "ALMOSTISM_UNIQUE_BYTES": 255,  # the unique bytes the scripture's format is checked for, spread 1..255
}


def fuzz_examples(variable: str) -> int:
    """The number of fuzz cases: the environment variable, else its default."""
    return int(os.environ.get(variable, FUZZ_DEFAULTS[variable]))


def spread(count: int, first: int, last: int) -> list[int]:
    """``count`` values from ``first`` to ``last``, both ends among them, as evenly apart as they go."""
    if count >= last - first + 1:
        return list(range(first, last + 1))
    if count <= 1:
        return [first]
    return sorted({first + round(index * (last - first) / (count - 1)) for index in range(count)})


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


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user cache of the test's own, and no FreeDOS named by the environment: what the tool finds is
    only what the test puts there. The tool's directory in that cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(freedos.ENVIRONMENT, raising=False)
    return tmp_path / "cache" / "almostism-dos"


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


# --- emulators: the plugin's fixtures (almostism_dos.pytest_plugin, shipped in the wheel) --------------
# Our tests name each emulator as the plugin does without its prefix (``qemu``, ``bochs``): the same
# fixture, so the plugin users get is the one every test here boots through.


def _alias(name: str) -> Callable[[pytest.FixtureRequest], EmulatorUnderTest]:
    def fixture(request: pytest.FixtureRequest) -> EmulatorUnderTest:
        emulator: EmulatorUnderTest = request.getfixturevalue(f"almostism_{name}")
        return emulator

    fixture.__doc__ = f"The plugin's almostism_{name}: skipped, with the reason, where it is missing."
    return pytest.fixture(name=name)(fixture)


for _name in REGISTRY:
    globals()[f"_{_name}_fixture"] = _alias(_name)

# The emulators whose drives take every floppy size we build. MAME's IBM PC and XT take 160-720 KB
# only, as the real machines do; tests/test_mame.py proves them on those sizes and the refusal of others.
EVERY_SIZE = [name for name in REGISTRY if emulator_class(name).floppy_kilobytes is None]
BOOTING = [name for name in EVERY_SIZE if emulator_class(name).boots]  # emulators that boot the floppy


@pytest.fixture(params=EVERY_SIZE)
def any_emulator(request: pytest.FixtureRequest) -> EmulatorUnderTest:
    """Each registered emulator that takes every floppy size (DOSBox too), skipping where missing."""
    emulator: EmulatorUnderTest = request.getfixturevalue(f"almostism_{request.param}")
    return emulator


@pytest.fixture(params=BOOTING)
def booting(request: pytest.FixtureRequest) -> EmulatorUnderTest:
    """Each emulator that boots the floppy's own system (QEMU, Bochs, the browser), skipping where missing."""
    emulator: EmulatorUnderTest = request.getfixturevalue(f"almostism_{request.param}")
    return emulator


# --- markers from what a test uses ------------------------------------------------------------------

_MARKS = {  # an emulator a test boots -> the markers that select it
    name: ("vm", *(("browser",) if name == "browser" else ()), *(("dosbox",) if name == "dosbox" else ()))
    for name in REGISTRY
}


def booted_by(item: pytest.Item) -> set[str]:
    """The registered emulators ``item`` boots, as its fixtures and parameters say: an emulator's
    fixture (``qemu``, ``almostism_bochs``), ``any_emulator``'s, ``booting``'s or an ``emulator``
    parameter, the plugin's
    ``almostism_cell``, or a fault-matrix host named after the emulator."""
    used = set(getattr(item, "fixturenames", ()))
    params = getattr(getattr(item, "callspec", None), "params", {})
    names = {name for name in REGISTRY if name in used or f"almostism_{name}" in used}
    names |= {
        params[name] for name in ("any_emulator", "booting", "emulator") if params.get(name) in REGISTRY
    }
    if "almostism_cell" in params:
        names.add(params["almostism_cell"].emulator)
    if isinstance(params.get("host"), str):
        names |= {name for name in REGISTRY if emulator_class(name).title in params["host"]}
    return names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it boots (one place, so ``-m "not browser"`` leaves out every browser
    boot and ``-m "not vm"`` every emulator), and FreeDOS where it asks for it; then put the ``long``
    tests first (in the order pytest-randomly shuffled them into), so that a parallel run does not end
    with one worker still in a 13-second fuzzer while the others wait."""
    for item in items:
        marks = {mark for name in booted_by(item) for mark in _MARKS[name]}
        if "configured_freedos" in getattr(item, "fixturenames", ()):
            marks.add("freedos")
        for mark in sorted(marks - {existing.name for existing in item.iter_markers()}):
            item.add_marker(mark)
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # (a stable sort)
