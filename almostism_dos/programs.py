"""The shipped programs, by their one name each: ``parser`` (liturgy.asm), ``almost`` (ALMOST.COM),
``poweroff`` (POWEROFF.COM), ``embedded`` (boot.asm + host.asm, the self-booting floppy's system).

Sources ship inside the package as ``almostism_dos.asm`` (the repository's top-level ``asm/``), are
assembled with Keystone when first asked for, and must pass the 8086 lint and their size budgets.

:func:`code` keeps the assembled bytes in the user cache, keyed by a hash of everything that decides
them (the sources, the assembler and lint code, the Keystone and Capstone versions), so that a build
need not load Keystone and Capstone at all. :func:`assembly` always assembles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .asm_includes import generated
from .formats import BOOT_LOAD_ADDRESS, BOOT_SIGNATURE, SECTOR, SIGNATURE_OFFSET
from .outputs import OutputError, write_atomically
from .partition import MBR_ORIGIN, PARTITION_TABLE
from .paths import cache_dir
from .scripture import PARSER_SIZE, SIZE

if TYPE_CHECKING:
    from .assembler import Assembly

COM_ORIGIN = 0x100  # where DOS loads a .COM program
BOOT_ORIGIN = BOOT_LOAD_ADDRESS


class BudgetError(Exception):
    """An assembled program is larger than its budget."""


@dataclass(frozen=True)
class Program:
    """One shipped program: its one name (listing, cache, code), its source, where it runs, its budget."""

    name: str
    source: str
    origin: int
    budget: int | None  # the most bytes it may have; the parser must have exactly this many
    what: str
    file_name: str | None = None  # on a floppy or in an export, if it is a file of its own


# The one table of programs: the command line's listing choices and every other use come from it.
PROGRAMS: dict[str, Program] = {
    program.name: program
    for program in (
        Program("parser", "liturgy.asm", 0, PARSER_SIZE, "the parser every scripture carries"),
        Program("almost", "almost.asm", COM_ORIGIN, SIZE, "ALMOST.COM, the liturgy", "ALMOST.COM"),
        Program("poweroff", "poweroff.asm", COM_ORIGIN, None, "POWEROFF.COM, APM power-off", "POWEROFF.COM"),
        Program("embedded", "boot.asm", BOOT_ORIGIN, 2048, "the self-booting floppy: boot sector and host"),
        Program("mbr", "mbr.asm", MBR_ORIGIN, PARTITION_TABLE, "a hard disk's master boot record (its code)"),
    )
}
ALMOST = PROGRAMS["almost"].file_name or ""
POWEROFF = PROGRAMS["poweroff"].file_name or ""
GENERATED_INCLUDES = generated(ALMOST)  # written from Python, never files in asm/


def read_source(name: str) -> str:
    """One of the assembly sources by file name: a shipped ``asm/`` file, or an include written from the
    Python definitions (:mod:`almostism_dos.asm_includes`)."""
    if (write := GENERATED_INCLUDES.get(name)) is not None:
        return write()
    return files("almostism_dos.asm").joinpath(name).read_text(encoding="utf-8")


@cache
def assembly(name: str) -> Assembly:
    """Assemble program ``name`` from its source (always; :func:`code` is the cached bytes).

    The parser is position-independent and assembled at offset 0; it must fill exactly its 42 bytes.
    The embedded system is one program at 0000:7C00, a boot sector ending in 55 AA, then the host.
    """
    from .assembler import assemble
    from .lint8086 import require_8086

    program = PROGRAMS[name]
    built = require_8086(assemble(program.source, read_source, program.origin))
    size = len(built.code)
    if program.name == "parser" and size != program.budget:
        raise BudgetError(f"the parser is {size} bytes, not {program.budget}")
    if program.budget is not None and size > program.budget:
        raise BudgetError(f"{program.what} is {size} bytes, over its budget of {program.budget}")
    if program.origin == BOOT_ORIGIN and built.code[SIGNATURE_OFFSET:SECTOR] != BOOT_SIGNATURE:
        raise BudgetError("the boot sector does not end in 55 AA at byte 510")
    return built


@cache
def _fingerprint() -> str:
    """A hash of everything that decides the assembled bytes."""
    digest = hashlib.sha256()
    sources = files("almostism_dos.asm")
    for item in sorted(sources.iterdir(), key=lambda entry: entry.name):
        if item.name.endswith((".asm", ".inc")):
            digest.update(item.name.encode() + b"\0" + item.read_bytes())
    for name, write in sorted(GENERATED_INCLUDES.items()):
        digest.update(name.encode() + b"\0" + write().encode())
    here = Path(__file__).parent
    for module in ("assembler.py", "lint8086.py", "programs.py"):
        digest.update((here / module).read_bytes())
    from importlib.metadata import version  # (slow to import: only when the cache is consulted)

    digest.update(f"{version('keystone-engine')} {version('capstone')}".encode())
    return digest.hexdigest()[:32]


@cache
def code(name: str) -> bytes:
    """The bytes of program ``name``, from the user cache when they were assembled before."""
    path = cache_dir() / "asm" / f"{name}-{_fingerprint()}.bin"
    try:
        return path.read_bytes()
    except OSError:
        pass
    built = assembly(name).code
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, built, force=True)
    except (OSError, OutputError):
        pass  # an unwritable cache only costs time
    return built


def parser_bytes() -> bytes:
    """The 42 parser bytes every scripture carries at offsets 8..49."""
    return code("parser")


def almost_bytes() -> bytes:
    """The bytes of ALMOST.COM."""
    return code("almost")
