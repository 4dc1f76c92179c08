"""Fabricated inputs for image tests: a FreeDOS-shaped source floppy that contains no FreeDOS."""

from __future__ import annotations

import subprocess
from pathlib import Path

from almostism_dos.fat12 import ATTR_ARCHIVE, ATTR_HIDDEN, ATTR_READ_ONLY, ATTR_SYSTEM
from almostism_dos.formats import FORMATS
from almostism_dos.image import ImageFile, build_image

# EB 3C 90 (jump over the BPB) ... at 62: cli; hlt; jmp $-1 ... the name a FreeDOS boot sector loads.
FAKE_BOOT = bytearray(512)
FAKE_BOOT[0:3] = b"\xeb\x3c\x90"
FAKE_BOOT[62:66] = b"\xfa\xf4\xeb\xfd"
FAKE_BOOT[100:132] = b"test boot sector for KERNEL  SYS"
FAKE_BOOT[510:512] = b"\x55\xaa"
FAKE_KERNEL = b"fabricated kernel " * 2000
FAKE_SHELL = b"fabricated shell " * 3000
KERNEL_ATTRIBUTES = ATTR_SYSTEM | ATTR_HIDDEN | ATTR_READ_ONLY | ATTR_ARCHIVE


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
    """A self-booting floppy like ``build --boot embedded`` makes, with ``scripture_data`` as SCRIPTUR.ALM."""
    from dataclasses import replace

    from almostism_dos import programs

    system = programs.embedded_bytes()
    layout = replace(FORMATS[kilobytes], reserved_sectors=1 + -(-len(system[512:]) // 512))
    files = [ImageFile("ALMOST.COM", programs.loader_bytes()), ImageFile("SCRIPTUR.ALM", scripture_data)]
    return build_image(layout, system[:512], files + (extra or []), 0, reserved=system[512:])


def place_chain(image: bytearray, name: str, clusters: list[int], end_marker: int = 0xFFF) -> None:
    """Move a root file's data onto ``clusters`` (in that order), in every FAT copy."""
    from almostism_dos.fat12 import Fat12Image

    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find(name)
    assert entry is not None
    data = parsed.read(entry)
    size = parsed.cluster_size

    def set_entry(cluster: int, value: int) -> None:
        for copy in range(parsed.parameters.fat_count):
            base = parsed.fat_offset + copy * parsed.parameters.sectors_per_fat * 512
            offset = base + cluster * 3 // 2
            pair = image[offset] | image[offset + 1] << 8
            pair = (pair & 0x000F) | value << 4 if cluster & 1 else (pair & 0xF000) | value
            image[offset : offset + 2] = pair.to_bytes(2, "little")

    for old in parsed.chain(entry.first_cluster):
        set_entry(old, 0)
    for index, cluster in enumerate(clusters):
        set_entry(cluster, clusters[index + 1] if index + 1 < len(clusters) else end_marker)
        start = parsed.data_offset + (cluster - 2) * size
        chunk = data[index * size : (index + 1) * size]
        image[start : start + len(chunk)] = chunk
    image[entry.offset + 26 : entry.offset + 28] = clusters[0].to_bytes(2, "little")
