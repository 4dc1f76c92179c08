"""The README's tables and quoted facts, checked against the code, so that the next drift fails CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from almostism_dos import programs, scripture
from almostism_dos.cli import ExitCode
from almostism_dos.emulators import REGISTRY
from almostism_dos.programs import PROGRAMS
from almostism_dos.scripture import Verdict
from tests.conftest import FUZZ_DEFAULTS
from vm.fault_matrix import CASES, HOSTS

DASH = "\N{EN DASH}"  # how the README writes a range, 0\N{EN DASH}7
README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule dropped) of the first table under ``heading``."""
    section = README.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif rows:
            break
    return rows[2:]


def test_the_scripture_table_matches_the_format() -> None:
    rows = {row[2].split(":")[0].split(" `")[0]: row for row in table_after("## The scripture")}
    spans = {
        "creed": (0, len(scripture.CREED)),
        "the parser": (scripture.PARSER_OFFSET, scripture.PARSER_SIZE),
        f"the reader's unique byte, 1{DASH}255, chosen per build": (scripture.UNIQUE_OFFSET, 1),
        "zeros": (scripture.ZEROS_OFFSET, scripture.ZEROS_SIZE),
        "checksum": (scripture.CHECKSUM_OFFSET, 1),
    }
    for name, (offset, size) in spans.items():
        where, count, _ = rows[name]
        first = int(where.split(DASH)[0])
        assert (first, int(count)) == (offset, size), name
        if DASH in where:
            assert int(where.split(DASH)[1]) == offset + size - 1, name
    assert sum(int(row[1]) for row in rows.values()) == scripture.SIZE
    assert scripture.CREED.hex(" ").upper() in README


def test_the_exit_code_table_is_the_verdicts() -> None:
    rows = table_after("### Exit codes (ERRORLEVEL)")
    assert [int(row[0]) for row in rows] == [verdict.value for verdict in Verdict]
    for row, verdict in zip(rows, Verdict, strict=True):
        lead = verdict.meaning.split(":")[0]
        assert row[1].startswith(lead), (row[1], lead)


def test_the_tool_exit_code_table_is_exit_code() -> None:
    rows = table_after("print one line to standard error and exit with:")
    listed = {int(code) for row in rows for code in row[0].split(",")}
    assert listed == {code.value for code in ExitCode}


def test_verify_quotes_the_verdict_range() -> None:
    assert f"(0{DASH}{max(Verdict).value})" in README


def test_choices_quoted_are_the_registries() -> None:
    assert f"[--emulator {'|'.join(REGISTRY)}]" in README
    escaped_bar = "\\|"  # a | inside a Markdown table cell
    assert f"listing [{escaped_bar.join(PROGRAMS)}]" in README


@pytest.mark.parametrize("variable", sorted(FUZZ_DEFAULTS))
def test_fuzz_defaults_are_quoted_right(variable: str) -> None:
    assert f"`{variable}`, default {FUZZ_DEFAULTS[variable]}" in README


def test_the_layout_names_every_module_and_source() -> None:
    layout = README.split("## Layout", 1)[1]
    root = Path(__file__).resolve().parent.parent
    modules = {p.stem for p in (root / "almostism_dos").rglob("*.py") if not p.stem.startswith("__")}
    sources = {p.name for p in (root / "asm").iterdir() if p.suffix in (".asm", ".inc")}
    missing = {name for name in modules | sources if f"`{name}`" not in layout}
    assert missing == set()


def test_program_sizes_quoted_are_the_assembled_ones() -> None:
    assert f"(`asm/poweroff.asm`, {len(programs.code('poweroff'))} bytes)" in README
    assert f"**{len(programs.code('embedded'))} bytes in all**" in README


def test_the_setup_packages_are_quoted() -> None:
    setup = (Path(__file__).resolve().parent.parent / "setup.sh").read_text()
    packages = re.search(r"^packages=\((.*)\)$", setup, re.M)
    browser = re.search(r"^browser_packages=\((.*)\)", setup, re.M)
    assert packages is not None and browser is not None
    assert f"`setup.sh` installs what is missing (`{packages[1]}`, and for `web` `{browser[1]}`" in README


def test_the_spoken_lines_table_is_the_judges_words() -> None:
    rows = {int(row[0]): row[1] for row in table_after("Every verdict speaks")}
    assert sorted(rows) == [verdict.value for verdict in Verdict]
    for verdict in (Verdict.ABSENT, Verdict.FOREIGN, Verdict.GAP, Verdict.HUSK):
        assert rows[verdict.value] == f"`{scripture.words(verdict)}`"
    assert rows[Verdict.FALSE.value].startswith("`False teaching (invalid CHECK): destroyed unread`")
    assert all(f"`{flaw.value}`" in rows[Verdict.FALSE.value] for flaw in scripture.Flaw)
    assert scripture.CREED_LINE in rows[Verdict.COMPLETE.value]
    budget = programs.PROGRAMS["almost"].budget
    assert f"its budget is {budget} bytes, and it uses {len(programs.almost_bytes())}." in README


def test_the_fault_matrix_table_has_every_host_and_case() -> None:
    section = README.split("### The fault matrix", 1)[1]
    header = next(line for line in section.splitlines() if line.startswith("| case"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["case", "expected", *HOSTS]
    assert [row[0] for row in table_after("### The fault matrix")] == [case.name for case in CASES]
