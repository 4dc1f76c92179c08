"""A small PC in Unicorn: boot a floppy image with BIOS services in Python.

The BIOS is Python: INT 10h (teletype output), INT 13h (reset, read and write sectors of the image, with
write-protect and injected errors), INT 15h AH=53h (APM, present or not), INT 1Ah AH=00h (a tick count
that advances by one at every read: time passes only when someone looks). Every other interrupt is
delivered as real mode does it, through the interrupt vector table, so the embedded host's INT 21h and
INT 24h run as its own code. Fast enough to test FAT12 edge cases without a VM.

Used by the tests and benchmarks; not shipped with the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from unicorn import UC_ARCH_X86, UC_HOOK_INTR, UC_MODE_16
from unicorn.unicorn import Uc, UcError
from unicorn.x86_const import (
    UC_X86_REG_AX,
    UC_X86_REG_BX,
    UC_X86_REG_CS,
    UC_X86_REG_CX,
    UC_X86_REG_DX,
    UC_X86_REG_ES,
    UC_X86_REG_FLAGS,
    UC_X86_REG_IP,
    UC_X86_REG_SP,
    UC_X86_REG_SS,
)

from almostism_dos.formats import SECTOR, BootParameters


@dataclass
class Floppy:
    """The disk in drive A:, and the faults it should show."""

    image: bytearray
    write_protected: bool = False
    failing_reads: dict[int, int] = field(default_factory=dict)  # LBA -> how many reads of it fail first
    reads: list[int] = field(default_factory=list)  # every sector read, in order
    failed_reads: list[int] = field(default_factory=list)  # every sector whose read failed, in order
    writes: list[int] = field(default_factory=list)  # every sector written, in order


class Stop(Enum):
    """How a boot ended."""

    POWEROFF = "poweroff"  # APM power-off
    HALT = "halt"  # a HLT with nothing left to do (no APM)
    CUT = "cut"  # cut_after reached: a power cut, for crash tests
    LIMIT = "limit"  # the instruction limit ran out
    CRASH = "crash"  # something no boot should do; ``detail`` says what


@dataclass
class PcResult:
    """How the boot ended."""

    stop: Stop
    output: str  # what went through INT 10h teletype
    int21_calls: int  # INT 21h calls made (by the program, through the host)
    detail: str = ""  # for a crash: what happened, and where


class Pc:
    """One boot of one floppy."""

    def __init__(self, floppy: Floppy, apm: bool = True, cut_after: int | None = None) -> None:
        self.floppy = floppy
        self.apm = apm
        self.cut_after = cut_after  # power cut once this many INT 21h calls have been made
        self.int21_calls = 0
        self.parameters = BootParameters.unpack(bytes(floppy.image[:SECTOR]))
        self.uc = Uc(UC_ARCH_X86, UC_MODE_16)
        self.uc.mem_map(0, 0x100000)
        unset = (0xFFF0).to_bytes(2, "little") + (0xF000).to_bytes(2, "little")
        self.uc.mem_write(0, unset * 256)  # every vector unset until someone sets it
        self.output = bytearray()
        self.stop: Stop | None = None
        self.detail = ""
        self.ticks = 0  # the BIOS tick count (INT 1Ah)

    def _reg(self, register: int) -> int:
        return int(self.uc.reg_read(register))

    def _set(self, register: int, value: int) -> None:
        self.uc.reg_write(register, value & 0xFFFF)

    def _carry(self, on: bool) -> None:
        flags = self._reg(UC_X86_REG_FLAGS)
        self._set(UC_X86_REG_FLAGS, flags | 1 if on else flags & ~1)

    def boot(self, instruction_limit: int = 20_000_000) -> PcResult:
        """Load sector 0 to 0000:7C00 and run it with DL = 0 (drive A:)."""
        self.uc.mem_write(0x7C00, bytes(self.floppy.image[:SECTOR]))
        for register in (UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_ES):
            self._set(register, 0)
        self._set(UC_X86_REG_SP, 0x7000)
        self._set(UC_X86_REG_DX, 0)
        self.uc.hook_add(UC_HOOK_INTR, self._interrupt)
        try:
            self.uc.emu_start(0x7C00, 0xFFFFF, count=instruction_limit)
        except UcError as error:
            if self.stop is None:
                self._halt(
                    Stop.CRASH, f"{error} at {self._reg(UC_X86_REG_CS):04X}:{self._reg(UC_X86_REG_IP):04X}"
                )
        if self.stop is None:
            here = self._reg(UC_X86_REG_CS) * 16 + self._reg(UC_X86_REG_IP)
            halted = bytes(self.uc.mem_read(max(0, here - 1), 1)) == b"\xf4"
            self.stop = Stop.HALT if halted else Stop.LIMIT
        return PcResult(self.stop, self.output.decode("cp437"), self.int21_calls, self.detail)

    def _halt(self, reason: Stop, detail: str = "") -> None:
        self.stop = reason
        self.detail = detail
        self.uc.emu_stop()

    def _interrupt(self, uc: Uc, number: int, user_data: object) -> None:
        if number == 0x10:
            self._video()
        elif number == 0x13:
            self._disk()
        elif number == 0x15:
            self._system()
        elif number == 0x1A:
            self._clock()
        else:
            if number == 0x21:
                if self.cut_after is not None and self.int21_calls >= self.cut_after:
                    self._halt(Stop.CUT)  # the earlier calls have all returned: power off here
                    return
                self.int21_calls += 1
            self._deliver(number)

    def _deliver(self, number: int) -> None:
        """Real-mode interrupt delivery: push FLAGS, CS, IP; clear IF and TF; jump through the table."""
        vector = int.from_bytes(bytes(self.uc.mem_read(number * 4, 4)), "little")
        if vector == (0xF000 << 16 | 0xFFF0):
            self._halt(Stop.CRASH, f"INT {number:02X}h has no handler")
            return
        flags = self._reg(UC_X86_REG_FLAGS)
        sp = (self._reg(UC_X86_REG_SP) - 6) & 0xFFFF
        frame = (
            self._reg(UC_X86_REG_IP).to_bytes(2, "little")
            + self._reg(UC_X86_REG_CS).to_bytes(2, "little")
            + flags.to_bytes(2, "little")
        )
        self.uc.mem_write(self._reg(UC_X86_REG_SS) * 16 + sp, frame)
        self._set(UC_X86_REG_SP, sp)
        self._set(UC_X86_REG_FLAGS, flags & ~0x0300)
        self._set(UC_X86_REG_CS, vector >> 16)
        self._set(UC_X86_REG_IP, vector & 0xFFFF)

    def _video(self) -> None:
        ax = self._reg(UC_X86_REG_AX)
        if ax >> 8 == 0x0E and ax & 0xFF:
            self.output.append(ax & 0xFF)

    def _clock(self) -> None:
        if self._reg(UC_X86_REG_AX) >> 8 != 0x00:
            return  # only the tick count is modelled
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
        if function == 0x00:  # reset
            self._set(UC_X86_REG_AX, 0)
            self._carry(False)
            return
        if function not in (0x02, 0x03):
            self._set(UC_X86_REG_AX, 0x0100)  # invalid function
            self._carry(True)
            return
        cx, dx = self._reg(UC_X86_REG_CX), self._reg(UC_X86_REG_DX)
        cylinder, sector, head = cx >> 8 | (cx & 0xC0) << 2, cx & 0x3F, dx >> 8
        p = self.parameters
        lba = (cylinder * p.heads + head) * p.sectors_per_track + sector - 1
        address = self._reg(UC_X86_REG_ES) * 16 + self._reg(UC_X86_REG_BX)
        status = self._transfer(function, lba, count, address)
        self._set(UC_X86_REG_AX, status << 8 | (0 if status else count))
        self._carry(status != 0)

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
                self.uc.mem_write(address + index * SECTOR, bytes(image[where]))
            else:
                self.floppy.writes.append(sector)
                image[where] = bytes(self.uc.mem_read(address + index * SECTOR, SECTOR))
        return 0


def boot(
    image: bytes | bytearray, *, apm: bool = True, cut_after: int | None = None, **faults: object
) -> tuple[PcResult, Floppy]:
    """Boot ``image`` (copied) and return what happened and the floppy afterwards."""
    floppy = Floppy(bytearray(image), **faults)  # type: ignore[arg-type]
    return Pc(floppy, apm, cut_after).boot(), floppy
