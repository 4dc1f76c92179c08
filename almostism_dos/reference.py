"""The reference judge and builder, bound to the parser this package ships.

:mod:`almostism_dos.scripture` is pure: it is given the parser bytes it compares against. Here those are
the shipped parser's (:func:`almostism_dos.programs.parser_bytes`), the ones ``ALMOST.COM`` carries, so
every verdict here is the verdict the real program reaches.
"""

from __future__ import annotations

from . import scripture
from .programs import parser_bytes
from .scripture import Flaw, Verdict


def build(unique: int) -> bytes:
    """The scripture for a reader's unique byte (1-255)."""
    return scripture.build(unique, parser_bytes())


def judgement(data: bytes | None) -> tuple[Verdict, Flaw | None]:
    """The verdict ALMOST.COM reaches on these bytes (``None``: no file), and a false teaching's flaw."""
    return scripture.judgement(data, parser_bytes())


def judge(data: bytes | None) -> Verdict:
    """The verdict ALMOST.COM reaches on these bytes."""
    return scripture.judge(data, parser_bytes())


def spoken_line(data: bytes | None) -> str | None:
    """The line ALMOST.COM prints for this file before acting on it."""
    return scripture.spoken_line(data, parser_bytes())


def unique_byte(data: bytes) -> int | None:
    """The unique byte of a valid scripture, else None."""
    return scripture.unique_byte(data, parser_bytes())
