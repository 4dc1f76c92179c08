"""A small DOS machine in Unicorn: run a .COM program against an in-memory disk.

The CPU is Unicorn's x86 in 16-bit real mode; DOS is Python. INT 21h and INT 20h are served by
:class:`DosMachine` with DOS's carry-flag and error-code conventions. A disk error that DOS would report
through INT 24h calls the program's own INT 24h handler (through a trampoline) and honours its answer;
if the program never installed one, the run stops with ``Stop.PROMPT``, because real DOS would now
ask "Abort, Retry, Fail?" and hang a boot test.

Used by the tests and benchmarks; not shipped with the package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from unicorn import UC_HOOK_CODE, UC_HOOK_INTR
from unicorn.unicorn import Uc
from unicorn.x86_const import (
    UC_X86_REG_AX,
    UC_X86_REG_BP,
    UC_X86_REG_BX,
    UC_X86_REG_CS,
    UC_X86_REG_CX,
    UC_X86_REG_DI,
    UC_X86_REG_DS,
    UC_X86_REG_DX,
    UC_X86_REG_ES,
    UC_X86_REG_FLAGS,
    UC_X86_REG_IP,
    UC_X86_REG_SI,
    UC_X86_REG_SP,
    UC_X86_REG_SS,
)

from almostism_dos.asm_includes import PROGRAM_SEGMENT
from vm.machine import Machine, Stop

__all__ = ["Disk", "DosMachine", "RunResult", "Stop", "run_com"]

BIOS_SEGMENT = 0xF000
_CRITICAL_RETURN = 0x0010  # BIOS_SEGMENT:0010 holds INT 0FEh: back from the program's INT 24h handler
_DEFAULT_CRITICAL = 0x0020  # BIOS_SEGMENT:0020 holds INT 0FDh: DOS's own handler, which would prompt
_SAVED_REGISTERS = (
    UC_X86_REG_AX, UC_X86_REG_BX, UC_X86_REG_CX, UC_X86_REG_DX, UC_X86_REG_SI, UC_X86_REG_DI,
    UC_X86_REG_BP, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_IP, UC_X86_REG_SP,
    UC_X86_REG_FLAGS,
)  # fmt: skip

# DOS error codes
FUNCTION_INVALID = 1
FILE_NOT_FOUND = 2
PATH_NOT_FOUND = 3
ACCESS_DENIED = 5
INVALID_HANDLE = 6
INVALID_ACCESS = 0x0C  # an open mode other than 0, 1, 2
FAIL_ON_INT24 = 0x53


@dataclass
class DosFile:
    """A file on the in-memory disk."""

    data: bytearray
    read_only: bool = False


@dataclass
class Disk:
    """An in-memory DOS disk: files by upper-case path, directories, and faults to inject."""

    files: dict[str, DosFile] = field(default_factory=dict)
    directories: set[str] = field(default_factory=set)
    write_protected: bool = False  # writes and deletes raise a critical error (INT 24h)
    refuse_write: bool = False  # INT 21h 40h fails with access denied
    refuse_delete: bool = False  # INT 21h 41h fails with access denied
    write_limit: int | None = None  # a disk this close to full: writes come back short

    def add(self, path: str, data: bytes, read_only: bool = False) -> None:
        """Put a file on the disk."""
        self.files[normalize(path)] = DosFile(bytearray(data), read_only)

    def contents(self) -> dict[str, bytes]:
        """Every file's bytes, for comparing before and after."""
        return {name: bytes(entry.data) for name, entry in self.files.items()}


def normalize(path: str) -> str:
    """A DOS path as this disk keys it: upper case, no drive letter, backslashes, 8.3 parts.

    Like DOS, a name longer than 8.3 is cut to 8.3 ("SCRIPTURE.ALMS" is SCRIPTUR.ALM).
    """
    path = path.upper().replace("/", "\\")
    if len(path) >= 2 and path[1] == ":":
        path = path[2:]
    parts = []
    for part in path.strip("\\").split("\\"):
        base, dot, extension = part.partition(".")
        parts.append(base[:8] + (dot + extension[:3] if dot else ""))
    return "\\".join(parts)


@dataclass
class RunResult:
    """What happened when a program ran."""

    stop: Stop
    exit_code: int | None
    output: str
    int21_calls: list[int]
    executed_watch: set[int]  # offsets (in the program segment) executed inside the watched range
    critical_errors: int
    detail: str = ""  # for a crash: what happened, and where


@dataclass
class _Handle:
    path: str
    position: int
    writable: bool
    readable: bool


@dataclass
class _PendingCritical:
    registers: dict[int, int]
    operation: Callable[[], None]


class DosMachine(Machine):
    """One run of one .COM program: the core with DOS in Python."""

    def __init__(self, disk: Disk, memory_fill: bytes = b"\xcc") -> None:
        super().__init__()
        self.disk = disk
        self.exit_code: int | None = None
        self.uc.mem_write(PROGRAM_SEGMENT * 16, (memory_fill * (0x10000 // len(memory_fill) + 1))[:0x10000])
        bios = BIOS_SEGMENT * 16
        self.uc.mem_write(bios + _CRITICAL_RETURN, b"\xcd\xfe")
        self.uc.mem_write(bios + _DEFAULT_CRITICAL, b"\xcd\xfd")
        self._set_vector(0x24, BIOS_SEGMENT, _DEFAULT_CRITICAL)
        self.handles: dict[int, _Handle] = {}
        self.output = bytearray()
        self.int21_calls: list[int] = []
        self.executed_watch: set[int] = set()
        self.critical_errors = 0
        self.cut_after: int | None = None
        self._pending: _PendingCritical | None = None

    # --- memory and registers (the rest is the core's) ------------------------------------------------
    def _asciiz(self, address: int) -> str:
        raw = self._read(address, 128)
        return raw.split(b"\0", 1)[0].decode("cp437")

    def _ok(self, ax: int | None = None) -> None:
        if ax is not None:
            self._set(UC_X86_REG_AX, ax)
        self._carry(False)

    def _error(self, code: int) -> None:
        self._set(UC_X86_REG_AX, code)
        self._carry(True)

    # --- running ------------------------------------------------------------------------------------
    def run_com(
        self,
        program: bytes,
        tail: str = "",
        *,
        watch: range | None = None,
        cut_after: int | None = None,
        instruction_limit: int = 5_000_000,
    ) -> RunResult:
        """Load ``program`` at PROGRAM_SEGMENT:0100 with command tail ``tail`` and run it."""
        base = PROGRAM_SEGMENT * 16
        tail_bytes = tail.encode("cp437")[:127]
        psp = bytearray(0x100)
        psp[0:2] = b"\xcd\x20"  # INT 20h, where a RET from the program lands
        psp[0x80] = len(tail_bytes)
        psp[0x81 : 0x81 + len(tail_bytes)] = tail_bytes
        if len(tail_bytes) < 127:
            psp[0x81 + len(tail_bytes)] = 0x0D
        self.uc.mem_write(base, bytes(psp))
        self.uc.mem_write(base + 0x100, program)
        for register in (UC_X86_REG_CS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_SS):
            self._set(register, PROGRAM_SEGMENT)
        self.uc.mem_write(base + 0xFFFE, b"\0\0")
        self._set(UC_X86_REG_SP, 0xFFFE)
        self.cut_after = cut_after
        self.uc.hook_add(UC_HOOK_INTR, self._interrupt)
        if watch is not None:
            self.uc.hook_add(UC_HOOK_CODE, self._watched, begin=base + watch.start, end=base + watch.stop - 1)
        stop = self._run(base + 0x100, instruction_limit)
        return RunResult(
            stop,
            self.exit_code,
            self.output.decode("cp437"),
            self.int21_calls,
            self.executed_watch,
            self.critical_errors,
            self.detail,
        )

    def _watched(self, uc: Uc, address: int, size: int, user_data: object) -> None:
        self.executed_watch.add(address - PROGRAM_SEGMENT * 16)

    def _terminate(self, exit_code: int) -> None:
        self.exit_code = exit_code
        self._halt(Stop.EXIT)

    def _interrupt(self, uc: Uc, number: int, user_data: object) -> None:
        if number == 0x21:
            self._int21()
        elif number == 0x20:
            self._terminate(0)
        elif number == 0xFE:
            self._critical_returned()
        elif number == 0xFD:
            self._halt(Stop.PROMPT)
        else:
            self._halt(Stop.CRASH, f"unexpected INT {number:02X}h")

    def _int21(self) -> None:
        function = self._reg(UC_X86_REG_AX) >> 8
        self.int21_calls.append(function)
        handler = self._FUNCTIONS.get(function)
        if handler is None:
            self._error(FUNCTION_INVALID)
        else:
            handler(self)
        self._cut_if_due()

    def _cut_if_due(self) -> None:
        """Stop once ``cut_after`` INT 21h calls have completed (a power cut, for crash tests)."""
        due = self.cut_after is not None and len(self.int21_calls) >= self.cut_after
        if due and self.stop is None and self._pending is None:
            self._halt(Stop.CUT)

    # --- critical errors (INT 24h) --------------------------------------------------------------------
    def _critical(self, operation: Callable[[], None]) -> None:
        """Report a write-protect error through the program's INT 24h, then finish ``operation``."""
        self.critical_errors += 1
        segment, offset = self._vector(0x24)
        registers = {register: self._reg(register) for register in _SAVED_REGISTERS}
        self._pending = _PendingCritical(registers, operation)
        self._set(UC_X86_REG_AX, 0x1F00)  # AH: a write (bit 0), data area (1-2), fail and retry allowed; A:
        self._set(UC_X86_REG_DI, 0)  # 0: write-protected
        self._enter(segment, offset, return_to=(BIOS_SEGMENT, _CRITICAL_RETURN))

    def _critical_returned(self) -> None:
        pending = self._pending
        if pending is None:
            self._halt(Stop.CRASH, "INT 0FEh outside a critical error")
            return
        action = self._reg(UC_X86_REG_AX) & 0xFF
        self._pending = None
        for register, value in pending.registers.items():
            self._set(register, value)
        if action == 1:  # retry
            pending.operation()
        elif action == 3:  # fail
            self._error(FAIL_ON_INT24)
        else:  # ignore is not honoured for writes here; abort ends the program
            self._halt(Stop.ABORT)
            return
        self._cut_if_due()

    # --- INT 21h functions -------------------------------------------------------------------------
    def _print_char(self) -> None:
        self.output.append(self._reg(UC_X86_REG_DX) & 0xFF)

    def _print_string(self) -> None:
        address = self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_DX))
        text = self._read(address, 0x10000 - (address & 0xFFFF))
        end = text.find(b"$")
        if end < 0:
            self._halt(Stop.CRASH, "INT 21h 09h string without '$'")
            return
        self.output += text[:end]

    def _set_vector_call(self) -> None:
        self._set_vector(self._reg(UC_X86_REG_AX) & 0xFF, self._reg(UC_X86_REG_DS), self._reg(UC_X86_REG_DX))

    def _get_vector_call(self) -> None:
        segment, offset = self._vector(self._reg(UC_X86_REG_AX) & 0xFF)
        self._set(UC_X86_REG_ES, segment)
        self._set(UC_X86_REG_BX, offset)

    def _version(self) -> None:
        self._set(UC_X86_REG_AX, 0x0005)  # DOS 5.0
        self._set(UC_X86_REG_BX, 0)
        self._set(UC_X86_REG_CX, 0)

    def _path_error(self, path: str) -> int:
        directory = path.rpartition("\\")[0]
        if directory and directory not in self.disk.directories:
            return PATH_NOT_FOUND
        return ACCESS_DENIED if path in self.disk.directories else FILE_NOT_FOUND

    def _open(self) -> None:
        path = normalize(self._asciiz(self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_DX))))
        mode = self._reg(UC_X86_REG_AX) & 0x07
        entry = self.disk.files.get(path)
        if entry is None:
            self._error(self._path_error(path))
            return
        if mode > 2:
            self._error(INVALID_ACCESS)
            return
        writable = mode in (1, 2)
        if writable and entry.read_only:
            self._error(ACCESS_DENIED)
            return
        handle = 5
        while handle in self.handles:
            handle += 1
        self.handles[handle] = _Handle(path, 0, writable, mode in (0, 2))
        self._ok(handle)

    def _handle(self) -> _Handle | None:
        handle = self.handles.get(self._reg(UC_X86_REG_BX))
        if handle is None or handle.path not in self.disk.files:
            self._error(INVALID_HANDLE)
            return None
        return handle

    def _close(self) -> None:
        if self._handle() is not None:
            del self.handles[self._reg(UC_X86_REG_BX)]
            self._ok()

    def _read_file(self) -> None:
        handle = self._handle()
        if handle is None:
            return
        if not handle.readable:
            self._error(ACCESS_DENIED)
            return
        data = self.disk.files[handle.path].data
        chunk = bytes(data[handle.position : handle.position + self._reg(UC_X86_REG_CX)])
        self.uc.mem_write(self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_DX)), chunk)
        handle.position += len(chunk)
        self._ok(len(chunk))

    def _write_file(self) -> None:
        handle = self._handle()
        if handle is None:
            return
        if not handle.writable or self.disk.refuse_write:
            self._error(ACCESS_DENIED)
            return
        if self.disk.write_protected:
            self._critical(self._write_file)
            return
        count = self._reg(UC_X86_REG_CX)
        data = self.disk.files[handle.path].data
        if count == 0:  # DOS: a zero-byte write truncates or extends the file here
            del data[handle.position :]
            data.extend(bytes(max(0, handle.position - len(data))))
            self._ok(0)
            return
        if self.disk.write_limit is not None:
            count = min(count, self.disk.write_limit)
        chunk = self._read(self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_DX)), count)
        if handle.position > len(data):
            data.extend(bytes(handle.position - len(data)))
        data[handle.position : handle.position + count] = chunk
        handle.position += count
        self._ok(count)

    def _delete(self) -> None:
        path = normalize(self._asciiz(self._linear(UC_X86_REG_DS, self._reg(UC_X86_REG_DX))))
        entry = self.disk.files.get(path)
        if entry is None:
            self._error(self._path_error(path))
            return
        if entry.read_only or self.disk.refuse_delete:
            self._error(ACCESS_DENIED)
            return
        if self.disk.write_protected:
            self._critical(self._delete)
            return
        del self.disk.files[path]
        self._ok()

    def _seek(self) -> None:
        handle = self._handle()
        if handle is None:
            return
        method = self._reg(UC_X86_REG_AX) & 0xFF
        offset = (self._reg(UC_X86_REG_CX) << 16) | self._reg(UC_X86_REG_DX)
        if offset & 0x80000000:
            offset -= 1 << 32
        size = len(self.disk.files[handle.path].data)
        if method > 2:
            self._error(FUNCTION_INVALID)
            return
        position = offset + (0, handle.position, size)[method]
        if position < 0:
            self._error(0x19)  # seek error
            return
        handle.position = position
        self._set(UC_X86_REG_DX, position >> 16)
        self._ok(position & 0xFFFF)

    def _exit(self) -> None:
        self._terminate(self._reg(UC_X86_REG_AX) & 0xFF)

    _FUNCTIONS: ClassVar[dict[int, Callable[[DosMachine], None]]] = {
        0x02: _print_char,
        0x09: _print_string,
        0x25: _set_vector_call,
        0x30: _version,
        0x35: _get_vector_call,
        0x3D: _open,
        0x3E: _close,
        0x3F: _read_file,
        0x40: _write_file,
        0x41: _delete,
        0x42: _seek,
        0x4C: _exit,
    }


def run_com(
    program: bytes,
    disk: Disk,
    tail: str = "",
    *,
    watch: range | None = None,
    cut_after: int | None = None,
    memory_fill: bytes = b"\xcc",
) -> RunResult:
    """Run ``program`` once on ``disk`` (changed in place) and say what happened."""
    return DosMachine(disk, memory_fill).run_com(program, tail, watch=watch, cut_after=cut_after)
