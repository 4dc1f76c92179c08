"""A strict, read-only FAT12 reader for floppy images.

Reads any FAT12 volume (not only the standard formats) from bytes in memory, so an input image is never
written. Every malformed image ends in one :class:`ImageError` naming the problem: a bad BPB, a FAT16
volume, a partition table, a truncated image, a cyclic or out-of-range cluster chain. (pyfatfs follows
chains without a cycle check and would loop forever on such an image.)
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats import SECTOR, BootParameters, FloppyFormat

ATTR_READ_ONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04
ATTR_VOLUME = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20
ATTR_LFN = 0x0F
FAT12_MAX_CLUSTERS = 4084


class ImageError(Exception):
    """The bytes are not a FAT12 floppy image this tool can read."""


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


def _looks_partitioned(data: bytes) -> bool:
    if data[510:512] != b"\x55\xaa":
        return False
    entries = [data[0x1BE + 16 * i : 0x1CE + 16 * i] for i in range(4)]
    return any(entry[4] != 0 and entry[0] in (0x00, 0x80) for entry in entries)


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
            and bpb.sectors_per_cluster in (1, 2, 4, 8, 16, 32, 64)
            and bpb.reserved_sectors >= 1
            and bpb.fat_count in (1, 2)
            and bpb.root_entries > 0
            and bpb.root_entries % 16 == 0
            and bpb.sectors_per_fat > 0
            and bpb.total_sectors > 0
        )
        if not sane:
            if _looks_partitioned(data):
                raise ImageError("a hard-disk image with a partition table, not a floppy")
            raise ImageError("not a FAT floppy image (no valid BIOS parameter block)")
        image = cls(data, bpb)
        if image.data_offset >= bpb.total_sectors * SECTOR:
            raise ImageError("not a FAT floppy image (no room for data in its BIOS parameter block)")
        if image.cluster_count > FAT12_MAX_CLUSTERS:
            raise ImageError(f"a FAT16 volume ({image.cluster_count} clusters), not a FAT12 floppy")
        if bpb.total_sectors * SECTOR > len(data):
            raise ImageError(f"truncated: {len(data)} bytes, the BPB says {bpb.total_sectors * SECTOR}")
        if (image.cluster_count + 2) * 3 // 2 > bpb.sectors_per_fat * SECTOR:
            raise ImageError("the FAT is too small for the clusters the BPB declares")
        return image

    @property
    def floppy(self) -> FloppyFormat | None:
        """The standard format, if this image is one."""
        return self.parameters.matching_format()

    @property
    def fat_offset(self) -> int:
        return self.parameters.reserved_sectors * SECTOR

    @property
    def root_offset(self) -> int:
        return self.fat_offset + self.parameters.fat_count * self.parameters.sectors_per_fat * SECTOR

    @property
    def data_offset(self) -> int:
        return self.root_offset + self.parameters.root_entries * 32

    @property
    def cluster_size(self) -> int:
        return self.parameters.sectors_per_cluster * SECTOR

    @property
    def cluster_count(self) -> int:
        data_sectors = self.parameters.total_sectors - self.data_offset // SECTOR
        return data_sectors // self.parameters.sectors_per_cluster

    def fat(self, copy: int = 0) -> bytes:
        """The bytes of one FAT copy."""
        start = self.fat_offset + copy * self.parameters.sectors_per_fat * SECTOR
        return self.data[start : start + self.parameters.sectors_per_fat * SECTOR]

    def fats_equal(self) -> bool:
        """True when every FAT copy is identical."""
        return all(self.fat(copy) == self.fat(0) for copy in range(1, self.parameters.fat_count))

    def next_cluster(self, cluster: int) -> int:
        """The FAT12 entry for ``cluster``."""
        fat = self.fat()
        offset = cluster * 3 // 2
        pair = fat[offset] | fat[offset + 1] << 8
        return pair >> 4 if cluster & 1 else pair & 0xFFF

    def chain(self, first: int) -> list[int]:
        """The clusters of a chain; raise :class:`ImageError` on a loop, a gap or a bad entry."""
        clusters: list[int] = []
        seen: set[int] = set()
        cluster = first
        while True:
            if not 2 <= cluster < self.cluster_count + 2:
                raise ImageError(f"cluster chain from {first} leaves the volume at {cluster:#x}")
            if cluster in seen:
                raise ImageError(f"cluster chain from {first} loops at {cluster}")
            seen.add(cluster)
            clusters.append(cluster)
            following = self.next_cluster(cluster)
            if following >= 0xFF8:
                return clusters
            cluster = following

    def _directory_slots(self, directory: DirEntry | None) -> list[int]:
        """Byte offsets of every 32-byte slot of the root or of a subdirectory."""
        if directory is None:
            return [self.root_offset + 32 * index for index in range(self.parameters.root_entries)]
        slots: list[int] = []
        for cluster in self.chain(directory.first_cluster):
            start = self.data_offset + (cluster - 2) * self.cluster_size
            slots.extend(range(start, start + self.cluster_size, 32))
        return slots

    def entries(self, directory: DirEntry | None = None) -> list[DirEntry]:
        """Entries in use in the root (or ``directory``): no volume label, long-name pieces, "." or ".."."""
        found = []
        for offset in self._directory_slots(directory):
            raw = self.data[offset : offset + 32]
            if raw[0] == 0x00:
                break
            if raw[0] in (0xE5, 0x2E) or raw[11] == ATTR_LFN or raw[11] & ATTR_VOLUME:
                continue
            base = raw[0:8].decode("cp437").rstrip()
            extension = raw[8:11].decode("cp437").rstrip()
            name = f"{base}.{extension}" if extension else base
            found.append(
                DirEntry(
                    name,
                    raw[11],
                    int.from_bytes(raw[26:28], "little"),
                    int.from_bytes(raw[28:32], "little"),
                    offset,
                )
            )
        return found

    def volume_label(self) -> str | None:
        """The label in the root directory, if any."""
        for index in range(self.parameters.root_entries):
            raw = self.data[self.root_offset + 32 * index : self.root_offset + 32 * index + 32]
            if raw[0] == 0x00:
                return None
            if raw[0] != 0xE5 and raw[11] & ATTR_VOLUME and raw[11] != ATTR_LFN:
                return raw[0:11].decode("cp437").rstrip()
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
        if len(clusters) * self.cluster_size < entry.size:
            raise ImageError(f"{entry.name}: its cluster chain is shorter than its size")
        pieces = []
        for cluster in clusters:
            start = self.data_offset + (cluster - 2) * self.cluster_size
            pieces.append(self.data[start : start + self.cluster_size])
        return b"".join(pieces)[: entry.size]
