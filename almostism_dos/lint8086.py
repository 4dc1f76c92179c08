"""Reject any assembled instruction an 8088 cannot run.

Every CODE line of an :class:`~almostism_dos.assembler.Assembly` is disassembled with Capstone and must
decode as exactly one instruction that uses only 8086 prefixes and opcodes. Data directives are not
disassembled (the text "of" is ``6F 66``). A line that assembled to nothing, or lost the segment override
its source names, is rejected too: Keystone silently drops ``cs:`` written on a line of its own.
"""

from __future__ import annotations

import re

from capstone import CS_ARCH_X86, CS_MODE_16, Cs

from .assembler import Assembly, LineKind, ListingLine

_ALLOWED_PREFIXES = {0x26: "es", 0x2E: "cs", 0x36: "ss", 0x3E: "ds", 0xF0: "lock", 0xF2: "repne", 0xF3: "rep"}
_FORBIDDEN_PREFIXES = {
    0x64: "fs: prefix (386+)",
    0x65: "gs: prefix (386+)",
    0x66: "operand-size prefix 0x66 (386+)",
    0x67: "address-size prefix 0x67 (386+)",
}
_FORBIDDEN_OPCODES = {
    0x0F: "two-byte opcode 0x0F (286+)",
    0x60: "pusha (186+)",
    0x61: "popa (186+)",
    0x62: "bound (186+)",
    0x63: "arpl (286+)",
    0x68: "push imm16 (186+)",
    0x69: "imul with immediate (186+)",
    0x6A: "push imm8 (186+)",
    0x6B: "imul with immediate (186+)",
    0x6C: "insb (186+)",
    0x6D: "insw (186+)",
    0x6E: "outsb (186+)",
    0x6F: "outsw (186+)",
    0xC0: "shift/rotate by an immediate (186+)",
    0xC1: "shift/rotate by an immediate (186+)",
    0xC8: "enter (186+)",
    0xC9: "leave (186+)",
    0xD6: "salc (undocumented)",
    0xF1: "icebp (386+)",
}
_SEGMENT_OVERRIDE = re.compile(r"\b([cdes]s)\s*:", re.I)
_DISASSEMBLER = Cs(CS_ARCH_X86, CS_MODE_16)


class Not8086Error(Exception):
    """The program contains bytes an 8086/8088 would not execute as written."""


def _problem(line: ListingLine) -> str | None:
    data = line.data
    if not data:
        return "assembled to nothing (Keystone dropped it)"
    decoded = list(_DISASSEMBLER.disasm(data, line.address))
    if sum(insn.size for insn in decoded) != len(data) or len(decoded) != 1:
        return f"does not decode as one instruction: {data.hex(' ')}"
    position = 0
    prefixes = set()
    while data[position] in _ALLOWED_PREFIXES or data[position] in _FORBIDDEN_PREFIXES:
        if data[position] in _FORBIDDEN_PREFIXES:
            return _FORBIDDEN_PREFIXES[data[position]]
        prefixes.add(_ALLOWED_PREFIXES[data[position]])
        position += 1
    opcode = data[position]
    if opcode in _FORBIDDEN_OPCODES:
        return _FORBIDDEN_OPCODES[opcode]
    if opcode in (0x8C, 0x8E) and len(data) > position + 1 and (data[position + 1] >> 3) & 7 > 3:
        return "fs/gs segment register (386+)"
    for segment in _SEGMENT_OVERRIDE.findall(line.source.statement):
        if segment.lower() not in prefixes:
            return f"the {segment}: override was dropped"
    return None


def lint(assembly: Assembly) -> list[str]:
    """Return one message per line that is not 8086 code (empty when clean)."""
    problems = []
    for line in assembly.lines:
        if line.source.kind is not LineKind.CODE:
            continue
        problem = _problem(line)
        if problem:
            where = f"{line.source.file}:{line.source.number}"
            problems.append(f"{where}: {line.source.statement!r} -> {line.data.hex(' ')}: {problem}")
    return problems


def require_8086(assembly: Assembly) -> Assembly:
    """Return ``assembly`` unchanged, or raise :class:`Not8086Error` listing every offending line."""
    problems = lint(assembly)
    if problems:
        raise Not8086Error("not 8086 code:\n  " + "\n  ".join(problems))
    return assembly
