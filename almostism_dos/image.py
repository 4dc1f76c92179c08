"""Write a FAT12 floppy image: our boot sector and BPB, files written by pyfatfs, reproducible bytes.

pyfatfs stamps files with the current time; afterwards every root entry gets the build's fixed time
(``SOURCE_DATE_EPOCH`` when set) and its attributes, and the volume label is added, so the same inputs
always give the same image.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from pyfatfs.EightDotThree import EightDotThree
from pyfatfs.FATDirectoryEntry import FATDirectoryEntry
from pyfatfs.PyFat import PyFat

from .fat12 import (
    ATTR_ARCHIVE,
    ATTR_VOLUME,
    DIR_ATTRIBUTES,
    DIR_CREATED,
    DIR_DATE,
    DIR_NAME_SIZE,
    DIR_TIME,
    Fat12Image,
)
from .formats import DIRECTORY_ENTRY, BootParameters, VolumeFormat, blank_filesystem, boot_sector, ceil_div
from .outputs import OutputError
from .scratch import private_directory

VOLUME_LABEL = "ALMOSTISM"
DEFAULT_EPOCH = 946684800  # 2000-01-01 00:00:00 UTC, when SOURCE_DATE_EPOCH is not set


class BuildError(Exception):
    """The files do not fit or cannot be written onto the image."""


@dataclass(frozen=True)
class ImageFile:
    """A file for the root directory."""

    name: str  # an upper-case 8.3 name
    data: bytes
    attributes: int = ATTR_ARCHIVE


def build_epoch() -> int:
    """The build's timestamp: ``SOURCE_DATE_EPOCH`` if set, else a fixed date."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        return int(value) if value else DEFAULT_EPOCH
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH is not a whole number: {value!r}") from None


def dos_timestamp(epoch: int) -> tuple[int, int]:
    """(time, date) in DOS directory format for a Unix time, clamped to 1980..2107."""
    moment = time.gmtime(min(max(epoch, 315532800), 4354819199))
    dos_time = moment.tm_hour << 11 | moment.tm_min << 5 | moment.tm_sec // 2
    dos_date = (moment.tm_year - 1980) << 9 | moment.tm_mon << 5 | moment.tm_mday
    return dos_time, dos_date


def volume_serial(floppy: VolumeFormat, boot_code: bytes, files: list[ImageFile]) -> int:
    """A volume serial derived from the inputs, so rebuilding gives the same bytes."""
    digest = hashlib.sha256(floppy.kilobytes.to_bytes(4, "little") + boot_code)
    for item in files:
        digest.update(item.name.encode() + b"\0" + item.data)
    return int.from_bytes(digest.digest()[:4], "little")


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    """A private temporary directory, or :class:`OutputError` saying why there is none."""
    try:
        directory = private_directory("build")
    except OSError as error:
        raise OutputError(f"cannot make a temporary directory: {error.strerror or error}") from None
    with directory as scratch:
        yield scratch


def _write_files(raw: bytearray, files: list[ImageFile]) -> bytes:
    """Let pyfatfs allocate clusters, write the data and the root directory entries.

    pyfatfs's core (PyFat) is used directly: its PyFatFS front end pulls in pyfilesystem2, whose
    import alone costs more than the whole build.
    """
    with _scratch() as scratch:
        path = Path(scratch) / "image.img"
        try:
            path.write_bytes(raw)
        except OSError as error:  # (a full temporary directory)
            raise OutputError(f"cannot build the image in {scratch}: {error.strerror or error}") from None
        filesystem = PyFat()
        filesystem.open(str(path))
        try:
            root = filesystem.root_dir
            for item in files:
                name = EightDotThree(encoding=filesystem.encoding)
                name.set_str_name(item.name)
                entry = FATDirectoryEntry.new(name=name, tz=timezone.utc, encoding=filesystem.encoding)
                if item.data:
                    first = filesystem.allocate_bytes(len(item.data))[0]
                    filesystem.write_data_to_cluster(item.data, first)
                    entry.set_cluster(first)
                    entry.filesize = len(item.data)
                root.add_subdirectory(entry)
            filesystem.update_directory_entry(root)
            filesystem.flush_fat()
        except Exception as error:  # pyfatfs raises PyFATException and plain errors alike
            raise BuildError(f"cannot write {item.name} onto the image: {error}") from None
        finally:
            filesystem.close()
        return path.read_bytes()


def _settle_root(image: bytearray, files: list[ImageFile], epoch: int) -> None:
    """Give every root entry its attributes and the fixed time, and add the volume label."""
    parsed = Fat12Image.parse(bytes(image))
    attributes = {item.name: item.attributes for item in files}
    dos_time, dos_date = dos_timestamp(epoch)
    stamp = (
        bytes([0])
        + dos_time.to_bytes(2, "little")
        + dos_date.to_bytes(2, "little")
        + dos_date.to_bytes(2, "little")
    )
    entries = parsed.entries()
    for entry in entries:
        image[entry.offset + DIR_ATTRIBUTES] = attributes[entry.name]
        image[entry.offset + DIR_CREATED : entry.offset + DIR_CREATED + len(stamp)] = stamp  # and access date
        image[entry.offset + DIR_TIME : entry.offset + DIR_DATE + 2] = stamp[1:5]  # modification time, date
    label_at = parsed.layout.root_offset + DIRECTORY_ENTRY * len(entries)
    if len(entries) >= parsed.parameters.root_entries:
        raise BuildError("the root directory has no room for the volume label")
    label = bytearray(DIRECTORY_ENTRY)
    label[0:DIR_NAME_SIZE] = VOLUME_LABEL.encode("ascii").ljust(DIR_NAME_SIZE)
    label[DIR_ATTRIBUTES] = ATTR_VOLUME
    label[DIR_TIME : DIR_DATE + 2] = stamp[1:5]
    image[label_at : label_at + DIRECTORY_ENTRY] = label


def _check_capacity(floppy: VolumeFormat, files: list[ImageFile]) -> None:
    layout = floppy.layout
    cluster = layout.cluster_size
    needed = sum(ceil_div(len(item.data), cluster) for item in files)
    if needed > layout.cluster_count:
        names = ", ".join(item.name for item in files)
        missing, room = (needed - layout.cluster_count) * cluster, layout.cluster_count * cluster
        what = "partition" if floppy.hidden_sectors else "floppy"
        raise BuildError(
            f"{names} do not fit a {floppy.kilobytes} KB {what}: {missing} bytes missing "
            f"({needed * cluster} bytes in {cluster}-byte clusters; room for {room})"
        )
    if len(files) + 1 > floppy.root_entries:
        raise BuildError(f"{len(files)} files and a label do not fit {floppy.root_entries} root entries")


def _verify(image: bytes, files: list[ImageFile]) -> None:
    """Read every file back with our own reader: what pyfatfs wrote must be exactly what was asked."""
    parsed = Fat12Image.parse(image)
    for item in files:
        entry = parsed.find(item.name)
        if entry is None or parsed.read(entry) != item.data:
            raise BuildError(f"{item.name} did not land on the image intact")


def build_image(
    floppy: VolumeFormat, boot_code: bytes, files: list[ImageFile], epoch: int, reserved: bytes = b""
) -> bytes:
    """A floppy image: ``files`` in its root, booting ``boot_code``, ``reserved`` after the boot sector."""
    _check_capacity(floppy, files)
    serial = volume_serial(floppy, boot_code + reserved, files)
    sector = boot_sector(boot_code, BootParameters.for_format(floppy, serial, VOLUME_LABEL))
    written = bytearray(_write_files(blank_filesystem(floppy, sector, reserved), files))
    if written[:512] != sector:
        raise BuildError("pyfatfs changed the boot sector")
    _settle_root(written, files, epoch)
    _verify(bytes(written), files)
    return bytes(written)
