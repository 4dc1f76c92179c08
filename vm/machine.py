"""The one Unicorn core both harnesses run on: an 8086-compatible CPU in real mode, 1 MB of memory, the
registers, the carry flag, the interrupt vector table and real-mode interrupt delivery, and one way for a
run to end (:class:`Stop`). Its two personalities add what answers the interrupts: ``dos`` (DOS in
Python, running a .COM program) and ``pc`` (a BIOS in Python, booting a floppy).
"""

from __future__ import annotations

from enum import Enum

from unicorn import UC_ARCH_X86, UC_MODE_16
from unicorn.unicorn import Uc, UcError
from unicorn.x86_const import UC_X86_REG_CS, UC_X86_REG_FLAGS, UC_X86_REG_IP, UC_X86_REG_SP, UC_X86_REG_SS

MEMORY = 0x100000  # 1 MB: all real mode can address (without the HMA)
CARRY = 0x0001
INTERRUPT_AND_TRAP = 0x0300  # IF and TF: cleared on entry to an interrupt handler


class Stop(Enum):
    """How a run ended (each personality reaches the ones it can)."""

    EXIT = "exit"  # dos: the program terminated through DOS
    POWEROFF = "poweroff"  # pc: APM power-off
    HALT = "halt"  # pc: a HLT with nothing left to do (no APM)
    KEY = "key"  # pc: waits for a key nobody will press (a real boot test would hang there)
    PROMPT = "prompt"  # dos: a critical error with no handler: DOS would ask "Abort, Retry, Fail?"
    ABORT = "abort"  # dos: the program's INT 24h handler answered "abort"
    CUT = "cut"  # cut_after reached: a power cut, for crash tests
    LIMIT = "limit"  # the instruction limit ran out
    CRASH = "crash"  # something no program should do; the detail says what


class Machine:
    """A real-mode x86 in Unicorn with its memory, registers and interrupt table."""

    def __init__(self) -> None:
        self.uc = Uc(UC_ARCH_X86, UC_MODE_16)
        self.uc.mem_map(0, MEMORY)
        self.stop: Stop | None = None
        self.detail = ""  # for a crash: what happened, and where

    def _reg(self, register: int) -> int:
        return int(self.uc.reg_read(register))

    def _set(self, register: int, value: int) -> None:
        self.uc.reg_write(register, value & 0xFFFF)

    def _carry(self, on: bool) -> None:
        flags = self._reg(UC_X86_REG_FLAGS)
        self._set(UC_X86_REG_FLAGS, flags | CARRY if on else flags & ~CARRY)

    def _linear(self, segment_register: int, offset: int) -> int:
        return self._reg(segment_register) * 16 + (offset & 0xFFFF)

    def _read(self, address: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(address, size)) if size else b""

    def _vector(self, number: int) -> tuple[int, int]:
        """Interrupt ``number``'s handler as (segment, offset)."""
        raw = self._read(number * 4, 4)
        return int.from_bytes(raw[2:], "little"), int.from_bytes(raw[:2], "little")

    def _set_vector(self, number: int, segment: int, offset: int) -> None:
        self.uc.mem_write(number * 4, offset.to_bytes(2, "little") + segment.to_bytes(2, "little"))

    def _push_frame(self, segment: int, offset: int) -> None:
        """Push an interrupt frame (FLAGS, then the return address ``segment:offset``), as INT does."""
        sp = (self._reg(UC_X86_REG_SP) - 6) & 0xFFFF
        frame = (
            offset.to_bytes(2, "little")
            + segment.to_bytes(2, "little")
            + self._reg(UC_X86_REG_FLAGS).to_bytes(2, "little")
        )
        self.uc.mem_write(self._linear(UC_X86_REG_SS, sp), frame)
        self._set(UC_X86_REG_SP, sp)

    def _enter(self, segment: int, offset: int, return_to: tuple[int, int] | None = None) -> None:
        """Enter an interrupt handler at ``segment:offset`` as real mode does: push the frame (returning to
        where the CPU is, or to ``return_to``), clear IF and TF, jump."""
        back = return_to or (self._reg(UC_X86_REG_CS), self._reg(UC_X86_REG_IP))
        self._push_frame(*back)
        self._set(UC_X86_REG_FLAGS, self._reg(UC_X86_REG_FLAGS) & ~INTERRUPT_AND_TRAP)
        self._set(UC_X86_REG_CS, segment)
        self._set(UC_X86_REG_IP, offset)

    def _halt(self, reason: Stop, detail: str = "") -> None:
        """End the run here, for ``reason``."""
        self.stop = reason
        self.detail = detail
        self.uc.emu_stop()

    def _run(self, start: int, instruction_limit: int) -> Stop:
        """Run from linear address ``start`` until something halts the machine; a fault is a crash, and
        an exhausted instruction limit is :attr:`Stop.LIMIT` (or :attr:`Stop.HALT` on a HLT)."""
        try:
            self.uc.emu_start(start, MEMORY - 1, count=instruction_limit)
        except UcError as error:
            if self.stop is None:
                where = f"{self._reg(UC_X86_REG_CS):04X}:{self._reg(UC_X86_REG_IP):04X}"
                self._halt(Stop.CRASH, f"{error} at {where}")
        if self.stop is None:
            here = self._linear(UC_X86_REG_CS, self._reg(UC_X86_REG_IP))
            self.stop = Stop.HALT if self._read(max(0, here - 1), 1) == b"\xf4" else Stop.LIMIT
        return self.stop
