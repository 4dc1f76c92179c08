"""Helpers for the tests: fabricated floppies (a FreeDOS-shaped one that contains no FreeDOS, the
self-booting one with any scripture), bad inputs, oracles (fsck.fat, mtools), and before/after checks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from almostism_dos import floppy, freedos, reference
from almostism_dos.fat12 import (
    ATTR_ARCHIVE,
    ATTR_HIDDEN,
    ATTR_READ_ONLY,
    ATTR_SYSTEM,
    Fat12Image,
)
from almostism_dos.floppy import Contents
from almostism_dos.formats import BOOT_SIGNATURE, BPB_OFFSETS, BPB_SIZES, FORMATS, SECTOR, SIGNATURE_OFFSET
from almostism_dos.image import ImageFile, build_image
from almostism_dos.scripture import SCRIPTURE_FILE, Verdict
from vm.disk_changes import unexpected_changes

# EB 3C 90 (jump over the BPB) ... at 62: cli; hlt; jmp $-1 ... the name a FreeDOS boot sector loads.
FAKE_BOOT = bytearray(512)
FAKE_BOOT[0:3] = b"\xeb\x3c\x90"
FAKE_BOOT[62:66] = b"\xfa\xf4\xeb\xfd"
FAKE_BOOT[100:132] = b"test boot sector for KERNEL  SYS"
FAKE_BOOT[SIGNATURE_OFFSET:SECTOR] = BOOT_SIGNATURE
FAKE_KERNEL = b"fabricated kernel " * 2000
FAKE_SHELL = b"fabricated shell " * 3000
KERNEL_ATTRIBUTES = ATTR_SYSTEM | ATTR_HIDDEN | ATTR_READ_ONLY | ATTR_ARCHIVE


def set_bpb(image: bytearray, **fields: int) -> None:
    """Write BPB fields into a boot sector by name (``formats.BPB_OFFSETS``), each in its own width."""
    for name, value in fields.items():
        offset, size = BPB_OFFSETS[name], BPB_SIZES[name]
        image[offset : offset + size] = value.to_bytes(size, "little")


def bpb_field(image: bytes | bytearray, name: str) -> int:
    """A BPB field of a boot sector, by name."""
    offset = BPB_OFFSETS[name]
    return int.from_bytes(image[offset : offset + BPB_SIZES[name]], "little")


def fake_freedos_image(path: Path, kilobytes: int = 1440, shell_in_subdirectory: bool = False) -> Path:
    """Write a FreeDOS-shaped boot floppy (kernel hidden/system/read-only) to ``path``."""
    files = [ImageFile("KERNEL.SYS", FAKE_KERNEL, KERNEL_ATTRIBUTES), ImageFile("README.TXT", b"not FreeDOS")]
    if not shell_in_subdirectory:
        files.append(ImageFile("COMMAND.COM", FAKE_SHELL))
    path.write_bytes(build_image(FORMATS[kilobytes], bytes(FAKE_BOOT), files, 0))
    if shell_in_subdirectory:
        shell = path.with_name("COMMAND.COM")
        shell.write_bytes(FAKE_SHELL)
        for command in (
            ["mmd", "::FREEDOS"],
            ["mmd", "::FREEDOS/BIN"],
            ["mcopy", str(shell), "::FREEDOS/BIN/"],
        ):
            done = mtools(command[0], "-i", str(path), *command[1:])
            assert done.returncode == 0, done.stderr
        shell.unlink()
    return path


def mtools(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run an mtools command strictly (no MTOOLS_SKIP_CHECK)."""
    environment = {"MTOOLS_SKIP_CHECK": "0", "MTOOLSRC": "/dev/null", "PATH": "/usr/bin:/bin"}
    return subprocess.run(list(arguments), capture_output=True, text=True, env=environment, check=False)


def fsck(image: Path) -> subprocess.CompletedProcess[str]:
    """``fsck.fat -n``: check, change nothing."""
    return subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, text=True, check=False)


def embedded_image(
    scripture_data: bytes, kilobytes: int = 1440, extra: list[ImageFile] | None = None
) -> bytes:
    """A self-booting floppy as ``build --boot embedded`` makes it, ``scripture_data`` as SCRIPTUR.ALM."""
    return floppy.embedded_floppy(FORMATS[kilobytes], Contents(scripture_data, 0, extra=extra or []))


def self_booting(path: Path, unique: int, kilobytes: int = 1440) -> Path:
    """Write at ``path`` a self-booting floppy whose scripture is valid, for reader ``unique``; the path."""
    path.write_bytes(embedded_image(reference.build(unique), kilobytes))
    return path


BUSY_LINE = "STILL BOOTING"  # what a busy floppy's ALMOST.COM prints before it loops for ever


def busy_floppy(path: Path, scripture: bytes) -> Path:
    """Write at ``path`` a self-booting floppy whose ALMOST.COM prints :data:`BUSY_LINE`, then loops for
    ever: a boot still running when it is killed. The path."""
    busy = bytes.fromhex("b409 ba0901 cd21 ebfe") + BUSY_LINE.encode() + b"\r\n$"
    files = [ImageFile("ALMOST.COM", busy), ImageFile(SCRIPTURE_FILE, scripture)]
    path.write_bytes(floppy.embedded_image(FORMATS[1440], files, 0))
    return path


def killed_while_busy(command: list[str], environment: dict[str, str]) -> None:
    """Start ``command`` (a run of a :func:`busy_floppy`) and SIGKILL it once the floppy is busy."""
    killed = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    assert killed.stdout is not None
    for line in killed.stdout:
        if line.startswith(BUSY_LINE):
            break
    killed.kill()
    killed.wait()


def liturgy_image(
    path: Path,
    source: Path,
    scripture_data: bytes,
    extra: list[ImageFile] | None = None,
    kilobytes: int = 1440,
) -> Path:
    """A FreeDOS floppy as ``build`` makes it from ``source``, with ``scripture_data`` as SCRIPTUR.ALM."""
    system = freedos.load(source)
    path.write_bytes(
        floppy.freedos_floppy(FORMATS[kilobytes], system, Contents(scripture_data, 0, extra=extra or []))
    )
    return path


def only_the_scripture_changed(before: bytes, after: bytes) -> None:
    """After the liturgy: the entry deleted, its clusters zeroed and freed in every FAT; nothing else."""
    assert unexpected_changes(before, after, SCRIPTURE_FILE, Verdict.COMPLETE) == []
    assert Fat12Image.parse(after).fats_equal()


def first_sector_of(image: bytes, name: str) -> int:
    """The sector where ``name``'s data begins."""
    parsed = Fat12Image.parse(image)
    entry = parsed.find(name)
    assert entry is not None
    return parsed.layout.cluster_offset(entry.first_cluster) // SECTOR


# --- inputs that are not what they should be ---------------------------------------------------------


def text_file(path: Path) -> Path:
    path.write_bytes(b"just text\n" * 100)
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def truncated_image(path: Path) -> Path:
    path.write_bytes(fake_freedos_image(path).read_bytes()[:100_000])
    return path


def fat16_image(path: Path) -> Path:
    """A FAT16 volume no larger than a 2.88 MB floppy (one sector a cluster: 5,000 clusters)."""
    path.write_bytes(bytes(2560 * 1024))
    subprocess.run(["mkfs.fat", "-F", "16", "-s", "1", str(path)], check=True, capture_output=True)
    return path


def partitioned_image(path: Path) -> Path:
    data = bytearray(1024 * 1024)
    data[0x1BE : 0x1BE + 16] = bytes([0x80, 1, 1, 0, 0x06, 15, 63, 20]) + (63).to_bytes(4, "little") * 2
    data[SIGNATURE_OFFSET:SECTOR] = BOOT_SIGNATURE
    path.write_bytes(data)
    return path


def second_partition_active(disk: bytes) -> bytes:
    """``disk`` (a built disk image, its one partition first in the table) with that partition moved to
    the table's second entry and made the active one, and a first entry, inactive, for the sectors in
    front of it: the image boots the second, DOSBox would mount the first."""
    from almostism_dos.partition import PARTITION_ENTRY, PARTITION_TABLE, Partition, entry, partitions

    (real,) = partitions(disk)
    data = bytearray(disk)
    first = Partition(0, False, 0x01, 1, real.first - 1)
    second = Partition(1, True, real.type, real.first, real.sectors)
    for index, item in ((0, first), (1, second)):
        at = PARTITION_TABLE + index * PARTITION_ENTRY
        data[at : at + PARTITION_ENTRY] = entry(item)
    return bytes(data)


def with_hidden_sectors(disk: bytes, hidden: int) -> bytes:
    """``disk`` (a built disk image) with its partition's BPB counting ``hidden`` sectors before it, where
    the table says the partition starts elsewhere."""
    from almostism_dos.formats import BPB_OFFSETS
    from almostism_dos.partition import boot_partition

    data = bytearray(disk)
    at = boot_partition(disk).offset + BPB_OFFSETS["hidden_sectors"]
    data[at : at + 4] = hidden.to_bytes(4, "little")
    return bytes(data)
