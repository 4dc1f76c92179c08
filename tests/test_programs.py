"""The shipped programs: 8086-clean, within budget, deterministic, and in step with the format."""

from __future__ import annotations

import re

import pytest

from almostism_dos import programs, scripture
from almostism_dos.assembler import LineKind, assemble, parse_source, split_comment
from almostism_dos.lint8086 import lint
from tests.images import embedded_image, equates

ALL_SOURCES = [program.source for program in programs.PROGRAMS.values()]


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_program_is_8086_code(source: str) -> None:
    assembly = assemble(source, programs.read_source, 0x100)
    assert lint(assembly) == []
    assert sum(1 for line in assembly.lines if line.source.kind is LineKind.CODE) > 10


def test_parser_fits_42_bytes_and_is_padded_with_nops() -> None:
    code = programs.parser_bytes()
    assert len(code) == 42
    real = programs.assembly("parser").symbols["liturgy_end"]
    assert real <= 42 and code[real:] == b"\x90" * (42 - real)


def test_parser_is_position_independent() -> None:
    at = {
        origin: assemble(programs.PROGRAMS["parser"].source, programs.read_source, origin).code
        for origin in (0, 0x100, 0x5A3)
    }
    assert len(set(at.values())) == 1


def test_almost_com_obeys_the_creed_too() -> None:
    budget = programs.PROGRAMS["almost"].budget
    assert budget is not None and budget < 1024
    assert len(programs.almost_bytes()) <= budget


def test_almost_com_carries_the_parser_right_after_the_creed() -> None:
    almost = programs.assembly("almost")
    creed_at = almost.symbols["creed"] - 0x100
    assert almost.code[creed_at : creed_at + 50] == scripture.CREED + programs.parser_bytes()


def test_assembly_is_deterministic() -> None:
    first = assemble(programs.PROGRAMS["almost"].source, programs.read_source, 0x100).code
    again = assemble(programs.PROGRAMS["almost"].source, programs.read_source, 0x100).code
    assert first == again == programs.almost_bytes()


# The comment rule, as nanochess's bootOS keeps it: an instruction that only saves or restores a
# register (push, pop) or returns (ret, retf, iret) may stand bare; every other line that assembles to
# something says what it does, in words. An empty ";" is never a comment.
OBVIOUS = {"push", "pop", "pushf", "popf", "ret", "retf", "iret"}
EVERY_SOURCE = [*ALL_SOURCES, "host.asm", "apm.inc", "scripture.inc", "fat12.inc"]


@pytest.mark.parametrize("source", EVERY_SOURCE)
def test_every_line_that_is_not_obvious_carries_a_real_comment(source: str) -> None:
    bare = []
    for line in parse_source(source, programs.read_source):
        if line.file != source or (line.kind is LineKind.NOTHING and not line.statement.startswith(".equ")):
            continue
        comment = split_comment(line.text)[1].lstrip(";").strip()
        mnemonic = line.statement.split()[0].lower()
        if mnemonic in OBVIOUS and not comment:
            continue
        if not re.search(r"[A-Za-z0-9]", comment):
            bare.append(f"{line.file}:{line.number}: {line.text.strip()}")
    assert bare == []


def test_every_routine_states_entry_output_affects() -> None:
    names = EVERY_SOURCE
    text = "".join(programs.read_source(name) for name in names)
    assert all("cpu 8086" in programs.read_source(name) for name in names)
    counts = {word: len(re.findall(rf"^;\s+{word}:", text, re.M)) for word in ("Entry", "Output", "Affects")}
    assert counts["Entry"] == counts["Output"] == counts["Affects"] >= 6, counts


def test_shared_constants_match_the_python_format() -> None:
    constants = {
        m[1]: int(m[2], 0)
        for m in re.finditer(r"^\.equ (\w+), (\S+)", programs.read_source("scripture.inc"), re.M)
    }
    assert constants["SCRIPTURE_SIZE"] == scripture.SIZE
    assert constants["PARSER_OFFSET"] == scripture.PARSER_OFFSET
    assert constants["PARSER_SIZE"] == scripture.PARSER_SIZE
    assert constants["UNIQUE_OFFSET"] == scripture.UNIQUE_OFFSET
    assert constants["ZEROS_OFFSET"] == scripture.ZEROS_OFFSET
    assert constants["ZEROS_SIZE"] == scripture.ZEROS_SIZE
    for verdict in scripture.Verdict:
        assert constants[f"VERDICT_{verdict.name}"] == verdict.value


def test_fat12_constants_match_the_python_toolkit() -> None:
    from almostism_dos import fat12, formats

    constants = equates("fat12.inc")
    assert constants["SECTOR_SIZE"] == formats.SECTOR == 1 << constants["SECTOR_SHIFT"]
    assert constants["FIRST_CLUSTER"] == formats.FIRST_CLUSTER
    assert constants["DELETED"] == fat12.DELETED
    assert constants["ATTR_READ_ONLY"] == fat12.ATTR_READ_ONLY
    assert constants["ATTR_VOLUME"] == fat12.ATTR_VOLUME
    assert constants["ATTR_DIRECTORY"] == fat12.ATTR_DIRECTORY
    assert constants["ATTR_NOT_A_FILE"] == fat12.ATTR_DIRECTORY | fat12.ATTR_VOLUME
    assert constants["ATTR_UNWRITABLE"] == constants["ATTR_NOT_A_FILE"] | fat12.ATTR_READ_ONLY
    # the directory entry, as the reader decodes it (fat12.Fat12Image.entries)
    entry = bytearray(formats.DIRECTORY_ENTRY)
    entry[0:11] = b"ALMOST  COM"
    entry[constants["DIR_ATTRIBUTES"]] = fat12.ATTR_ARCHIVE
    entry[constants["DIR_FIRST_CLUSTER"] : constants["DIR_FIRST_CLUSTER"] + 2] = (0x123).to_bytes(2, "little")
    entry[constants["DIR_SIZE_LOW"] : constants["DIR_SIZE_HIGH"] + 2] = (0x10203).to_bytes(4, "little")
    assert constants["DIR_NAME_SIZE"] == 11
    image = bytearray(embedded_image(scripture.build(1)))
    parsed = fat12.Fat12Image.parse(bytes(image))
    slot = parsed.layout.root_offset + 3 * formats.DIRECTORY_ENTRY  # after the files and the label
    image[slot : slot + len(entry)] = entry
    (found,) = [e for e in fat12.Fat12Image.parse(bytes(image)).entries() if e.offset == slot]
    assert (found.name, found.attributes, found.first_cluster, found.size) == (
        "ALMOST.COM",
        fat12.ATTR_ARCHIVE,
        0x123,
        0x10203,
    )


def test_almost_com_spells_the_default_name_the_tool_uses() -> None:
    assert equates("almost.asm")["DEFAULT_NAME_SIZE"] == len(scripture.SCRIPTURE_FILE) + 1
    assert f'.asciz "{scripture.SCRIPTURE_FILE}"' in programs.read_source("almost.asm")
