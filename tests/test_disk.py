"""Hard-disk images (``build --media disk``): the partition table as FDISK lays it out, the volume as
fsck and mtools see it, our MBR booted in the Unicorn PC (with and without EDD), what it says when the
table or the disk is wrong, and inspect. Booting them in every emulator is in test_vm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from almostism_dos import disk, programs, reference, scripture
from almostism_dos.cli import ExitCode, main
from almostism_dos.fat12 import Fat12Image
from almostism_dos.floppy import Contents
from almostism_dos.formats import FORMATS, SECTOR, BootParameters
from almostism_dos.partition import (
    ACTIVE,
    CYLINDER,
    DISK_SECTORS_PER_TRACK,
    FAT12_TYPE,
    PARTITION_ENTRY,
    PARTITION_TABLE,
    DiskLayout,
    boot_partition,
    has_partition_table,
    volume,
)
from almostism_dos.result_line import result_in
from almostism_dos.scripture import SCRIPTURE_FILE, Verdict
from tests.images import embedded_image, fsck, mtools
from vm.disk_changes import unexpected_changes
from vm.pc import HardDisk, Stop, boot


def embedded_disk(megabytes: int = 8, unique: int = 0x61) -> bytes:
    return disk.embedded_disk(megabytes, Contents(reference.build(unique), 0))


@pytest.mark.parametrize("megabytes", [1, 8, 15])
def test_one_active_fat12_partition_from_the_second_track_to_a_cylinder_end(
    megabytes: int, tmp_path: Path
) -> None:
    image = embedded_disk(megabytes)
    assert has_partition_table(image) and image[:PARTITION_TABLE].startswith(programs.code("mbr"))
    partition = boot_partition(image)
    assert (partition.active, partition.type, partition.first) == (True, FAT12_TYPE, DISK_SECTORS_PER_TRACK)
    assert (partition.first + partition.sectors) % CYLINDER == 0 and len(image) == DiskLayout.for_megabytes(
        megabytes
    ).total_sectors * SECTOR
    raw = image[PARTITION_TABLE : PARTITION_TABLE + PARTITION_ENTRY]
    last = partition.first + partition.sectors - 1
    assert raw[0] == ACTIVE and raw[1:4] == bytes([1, 1, 0])  # head 1, sector 1, cylinder 0
    cylinder = last // CYLINDER
    assert raw[5:8] == bytes([15, 63 | (cylinder >> 2 & 0xC0), cylinder & 0xFF])  # the last head and sector
    bpb = BootParameters.unpack(image[partition.offset : partition.offset + SECTOR])
    assert (bpb.hidden_sectors, bpb.heads, bpb.sectors_per_track, bpb.drive_number, bpb.media) == (
        partition.first, 16, 63, 0x80, 0xF8,
    )  # fmt: skip
    assert bpb.total_sectors == partition.sectors
    part = tmp_path / "partition.img"
    part.write_bytes(volume(image)[1])
    checked = fsck(part)
    assert checked.returncode == 0, checked.stdout
    whole = tmp_path / "disk.img"
    whole.write_bytes(image)
    listed = mtools("mdir", "-b", "-i", f"{whole}@@{partition.offset}", "::")
    assert listed.returncode == 0 and "SCRIPTUR.ALM" in listed.stdout, listed.stderr


@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_no_floppy_passes_for_a_partitioned_disk(kilobytes: int) -> None:
    assert not has_partition_table(embedded_image(reference.build(1), kilobytes))


@pytest.mark.parametrize("edd", [True, False])
@pytest.mark.parametrize("megabytes", [1, 8, 15])
def test_the_mbr_boots_the_partition_and_the_liturgy_completes(megabytes: int, edd: bool) -> None:
    before = embedded_disk(megabytes, 0x62)
    result, drive = boot(before, hard_disk=HardDisk(edd=edd))
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 0, result.output
    assert "Instance byte: 0x62" in result.output
    after = bytes(drive.image)
    assert after[: DISK_SECTORS_PER_TRACK * SECTOR] == before[: DISK_SECTORS_PER_TRACK * SECTOR]
    changes = unexpected_changes(volume(before)[1], volume(after)[1], SCRIPTURE_FILE, Verdict.COMPLETE)
    assert changes == []
    assert (drive.packet_calls > 0) is edd and (drive.chs_calls > 0) is not edd


def _entry_status(image: bytes, index: int, status: int) -> bytes:
    changed = bytearray(image)
    changed[PARTITION_TABLE + PARTITION_ENTRY * index] = status
    return bytes(changed)


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (lambda image: _entry_status(image, 0, 0), "No active partition"),
        (lambda image: _entry_status(image, 0, 0x81), "The partition table is broken"),
        (
            lambda image: (
                image[: PARTITION_TABLE + PARTITION_ENTRY]
                + image[PARTITION_TABLE : PARTITION_TABLE + PARTITION_ENTRY]
                + image[PARTITION_TABLE + 2 * PARTITION_ENTRY :]
            ),
            "The partition table is broken",
        ),
        (
            lambda image: image[: 63 * SECTOR + 510] + b"\0\0" + image[64 * SECTOR :],
            "No boot sector on the active partition",
        ),
    ],
    ids=["none active", "bad status", "two active", "no signature"],
)
def test_the_mbr_says_what_is_wrong_and_halts(spoil: object, said: str) -> None:
    image = spoil(embedded_disk())  # type: ignore[operator]
    result, _ = boot(image, hard_disk=HardDisk())
    # (the backspace after the line is what makes SeaBIOS mirror it to a raw serial console)
    assert (result.stop, result.output) == (Stop.HALT, said + "\r\n\b")


def test_a_boot_sector_that_cannot_be_read_is_said() -> None:
    result, drive = boot(embedded_disk(), hard_disk=HardDisk(), failing_reads={63: 99})
    assert (result.stop, result.output) == (Stop.HALT, "Disk error reading the active partition\r\n\b")
    assert drive.failed_reads == [63, 63, 63]  # three tries, as DOS's MBR makes


def test_inspect_shows_the_table_then_the_partition(tmp_path: Path) -> None:
    image = tmp_path / "stick.img"
    assert main(["build", "-o", str(image), "--media", "disk", "--size", "4", "--boot", "embedded",
                 "--unique-byte", "0x63"]) == 0  # fmt: skip
    shown = subprocess.run(
        [sys.executable, "-m", "almostism_dos", "inspect", str(image)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    assert "hard disk, FAT12 partition 1, boot: embedded" in shown[0]
    assert shown[1].startswith("  partition 1: active, type 01h, sectors 63..")
    assert "  scripture: present and valid, unique byte 0x63" in shown
    assert main(["inspect", str(image), "--json"]) == 0


def test_a_disk_image_boots_as_a_disk_not_from_drive_a(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "stick.img"
    assert main(["build", "-o", str(image), "--media", "disk", "--boot", "embedded"]) == 0
    before = image.read_bytes()
    capsys.readouterr()
    assert main(["run", str(image), "--as", "floppy"]) == ExitCode.USAGE
    assert "boots as a disk" in capsys.readouterr().err and image.read_bytes() == before


def test_the_scripture_on_a_disk_is_the_one_built() -> None:
    partition, holding = volume(embedded_disk(unique=0x64))
    assert partition is not None
    parsed = Fat12Image.parse(holding)
    entry = parsed.find(SCRIPTURE_FILE)
    assert entry is not None and parsed.read(entry) == reference.build(0x64)
    assert parsed.read(entry)[:8] == scripture.CREED
