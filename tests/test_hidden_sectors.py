"""A disk image whose partition's BPB counts its hidden sectors from somewhere else than the partition
table says: the boot sector would read its host from the wrong place. inspect says so; every booting
emulator and the Unicorn PC stop at once with the boot sector's words ("No host"), never a time-out;
DOSBox, which would run ALMOST.COM without booting, refuses it (64)."""

from __future__ import annotations

from pathlib import Path

import pytest

from almostism_dos import reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.disk import embedded_disk
from almostism_dos.emulators.base import RunOptions
from almostism_dos.floppy import Contents
from almostism_dos.inspection import inspect
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import NO_HOST_LINE
from tests.images import with_hidden_sectors
from vm.pc import HardDisk, Stop, boot

HIDDEN = [1234567, 0]  # far beyond the disk; the MBR's own sectors


def disagreeing(hidden: int) -> bytes:
    return with_hidden_sectors(embedded_disk(2, Contents(reference.build(0x41), 0, linger=0)), hidden)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_inspect_says_the_boot_would_stop(hidden: int) -> None:
    problem = inspect(disagreeing(hidden)).boot_problem
    assert problem is not None and f"from sector {hidden} on" in problem and NO_HOST_LINE in problem


def test_inspect_finds_nothing_wrong_with_a_disk_as_built() -> None:
    assert inspect(embedded_disk(2, Contents(reference.build(0x41), 0))).boot_problem is None


@pytest.mark.parametrize("hidden", HIDDEN)
def test_the_unicorn_pc_stops_with_no_host(hidden: int) -> None:
    result, _ = boot(disagreeing(hidden), hard_disk=HardDisk())  # the MBR, then the partition's sector
    assert result.stop == Stop.HALT and NO_HOST_LINE in result.output


@pytest.mark.long
@pytest.mark.vm
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_booting_emulator_reports_no_host_at_once(
    booting: EmulatorUnderTest, tmp_path: Path, hidden: int
) -> None:
    booting.needs_medium("disk")
    image = tmp_path / "a.img"
    image.write_bytes(disagreeing(hidden))
    report = booting.run(image, RunOptions(boot_as="disk"), timeout=60)
    assert report.exited is False or report.errorlevel is None
    assert report.reason is not None and f"its screen says: {NO_HOST_LINE}" in report.reason, report.reason
    assert report.seconds < 30  # stopped at the words, not at the 60 s time-out


@pytest.mark.vm
def test_dosbox_refuses_what_no_pc_would_reach(
    dosbox: EmulatorUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(disagreeing(0))
    assert main(["run", "--emulator", "dosbox", "--keep", str(image)]) == ExitCode.USAGE
    assert "a PC would not reach the liturgy" in capsys.readouterr().err
