"""A full file system, and a path swapped under ``run --keep``: one line and 73, the old file kept, and
nothing copied but what was read and checked.

On a real full file system where one can be had (a 64 KB tmpfs: root, as CI runs), and everywhere with
the write failing as a full disk fails it (ENOSPC).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators.base import RunOptions
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.run import run_image
from tests.images import self_booting

OLD = b"the user's old image, precious\n" * 1000


@pytest.fixture
def full_directory(tmp_path: Path) -> Iterator[Path]:
    """A directory on a file system with no room for an image: a 64 KB tmpfs."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root (the ENOSPC tests below run everywhere)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"no tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    return error


@pytest.mark.parametrize("media", ["floppy", "disk"])
def test_build_onto_a_full_file_system_is_one_line_and_keeps_the_old_image(
    full_directory: Path, media: str, capsys: pytest.CaptureFixture[str]
) -> None:
    image = full_directory / "a.img"
    image.write_bytes(OLD[:16384])
    line = ["build", "-o", str(image), "--boot", "embedded", "--media", media, "--force"]
    assert main(line) == ExitCode.CANT_CREATE
    assert "No space left on device" in one_line(capsys)
    assert image.read_bytes() == OLD[:16384] and os.listdir(full_directory) == ["a.img"]  # no .part left


def test_build_with_a_full_temporary_directory_is_one_line(
    full_directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TMPDIR", str(full_directory))
    monkeypatch.setattr("tempfile.tempdir", None)  # (read TMPDIR again)
    assert main(["build", "-o", str(tmp_path / "a.img"), "--boot", "embedded"]) == ExitCode.CANT_CREATE
    assert "No space left on device" in one_line(capsys)
    assert not (tmp_path / "a.img").exists() and os.listdir(full_directory) == []


def test_run_keep_with_a_full_temporary_directory_is_one_line(
    full_directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 0x21)
    monkeypatch.setenv("TMPDIR", str(full_directory))
    monkeypatch.setattr("tempfile.tempdir", None)  # (read TMPDIR again)
    assert main(["run", "--keep", str(image)]) == ExitCode.CANT_CREATE
    assert "No space left on device" in one_line(capsys)
    assert os.listdir(full_directory) == []


def test_a_write_that_finds_the_disk_full_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(OLD)

    writing = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.parent != tmp_path:  # (the build's own scratch copy, elsewhere: written as usual)
            return writing(self, data)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    assert main(["build", "-o", str(image), "--boot", "embedded", "--force"]) == ExitCode.CANT_CREATE
    assert "No space left on device" in one_line(capsys)
    monkeypatch.undo()
    assert image.read_bytes() == OLD and sorted(os.listdir(tmp_path)) == ["a.img"]


@pytest.mark.vm
def test_run_keep_boots_the_bytes_it_read_not_what_the_path_names_later(
    qemu: EmulatorUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path swapped for a link to /dev/zero after it was read and checked: the copy is still the
    image that was checked, and the boot completes on it."""
    image = tmp_path / "a.img"
    self_booting(image, 0x22)
    checked = image.read_bytes()
    import almostism_dos.run as run_module

    reading = run_module._read

    def read_then_swap(path: Path) -> bytes:
        data = reading(path)
        image.unlink()
        image.symlink_to("/dev/zero")  # what an attacker's loop of renames puts there
        return data

    monkeypatch.setattr(run_module, "_read", read_then_swap)
    report = run_image(image, qemu.kind.configured(RunOptions()), keep=True)
    assert report.ok and report.had_scripture
    assert image.is_symlink() and checked  # the path was never opened again, so never copied from
