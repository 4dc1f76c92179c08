"""The shipped programs: 8086-clean, within budget, deterministic, and in step with the format."""

from __future__ import annotations

import re

import pytest

from almostism_dos import programs, scripture
from almostism_dos.assembler import LineKind, assemble, parse_source
from almostism_dos.lint8086 import lint

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


def test_loader_fits_512_bytes() -> None:
    assert len(programs.almost_bytes()) <= 512


def test_loader_carries_the_parser_right_after_the_creed() -> None:
    loader = programs.assembly("almost")
    creed_at = loader.symbols["creed"] - 0x100
    assert loader.code[creed_at : creed_at + 50] == scripture.CREED + programs.parser_bytes()


def test_assembly_is_deterministic() -> None:
    first = assemble(programs.PROGRAMS["almost"].source, programs.read_source, 0x100).code
    again = assemble(programs.PROGRAMS["almost"].source, programs.read_source, 0x100).code
    assert first == again == programs.almost_bytes()


def test_every_instruction_line_is_commented() -> None:
    for source in ALL_SOURCES:
        for line in parse_source(source, programs.read_source):
            if line.kind is not LineKind.NOTHING:
                assert ";" in line.text, f"{line.file}:{line.number} has no comment"


def test_every_routine_states_entry_output_affects() -> None:
    names = [*ALL_SOURCES, "host.asm", "apm.inc"]
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
