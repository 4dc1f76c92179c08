"""The ``almostism-dos`` command line.

Exit codes: ``verify`` exits with the verdict (0-6, as ALMOST.COM does). Every command exits 0 on
success, and otherwise prints one line to standard error and exits with one of :class:`ExitCode`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .emulators import BOOT_AS, DEFAULT, REGISTRY, TIMEOUT
from .stop_signals import Stopped, handle_stop_signals

if TYPE_CHECKING:
    from .emulators.base import Emulator
    from .run import RunReport

# Each command imports what it needs when it runs: a build never loads pexpect, a verify never pyfatfs,
# and building the parser imports none of the modules that know the sizes, programs and limits it
# names (they come in as :class:`_Later` values): ``run`` pays for the modules it uses and no others,
# once per boot (tests/test_imports.py proves it).


class ExitCode(IntEnum):
    """The tool's own failures (sysexits.h numbers, clear of the verdicts 0-6)."""

    USAGE = 64  # bad arguments
    DATA = 65  # an input is not what it should be (e.g. not a FAT image)
    NO_INPUT = 66  # an input file is missing or unreadable
    UNAVAILABLE = 69  # a needed program (emulator) is not installed
    SOFTWARE = 70  # the shipped assembly sources failed to build
    CANT_CREATE = 73  # an output may not or cannot be written
    IO_ERROR = 74  # standard output was closed before everything was written (``| head``)
    LITURGY_FAILED = 80  # run: the liturgy reported a non-zero errorlevel
    NOT_VANISHED = 81  # run: errorlevel 0, yet the scripture is still on the image
    NO_RESULT = 82  # run: no result line, or the emulator did not exit by itself in time
    NOT_RUN = 83  # diff: AFTER is BEFORE unchanged
    OTHER_CHANGES = 84  # diff: AFTER differs from BEFORE otherwise than exactly by the liturgy
    CHECK_FAILED = 85  # check: a cell that ran did not pass
    # stopped by a signal: 128 + its number, as a shell reports a process the signal ended
    STOPPED_BY_SIGHUP = 128 + signal.SIGHUP
    STOPPED_BY_SIGINT = 128 + signal.SIGINT
    STOPPED_BY_SIGTERM = 128 + signal.SIGTERM

    @property
    def meaning(self) -> str:
        """What the code tells the user, in the words ``--help`` and the reference page give it."""
        return EXIT_MEANINGS[self]


EXIT_MEANINGS = {  # the one table: --help prints it, docs/reference.md's table is checked against it
    ExitCode.USAGE: "bad arguments",
    ExitCode.DATA: "an input is not what it should be (not a FAT image, too large, no FreeDOS in it)",
    ExitCode.NO_INPUT: "an input is missing or unreadable (or a device, a pipe or a directory)",
    ExitCode.UNAVAILABLE: "a needed program is not installed (the message names the package); "
    "web --serve: the port cannot be had; check: no cell could run here",
    ExitCode.SOFTWARE: "the shipped assembly failed to build or lint",
    ExitCode.CANT_CREATE: "an output may not or cannot be written (exists without --force, a link, "
    "unwritable, the disk full)",
    ExitCode.IO_ERROR: "standard output was closed before everything was written (... | head -1)",
    ExitCode.LITURGY_FAILED: "run: the liturgy ended with a non-zero errorlevel",
    ExitCode.NOT_VANISHED: "run: errorlevel 0, yet the scripture is still on the image",
    ExitCode.NO_RESULT: "run: no result line (the boot stopped, timed out, or the emulator exited at once)",
    ExitCode.NOT_RUN: "diff: AFTER is BEFORE byte for byte: the liturgy did not run",
    ExitCode.OTHER_CHANGES: "diff: AFTER is not BEFORE with exactly the liturgy's change (something else "
    "changed, a step is missing, or it is another image)",
    ExitCode.CHECK_FAILED: "check: a cell that ran did not pass",
    ExitCode.STOPPED_BY_SIGHUP: "stopped by SIGHUP (its terminal closed)",
    ExitCode.STOPPED_BY_SIGINT: "stopped by Ctrl-C (SIGINT)",
    ExitCode.STOPPED_BY_SIGTERM: "stopped by SIGTERM",
}


def exit_codes_text() -> str:
    """The exit codes as ``--help`` lists them: success, verify's verdicts, then :class:`ExitCode`."""
    from .scripture import Verdict

    lines = [
        "exit codes:",
        "  0    success (run: the liturgy completed and the scripture is gone)",
        f"  0-{max(Verdict).value}  verify: the verdict ALMOST.COM would give (its errorlevel)",
    ]
    lines += [_wrapped(f"  {code.value:<4} {code.meaning}", 7) for code in ExitCode]
    return "\n".join(lines)


def _wrapped(text: str, indent: int = 0) -> str:
    """``text`` filled to the width argparse uses for its own help, later lines indented."""
    import textwrap

    return textwrap.fill(text, width=79, subsequent_indent=" " * indent, break_on_hyphens=False)


class CliError(Exception):
    """A failure of the command line itself (arguments that do not fit together) to report in one line
    with an exit code. The package's own failures are not wrapped in it: :data:`FAILURES` maps them."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


# The one table from the package's failures to exit codes. A command lets them rise and main() says
# them in one line; the most specific class of a failure that has an entry decides. Classes are named,
# not imported: a command loads only the modules it uses.
FAILURES: dict[str, ExitCode] = {
    "almostism_dos.builder.BuildRequestError": ExitCode.USAGE,
    "almostism_dos.check.ShardError": ExitCode.USAGE,
    "almostism_dos.emulators.base.ImageRefused": ExitCode.USAGE,
    "almostism_dos.fat12.ImageError": ExitCode.DATA,
    "almostism_dos.disk_diff.NoScripture": ExitCode.DATA,
    "almostism_dos.image.BuildError": ExitCode.DATA,
    "almostism_dos.freedos.FreeDosError": ExitCode.DATA,
    "almostism_dos.inputs.InputTooLarge": ExitCode.DATA,
    "almostism_dos.freedos.FreeDosNotFound": ExitCode.NO_INPUT,
    "almostism_dos.inputs.InputError": ExitCode.NO_INPUT,
    "almostism_dos.freedos.FreeDosDownloadError": ExitCode.UNAVAILABLE,
    "almostism_dos.emulators.base.EmulatorMissing": ExitCode.UNAVAILABLE,
    "almostism_dos.web.v86.V86Unavailable": ExitCode.UNAVAILABLE,
    "almostism_dos.web.site.BiosMissing": ExitCode.UNAVAILABLE,
    "almostism_dos.web.serve.ServeError": ExitCode.UNAVAILABLE,
    "almostism_dos.assembler.AssemblyError": ExitCode.SOFTWARE,
    "almostism_dos.lint8086.Not8086Error": ExitCode.SOFTWARE,
    "almostism_dos.programs.BudgetError": ExitCode.SOFTWARE,
    "almostism_dos.outputs.OutputError": ExitCode.CANT_CREATE,
    "almostism_dos.run.KeepCopyError": ExitCode.CANT_CREATE,
    "almostism_dos.web.site.SiteError": ExitCode.CANT_CREATE,
}
# Failures that are about one input, said after its name (``a.img: not a FAT12 volume``; see _concerning).
_ABOUT_AN_INPUT = ("almostism_dos.fat12.ImageError", "almostism_dos.disk_diff.NoScripture",
                   "almostism_dos.emulators.base.ImageRefused")  # fmt: skip


def _names(error: BaseException) -> list[str]:
    return [f"{kind.__module__}.{kind.__qualname__}" for kind in type(error).__mro__]


def exit_code_of(error: BaseException) -> ExitCode | None:
    """The exit code :data:`FAILURES` gives ``error``; None for a failure the table does not know (a bug:
    its traceback is the report)."""
    return next((FAILURES[name] for name in _names(error) if name in FAILURES), None)


@contextlib.contextmanager
def _concerning(name: object) -> Iterator[None]:
    """Failures about an input raised inside are said after ``name``: ``a.img: not a FAT12 volume``."""
    try:
        yield
    except Exception as error:
        code = exit_code_of(error)
        if code is None or not set(_names(error)) & set(_ABOUT_AN_INPUT):
            raise
        raise CliError(f"{name}: {error}", code) from None


class _Later:
    """A value for the parser known to a module it should not import to be built: a part of a help text
    (argparse fills ``%(name)s`` from the action's attributes) or an option's choices, computed from
    ``make`` the first time argparse reads it (for a help or usage text, or to check a value)."""

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make

    def __str__(self) -> str:
        return str(self.make())

    def __iter__(self) -> Iterator[object]:
        return iter(self.make())  # type: ignore[call-overload, no-any-return]

    def __contains__(self, value: object) -> bool:
        return value in self.make()  # type: ignore[operator]


def _sizes() -> str:
    from .formats import DEFAULT_KILOBYTES, FORMATS
    from .partition import DEFAULT_MEGABYTES, FAT12_LIMIT_MB, SMALLEST_MB

    return (
        f"floppy: KB, one of {'|'.join(map(str, FORMATS))} (default {DEFAULT_KILOBYTES}); "
        f"disk: MB, {SMALLEST_MB}..{FAT12_LIMIT_MB - 1} (default {DEFAULT_MEGABYTES})"
    )


def _longest_linger() -> int:
    from .result_line import LONGEST_LINGER

    return LONGEST_LINGER


def _default_linger() -> int:
    from .result_line import DEFAULT_LINGER

    return DEFAULT_LINGER


def _program_names() -> list[str]:
    from .programs import PROGRAMS

    return list(PROGRAMS)


PREFIX = "almostism-dos: error: "  # every failure's one line starts so, whichever command failed


class _Parser(argparse.ArgumentParser):
    """argparse's parser, saying a usage error in the tool's one line and exit code, and able to add a
    text to its help that is worked out only when the help is printed (``later_epilog``)."""

    later_epilog: Callable[[], str] | None = None

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{PREFIX}{message} (see: {self.prog} --help)\n")

    def format_help(self) -> str:
        if self.later_epilog is not None:
            self.epilog = "\n\n".join(filter(None, [self.epilog, self.later_epilog()]))
            self.later_epilog = None
        return super().format_help()


def printable(text: str) -> str:
    """``text`` safe for the user's terminal: what an image or a path holds that is not printable (an
    ESC that would clear the screen, a CR, a C1 control) is shown escaped, as ``\\x1b``."""
    return "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text
    )


def unique_byte(text: str) -> int:
    """Parse ``--unique-byte`` (decimal or 0x-hex, 1..255)."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    from .scripture import check_unique

    try:
        return check_unique(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).replace("the unique byte ", "")) from None


def _export(args: argparse.Namespace) -> int:
    from . import programs, scripture
    from .export import export

    unique = args.unique_byte or scripture.random_unique()
    written = export(args.directory, unique, args.force)
    print(f"wrote {written.almost} ({len(programs.almost_bytes())} bytes)")
    print(f"wrote {written.scripture} ({scripture.SIZE} bytes, unique byte 0x{unique:02X})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from . import reference, scripture
    from .inputs import InputError, InputMissing, read_head
    from .scripture import Verdict

    path: Path = args.file
    shown = printable(str(path))
    try:
        data: bytes | None = read_head(path, scripture.SIZE + 1)  # as much as ALMOST.COM reads to judge
    except InputMissing:
        data = None
    except InputError as error:
        print(
            f"{shown}: ALMOST.COM would give {Verdict.IO.value}, I/O failure ({printable(str(error))}): "
            f"{Verdict.IO.would}. Nothing was changed."
        )
        return Verdict.IO
    verdict, flaw = reference.judgement(data)
    unique = reference.unique_byte(data) if data is not None else None
    lead = verdict.meaning.split(":")[0] + (f" (invalid {flaw.value})" if flaw is not None else "")
    detail = f"; unique byte 0x{unique:02X}" if unique is not None else ""
    said = f"ALMOST.COM would give {verdict.value}, {lead}: {verdict.would}{detail}"
    print(f"{shown}: {said}. Nothing was changed.")
    if data is not None and _looks_like_an_image(path, data):
        print(f"{shown} looks like a disk image: almostism-dos inspect {shown} judges the scripture on it.")
    return verdict


def _looks_like_an_image(path: Path, head: bytes) -> bool:
    """A file a floppy's size or more that starts with a boot sector: someone meant ``inspect``."""
    from .formats import FORMATS

    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size >= min(FORMATS) * 1024 and head[510:512] == b"\x55\xaa"


def _listing(args: argparse.Namespace) -> int:
    from . import programs

    chosen = [args.program] if args.program else list(programs.PROGRAMS)
    sys.stdout.write("\n".join(programs.assembly(name).listing() for name in chosen))
    return 0


def _build(args: argparse.Namespace) -> int:
    from .builder import BuildRequest, build

    linger = _default_linger() if args.linger is None else args.linger
    request = BuildRequest(
        args.output,
        media=args.media,
        size=args.size,
        boot=args.boot,
        freedos=args.freedos,
        unique=args.unique_byte,
        linger=linger,
        force=args.force,
    )
    built = build(request)
    ending = f"the verdict stays {linger} s (a key: at once)" if linger else "it switches off at once"
    print(
        f"built {built.path}: {built.amount} {built.boot} {built.media} ({built.source}), "
        f"unique byte 0x{built.unique:02X}; {ending}"
    )
    return 0


def _read_image(path: Path) -> bytes:
    from .inputs import read_input
    from .partition import LARGEST_READ

    return read_input(path, LARGEST_READ, "floppy or disk image")


def _diff(args: argparse.Namespace) -> int:
    import json

    from .disk_diff import Outcome, compare
    from .inputs import read_back

    before = _read_image(args.before)
    after = read_back(args.after, len(before))
    with _concerning(args.before):
        found = compare(before, after)
    if args.json:
        print(json.dumps({"before": str(args.before), "after": str(args.after), **found.as_dict()}, indent=2))
    else:
        print(printable(found.summary))
        if found.outcome is Outcome.OTHER and found.steps:
            print(
                "  the liturgy: "
                + ", ".join(f"{step} {'yes' if done else 'NO'}" for step, done in found.steps.items())
            )
        for change in found.changes:
            print(printable(f"  {change.where}: {change.what}"))
    codes = {Outcome.LITURGY: 0, Outcome.NOT_RUN: ExitCode.NOT_RUN, Outcome.OTHER: ExitCode.OTHER_CHANGES}
    return int(codes[found.outcome])


def _diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", type=Path, metavar="BEFORE", help="the image as it was written (only read)")
    parser.add_argument(
        "after",
        type=Path,
        metavar="AFTER",
        help="what came back: an image file, or a block device such as /dev/sdX (only read, no further "
        "than BEFORE's size)",
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(run=_diff)


def _inspect(args: argparse.Namespace) -> int:
    import json

    from .inspection import Presence, inspect

    data = _read_image(args.image)
    with _concerning(args.image):
        report = inspect(data)
        cells = _scripture_cells(data) if args.map else None
    if args.json:
        shown = report.as_dict()
        if args.map:
            shown["map"] = None if cells is None else _map_json(*cells)
        print(json.dumps(shown, indent=2))
        return 0
    geometry = report.geometry
    image, label = printable(str(args.image)), printable(str(report.label))
    print(f"{image}: {report.format}, boot: {report.boot}, label {label}, serial {report.serial}")
    for entry in report.partitions:
        last = entry.first_sector + entry.sectors - 1
        print(
            f"  partition {entry.number}: {'active, ' if entry.active else ''}type {entry.type:02X}h, "
            f"sectors {entry.first_sector}..{last} ({entry.sectors * 512 // 1024} KB)"
        )
    print(
        f"  geometry: {geometry['heads']} heads, {geometry['sectors_per_track']} sectors/track, "
        f"{geometry['total_sectors']} sectors, {geometry['reserved_sectors']} reserved, "
        f"media {geometry['media']:#04x}, "
        f"FATs {'equal' if report.fats_equal else 'DIFFER'}"
    )
    if report.boot_problem:
        print(f"  boot: WOULD STOP: {report.boot_problem}")
    if report.program_problem:
        print(f"  program: {report.program_problem}")
    if report.linger:
        print(f"  switches off after a countdown of {report.linger} s (a key: at once)")
    for item in report.files:
        print(f"  {printable(item.name):<12} {item.size:>8}  {item.attributes}")
    state = report.scripture
    if state.state is Presence.VALID:
        print(f"  scripture: present and valid, unique byte 0x{state.unique_byte:02X}")
    elif state.state is Presence.INVALID and report.program_problem:
        print(f"  scripture: present (as it lies: {state.meaning}); with that {_almost()}, no sure verdict")
    elif state.state is Presence.INVALID:
        print(f"  scripture: present, would get {state.verdict} ({state.meaning})")
    else:
        print("  scripture: absent")
    if args.map:
        _print_map(cells)
    return 0


SCRIPTURE_MAP_TITLE = "SCRIPTUR.ALM, cell by cell"


def _almost() -> str:
    from .programs import ALMOST

    return ALMOST


def _scripture_cells(data: bytes) -> tuple[bytes, str] | None:
    """The scripture's cells on an image's volume, and where they came from (see ``cell_map``)."""
    from .cell_map import scripture_cells
    from .fat12 import Fat12Image
    from .partition import volume

    return scripture_cells(Fat12Image.parse(volume(data)[1]))


def _map_json(data: bytes, held: str) -> dict[str, object]:
    from .cell_map import differing

    return {"held": held, "bytes": data.hex(), "differing": sorted(differing(data))}


def _print_map(cells: tuple[bytes, str] | None) -> None:
    """The 1024 cells as a grid, coloured on a terminal unless NO_COLOR is set."""
    from .cell_map import draw
    from .live import can_redraw

    if cells is None:
        print("  no scripture cells to draw: no SCRIPTUR.ALM, in use or deleted")
        return
    data, held = cells
    print(f"\n{SCRIPTURE_MAP_TITLE}: {len(data)} bytes, {held}")
    print(draw(data, colour=can_redraw(sys.stdout) and not os.environ.get("NO_COLOR")), end="")


class _Accepting:
    """For a help text: the emulators that honour a run option, looked up only when the help is printed
    (that imports every emulator's module, which no other use of the parser should pay for)."""

    def __init__(self, option: str, boot_as: str = "floppy") -> None:
        self.option = option
        self.boot_as = boot_as

    def __str__(self) -> str:
        from .emulators import accepting

        return ", ".join(accepting(self.option, self.boot_as))


def _naming_emulators(action: argparse.Action, option: str) -> None:
    """Let ``action``'s help text say ``%(emulators)s``: argparse fills it from the action's attributes."""
    action.emulators = _Accepting(option)  # type: ignore[attr-defined]


def _emulator(args: argparse.Namespace) -> Emulator:
    """The emulator ``--emulator`` names, set up with the options given; a usage error for one it lacks."""
    from .emulators import accepting, emulator_class
    from .emulators.base import RunOptions, UnsupportedOption

    chosen = emulator_class(args.emulator)
    try:
        return chosen.configured(
            RunOptions(
                args.screenshot,
                args.write_protected,
                boot_as=args.boot_as,
                machine=args.machine,
                rompath=args.rompath,
            )
        )
    except UnsupportedOption as error:
        medium = f"--as {error.boot_as}"
        flag = medium if error.option == "boot_as" else f"--{error.option.replace('_', '-')}"
        flag += f" {medium}" if error.boot_as != "floppy" and error.option != "boot_as" else ""
        capable = accepting(error.option, error.boot_as)
        needs = f"needs --emulator {' or '.join(capable)}" if capable else "is beyond every emulator here"
        raise CliError(f"{flag} {needs}", ExitCode.USAGE) from None


def _run(args: argparse.Namespace) -> int:
    from .live import LiveView, can_redraw
    from .outputs import check_output
    from .partition import has_partition_table
    from .run import run_image
    from .scratch import sweep

    data = _read_image(args.image)  # a regular file no larger than an image, or one line and an exit code
    if args.boot_as is None:  # a disk boots as a disk; a floppy from drive A:
        args.boot_as = "disk" if has_partition_table(data) else "floppy"
    elif args.boot_as == "floppy" and has_partition_table(data):
        raise CliError(
            f"{args.image}: a partitioned disk image boots as a disk (--as disk or usb)", ExitCode.USAGE
        )
    if args.image.is_symlink() and not args.keep:
        raise CliError(
            f"{args.image}: is a symbolic link; run changes the image in place and writes through no link "
            "(name the file itself, or use --keep)",
            ExitCode.CANT_CREATE,
        )
    if args.screenshot is not None:
        check_output(args.screenshot, args.force)
    emulator = _emulator(args)
    view = None
    try:
        if not (args.json or args.quiet):
            view = LiveView(sys.stdout, emulator.title, can_redraw(sys.stdout), lambda: emulator.doing)
            view.start()
        with _concerning(args.image):
            report = run_image(args.image, emulator, args.timeout, view, keep=args.keep, data=data)
    finally:
        if view is not None:
            view.abandon()  # (a stop's or an error's line then starts a line of its own)
        # What a killed run of ours left (QEMU's scratch may be in /tmp): after the boot, which need
        # not wait for it.
        from tempfile import gettempdir

        sweep(gettempdir(), "/tmp")
    if view is not None:
        view.finish(report.console)
        print()
    if args.json:
        import json

        report.emulator_version = emulator.version()  # (asked only here: a process of its own)
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(_summary(emulator.title, report, args.keep))
        if report.ok and not args.keep and not args.quiet:
            image = printable(str(args.image))
            print(
                f"{image} is spent: its scripture is gone. To boot it again, build it again "
                f"(almostism-dos build -o {image} --force), or boot copies with run --keep."
            )
    if report.unsaved is not None:
        print(f"{PREFIX}{printable(report.unsaved)}", file=sys.stderr)
    if report.ok:
        return 0 if report.unsaved is None else ExitCode.CANT_CREATE
    print(f"{PREFIX}{printable(report.reason or '')}", file=sys.stderr)
    if report.errorlevel is None or not report.exited:
        return ExitCode.NO_RESULT
    return ExitCode.LITURGY_FAILED if report.errorlevel != 0 else ExitCode.NOT_VANISHED


def _check(args: argparse.Namespace) -> int:
    import json
    from tempfile import gettempdir

    from .check import (
        check,
        header,
        image_drives,
        matrix,
        parse_shard,
        prepare_log_dir,
        row,
        shard,
        total,
    )
    from .outputs import check_output
    from .run import parsed_volume
    from .scratch import sweep

    data = _read_image(args.image)
    with _concerning(args.image):
        parsed_volume(data)  # (no FAT12 volume: said once, here, not once a cell)
    sweep(gettempdir(), "/tmp")
    cells = matrix(data, args.emulators or (), args.drives or ())
    if not cells:
        possible = ", ".join(image_drives(data)[0])
        raise CliError(
            f"no cell: {args.image} boots as {possible}, and no emulator asked for boots it as a drive "
            "asked for",
            ExitCode.USAGE,
        )
    whole = len(cells)
    index, count = 1, 1
    if args.shard is not None:
        index, count = parse_shard(args.shard)
        cells = shard(cells, index, count)
    if args.junit_xml is not None:
        check_output(args.junit_xml, force=True)
    if args.log_dir is not None:
        prepare_log_dir(args.log_dir)
    image = printable(str(args.image))
    jobs = args.jobs or os.cpu_count() or 1
    part = f", shard {index}/{count} of {whole}" if args.shard is not None else ""
    if not args.json:
        print(f"check {image}: {len(cells)} cells{part}, {jobs} at a time")
        print(header(), flush=True)
    results, seconds = check(
        data,
        cells,
        args.timeout,
        jobs,
        args.log_dir,
        None if args.json else lambda result: print(row(result), flush=True),
        args.image,
    )
    if args.junit_xml is not None:
        from .junit import write_junit_xml

        write_junit_xml(args.junit_xml, str(args.image), results, seconds)
    verdicts = [result.verdict for result in results]
    if args.json:
        shown = {
            "image": str(args.image),
            "shard": f"{index}/{count}",
            "cells": [result.as_json() for result in results],
            "passed": verdicts.count("pass"),
            "failed": verdicts.count("FAIL"),
            "skipped": verdicts.count("skip"),
            "ok": "FAIL" not in verdicts and "pass" in verdicts,
            "seconds": round(seconds, 3),
        }
        print(json.dumps(shown, indent=2))
    else:
        print(total(results, seconds))
    if "FAIL" in verdicts:
        return ExitCode.CHECK_FAILED
    if results and "pass" not in verdicts:
        print(f"{PREFIX}no cell ran: every one was skipped (the reasons above name what to install)",
              file=sys.stderr)  # fmt: skip
        return ExitCode.UNAVAILABLE
    return 0


def _summary(title: str, report: RunReport, kept: bool) -> str:
    """The verdict line: which emulator and system, the errorlevel, and what became of the scripture."""
    where = title if report.os == title else f"{title} ({report.os})"
    level = "no result line" if report.errorlevel is None else f"errorlevel {report.errorlevel}"
    scripture = {True: "scripture gone", False: "scripture still there", None: "no scripture on the image"}
    return f"{where}: {level}, {scripture[report.vanished]}, {report.seconds:.2f} s" + (
        " (on a copy; the image is unchanged)" if kept else ""
    )


def _freedos(args: argparse.Namespace) -> int:
    from . import freedos

    if args.action == "fetch":
        target = freedos.fetch(args.url or freedos.FD13_URL, args.sha256 or freedos.FD13_SHA256)
    else:
        target = freedos.import_image(args.path)
    print(f"FreeDOS boot floppy cached at {target}")
    return 0


def _web(args: argparse.Namespace) -> int:
    import signal

    from .scratch import private_directory, sweep
    from .web.serve import Stopped, serve
    from .web.site import write_site

    if (args.output is None) == (not args.serve):
        raise CliError("web needs -o DIR or --serve (one of them)", ExitCode.USAGE)
    _read_image(args.image)
    sweep()
    with private_directory("web") as scratch:
        try:
            with _concerning(args.image):
                site = write_site(args.image, args.output or Path(scratch), args.force)
        except OSError as error:  # (writing the site: the one failure not of ours the table cannot name)
            raise CliError(str(error), ExitCode.CANT_CREATE) from None
        if not args.serve:
            import shlex

            where = shlex.quote(str(site.directory))
            print(f"wrote {printable(str(site.page))}")
            print(
                f"Serve it, then open http://127.0.0.1:8000/ (file:// cannot load the floppy): "
                f"python3 -m http.server --bind 127.0.0.1 -d {printable(where)} 8000"
            )
            return 0

        def stop(number: int, frame: object) -> None:
            raise Stopped

        for number in (signal.SIGTERM, signal.SIGHUP):  # stopped any way but SIGKILL, it cleans up
            signal.signal(number, stop)
        try:
            serve(site.directory, site.page.name, args.port, sys.stdout)
        except (Stopped, KeyboardInterrupt):  # stopped before serve() could catch it itself
            print("stopped")
        finally:
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # nothing interrupts the clean-up
                signal.signal(number, signal.SIG_IGN)
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (0..65535): {text!r}")
    return value


def _linger(text: str) -> int:
    """A whole number of seconds; whether the host can count that many, the build request checks."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds from 0 to {_longest_linger()}") from None


def _size(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory", type=Path, metavar="DIR", help="where to write them (created if missing)"
    )
    parser.add_argument(
        "--unique-byte", type=unique_byte, metavar="N", help="1..255 (default: random, printed)"
    )
    parser.add_argument("--force", action="store_true", help="replace files already there")
    parser.set_defaults(run=_export)


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="a file on this computer (only read)")
    parser.set_defaults(run=_verify)


def _listing_arguments(parser: argparse.ArgumentParser) -> None:
    program = parser.add_argument(
        "program",
        nargs="?",
        choices=_Later(_program_names),
        metavar="PROGRAM",  # (without it argparse lists the choices as the parser is built)
        help="one of %(names)s (default: all of them)",
    )
    program.names = _Later(lambda: ", ".join(_program_names()))  # type: ignore[attr-defined]
    parser.set_defaults(run=_listing)


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="IMG", help="where to write the image (required)"
    )
    parser.add_argument(
        "--media",
        choices=("floppy", "disk"),
        default="floppy",
        help="a floppy image, or a hard-disk image (USB stick, CF card) with one partition "
        "(default: %(default)s)",
    )
    sizes = parser.add_argument("--size", type=_size, metavar="N", help="%(sizes)s")
    sizes.sizes = _Later(_sizes)  # type: ignore[attr-defined]
    parser.add_argument(
        "--boot",
        choices=("auto", "freedos", "embedded"),
        default="auto",
        help="FreeDOS, or our own built-in host; auto: FreeDOS when one is configured (default: %(default)s)",
    )
    parser.add_argument(
        "--freedos",
        type=Path,
        metavar="PATH",
        help="a FreeDOS boot floppy image or directory (default: $ALMOSTISM_FREEDOS, then the user cache)",
    )
    parser.add_argument(
        "--unique-byte", type=unique_byte, metavar="N", help="1..255 (default: random, printed)"
    )
    linger = parser.add_argument(
        "--linger",
        type=_linger,
        default=None,
        metavar="SECONDS",
        help="keep the verdict on screen this long before switching off, a key cutting it short; "
        "every boot by this tool presses that key; 0: switch off at once, for a raw CI harness "
        "(0..%(longest)s; default: %(fallback)s)",
    )
    linger.longest = _Later(_longest_linger)  # type: ignore[attr-defined]
    linger.fallback = _Later(_default_linger)  # type: ignore[attr-defined]
    parser.add_argument("--force", action="store_true", help="replace an existing image")
    parser.set_defaults(run=_build)


def _inspect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMG", help="a floppy or disk image (only read)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--map",
        action="store_true",
        help="draw the scripture's 1024 cells as a 32 x 32 grid, each region in its colour, what differs "
        "from a true scripture marked (plain glyphs without a terminal or with NO_COLOR)",
    )
    parser.set_defaults(run=_inspect)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86400:  # (NaN fails both comparisons)
        raise argparse.ArgumentTypeError(f"{text!r}: seconds, more than 0 and less than a day")
    return value


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "image",
        type=Path,
        metavar="IMG",
        help="the image to boot; the liturgy consumes its scripture, unless --keep",
    )
    parser.add_argument(
        "--emulator", choices=list(REGISTRY), default=DEFAULT, help="what boots it (default: %(default)s)"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=TIMEOUT,
        metavar="S",
        help="give up after S seconds with no result line; a countdown after it is never cut "
        "(default: %(default)g)",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the report as JSON, nothing else")
    shown.add_argument("--quiet", action="store_true", help="print only the final verdict line")
    parser.add_argument("--keep", action="store_true", help="boot a private copy; leave IMG as it was")
    screenshot = parser.add_argument(
        "--screenshot", type=Path, metavar="PNG", help="save the final text screen (%(emulators)s)"
    )
    _naming_emulators(screenshot, "screenshot")
    parser.add_argument("--force", action="store_true", help="replace an existing --screenshot file")
    protected = parser.add_argument(
        "--write-protected", action="store_true", help="a write-protected floppy (%(emulators)s)"
    )
    _naming_emulators(protected, "write_protected")
    medium = parser.add_argument(
        "--as",
        dest="boot_as",
        choices=list(BOOT_AS),
        help="boot IMG from drive A: (a floppy image's default), a hard disk (a disk image's default; "
        "%(disk)s) or a USB stick (%(usb)s)",
    )
    for value in BOOT_AS:
        setattr(medium, value, _Accepting("boot_as", value))
    from .emulators import DEFAULT_MACHINE, MACHINES, ROMS_VARIABLE

    machine = parser.add_argument(
        "--machine",
        choices=list(MACHINES),
        help=f"the machine (%(emulators)s): {', '.join(f'{k}, the {v}' for k, v in MACHINES.items())} "
        f"(default: {DEFAULT_MACHINE})",
    )
    _naming_emulators(machine, "machine")
    rompath = parser.add_argument(
        "--rompath",
        type=Path,
        metavar="DIR",
        help=f"the directory of the machine's ROM sets (%(emulators)s; default: ${ROMS_VARIABLE}, else "
        "MAME's own ROM directories)",
    )
    _naming_emulators(rompath, "rompath")
    parser.set_defaults(run=_run)


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMG", help="the image to prove (only read: each cell "
                        "boots a copy)")  # fmt: skip
    parser.add_argument(
        "--emulator",
        dest="emulators",
        action="append",
        choices=list(REGISTRY),
        metavar="NAME",
        help=f"only this emulator (repeat for more; default: all of {', '.join(REGISTRY)})",
    )
    parser.add_argument(
        "--as",
        dest="drives",
        action="append",
        choices=list(BOOT_AS),
        metavar="DRIVE",
        help=f"only this drive (repeat for more; default: every one each emulator boots IMG as: "
        f"{', '.join(BOOT_AS)})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=TIMEOUT,
        metavar="S",
        help="a cell gives up after S seconds with no result line (default: %(default)g)",
    )
    parser.add_argument(
        "--jobs", type=_jobs, metavar="N", help="cells booting at once (default: the cores, %(cores)s)"
    ).cores = _Cores()  # type: ignore[attr-defined]
    parser.add_argument("--json", action="store_true", help="print the cells as JSON, nothing else")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write the cells as JUnit XML")
    parser.add_argument(
        "--log-dir",
        type=Path,
        metavar="DIR",
        help="write each cell's console (and QEMU's final screen, as PNG) here",
    )
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="run the K-th of N parts of the cells (a CI job matrix's K and N): the N parts are all "
        "the cells, none twice",
    )
    parser.set_defaults(run=_check)


class _Cores:
    """For a help text: the number of cores, asked only when the help is printed."""

    def __str__(self) -> str:
        return str(os.cpu_count() or 1)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{text!r}: cells at once, from 1 to 256")
    return value


def _freedos_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, parser_class=_Parser, metavar="ACTION")
    fetching = actions.add_parser(
        "fetch",
        help="download the official FreeDOS 1.3 floppy edition and cache its boot floppy",
        description="Download the official FreeDOS 1.3 Floppy Edition, check it against its pinned SHA-256 "
        "and cache its boot floppy, where build finds it.",
    )
    fetching.add_argument("--url", help=argparse.SUPPRESS)  # a mirror; the pin still applies
    fetching.add_argument("--sha256", help=argparse.SUPPRESS)
    importing = actions.add_parser(
        "import",
        help="check a local FreeDOS boot floppy image and cache it",
        description="Check a local FreeDOS boot floppy image and cache it, where build finds it.",
    )
    importing.add_argument("path", type=Path, metavar="PATH", help="a FreeDOS boot floppy image (only read)")
    parser.set_defaults(run=_freedos)


def _web_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMG", help="the floppy or disk image the page boots")
    parser.add_argument("-o", "--output", type=Path, metavar="DIR", help="write the site into DIR")
    parser.add_argument("--force", action="store_true", help="replace a site already in DIR")
    parser.add_argument(
        "--serve", action="store_true", help="write it to a temporary directory and serve it on 127.0.0.1"
    )
    parser.add_argument(
        "--port", type=_port, default=8086, metavar="N", help="--serve's port (default: %(default)s)"
    )
    parser.set_defaults(run=_web)


@dataclass(frozen=True)
class _Command:
    """One command: its line in the top-level help, its own help's description and examples, and what
    adds its arguments to its parser."""

    summary: str
    description: str
    examples: tuple[str, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]


# In the order a person uses them: build, run, inspect; then the rest.
_COMMANDS: dict[str, _Command] = {
    "build": _Command(
        "build a bootable image that performs the liturgy",
        "Write a floppy image (or a hard-disk image for a USB stick or a CF card) that boots, runs "
        "ALMOST.COM on its scripture, prints ALMOSTISM RESULT errorlevel=N and, after a countdown a key "
        "cuts short, switches off.",
        (
            "almostism-dos build -o almostism.img",
            "almostism-dos build -o a.img --size 360 --boot embedded",
            "almostism-dos build -o stick.img --media disk --linger 30",
            "almostism-dos build -o ci.img --linger 0",
        ),
        _build_arguments,
    ),
    "run": _Command(
        "boot an image in an emulator and check the scripture vanished",
        "Boot IMG in an emulator, show its screen, then read IMG again: exit 0 only when the liturgy "
        "reported errorlevel 0 and the scripture is gone. The boot consumes the scripture; --keep boots "
        "a copy instead.",
        (
            "almostism-dos run almostism.img",
            "almostism-dos run --keep --emulator bochs almostism.img",
            "almostism-dos run --json --as usb almostism.img",
        ),
        _run_arguments,
    ),
    "inspect": _Command(
        "show what an image holds and what its scripture would get",
        "Show an image's format, partitions, files, and its scripture's state: valid, judged (the "
        "errorlevel it would get), or absent. Only reads IMG.",
        (
            "almostism-dos inspect almostism.img",
            "almostism-dos inspect --map almostism.img",
            "almostism-dos inspect --json stick.img",
        ),
        _inspect_arguments,
    ),
    "check": _Command(
        "boot an image on every emulator and drive here, as CI does",
        "Boot a copy of IMG on every installed emulator, as every drive each boots it from (floppy, "
        "IDE disk, USB stick), several at once, and print a line for each as it ends: exit 0 only when "
        "every cell that ran passed (85 when one failed; 69 when none could run). A missing emulator "
        "is a skipped cell that names what to install. IMG itself is only read.",
        (
            "almostism-dos check almostism.img",
            "almostism-dos check almostism.img --emulator qemu --as floppy --as usb",
            "almostism-dos check ci.img --shard 1/2 --junit-xml report-1.xml --log-dir logs",
        ),
        _check_arguments,
    ),
    "diff": _Command(
        "did exactly the liturgy happen to a disk read back after a boot?",
        "Compare AFTER, a disk read back after a boot (an image file, or the stick, card or floppy itself "
        "as a block device), with BEFORE, the image as it was written: exit 0 only when AFTER is BEFORE "
        "with exactly the liturgy's change (the scripture deleted, its bytes zeroed, its chain freed in "
        "every FAT; a DOS's write stamp allowed). Otherwise it says what else changed, by file, FAT, "
        "directory entry or sector. Only reads both.",
        (
            "almostism-dos diff almostism.img readback.img",
            "sudo almostism-dos diff stick.img /dev/sdX",
            "almostism-dos diff --json almostism.img readback.img",
        ),
        _diff_arguments,
    ),
    "verify": _Command(
        "judge a file as ALMOST.COM would; exit with that verdict",
        "Judge FILE as ALMOST.COM would, and exit with the errorlevel it would give (0-6). Only reads "
        "FILE: nothing is zeroed or deleted. For a disk image, use inspect.",
        ("almostism-dos verify SCRIPTUR.ALM",),
        _verify_arguments,
    ),
    "web": _Command(
        "a web page that boots the image in the browser (v86)",
        "Write a static site that boots IMG in the browser (v86), or serve one on 127.0.0.1.",
        (
            "almostism-dos web almostism.img --serve",
            "almostism-dos web almostism.img -o site && python3 -m http.server -d site 8000",
        ),
        _web_arguments,
    ),
    "freedos": _Command(
        "get FreeDOS into the user cache, for build",
        "Get a FreeDOS boot floppy into the user cache, where build finds it.",
        ("almostism-dos freedos fetch", "almostism-dos freedos import x86BOOT.img"),
        _freedos_arguments,
    ),
    "export": _Command(
        "write ALMOST.COM and SCRIPTUR.ALM into a directory",
        "Write ALMOST.COM and a scripture into DIR, to copy onto any DOS disk by hand.",
        ("almostism-dos export out/ --unique-byte 0x5a",),
        _export_arguments,
    ),
    "listing": _Command(
        "print the annotated listing of the shipped programs",
        "Print each program's listing: address, bytes and source line.",
        ("almostism-dos listing almost",),
        _listing_arguments,
    ),
}


def _examples(lines: Sequence[str]) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job; given ``command`` (one of them), with that one
    only, which is all its arguments need. (Every parser argparse creates asks gettext for its section
    titles, a search of the file system each time: measured, building the other seven cost a ``run``
    4 ms, 8 against 4.)"""
    parser = _Parser(
        prog="almostism-dos",
        description=_wrapped(
            "Build, boot and prove the Almostism scripture: a 1023-byte file that DOS reads, verifies "
            "and deletes."
        ),
        epilog=_examples(["almostism-dos build -o almostism.img", "almostism-dos run almostism.img"])
        + "\n\nalmostism-dos COMMAND --help tells more of each.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.later_epilog = exit_codes_text
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND", title="commands"
    )
    for name, spec in _COMMANDS.items():
        if command in (None, name):
            spec.add_arguments(
                commands.add_parser(
                    name,
                    help=spec.summary,
                    description=_wrapped(spec.description),
                    epilog=_examples(spec.examples),
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                )
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:  # what the tool is and its commands, rather than argparse's one complaint
        build_parser().print_help(sys.stderr)
        return ExitCode.USAGE
    named = next((word for word in arguments if not word.startswith("-")), None)  # the command, if any
    args = build_parser(named if named in _COMMANDS else None).parse_args(arguments)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return int(run(args))
    except CliError as error:
        print(f"{PREFIX}{printable(str(error))}", file=sys.stderr)
        return error.code
    except Exception as error:
        code = exit_code_of(error)
        if code is None:
            raise
        said = f"the shipped assembly failed to build: {error}" if code == ExitCode.SOFTWARE else str(error)
        print(f"{PREFIX}{printable(said)}", file=sys.stderr)
        return code


def console_main() -> int:
    """The ``almostism-dos`` command: :func:`main`, then an exit that skips the last garbage collection.

    Stopped by Ctrl-C, SIGTERM (a CI job's time limit) or SIGHUP (its terminal closed), a command unwinds
    as from an error: the emulator is stopped, temporary files are removed, a half-written output is
    not left behind; then one line and 128 + the signal's number, as a shell reports a process the
    signal ended. A signal that was ignored when the command started (``nohup``) stays ignored.

    Everything still alive is frozen first, so the interpreter's final collection has nothing to scan:
    measured, that cut the exit after a ``run`` from about 20 ms to 7 (paid once per boot in a user's CI).
    Nothing is lost: the process ends anyway, and its atexit handlers and open files are finished as
    before.
    """
    import gc

    handle_stop_signals()  # (done already where the command came through entry.py: the same handlers)
    closed = sys.stdout is None  # started with standard output closed (``>&-``): as good as no reader
    if closed:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (standard output, for the rest of the process)
    try:
        code = main()
        sys.stdout.flush()  # (a reader that went away shows here, not in the interpreter's exit)
    except BrokenPipeError:
        closed = True
    except KeyboardInterrupt:
        code = _stopped_by(signal.SIGINT)
    except Stopped as stopped:
        code = _stopped_by(stopped.number)
    if closed:
        code = _output_cut_short()
    gc.freeze()
    return code


def _stopped_by(number: int) -> int:
    """One line for a command a signal stopped, and the exit code a shell gives a process it ended."""
    for ignored in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # (the line and the exit, in peace)
        signal.signal(ignored, signal.SIG_IGN)
    name = signal.Signals(number).name
    print(f"almostism-dos: stopped by {name}{' (Ctrl-C)' if name == 'SIGINT' else ''}", file=sys.stderr)
    return ExitCode[f"STOPPED_BY_{name}"]


def _output_cut_short() -> int:
    """Standard output's reader went away (``| head -1``), or there was none (``>&-``): one line on
    standard error, EX_IOERR, and standard output pointed at /dev/null, so that the interpreter's last
    flush finds nothing to fail on.
    ``run`` has finished its boot and judged the image by then (its live view stops writing, no more)."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    print(f"{PREFIX}standard output was closed before everything was written", file=sys.stderr)
    return ExitCode.IO_ERROR
