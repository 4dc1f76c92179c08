"""Crash consistency: a power cut after any INT 21h call of a valid liturgy, then a second run.

Whatever the cut, the second run must finish the liturgy: the scripture gone, and no other byte of the
disk changed. On the DOS-level disk of vm/dos.py, and on the real FAT12 image through the self-booting
floppy's host (vm/pc.py), where "no other byte" includes both FATs.
"""

from __future__ import annotations

import functools

import pytest

from almostism_dos import programs, reference, scripture
from almostism_dos.result_line import result_in
from almostism_dos.scripture import SCRIPTURE_FILE
from tests.images import embedded_image, only_the_scripture_changed
from vm.dos import Disk, run_com
from vm.machine import Stop
from vm.pc import boot


def dos_disk() -> Disk:
    disk = Disk()
    disk.add(SCRIPTURE_FILE, reference.build(0x66))
    disk.add("OTHER.TXT", b"a bystander")
    return disk


# How many INT 21h calls a whole liturgy makes; the tests below check the counts still hold, so a change
# to ALMOST.COM or the host that adds a call fails here instead of leaving a cut point untested.
DOS_CALLS = 12
HOST_CALLS = 12


def full_run() -> list[int]:
    return run_com(programs.almost_bytes(), dos_disk()).int21_calls


def test_the_uncut_run_makes_the_calls_the_cuts_assume() -> None:
    assert len(full_run()) == DOS_CALLS


@pytest.mark.parametrize("cut", range(1, DOS_CALLS))
def test_every_cut_on_the_dos_disk_is_finished_by_a_rerun(cut: int) -> None:
    disk = dos_disk()
    first = run_com(programs.almost_bytes(), disk, cut_after=cut)
    assert first.stop == Stop.CUT and len(first.int21_calls) == cut
    second = run_com(programs.almost_bytes(), disk)
    assert second.stop == Stop.EXIT and second.exit_code in (0, 1, 6), second.output
    assert disk.contents() == {"OTHER.TXT": b"a bystander"}


def test_the_cut_between_zeroing_and_deleting_leaves_a_husk_that_the_rerun_deletes() -> None:
    disk = dos_disk()
    run_com(programs.almost_bytes(), disk, cut_after=full_run().index(0x40) + 1)
    assert bytes(disk.files[SCRIPTURE_FILE].data) == bytes(1023)
    assert run_com(programs.almost_bytes(), disk).exit_code == scripture.Verdict.HUSK


@functools.cache
def pristine() -> bytes:
    return embedded_image(reference.build(0x67))


def test_the_uncut_boot_is_the_reference() -> None:
    full = boot(pristine())[0]
    assert full.stop == Stop.POWEROFF and result_in(full.output) == 0 and full.int21_calls == HOST_CALLS


@pytest.mark.parametrize("cut", range(1, HOST_CALLS))
def test_every_cut_on_the_fat_image_is_finished_by_a_reboot(cut: int) -> None:
    first, floppy = boot(pristine(), cut_after=cut)
    assert first.stop == Stop.CUT
    second, floppy = boot(bytes(floppy.image))
    assert second.stop == Stop.POWEROFF and result_in(second.output) in (0, 1, 6), second.output
    only_the_scripture_changed(pristine(), bytes(floppy.image))
