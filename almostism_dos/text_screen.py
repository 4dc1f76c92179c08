"""A PC's text screen: its size, and its rows as video memory holds them.

A leaf, so that starting an emulator in a terminal of the screen's size needs no terminal emulator.
"""

from __future__ import annotations

COLUMNS = 80
ROWS = 25
TEXT_MEMORY = 0xB8000  # where a colour adapter keeps the text screen (linear address)
TEXT_BYTES = COLUMNS * ROWS * 2  # a character and its attribute for every cell


def text_rows(memory: bytes, columns: int = COLUMNS) -> list[str]:
    """The rows of a text screen from its video memory (character, attribute: two bytes a cell)."""
    characters = memory[::2].decode("cp437")
    return [characters[start : start + columns] for start in range(0, len(characters), columns)]
