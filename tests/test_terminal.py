"""The user's terminal is theirs: ``run`` renders the emulator's screen and never forwards its control
sequences. Checked on the rendering layer, and in real terminals: tmux and a pexpect pseudo-terminal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from almostism_dos.cli import main
from almostism_dos.live import LiveView
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import COUNTDOWN_PREFIX, COUNTDOWN_SUFFIX, RESULT_PREFIX, result_in
from almostism_dos.screen import Screen, render

SEABIOS_START = "\x1bc\x1b[?7l\x1b[2J\x1b[0m"  # what SeaBIOS sends first: reset, wrap off, clear
RESET, WRAP_OFF = b"\x1bc", b"\x1b[?7l"
CLI = [sys.executable, "-m", "almostism_dos"]


def test_control_sequences_are_rendered_not_kept() -> None:
    text = render(SEABIOS_START + "SeaBIOS\r\nBooting from Floppy...\r\nALMOSTISM RESULT errorlevel=4\r\n")
    assert text == "SeaBIOS\nBooting from Floppy...\nALMOSTISM RESULT errorlevel=4\n"
    assert result_in(text) == 4


def test_lines_that_scroll_off_the_screen_stay_in_the_transcript() -> None:
    screen = Screen(columns=80, rows=25)
    screen.feed("".join(f"line {n}\r\n" for n in range(60)))
    assert screen.lines() == [f"line {n}" for n in range(60)]
    assert screen.display()[0] == "line 36"  # the screen itself holds the last 24 and the cursor row


def test_a_cleared_screen_keeps_what_it_showed() -> None:
    screen = Screen()
    screen.feed("first screen\r\n\x1b[2J\x1b[Hsecond screen\r\n")
    assert screen.lines() == ["first screen", "second screen"]


def test_video_memory_cleared_in_place_keeps_what_it_showed() -> None:
    """v86's screen comes as video memory: the VGA BIOS banner, then SeaBIOS clears the screen and
    writes its own lines over the banner's rows. Both stay in the transcript, in order, and the live
    view prints every line of both, once."""
    out = Recorder(True)
    view = LiveView(out, "v86", True).start()  # type: ignore[arg-type]
    screen = Screen()
    banner = ["VGA BIOS", "LGPL", "", "visit", " . bochs"]
    boot = ["SeaBIOS", "Booting from Floppy...", "Almostism", "ALMOSTISM RESULT errorlevel=0"]
    for rows in (banner, boot[:1], boot[:3], boot):
        screen.show([*rows, *[""] * (25 - len(rows))])
        view(screen)
    assert screen.lines() == banner + boot
    view.finish(screen.text())
    shown = [line for line in out.text().replace("\r\x1b[K", "\n").splitlines() if not line.startswith("[")]
    assert shown == banner + boot


def test_video_memory_that_scrolled_keeps_the_lines_that_left_the_top() -> None:
    screen = Screen(columns=80, rows=4)
    screen.show(["one", "two", "three", ""])
    screen.show(["two", "three", "four", "five"])
    assert screen.lines() == ["one", "two", "three", "four", "five"]


def test_cursor_movement_and_overwrites_render_as_a_screen_would() -> None:
    screen = Screen()
    screen.feed("ALMOSTISM RESULT errorlevel=9\r\x1b[28Cx\x1b[K\r\n")  # 9 overwritten, rest erased
    assert screen.lines() == ["ALMOSTISM RESULT errorlevel=x"]
    assert result_in(screen.text()) is None


def test_a_result_split_across_chunks_is_found_once_whole() -> None:
    screen = Screen()
    screen.feed("ALMOSTISM RESULT error")
    assert result_in(screen.text()) is None
    screen.feed("level=0\r\n")
    assert result_in(screen.text()) == 0


class Recorder:
    def __init__(self, interactive: bool) -> None:
        self.written: list[str] = []
        self.interactive = interactive

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.interactive

    def text(self) -> str:
        return "".join(self.written)


@pytest.mark.parametrize("interactive", [False, True])
def test_the_live_view_prints_each_line_once(interactive: bool) -> None:
    out = Recorder(interactive)
    view = LiveView(out, "QEMU", interactive).start()  # type: ignore[arg-type]
    screen = Screen()
    for chunk in (SEABIOS_START + "one\r\ntw", "o\r\nthree", ""):
        screen.feed(chunk)
        view(screen)
    view.finish(screen.text())
    written = out.text()
    if interactive:
        assert "[QEMU: " in written and written.endswith("three\n")
    else:
        assert "\x1b" not in written and "\r" not in written
    shown = [line for line in written.replace("\r\x1b[K", "\n").splitlines() if line]
    assert [line for line in shown if not line.startswith("[QEMU: ")] == ["one", "two", "three"]


def test_a_countdown_shows_in_the_status_as_it_counts() -> None:
    """The line the guest redraws in place (``--linger``'s countdown) is never a complete line: the
    status shows it, second by second, while it counts."""
    out = Recorder(True)
    view = LiveView(out, "QEMU", True).start()  # type: ignore[arg-type]
    screen = Screen()
    screen.feed(f"{RESULT_PREFIX}0\r\n")
    for left in (3, 2, 1):
        screen.feed(f"\r{COUNTDOWN_PREFIX}{left}{COUNTDOWN_SUFFIX}")
        view(screen)
        assert out.text().endswith(f"{COUNTDOWN_PREFIX}{left}{COUNTDOWN_SUFFIX.rstrip()}")
    view.finish(screen.text())


# --- real terminals -----------------------------------------------------------------------------------


@pytest.fixture
def liturgy(tmp_path: Path) -> Path:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--unique-byte", "0x77"]) == 0
    return image


@pytest.mark.vm
def test_run_leaves_a_real_terminal_as_it_found_it(
    qemu: EmulatorUnderTest, liturgy: Path, tmp_path: Path
) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (Debian package tmux)")
    socket, raw = str(tmp_path / "tmux.sock"), tmp_path / "pane.raw"
    tmux = ["tmux", "-S", socket, "-f", "/dev/null"]
    width = 100

    def send(line: str) -> None:
        """Type ``line`` into the pane's shell and wait until the shell has run it."""
        subprocess.run([*tmux, "send-keys", "-t", "t", f"{line}; tmux -S {socket} wait-for -S ran", "Enter"],
                       check=True)  # fmt: skip
        subprocess.run([*tmux, "wait-for", "ran"], check=True, timeout=90)

    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "-x", str(width), "-y", "60",  # all of it visible
                    "env -i PATH=/usr/bin:/bin TERM=xterm HOME=/tmp PS1='$ ' bash --norc --noprofile"],
                   check=True)  # fmt: skip
    try:
        subprocess.run([*tmux, "pipe-pane", "-t", "t", "-o", f"cat >> {raw}"], check=True)
        send("echo EARLIER-CONTENT-MARKER")
        send(" ".join([*CLI, "run", str(liturgy)]))
        long_line = "W" * 200
        send(f"echo {long_line}")
        wrap = subprocess.run(
            [*tmux, "display", "-p", "-t", "t", "#{wrap_flag}"], capture_output=True, text=True
        )
        pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    lines = pane.stdout.splitlines()
    assert "EARLIER-CONTENT-MARKER" in lines, "the screen above the command was wiped"
    assert any(line.startswith("Instance byte: 0x77") for line in lines)
    assert wrap.stdout.strip() == "1", "line wrap was left off"
    assert "W" * width in lines and "W" * (200 - width) in lines, "the long line did not wrap"
    received = raw.read_bytes()
    assert b"Instance byte: 0x77" in received
    assert RESET not in received and WRAP_OFF not in received


@pytest.mark.vm
def test_on_a_terminal_the_status_line_is_drawn_then_removed(qemu: EmulatorUnderTest, liturgy: Path) -> None:
    child = pexpect.spawn(CLI[0], [*CLI[1:], "run", str(liturgy)], encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    seen = child.before
    assert child.exitstatus == 0, seen
    assert "[QEMU: " in seen and "\x1b[K" in seen
    assert "\x1bc" not in seen and "\x1b[?7l" not in seen and "\x1b[2J" not in seen
    after_status = seen.rsplit("\r\x1b[K", 1)[1]
    assert "[QEMU: " not in after_status and "QEMU (embedded): errorlevel 0" in after_status
    # Printed once among the finished lines; the status line may show it too, as the line being drawn,
    # before it is complete, and is then erased (seen under load: a redraw between its last character
    # and its line feed).
    finished = re.sub(r"\[QEMU: [0-9.]+ s\][^\r]*\r\x1b\[K", "", seen)
    assert finished.count("ALMOSTISM RESULT errorlevel=0") == 1, finished


@pytest.mark.vm
def test_through_a_pipe_only_plain_lines(qemu: EmulatorUnderTest, liturgy: Path) -> None:
    done = subprocess.run([*CLI, "run", str(liturgy)], capture_output=True, timeout=60)
    assert done.returncode == 0
    assert b"\x1b" not in done.stdout and b"\r" not in done.stdout
    lines = done.stdout.decode().splitlines()
    assert lines[:2] == [
        "SeaBIOS (version " + lines[0].split("SeaBIOS (version ", 1)[1],
        "Booting from Floppy...",
    ]
    assert "Instance byte: 0x77" in lines and lines[-2].startswith(
        "QEMU (embedded): errorlevel 0, scripture gone"
    )
    assert lines[-1].startswith(f"{liturgy} is spent: its scripture is gone"), "what to do next, unsaid"


@pytest.mark.vm
def test_quiet_prints_only_the_verdict(qemu: EmulatorUnderTest, liturgy: Path) -> None:
    done = subprocess.run([*CLI, "run", "--quiet", str(liturgy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [done.stdout.strip()]
    assert done.stdout.startswith("QEMU (embedded): errorlevel 0, scripture gone")
