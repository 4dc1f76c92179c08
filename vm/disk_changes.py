"""The disk fillers the fault matrix, the fuzzers and the tests share, beside the exact-change rule they
judge every disk by, which is the product's own (:mod:`almostism_dos.liturgy_change`, also ``diff``'s).
"""

from __future__ import annotations

from almostism_dos.fat12 import FREE, Fat12Image, read_entry
from almostism_dos.formats import FIRST_CLUSTER
from almostism_dos.image import ImageFile
from almostism_dos.liturgy_change import DESTROYING, WRITE_STAMP, destroyed, unexpected_changes

__all__ = ["DESTROYING", "WRITE_STAMP", "destroyed", "filler", "free_clusters", "unexpected_changes"]


def free_clusters(image: bytes) -> list[int]:
    """The clusters the first FAT marks free."""
    parsed = Fat12Image.parse(image)
    fat, last = parsed.fat(), parsed.layout.cluster_count + FIRST_CLUSTER
    return [cluster for cluster in range(FIRST_CLUSTER, last) if read_entry(fat, cluster) == FREE]


def filler(image: bytes, spare: int = 0) -> ImageFile:
    """A file that, added to ``image``'s files, leaves only ``spare`` clusters free."""
    cluster_size = Fat12Image.parse(image).layout.cluster_size
    return ImageFile("FILL.BIN", bytes(max(0, len(free_clusters(image)) - spare) * cluster_size))
