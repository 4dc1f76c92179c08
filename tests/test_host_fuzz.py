"""Differential fuzzing of the real floppies, booted from their boot sector in the Unicorn PC (vm/pc.py):
the self-booting one (boot sector, host, ALMOST.COM) and the FreeDOS one (FreeDOS's boot sector, kernel
and shell, FDCONFIG.SYS, AUTOEXEC.BAT, ALMOST.COM).

The Python DOS (tests/test_differential.py) cannot see a bug in the host users boot, so here every case is
a real floppy image: any size from 160 KB to 2.88 MB (512-byte and 1 KB clusters), a file of any size from
0 to 4096 bytes with and without the creed or a mutated scripture, read-only or not, on a write-protected
floppy or not, its chain as built or scattered over the disk in any order, on a disk with room or with at
most three clusters free. For every case the boot must power off with the judge's verdict as the result
line, the judge's words must be on the screen, and the image must show exactly the change that verdict
allows (tests/images.py): nothing at all, or the entry marked E5h, the file's first min(size, 1023)
bytes zeroed and its chain freed in every FAT (under FreeDOS the entry's write stamp may change too).

``ALMOSTISM_HOST_FUZZ=10000 .venv/bin/pytest tests/test_host_fuzz.py -k embedded`` and
``ALMOSTISM_FREEDOS_FUZZ=1000 .venv/bin/pytest tests/test_host_fuzz.py -k freedos`` run the long
campaigns docs/reliability.md quotes (a FreeDOS boot takes about ten times as long).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from almostism_dos import freedos, programs, reference, scripture
from almostism_dos.fat12 import ATTR_ARCHIVE, ATTR_READ_ONLY, Fat12Image, place_chain
from almostism_dos.floppy import embedded_image, freedos_files
from almostism_dos.formats import FORMATS, VolumeFormat, ceil_div
from almostism_dos.image import ImageFile, build_image
from almostism_dos.programs import ALMOST
from almostism_dos.reference import judgement
from almostism_dos.result_line import result_in
from almostism_dos.scripture import CREED_LINE, SCRIPTURE_FILE, Verdict, words
from tests.conftest import fuzz_examples
from tests.strategies import files, sized_files
from vm.disk_changes import DESTROYING, filler, free_clusters, unexpected_changes
from vm.pc import Stop, boot


def fuzz(variable: str) -> settings:
    return settings(
        max_examples=fuzz_examples(variable), deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


Build = Callable[[VolumeFormat, list[ImageFile]], bytes]  # a floppy of a format, with these files


def embedded_build(floppy: VolumeFormat, files: list[ImageFile]) -> bytes:
    """The self-booting floppy with ``files`` (ALMOST.COM among them)."""
    return embedded_image(floppy, files, 0)


def freedos_build(located: Path) -> Build:
    """The FreeDOS floppy as ``build`` makes it from ``located``, ``files`` in place of its scripture."""
    system = freedos.load(located)
    shipped = [f for f in freedos_files(system, None) if f.name != ALMOST]

    def build(floppy: VolumeFormat, files: list[ImageFile]) -> bytes:
        return build_image(floppy, system.boot_code, [*shipped, *files], 0)

    return build


BYSTANDER = ImageFile("LETTER.TXT", b"A bystander, never to be touched.\r\n")


@dataclass(frozen=True)
class FloppyCase:
    """A floppy to boot, and the faults it shows."""

    image: bytes
    content: bytes | None  # SCRIPTUR.ALM's bytes; None: there is none
    read_only: bool
    write_protected: bool
    freedos: bool = False  # booted by FreeDOS: it stamps a written file's entry on close, and buffers writes

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What Hypothesis prints for a failing case: the faults and the file, not 1.4 MB of image."""
        size = None if self.content is None else len(self.content)
        printer.text(
            f"FloppyCase({len(self.image) // 1024} KB, file of {size} bytes, read_only={self.read_only}, "
            f"write_protected={self.write_protected}, content={self.content!r})"
        )


@st.composite
def floppies(draw: st.DrawFn, build: Build, by_freedos: bool = False) -> FloppyCase:
    """A floppy made by ``build`` with a drawn SCRIPTUR.ALM, placed and surrounded as drawn."""
    floppy = FORMATS[draw(st.sampled_from(sorted(FORMATS)))]
    content = draw(st.one_of(files, sized_files(), st.none()))
    read_only = draw(st.booleans()) if content is not None else False
    system = [ImageFile(ALMOST, programs.almost_bytes()), BYSTANDER]
    if content is not None:
        attributes = ATTR_ARCHIVE | (ATTR_READ_ONLY if read_only else 0)
        system.append(ImageFile(SCRIPTURE_FILE, content, attributes))
    image = build(floppy, system)
    spare = draw(st.one_of(st.none(), st.integers(0, 3)))  # None: room; else that many clusters free
    if spare is not None:
        image = build(floppy, [*system, filler(image, spare)])
    if content and draw(st.booleans()):  # scattered: any clusters, in any order
        parsed = Fat12Image.parse(image)
        entry = parsed.find(SCRIPTURE_FILE)
        assert entry is not None
        pool = sorted(set(free_clusters(image)) | set(parsed.chain(entry.first_cluster)))
        needed = ceil_div(len(content), parsed.layout.cluster_size)
        clusters = draw(st.lists(st.sampled_from(pool), min_size=needed, max_size=needed, unique=True))
        scattered = bytearray(image)
        place_chain(scattered, SCRIPTURE_FILE, clusters)
        image = bytes(scattered)
    return FloppyCase(image, content, read_only, draw(st.booleans()), by_freedos)


def expected_verdict(case: FloppyCase) -> Verdict:
    """The judge's verdict, unless the disk refuses the destruction it calls for: then an I/O failure."""
    verdict = reference.judge(case.content)
    if verdict in DESTROYING and (case.read_only or case.write_protected):
        return Verdict.IO
    return verdict


def plain(content: bytes | None, kilobytes: int = 1440) -> FloppyCase:
    """A self-booting floppy with ``content`` as SCRIPTUR.ALM, as ``build`` makes it: always tried."""
    system = [ImageFile(ALMOST, programs.almost_bytes()), BYSTANDER]
    if content is not None:
        system.append(ImageFile(SCRIPTURE_FILE, content))
    return FloppyCase(embedded_build(FORMATS[kilobytes], system), content, False, False)


def agrees_with_the_judge(case: FloppyCase) -> None:
    """Boot the case's floppy; the verdict, the words and the image's change must be the judge's."""
    verdict, flaw = judgement(case.content)
    expected = expected_verdict(case)
    event(f"{expected.name}" + (f" ({flaw.value})" if flaw else ""))
    result, floppy = boot(case.image, write_protected=case.write_protected)
    assert result.stop is Stop.POWEROFF, result.detail
    assert result_in(result.output) == expected.value
    spoken = words(verdict, flaw) or CREED_LINE  # the creed line only once the file is open to be zeroed
    assert spoken in result.output or (verdict is Verdict.COMPLETE and case.read_only)
    if expected is Verdict.IO and case.read_only:
        assert "I/O failure: open" in result.output
    elif expected is Verdict.IO:  # write-protected: DOS may hold a short write in its buffers until close
        steps = ("write", "close") if case.freedos else ("write",)
        assert any(f"I/O failure: {step}" in result.output for step in steps)
    after = bytes(floppy.image)
    assert unexpected_changes(case.image, after, SCRIPTURE_FILE, expected, stamped=case.freedos) == []
    assert Fat12Image.parse(after).fats_equal()


@pytest.mark.long
@fuzz("ALMOSTISM_HOST_FUZZ")
@given(case=floppies(embedded_build))
@example(case=plain(None))
@example(case=plain(scripture.CREED, 160))  # the short false teachings the host once grew instead
@example(case=plain(reference.build(7)[:512]))
@example(case=plain(reference.build(7)[:513], 720))
@example(case=plain(reference.build(7) + bytes(1), 180))
def test_the_embedded_host_agrees_with_the_judge(case: FloppyCase) -> None:
    agrees_with_the_judge(case)


@pytest.mark.long
@pytest.mark.freedos
def test_freedos_agrees_with_the_judge(configured_freedos: Path) -> None:
    build = freedos_build(configured_freedos)

    @fuzz("ALMOSTISM_FREEDOS_FUZZ")
    @given(case=floppies(build, by_freedos=True))
    def fuzzed(case: FloppyCase) -> None:
        agrees_with_the_judge(case)

    fuzzed()
