"""The assembled programs: the parser (liturgy.asm), ALMOST.COM (almost.asm), POWEROFF.COM (poweroff.asm).

Sources ship inside the package as ``almostism_dos.asm`` (the repository's top-level ``asm/``), are
assembled with Keystone when first asked for, and must pass the 8086 lint and their size budgets.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from .assembler import Assembly, assemble
from .lint8086 import require_8086

PARSER_SOURCE = "liturgy.asm"
LOADER_SOURCE = "almost.asm"
POWEROFF_SOURCE = "poweroff.asm"
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


@cache
def parser_assembly() -> Assembly:
    """The parser, assembled at offset 0 (it is position-independent) and padded to 42 bytes."""
    assembly = require_8086(assemble(PARSER_SOURCE, read_source, origin=0))
    if len(assembly.code) != PARSER_SIZE:
        raise BudgetError(f"the parser is {len(assembly.code)} bytes, not {PARSER_SIZE}")
    return assembly


@cache
def loader_assembly() -> Assembly:
    """ALMOST.COM, assembled at 0x100 as DOS loads a .COM program."""
    return _within(
        require_8086(assemble(LOADER_SOURCE, read_source, COM_ORIGIN)), LOADER_BUDGET, "ALMOST.COM"
    )


@cache
def poweroff_assembly() -> Assembly:
    """POWEROFF.COM, run last by AUTOEXEC.BAT: APM power-off, or a message and a halt."""
    return require_8086(assemble(POWEROFF_SOURCE, read_source, COM_ORIGIN))


def parser_bytes() -> bytes:
    """The 42 parser bytes every scripture carries at offsets 8..49."""
    return parser_assembly().code


def loader_bytes() -> bytes:
    """The bytes of ALMOST.COM."""
    return loader_assembly().code
