"""The README and docs/: their tables and quoted facts checked against the code, so that the next drift
fails CI, and every relative link and anchor resolving."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from almostism_dos import programs, scripture
from almostism_dos.cli import EXIT_MEANINGS, build_parser
from almostism_dos.emulators import REGISTRY
from almostism_dos.programs import PROGRAMS
from almostism_dos.result_line import NO_APM_LINE, RESULT_PREFIX
from almostism_dos.run import RunReport
from almostism_dos.scripture import Verdict
from tests.conftest import FUZZ_DEFAULTS
from vm.fault_matrix import CASES, HOSTS

ROOT = Path(__file__).resolve().parent.parent
DASH = "\N{EN DASH}"  # how the docs write a range, 0\N{EN DASH}7
PAGES = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "CHANGELOG.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def page(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


README, REFERENCE, GUIDE, CONTRIBUTING = (
    page(name) for name in ("README.md", "docs/reference.md", "docs/guide.md", "CONTRIBUTING.md")
)


def table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule dropped) of the first table under ``heading``."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif rows:
            break
    return rows[2:]


def section(text: str, heading: str) -> str:
    """From ``heading`` to the next heading of its level or higher."""
    level = heading.split(" ", 1)[0]
    after = text.split(heading + "\n", 1)[1]
    ends = re.search(rf"(?m)^#{{1,{len(level)}}} ", after)
    return after[: ends.start()] if ends else after


# --- the README: short, and a start ------------------------------------------------------------------


def test_the_readme_reads_in_five_minutes() -> None:
    assert len(README.splitlines()) <= 150
    assert "<!-- test-command -->" in README


def test_the_readme_shows_the_lines_a_successful_boot_ends_with() -> None:
    shown = README.split("```\n", 2)[1].splitlines()
    assert shown[0] == "Booting from Floppy..."
    assert shown[1] == scripture.CREED_LINE
    assert shown[2].startswith(scripture.INSTANCE_PREFIX)
    assert shown[3] == f"{RESULT_PREFIX}0"
    assert NO_APM_LINE in README


# --- links -------------------------------------------------------------------------------------------


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    for heading in re.findall(r"(?m)^#+ (.+)$", re.sub(r"(?ms)^```.*?^```", "", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", re.sub(r"(?ms)^```.*?^```", "", text))
    assert links or path.name == "CHANGELOG.md"
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        where = (path.parent / target).resolve() if target else path
        assert where.exists(), f"{link}: no {where}"
        if anchor:
            assert anchor in anchors(where.read_text(encoding="utf-8")), f"{link}: no such heading"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    for path in (ROOT / "docs").glob("*.md"):
        assert f"](docs/{path.name}" in README, path.name


# --- the reference ------------------------------------------------------------------------------------


def test_the_scripture_table_matches_the_format() -> None:
    rows = {row[2].split(":")[0].split(" `")[0]: row for row in table_after(REFERENCE, "## The scripture")}
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
    assert scripture.CREED.hex(" ").upper() in REFERENCE


def test_the_exit_code_table_is_the_verdicts() -> None:
    rows = table_after(REFERENCE, "### Exit codes (ERRORLEVEL)")
    assert [int(row[0]) for row in rows] == [verdict.value for verdict in Verdict]
    for row, verdict in zip(rows, Verdict, strict=True):
        lead = verdict.meaning.split(":")[0]
        assert row[1].startswith(lead), (row[1], lead)


def test_the_tool_exit_code_table_is_the_one_help_prints() -> None:
    rows = table_after(REFERENCE, "## The tool's exit codes")
    assert [(int(code), meaning.replace("\\|", "|")) for code, meaning in rows] == [
        (code.value, meaning) for code, meaning in EXIT_MEANINGS.items()
    ]


def test_verify_quotes_the_verdict_range() -> None:
    assert f"(0{DASH}{max(Verdict).value})" in REFERENCE


def test_choices_quoted_are_the_registries() -> None:
    escaped_bar = "\\|"  # a | inside a Markdown table cell
    assert f"`--emulator {escaped_bar.join(REGISTRY)}`" in REFERENCE
    assert f"[--emulator {'|'.join(REGISTRY)}]" in GUIDE
    assert f"listing [{escaped_bar.join(PROGRAMS)}]" in REFERENCE


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


@pytest.mark.parametrize("command", list(_commands(build_parser())))
def test_the_reference_names_every_option_of_every_command(command: str) -> None:
    parser = _commands(build_parser())[command]
    text = section(REFERENCE, f"### {command}")
    for action in [*parser._actions, *(a for sub in _commands(parser).values() for a in sub._actions)]:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        names = action.option_strings or [str(action.metavar or action.dest)]
        assert all(f"`{name}" in text for name in names), (command, names)


def test_the_spoken_lines_table_is_the_judges_words() -> None:
    rows = {int(row[0]): row[1] for row in table_after(REFERENCE, "Every verdict speaks")}
    assert sorted(rows) == [verdict.value for verdict in Verdict]
    for verdict in (Verdict.ABSENT, Verdict.FOREIGN, Verdict.GAP, Verdict.HUSK):
        assert rows[verdict.value] == f"`{scripture.words(verdict)}`"
    assert rows[Verdict.FALSE.value].startswith("`False teaching (invalid CHECK): destroyed unread`")
    assert all(f"`{flaw.value}`" in rows[Verdict.FALSE.value] for flaw in scripture.Flaw)
    assert scripture.CREED_LINE in rows[Verdict.COMPLETE.value]
    budget = programs.PROGRAMS["almost"].budget
    assert f"its budget is {budget} bytes, and it uses {len(programs.almost_bytes())}." in REFERENCE


# --- the guide, CONTRIBUTING and reliability -----------------------------------------------------------


def test_program_sizes_quoted_are_the_assembled_ones() -> None:
    assert f"(`asm/poweroff.asm`, {len(programs.code('poweroff'))} bytes)" in GUIDE
    assert f"**{len(programs.code('embedded'))} bytes in all**" in GUIDE


@pytest.mark.parametrize("variable", sorted(FUZZ_DEFAULTS))
def test_fuzz_defaults_are_quoted_right(variable: str) -> None:
    assert f"`{variable}`, default {FUZZ_DEFAULTS[variable]}" in CONTRIBUTING + page("docs/reliability.md")


def test_the_layout_names_every_module_and_source() -> None:
    layout = CONTRIBUTING.split("## Layout", 1)[1]
    modules = {p.stem for p in (ROOT / "almostism_dos").rglob("*.py") if not p.stem.startswith("__")}
    sources = {p.name for p in (ROOT / "asm").iterdir() if p.suffix in (".asm", ".inc")}
    missing = {name for name in modules | sources if f"`{name}`" not in layout}
    assert missing == set()


def test_the_setup_packages_are_quoted() -> None:
    setup = (ROOT / "setup.sh").read_text()
    packages = re.search(r"^packages=\((.*)\)$", setup, re.M)
    browser = re.search(r"^browser_packages=\((.*)\)", setup, re.M)
    assert packages is not None and browser is not None
    quoted = f"`setup.sh` installs what is missing (`{packages[1]}`, and for `web` `{browser[1]}`"
    assert quoted in CONTRIBUTING


def test_the_fault_matrix_table_has_every_host_and_case() -> None:
    reliability = page("docs/reliability.md")
    matrix = reliability.split("## The fault matrix", 1)[1]
    header = next(line for line in matrix.splitlines() if line.startswith("| case"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["case", "expected", *HOSTS]
    assert [row[0] for row in table_after(reliability, "## The fault matrix")] == [
        case.name for case in CASES
    ]


def test_the_report_fields_the_ci_page_names_are_the_report_s() -> None:
    """docs/ci.md names what ``almostism_boot`` returns and its example reads ``report.reason``: each
    must be a field of :class:`RunReport` (``reason`` was once ``problem``, and the example failed with an
    AttributeError exactly when a boot failed), and each is a key of ``run --json``."""
    ci = page("docs/ci.md")
    named = re.search(r"returning the report \(([^)]*)\)", ci)
    assert named is not None
    fields = re.findall(r"`(\w+)`", named.group(1))
    read_in_examples = set(re.findall(r"\breport\.(\w+)", ci))
    assert "reason" in fields and read_in_examples <= set(fields)
    report = RunReport(
        "qemu", "embedded", 4, True, 1.0, "", True, reason="the liturgy ended with errorlevel 4"
    )
    for name in fields:
        assert hasattr(report, name), name
        assert name in report.as_json(), name
