"""Assemble annotated 8086 sources with Keystone and produce a listing.

Keystone 0.9.2 is used as the encoder, but this module owns everything around it:

* ``;`` starts a comment (Keystone itself treats ``;`` as a statement separator and ``#`` as a comment).
* ``.include "file.inc"`` pulls in another source from the same folder.
* Keystone's 16-bit mode emits 386 encodings for near calls and returns (upstream keystone-engine
  issue #557). These spellings are encoded here, as an 8086 assembler would, never by Keystone:

  ===================  ==========================================
  ``call LABEL``       ``E8 rel16``  (near call)
  ``ret`` / ``retf``   ``C3`` / ``CB`` (``ret N`` / ``retf N``: ``C2`` / ``CA`` imm16)
  ``jmp near LABEL``   ``E9 rel16``  (near jump; plain ``jmp`` stays short)
  ``jmp far S:O``      ``EA`` offset16 segment16
  ===================  ==========================================

  Register-indirect ``call reg`` / ``jmp reg`` pass through: Keystone encodes them correctly.
* ``.equ NAME, "text"`` defines a string constant; ``.ascii``/``.asciz`` take it by name (so a word
  Python also prints can be written once, in a generated include: :mod:`almostism_dos.asm_includes`).
* ``.pad_to LABEL, SIZE`` (a number or an ``.equ`` name) fills with NOP (0x90) up to SIZE bytes after
  LABEL. (A ``.fill`` whose count depends on a label hangs Keystone, so the count is computed here by
  re-assembling until stable.)

Whatever Keystone still gets wrong is caught by :mod:`almostism_dos.lint8086`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from keystone import KS_ARCH_X86, KS_MODE_16, Ks, KsError


class AssemblyError(Exception):
    """A source could not be assembled; the message names the file and line."""


class LineKind(Enum):
    """What a source line is expected to emit."""

    NOTHING = "nothing"  # blank, comment, label only, .equ
    CODE = "code"  # one instruction: linted as 8086
    DATA = "data"  # .byte/.word/.ascii/.asciz/.fill/.pad_to: never disassembled


@dataclass(frozen=True)
class SourceLine:
    """One line of annotated source, after includes are expanded."""

    file: str
    number: int
    text: str  # the line exactly as written, comment included
    statement: str  # the statement, comment and label stripped
    kind: LineKind
    label: str | None  # a label defined on this line


@dataclass(frozen=True)
class ListingLine:
    """A source line with the address and bytes it assembled to."""

    address: int
    data: bytes
    source: SourceLine


@dataclass(frozen=True)
class Assembly:
    """The result of assembling one program."""

    origin: int
    code: bytes
    lines: tuple[ListingLine, ...]
    symbols: Mapping[str, int]

    def listing(self) -> str:
        """Render a listing: address, bytes and the source line with its comment."""
        out: list[str] = []
        for line in self.lines:
            data = line.data
            first, rest = data[:8], data[8:]
            placed = data or line.source.label or line.source.kind is not LineKind.NOTHING
            address = f"{line.address:04X}" if placed else "    "
            out.append(f"{address}  {first.hex(' ').upper():<23}  {line.source.text}")
            for offset in range(0, len(rest), 8):
                chunk = rest[offset : offset + 8]
                out.append(f"{line.address + 8 + offset:04X}  {chunk.hex(' ').upper():<23}")
        return "\n".join(out) + "\n"


SourceReader = Callable[[str], str]

_DATA_DIRECTIVES = {".byte", ".word", ".ascii", ".asciz", ".fill", ".pad_to"}
_SILENT_DIRECTIVES = {".equ"}
_IDENTIFIER = r"[A-Za-z_][\w]*"
_LABEL = re.compile(rf"^\s*({_IDENTIFIER}):(.*)$")
_INCLUDE = re.compile(r'^\s*\.include\s+"([^"]+)"\s*$')
_EQU = re.compile(rf"^\.equ\s+({_IDENTIFIER})\s*,\s*(\S+|\"[^\"\\\\]*\")$")
_WORD = re.compile(r"\b[A-Za-z_]\w*\b")
_MAX_PASSES = 16
_ENGINE = Ks(KS_ARCH_X86, KS_MODE_16)
_PAD_TO = re.compile(rf"^\.pad_to\s+({_IDENTIFIER})\s*,\s*(\d+|0x[0-9a-fA-F]+|{_IDENTIFIER})$")
_SEGMENT_REGISTERS = {"cs", "ds", "es", "ss"}  # "cs:" begins an override, not a label
_REGISTERS = {
    "ax", "bx", "cx", "dx", "si", "di", "bp", "sp",
    "al", "ah", "bl", "bh", "cl", "ch", "dl", "dh",
}  # fmt: skip
# 8086 encodings for what Keystone's 16-bit mode emits as 386 code: opcode, then rel16 to a label.
_NEAR_BRANCH = re.compile(rf"^(call|jmp\s+near)\s+({_IDENTIFIER})$", re.I)
_NEAR_OPCODE = {"call": 0xE8, "jmp": 0xE9}
_FIXED = {"ret": b"\xc3", "retf": b"\xcb"}
_FAR_JUMP = re.compile(r"^jmp\s+far\s+(\w+)\s*:\s*(\w+)$", re.I)  # EA offset16 segment16
_RETURN_POP = re.compile(r"^(ret|retf)\s+(\d+|0x[0-9a-fA-F]+)$", re.I)  # C2 / CA imm16


def split_comment(line: str) -> tuple[str, str]:
    """Split a line at the first ``;`` that is not inside a quoted string."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == "\\":
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ";":
            return line[:index], line[index:]
    return line, ""


def _is_near_form(statement: str) -> bool:
    """True for the statements encoded here rather than by Keystone."""
    match = _NEAR_BRANCH.match(statement)
    if statement.lower() in _FIXED or _RETURN_POP.match(statement) or _FAR_JUMP.match(statement):
        return True
    return bool(match and match[2].lower() not in _REGISTERS)


def _encode_near_form(statement: str, address: int, symbols: Mapping[str, int]) -> bytes:
    """8086 near call/jmp (opcode + rel16), ret, retf."""
    if statement.lower() in _FIXED:
        return _FIXED[statement.lower()]
    if far := _FAR_JUMP.match(statement):
        segment, offset = (symbols[part] if part in symbols else int(part, 0) for part in (far[1], far[2]))
        return b"\xea" + (offset & 0xFFFF).to_bytes(2, "little") + (segment & 0xFFFF).to_bytes(2, "little")
    if popping := _RETURN_POP.match(statement):
        opcode = 0xC2 if popping[1].lower() == "ret" else 0xCA
        return bytes([opcode]) + int(popping[2], 0).to_bytes(2, "little")
    match = _NEAR_BRANCH.match(statement)
    assert match
    opcode = _NEAR_OPCODE[match[1].split()[0].lower()]
    displacement = (symbols[match[2]] - (address + 3)) & 0xFFFF
    return bytes([opcode]) + displacement.to_bytes(2, "little")


def _classify(statement: str) -> LineKind:
    if not statement:
        return LineKind.NOTHING
    if _is_near_form(statement):
        return LineKind.CODE
    word = statement.split()[0].lower()
    if word in _DATA_DIRECTIVES:
        return LineKind.DATA
    if word in _SILENT_DIRECTIVES:
        return LineKind.NOTHING
    if word.startswith("."):
        raise ValueError(f"unsupported directive {word}")
    return LineKind.CODE


def parse_source(name: str, read: SourceReader, _seen: tuple[str, ...] = ()) -> list[SourceLine]:
    """Read a source and its includes into :class:`SourceLine` records."""
    if name in _seen:
        raise AssemblyError(f"{name}: included recursively")
    lines: list[SourceLine] = []
    for number, text in enumerate(read(name).splitlines(), start=1):
        include = _INCLUDE.match(split_comment(text)[0])
        if include:
            lines.extend(parse_source(include[1], read, (*_seen, name)))
            continue
        code = split_comment(text)[0].strip()
        label = None
        match = _LABEL.match(code)
        if match and match[1].lower() not in _SEGMENT_REGISTERS:
            label, code = match[1], match[2].strip()
        try:
            kind = _classify(code)
        except ValueError as error:
            raise AssemblyError(f"{name}:{number}: {error}") from None
        lines.append(SourceLine(name, number, text.rstrip(), code, kind, label))
    return lines


def _equ_value(line: SourceLine) -> tuple[str, int | str]:
    """Evaluate ``.equ NAME, NUMBER`` or ``.equ NAME, "text"`` (the text with its quotes)."""
    match = _EQU.match(line.statement)
    if not match:
        raise AssemblyError(f"{line.file}:{line.number}: .equ takes a name and a number or a string")
    if match[2].startswith('"'):
        return match[1], match[2]
    try:
        return match[1], int(match[2], 0)
    except ValueError:
        raise AssemblyError(f"{line.file}:{line.number}: .equ value must be a number") from None


def _substitute(statement: str, symbols: Mapping[str, int], strings: Mapping[str, str]) -> str:
    """Replace every symbol outside quotes by its value (a number in hex, a string in its quotes), so
    Keystone sees numbers and strings only."""

    def value(match: re.Match[str]) -> str:
        if match[0] in strings:
            return strings[match[0]]
        return hex(symbols[match[0]]) if match[0] in symbols else match[0]

    parts = re.split(r"(\"[^\"]*\"|'[^']*')", statement)
    for index in range(0, len(parts), 2):
        parts[index] = _WORD.sub(value, parts[index])
    return "".join(parts)


def _encode(line: SourceLine, address: int, symbols: Mapping[str, int], strings: Mapping[str, str]) -> bytes:
    """Encode one statement at ``address`` with Keystone."""
    pad = _PAD_TO.match(line.statement)
    if pad:
        label = pad[1]
        size = symbols[pad[2]] if pad[2] in symbols else int(pad[2], 0)
        if label not in symbols:
            raise AssemblyError(f"{line.file}:{line.number}: no label {label}")
        used = address - symbols[label]
        if used > size:
            raise AssemblyError(f"{line.file}:{line.number}: {label} is {used} bytes, over {size}")
        return b"\x90" * (size - used)
    if _is_near_form(line.statement):
        if (match := _NEAR_BRANCH.match(line.statement)) and match[2] not in symbols:
            raise AssemblyError(f"{line.file}:{line.number}: no label {match[2]}")
        return _encode_near_form(line.statement, address, symbols)
    try:
        encoding, _ = _ENGINE.asm(_substitute(line.statement, symbols, strings), address)
    except KsError as error:
        raise AssemblyError(f"{line.file}:{line.number}: {line.statement!r}: Keystone: {error}") from None
    return bytes(encoding or b"")


def assemble_lines(lines: list[SourceLine], origin: int) -> Assembly:
    """Assemble parsed source lines at ``origin``.

    Two-pass style: symbols are resolved here and substituted as numbers, Keystone encodes one
    statement at a time, and passes repeat until no address moves. (Keystone resolving a label itself
    can silently drop it: ``mov al, [buffer + 50]`` with ``buffer`` defined later encodes ``[0x32]``.)
    """
    constants: dict[str, int] = {}
    strings: dict[str, str] = {}
    for line in lines:
        if line.statement.startswith(".equ"):
            name, value = _equ_value(line)
            if {**constants, **strings}.get(name, value) != value:  # (an include may come twice)
                raise AssemblyError(f"{line.file}:{line.number}: {name} defined twice, differently")
            if isinstance(value, str):
                strings[name] = value
            else:
                constants[name] = value
    names = [line.label for line in lines if line.label]
    labels: dict[str, int] = {}
    for _ in range(_MAX_PASSES):
        address = origin
        defined: dict[str, int] = {}
        encoded: list[ListingLine] = []
        for line in lines:
            if line.label:
                if line.label in defined or line.label in constants or line.label in strings:
                    raise AssemblyError(f"{line.file}:{line.number}: {line.label} defined twice")
                defined[line.label] = address
            data = b""
            if line.kind is not LineKind.NOTHING:
                # Labels not yet placed in this pass take last pass's address (or, at first, this one).
                guess = {name: labels.get(name, address) for name in names}
                data = _encode(line, address, {**guess, **defined, **constants}, strings)
            encoded.append(ListingLine(address, data, line))
            address += len(data)
        if defined == labels:
            code = b"".join(line.data for line in encoded)
            return Assembly(origin, code, tuple(encoded), {**labels})
        labels = defined
    raise AssemblyError(f"addresses did not settle after {_MAX_PASSES} passes")


def assemble(name: str, read: SourceReader, origin: int = 0) -> Assembly:
    """Assemble the source ``name`` (and its includes, fetched with ``read``) at ``origin``."""
    return assemble_lines(parse_source(name, read), origin)
