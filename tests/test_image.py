"""The floppy images: BPB per format, fsck.fat and mtools as oracles, reproducibility."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from almostism_dos import freedos, programs, reference
from almostism_dos.fat12 import DIR_DATE, DIR_TIME, Fat12Image, read_entry, write_entry
from almostism_dos.floppy import Contents, freedos_floppy
from almostism_dos.formats import DIRECTORY_ENTRY, FORMATS, BootParameters
from almostism_dos.image import build_image, dos_timestamp
from almostism_dos.programs import ALMOST, POWEROFF
from almostism_dos.result_line import RESULT_PREFIX
from almostism_dos.scripture import SCRIPTURE_FILE
from almostism_dos.startup import AUTOEXEC
from tests.images import FAKE_BOOT, FAKE_KERNEL, KERNEL_ATTRIBUTES, fake_freedos_image, fsck, mtools

EXPECTED_FILES = [
    "KERNEL.SYS",
    "COMMAND.COM",
    "FDCONFIG.SYS",
    "AUTOEXEC.BAT",
    ALMOST,
    SCRIPTURE_FILE,
    POWEROFF,
]
# What DOS FORMAT writes, per KB: sectors/cluster, root entries, total sectors, media,
# sectors/FAT, sectors/track, heads
DOS_FORMAT = {  # what DOS 2.x and later FORMAT write: an oracle written apart from formats.FORMATS
    160: (1, 64, 320, 0xFE, 1, 8, 1),
    180: (1, 64, 360, 0xFC, 2, 9, 1),
    320: (2, 112, 640, 0xFF, 1, 8, 2),
    360: (2, 112, 720, 0xFD, 2, 9, 2),
    720: (2, 112, 1440, 0xF9, 3, 9, 2),
    1200: (1, 224, 2400, 0xF9, 7, 15, 2),
    1440: (1, 224, 2880, 0xF0, 9, 18, 2),
    2880: (2, 240, 5760, 0xF0, 9, 36, 2),
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> freedos.FreeDos:
    return freedos.load(fake_freedos_image(tmp_path_factory.mktemp("fd") / "fd.img"))


@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_image_structure_for_every_size(kilobytes: int, source: freedos.FreeDos, tmp_path: Path) -> None:
    path = tmp_path / "a.img"
    path.write_bytes(freedos_floppy(FORMATS[kilobytes], source, Contents(reference.build(0x5A), 0)))
    assert path.stat().st_size == kilobytes * 1024

    bpb = BootParameters.unpack(path.read_bytes()[:512])
    spc, roots, total, media, spf, spt, heads = DOS_FORMAT[kilobytes]
    assert (bpb.bytes_per_sector, bpb.reserved_sectors, bpb.fat_count) == (512, 1, 2)
    assert (bpb.sectors_per_cluster, bpb.root_entries, bpb.total_sectors) == (spc, roots, total)
    assert (bpb.media, bpb.sectors_per_fat, bpb.sectors_per_track, bpb.heads) == (media, spf, spt, heads)
    assert bpb.label == "ALMOSTISM" and bpb.fs_type == "FAT12"

    checked = fsck(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "differ" not in checked.stdout.lower() and "lost" not in checked.stdout.lower()

    listing = mtools("mdir", "-a", "-i", str(path), "::")
    assert listing.returncode == 0 and listing.stderr == "", listing.stderr
    assert "Volume in drive : is ALMOSTISM" in listing.stdout
    names = [" ".join(line.split()[:2]) for line in listing.stdout.splitlines() if line[:1].isalpha()]
    assert [n for n in names if not n.startswith(("Volume", "Directory"))] == [
        " ".join(name.split(".")) for name in EXPECTED_FILES
    ]


def test_files_carry_what_they_should(source: freedos.FreeDos, tmp_path: Path) -> None:
    image = Fat12Image.parse(freedos_floppy(FORMATS[1440], source, Contents(reference.build(0x33), 0)))
    assert [entry.name for entry in image.entries()] == EXPECTED_FILES
    assert image.read(image.find(ALMOST)) == programs.almost_bytes()  # type: ignore[arg-type]
    assert image.read(image.find(SCRIPTURE_FILE)) == reference.build(0x33)  # type: ignore[arg-type]
    assert image.read(image.find("KERNEL.SYS")) == FAKE_KERNEL  # type: ignore[arg-type]
    kernel = image.find("KERNEL.SYS")
    assert kernel is not None and kernel.attributes == KERNEL_ATTRIBUTES
    autoexec = image.read(image.find("AUTOEXEC.BAT")).decode()  # type: ignore[arg-type]
    assert autoexec == AUTOEXEC and f"ECHO {RESULT_PREFIX}%ERRORLEVEL%" in autoexec
    assert image.data[62:510] == FAKE_BOOT[62:510] and image.data[:3] == FAKE_BOOT[:3]
    attributes = mtools("mattrib", "-i", str(_write(tmp_path, image.data)), "::KERNEL.SYS")
    assert attributes.stdout.split()[:2] == ["A", "SHR"]  # archive, system, hidden, read-only


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "w.img"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("boot", ["embedded", "freedos"])
def test_builds_in_two_processes_are_identical(boot: str, tmp_path: Path) -> None:
    source = fake_freedos_image(tmp_path / "fd.img")
    images = []
    for run in ("1", "2"):  # separate interpreters, hash seeds and caches: nothing shared but the inputs
        image = tmp_path / f"{run}.img"
        environment = {**os.environ, "PYTHONHASHSEED": run, "XDG_CACHE_HOME": str(tmp_path / f"cache{run}")}
        command = [sys.executable, "-m", "almostism_dos", "build", "-o", str(image), "--boot", boot,
                   "--freedos", str(source), "--unique-byte", "9", "--size", "720"]  # fmt: skip
        subprocess.run(command, env=environment, check=True, capture_output=True)
        images.append(image.read_bytes())
    assert images[0] == images[1]


def test_build_follows_its_inputs(source: freedos.FreeDos) -> None:
    first = freedos_floppy(FORMATS[720], source, Contents(reference.build(9), 1_700_000_000))
    assert first != freedos_floppy(FORMATS[720], source, Contents(reference.build(10), 1_700_000_000))
    assert first != freedos_floppy(FORMATS[720], source, Contents(reference.build(9), 1_600_000_000))


def test_timestamps_are_the_build_epoch(source: freedos.FreeDos) -> None:
    image = Fat12Image.parse(
        freedos_floppy(FORMATS[1440], source, Contents(reference.build(9), 1_700_000_000))
    )
    dos_time, dos_date = dos_timestamp(1_700_000_000)
    for entry in image.entries():
        raw = image.data[entry.offset : entry.offset + DIRECTORY_ENTRY]
        assert (
            int.from_bytes(raw[DIR_TIME : DIR_TIME + 2], "little") == dos_time
            and int.from_bytes(raw[DIR_DATE : DIR_DATE + 2], "little") == dos_date
        )


def test_volume_serial_follows_the_inputs(source: freedos.FreeDos) -> None:
    serial = [
        BootParameters.unpack(
            freedos_floppy(FORMATS[1440], source, Contents(reference.build(u), 0))[:512]
        ).serial
        for u in (1, 1, 2)
    ]
    assert serial[0] == serial[1] != serial[2]


def test_a_build_too_big_for_the_floppy_is_an_error() -> None:
    from almostism_dos.image import BuildError, ImageFile

    room = FORMATS[360].layout.cluster_count * FORMATS[360].layout.cluster_size
    with pytest.raises(
        BuildError, match=rf"BIG\.BIN do not fit a 360 KB floppy: {400 * 1024 - room} bytes missing"
    ):
        build_image(FORMATS[360], bytes(FAKE_BOOT), [ImageFile("BIG.BIN", bytes(400 * 1024))], 0)


def test_the_source_image_is_only_read(tmp_path: Path) -> None:
    path = fake_freedos_image(tmp_path / "fd.img")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    freedos_floppy(FORMATS[1440], freedos.load(path), Contents(reference.build(5), 0))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_fat12_entries_round_trip_and_leave_their_neighbours_alone() -> None:
    fat = bytearray(b"\xff" * 12)
    values = {cluster: (cluster * 0x2D3) & 0xFFF for cluster in range(2, 8)}
    for cluster, value in values.items():
        write_entry(fat, cluster, value)
    assert {cluster: read_entry(fat, cluster) for cluster in values} == values
    assert (read_entry(fat, 0), read_entry(fat, 1)) == (0xFFF, 0xFFF)  # even and odd neighbours kept


@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_the_layout_agrees_with_fsck(kilobytes: int, source: freedos.FreeDos, tmp_path: Path) -> None:
    path = _write(tmp_path, freedos_floppy(FORMATS[kilobytes], source, Contents(reference.build(1), 0)))
    layout = FORMATS[kilobytes].layout
    report = subprocess.run(["fsck.fat", "-n", "-v", str(path)], capture_output=True, text=True).stdout
    assert f"Data area starts at byte {layout.data_offset}" in report
    assert f"{layout.cluster_count} data clusters" in report
    assert f"Root directory starts at byte {layout.root_offset}" in report
    assert f"First FAT starts at byte {layout.fat_offset}" in report
