"""A small PC in Unicorn: boot a floppy image with BIOS services in Python.

The BIOS is Python: INT 10h (teletype output; the video mode, cursor and character queries answer for
an 80x25 colour text screen), INT 11h and 12h (one floppy drive, 640 KB), INT 13h (reset, read and write
sectors of the image, with write-protect and injected errors; drive parameters; no disk change; the image
as drive A:, or as hard disk 80h with a geometry of its own and, if asked, the EDD packet calls),
INT 15h AH=53h (APM, present or not), INT 16h (the space bar is pressed once the result line has been
printed, as every emulator wrapper of ours presses a key then, or, if a test asks, after so many looks
at the keyboard; a program that waits for a key nobody presses is stopped, as a boot test would hang
there), INT 1Ah AH=00h (a tick count that advances by one at every
read: time passes only when someone looks; no real-time clock). Every other interrupt is delivered as
real mode does it, through the interrupt vector table, so the embedded host's INT 21h and INT 24h, and
FreeDOS's own, run as their code. That is enough BIOS for the self-booting floppy and for FreeDOS's
kernel and shell; fast enough to fuzz both without a VM.

Used by the tests and benchmarks; not shipped with the package.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from unicorn import UC_HOOK_INTR
from unicorn.unicorn import Uc
from unicorn.x86_const import (
    UC_X86_REG_AH,
    UC_X86_REG_AX,
    UC_X86_REG_BX,
    UC_X86_REG_CS,
    UC_X86_REG_CX,
    UC_X86_REG_DS,
    UC_X86_REG_DX,
    UC_X86_REG_ES,
    UC_X86_REG_FLAGS,
    UC_X86_REG_SI,
    UC_X86_REG_SP,
    UC_X86_REG_SS,
)

from almostism_dos.formats import BOOT_LOAD_ADDRESS, SECTOR, BootParameters
from almostism_dos.result_line import RESULT_PREFIX, result_in
from vm.machine import Machine, Stop

__all__ = ["BootDisk", "HardDisk", "Pc", "PcResult", "Stop", "boot"]
_RESULT_MARK = RESULT_PREFIX.encode()
SPACE_KEY = 0x3920  # the one key a test can press: scan code 39h, character 20h
UNSET = (0xF000, 0xFFF0)  # where every vector points until someone sets it: no handler


@dataclass
class BootDisk:
    """The disk the PC boots, in drive A: or as hard disk 80h (see :class:`HardDisk`), and the faults it
    should show."""

    image: bytearray
    write_protected: bool = False
    failing_reads: dict[int, int] = field(default_factory=dict)  # LBA -> how many reads of it fail first
    reads: list[int] = field(default_factory=list)  # every sector read, in order
    failed_reads: list[int] = field(default_factory=list)  # every sector whose read failed, in order
    writes: list[int] = field(default_factory=list)  # every sector written, in order
    packet_calls: int = 0  # reads and writes asked for through EDD packets (AH=42h/43h)
    chs_calls: int = 0  # reads and writes asked for by cylinder, head and sector (AH=02h/03h)


@dataclass(frozen=True)
class HardDisk:
    """How the BIOS presents the image when it boots it as hard disk 80h (a USB stick, a CF card)."""

    heads: int = 16
    sectors_per_track: int = 63
    edd: bool = True  # INT 13h AH=41h/42h/43h


@dataclass
class PcResult:
    """How the boot ended."""

    stop: Stop
    output: str  # what went through INT 10h teletype
    int21_calls: int  # INT 21h calls made (by the program, through the host)
    detail: str = ""  # for a crash: what happened, and where


class Pc(Machine):
    """One boot of one floppy: the core with a BIOS in Python."""

    def __init__(
        self,
        floppy: BootDisk,
        apm: bool = True,
        cut_after: int | None = None,
        hard_disk: HardDisk | None = None,
        key_after: int | None = None,
        press_on_result: bool = True,
    ) -> None:
        super().__init__()
        self.key_after = key_after  # a key is waiting once INT 16h AH=01h has looked this many times
        self.press_on_result = press_on_result  # a key is waiting once the result line is printed
        self.keyboard_looks = 0
        self.keys_taken = 0
        self.floppy = floppy
        self.apm = apm
        self.hard_disk = hard_disk
        self.cut_after = cut_after  # power cut once this many INT 21h calls have been made
        self.int21_calls = 0
        self.parameters = BootParameters.unpack(bytes(floppy.image[:SECTOR]))
        for number in range(256):
            self._set_vector(number, *UNSET)
        self.output = bytearray()
        self.ticks = 0  # the BIOS tick count (INT 1Ah)

    def boot(self, instruction_limit: int = 20_000_000) -> PcResult:
        """Load sector 0 to 0000:7C00 and run it with DL = 0 (drive A:), or 80h (a hard disk)."""
        self.uc.mem_write(BOOT_LOAD_ADDRESS, bytes(self.floppy.image[:SECTOR]))
        for register in (UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_ES):
            self._set(register, 0)
        self._set(UC_X86_REG_SP, 0x7000)
        self._set(UC_X86_REG_DX, 0x80 if self.hard_disk else 0)
        self.uc.hook_add(UC_HOOK_INTR, self._interrupt)
        stop = self._run(BOOT_LOAD_ADDRESS, instruction_limit)
        return PcResult(stop, self.output.decode("cp437"), self.int21_calls, self.detail)

    def _interrupt(self, uc: Uc, number: int, user_data: object) -> None:
        bios = {0x10: self._video, 0x11: self._equipment, 0x12: self._memory, 0x13: self._disk,
                0x15: self._system, 0x16: self._keyboard, 0x1A: self._clock}  # fmt: skip
        if number in bios:
            bios[number]()
        else:
            if number == 0x21:
                if self.cut_after is not None and self.int21_calls >= self.cut_after:
                    self._halt(Stop.CUT)  # the earlier calls have all returned: power off here
                    return
                self.int21_calls += 1
            self._deliver(number)

    def _deliver(self, number: int) -> None:
        """Real-mode interrupt delivery through the table, unless nobody set the vector (a crash)."""
        vector = self._vector(number)
        if vector == UNSET:
            self._halt(Stop.CRASH, f"INT {number:02X}h has no handler")
            return
        self._enter(*vector)

    def _video(self) -> None:
        ax = self._reg(UC_X86_REG_AX)
        function = ax >> 8
        if function == 0x0E and ax & 0xFF:
            self.output.append(ax & 0xFF)
        elif function == 0x0F:  # video mode: 80 columns, mode 3 (colour text), page 0
            self._set(UC_X86_REG_AX, 0x5003)
            self._set(UC_X86_REG_BX, self._reg(UC_X86_REG_BX) & 0x00FF)
        elif function == 0x03:  # cursor: row 0, column 0, the usual underline shape
            self._set(UC_X86_REG_CX, 0x0607)
            self._set(UC_X86_REG_DX, 0)
        elif function == 0x08:  # the character under the cursor: a blank, grey on black
            self._set(UC_X86_REG_AX, 0x0720)
        # anything else (AH=12h: no EGA, so BL is left as it was) changes nothing

    def _equipment(self) -> None:
        self._set(UC_X86_REG_AX, 0x0021)  # one floppy drive, 80x25 colour

    def _memory(self) -> None:
        self._set(UC_X86_REG_AX, 640)  # kilobytes of conventional memory

    def _keyboard(self) -> None:
        function = self._reg(UC_X86_REG_AH)
        pressed = self.key_after is not None and self.keyboard_looks >= self.key_after
        waiting = (pressed or self._result_printed()) and not self.keys_taken
        if function in (0x01, 0x11):  # is a key waiting? ZF clear and AX = the key if so
            self.keyboard_looks += 1
            flags = self._reg(UC_X86_REG_FLAGS) & ~0x0040
            self._set(UC_X86_REG_FLAGS, flags if waiting else flags | 0x0040)
            if waiting:
                self._set(UC_X86_REG_AX, SPACE_KEY)
        elif function in (0x00, 0x10):
            if not waiting:
                self._halt(Stop.KEY, "INT 16h: waits for a key")
                return
            self.keys_taken += 1
            self._set(UC_X86_REG_AX, SPACE_KEY)
        elif function in (0x02, 0x12):  # shift flags: none
            self._set(UC_X86_REG_AX, self._reg(UC_X86_REG_AX) & 0xFF00)

    def _result_printed(self) -> bool:
        """True when a whole result line has gone through INT 10h (and a key is pressed for it)."""
        if not self.press_on_result or _RESULT_MARK not in self.output:
            return False
        return result_in(self.output.decode("cp437")) is not None

    def _clock(self) -> None:
        if self._reg(UC_X86_REG_AX) >> 8 != 0x00:
            self._carry(True)  # no real-time clock: time and date calls fail, DOS keeps its defaults
            return
        self.ticks += 1
        self._set(UC_X86_REG_CX, self.ticks >> 16 & 0xFFFF)
        self._set(UC_X86_REG_DX, self.ticks & 0xFFFF)
        self._set(UC_X86_REG_AX, 0)  # AL = 0: midnight has not passed

    def _system(self) -> None:
        ax, bx, cx = (self._reg(r) for r in (UC_X86_REG_AX, UC_X86_REG_BX, UC_X86_REG_CX))
        if ax >> 8 != 0x53 or not self.apm:
            self._set(UC_X86_REG_AX, 0x8600 | ax & 0xFF)
            self._carry(True)
            return
        if ax == 0x5300:
            self._set(UC_X86_REG_AX, 0x0102)
            self._set(UC_X86_REG_BX, 0x504D)  # "PM"
        elif ax == 0x5307 and bx == 0x0001 and cx == 0x0003:
            self._halt(Stop.POWEROFF)
        self._carry(False)

    def _disk(self) -> None:
        ax = self._reg(UC_X86_REG_AX)
        function, count = ax >> 8, ax & 0xFF
        if function in (0x00, 0x16):  # reset; disk change: none
            self._set(UC_X86_REG_AX, 0)
            self._carry(False)
            return
        if function == 0x15:  # drive type: a floppy drive that reports a disk change
            self._set(UC_X86_REG_AX, 0x0200 | ax & 0xFF)
            self._carry(False)
            return
        drive = self._reg(UC_X86_REG_DX) & 0xFF
        if drive != (0x80 if self.hard_disk else 0):
            self._set(UC_X86_REG_AX, 0x0100)  # no such drive
            self._carry(True)
            return
        if function == 0x08:
            self._parameters()
            return
        if function in (0x41, 0x42, 0x43) and self.hard_disk and self.hard_disk.edd:
            self._extended(function)
            return
        if function not in (0x02, 0x03):
            self._set(UC_X86_REG_AX, 0x0100)  # invalid function
            self._carry(True)
            return
        self.floppy.chs_calls += 1
        cx, dx = self._reg(UC_X86_REG_CX), self._reg(UC_X86_REG_DX)
        cylinder, sector, head = cx >> 8 | (cx & 0xC0) << 2, cx & 0x3F, dx >> 8
        heads, per_track = self._geometry()
        if sector == 0 or sector > per_track or head >= heads:
            status = 0x04  # sector not found: the caller's geometry is not the drive's
        else:
            lba = (cylinder * heads + head) * per_track + sector - 1
            address = self._reg(UC_X86_REG_ES) * 16 + self._reg(UC_X86_REG_BX)
            status = self._transfer(function, lba, count, address)
        self._set(UC_X86_REG_AX, status << 8 | (0 if status else count))
        self._carry(status != 0)

    def _geometry(self) -> tuple[int, int]:
        """Heads and sectors per track as the BIOS sees the drive: the BPB's for a floppy."""
        if self.hard_disk:
            return self.hard_disk.heads, self.hard_disk.sectors_per_track
        return self.parameters.heads, self.parameters.sectors_per_track

    def _extended(self, function: int) -> None:
        """INT 13h AH=41h (EDD 3.0, packet calls only), 42h read and 43h write through a packet at DS:SI."""
        if function == 0x41:
            if self._reg(UC_X86_REG_BX) != 0x55AA:
                self._set(UC_X86_REG_AX, 0x0100)
                self._carry(True)
                return
            self._set(UC_X86_REG_AX, 0x3000)
            self._set(UC_X86_REG_BX, 0xAA55)
            self._set(UC_X86_REG_CX, 0x0001)  # the packet calls (42h, 43h, 44h, 47h, 48h)
            self._carry(False)
            return
        self.floppy.packet_calls += 1
        packet = self._read(self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_SI)), 16)
        size, count, offset, segment, lba = packet[0], *struct.unpack_from("<HHHQ", packet, 2)
        status = 0x01 if size < 16 else self._transfer(function - 0x40, lba, count, segment * 16 + offset)
        self._set(UC_X86_REG_AX, status << 8)
        self._carry(status != 0)

    def _parameters(self) -> None:
        """INT 13h AH=08h: the drive's geometry (a floppy's is its BPB's)."""
        heads, per_track = self._geometry()
        last = max(len(self.floppy.image) // SECTOR // (heads * per_track), 1) - 1  # the last cylinder
        self._set(UC_X86_REG_AX, 0)
        if not self.hard_disk:
            self._set(UC_X86_REG_BX, 0x0004)  # a 1.44 MB drive
        self._set(UC_X86_REG_CX, (last & 0xFF) << 8 | (last >> 2 & 0xC0) | per_track)
        self._set(UC_X86_REG_DX, (heads - 1) << 8 | 1)  # one drive
        self._carry(False)

    def _transfer(self, function: int, lba: int, count: int, address: int) -> int:
        image = self.floppy.image
        if lba + count > len(image) // SECTOR or count == 0:
            return 0x04  # sector not found
        if function == 0x03 and self.floppy.write_protected:
            return 0x03  # write-protected
        for index in range(count):
            sector = lba + index
            if function == 0x02 and self.floppy.failing_reads.get(sector, 0) > 0:
                self.floppy.failing_reads[sector] -= 1
                self.floppy.failed_reads.append(sector)
                return 0x10  # CRC error
        for index in range(count):
            sector = lba + index
            where = slice(sector * SECTOR, (sector + 1) * SECTOR)
            if function == 0x02:
                self.floppy.reads.append(sector)
                target = address + index * SECTOR
                self.uc.mem_write(target, bytes(image[where]))
                # Code translated from these addresses before (the MBR, read over by the partition's
                # boot sector at 7C00h) must not run again: a real CPU fetches what memory now holds.
                self.uc.ctl_remove_cache(target, target + SECTOR)
            else:
                self.floppy.writes.append(sector)
                image[where] = bytes(self.uc.mem_read(address + index * SECTOR, SECTOR))
        return 0


def boot(
    image: bytes | bytearray,
    *,
    apm: bool = True,
    cut_after: int | None = None,
    hard_disk: HardDisk | None = None,
    key_after: int | None = None,
    press_on_result: bool = True,
    **faults: object,
) -> tuple[PcResult, BootDisk]:
    """Boot ``image`` (copied) as drive A: or as ``hard_disk``, the space bar pressed once the result line
    is printed (unless ``press_on_result`` is False) or once the keyboard has been looked at ``key_after``
    times; what happened, and the disk afterwards."""
    floppy = BootDisk(bytearray(image), **faults)  # type: ignore[arg-type]
    return Pc(floppy, apm, cut_after, hard_disk, key_after, press_on_result).boot(), floppy
