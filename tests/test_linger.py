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
from almostism_dos.emulators.qemu import command
from almostism_dos.fat12 import Fat12Image
from almostism_dos.formats import FORMATS
from almostism_dos.result_line import COUNTDOWN_PREFIX, COUNTDOWN_SUFFIX, NO_APM_LINE, result_in
from almostism_dos.scripture import SCRIPTURE_FILE
from almostism_dos.startup import autoexec, linger_in
from tests.conftest import EmulatorUnderTest
from tests.images import fake_freedos_image
from vm.pc import Stop, boot


def countdown(seconds: int) -> str:
    """One redraw of the countdown line."""
    return f"\r{COUNTDOWN_PREFIX}{seconds}{COUNTDOWN_SUFFIX}"


def lingering(seconds: int) -> bytes:
    return floppy.embedded_floppy(FORMATS[1440], reference.build(0x4C), 0, linger=seconds)


@pytest.mark.parametrize("seconds", [1, 3, 12])
def test_the_countdown_shows_every_second_then_switches_off(seconds: int) -> None:
    result, _ = boot(lingering(seconds))
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    shown = result.output[result.output.index("ALMOSTISM RESULT") :]
    expected = "".join(countdown(left) for left in range(seconds, 0, -1))
    assert shown.endswith(expected) and shown.count(COUNTDOWN_PREFIX) == seconds


def test_a_key_switches_off_at_once() -> None:
    result, _ = boot(lingering(60), key_after=1)
    assert result.stop == Stop.POWEROFF
    assert result.output.endswith(countdown(60))  # the first second's line, and no other


def test_without_apm_there_is_no_countdown() -> None:
    result, _ = boot(lingering(5), apm=False)
    assert result.stop == Stop.HALT and COUNTDOWN_PREFIX not in result.output
    assert result.output.endswith(NO_APM_LINE + "\r\n")


def test_by_default_it_switches_off_at_once() -> None:
    result, _ = boot(lingering(0))
    assert result.stop == Stop.POWEROFF and COUNTDOWN_PREFIX not in result.output


def test_freedos_counts_down_through_poweroff_com() -> None:
    located = freedos.locate(None)
    if located is None:
        pytest.skip(f"no FreeDOS configured: set {freedos.ENVIRONMENT}")
    image = floppy.freedos_floppy(FORMATS[1440], freedos.load(located), reference.build(0x4D), 0, linger=2)
    result, _ = boot(image)
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0
    assert result.output.endswith(countdown(2) + countdown(1))


@pytest.mark.parametrize("seconds", ["-1", "100", "soon"])
def test_a_countdown_out_of_range_is_a_usage_error(seconds: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["build", "-o", str(tmp_path / "a.img"), "--boot", "embedded", "--linger", seconds])
    assert stopped.value.code == ExitCode.USAGE and not (tmp_path / "a.img").exists()


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
