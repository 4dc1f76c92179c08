"""DOSBox mounts a disk image's first partition, whichever is active: an image that boots another is
refused in one line (64), never judged on the wrong partition; QEMU and inspect judge the active one."""

from __future__ import annotations

from pathlib import Path

import pytest

from almostism_dos import reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.disk import embedded_disk
from almostism_dos.emulators.base import RunOptions
from almostism_dos.emulators.dosbox import Dosbox, batch
from almostism_dos.floppy import Contents
from almostism_dos.inspection import Presence, inspect
from almostism_dos.pytest_plugin import EmulatorUnderTest
from tests.images import second_partition_active


@pytest.fixture
def second_active(tmp_path: Path) -> Path:
    image = tmp_path / "two.img"
    image.write_bytes(second_partition_active(embedded_disk(2, Contents(reference.build(0x31), 0, linger=0))))
    return image


def test_inspect_reads_the_active_partition(second_active: Path) -> None:
    report = inspect(second_active.read_bytes())
    assert report.scripture.state is Presence.VALID and [p.active for p in report.partitions] == [False, True]


def test_dosbox_refuses_an_image_that_boots_a_second_partition(second_active: Path) -> None:
    assert "partition 2" in (Dosbox().refuses(second_active.read_bytes()) or "")


@pytest.mark.vm
def test_run_on_dosbox_refuses_it_in_one_line(
    dosbox: EmulatorUnderTest, second_active: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = second_active.read_bytes()
    assert main(["run", "--emulator", "dosbox", str(second_active)]) == ExitCode.USAGE
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "first partition" in error
    assert second_active.read_bytes() == before  # nothing booted, nothing judged


@pytest.mark.vm
def test_qemu_boots_the_active_second_partition(qemu: EmulatorUnderTest, second_active: Path) -> None:
    report = qemu.run(second_active, RunOptions(boot_as="disk"))
    assert report.ok, report.console[-300:]


def test_without_almost_com_on_the_drive_dosbox_gives_no_verdict() -> None:
    """DOSBox leaves the errorlevel at 0 after "Illegal command": the batch checks first."""
    lines = batch("", "d").splitlines()
    assert lines[1] == "if not exist d:\\ALMOST.COM goto missing"
