"""The builder never loses what the user had: kill it anywhere, point it anywhere."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from almostism_dos.cli import ExitCode, main
from almostism_dos.fat12 import Fat12Image
from almostism_dos.inspection import Presence, inspect
from tests.images import fake_freedos_image

OLD = b"the user's old image, precious\n" * 1000


def build_command(output: Path) -> list[str]:
    return [sys.executable, "-m", "almostism_dos", "build", "-o", str(output), "--boot", "embedded",
            "--unique-byte", "7", "--force"]  # fmt: skip


@pytest.mark.long
def test_sigkill_at_any_moment_leaves_the_old_file_or_the_whole_new_one(tmp_path: Path) -> None:
    output = tmp_path / "a.img"
    started = time.monotonic()
    subprocess.run(build_command(output), check=True, capture_output=True)
    duration = time.monotonic() - started
    complete = output.read_bytes()
    outcomes = {"old": 0, "new": 0}
    for step in range(1, 31):  # kill points spread from just after the start to well past the usual end
        output.write_bytes(OLD)
        process = subprocess.Popen(
            build_command(output), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(duration * 1.5 * step / 30)  # (when the kill lands, not a wait for anything)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        data = output.read_bytes()
        assert data in (OLD, complete), f"a partial file after a kill at step {step}"
        outcomes["old" if data == OLD else "new"] += 1
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes  # the kills straddled the rename
    assert inspect(complete).scripture.state is Presence.VALID


def test_a_device_is_never_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "-o", "/dev/null", "--boot", "embedded", "--force"]) == ExitCode.CANT_CREATE
    assert "not a regular file" in capsys.readouterr().err


def test_a_symlink_is_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.img"
    target.write_bytes(OLD)
    (tmp_path / "a.img").symlink_to(target)
    assert (
        main(["build", "-o", str(tmp_path / "a.img"), "--boot", "embedded", "--force"])
        == ExitCode.CANT_CREATE
    )
    assert target.read_bytes() == OLD


def test_the_freedos_source_is_byte_identical_after_builds(tmp_path: Path) -> None:
    source = fake_freedos_image(tmp_path / "fd.img", 720)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    for size in ("360", "1440", "2880"):
        assert (
            main(["build", "-o", str(tmp_path / f"{size}.img"), "--freedos", str(source), "--size", size])
            == 0
        )
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert Fat12Image.parse(source.read_bytes()).find("KERNEL.SYS") is not None
