"""A PC's text screen: its size, and its rows as video memory holds them.

A leaf, so that starting an emulator in a terminal of the screen's size needs no terminal emulator.
"""

from __future__ import annotations

COLUMNS = 80
ROWS = 25
TEXT_MEMORY = 0xB8000  # where a colour adapter keeps the text screen (linear address)
TEXT_BYTES = COLUMNS * ROWS * 2  # a character and its attribute for every cell


# Video memory's bytes 0-31 and 127 are glyphs on a PC's screen (a BIOS banner's heart is 03h), but
# Python's cp437 decodes them as control characters, which a terminal would act on: the glyphs instead,
# and 00h blank, as a screen shows it.
_GLYPHS = str.maketrans(dict(enumerate(" ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼")) | {0x7F: "⌂"})


def text_rows(memory: bytes, columns: int = COLUMNS) -> list[str]:
    """The rows of a text screen from its video memory (character, attribute: two bytes a cell), each
    cell as the PC draws it."""
    return character_rows(memory[::2], columns)


def character_rows(characters: bytes, columns: int = COLUMNS) -> list[str]:
    """The rows of a text screen from its characters alone (one byte a cell), as the PC draws them."""
    text = characters.decode("cp437").translate(_GLYPHS)
    return [text[start : start + columns] for start in range(0, len(text), columns)]
