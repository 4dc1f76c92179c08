"""``build --linger SECONDS``: the verdict stays on the screen, counted down, before the power-off; a key
ends the countdown at once; without APM nothing changes. In the Unicorn PC (its clock ticks as it is
read, its keyboard presses the space bar when a test asks), under FreeDOS there (POWEROFF.COM's command
tail), and in QEMU with a key typed through QMP's ``send-key``."""

from __future__ import annotations

import json
import socket
import tempfile
from pathlib import Path

import pexpect
import pytest

from almostism_dos import floppy, freedos, reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators.qemu import Qmp
from almostism_dos.emulators.qemu_launch import command
from almostism_dos.fat12 import Fat12Image
from almostism_dos.floppy import Contents
from almostism_dos.formats import FORMATS
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import (
    COUNTDOWN_PREFIX,
    COUNTDOWN_SUFFIX,
    DEFAULT_LINGER,
    NO_APM_LINE,
    countdown_in,
    result_in,
)
from almostism_dos.scripture import SCRIPTURE_FILE
from almostism_dos.startup import autoexec, linger_in
from tests.images import fake_freedos_image
from vm.pc import Stop, boot


def countdown(seconds: int) -> str:
    """One redraw of the countdown line."""
    return f"\r{COUNTDOWN_PREFIX}{seconds}{COUNTDOWN_SUFFIX}"


def lingering(seconds: int) -> bytes:
    return floppy.embedded_floppy(FORMATS[1440], Contents(reference.build(0x4C), 0, linger=seconds))


@pytest.mark.parametrize("seconds", [1, 3, 12])
def test_the_countdown_shows_every_second_then_switches_off(seconds: int) -> None:
    result, _ = boot(lingering(seconds), press_on_result=False)
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    shown = result.output[result.output.index("ALMOSTISM RESULT") :]
    expected = "".join(countdown(left) for left in range(seconds, 0, -1))
    assert shown.endswith(expected) and shown.count(COUNTDOWN_PREFIX) == seconds


def test_a_key_switches_off_at_once() -> None:
    result, _ = boot(lingering(60), key_after=1, press_on_result=False)
    assert result.stop == Stop.POWEROFF
    assert result.output.endswith(countdown(60))  # the first second's line, and no other


def test_without_apm_there_is_no_countdown() -> None:
    result, _ = boot(lingering(5), apm=False)
    assert result.stop == Stop.HALT and COUNTDOWN_PREFIX not in result.output
    assert result.output.endswith(NO_APM_LINE + "\r\n")


def test_by_default_it_switches_off_at_once() -> None:
    result, _ = boot(lingering(0))
    assert result.stop == Stop.POWEROFF and COUNTDOWN_PREFIX not in result.output


def test_freedos_counts_down_through_poweroff_com(configured_freedos: Path) -> None:
    image = floppy.freedos_floppy(
        FORMATS[1440], freedos.load(configured_freedos), Contents(reference.build(0x4D), 0, linger=2)
    )
    result, _ = boot(image, press_on_result=False)
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    assert result.output.endswith(countdown(2) + countdown(1))


@pytest.mark.parametrize("seconds", ["-1", "100", "soon"])
def test_a_countdown_out_of_range_is_a_usage_error(
    seconds: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["build", "-o", str(tmp_path / "a.img"), "--boot", "embedded", "--linger", seconds])
    except SystemExit as stopped:  # (argparse: not a number)
        code = int(str(stopped.code))
    assert code == ExitCode.USAGE and not (tmp_path / "a.img").exists()
    assert "0 to 99" in capsys.readouterr().err


class QmpClient:
    """The test's end of QMP: QEMU connects to it; it negotiates, types keys and waits for events."""

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.server.settimeout(30)

    def connect(self) -> None:
        self.connection, _ = self.server.accept()
        self.connection.settimeout(30)
        self.reader = self.connection.makefile("r", encoding="utf-8")
        self.reader.readline()  # the greeting
        self.ask({"execute": "qmp_capabilities"})

    def ask(self, request: dict[str, object]) -> None:
        self.connection.sendall(json.dumps(request).encode() + b"\n")
        self.until(lambda message: "return" in message or "error" in message)

    def until(self, wanted: object) -> dict[str, object]:
        for line in self.reader:
            message: dict[str, object] = json.loads(line)
            if wanted(message):  # type: ignore[operator]
                return message
        raise AssertionError("QEMU hung up")


@pytest.mark.vm
def test_in_qemu_the_countdown_shows_and_a_typed_key_ends_it(qemu: EmulatorUnderTest, tmp_path: Path) -> None:
    """60 seconds of countdown; a key typed once the line shows switches the PC off well before."""
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--linger", "60"]) == 0
    with tempfile.TemporaryDirectory(prefix="almostism-qmp-") as scratch:  # (a short socket path)
        qmp = QmpClient(Path(scratch) / "qmp.sock")
        program, *arguments = command(image, qmp=Path(scratch) / "qmp.sock")
        child = pexpect.spawn(program, arguments, encoding="latin-1")
        try:
            qmp.connect()
            child.expect_exact(COUNTDOWN_PREFIX + "60", timeout=30)
            qmp.ask({"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": "spc"}]}})
            qmp.until(lambda message: message.get("event") == "SHUTDOWN")  # (within 30 s, not 60)
            qmp.connection.sendall(b'{"execute": "quit"}\n')
            child.expect(pexpect.EOF, timeout=30)
        finally:
            child.terminate(force=True)
            qmp.server.close()
    assert Fat12Image.parse(image.read_bytes()).find(SCRIPTURE_FILE) is None  # the liturgy came first


@pytest.mark.parametrize("boot", ["embedded", "freedos"])
def test_inspect_says_how_long_the_countdown_is(
    boot: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    line = ["build", "-o", str(image), "--boot", boot, "--linger", "7"]
    if boot == "freedos":
        line += ["--freedos", str(fake_freedos_image(tmp_path / "fd.img"))]
    assert main(line) == 0
    capsys.readouterr()
    assert main(["inspect", str(image)]) == 0
    assert "switches off after a countdown of 7 s" in capsys.readouterr().out
    assert main(["inspect", str(image), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["linger"] == 7


@pytest.mark.parametrize("seconds", [0, 1, 99])
def test_autoexec_carries_the_countdown_and_gives_it_back(seconds: int) -> None:
    assert linger_in(autoexec(linger=seconds)) == seconds


# --- time to read it by default; every tool of ours presses the key ----------------------------------


def test_an_image_built_without_linger_keeps_the_verdict_for_the_default_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    assert f"the verdict stays {DEFAULT_LINGER} s" in capsys.readouterr().out
    assert main(["inspect", str(image), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["linger"] == DEFAULT_LINGER > 0


def test_the_unicorn_pc_presses_the_key_once_the_result_line_is_printed() -> None:
    result, _ = boot(lingering(60))
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    assert result.output.endswith(countdown(60))  # the first second's line, and no other


def test_under_freedos_the_key_pressed_at_the_result_line_reaches_poweroff_com(
    configured_freedos: Path,
) -> None:
    """The key is pressed while FreeCOM is still between two batch lines: it waits in the BIOS's buffer,
    and the countdown takes it."""
    image = floppy.freedos_floppy(
        FORMATS[1440], freedos.load(configured_freedos), Contents(reference.build(0x4D), 0, linger=60)
    )
    result, _ = boot(image)
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    assert result.output.endswith(countdown(60))


# Emulated seconds that may pass between the result line and the key, where a second is not a second:
# Bochs's clock counts instructions (``sync=none``) and, while the countdown idles, runs about 45 times
# the real one (measured: a 99 s countdown nobody cuts ends in 2.2 s; 30 s in 0.6 s). A loaded machine
# (a fresh-clone CI, two workers on two cores) once took 8 of them, 0.18 s, to read the line and press.
# So Bochs's allowance is one real second; elsewhere, four emulated ones.
_SECONDS_A_KEY_MAY_TAKE = {"bochs": 45}


@pytest.mark.vm
@pytest.mark.parametrize("system", ["embedded", "freedos"])
def test_every_booting_emulator_presses_the_key_at_the_result_line(
    booting: EmulatorUnderTest, request: pytest.FixtureRequest, tmp_path: Path, system: str
) -> None:
    """A 99-second countdown: without the key the last screen would say 1 s (or the run would time
    out); with it the countdown ends within its first seconds, or within the first real second where
    the emulated clock outruns the real one. (v86's run ends at the result line itself: it has no
    countdown left to cut.)"""
    image = tmp_path / "a.img"
    line = ["build", "-o", str(image), "--linger", "99", "--unique-byte", "0x4E"]
    if system == "freedos":
        line += ["--freedos", str(request.getfixturevalue("configured_freedos"))]
    else:
        line += ["--boot", "embedded"]
    assert main(line) == 0
    report = booting.run(image, timeout=30)
    assert report.ok, report.console[-300:]
    left = countdown_in(report.console)
    allowance = _SECONDS_A_KEY_MAY_TAKE.get(booting.kind.name, 4)
    assert left is None or left >= 99 - allowance, report.console[-300:]


@pytest.mark.long
@pytest.mark.vm
def test_a_countdown_nobody_cuts_is_waited_out_not_timed_out(
    qemu: EmulatorUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run``'s timeout is for the result line; a countdown after it runs to its end, however long."""
    monkeypatch.setattr(Qmp, "press_key", lambda self: None)  # a key that never arrives
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--linger", "6"]) == 0
    report = qemu.run(image, timeout=3)
    assert report.ok and countdown_in(report.console) == 1, report.console[-300:]
