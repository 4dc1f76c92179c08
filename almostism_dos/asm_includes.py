"""The include files the assembly shares with Python, written from the Python definitions.

``scripture.inc`` (the scripture's layout, the verdicts, the judge's findings and words, the steps),
``fat12.inc`` (the BPB and directory-entry fields, the attributes), ``floppy.inc`` (what a floppy
prints last, the self-booting floppy's mark, where its host runs the program) and ``partition.inc`` (a
hard disk's partition table, where the MBR runs) are not files in ``asm/``: :func:`generated` writes
them from the modules that define each fact, when the assembler reads them. They are ``.equ`` lines
only, numbers and strings, so a listing (``almostism-dos listing NAME``) shows every value where it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .fat12 import (
    ATTR_DIRECTORY,
    ATTR_NOT_A_FILE,
    ATTR_READ_ONLY,
    ATTR_UNWRITABLE,
    ATTR_VOLUME,
    DELETED,
    DIR_ATTRIBUTES,
    DIR_FIRST_CLUSTER,
    DIR_NAME_SIZE,
    DIR_SIZE,
    directory_name,
)
from .formats import (
    BOOT_LOAD_ADDRESS,
    BOOT_SIGNATURE,
    BPB_OFFSET,
    BPB_OFFSETS,
    EMBEDDED_MARK,
    FIRST_CLUSTER,
    LINGER_OFFSET,
    SECTOR,
    SIGNATURE_OFFSET,
)
from .partition import (
    ACTIVE,
    MBR_ORIGIN,
    PART_FIRST_CHS,
    PART_FIRST_LBA,
    PART_STATUS,
    PARTITION_COUNT,
    PARTITION_ENTRY,
    PARTITION_TABLE,
)
from .result_line import (
    COUNTDOWN_PREFIX,
    COUNTDOWN_SUFFIX,
    LONGEST_LINGER,
    MBR_BAD_TABLE_LINE,
    MBR_DISK_ERROR_LINE,
    MBR_NO_ACTIVE_LINE,
    MBR_NO_SYSTEM_LINE,
    NO_APM_LINE,
    NO_HOST_LINE,
    RESULT_PREFIX,
)
from .scripture import (
    CREED,
    CREED_LINE,
    FALSE_PREFIX,
    FALSE_SUFFIX,
    INSTANCE_PREFIX,
    IO_PREFIX,
    PARSER_OFFSET,
    PARSER_SIZE,
    SCRIPTURE_FILE,
    SIZE,
    UNIQUE_OFFSET,
    ZEROS_OFFSET,
    ZEROS_SIZE,
    Flaw,
    Step,
    Verdict,
    finding,
    words,
)

PROGRAM_SEGMENT = 0x1000  # where the self-booting host (and the Python stand-in DOS) runs ALMOST.COM
Value = int | str
Fact = tuple[str, Value, str]  # name, value, what it is
_HEX = (
    "BPB_",
    "ATTR_",
    "CREED_",
    "DELETED",
    "BOOT_SIGNATURE",
    "PROGRAM_SEGMENT",
    "MBR_ORIGIN",
    "PARTITION_ACTIVE",
)  # bit patterns and addresses
DOS_END = "$"  # DOS 09h prints up to this character: no word may contain it


def _render(title: str, source: str, facts: Iterable[Fact]) -> str:
    """An include: a header naming where its facts are defined, then one ``.equ`` line for each."""
    lines = [
        "; " + "=" * 77,
        f"; {title}",
        ";",
        f"; Generated from {source} when a program is assembled (almostism_dos/asm_includes.py).",
        "; Change a value there, never here: this text exists only inside the listing.",
        "; " + "=" * 77,
    ]
    for name, value, what in facts:
        if isinstance(value, str):
            if '"' in value or "\\" in value:
                raise ValueError(f"{name}: a string constant may hold no quote or backslash")
            shown = f'"{value}"'
        else:
            shown = f"0x{value:x}" if name.startswith(_HEX) else str(value)
        lines.append(f"{f'.equ {name}, {shown}':<31} ; {what}")
    return "\n".join(lines) + "\n"


def _dos_list(items: Iterable[str]) -> str:
    """Strings for DOS 09h, each ended by ``$``, one after another (ALMOST.COM's ``nth`` counts them)."""
    listed = list(items)
    if any(DOS_END in item for item in listed):
        raise ValueError("a word for DOS 09h may not contain '$'")
    return "".join(item + DOS_END for item in listed)


def _judge_words() -> str:
    """The judge's words by finding, 1 on: the verdict's line, the flaw's name for a false teaching."""
    by_finding: dict[int, str] = {}
    for verdict in Verdict:
        flaws: list[Flaw | None] = list(Flaw) if verdict is Verdict.FALSE else [None]
        for flaw in flaws:
            said = flaw.value if flaw else words(verdict) or ""
            by_finding[finding(verdict, flaw)] = said
    return _dos_list(by_finding[number] for number in range(1, max(by_finding) + 1))


def scripture_inc() -> str:
    """``scripture.inc``: the scripture's layout, the verdicts, findings, steps and ALMOST.COM's words."""
    facts: list[Fact] = [
        ("SCRIPTURE_SIZE", SIZE, "bytes in a scripture; byte 1024 stays unset"),
        ("CREED_SIZE", len(CREED), "bytes of creed at offset 0"),
        *((f"CREED_{index}", byte, f"creed byte {index}") for index, byte in enumerate(CREED)),
        ("PARSER_OFFSET", PARSER_OFFSET, "where the parser starts"),
        ("PARSER_SIZE", PARSER_SIZE, "bytes reserved for the parser, NOP-padded"),
        ("UNIQUE_OFFSET", UNIQUE_OFFSET, "the reader's unique byte, 1..255"),
        ("ZEROS_OFFSET", ZEROS_OFFSET, "first of the zero bytes"),
        ("ZEROS_SIZE", ZEROS_SIZE, "zero bytes before the checksum"),
        *((f"VERDICT_{verdict.name}", int(verdict), verdict.meaning) for verdict in Verdict),
        *(
            (f"FOUND_{flaw.name}", finding(Verdict.FALSE, flaw), f"found: false teaching, its {flaw.value}")
            for flaw in list(Flaw)[1:]
        ),
        *((f"STEP_{step.name}", int(step), f"I/O failure: {step.word}") for step in Step),
        ("SCRIPTURE_FILE", SCRIPTURE_FILE, "the path when none is given"),
        ("SCRIPTURE_FILE_SIZE", len(SCRIPTURE_FILE) + 1, "its length with the terminator"),
        ("CREED_LINE", CREED_LINE, "a true scripture's first line"),
        ("INSTANCE_PREFIX", INSTANCE_PREFIX, "then the unique byte in hex"),
        ("STEP_WORDS", _dos_list(step.word for step in Step), "STEP_* 1.. by name, each ended by $"),
        ("IO_PREFIX", IO_PREFIX, "then the step's name"),
        ("JUDGE_WORDS", _judge_words(), "by finding 1..: VERDICT_*, then FOUND_*"),
        ("FALSE_PREFIX", FALSE_PREFIX, "then the check that failed"),
        ("FALSE_SUFFIX", FALSE_SUFFIX, "after the check's name"),
    ]
    return _render(
        "scripture.inc - the scripture, the verdicts and ALMOST.COM's words", "scripture.py", facts
    )


def fat12_inc() -> str:
    """``fat12.inc``: the FAT12 facts the boot sector and host read, addresses in the loaded boot sector."""
    bpb: list[Fact] = [
        (f"BPB_{name.upper()}", BOOT_LOAD_ADDRESS + offset, f"BPB: {name.replace('_', ' ')}, at 0000:7C00")
        for name, offset in BPB_OFFSETS.items()
    ]
    facts: list[Fact] = [
        ("SECTOR_SIZE", SECTOR, "bytes in a sector"),
        ("SECTOR_SHIFT", SECTOR.bit_length() - 1, "2^SECTOR_SHIFT = SECTOR_SIZE"),
        ("FIRST_CLUSTER", FIRST_CLUSTER, "the first data cluster"),
        ("BPB_OFFSET", BPB_OFFSET, "the OEM name and BPB follow the 3-byte jump"),
        *bpb,
        ("BOOT_SIGNATURE", int.from_bytes(BOOT_SIGNATURE, "little"), "the last word of a boot sector"),
        ("SIGNATURE_OFFSET", SIGNATURE_OFFSET, "where it lies"),
        ("DIR_NAME_SIZE", DIR_NAME_SIZE, "entry: name, 8 + 3 characters, blank-padded"),
        ("DIR_ATTRIBUTES", DIR_ATTRIBUTES, "entry: attribute byte"),
        ("DIR_FIRST_CLUSTER", DIR_FIRST_CLUSTER, "entry: first cluster (word)"),
        ("DIR_SIZE_LOW", DIR_SIZE, "entry: size, low word"),
        ("DIR_SIZE_HIGH", DIR_SIZE + 2, "entry: size, high word"),
        ("DELETED", DELETED, "first name byte of a deleted entry"),
        ("ATTR_READ_ONLY", ATTR_READ_ONLY, "attribute: read-only"),
        ("ATTR_VOLUME", ATTR_VOLUME, "attribute: volume label (and long-name pieces)"),
        ("ATTR_DIRECTORY", ATTR_DIRECTORY, "attribute: a directory"),
        ("ATTR_NOT_A_FILE", ATTR_NOT_A_FILE, "a directory or a label"),
        ("ATTR_UNWRITABLE", ATTR_UNWRITABLE, "not a file, or read-only"),
    ]
    return _render(
        "fat12.inc - the FAT12 floppy facts the boot sector and host rely on", "formats.py, fat12.py", facts
    )


def floppy_inc(program_file: str) -> str:
    """``floppy.inc``: what the floppy says last, what the host looks for, where it runs the program."""
    facts: list[Fact] = [
        ("RESULT_PREFIX", RESULT_PREFIX, "then the exit code: the line every test waits for"),
        ("NO_APM_LINE", NO_APM_LINE, "the last line where nothing switches off"),
        ("COUNTDOWN_PREFIX", COUNTDOWN_PREFIX, "--linger: before the seconds left"),
        ("COUNTDOWN_SUFFIX", COUNTDOWN_SUFFIX, "--linger: after them"),
        ("LINGER_OFFSET", LINGER_OFFSET, "the boot sector's byte that holds --linger's seconds"),
        ("LONGEST_LINGER", LONGEST_LINGER, "--linger's most seconds (two digits)"),
        ("EMBEDDED_MARK", EMBEDDED_MARK, "inspect's sign of a self-booting floppy"),
        ("NO_HOST_LINE", NO_HOST_LINE, "the boot sector's last words when it finds no host"),
        ("PROGRAM_NAME", directory_name(program_file), "the program, as the directory spells it"),
        ("PROGRAM_SEGMENT", PROGRAM_SEGMENT, "where the host runs it: its PSP at 1000:0000"),
    ]
    title = "floppy.inc - what a floppy says last, what its host looks for and where it runs it"
    return _render(title, "result_line.py, formats.py, asm_includes.py", facts)


def partition_inc() -> str:
    """``partition.inc``: the partition table as the MBR reads it, and where the MBR runs."""
    facts: list[Fact] = [
        ("MBR_ORIGIN", MBR_ORIGIN, "where the MBR moves itself"),
        ("PARTITION_TABLE", PARTITION_TABLE, "the table's place in the MBR"),
        ("PARTITION_ENTRY", PARTITION_ENTRY, "bytes in an entry"),
        ("PARTITION_COUNT", PARTITION_COUNT, "entries in the table"),
        ("PARTITION_ACTIVE", ACTIVE, "an entry's status: the partition to boot"),
        ("PART_STATUS", PART_STATUS, "entry: status (a byte)"),
        ("PART_FIRST_CHS", PART_FIRST_CHS, "entry: first sector as head, sector, cylinder"),
        ("PART_FIRST_LBA", PART_FIRST_LBA, "entry: first sector (LBA, a double word)"),
        ("MBR_NO_ACTIVE_LINE", MBR_NO_ACTIVE_LINE, "the MBR's last words: no entry is active"),
        ("MBR_BAD_TABLE_LINE", MBR_BAD_TABLE_LINE, "... an entry's status is neither 0 nor 80h"),
        ("MBR_DISK_ERROR_LINE", MBR_DISK_ERROR_LINE, "... the partition's first sector cannot be read"),
        ("MBR_NO_SYSTEM_LINE", MBR_NO_SYSTEM_LINE, "... it has no boot signature"),
    ]
    return _render("partition.inc - a hard disk's partition table", "partition.py, result_line.py", facts)


def generated(program_file: str) -> dict[str, Callable[[], str]]:
    """Every generated include by name (``program_file``: the file the host runs, ``ALMOST.COM``)."""
    return {
        "scripture.inc": scripture_inc,
        "fat12.inc": fat12_inc,
        "floppy.inc": lambda: floppy_inc(program_file),
        "partition.inc": partition_inc,
    }
