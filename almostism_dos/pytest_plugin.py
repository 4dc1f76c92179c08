"""A pytest plugin, for teams whose CI already runs pytest: boot an image on a named emulator and drive,
and get the report ``run --json`` gives.

Installed with the package (the ``pytest11`` entry point), so any pytest in the same environment has:

``almostism_image``
    The image under test: ``--almostism-image PATH``, or one built once per session as ``build`` builds
    it (FreeDOS where one is configured, else the built-in host). Only read: every boot is of a copy.
``almostism_boot``
    ``almostism_boot(emulator="qemu", drive=None, image=None, timeout=None)``: boot a copy of the image
    and return its :class:`~almostism_dos.run.RunReport` (``errorlevel``, ``vanished``, ``ok``,
    ``reason``, ``console``). The test is skipped, with the reason, where the emulator is missing.
``almostism_cell``
    The report of one cell of ``check``'s matrix: a test that asks for it runs once per emulator and
    drive (``--almostism-emulator``, ``--almostism-as`` choose), each a test of its own: xdist spreads
    them, ``--junitxml`` reports them.
``almostism_qemu``, ``almostism_bochs``, ... (one per registered emulator)
    An :class:`EmulatorUnderTest`: ``.run(image, options, timeout, keep)`` as ``run`` boots; skipped,
    with the reason, where the emulator is missing. Our own tests use these.

Nothing here is imported until pytest loads the plugin, and the plugin imports no emulator module
until a fixture is used: a pytest run that asks for none of them pays nothing for it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .emulators import BOOT_AS, REGISTRY, TIMEOUT, emulator_class

if TYPE_CHECKING:
    from .check import Cell
    from .emulators.base import Emulator, RunOptions
    from .run import RunReport

Boot = Callable[..., "RunReport"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("almostism", "almostism-dos: boot images in emulators")
    group.addoption(
        "--almostism-image",
        type=Path,
        metavar="IMG",
        help="the image almostism_image, almostism_boot and almostism_cell boot copies of (default: one "
        "built for the session, as almostism-dos build makes it)",
    )
    group.addoption(
        "--almostism-emulator",
        action="append",
        choices=list(REGISTRY),
        metavar="NAME",
        help=f"an emulator almostism_cell runs on (repeat for more; default: all of {', '.join(REGISTRY)})",
    )
    group.addoption(
        "--almostism-as",
        action="append",
        choices=list(BOOT_AS),
        metavar="DRIVE",
        help="a drive almostism_cell boots the image as (repeat for more; default: every one it boots as)",
    )
    group.addoption(
        "--almostism-timeout",
        type=float,
        default=TIMEOUT,
        metavar="S",
        help="seconds a boot may go without a result line (default: %(default)s)",
    )
    group.addoption(
        "--almostism-logdir",
        type=Path,
        metavar="DIR",
        help="keep each boot's console here, one file per test (default: the test's tmp_path)",
    )


# --- the image ----------------------------------------------------------------------------------------


def _given_image(config: pytest.Config) -> Path | None:
    given: Path | None = config.getoption("almostism_image")
    return given


def _built_image(config: pytest.Config) -> Path:
    """The session's image, built the first time it is asked for (at collection, when a test asks for
    ``almostism_cell``: the cells depend on what the image is)."""
    built: Path | None = getattr(config, "_almostism_built", None)
    if built is None:
        from .builder import BuildRequest, build

        directory = Path(tempfile.mkdtemp(prefix="almostism-pytest-"))
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
        built = build(BuildRequest(directory / "almostism.img")).path
        config._almostism_built = built  # type: ignore[attr-defined]
    return built


def _image(config: pytest.Config) -> Path:
    return _given_image(config) or _built_image(config)


def _image_bytes(path: Path) -> bytes:
    """The image's bytes, as ``run`` reads them (a regular file no larger than an image); a usage error
    that stops the session otherwise."""
    from .inputs import InputError, read_input
    from .partition import LARGEST_READ

    try:
        return read_input(path, LARGEST_READ, "floppy or disk image")
    except InputError as error:
        raise pytest.UsageError(f"--almostism-image: {error}") from None


@pytest.fixture(scope="session")
def almostism_image(pytestconfig: pytest.Config) -> Path:
    """The image under test (``--almostism-image``, or one built for the session). Boot copies of it."""
    return _image(pytestconfig)


# --- booting ------------------------------------------------------------------------------------------


@dataclass
class EmulatorUnderTest:
    """A registered emulator, ready to boot images; each boot's console log stays under ``logs``."""

    kind: type[Emulator]
    logs: Path
    timeout: float = TIMEOUT
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
        self,
        image: Path,
        options: RunOptions | None = None,
        timeout: float | None = None,
        keep: bool = False,
    ) -> RunReport:
        """Boot ``image`` as ``almostism-dos run`` does (a copy of it, with ``keep``) and report."""
        from .emulators.base import RunOptions
        from .run import run_image

        self.boots += 1
        log = self.logs / f"{self.kind.name}-{self.boots}.log"
        emulator = self.kind.configured(options or RunOptions())
        return run_image(image, emulator, timeout or self.timeout, keep=keep, log=log)


def _logs(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test's boots leave their consoles: ``--almostism-logdir``/TEST, else its tmp_path."""
    root: Path | None = request.config.getoption("almostism_logdir")
    if root is None:
        return tmp_path
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in request.node.nodeid)
    logs = root / safe[-200:]
    logs.mkdir(parents=True, exist_ok=True)
    return logs


def _under_test(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> EmulatorUnderTest:
    """The emulator ``name``; the test is skipped, with the reason, where it is missing."""
    kind = emulator_class(name)
    missing = kind.unavailable()
    if missing is not None:
        pytest.skip(missing)
    timeout: float = request.config.getoption("almostism_timeout")
    return EmulatorUnderTest(kind, _logs(request, tmp_path), timeout)


def _emulator_fixture(name: str) -> Callable[[pytest.FixtureRequest, Path], EmulatorUnderTest]:
    def fixture(request: pytest.FixtureRequest, tmp_path: Path) -> EmulatorUnderTest:
        return _under_test(name, request, tmp_path)

    fixture.__doc__ = f"The {name} emulator; the test is skipped, with the reason, where it is missing."
    return pytest.fixture(name=f"almostism_{name}")(fixture)


for _name in REGISTRY:
    globals()[f"_almostism_{_name}"] = _emulator_fixture(_name)


def _boot_copy(under_test: EmulatorUnderTest, image: Path, drive: str | None) -> RunReport:
    """Boot a copy of ``image`` as ``drive`` (the image's own default: a disk image as a disk)."""
    from .emulators.base import RunOptions
    from .partition import has_partition_table

    data = _image_bytes(image)
    chosen = drive or ("disk" if has_partition_table(data) else "floppy")
    under_test.needs_medium(chosen)
    return under_test.run(image, RunOptions(boot_as=chosen), keep=True)


@pytest.fixture
def almostism_boot(request: pytest.FixtureRequest, tmp_path: Path, almostism_image: Path) -> Boot:
    """``almostism_boot(emulator="qemu", drive=None, image=None, timeout=None)``: boot a copy of the
    image (``almostism_image`` unless ``image``) and return the report."""

    def boot(
        emulator: str = "qemu",
        drive: str | None = None,
        image: Path | None = None,
        timeout: float | None = None,
    ) -> RunReport:
        if emulator not in REGISTRY:
            raise ValueError(f"no emulator {emulator!r}: one of {', '.join(REGISTRY)}")
        under_test = _under_test(emulator, request, tmp_path)
        if timeout is not None:
            under_test.timeout = timeout
        return _boot_copy(under_test, image or almostism_image, drive)

    return boot


# --- check's matrix as tests ----------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that asks for ``almostism_cell`` runs once per cell of ``check``'s matrix for the image."""
    if "almostism_cell" not in metafunc.fixturenames:
        return
    from .check import matrix

    config = metafunc.config
    cells = matrix(
        _image_bytes(_image(config)),
        config.getoption("almostism_emulator") or (),
        config.getoption("almostism_as") or (),
    )
    metafunc.parametrize("almostism_cell", cells, ids=[cell.name for cell in cells], indirect=True)


@pytest.fixture
def almostism_cell(request: pytest.FixtureRequest, tmp_path: Path, almostism_image: Path) -> RunReport:
    """The report of booting a copy of the image in one cell (emulator and drive) of ``check``'s matrix;
    skipped, with the reason, where the emulator is missing or cannot judge this image."""
    cell: Cell = request.param
    under_test = _under_test(cell.emulator, request, tmp_path)
    from .emulators.base import RunOptions

    refused = under_test.kind.configured(RunOptions(boot_as=cell.drive)).refuses(
        _image_bytes(almostism_image)
    )
    if refused is not None:
        pytest.skip(refused)
    report = _boot_copy(under_test, almostism_image, cell.drive)
    report.emulator_version = under_test.kind.version()
    return report
