"""What a liturgy may change on a disk, and nothing more: the exact-change oracle of the fault matrix,
the fuzzers and the tests, with the disk fillers they share.

A destroying verdict allows exactly :func:`destroyed`: the entry marked E5h, the file's first
``min(size, 1023)`` bytes zeroed, its chain freed in every FAT. Every other verdict allows no change.
"""

from __future__ import annotations

from almostism_dos import scripture
from almostism_dos.fat12 import DELETED, DIR_DATE, DIR_TIME, FREE, Fat12Image, read_entry, set_entry
from almostism_dos.formats import FIRST_CLUSTER
from almostism_dos.image import ImageFile
from almostism_dos.scripture import Verdict

DESTROYING = {Verdict.COMPLETE, Verdict.GAP, Verdict.FALSE, Verdict.HUSK}  # verdicts that destroy the file
WRITE_STAMP = range(
    DIR_TIME, DIR_DATE + 2
)  # an entry's write time and date: DOS sets them when a written file closes


def destroyed(before: bytes, path: str) -> bytes:
    """``before`` as a destroying liturgy must leave it: the file's first min(size, 1023) bytes zeroed
    (never more: a short file is not extended), its chain freed in every FAT, its entry marked E5h."""
    old = Fat12Image.parse(before)
    entry = old.find(path)
    assert entry is not None and not entry.is_directory
    expected = bytearray(before)
    expected[entry.offset] = DELETED
    layout, left = old.layout, min(entry.size, scripture.SIZE)
    for cluster in old.chain(entry.first_cluster) if entry.size else []:
        start = layout.cluster_offset(cluster)
        zeroed = min(layout.cluster_size, left)
        expected[start : start + zeroed] = bytes(zeroed)
        left -= zeroed
        set_entry(expected, cluster, FREE)
    return bytes(expected)


_BLOCK = 4096


def _differing(expected: bytes, after: bytes) -> list[int]:
    """The offsets where ``after`` differs from ``expected`` (over their common length). Blocks that are
    equal are compared whole, in C: byte by byte in Python, a 1.44 MB image took 0.13 s a comparison,
    most of every host fuzz case."""
    return [
        offset
        for block in range(0, min(len(expected), len(after)), _BLOCK)
        if expected[block : block + _BLOCK] != after[block : block + _BLOCK]
        for offset in range(block, min(block + _BLOCK, len(expected), len(after)))
        if expected[offset] != after[offset]
    ]


def unexpected_changes(
    before: bytes, after: bytes, path: str, verdict: Verdict, *, stamped: bool = False
) -> list[str]:
    """Every way ``after`` differs from what ``verdict`` allows, in words (empty: exactly as allowed).

    A destroying verdict allows exactly :func:`destroyed`; every other verdict (no scripture, not a
    scripture, an I/O failure) allows no change at all. ``stamped``: the host is a DOS that stamps the
    write time and date into the entry when it closes the zeroed file, so those four bytes may differ.
    """
    expected = destroyed(before, path) if verdict in DESTROYING else before
    differing = _differing(expected, after)
    if stamped and verdict in DESTROYING:
        entry = Fat12Image.parse(before).find(path)
        assert entry is not None
        differing = [offset for offset in differing if offset - entry.offset not in WRITE_STAMP]
    words = [f"byte {offset:#x}: {after[offset]:02X}, not {expected[offset]:02X}" for offset in differing]
    if len(after) != len(before):
        words.append(f"the image is {len(after)} bytes, not {len(before)}")
    return words[:10] + ([f"... {len(words) - 10} more"] if len(words) > 10 else [])


def free_clusters(image: bytes) -> list[int]:
    """The clusters the first FAT marks free."""
    parsed = Fat12Image.parse(image)
    fat, last = parsed.fat(), parsed.layout.cluster_count + FIRST_CLUSTER
    return [cluster for cluster in range(FIRST_CLUSTER, last) if read_entry(fat, cluster) == FREE]


def filler(image: bytes, spare: int = 0) -> ImageFile:
    """A file that, added to ``image``'s files, leaves only ``spare`` clusters free."""
    cluster_size = Fat12Image.parse(image).layout.cluster_size
    return ImageFile("FILL.BIN", bytes(max(0, len(free_clusters(image)) - spare) * cluster_size))
