"""FAT12 for floppy images: a strict reader, and the few edits the tests and the fault matrix need.

:class:`Fat12Image` reads any FAT12 volume (not only the standard formats) from bytes in memory, so an
input image is never written. Every malformed image ends in one :class:`ImageError` naming the problem: a
bad BPB, a FAT16 volume, a truncated image, a cyclic or out-of-range cluster chain.
(pyfatfs follows chains without a cycle check and would loop forever on such an image.)

The 12-bit FAT entry is read and written here and nowhere else (:func:`read_entry`, :func:`write_entry`,
:func:`set_entry` for every FAT copy); the layout comes from :class:`~almostism_dos.formats.Layout`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats import (
    CLUSTER_SECTORS,
    DIRECTORY_ENTRY,
    FAT12_MAX_CLUSTERS,
    FIRST_CLUSTER,
    SECTOR,
    BootParameters,
    Layout,
    VolumeFormat,
    ceil_div,
    fat_bytes,
)

ATTR_READ_ONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04
ATTR_VOLUME = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20
ATTR_LFN = 0x0F
END_OF_CHAIN = 0xFFF  # what DOS writes at a chain's end; any entry from 0xFF8 up ends it
END_MARKERS_FROM = 0xFF8
FREE = 0x000
DELETED = 0xE5  # first name byte of a deleted directory entry
ATTR_NOT_A_FILE = ATTR_DIRECTORY | ATTR_VOLUME
ATTR_UNWRITABLE = ATTR_NOT_A_FILE | ATTR_READ_ONLY
# A 32-byte directory entry, field by field: where each lies (the host reads them through fat12.inc).
DIR_NAME_SIZE = 11  # 8 + 3 characters, blank-padded, at offset 0
DIR_ATTRIBUTES = 11  # a byte
DIR_CREATED = 13  # creation: tenths of a second, time, date; then the last access date
DIR_TIME = 22  # last write time (word)
DIR_DATE = 24  # last write date (word)
DIR_FIRST_CLUSTER = 26  # a word
DIR_SIZE = 28  # a double word


def directory_name(name: str) -> str:
    """A file name as a directory entry spells it: ``ALMOST.COM`` is ``ALMOST  COM``."""
    base, _, extension = name.upper().partition(".")
    return base.ljust(8) + extension.ljust(3)


def directory_entry(name: str, attributes: int, first_cluster: int = 0, size: int = 0) -> bytes:
    """A 32-byte directory entry (times and dates zero)."""
    entry = bytearray(DIRECTORY_ENTRY)
    entry[:DIR_NAME_SIZE] = directory_name(name).encode("cp437")
    entry[DIR_ATTRIBUTES] = attributes
    entry[DIR_FIRST_CLUSTER : DIR_FIRST_CLUSTER + 2] = first_cluster.to_bytes(2, "little")
    entry[DIR_SIZE : DIR_SIZE + 4] = size.to_bytes(4, "little")
    return bytes(entry)


def read_entry(fat: bytes | bytearray, cluster: int) -> int:
    """The 12-bit FAT entry of ``cluster``: two entries share three bytes, low nibble first."""
    offset = cluster * 3 // 2
    pair = fat[offset] | fat[offset + 1] << 8
    return pair >> 4 if cluster & 1 else pair & 0xFFF


def write_entry(fat: bytearray, cluster: int, value: int) -> None:
    """Set ``cluster``'s 12-bit entry in one FAT copy, leaving its neighbour's half-byte alone."""
    offset = cluster * 3 // 2
    pair = fat[offset] | fat[offset + 1] << 8
    keep, shifted = (0x000F, (value & 0xFFF) << 4) if cluster & 1 else (0xF000, value & 0xFFF)
    pair = (pair & keep) | shifted
    fat[offset : offset + 2] = pair.to_bytes(2, "little")


class ImageError(Exception):
    """The bytes are not a FAT12 volume (a floppy, or a disk's partition) this tool can read."""


@dataclass(frozen=True)
class DirEntry:
    """One root-directory entry."""

    name: str  # "KERNEL.SYS"
    attributes: int
    first_cluster: int
    size: int
    offset: int  # where the 32-byte entry lies in the image

    @property
    def is_directory(self) -> bool:
        return bool(self.attributes & ATTR_DIRECTORY)

    @property
    def attribute_letters(self) -> str:
        """As DOS ATTRIB shows them: R, H, S, A, D."""
        flags = ((ATTR_READ_ONLY, "R"), (ATTR_HIDDEN, "H"), (ATTR_SYSTEM, "S"), (ATTR_ARCHIVE, "A"))
        return "".join(letter for bit, letter in flags if self.attributes & bit) + (
            "D" if self.is_directory else ""
        )


@dataclass(frozen=True)
class Fat12Image:
    """A parsed FAT12 image."""

    data: bytes
    parameters: BootParameters

    @classmethod
    def parse(cls, data: bytes) -> Fat12Image:
        """Validate ``data`` as a FAT12 volume; raise :class:`ImageError` if it is not one."""
        if len(data) < SECTOR:
            raise ImageError(f"too small for a disk image ({len(data)} bytes)")
        bpb = BootParameters.unpack(data[:SECTOR])
        sane = (
            bpb.bytes_per_sector == SECTOR
            and bpb.sectors_per_cluster in CLUSTER_SECTORS
            and bpb.reserved_sectors >= 1
            and bpb.fat_count in (1, 2)
            and bpb.root_entries > 0
            and bpb.root_entries % 16 == 0
            and bpb.sectors_per_fat > 0
            and bpb.total_sectors > 0
        )
        if not sane:
            raise ImageError("not a FAT12 volume (no valid BIOS parameter block)")
        layout = bpb.layout
        if layout.data_offset >= bpb.total_sectors * SECTOR:
            raise ImageError("not a FAT12 volume (no room for data in its BIOS parameter block)")
        if layout.cluster_count > FAT12_MAX_CLUSTERS:
            raise ImageError(f"a FAT16 volume ({layout.cluster_count} clusters), not a FAT12 one")
        if bpb.total_sectors * SECTOR > len(data):
            raise ImageError(f"truncated: {len(data)} bytes, the BPB says {bpb.total_sectors * SECTOR}")
        if fat_bytes(layout.cluster_count) > layout.fat_size:
            raise ImageError("the FAT is too small for the clusters the BPB declares")
        return cls(data, bpb)

    @property
    def floppy(self) -> VolumeFormat | None:
        """The standard format, if this image is one."""
        return self.parameters.matching_format()

    @property
    def layout(self) -> Layout:
        return self.parameters.layout

    def fat(self, copy: int = 0) -> bytes:
        """The bytes of one FAT copy."""
        start = self.layout.fat_copy_offset(copy)
        return self.data[start : start + self.layout.fat_size]

    def fats_equal(self) -> bool:
        """True when every FAT copy is identical."""
        return all(self.fat(copy) == self.fat(0) for copy in range(1, self.parameters.fat_count))

    def next_cluster(self, cluster: int) -> int:
        """The FAT12 entry for ``cluster`` (in the first FAT)."""
        return read_entry(self.fat(), cluster)

    def cluster(self, number: int) -> bytes:
        """The bytes of one data cluster."""
        start = self.layout.cluster_offset(number)
        return self.data[start : start + self.layout.cluster_size]

    def chain(self, first: int) -> list[int]:
        """The clusters of a chain; raise :class:`ImageError` on a loop, a gap or a bad entry."""
        clusters: list[int] = []
        seen: set[int] = set()
        cluster = first
        while True:
            if not FIRST_CLUSTER <= cluster < self.layout.cluster_count + FIRST_CLUSTER:
                raise ImageError(f"cluster chain from {first} leaves the volume at {cluster:#x}")
            if cluster in seen:
                raise ImageError(f"cluster chain from {first} loops at {cluster}")
            seen.add(cluster)
            clusters.append(cluster)
            following = self.next_cluster(cluster)
            if following >= END_MARKERS_FROM:
                return clusters
            cluster = following

    def _directory_slots(self, directory: DirEntry | None) -> list[int]:
        """Byte offsets of every 32-byte slot of the root or of a subdirectory."""
        layout = self.layout
        if directory is None:
            return [layout.root_offset + DIRECTORY_ENTRY * index for index in range(layout.root_entries)]
        slots: list[int] = []
        for cluster in self.chain(directory.first_cluster):
            start = layout.cluster_offset(cluster)
            slots.extend(range(start, start + layout.cluster_size, DIRECTORY_ENTRY))
        return slots

    def entries(self, directory: DirEntry | None = None) -> list[DirEntry]:
        """Entries in use in the root (or ``directory``): no volume label, long-name pieces, "." or ".."."""
        found = []
        for offset in self._directory_slots(directory):
            raw = self.data[offset : offset + DIRECTORY_ENTRY]
            if raw[0] == 0x00:
                break
            attributes = raw[DIR_ATTRIBUTES]
            if raw[0] in (DELETED, 0x2E) or attributes == ATTR_LFN or attributes & ATTR_VOLUME:
                continue
            base = raw[0:8].decode("cp437").rstrip()
            extension = raw[8:DIR_NAME_SIZE].decode("cp437").rstrip()
            name = f"{base}.{extension}" if extension else base
            found.append(
                DirEntry(
                    name,
                    attributes,
                    int.from_bytes(raw[DIR_FIRST_CLUSTER : DIR_FIRST_CLUSTER + 2], "little"),
                    int.from_bytes(raw[DIR_SIZE : DIR_SIZE + 4], "little"),
                    offset,
                )
            )
        return found

    def volume_label(self) -> str | None:
        """The label in the root directory, if any."""
        for offset in self._directory_slots(None):
            raw = self.data[offset : offset + DIRECTORY_ENTRY]
            if raw[0] == 0x00:
                return None
            attributes = raw[DIR_ATTRIBUTES]
            if raw[0] != DELETED and attributes & ATTR_VOLUME and attributes != ATTR_LFN:
                return raw[0:DIR_NAME_SIZE].decode("cp437").rstrip()
        return None

    def find(self, path: str) -> DirEntry | None:
        """The entry at ``path`` ("KERNEL.SYS", "FREEDOS\\BIN\\COMMAND.COM"; case-insensitive)."""
        directory: DirEntry | None = None
        parts = [part for part in path.upper().replace("/", "\\").split("\\") if part]
        for depth, part in enumerate(parts):
            found = next((entry for entry in self.entries(directory) if entry.name == part), None)
            if found is None or (depth < len(parts) - 1 and not found.is_directory):
                return None
            directory = found
        return directory

    def read(self, entry: DirEntry) -> bytes:
        """A file's bytes, following its cluster chain."""
        if entry.is_directory:
            raise ImageError(f"{entry.name} is a directory")
        if entry.size == 0:
            return b""
        clusters = self.chain(entry.first_cluster)
        if len(clusters) * self.layout.cluster_size < entry.size:
            raise ImageError(f"{entry.name}: its cluster chain is shorter than its size")
        return b"".join(self.cluster(cluster) for cluster in clusters)[: entry.size]


# --- edits: for the tests and the fault matrix, which set up faults on real images -------------------


def set_entry(image: bytearray, cluster: int, value: int) -> None:
    """Set ``cluster``'s FAT entry to ``value`` in every FAT copy of ``image``."""
    layout = Fat12Image.parse(bytes(image)).layout
    for copy in range(layout.fat_count):
        start = layout.fat_copy_offset(copy)
        fat = bytearray(image[start : start + layout.fat_size])
        write_entry(fat, cluster, value)
        image[start : start + layout.fat_size] = fat


def free_chain(image: bytearray, first: int) -> list[int]:
    """Mark the chain from ``first`` free in every FAT copy; return its clusters."""
    clusters = Fat12Image.parse(bytes(image)).chain(first)
    for cluster in clusters:
        set_entry(image, cluster, FREE)
    return clusters


def place_chain(image: bytearray, name: str, clusters: list[int], end_marker: int = END_OF_CHAIN) -> None:
    """Move a root file's data onto ``clusters``, in that order, and chain them in every FAT copy.

    A cluster past the volume's end may be named, to make a chain that leaves the volume: the link to
    it is written, nothing of it (it has no FAT entry and no data).
    """
    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find(name)
    if entry is None:
        raise ImageError(f"no {name} to move")
    data, size = parsed.read(entry), parsed.layout.cluster_size
    if len(clusters) * size < len(data):
        raise ImageError(f"{name} needs {ceil_div(len(data), size)} clusters, not {len(clusters)}")
    free_chain(image, entry.first_cluster)
    for index, cluster in enumerate(clusters):
        if cluster >= parsed.layout.cluster_count + FIRST_CLUSTER:
            continue
        set_entry(image, cluster, clusters[index + 1] if index + 1 < len(clusters) else end_marker)
        start = parsed.layout.cluster_offset(cluster)
        chunk = data[index * size : (index + 1) * size]
        image[start : start + len(chunk)] = chunk
    image[entry.offset + 26 : entry.offset + 28] = clusters[0].to_bytes(2, "little")
