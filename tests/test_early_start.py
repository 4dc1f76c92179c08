"""QEMU started paused before the command line loads (emulators/qemu_launch.py): taken by the boot only
when it is the very QEMU the boot would start, paused until the image is judged fit, never left behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from almostism_dos import reference
from almostism_dos.emulators import qemu_launch
from almostism_dos.emulators.base import RunOptions
from almostism_dos.emulators.qemu import Qemu
from almostism_dos.run import run_image
from tests.images import busy_floppy, embedded_image, killed_while_busy, self_booting


@pytest.mark.parametrize(
    ("arguments", "image"),
    [
        (["run", "a.img"], "a.img"),
        (["run", "./a.img", "--quiet"], "a.img"),
        (["run", "--json", "--timeout", "30", "/x//y/./a.img"], "/x/y/a.img"),
        (["run", "--emulator", "qemu", "--timeout=5", "a.img"], "a.img"),
        (["run", "--keep", "a.img"], None),  # boots a copy elsewhere
        (["run", "--emulator", "bochs", "a.img"], None),
        (["run", "--as", "usb", "a.img"], None),
        (["run", "--qui", "a.img"], None),  # an abbreviation: argparse's to judge
        (["run", "a.img", "b.img"], None),
        (["run", "--timeout"], None),
        (["inspect", "a.img"], None),
        ([], None),
    ],
)
def test_only_a_plain_run_is_recognised(arguments: list[str], image: str | None) -> None:
    assert qemu_launch._plain_run(arguments) == image


@pytest.fixture
def no_early_start() -> Iterator[None]:
    """Whatever a test starts early is gone after it."""
    qemu_launch.discard_early()
    yield
    qemu_launch.discard_early()


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command line of every QEMU launched in this test, the early start's among them."""
    lines: list[list[str]] = []
    original = qemu_launch.Launch.__init__

    def counted(self: qemu_launch.Launch, line: list[str], home: str) -> None:
        lines.append(line)
        original(self, line, home)

    monkeypatch.setattr(qemu_launch.Launch, "__init__", counted)
    return lines


def _run_state(launch: qemu_launch.Launch) -> str:
    """What QEMU says its machine is doing, asked on the socket it connects to."""
    connection, _ = socket.socket(fileno=launch.server.detach()).accept()
    with socket.socket(fileno=connection.detach()) as qmp, qmp.makefile("rw") as stream:
        stream.readline()  # greeting
        stream.write('{"execute": "qmp_capabilities"}\n{"execute": "query-status"}\n')
        stream.flush()
        stream.readline()
        return str(json.loads(stream.readline())["return"]["status"])


@pytest.mark.vm
@pytest.mark.usefixtures("no_early_start")
def test_an_early_qemu_waits_paused_and_is_removed_untouched(tmp_path: Path) -> None:
    pristine = embedded_image(reference.build(7))
    image = tmp_path / "a.img"
    image.write_bytes(pristine)
    qemu_launch.start_early(["run", str(image)])
    launch = qemu_launch._early
    assert launch is not None
    assert _run_state(launch) == "prelaunch"  # set up, and running none of the image's code
    scratch = Path(launch.scratch)
    qemu_launch.discard_early()
    assert launch.process.exitstatus is not None  # ended, and reaped
    assert not scratch.exists()
    assert image.read_bytes() == pristine


@pytest.mark.vm
@pytest.mark.usefixtures("no_early_start")
def test_the_boot_takes_the_early_qemu_and_runs_it(tmp_path: Path, launched: list[list[str]]) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 8)
    qemu_launch.start_early(["run", str(image)])
    early = qemu_launch._early
    assert early is not None
    launched.clear()  # (the early start's: what follows counts the boot's own)
    report = run_image(image, Qemu.configured(RunOptions()), timeout=60)
    assert report.ok, report.console[-300:]
    assert launched == []  # no second QEMU: the early one booted
    assert early.process.exitstatus == 0
    assert not Path(early.scratch).exists()


@pytest.mark.vm
@pytest.mark.usefixtures("no_early_start")
def test_an_early_qemu_for_another_line_is_ended_before_the_boot_starts_its_own(tmp_path: Path) -> None:
    """The early QEMU holds the image locked for writing: a boot of another line (a write-protected
    floppy) must end it first, or its own QEMU could not open the image."""
    image = tmp_path / "a.img"
    self_booting(image, 9)
    qemu_launch.start_early(["run", str(image)])
    early = qemu_launch._early
    assert early is not None
    report = run_image(image, Qemu.configured(RunOptions(write_protected=True)), timeout=60)
    assert report.errorlevel is not None, report.console[-300:]  # booted: the lock was free
    assert early.process.exitstatus is not None
    assert not Path(early.scratch).exists()


@pytest.mark.vm
@pytest.mark.usefixtures("no_early_start")
def test_a_path_swapped_for_another_file_after_the_early_start_is_not_booted_by_it(
    tmp_path: Path, launched: list[list[str]]
) -> None:
    """The early QEMU opened the first file; the command judges what the path names when it reads it.
    Booting the early QEMU then would boot a file nobody judged: it is ended, and the boot starts its
    own QEMU on the file that was judged."""
    image = self_booting(tmp_path / "a.img", 12)
    qemu_launch.start_early(["run", str(image)])
    early = qemu_launch._early
    assert early is not None
    launched.clear()  # (the early start's: what follows counts the boot's own)
    swapped = self_booting(tmp_path / "b.img", 13)
    os.replace(swapped, image)
    report = run_image(image, Qemu.configured(RunOptions()), timeout=60)
    assert report.ok and "Instance byte: 0x0D" in report.console, report.console[-300:]
    assert len(launched) == 1  # a QEMU of the boot's own: the early one was not booted
    assert early.process.exitstatus is not None  # ended (QEMU exits 0 or by the signal, as it catches it)
    assert not Path(early.scratch).exists()


_PROBE = """
import json, sys
from almostism_dos.emulators import terminal_process
started = []
original = terminal_process.TerminalProcess.__init__
def recording(self, *args):
    loaded = sorted(name for name in sys.modules if name.startswith("almostism_dos"))
    original(self, *args)
    started.append({"pid": self.pid, "loaded": loaded})
terminal_process.TerminalProcess.__init__ = recording
from almostism_dos.entry import console_main
sys.argv[0] = "almostism-dos"
code = console_main()
print(json.dumps({"code": code, "started": started}), file=sys.stderr)
"""


def _through_the_entry_point(arguments: list[str], where: Path) -> tuple[int, list[dict[str, object]]]:
    """``almostism-dos ARGUMENTS`` as the console script runs it: its exit code, and for each QEMU it
    started, the process id and the package's modules loaded at that moment."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        capture_output=True,
        text=True,
        cwd=where,
        timeout=120,
        env={**os.environ, "TMPDIR": str(where)},
    )
    said = json.loads(done.stderr.strip().splitlines()[-1])
    return int(said["code"]), said["started"]


def _gone(pid: object) -> bool:
    try:
        os.kill(int(str(pid)), 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.vm
def test_the_command_starts_qemu_before_its_command_line_loads(tmp_path: Path) -> None:
    self_booting((tmp_path / "a.img"), 10)
    code, started = _through_the_entry_point(["run", "--quiet", "a.img"], tmp_path)
    assert code == 0
    assert len(started) == 1  # one QEMU, started early and booted
    assert "almostism_dos.cli" not in started[0]["loaded"]  # type: ignore[operator]
    assert os.listdir(tmp_path) == ["a.img"]  # (its private directory, in TMPDIR, removed)


@pytest.mark.vm
def test_an_early_qemu_the_command_refuses_to_boot_is_not_left_behind(tmp_path: Path) -> None:
    """A floppy's first sector on a file larger than any image: QEMU starts early, the command refuses
    the file (one line, 65), and nothing of the early QEMU outlives the command."""
    big = tmp_path / "a.img"
    self_booting(big, 11)
    with big.open("r+b") as handle:
        handle.truncate(64 * 1024 * 1024)
    code, started = _through_the_entry_point(["run", "a.img"], tmp_path)
    assert code == 65
    assert len(started) == 1  # it did start early
    assert _gone(started[0]["pid"])
    assert os.listdir(tmp_path) == ["a.img"]


@pytest.mark.vm
def test_a_run_killed_outright_takes_its_early_qemu_with_it(tmp_path: Path) -> None:
    """SIGKILL leaves no time to end anything; QEMU's terminal was its controlling terminal, so the kernel
    hangs it up and QEMU ends (a pty merely handed down left QEMU running, paused or not, for ever)."""
    image = busy_floppy(tmp_path / "busy.img", b"x")
    command = [sys.executable, "-c", "import sys; from almostism_dos.entry import console_main; "
               "sys.exit(console_main())", "run", str(image)]  # fmt: skip
    killed_while_busy(command, {**os.environ, "TMPDIR": str(tmp_path)})
    deadline = time.monotonic() + 10
    while subprocess.run(["pgrep", "-f", str(image)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "QEMU outlived the run killed by SIGKILL"
        time.sleep(0.05)
