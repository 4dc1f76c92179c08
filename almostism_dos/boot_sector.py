"""What sector 0 of an image says before anything else is read: a leaf, loaded with nothing else.

QEMU's launch (:mod:`.emulators.qemu_launch`) reads this before the rest of a ``run`` loads, to know a
floppy from a disk; :mod:`.formats` and :mod:`.partition` take the same facts from here.
"""

from __future__ import annotations

SECTOR = 512
BOOT_SIGNATURE = b"\x55\xaa"
SIGNATURE_OFFSET = SECTOR - len(BOOT_SIGNATURE)
_JUMPS = (0xEB, 0xE9)  # a short or a near jump over the BPB: how a DOS boot sector starts


def has_bpb(sector: bytes) -> bool:
    """True when ``sector`` starts as a DOS boot sector with a BIOS parameter block: a jump, then 512
    bytes a sector. A floppy's sector 0 has one; a master boot record has none."""
    return len(sector) >= 13 and sector[0] in _JUMPS and int.from_bytes(sector[11:13], "little") == SECTOR
