"""The scripture's 1024 cells as a picture: ``inspect --map``, and the web page's grid.

1023 bytes and the 1024th left unset, drawn 32 x 32: each region (creed, parser, unique byte, zeros,
checksum, the unset cell) with its own glyph and colour, and every cell that differs from a true
scripture marked, so a judged or a destroyed one shows where. The regions come from
:mod:`almostism_dos.scripture`, and the web page is given them from here (:func:`regions_for_page`):
one table, drawn by two languages.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fat12 import DELETED, DIR_FIRST_CLUSTER, DIR_NAME_SIZE, DIR_SIZE, Fat12Image, ImageError, directory_name
from .formats import DIRECTORY_ENTRY
from .programs import parser_bytes
from .scripture import (
    CHECKSUM_OFFSET,
    CREED,
    PARSER_OFFSET,
    PARSER_SIZE,
    SCRIPTURE_FILE,
    SIZE,
    UNIQUE_BYTES,
    UNIQUE_OFFSET,
    ZEROS_OFFSET,
)

CELLS = SIZE + 1  # the 1023 bytes and the one left unset
COLUMNS = 32
DIFFERS = "!"  # a cell that differs from a true scripture, where colour cannot say it
_RESET, _DIFFERING = "\x1b[0m", "\x1b[1;97;41m"  # bold white on red: a cell that differs


@dataclass(frozen=True)
class Region:
    """One part of the scripture: its cells, and how the picture draws them."""

    name: str
    cells: range
    glyph: str
    colour: str  # an SGR sequence: the region's colour on a terminal
    css: str  # the same colour on the web page


REGIONS = (
    Region("creed", range(0, PARSER_OFFSET), "C", "\x1b[30;43m", "#d9a400"),
    Region("parser", range(PARSER_OFFSET, PARSER_OFFSET + PARSER_SIZE), "P", "\x1b[30;46m", "#2aa8b8"),
    Region("unique byte", range(UNIQUE_OFFSET, ZEROS_OFFSET), "U", "\x1b[30;45m", "#b15cc9"),
    Region("zeros", range(ZEROS_OFFSET, CHECKSUM_OFFSET), ".", "\x1b[90m", "#3a3a3a"),
    Region("checksum", range(CHECKSUM_OFFSET, SIZE), "S", "\x1b[30;42m", "#4caf50"),
    Region("the 1024th, left unset", range(SIZE, CELLS), "o", "\x1b[97;44m", "#3060d0"),
)


def region_of(cell: int) -> Region:
    """The region a cell (0-1023) belongs to."""
    return next(region for region in REGIONS if cell in region.cells)


def differing(data: bytes) -> set[int]:
    """The cells where ``data`` differs from a true scripture: a byte of creed, parser or zeros that is
    not the one it must be, a unique byte out of 1-255, a checksum that does not make the sum 0 mod 256,
    a cell the file is too short to fill, and a 1024th byte that is there at all."""
    true = CREED + parser_bytes()
    found = {cell for cell in range(len(true)) if cell >= len(data) or data[cell] != true[cell]}
    found |= {cell for cell in range(ZEROS_OFFSET, CHECKSUM_OFFSET) if cell >= len(data) or data[cell]}
    if len(data) <= UNIQUE_OFFSET or data[UNIQUE_OFFSET] not in UNIQUE_BYTES:
        found.add(UNIQUE_OFFSET)
    if len(data) < SIZE or sum(data[:SIZE]) % 256:
        found.add(CHECKSUM_OFFSET)
    if len(data) > SIZE:
        found.add(SIZE)
    return found


def draw(data: bytes, colour: bool) -> str:
    """The grid: 32 rows of 32 cells, each row headed by its first offset, then the legend. ``colour``:
    each region in its colour and differing cells in red (else plain glyphs, ``!`` for a differing cell)."""
    odd = differing(data)
    rows = []
    for start in range(0, CELLS, COLUMNS):
        cells = [_cell(cell, cell in odd, colour) for cell in range(start, start + COLUMNS)]
        rows.append((f"{start:04X} " + "".join(cells)).rstrip())
    legend = [
        f"{_cell(region.cells.start, False, colour)}{region.name} ({_span(region.cells)})"
        for region in REGIONS
    ]
    odd_swatch = f"{_DIFFERING}{DIFFERS} {_RESET}" if colour else f"{DIFFERS} "
    legend.append(f"{odd_swatch}differs from a true scripture ({len(odd)} of {CELLS})")
    return (
        "\n".join(rows)
        + "\n"
        + "\n".join(
            legend[i] + ("   " + legend[i + 1] if i + 1 < len(legend) else "")
            for i in range(0, len(legend), 2)
        )
        + "\n"
    )


def _cell(cell: int, odd: bool, colour: bool) -> str:
    region = region_of(cell)
    if not colour:
        return (DIFFERS if odd else region.glyph) + " "
    return f"{_DIFFERING if odd else region.colour}{region.glyph} {_RESET}"


def _span(cells: range) -> str:
    return str(cells.start) if len(cells) == 1 else f"{cells.start}-{cells.stop - 1}"


def scripture_cells(image: Fat12Image) -> tuple[bytes, str] | None:
    """The scripture's bytes on a volume and what they are: a file in use, or, where the liturgy has
    deleted it, the cells its entry still points at (the chain freed, so read as DOS's UNDELETE reads a
    short file: from its first cluster on). None when there is neither."""
    entry = image.find(SCRIPTURE_FILE)
    if entry is not None and not entry.is_directory:
        size = min(entry.size, CELLS)
        try:
            chain = image.chain(entry.first_cluster) if size else []
        except ImageError:
            return None  # (a broken chain: inspect says so in the scripture's verdict)
        return b"".join(image.cluster(cluster) for cluster in chain)[:size], "on the disk"
    wanted = directory_name(SCRIPTURE_FILE)[1:]
    layout = image.layout
    for slot in range(layout.root_entries):
        offset = layout.root_offset + slot * DIRECTORY_ENTRY
        raw = image.data[offset : offset + DIRECTORY_ENTRY]
        if raw[0] == DELETED and raw[1:DIR_NAME_SIZE].decode("cp437", "replace") == wanted:
            first = int.from_bytes(raw[DIR_FIRST_CLUSTER : DIR_FIRST_CLUSTER + 2], "little")
            size = min(int.from_bytes(raw[DIR_SIZE : DIR_SIZE + 4], "little"), CELLS)
            start = layout.cluster_offset(first)
            if first < 2 or start + size > len(image.data):
                return None
            cells = image.data[start : start + size]
            zeroed = ", every one zeroed" if not any(cells) else ""
            return cells, f"deleted, as its entry still points at them{zeroed}"
    return None


def page_cells(image: Fat12Image, volume_offset: int) -> dict[str, object] | None:
    """What the web page needs to draw the scripture's cells from the image's bytes, before the boot and
    after it: where in the image each of its bytes lies (the spans of its clusters), where its directory
    entry lies, the regions, and which cells differ from a true scripture before the boot. None when the
    image holds no scripture in use."""
    entry = image.find(SCRIPTURE_FILE)
    if entry is None or entry.is_directory or not entry.size:
        return None
    try:
        clusters = image.chain(entry.first_cluster)
    except ImageError:
        return None
    spans, left = [], min(entry.size, SIZE)
    for cluster in clusters:
        length = min(image.layout.cluster_size, left)
        if length > 0:
            spans.append([volume_offset + image.layout.cluster_offset(cluster), length])
        left -= length
    found = scripture_cells(image)
    regions = [
        {"name": region.name, "start": region.cells.start, "stop": region.cells.stop, "glyph": region.glyph}
        | {"css": region.css}
        for region in REGIONS
    ]
    return {
        "spans": spans,
        "entry": volume_offset + entry.offset,
        "columns": COLUMNS,
        "count": CELLS,
        "differing": sorted(differing(found[0])) if found else [],
        "regions": regions,
    }
