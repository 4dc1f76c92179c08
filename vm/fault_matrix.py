"""The fault matrix: every fault case, on every host that can express it.

A case says what is on the disk (the file's bytes, its attributes, a directory in its place, a
write-protected floppy, the floppy's size, a scattered chain, a full disk) and how ALMOST.COM is started
(its command tail); it expects an exit code and whether the target vanishes. A host runs a case and
reports the exit code seen and every way the disk differs from the one change that verdict allows
(:func:`vm.disk_changes.unexpected_changes`). Used by tests/test_fault_matrix.py and bench/reliability.py
(``python -m bench.reliability``).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from almostism_dos import freedos, programs, reference, scripture
from almostism_dos.emulators import BOOT_AS, REGISTRY, TIMEOUT, emulator_class
from almostism_dos.emulators.base import RunOptions
from almostism_dos.fat12 import ATTR_ARCHIVE, ATTR_READ_ONLY, Fat12Image, place_chain
from almostism_dos.floppy import embedded_image, freedos_files
from almostism_dos.formats import FORMATS, VolumeFormat, ceil_div
from almostism_dos.image import ImageFile, build_image
from almostism_dos.programs import ALMOST
from almostism_dos.result_line import result_in
from almostism_dos.scripture import CREED, PARSER_OFFSET, SCRIPTURE_FILE, SIZE, UNIQUE_OFFSET, Verdict
from vm.disk_changes import DESTROYING, filler, free_clusters, unexpected_changes
from vm.dos import Disk, Stop, run_com
from vm.pc import HardDisk, boot

BYSTANDER = ImageFile("LETTER.TXT", b"A bystander, never to be touched.\r\n")
VALID = reference.build(0x5A)


def _flip(offset: int, mask: int = 0x01) -> bytes:
    data = bytearray(VALID)
    data[offset] ^= mask
    return bytes(data)


def _announcing(length: int) -> bytes:
    """A creed file whose bytes 8.. are code that would print (DOS 09h) if anything ever ran it."""
    data = bytearray(VALID)
    data[PARSER_OFFSET : PARSER_OFFSET + 7] = bytes.fromhex("b409 ba0000 cd21")
    data[SIZE - 1] = scripture.checksum_byte(bytes(data[: SIZE - 1]))
    return bytes(data) + bytes(length - SIZE)


@dataclass(frozen=True)
class Case:
    """One fault: the disk, the command tail, and what must happen."""

    name: str
    content: bytes | None  # the file's bytes; None: no such file
    expected: Verdict  # the verdict, ALMOST.COM's exit code
    vanishes: bool  # no file at the target path afterwards (also true if there never was one)
    path: str = SCRIPTURE_FILE  # where the file lies ("SUB\\HOLY.ALM": in a subdirectory)
    tail: str = ""  # ALMOST.COM's command tail
    read_only: bool = False
    directory: bool = False  # a directory stands where the file would be
    write_protected: bool = False
    kilobytes: int = 1440  # the floppy's format
    fragmented: bool = False  # the file's clusters scattered backwards across the disk
    full_disk: bool = False  # not one cluster free
    root_entries: int | None = None  # a root directory of this many entries (None: the format's own)

    @property
    def has_layout(self) -> bool:
        """The case is about clusters, which only a real FAT disk has."""
        return self.kilobytes != 1440 or self.fragmented or self.full_disk or self.root_entries is not None

    @property
    def floppy(self) -> VolumeFormat:
        """The volume's format: the floppy size's, with the root directory this case asks for."""
        standard = FORMATS[self.kilobytes]
        return standard if self.root_entries is None else replace(standard, root_entries=self.root_entries)

    @property
    def needs_tail(self) -> bool:
        return bool(self.tail) or self.path != SCRIPTURE_FILE

    @property
    def spoken(self) -> tuple[str, ...]:
        """What ALMOST.COM must print for this case: the judge's words; for a true scripture the creed line
        and its instance line; for an I/O failure the prefix (the step depends on the host)."""
        verdict = scripture.Verdict(self.expected)
        if verdict is scripture.Verdict.COMPLETE and self.content is not None:
            return scripture.CREED_LINE, scripture.instance_line(self.content[UNIQUE_OFFSET])
        if verdict is scripture.Verdict.IO:
            return (scripture.IO_PREFIX,)
        flaw = reference.judgement(self.content)[1] if verdict is scripture.Verdict.FALSE else None
        return (scripture.words(verdict, flaw) or "",)

    def spoken_in(self, console: str) -> bool:
        """Every line :attr:`spoken` names is on ``console``."""
        return all(line in console for line in self.spoken)


CASES = [
    Case("valid scripture", VALID, Verdict.COMPLETE, vanishes=True),
    Case("missing scripture", None, Verdict.ABSENT, vanishes=True),
    Case(
        "ordinary file named SCRIPTUR.ALM",
        b"Dear reader, an ordinary letter.\r\n",
        Verdict.FOREIGN,
        vanishes=False,
    ),
    Case("zero-length file", b"", Verdict.FOREIGN, vanishes=False),
    Case("3 bytes of the creed", CREED[:3], Verdict.FOREIGN, vanishes=False),
    Case("1022 zero bytes", bytes(1022), Verdict.FOREIGN, vanishes=False),
    Case("1024 zero bytes", bytes(1024), Verdict.FOREIGN, vanishes=False),
    Case("directory named SCRIPTUR.ALM", None, Verdict.IO, vanishes=True, directory=True),
    Case("8 bytes: the creed alone", CREED, Verdict.FALSE, vanishes=True),
    Case("512 bytes with the creed", VALID[:512], Verdict.FALSE, vanishes=True),
    Case("513 bytes with the creed", VALID[:513], Verdict.FALSE, vanishes=True),
    Case("1022 bytes with the creed", VALID[:1022], Verdict.FALSE, vanishes=True),
    Case("1023 bytes, all zero (husk)", bytes(1023), Verdict.HUSK, vanishes=True),
    Case("1024 bytes with the creed", VALID + b"\0", Verdict.GAP, vanishes=True),
    Case("4096 bytes with the creed", VALID + bytes(3073), Verdict.GAP, vanishes=True),
    Case("bad checksum", _flip(1022, 0x80), Verdict.FALSE, vanishes=True),
    Case("flipped bit: creed", _flip(3), Verdict.FOREIGN, vanishes=False),
    Case("flipped bit: parser", _flip(20), Verdict.FALSE, vanishes=True),
    Case("flipped bit: unique byte", _flip(50, 0x02), Verdict.FALSE, vanishes=True),
    Case("flipped bit: padding", _flip(600), Verdict.FALSE, vanishes=True),
    Case("flipped bit: checksum", _flip(1022), Verdict.FALSE, vanishes=True),
    Case("read-only attribute, valid scripture", VALID, Verdict.IO, vanishes=False, read_only=True),
    Case(
        "read-only attribute, ordinary file",
        b"read-only letter\r\n",
        Verdict.FOREIGN,
        vanishes=False,
        read_only=True,
    ),
    Case("write-protected floppy", VALID, Verdict.IO, vanishes=False, write_protected=True),
    Case(
        "write-protected floppy, 8 bytes with the creed",
        CREED,
        Verdict.IO,
        vanishes=False,
        write_protected=True,
    ),
    Case("tail of 127 characters, no terminator", VALID, Verdict.ABSENT, vanishes=False, tail="A" * 127),
    Case("tail with spaces", VALID, Verdict.COMPLETE, vanishes=True, tail="   SCRIPTUR.ALM   and more words"),
    Case(
        "tail: path into a subdirectory",
        VALID,
        Verdict.COMPLETE,
        vanishes=True,
        path="SUB\\HOLY.ALM",
        tail="SUB\\HOLY.ALM",
    ),
    Case("tail: name longer than 8.3", VALID, Verdict.COMPLETE, vanishes=True, tail="SCRIPTURE_FILE.ALMS"),
    Case(
        "tail: path into a missing directory",
        VALID,
        Verdict.ABSENT,
        vanishes=False,
        tail="NOWHERE\\SCRIPTUR.ALM",
    ),
    Case("tail of blanks only: the default name", VALID, Verdict.COMPLETE, vanishes=True, tail="    "),
    Case("gap violation whose code would print", _announcing(4096), Verdict.GAP, vanishes=True),
    Case("parser replaced by code that would print", _announcing(1023), Verdict.FALSE, vanishes=True),
    Case("8 bytes with the creed, 160 KB floppy", CREED, Verdict.FALSE, vanishes=True, kilobytes=160),
    Case(
        "1024 bytes with the creed, 160 KB floppy", VALID + b"\0", Verdict.GAP, vanishes=True, kilobytes=160
    ),
    Case(
        "513 bytes with the creed, 720 KB floppy (1 KB clusters)",
        VALID[:513],
        Verdict.FALSE,
        vanishes=True,
        kilobytes=720,
    ),
    Case(
        "scripture scattered over non-adjacent clusters",
        VALID,
        Verdict.COMPLETE,
        vanishes=True,
        fragmented=True,
    ),
    Case(
        "4096 bytes with the creed, scattered",
        VALID + bytes(3073),
        Verdict.GAP,
        vanishes=True,
        fragmented=True,
    ),
    Case("8 bytes with the creed, disk full", CREED, Verdict.FALSE, vanishes=True, full_disk=True),
    # Reported: inspect said 6 and QEMU 0 on "a volume with 16 root entries". A BPB changed to 16 after
    # the files were laid out for 224 reads ALMOST.COM from the wrong sectors (inspect now says so); a
    # volume laid out for 16, as here, is judged alike everywhere.
    Case("a root directory of 16 entries", VALID, Verdict.COMPLETE, vanishes=True, root_entries=16),
    Case("valid scripture, disk full", VALID, Verdict.COMPLETE, vanishes=True, full_disk=True),
]


@dataclass(frozen=True)
class Observed:
    """What a host showed."""

    exit_code: int | None
    vanished: bool
    changes: list[str]  # every way the disk differs from what the expected verdict allows (empty: none)
    console: str  # what was printed (ALMOST.COM's lines among the rest)
    ran: frozenset[int] | None = None  # offsets of the file's bytes that executed, where a host can watch


def ran_as_allowed(case: Case, ran: frozenset[int]) -> bool:
    """Only a true scripture may run any of its bytes, and then only its verified parser (8..49), which
    a completed liturgy did run; any other file runs none of its bytes."""
    if case.content is None or case.directory or reference.judge(case.content) is not Verdict.COMPLETE:
        return not ran
    return ran <= set(range(PARSER_OFFSET, UNIQUE_OFFSET)) and (
        bool(ran) or case.expected != Verdict.COMPLETE
    )


class HostMissing(Exception):
    """The host is not installed or configured here (an emulator, FreeDOS); the message names the fix."""


def _able(case: Case) -> str | None:
    return None


@dataclass(frozen=True)
class Host:
    """One column of the matrix: how it runs a case, and why it cannot set one up (None: it can). What a
    host cannot express is known before anything runs: the matrix leaves those cells out, and only a
    host missing here (:class:`HostMissing`, raised by ``run``) is a skip."""

    run: Callable[[Case], Observed]
    unable: Callable[[Case], str | None] = _able


# --- images and the bytes outside the judged file -------------------------------------------------


def _mtools(*arguments: str) -> None:
    environment = {"MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null", "PATH": "/usr/bin:/bin"}
    subprocess.run(list(arguments), check=True, capture_output=True, env=environment)


def _scatter(image: bytes, path: str) -> bytes:
    """The file's data moved onto free clusters far apart, the last of them first (odd and even)."""
    parsed = Fat12Image.parse(image)
    entry = parsed.find(path)
    assert entry is not None
    free = free_clusters(image)
    needed = ceil_div(entry.size, parsed.layout.cluster_size)
    step = len(free) // (needed + 1)
    scattered = bytearray(image)
    place_chain(scattered, path, [free[step * (index + 1) + index % 2] for index in reversed(range(needed))])
    return bytes(scattered)


def case_image(case: Case, build: Callable[[list[ImageFile]], bytes], system: list[ImageFile]) -> bytes:
    """A floppy made by ``build`` from the system files, a bystander, and the case's file set up."""
    files = [*system, BYSTANDER]
    if case.content is not None and case.path == SCRIPTURE_FILE:
        attributes = ATTR_ARCHIVE | (ATTR_READ_ONLY if case.read_only else 0)
        files.append(ImageFile(SCRIPTURE_FILE, case.content, attributes))
    data = build(files)
    if case.full_disk:
        data = build([*files, filler(data)])
        assert free_clusters(data) == []
    if case.fragmented:
        data = _scatter(data, case.path)
    if not case.directory and case.path == SCRIPTURE_FILE:
        return data
    with tempfile.TemporaryDirectory(prefix="almostism-case-") as scratch:
        path = Path(scratch) / "case.img"
        path.write_bytes(data)
        if case.directory:
            _mtools("mmd", "-i", str(path), f"::{SCRIPTURE_FILE}")
        else:
            directory, _, name = case.path.rpartition("\\")
            (Path(scratch) / name).write_bytes(case.content or b"")
            _mtools("mmd", "-i", str(path), f"::{directory}")
            _mtools("mcopy", "-i", str(path), str(Path(scratch) / name), f"::{directory}/{name}")
        return path.read_bytes()


def _image_outcome(
    case: Case, before: bytes, after: bytes, exit_code: int | None, console: str, stamped: bool
) -> Observed:
    entry = Fat12Image.parse(after).find(case.path)
    vanished = entry is None or entry.is_directory
    verdict = Verdict(case.expected)
    judged = Fat12Image.parse(before).find(case.path)
    if judged is None or judged.is_directory:  # nothing to destroy: the disk must stay as it was
        verdict = Verdict.ABSENT
    changes = unexpected_changes(before, after, case.path, verdict, stamped=stamped)
    return Observed(exit_code, vanished, changes, console)


# --- hosts ------------------------------------------------------------------------------------------


def _no_layout(case: Case) -> str | None:
    return (
        "the Python DOS keeps files as bytes: it has no clusters or floppy sizes" if case.has_layout else None
    )


def _no_tail(case: Case) -> str | None:
    return "the host starts ALMOST.COM with an empty command tail" if case.needs_tail else None


def run_unicorn_dos(case: Case) -> Observed:
    """ALMOST.COM under the Unicorn DOS machine (vm/dos.py)."""
    disk = Disk(write_protected=case.write_protected)
    disk.add(BYSTANDER.name, BYSTANDER.data)
    if case.directory:
        disk.directories.add(SCRIPTURE_FILE)
    if "\\" in case.path:
        disk.directories.add(case.path.rpartition("\\")[0])
    if case.content is not None:
        disk.add(case.path, case.content, read_only=case.read_only)
    before = disk.contents()
    buffer = programs.assembly("almost").symbols["buffer"]  # where ALMOST.COM reads the file
    read = range(buffer, buffer + SIZE + 1)
    result = run_com(programs.almost_bytes(), disk, " " + case.tail if case.tail else "", watch=read)
    after = disk.contents()
    target = case.path.upper()  # (a directory is not in ``files``: no file there)
    kept = Verdict(case.expected) not in DESTROYING  # then the target must not change either
    strays = [
        name
        for name in before.keys() | after.keys()
        if (name != target or kept) and before.get(name) != after.get(name)
    ]
    exit_code = result.exit_code if result.stop == Stop.EXIT else None
    ran = frozenset(address - read.start for address in result.executed_watch)
    return Observed(exit_code, target not in after, strays, result.output, ran)


def _embedded_image(case: Case) -> bytes:
    return case_image(
        case,
        lambda files: embedded_image(case.floppy, files, 0),
        [ImageFile(ALMOST, programs.almost_bytes())],
    )


def embedded_unicorn(hard_disk: HardDisk | None = None) -> Host:
    """The self-booting floppy in the Unicorn PC (vm/pc.py), as drive A: or as ``hard_disk``."""

    def run(case: Case) -> Observed:
        before = _embedded_image(case)
        result, disk = boot(before, write_protected=case.write_protected, hard_disk=hard_disk)
        return _image_outcome(case, before, bytes(disk.image), result_in(result.output), result.output, False)

    return Host(run, _no_tail)


def _boot(
    case: Case, before: bytes, emulator: str, options: RunOptions, stamped: bool, timeout: float = TIMEOUT
) -> Observed:
    """Boot ``before`` in a registered emulator and compare the image afterwards (``stamped``: the DOS
    stamps the write time into the zeroed file's entry)."""
    from almostism_dos.run import run_image

    kind = emulator_class(emulator)
    missing = kind.unavailable()
    if missing is not None:
        raise HostMissing(missing)
    with tempfile.TemporaryDirectory(prefix="almostism-case-") as scratch:
        image = Path(scratch) / "case.img"
        image.write_bytes(before)
        report = run_image(image, kind.configured(options), timeout)
        return _image_outcome(case, before, image.read_bytes(), report.errorlevel, report.console, stamped)


def _protects(emulator: str, boot_as: str, case: Case) -> str | None:
    """Why ``emulator`` cannot boot ``case`` as ``boot_as``: a write-protected medium it cannot offer."""
    if case.write_protected and not emulator_class(emulator).honours("write_protected", boot_as):
        return f"{emulator} cannot write-protect a {boot_as}"
    return None


def _run_booting(emulator: str, stamped: bool, boot_as: str = "floppy") -> Callable[[Case, bytes], Observed]:
    def run(case: Case, before: bytes) -> Observed:
        options = RunOptions(write_protected=case.write_protected, boot_as=boot_as)
        return _boot(case, before, emulator, options, stamped, timeout=20)

    return run


def embedded_on(emulator: str, boot_as: str = "floppy") -> Host:
    """The self-booting floppy in an emulator that boots it, as ``boot_as`` (a floppy, a disk, a stick).
    An emulator whose drives take only some sizes (MAME's XT) gets each 1.44 MB case on a 360 KB floppy."""
    boot_it = _run_booting(emulator, stamped=False, boot_as=boot_as)
    sizes = emulator_class(emulator).floppy_kilobytes

    def run(case: Case) -> Observed:
        if sizes is not None and case.kilobytes not in sizes:
            case = replace(case, kilobytes=XT_FLOPPY)
        return boot_it(case, _embedded_image(case))

    return Host(run, lambda case: _no_tail(case) or _protects(emulator, boot_as, case))


def _batch_line(case: Case) -> str | None:
    if len(case.tail) > 120:
        return "FreeCOM runs no batch line this long, so ALMOST.COM never starts"
    return None


def freedos_on(emulator: str) -> Host:
    """A FreeDOS floppy in an emulator that boots it (FreeDOS must be configured)."""
    boot_it = _run_booting(emulator, stamped=True)

    def run(case: Case) -> Observed:
        located = freedos.locate(None)
        if located is None:
            raise HostMissing(f"no FreeDOS configured: set {freedos.ENVIRONMENT}")
        system = freedos.load(located)
        files = freedos_files(system, None, case.tail)
        floppy = case.floppy
        image = case_image(case, lambda files: build_image(floppy, system.boot_code, files, 0), files)
        return boot_it(case, image)

    return Host(run, lambda case: _batch_line(case) or _protects(emulator, "floppy", case))


def own_dos_on(emulator: str) -> Host:
    """ALMOST.COM under an emulator's own DOS (DOSBox), the image mounted as A:; the DOS stamps the time."""
    kind = emulator_class(emulator)

    def run(case: Case) -> Observed:
        options = RunOptions(arguments=case.tail, write_protected=case.write_protected)
        return _boot(case, _embedded_image(case), emulator, options, stamped=True)

    def unable(case: Case) -> str | None:
        if case.write_protected and "write_protected" not in kind.accepts():
            return f"{kind.title} mounts floppy images writable only"
        if case.tail and "arguments" not in kind.accepts():
            return f"{kind.title} takes no command tail for ALMOST.COM"
        return None

    return Host(run, unable)


# Where a host does not do what DOS does; the matrix shows the observed outcome, the tests expect it.
KNOWN_DEVIATIONS = {
    ("DOSBox", "read-only attribute, valid scripture"): (
        "DOSBox 0.74 opens a read-only file on a mounted FAT image for writing: the liturgy completes (0)"
    ),
}


# Emulators whose hard-disk boot gets a column: two BIOS lineages. v86's disk path (SeaBIOS again) and
# QEMU's USB stick are proved by the disk images in tests/test_vm.py: 40 more browser boots would cost a
# minute of CPU in every run, and the USB stick is the one path seen to flake under load (Host quirks).
DISK_COLUMNS = ("qemu", "bochs")


# An emulator whose drives take only some floppy sizes (MAME's IBM PC/XT: 160-720 KB) runs a
# representative subset, each 1.44 MB case on the XT's own 360 KB floppy: a boot costs about 3 s of CPU
# there (0.3 s in QEMU), and the whole matrix would add two minutes to every run. The subset: each
# verdict the host can reach, each floppy size it takes, a scattered chain and a full disk.
XT_FLOPPY = 360
XT_CASES = frozenset(
    {
        "valid scripture",
        "missing scripture",
        "ordinary file named SCRIPTUR.ALM",
        "directory named SCRIPTUR.ALM",
        "8 bytes: the creed alone",
        "1024 bytes with the creed",
        "1023 bytes, all zero (husk)",
        "bad checksum",
        "read-only attribute, valid scripture",
        "8 bytes with the creed, 160 KB floppy",
        "513 bytes with the creed, 720 KB floppy (1 KB clusters)",
        "scripture scattered over non-adjacent clusters",
        "valid scripture, disk full",
    }
)
SUBSETS: dict[str, frozenset[str]] = {}  # host -> the only cases it runs (a host not here runs them all)


def _hosts() -> dict[str, Host]:
    """The two Unicorn machines, then every registered emulator: one that boots gets a column for each
    boot system, one with its own DOS a column of its own."""
    hosts: dict[str, Host] = {
        "Unicorn DOS": Host(run_unicorn_dos, _no_layout),
        "embedded, Unicorn PC": embedded_unicorn(),
        "embedded, Unicorn PC, as a CHS disk": embedded_unicorn(HardDisk(edd=False)),
    }
    for name in REGISTRY:
        kind = emulator_class(name)
        if kind.floppy_kilobytes is not None:  # (FreeDOS on it: tests/test_mame.py)
            hosts[f"embedded, {kind.title}"] = embedded_on(name)
            SUBSETS[f"embedded, {kind.title}"] = XT_CASES
        elif kind.boots:
            hosts |= {
                f"embedded, {kind.title}": embedded_on(name),
                f"FreeDOS, {kind.title}": freedos_on(name),
            }
            if name in DISK_COLUMNS:  # the same image from a hard disk: DL = 80h, the BIOS's geometry
                hosts[f"embedded, {kind.title}, as a {BOOT_AS['disk']}"] = embedded_on(name, "disk")
        else:
            hosts[kind.title] = own_dos_on(name)
    return hosts


HOSTS = _hosts()
