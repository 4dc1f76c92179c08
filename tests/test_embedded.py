"""The self-booting floppy's host, booted in the Unicorn PC (vm/pc.py): fast, no VM, every edge.

The verdicts on a real disk are rows of the fault matrix (vm/fault_matrix.py), which boots this PC too;
here are the edges only this PC can stage or check: every floppy size with fsck.fat, odd and even FAT
entries, end markers, chains that leave the volume, read errors, no APM, no ALMOST.COM."""

from __future__ import annotations

from pathlib import Path

import pytest

from almostism_dos import programs, reference, scripture
from almostism_dos.fat12 import DELETED, Fat12Image, place_chain
from almostism_dos.formats import BOOT_SIGNATURE, FORMATS, SECTOR, SIGNATURE_OFFSET, ceil_div
from almostism_dos.image import ImageFile
from almostism_dos.programs import ALMOST
from almostism_dos.result_line import result_in
from almostism_dos.scripture import SCRIPTURE_FILE
from tests.images import embedded_image, first_sector_of, fsck, only_the_scripture_changed
from vm.pc import HardDisk, Stop, boot


def fsck_clean(image: bytes, tmp_path: Path) -> bool:
    path = tmp_path / "after.img"
    path.write_bytes(image)
    checked = fsck(path)
    return checked.returncode == 0 and "differ" not in checked.stdout.lower()


DRIVES = {  # how a BIOS may present the image: drive A:, or hard disk 80h with a geometry of its own
    "floppy": None,
    "disk, EDD": HardDisk(),
    "disk, CHS, 16 heads": HardDisk(edd=False),
    "disk, CHS, 255 heads": HardDisk(heads=255, sectors_per_track=63, edd=False),
}


@pytest.mark.parametrize("drive", list(DRIVES))
@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_liturgy_on_every_size(kilobytes: int, drive: str, tmp_path: Path) -> None:
    before = embedded_image(reference.build(0xC3), kilobytes)
    result, floppy = boot(before, hard_disk=DRIVES[drive])
    assert result.stop == Stop.POWEROFF
    assert f"{scripture.CREED_LINE}\r\nInstance byte: 0xC3\r\n" in result.output
    assert result_in(result.output) == 0
    only_the_scripture_changed(before, bytes(floppy.image))
    assert fsck_clean(bytes(floppy.image), tmp_path)


@pytest.mark.parametrize("edd", [True, False])
def test_a_hard_disk_is_read_by_lba_where_the_bios_has_edd(edd: bool) -> None:
    """Packets only, where the BIOS has EDD; cylinder/head/sector only, where it has not."""
    result, disk = boot(embedded_image(reference.build(0x44)), hard_disk=HardDisk(edd=edd))
    assert result_in(result.output) == 0
    calls = disk.packet_calls, disk.chs_calls
    assert calls[0] > 0 and calls[1] == 0 if edd else calls[0] == 0 and calls[1] > 0


def test_files_past_cylinder_255_on_a_chs_disk(tmp_path: Path) -> None:
    """Cylinder bits 8-9 go in CL's top bits: on a 2.88 MB image seen as 2 heads x 9 sectors, files at
    the end of the disk lie on cylinders 300 and more."""
    image = bytearray(embedded_image(reference.build(0x2E), 2880))
    last = Fat12Image.parse(bytes(image)).layout.cluster_count + 1
    place_chain(image, SCRIPTURE_FILE, [last])
    place_chain(image, ALMOST, [last - 1])
    before = bytes(image)
    result, disk = boot(before, hard_disk=HardDisk(heads=2, sectors_per_track=9, edd=False))
    assert result_in(result.output) == 0, result.output
    only_the_scripture_changed(before, bytes(disk.image))
    assert fsck_clean(bytes(disk.image), tmp_path)


@pytest.mark.parametrize("kilobytes", [720, 1440])
def test_fragmented_chain_through_odd_and_even_entries(kilobytes: int, tmp_path: Path) -> None:
    image = bytearray(embedded_image(reference.build(0x11), kilobytes, [ImageFile("PAD.BIN", bytes(20_000))]))
    wanted = [301, 120, 77] if kilobytes == 1440 else [301]  # backwards, odd -> even -> odd
    place_chain(image, SCRIPTURE_FILE, wanted)
    cluster = Fat12Image.parse(bytes(image)).layout.cluster_size
    program_clusters = ceil_div(len(programs.almost_bytes()), cluster)
    place_chain(image, ALMOST, [699, 512][:program_clusters])  # the program itself high up, odd then even
    before = bytes(image)
    result, floppy = boot(before)
    assert result_in(result.output) == 0
    only_the_scripture_changed(before, bytes(floppy.image))
    assert fsck_clean(bytes(floppy.image), tmp_path)


def test_end_of_chain_marker_ff8_ends_the_chain(tmp_path: Path) -> None:
    image = bytearray(embedded_image(reference.build(0x12)))
    place_chain(image, SCRIPTURE_FILE, [500, 501], end_marker=0xFF8)
    result, floppy = boot(bytes(image))
    assert result_in(result.output) == 0
    assert Fat12Image.parse(bytes(floppy.image)).find(SCRIPTURE_FILE) is None
    assert fsck_clean(bytes(floppy.image), tmp_path)


def test_a_chain_that_leaves_the_volume_ends_the_file_there() -> None:
    image = bytearray(embedded_image(reference.build(0x13)))
    place_chain(image, SCRIPTURE_FILE, [600, 4000 & 0xFFF])  # 4000 is past 2847, the last cluster
    result, floppy = boot(bytes(image))
    assert result.stop == Stop.POWEROFF and result_in(result.output) == 4  # the 512 bytes read: too short
    assert "False teaching (invalid size): destroyed unread" in result.output
    assert Fat12Image.parse(bytes(floppy.image)).find(SCRIPTURE_FILE) is None


def test_transient_read_errors_are_retried() -> None:
    image = embedded_image(reference.build(0x14))
    sector = first_sector_of(image, SCRIPTURE_FILE)
    result, floppy = boot(image, failing_reads={sector: 2})
    assert result_in(result.output) == 0
    assert floppy.failed_reads.count(sector) == 2  # two tries failed...
    assert floppy.reads.count(sector) >= 1  # ...and the third read it


@pytest.mark.parametrize("drive", list(DRIVES))
def test_a_persistent_read_error_reaches_int24_and_fails_the_read(drive: str) -> None:
    """On a floppy and on a hard disk alike: three tries, INT 24h, then ALMOST.COM's exit 5."""
    image = embedded_image(reference.build(0x15))
    sector = first_sector_of(image, SCRIPTURE_FILE)
    result, floppy = boot(image, failing_reads={sector: 1000}, hard_disk=DRIVES[drive])
    assert "I/O failure: read" in result.output and result_in(result.output) == 5
    assert floppy.failed_reads.count(sector) % 3 == 0 and floppy.failed_reads.count(sector) >= 3
    assert bytes(floppy.image) == image


def test_without_apm_it_says_so_and_halts() -> None:
    result, _ = boot(embedded_image(reference.build(1)), apm=False)
    assert result.stop == Stop.HALT
    assert result.output.endswith("The liturgy is over; the PC may be switched off.\r\n")


def test_a_program_whose_chain_leaves_the_volume_is_no_program() -> None:
    image = bytearray(embedded_image(reference.build(1), 720))
    place_chain(image, ALMOST, [700])
    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find(ALMOST)
    assert entry is not None
    image[entry.offset + 26 : entry.offset + 28] = (999).to_bytes(2, "little")  # past cluster 714
    result, _ = boot(bytes(image))
    assert result.stop == Stop.POWEROFF and "No ALMOST.COM" in result.output


def test_without_almost_com_it_says_so() -> None:
    image = bytearray(embedded_image(reference.build(1)))
    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find(ALMOST)
    assert entry is not None
    image[entry.offset] = DELETED
    result, _ = boot(bytes(image))
    assert (
        result.stop == Stop.POWEROFF and "No ALMOST.COM" in result.output and result_in(result.output) is None
    )


def test_boot_sector_and_host_fit_the_budget() -> None:
    code = programs.assembly("embedded").code
    assert (
        len(code) <= 2048 and code[SIGNATURE_OFFSET:SECTOR] == BOOT_SIGNATURE and code[:3] == b"\xeb\x3c\x90"
    )
    assert b"ALMOSTISM HOST" in code[:512]


PROBE = """
start:
    mov ah, 0x30                ; an INT 21h function the host does not have
    int 0x21                    ;   (version: ALMOST.COM never asks)
    jnc bad                     ; must fail
    cmp ax, 1                   ; with error 1
    jne bad                     ;
    mov dx, 0x1234              ; set vector 60h to DS:1234
    mov ax, 0x2560              ;
    int 0x21                    ;
    jc bad                      ;
    mov cx, ds                  ; CX = our segment
    xor ax, ax                  ; ES = 0: the vector table
    mov es, ax                  ;
    cmp word ptr es:[0x180], 0x1234 ; the offset
    jne bad                     ;
    cmp es:[0x182], cx          ; the segment
    jne bad                     ;
    jmp files                   ; over the failure exit, in the middle
bad:
    mov ax, 0x4c63              ; something differed: exit 99
    int 0x21                    ;
files:
    mov dx, missing             ; open a file that is not there
    mov ax, 0x3d00              ;
    int 0x21                    ;
    jnc bad                     ;
    cmp ax, 2                   ; error 2
    jne bad                     ;
    mov dx, in_directory        ; open through a directory
    mov ax, 0x3d00              ;
    int 0x21                    ;
    jnc bad                     ;
    cmp ax, 3                   ; error 3
    jne bad                     ;
    mov dx, scripture           ; open the scripture
    mov ax, 0x3d00              ;
    int 0x21                    ;
    jc bad                      ;
    xchg bx, ax                 ; BX = handle
    mov ax, 0x4202              ; seek from the end: not done here
    xor cx, cx                  ;
    xor dx, dx                  ;
    int 0x21                    ;
    jnc bad                     ;
    cmp ax, 1                   ; error 1
    jne bad                     ;
    mov ax, 0x4200              ; seek from the start, to byte 1022
    mov dx, 1022                ;
    int 0x21                    ;
    jc bad                      ;
    cmp ax, 1022                ; the new position
    jne bad                     ;
    mov ah, 0x3f                ; read two bytes there: one is left
    mov cx, 2                   ;
    mov dx, missing             ;   (into a string we no longer need)
    int 0x21                    ;
    jc bad                      ;
    cmp ax, 1                   ;
    jne bad                     ;
    mov ah, 0x40                ; write on a read-only handle
    mov cx, 1                   ;
    int 0x21                    ;
    jnc bad                     ;
    cmp ax, 5                   ; error 5
    jne bad                     ;
    mov ah, 0x3e                ; close
    int 0x21                    ;
    jc bad                      ;
    mov ah, 0x3e                ; close again
    int 0x21                    ;
    jnc bad                     ;
    cmp ax, 6                   ; error 6: invalid handle
    jne bad                     ;
    mov dx, scripture           ; open it for writing
    mov ax, 0x3d02              ;
    int 0x21                    ;
    jc late                     ;
    xchg bx, ax                 ; BX = handle
    mov ax, 0x4200              ; to its end, byte 1023
    xor cx, cx                  ;
    mov dx, 1023                ;
    int 0x21                    ;
    jc late                     ;
    mov ah, 0x40                ; a write there: nothing is written,
    mov cx, 1                   ;   the file never grows here
    mov dx, missing             ;
    int 0x21                    ;
    jc late                     ;
    test ax, ax                 ; no byte written
    jnz late                    ;
    mov ah, 0x3e                ; close
    int 0x21                    ;
    jc late                     ;
    mov ax, 0x4c2a              ; all as DOS does: exit 42
    int 0x21                    ;
late:
    mov ax, 0x4c63              ; something differed: exit 99
    int 0x21                    ;
missing:
    .asciz "NOTHERE.TXT"        ;
in_directory:
    .asciz "SUB\\\\FILE.TXT"    ;
scripture:
    .asciz "SCRIPTUR.ALM"       ;
"""


def test_the_host_keeps_dos_conventions() -> None:
    from almostism_dos.assembler import assemble
    from almostism_dos.lint8086 import require_8086

    probe = require_8086(assemble("probe.asm", {"probe.asm": PROBE}.__getitem__, 0x100)).code
    image = bytearray(embedded_image(reference.build(1)))
    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find(ALMOST)
    assert entry is not None and len(probe) <= parsed.layout.cluster_size
    start = parsed.layout.cluster_offset(entry.first_cluster)
    image[start : start + len(probe)] = probe  # the probe, booted in ALMOST.COM's place
    image[entry.offset + 28 : entry.offset + 32] = len(probe).to_bytes(4, "little")
    result, after = boot(bytes(image))
    assert result_in(result.output) == 42, result.output
    assert bytes(after.image) == bytes(image)  # a write past the end changed nothing, not even the size
