"""A newcomer's first minutes: the command line explains itself and says what happened and what next.

Each test here was written against a behaviour a first-time user met (issue 27): a bare command that
said only "the following arguments are required", options with no help, a traceback for
``--timeout -1``, ``verify`` claiming a file it never touched was deleted, a second ``run`` of a spent
image with no word of why, the browser's boot invisible on a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pexpect
import pytest

from almostism_dos import reference
from almostism_dos.cli import _COMMANDS, EXIT_MEANINGS, ExitCode, _summary, build_parser, main
from almostism_dos.live import LiveView
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.run import RunReport
from almostism_dos.scripture import SCRIPTURE_FILE, Flaw, Verdict
from tests.images import embedded_image, fake_freedos_image, liturgy_image, self_booting

CLI = [sys.executable, "-m", "almostism_dos"]


def tool(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *arguments], capture_output=True, text=True, cwd=cwd, timeout=120)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the command line explains itself ----------------------------------------------------------------


def test_the_bare_command_shows_the_usage_and_the_commands() -> None:
    done = tool()
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.startswith("usage: almostism-dos ")
    for name, command in _COMMANDS.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(command.summary)}$", done.stderr, re.M), name
    assert "Traceback" not in done.stderr


def test_the_commands_come_in_the_order_they_are_used() -> None:
    listed = re.findall(r"^    (\w+)\s", build_parser().format_help(), re.M)
    assert listed[:3] == ["build", "run", "inspect"]
    assert sorted(listed) == sorted(_COMMANDS)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {inner}": p for inner, p in _subparsers(sub).items()})
    return found


def test_every_command_has_a_description_and_examples_and_every_argument_its_help() -> None:
    for name, parser in _subparsers(build_parser()).items():
        assert parser.description, name
        if " " not in name:  # (freedos fetch / import: one line each, no examples needed)
            assert "examples:\n  almostism-dos " in (parser.epilog or ""), name
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if action.help == argparse.SUPPRESS:
                continue
            what = f"{name} {action.option_strings or action.metavar}"
            assert action.help, f"{what}: no help"
            defaulted = action.default not in (None, False) and action.default != argparse.SUPPRESS
            assert not defaulted or "default" in action.help, f"{what}: its default ({action.default}) unsaid"
        parser.format_help()  # (every %(name)s in a help resolves)


def test_help_lists_every_exit_code_once() -> None:
    text = flat(build_parser().format_help().split("exit codes:", 1)[1])
    for code in ExitCode:
        assert text.count(f" {code.value} ") == 1, code
        assert flat(EXIT_MEANINGS[code]) in text, code
    assert f"0-{max(Verdict).value} verify" in text


@pytest.mark.parametrize(
    "arguments",
    [
        ["run", "a.img", "--timeout", "-1"],
        ["run", "a.img", "--timeout", "0"],
        ["run", "a.img", "--timeout", "nan"],
        ["build"],
        ["nonsense"],
        ["run", "--emulator", "amiga", "a.img"],
    ],
)
def test_a_usage_error_is_one_line_with_the_tools_prefix(arguments: list[str], tmp_path: Path) -> None:
    self_booting((tmp_path / "a.img"), 1)
    done = tool(*arguments, cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("almostism-dos: error: "), done.stderr
    assert "--help" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "a.img").read_bytes() == embedded_image(reference.build(1)), "nothing booted"


# --- verify speaks in the conditional and names the failed check --------------------------------------


@pytest.mark.parametrize("flaw", list(Flaw))
def test_verify_names_the_check_a_false_teaching_fails(flaw: Flaw, tmp_path: Path) -> None:
    good = bytearray(reference.build(9))
    spoil = {
        Flaw.SIZE: lambda data: data[:-1],
        Flaw.PARSER: lambda data: data[:8] + bytes([data[8] ^ 1]) + data[9:],
        Flaw.UNIQUE: lambda data: data[:50] + b"\0" + data[51:],
        Flaw.ZEROS: lambda data: data[:60] + b"\1" + data[61:],
        Flaw.CHECKSUM: lambda data: data[:-1] + bytes([data[-1] ^ 1]),
    }
    path = tmp_path / SCRIPTURE_FILE
    path.write_bytes(bytes(spoil[flaw](bytes(good))))
    assert reference.judgement(path.read_bytes()) == (Verdict.FALSE, flaw)
    before = path.read_bytes()
    done = tool("verify", str(path))
    assert done.returncode == Verdict.FALSE
    assert f"false teaching (invalid {flaw.value})" in done.stdout
    assert "would" in done.stdout and "Nothing was changed." in done.stdout
    assert path.read_bytes() == before


def test_verify_of_a_true_scripture_says_what_would_happen_not_that_it_did(tmp_path: Path) -> None:
    path = tmp_path / SCRIPTURE_FILE
    path.write_bytes(reference.build(0x42))
    done = tool("verify", str(path))
    assert done.returncode == 0
    assert "would zero the file, then delete it" in done.stdout and "unique byte 0x42" in done.stdout
    assert "zeroed, then deleted" not in done.stdout and path.read_bytes() == reference.build(0x42)


def test_verify_on_a_disk_image_points_at_inspect(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 1)
    done = tool("verify", str(image))
    assert done.returncode == Verdict.FOREIGN
    assert f"almostism-dos inspect {image}" in done.stdout


# --- run says what happened and what to do next --------------------------------------------------------


def _report(vanished: bool | None, errorlevel: int | None = 0, os_name: str = "embedded") -> RunReport:
    return RunReport("dosbox", os_name, errorlevel, vanished, 0.5, "", True)


def test_the_verdict_line_names_each_emulator_once_and_never_claims_a_vanishing_it_did_not_see() -> None:
    assert _summary("DOSBox", _report(True, os_name="DOSBox"), False).startswith("DOSBox: errorlevel 0,")
    assert _summary("QEMU", _report(True), False).startswith("QEMU (embedded): errorlevel 0, scripture gone")
    never = _summary("QEMU", _report(None, errorlevel=1), False)
    assert "no scripture on the image" in never and "gone" not in never
    assert "no result line" in _summary("QEMU", _report(True, errorlevel=None), False)
    assert _report(None).as_json()["vanished"] is None and _report(None).as_json()["ok"] is False


@pytest.mark.vm
def test_run_on_an_image_without_a_scripture_says_so_and_points_at_build(
    qemu: EmulatorUnderTest, tmp_path: Path
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    assert tool("run", "--quiet", str(image)).returncode == 0  # the scripture is consumed
    again = tool("run", str(image))
    assert again.returncode == ExitCode.LITURGY_FAILED
    assert "no scripture on the image" in again.stdout and "scripture gone" not in again.stdout
    assert "almostism-dos build" in again.stderr and again.stderr.count("\n") == 1
    report = json.loads(tool("run", "--json", str(image)).stdout)
    assert (report["had_scripture"], report["vanished"], report["ok"]) == (False, None, False)
    assert "build" in report["reason"]


# --- the terminal ------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(self.written)


def test_the_status_shows_from_the_start_with_what_the_emulator_is_doing() -> None:
    out = Recorder()
    view = LiveView(out, "v86 in Chromium", True, lambda: "starting Chromium").start()  # type: ignore[arg-type]
    assert out.text().startswith("[v86 in Chromium: starting Chromium, 0.")
    view.abandon()
    assert out.text().endswith("\r\x1b[K"), "a stop's line would be glued onto the status"


def _pty_run(arguments: list[str], env: dict[str, str] | None = None) -> pexpect.spawn:
    return pexpect.spawn(CLI[0], [*CLI[1:], *arguments], encoding="utf-8", timeout=90, env=env)


@pytest.mark.vm
def test_term_dumb_gets_plain_lines_only(qemu: EmulatorUnderTest, tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 3)
    child = _pty_run(["run", str(image)], env={**os.environ, "TERM": "dumb"})
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "\x1b" not in child.before and "[QEMU: " not in child.before
    assert "ALMOSTISM RESULT errorlevel=0" in child.before


@pytest.mark.vm
def test_ctrl_c_says_so_on_a_line_of_its_own(
    qemu: EmulatorUnderTest, tmp_path: Path, ctrl_c_reaches_children: None
) -> None:
    # A boot sector that halts: the boot is still under way, its status drawn, when Ctrl-C comes.
    image = liturgy_image(tmp_path / "a.img", fake_freedos_image(tmp_path / "fd.img"), reference.build(1))
    child = _pty_run(["run", str(image)])
    child.expect_exact("[QEMU: ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    before, stopped, _ = child.before.partition("almostism-dos: stopped by SIGINT")
    assert stopped, child.before
    assert before.endswith(("\n", "\r\x1b[K")), repr(before[-80:])
    assert child.exitstatus == ExitCode.STOPPED_BY_SIGINT


@pytest.mark.long
@pytest.mark.browser
def test_the_browser_shows_every_line_on_a_terminal(browser: EmulatorUnderTest, tmp_path: Path) -> None:
    """Its screen comes as video memory, and SeaBIOS clears the VGA BIOS banner's rows and writes over
    them: every line still reaches the terminal, and a status shows what is under way before v86 runs."""
    image = tmp_path / "a.img"
    self_booting(image, 0x3C)
    child = _pty_run(["run", "--emulator", "browser", str(image)])
    child.expect(pexpect.EOF)
    child.close()
    seen = child.before
    assert child.exitstatus == 0, seen
    assert "[v86 in Chromium: starting Chromium, " in seen or "[v86 in Chromium: getting v86, " in seen
    shown = [line.rsplit("\x1b[K", 1)[-1] for line in seen.splitlines()]
    for line in ("Booting from Floppy...", "Instance byte: 0x3C", "ALMOSTISM RESULT errorlevel=0"):
        assert line in shown, (line, seen)
    assert any(line.startswith("SeaBIOS") for line in shown) and any("VGABios" in line for line in shown)


# --- web -o names the server it needs ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_web_output_names_a_server_command_that_serves_the_page(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 1)
    done = tool("web", str(image), "-o", str(tmp_path / "my site"))
    if done.returncode == ExitCode.UNAVAILABLE:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    command = shlex.split(done.stdout.split("): ", 1)[1].strip())
    assert command[:3] == ["python3", "-m", "http.server"]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-u", *command[1:-1], str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and "Serving HTTP" in server.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            page = answer.read()
        assert b"libv86.js" in page and (tmp_path / "my site" / "floppy.img").is_file()
    finally:
        server.terminate()
        server.wait()
