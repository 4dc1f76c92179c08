"""The Almostism hard-disk image, for a USB stick, a CF card or a hard disk: our master boot record
(``asm/mbr.asm``), then one active FAT12 partition whose volume is built exactly as a floppy's is, with
either boot system. The partition's BPB names the hard disk's geometry, its hidden sectors (where the
partition starts) and drive 80h; FreeDOS boots it as C:, and its ``FDCONFIG.SYS`` and ``AUTOEXEC.BAT``
name no drive, so the same files serve both media.
"""

from __future__ import annotations

from collections.abc import Callable

from . import programs
from .floppy import Contents, embedded_floppy, freedos_floppy
from .formats import SECTOR, VolumeFormat, fat12_volume
from .freedos import FreeDos
from .partition import (
    DISK_HEADS,
    DISK_MEDIA,
    DISK_ROOT_ENTRIES,
    DISK_SECTORS_PER_TRACK,
    DiskLayout,
    master_boot_record,
)


def partition_volume(layout: DiskLayout) -> VolumeFormat:
    """The FAT12 volume that fills ``layout``'s partition."""
    partition = layout.partition
    return fat12_volume(
        partition.sectors, DISK_HEADS, DISK_SECTORS_PER_TRACK, partition.first, DISK_MEDIA, DISK_ROOT_ENTRIES
    )


def disk_image(layout: DiskLayout, volume: bytes) -> bytes:
    """The MBR, the rest of the first track (empty, as FDISK leaves it), then the partition's volume."""
    partition = layout.partition
    if len(volume) != partition.size:
        raise ValueError(f"the volume is {len(volume)} bytes; the partition holds {partition.size}")
    record = master_boot_record(programs.code("mbr"), [partition])
    return record + bytes((partition.first - 1) * SECTOR) + volume


def _disk(megabytes: int, volume: Callable[[VolumeFormat], bytes]) -> bytes:
    """A disk of about ``megabytes`` MB whose partition holds the volume ``volume`` builds for its format."""
    layout = DiskLayout.for_megabytes(megabytes)
    return disk_image(layout, volume(partition_volume(layout)))


def embedded_disk(megabytes: int, contents: Contents) -> bytes:
    """A self-booting disk of about ``megabytes`` MB: the host in the partition's reserved sectors."""
    return _disk(megabytes, lambda volume: embedded_floppy(volume, contents))


def freedos_disk(megabytes: int, freedos: FreeDos, contents: Contents) -> bytes:
    """A FreeDOS disk of about ``megabytes`` MB: FreeDOS's boot sector on the partition, booting C:."""
    return _disk(megabytes, lambda volume: freedos_floppy(volume, freedos, contents))
