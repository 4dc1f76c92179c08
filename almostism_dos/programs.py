"""The assembled programs: the parser (liturgy.asm), ALMOST.COM (almost.asm), POWEROFF.COM (poweroff.asm).

Sources ship inside the package as ``almostism_dos.asm`` (the repository's top-level ``asm/``), are
assembled with Keystone when first asked for, and must pass the 8086 lint and their size budgets.

The ``*_bytes`` functions keep the assembled bytes in the user cache, keyed by a hash of everything that
decides them (the sources, the assembler and lint code, the Keystone and Capstone versions), so that a
build need not load Keystone and Capstone at all. The ``*_assembly`` functions always assemble.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .outputs import OutputError, write_atomically
from .paths import cache_dir

if TYPE_CHECKING:
    from .assembler import Assembly

PARSER_SOURCE = "liturgy.asm"
LOADER_SOURCE = "almost.asm"
POWEROFF_SOURCE = "poweroff.asm"
EMBEDDED_SOURCE = "boot.asm"  # the boot sector, then the host
EMBEDDED_ORIGIN = 0x7C00
EMBEDDED_BUDGET = 2048
PARSER_SIZE = 42
LOADER_BUDGET = 512
COM_ORIGIN = 0x100


class BudgetError(Exception):
    """An assembled program is larger than its budget."""


def read_source(name: str) -> str:
    """Read one of the shipped assembly sources by file name."""
    return files("almostism_dos.asm").joinpath(name).read_text(encoding="utf-8")


def _within(assembly: Assembly, budget: int, what: str) -> Assembly:
    if len(assembly.code) > budget:
        raise BudgetError(f"{what} is {len(assembly.code)} bytes, over its budget of {budget}")
    return assembly


def _assemble(source: str, origin: int) -> Assembly:
    from .assembler import assemble
    from .lint8086 import require_8086

    return require_8086(assemble(source, read_source, origin))


@cache
def parser_assembly() -> Assembly:
    """The parser, assembled at offset 0 (it is position-independent) and padded to 42 bytes."""
    assembly = _assemble(PARSER_SOURCE, 0)
    if len(assembly.code) != PARSER_SIZE:
        raise BudgetError(f"the parser is {len(assembly.code)} bytes, not {PARSER_SIZE}")
    return assembly


@cache
def loader_assembly() -> Assembly:
    """ALMOST.COM, assembled at 0x100 as DOS loads a .COM program."""
    return _within(_assemble(LOADER_SOURCE, COM_ORIGIN), LOADER_BUDGET, "ALMOST.COM")


@cache
def poweroff_assembly() -> Assembly:
    """POWEROFF.COM, run last by AUTOEXEC.BAT: APM power-off, or a message and a halt."""
    return _assemble(POWEROFF_SOURCE, COM_ORIGIN)


@cache
def embedded_assembly() -> Assembly:
    """The self-booting system: a 512-byte boot sector (BPB blank), then the host, from 0000:7C00."""
    assembly = _within(_assemble(EMBEDDED_SOURCE, EMBEDDED_ORIGIN), EMBEDDED_BUDGET, "boot sector + host")
    if assembly.code[510:512] != b"\x55\xaa":
        raise BudgetError("the boot sector does not end in 55 AA at byte 510")
    return assembly


@cache
def _fingerprint() -> str:
    """A hash of everything that decides the assembled bytes."""
    digest = hashlib.sha256()
    sources = files("almostism_dos.asm")
    for item in sorted(sources.iterdir(), key=lambda entry: entry.name):
        if item.name.endswith((".asm", ".inc")):
            digest.update(item.name.encode() + b"\0" + item.read_bytes())
    here = Path(__file__).parent
    for module in ("assembler.py", "lint8086.py", "programs.py"):
        digest.update((here / module).read_bytes())
    digest.update(f"{version('keystone-engine')} {version('capstone')}".encode())
    return digest.hexdigest()[:32]


def _cached(name: str, build: Callable[[], Assembly]) -> bytes:
    path = cache_dir() / "asm" / f"{name}-{_fingerprint()}.bin"
    try:
        return path.read_bytes()
    except OSError:
        pass
    code = build().code
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, code, force=True)
    except (OSError, OutputError):
        pass  # an unwritable cache only costs time
    return code


@cache
def parser_bytes() -> bytes:
    """The 42 parser bytes every scripture carries at offsets 8..49."""
    return _cached("parser", parser_assembly)


@cache
def loader_bytes() -> bytes:
    """The bytes of ALMOST.COM."""
    return _cached("almost", loader_assembly)


@cache
def poweroff_bytes() -> bytes:
    """The bytes of POWEROFF.COM."""
    return _cached("poweroff", poweroff_assembly)


@cache
def embedded_bytes() -> bytes:
    """The bytes of the boot sector and the host, as one program."""
    return _cached("embedded", embedded_assembly)
