"""What a SIGKILL leaves in the temporary directory is swept by the next run: only our directories whose
process is gone, only this user's, never through a link."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from almostism_dos import reference
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.scratch import private_directory, sweep
from tests.images import busy_floppy, killed_while_busy


def gone_pid() -> int:
    """A process id no process has now."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(finished.stdout)


def test_only_our_stale_directories_go(tmp_path: Path) -> None:
    precious = tmp_path / "precious.img"
    precious.write_bytes(b"the user's image")
    stale = tmp_path / f"almostism-dosbox-{gone_pid()}-abc"
    stale.mkdir()
    (stale / "disk.img").symlink_to(precious)
    living = tmp_path / f"almostism-qemu-{os.getpid()}-abc"
    living.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    linked = tmp_path / f"almostism-keep-{gone_pid()}-abc"
    linked.symlink_to(elsewhere)
    other = tmp_path / f"almostism-bochs-{os.getppid()}-abc"  # (a living process: pytest's parent)
    other.mkdir()
    assert sweep(str(tmp_path)) == [str(stale)]
    assert precious.read_bytes() == b"the user's image" and (elsewhere / "keep.txt").exists()
    assert living.is_dir() and linked.is_symlink() and other.is_dir()


def test_a_private_directory_carries_its_process_id() -> None:
    with private_directory("keep") as made:
        assert Path(made).name.startswith(f"almostism-keep-{os.getpid()}-")


@pytest.mark.vm
def test_after_a_sigkill_the_next_run_sweeps_what_it_left(
    qemu: EmulatorUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = tmp_path / "t"
    scratch.mkdir()
    image = busy_floppy(tmp_path / "busy.img", reference.build(9))
    environment = {**os.environ, "TMPDIR": str(scratch)}
    killed_while_busy([sys.executable, "-m", "almostism_dos", "run", "--keep", str(image)], environment)
    left = sorted(path.name.split("-")[1] for path in scratch.iterdir())
    assert "keep" in left  # what the SIGKILL left: the copy, QEMU's socket
    # Its QEMU ends by itself: the terminal it ran in was its controlling terminal, hung up at the kill.
    deadline = time.monotonic() + 10
    while subprocess.run(["pgrep", "-f", str(scratch)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = subprocess.run(
        [sys.executable, "-m", "almostism_dos", "run", "--keep", "--timeout", "1", str(image)],
        capture_output=True, env=environment,
    )  # fmt: skip
    assert again.returncode != 0  # (the busy image never ends: what matters is what it swept)
    assert list(scratch.iterdir()) == []
