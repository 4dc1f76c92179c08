"""The scripture format and the reference judge.

A scripture is exactly 1023 bytes (byte 1024 stays unset):

=========  =====  ================================================
offset     bytes  content
=========  =====  ================================================
0-7        8      creed ``FE 0D CA 7F 80 A9 5C 5C``
8-49       42     the parser (8086 code, NOP-padded)
50         1      the reader's unique byte, 1-255
51-1021    971    zeros
1022       1      checksum: all 1023 bytes sum to 0 mod 256
=========  =====  ================================================

:func:`judge` gives the verdict ALMOST.COM gives; the verdict is also its exit code. The judge is pure:
it is given the parser bytes it compares against (:mod:`almostism_dos.reference` binds the shipped ones).
Every number and word here that ALMOST.COM also uses is written into its ``scripture.inc`` and
``words.inc`` from this module (:mod:`almostism_dos.asm_includes`).
"""

from __future__ import annotations

import secrets
from enum import Enum, IntEnum

SCRIPTURE_FILE = "SCRIPTUR.ALM"  # the scripture's file name: where ALMOST.COM looks when given no path
CREED = bytes([0xFE, 0x0D, 0xCA, 0x7F, 0x80, 0xA9, 0x5C, 0x5C])
SIZE = 1023
PARSER_OFFSET = len(CREED)
PARSER_SIZE = 42
UNIQUE_OFFSET = PARSER_OFFSET + PARSER_SIZE
ZEROS_OFFSET = UNIQUE_OFFSET + 1
CHECKSUM_OFFSET = SIZE - 1
ZEROS_SIZE = CHECKSUM_OFFSET - ZEROS_OFFSET
CREED_LINE = "Almostism - leave one bit unset before you run out of space"
INSTANCE_PREFIX = "Instance byte: 0x"  # then the unique byte in two upper-case hex digits
IO_PREFIX = "I/O failure: "  # then the step's name
FALSE_PREFIX = "False teaching (invalid "  # then the check that failed first
FALSE_SUFFIX = "): destroyed unread"
UNIQUE_BYTES = range(1, 256)  # the unique bytes a reader may have


class Verdict(IntEnum):
    """What the liturgy makes of a file; the value is ALMOST.COM's exit code (ERRORLEVEL)."""

    COMPLETE = 0  # a true scripture: zeroed, then deleted
    ABSENT = 1  # no scripture: file or path not found
    FOREIGN = 2  # not a scripture: left untouched, byte for byte
    GAP = 3  # creed, but 1024 bytes or more: destroyed without running its code
    FALSE = 4  # creed, but short, bad checksum, parser or padding: destroyed unrun
    IO = 5  # I/O failure: left intact
    HUSK = 6  # 1023 zero bytes: a liturgy cut between zeroing and deleting; now deleted

    @property
    def meaning(self) -> str:
        """A one-line description, as docs/reference.md's exit-code table gives it."""
        return _MEANINGS[self]

    @property
    def would(self) -> str:
        """What ALMOST.COM would do with the file, said before anything is done (``verify``)."""
        return _WOULD[self]


class Step(IntEnum):
    """Where an I/O failure happened (ALMOST.COM counts it in BP); the name is what it prints."""

    READ = 1  # reading the file
    OPEN = 2  # opening it (read-only to judge, read/write to act)
    SEEK = 3  # the parser or destroy: moving the file pointer
    WRITE = 4  # the parser or destroy: writing the zeros
    CLOSE = 5  # the parser or destroy: closing the handle
    DELETE = 6  # the parser or destroy: deleting (or the file is still there)

    @property
    def word(self) -> str:
        """The step as ``I/O failure: STEP`` names it."""
        return self.name.lower()


_MEANINGS = {
    Verdict.COMPLETE: "liturgy complete: zeroed, then deleted",
    Verdict.ABSENT: "no scripture: file or path not found",
    Verdict.FOREIGN: "not a scripture: left untouched",
    Verdict.GAP: "violation of the gap: creed present, 1024 bytes or more; destroyed unrun",
    Verdict.FALSE: "false teaching: creed present but short, bad checksum or parser; destroyed unrun",
    Verdict.IO: "I/O failure: left intact",
    Verdict.HUSK: "interrupted liturgy completed: a 1023-byte all-zero husk, deleted",
}


_WOULD = {
    Verdict.COMPLETE: "it would zero the file, then delete it",
    Verdict.ABSENT: "there is no file to touch",
    Verdict.FOREIGN: "it would leave the file untouched",
    Verdict.GAP: "it would zero its first 1023 bytes without running it, then delete it",
    Verdict.FALSE: "it would zero it without running it, then delete it",
    Verdict.IO: "it would leave the file intact",
    Verdict.HUSK: "it would delete the husk",
}


def checksum_byte(body: bytes) -> int:
    """The byte that makes ``body`` plus it sum to 0 mod 256."""
    return -sum(body) & 0xFF


def check_unique(unique: int) -> int:
    """``unique`` if a reader may have it (1-255), else ValueError."""
    if unique not in UNIQUE_BYTES:
        raise ValueError(f"the unique byte must be 1..255, not {unique}")
    return unique


def build(unique: int, parser: bytes) -> bytes:
    """Build the scripture for a reader's unique byte (1-255) around ``parser`` (its 42 bytes)."""
    if len(parser) != PARSER_SIZE:
        raise ValueError(f"a parser is {PARSER_SIZE} bytes, not {len(parser)}")
    body = CREED + parser + bytes([check_unique(unique)]) + bytes(ZEROS_SIZE)
    return body + bytes([checksum_byte(body)])


def random_unique() -> int:
    """A random unique byte, 1-255."""
    return secrets.randbelow(255) + 1


class Flaw(Enum):
    """The check a false teaching fails first, in the order ALMOST.COM makes them; the value names it."""

    SIZE = "size"  # fewer than 1023 bytes
    PARSER = "parser"  # the 42 parser bytes differ from ALMOST.COM's own copy
    UNIQUE = "unique byte"  # the unique byte is 0
    ZEROS = "zero run"  # something in the 971 bytes that must be zero
    CHECKSUM = "checksum"  # the 1023 bytes do not sum to 0 mod 256


def judgement(data: bytes | None, parser: bytes) -> tuple[Verdict, Flaw | None]:
    """The judge: the verdict ALMOST.COM (carrying ``parser``) reaches on a file's bytes (``None``: no
    file), and for a false teaching the check that failed first."""
    if data is None:
        return Verdict.ABSENT, None
    if len(data) == SIZE and not any(data):
        return Verdict.HUSK, None
    if data[: len(CREED)] != CREED:
        return Verdict.FOREIGN, None
    if len(data) > SIZE:
        return Verdict.GAP, None
    if len(data) < SIZE:
        return Verdict.FALSE, Flaw.SIZE
    if data[PARSER_OFFSET:UNIQUE_OFFSET] != parser:
        return Verdict.FALSE, Flaw.PARSER
    if not data[UNIQUE_OFFSET]:
        return Verdict.FALSE, Flaw.UNIQUE
    if any(data[ZEROS_OFFSET:CHECKSUM_OFFSET]):
        return Verdict.FALSE, Flaw.ZEROS
    if sum(data) % 256:
        return Verdict.FALSE, Flaw.CHECKSUM
    return Verdict.COMPLETE, None


def judge(data: bytes | None, parser: bytes) -> Verdict:
    """The verdict alone (see :func:`judgement`)."""
    return judgement(data, parser)[0]


_SPOKEN = {  # the line ALMOST.COM prints for a verdict before acting on it
    Verdict.ABSENT: "No scripture here",
    Verdict.FOREIGN: "Not a scripture: left untouched",
    Verdict.GAP: "Violation of the gap: destroyed unread",
    Verdict.HUSK: "Interrupted liturgy completed",
}


def words(verdict: Verdict, flaw: Flaw | None = None) -> str | None:
    """The line ALMOST.COM prints for a verdict before acting on it, in the scripture's own words.

    None for a true scripture (it gets the creed line and ``Instance byte: 0xNN``) and for an I/O
    failure (``I/O failure: STEP``, which depends on the disk, not the bytes).
    """
    if verdict is Verdict.FALSE:
        return f"{FALSE_PREFIX}{(flaw or Flaw.SIZE).value}{FALSE_SUFFIX}"
    return _SPOKEN.get(verdict)


def instance_line(unique: int) -> str:
    """The line after the creed line for a true scripture."""
    return f"{INSTANCE_PREFIX}{unique:02X}"


def io_line(step: Step) -> str:
    """The line ALMOST.COM prints when step ``step`` fails."""
    return f"{IO_PREFIX}{step.word}"


def finding(verdict: Verdict, flaw: Flaw | None = None) -> int:
    """The judge's finding as ALMOST.COM numbers it (``FOUND_*``): the verdict itself, 0..6 (a false
    teaching too short is 4), and after those a false teaching's later checks, 7 on, in :class:`Flaw`'s
    order. It is also the place of the judge's words in ALMOST.COM's list of them."""
    if verdict is not Verdict.FALSE or flaw in (None, Flaw.SIZE):
        return int(verdict)
    return max(Verdict) + list(Flaw).index(flaw)


def spoken_line(data: bytes | None, parser: bytes) -> str | None:
    """The line ALMOST.COM prints for this file before acting (see :func:`words`)."""
    return words(*judgement(data, parser))


def unique_byte(data: bytes, parser: bytes) -> int | None:
    """The unique byte of a valid scripture, else None."""
    return data[UNIQUE_OFFSET] if judge(data, parser) is Verdict.COMPLETE else None
