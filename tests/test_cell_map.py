"""``inspect --map``: the scripture's 1024 cells drawn 32 x 32, each region its glyph (and colour on a
terminal), every cell that differs from a true scripture marked: on a valid, a judged and a destroyed one."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pexpect
import pytest

from almostism_dos import reference
from almostism_dos.cell_map import CELLS, COLUMNS, DIFFERS, REGIONS
from almostism_dos.cli import main
from almostism_dos.fat12 import Fat12Image
from almostism_dos.liturgy_change import destroyed
from almostism_dos.scripture import CHECKSUM_OFFSET, SCRIPTURE_FILE
from tests.images import embedded_image, self_booting


def grid(out: str) -> list[str]:
    """The grid's cells, glyph by glyph, in order."""
    rows = [line for line in out.splitlines() if len(line) > 5 and line[:4].isalnum() and line[4] == " "]
    rows = [row for row in rows if all(c in "0123456789ABCDEF" for c in row[:4])]
    return [glyph for row in rows for glyph in row[5:].split()]


def mapped(image: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["inspect", "--map", str(image)]) == 0
    return capsys.readouterr().out


def test_a_true_scripture_shows_each_region_in_its_glyph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 0x5A)
    out = mapped(image, capsys)
    cells = grid(out)
    assert len(cells) == CELLS and len(out.split("0020 ")[0].splitlines()[-1].split()) == COLUMNS + 1
    assert Counter(cells) == Counter({region.glyph: len(region.cells) for region in REGIONS})
    assert "\x1b" not in out  # no terminal here: plain glyphs
    assert "(0 of 1024)" in out


def test_a_judged_scripture_shows_where_it_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    false = bytearray(reference.build(0x5A))
    false[3] ^= 0xFF
    image = tmp_path / "a.img"
    image.write_bytes(embedded_image(bytes(false)))
    cells = grid(mapped(image, capsys))
    assert {cell for cell, glyph in enumerate(cells) if glyph == DIFFERS} == {3, CHECKSUM_OFFSET}


def test_a_gap_sets_the_1024th_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(embedded_image(reference.build(0x5A) + b"\x00"))
    assert grid(mapped(image, capsys))[CELLS - 1] == DIFFERS


def test_a_destroyed_scripture_shows_its_zeroed_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    true = reference.build(0x5A)
    image = tmp_path / "a.img"
    image.write_bytes(destroyed(embedded_image(true), SCRIPTURE_FILE))
    assert Fat12Image.parse(image.read_bytes()).find(SCRIPTURE_FILE) is None
    out = mapped(image, capsys)
    assert "deleted" in out and "every one zeroed" in out
    cells = grid(out)
    assert {cell for cell, glyph in enumerate(cells) if glyph == DIFFERS} == {
        cell for cell, byte in enumerate(true) if byte and cell != CHECKSUM_OFFSET
    } | {50}  # (1023 zeros sum to 0: the checksum holds; the unique byte 0 is out of range)


def test_json_carries_the_cells_and_what_differs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 0x5A)
    capsys.readouterr()
    assert main(["inspect", "--map", "--json", str(image)]) == 0
    shown = json.loads(capsys.readouterr().out)["map"]
    assert bytes.fromhex(shown["bytes"]) == reference.build(0x5A) and shown["differing"] == []


@pytest.mark.parametrize("no_color", [False, True])
def test_on_a_terminal_in_colour_unless_no_color(tmp_path: Path, no_color: bool) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 0x5A)
    environment = {"TERM": "xterm", "PATH": "/usr/bin:/bin"} | ({"NO_COLOR": "1"} if no_color else {})
    child = pexpect.spawn(
        sys.executable,
        ["-m", "almostism_dos", "inspect", "--map", str(image)],
        env=environment,
        encoding="utf-8",
    )
    child.expect(pexpect.EOF, timeout=60)
    shown = child.before or ""
    region_colours = [region.colour for region in REGIONS]
    assert all(colour in shown for colour in region_colours) != no_color
    assert ("\x1b[" in shown) != no_color
