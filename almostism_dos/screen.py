"""What an emulator shows, rendered: its console stream fed through a VT100 terminal emulator (pyte).

An emulator's console carries terminal control sequences (SeaBIOS sends ``ESC c``, a full reset, and
``ESC [?7l``, line wrap off; Bochs's curses display moves the cursor everywhere). Those are rendered here
into plain text and never reach the user's terminal. Everything else (the transcript ``run`` prints,
``--json``'s console, finding the result line) reads the rendered text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from .text_screen import COLUMNS, ROWS


@cache
def _keeping_screen_class() -> type[Any]:
    """pyte's screen, made to keep what leaves it. Built (and pyte imported) on first use, so that an
    emulator can be started before the terminal emulator has loaded: the boot runs meanwhile."""
    import pyte

    class KeepingScreen(pyte.Screen):
        """A pyte screen that keeps what leaves it: lines scrolled off the top, or cleared away."""

        def __init__(self, columns: int, rows: int) -> None:
            self.gone: list[str] = []
            self._ready = False  # pyte calls reset() from __init__, before there is a display to keep
            super().__init__(columns, rows)
            self._ready = True

        @property
        def display(self) -> list[str]:
            """Every row as text. pyte's own asks wcwidth of each of the 2,000 cells, for wide characters
            a PC's text screen never holds (cp437 is single-width throughout): 0.8 ms a screen against
            0.3 ms so (measured), and a QEMU boot renders about 25 screens while QEMU wants the CPU."""
            return [self.row(y) for y in range(self.lines)]

        def row(self, y: int) -> str:
            """Row ``y`` as text."""
            line = self.buffer[y]
            return "".join([line[x].data for x in range(self.columns)])

        def used_rows(self) -> int:
            """Rows down to the cursor's, or to the last one with text on it, whichever is lower."""
            written = [row for row, line in self.buffer.items() if any(c.data.strip() for c in line.values())]
            return max(self.cursor.y, max(written) + 1 if written else 0)

        def _keep_display(self) -> None:
            self.gone.extend(line.rstrip() for line in self.display[: self.used_rows()])

        def index(self) -> None:
            """A line feed: on the bottom row the top line scrolls away, so keep it first."""
            if self.cursor.y == self.lines - 1 and not self.margins:
                self.gone.append(self.row(0).rstrip())
            super().index()

        def erase_in_display(self, how: int = 0, *args: object, **kwargs: object) -> None:
            if how in (2, 3):  # the whole screen
                self._keep_display()
            super().erase_in_display(how, *args, **kwargs)

        def reset(self) -> None:
            if self._ready:
                self._keep_display()
            super().reset()

    return KeepingScreen


class Screen:
    """The emulator's screen and everything that scrolled off it, as plain text."""

    def __init__(self, columns: int = COLUMNS, rows: int = ROWS) -> None:
        self._size = (columns, rows)
        self._pyte: tuple[Any, Any] | None = None  # (screen, stream), on first use

    @property
    def _screen(self) -> Any:
        return self._rendering()[0]

    def _rendering(self) -> tuple[Any, Any]:
        if self._pyte is None:
            import pyte

            screen = _keeping_screen_class()(*self._size)
            self._pyte = (screen, pyte.Stream(screen))
        return self._pyte

    def feed(self, text: str) -> None:
        """Render more of the console stream."""
        self._rendering()[1].feed(text.replace("\x00", ""))

    def complete_lines(self) -> list[str]:
        """Lines the cursor has left behind: they will not change as more text arrives."""
        shown = [line.rstrip() for line in self._screen.display[: self._screen.cursor.y]]
        return list(self._screen.gone) + shown

    def current_line(self) -> str:
        """The line the cursor is on, which may still change (a countdown redrawn in place)."""
        screen = self._screen
        row = screen.buffer[screen.cursor.y]  # (one row: pyte's display renders all of them)
        return "".join(row[column].data for column in range(screen.columns)).rstrip()

    def lines(self) -> list[str]:
        """The whole transcript: every line kept, then the screen down to its last text."""
        shown = [line.rstrip() for line in self._screen.display[: self._screen.used_rows()]]
        return list(self._screen.gone) + shown

    def show(self, rows: list[str], cursor: tuple[int, int] | None = None) -> None:
        """Redraw the display in place from a text screen's rows, as video memory holds them: home, each
        row down to the last with text, the rest erased; then the cursor to ``cursor`` (row, column),
        where the machine says where its cursor is (else it stays after the last row with text). The
        rows above the cursor are the ones a person has read: a line at the bottom (GLaBIOS's version)
        must not make every row above it count as read while the BIOS still writes them.

        Video memory says nothing of how it came to differ, so the difference tells: lines the cursor
        had left that now stand higher up scrolled off, and are kept; lines it had left that are gone
        altogether were cleared away (a BIOS clears the screen after its banner), and the whole display
        is kept, as a clear seen in a console stream keeps it. Without that, v86's boot lost the VGA
        BIOS banner from the transcript, and a person watching never saw the lines that took their
        rows (measured: the creed and the result line missing on a terminal, 3 of 3)."""
        written = [row.rstrip() for row in rows]
        while written and not written[-1]:
            written.pop()
        screen = self._screen
        settled = [line.rstrip() for line in screen.display[: screen.cursor.y]]
        if written[: len(settled)] != settled:
            scrolled = next(
                (by for by in range(1, len(settled)) if written[: len(settled) - by] == settled[by:]), None
            )
            if scrolled is None:
                screen._keep_display()
            else:
                screen.gone.extend(settled[:scrolled])
        moved = "" if cursor is None else f"\x1b[{cursor[0] + 1};{cursor[1] + 1}H"
        self.feed("\x1b[H" + "\r\n".join(row + "\x1b[K" for row in written) + "\x1b[J" + moved)

    def display(self) -> list[str]:
        """What the screen shows now, row by row."""
        return [line.rstrip() for line in self._screen.display]

    def text(self) -> str:
        """The transcript as text, one line each, ending in a newline when not empty."""
        lines = self.lines()
        return "\n".join(lines) + "\n" if lines else ""


Observer = Callable[[Screen], None]
"""Called whenever the screen may have changed, and now and then while the emulator is silent."""


def render(text: str) -> str:
    """A whole console stream rendered to its transcript."""
    screen = Screen()
    screen.feed(text)
    return screen.text()
