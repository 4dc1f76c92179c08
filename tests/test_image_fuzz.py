"""Fuzzing the image readers: mutated FAT12 images through inspect and FreeDOS import.

Every outcome is a result or one clean error line with a documented exit code: no traceback, no hang
(the reader follows no chain it has seen before), no write to the input. ALMOSTISM_IMAGE_FUZZ sets the
number of cases (CI: a few hundred; a nightly-size run: 10000 or more).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almostism_dos import freedos, reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.fat12 import ATTR_ARCHIVE, Fat12Image, ImageError, directory_entry, set_entry
from almostism_dos.formats import DIRECTORY_ENTRY, SECTOR, ceil_div
from almostism_dos.inspection import inspect
from tests.conftest import fuzz_examples
from tests.images import bpb_field, embedded_image, fake_freedos_image, set_bpb

EXAMPLES = fuzz_examples("ALMOSTISM_IMAGE_FUZZ")
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@functools.cache
def seeds() -> dict[str, bytes]:
    """Real images to mutate (made when the first case is drawn, not when the tests are collected)."""
    with tempfile.TemporaryDirectory(prefix="almostism-seed-") as scratch:
        freedos_shaped = fake_freedos_image(Path(scratch) / "fd.img", 360).read_bytes()
    return {
        "embedded 360": embedded_image(reference.build(1), 360),
        "embedded 1440": embedded_image(reference.build(2), 1440),
        "FreeDOS-shaped 360": freedos_shaped,
    }


GEOMETRY = {  # the BPB's geometry fields: offset, width, the values worth trying (edges included)
    13: (1, st.sampled_from([0, 1, 2, 3, 4, 8, 16, 32, 64, 128])),  # sectors per cluster
    14: (2, st.integers(0, 40)),  # reserved sectors
    16: (1, st.integers(0, 3)),  # FAT copies
    17: (2, st.sampled_from([0, 1, 15, 16, 32, 112, 224, 240, 512, 4096, 0xFFF0])),  # root entries
    19: (2, st.integers(0, 0xFFFF)),  # total sectors
    22: (2, st.integers(0, 16)),  # sectors per FAT
}


def _at_the_fats_edge(draw: st.DrawFn, image: bytearray) -> None:
    """One-sector clusters, as many as the FAT can hold (or one less, or one more), the FAT made as
    small as the image needs for that, and a file in the root whose chain starts at the highest cluster:
    where a FAT-size check off by one reads past the FAT. The file is named as a reader looks for it."""
    reserved, fats = bpb_field(image, "reserved_sectors"), bpb_field(image, "fat_count")
    root = bpb_field(image, "root_entries")
    root_sectors = ceil_div(root * 32, SECTOR)
    for fat_sectors in range(draw(st.integers(1, 12)), 0, -1):
        clusters = fat_sectors * SECTOR * 2 // 3 - 2 + draw(st.integers(-1, 1))
        root_start = reserved + fats * fat_sectors
        total = root_start + root_sectors + clusters
        if total * SECTOR <= len(image):
            break
    else:
        return
    set_bpb(image, sectors_per_cluster=1, total_sectors_16=total, sectors_per_fat=fat_sectors)
    entry = root_start * SECTOR
    name = draw(st.sampled_from(["SCRIPTUR.ALM", "KERNEL.SYS", "COMMAND.COM"]))
    size = draw(st.integers(1, 4096))
    image[entry : entry + DIRECTORY_ENTRY] = directory_entry(name, ATTR_ARCHIVE, clusters + 1, size)


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A real image changed in one of three ways: a few bytes where the structure lives (BPB, FATs, root),
    maybe cut short; its geometry redrawn (cluster size, FAT size and count, root size, total sectors)
    and a few bytes; or its clusters set at the edge of what its FAT can hold (:func:`_at_the_fats_edge`)."""
    seed = bytearray(seeds()[draw(st.sampled_from(sorted(seeds())))])
    parsed = Fat12Image.parse(bytes(seed))
    structure_end = parsed.layout.cluster_offset(6)  # BPB, FATs, root and the first four clusters
    how = draw(st.sampled_from(["bytes", "geometry", "edge"]))
    if how == "edge":
        _at_the_fats_edge(draw, seed)
        return bytes(seed)
    if how == "geometry":
        for offset, (width, values) in GEOMETRY.items():
            if draw(st.booleans()):
                seed[offset : offset + width] = draw(values).to_bytes(width, "little")
    for _ in range(draw(st.integers(0 if how == "geometry" else 1, 8))):
        offset = draw(st.one_of(st.integers(0, 61), st.integers(0, structure_end - 1)))
        seed[offset] = draw(st.integers(0, 255))
    if draw(st.integers(0, 9)) == 0:
        del seed[draw(st.integers(0, len(seed) - 1)) :]
    return bytes(seed)


@FUZZ
@given(data=mutated_images())
def test_inspect_gives_a_result_or_one_clean_error(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with contextlib.suppress(ImageError):  # a result or ImageError, nothing else
        inspect(data)
    path = tmp_path / "fuzz.img"
    path.write_bytes(data)
    capsys.readouterr()
    code = main(["inspect", str(path), "--json"])
    error = capsys.readouterr().err
    assert code in (0, ExitCode.DATA)
    assert error.count("\n") == (0 if code == 0 else 1) and "Traceback" not in error
    assert path.read_bytes() == data


@FUZZ
@given(data=mutated_images())
def test_freedos_import_validates_without_writing_the_input(
    data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = freedos.cached_image()
    cached.unlink(missing_ok=True)  # (tmp_path is shared by every example)
    path = tmp_path / "fuzz.img"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        freedos.import_image(path)
    except freedos.FreeDosError as error:
        assert "\n" not in str(error)
        assert not cached.exists(), "a rejected image was cached"
    else:
        assert cached.read_bytes() == data
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_a_cyclic_chain_is_an_error_not_a_hang(tmp_path: Path) -> None:
    image = bytearray(fake_freedos_image(tmp_path / "fd.img").read_bytes())
    parsed = Fat12Image.parse(bytes(image))
    kernel = parsed.find("KERNEL.SYS")
    assert kernel is not None
    set_entry(image, kernel.first_cluster, kernel.first_cluster)  # the kernel's first cluster: itself
    with pytest.raises(ImageError, match="loops"):
        Fat12Image.parse(bytes(image)).read(kernel)
