"""The shipped programs: 8086-clean, within budget, reproducible, commented as bootOS is, and built on the
generated includes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from almostism_dos import programs, scripture
from almostism_dos.assembler import LineKind, assemble, split_comment
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


def test_almost_com_obeys_the_creed_too() -> None:
    budget = programs.PROGRAMS["almost"].budget
    assert budget is not None and budget < 1024
    assert len(programs.almost_bytes()) <= budget


def test_almost_com_carries_the_parser_right_after_the_creed() -> None:
    almost = programs.assembly("almost")
    creed_at = almost.symbols["creed"] - 0x100
    assert almost.code[creed_at : creed_at + 50] == scripture.CREED + programs.parser_bytes()


def test_assembly_is_the_same_in_a_fresh_process() -> None:
    """The cache keys bytes by source: a fresh interpreter (another hash seed) must assemble the same."""
    script = "from almostism_dos import programs; print(programs.assembly('embedded').code.hex())"
    fresh = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert bytes.fromhex(fresh.stdout.strip()) == programs.assembly("embedded").code


# The comment rule, as nanochess's bootOS keeps it: a block comment for each group of lines, a line
# comment where the line says something the code does not, and no filler. A comment repeated more than
# twice in one file says nothing the code does not.
EVERY_SOURCE = sorted(
    {line.source.file for name in programs.PROGRAMS for line in programs.assembly(name).lines}
)
HANDWRITTEN = [source for source in EVERY_SOURCE if source not in programs.GENERATED_INCLUDES]
ROUTINE_HEADER = re.compile(r"^; (\w+)\s+- ", re.M)


@pytest.mark.parametrize("source", HANDWRITTEN)
def test_no_comment_is_filler_repeated(source: str) -> None:
    comments = [
        comment
        for text in programs.read_source(source).splitlines()
        if (code := split_comment(text))[0].strip() and (comment := code[1].lstrip(";").strip())
    ]
    repeated = {comment: count for comment, count in Counter(comments).items() if count > 2}
    assert repeated == {}


@pytest.mark.parametrize("source", HANDWRITTEN)
def test_every_group_of_code_has_a_comment(source: str) -> None:
    """A group (lines between blank lines) that assembles to something says in words what it is for."""
    groups = re.split(r"\n\s*\n", programs.read_source(source))
    silent = [
        group.strip().splitlines()[0]
        for group in groups
        if any(
            split_comment(line)[0].strip().startswith(("cpu", ".include")) is False
            and split_comment(line)[0].strip()
            for line in group.splitlines()
        )
        and not any(re.search(r"[A-Za-z]", split_comment(line)[1]) for line in group.splitlines())
    ]
    assert silent == []


@pytest.mark.parametrize("name", list(programs.PROGRAMS))
def test_every_routine_called_states_entry_output_affects(name: str) -> None:
    assembly = programs.assembly(name)
    sources = {line.source.file for line in assembly.lines}
    text = "".join(programs.read_source(source) for source in sorted(sources))
    headers = re.findall(r"^; -{20,}\n((?:;.*\n)+?); -{20,}$", text, re.M)
    described = {}
    for header in headers:
        for routine in ROUTINE_HEADER.findall(header):
            described[routine] = all(f"; {word}:" in header for word in ("Entry", "Output", "Affects"))
    called = {
        match[1]
        for line in assembly.lines
        if (match := re.match(r"call\s+(\w+)$", line.source.statement)) and match[1] in assembly.symbols
    }
    assert {routine: described.get(routine, False) for routine in called} == dict.fromkeys(called, True)
    handwritten = sources - set(programs.GENERATED_INCLUDES)
    assert all("cpu 8086" in programs.read_source(source) for source in handwritten)


@pytest.mark.parametrize("name", list(programs.PROGRAMS))
def test_generated_includes_are_what_the_listing_shows(name: str) -> None:
    """Every generated include appears in the listing exactly as written, and every string constant's
    bytes are where a line names it."""
    assembly = programs.assembly(name)
    for include, write in programs.GENERATED_INCLUDES.items():
        shown = [line.source.text for line in assembly.lines if line.source.file == include]
        expected = [line.rstrip() for line in write().splitlines()]
        assert len(shown) % len(expected) == 0 and shown == expected * (len(shown) // len(expected))
    strings = {
        match[1]: match[2]
        for line in assembly.lines
        if (match := re.match(r'\.equ\s+(\w+),\s*"(.*)"$', line.source.statement))
    }
    named = 0
    for line in assembly.lines:
        if (match := re.match(r"\.(ascii|asciz)\s+(\w+)", line.source.statement)) and match[2] in strings:
            text = strings[match[2]].encode("ascii")
            assert line.data.startswith(text + (b"\0" if match[1] == "asciz" else b""))
            named += 1
    by_name = [line for line in assembly.lines if re.match(r"\.asci[iz]\s+[A-Z_]", line.source.statement)]
    assert named == len(by_name)
