"""The ``almostism-dos`` command line.

Exit codes: ``verify`` exits with the verdict (0-5, as ALMOST.COM does). Every command exits 0 on
success, and otherwise prints one line to standard error and exits with one of :class:`ExitCode`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

from . import programs, scripture
from .assembler import AssemblyError
from .export import export
from .lint8086 import Not8086Error
from .outputs import OutputError
from .scripture import Verdict


class ExitCode(IntEnum):
    """The tool's own failures (sysexits.h numbers, clear of the verdicts 0-5)."""

    USAGE = 64  # bad arguments
    DATA = 65  # an input is not what it should be (e.g. not a FAT image)
    NO_INPUT = 66  # an input file is missing or unreadable
    UNAVAILABLE = 69  # a needed program (emulator) is not installed
    SOFTWARE = 70  # the shipped assembly sources failed to build
    CANT_CREATE = 73  # an output may not or cannot be written


class CliError(Exception):
    """A failure to report in one line with an exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def unique_byte(text: str) -> int:
    """Parse ``--unique-byte`` (decimal or 0x-hex, 1..255)."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= 255:
        raise argparse.ArgumentTypeError(f"must be 1..255, not {value}")
    return value


def _export(args: argparse.Namespace) -> int:
    unique = args.unique_byte or scripture.random_unique()
    try:
        written = export(args.directory, unique, args.force)
    except OutputError as error:
        raise CliError(str(error), ExitCode.CANT_CREATE) from None
    print(f"wrote {written.loader} ({len(programs.loader_bytes())} bytes)")
    print(f"wrote {written.scripture} ({scripture.SIZE} bytes, unique byte 0x{unique:02X})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data: bytes | None = path.read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as error:
        print(f"{path}: {Verdict.IO.value} {Verdict.IO.meaning} (cannot read: {error.strerror})")
        return Verdict.IO
    verdict = scripture.judge(data)
    detail = (
        f", unique byte 0x{data[scripture.UNIQUE_OFFSET]:02X}" if data and verdict is Verdict.COMPLETE else ""
    )
    print(f"{path}: {verdict.value} {verdict.meaning}{detail}")
    return verdict


def _listing(args: argparse.Namespace) -> int:
    wanted = {"parser": [programs.parser_assembly], "loader": [programs.loader_assembly]}
    chosen = wanted.get(args.program, [programs.parser_assembly, programs.loader_assembly])
    sys.stdout.write("\n".join(assembly().listing() for assembly in chosen))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    parser = _Parser(prog="almostism-dos", description="Build, export and boot the Almostism scripture.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    exporting = commands.add_parser("export", help="write ALMOST.COM and SCRIPTUR.ALM into a directory")
    exporting.add_argument("directory", type=Path, metavar="DIR")
    exporting.add_argument("--unique-byte", type=unique_byte, metavar="N", help="1..255 (default: random)")
    exporting.add_argument("--force", action="store_true", help="replace existing files")
    exporting.set_defaults(run=_export)

    verifying = commands.add_parser("verify", help="judge a file as ALMOST.COM would; exit with the verdict")
    verifying.add_argument("file", type=Path, metavar="FILE")
    verifying.set_defaults(run=_verify)

    listing = commands.add_parser("listing", help="print the annotated listing")
    listing.add_argument("program", nargs="?", choices=["parser", "loader"])
    listing.set_defaults(run=_listing)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return int(run(args))
    except CliError as error:
        print(f"almostism-dos: error: {error}", file=sys.stderr)
        return error.code
    except (AssemblyError, Not8086Error, programs.BudgetError) as error:
        print(f"almostism-dos: error: the shipped assembly failed to build: {error}", file=sys.stderr)
        return ExitCode.SOFTWARE
