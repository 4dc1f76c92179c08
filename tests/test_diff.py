"""``almostism-dos diff BEFORE AFTER``: did exactly the liturgy happen to the disk a machine gave back?

On disks read back after real boots in every emulator (floppies and disk images), and on crafted ones:
nothing changed, one FAT freed and the other not, another file changed, a different image, a read-back
cut short, a block device. The rule is the one the fault matrix and the fuzzers judge by
(:mod:`almostism_dos.liturgy_change`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from almostism_dos import reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators.base import RunOptions
from almostism_dos.fat12 import FREE, Fat12Image, set_entry
from almostism_dos.floppy import Contents, embedded_floppy
from almostism_dos.formats import FORMATS
from almostism_dos.liturgy_change import destroyed, steps
from almostism_dos.partition import volume
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.scripture import SCRIPTURE_FILE


def diff(before: Path, after: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    """diff's exit code and its JSON report (the words checked by the tests below them)."""
    capsys.readouterr()
    code = main(["diff", "--json", str(before), str(after)])
    return code, json.loads(capsys.readouterr().out)


def words(before: Path, after: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["diff", str(before), str(after)])
    return code, capsys.readouterr().out


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """A self-booting 1.44 MB floppy as ``build`` writes it."""
    path = tmp_path / "before.img"
    path.write_bytes(embedded_floppy(FORMATS[1440], Contents(reference.build(0x51), 0)))
    return path


def after_the_liturgy(before: Path, path: Path) -> bytearray:
    """``before`` as the liturgy leaves it, written to ``path`` too."""
    data = bytearray(destroyed(before.read_bytes(), SCRIPTURE_FILE))
    path.write_bytes(data)
    return data


# --- read back after real boots ------------------------------------------------------------------------


@pytest.mark.vm
@pytest.mark.parametrize("media", ["floppy", "disk"])
def test_a_disk_read_back_after_a_boot_is_exactly_the_liturgy(
    any_emulator: EmulatorUnderTest, tmp_path: Path, media: str, capsys: pytest.CaptureFixture[str]
) -> None:
    options = RunOptions(boot_as=media)
    any_emulator.needs_medium(media)
    before = tmp_path / "before.img"
    assert (
        main(["build", "-o", str(before), "--boot", "embedded", "--media", media, "--unique-byte", "0x52"])
        == 0
    )
    after = tmp_path / "after.img"
    shutil.copyfile(before, after)
    report = any_emulator.run(after, options)
    assert report.ok, report.console[-300:]
    code, found = diff(before, after, capsys)
    assert code == 0 and found["outcome"] == "liturgy", found
    assert all(found["steps"].values())  # type: ignore[attr-defined]


@pytest.mark.vm
def test_a_freedos_boot_read_back_is_the_liturgy_with_its_write_stamp(
    qemu: EmulatorUnderTest, configured_freedos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "before.img"
    assert (
        main(["build", "-o", str(before), "--freedos", str(configured_freedos), "--unique-byte", "0x53"]) == 0
    )
    after = tmp_path / "after.img"
    shutil.copyfile(before, after)
    assert qemu.run(after).ok
    code, found = diff(before, after, capsys)
    assert code == 0 and found["outcome"] == "liturgy", found


# --- crafted read-backs -----------------------------------------------------------------------------------


def test_nothing_changed_means_the_liturgy_did_not_run(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = tmp_path / "after.img"
    shutil.copyfile(written, after)
    code, said = words(written, after, capsys)
    assert code == ExitCode.NOT_RUN and "did not run" in said


def test_exactly_the_liturgy_on_a_crafted_read_back(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after_the_liturgy(written, tmp_path / "after.img")
    code, said = words(written, tmp_path / "after.img", capsys)
    assert code == 0 and "exactly the liturgy" in said


def test_a_second_fat_that_still_holds_the_chain(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    layout = Fat12Image.parse(bytes(data)).layout
    second = layout.fat_copy_offset(1)
    data[second : second + layout.fat_size] = written.read_bytes()[second : second + layout.fat_size]
    (tmp_path / "after.img").write_bytes(data)
    code, found = diff(written, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES
    assert found["steps"] == {  # the second FAT is a step left undone, not "another change"
        "entry deleted": True,
        "bytes zeroed": True,
        "chain freed in FAT 1": True,
        "chain freed in FAT 2": False,
    }
    assert found["changes"] == []


def test_a_fat_entry_of_another_file_changed(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    host = Fat12Image.parse(bytes(data)).entries()[0]
    set_entry(data, host.first_cluster, FREE)
    (tmp_path / "after.img").write_bytes(data)
    code, said = words(written, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES
    assert f"FAT 1: 1 entry changed (cluster {host.first_cluster}: 000h" in said and "FAT 2:" in said


def test_another_file_changed_is_named(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    image = Fat12Image.parse(bytes(data))
    host = next(entry for entry in image.entries() if entry.name != SCRIPTURE_FILE and entry.size)
    data[image.layout.cluster_offset(host.first_cluster)] ^= 0xFF
    (tmp_path / "after.img").write_bytes(data)
    code, said = words(written, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES and f"{host.name}: 1 cluster changed ({host.first_cluster})" in said


def test_a_directory_entry_changed_is_named_with_its_field(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    host = Fat12Image.parse(bytes(data)).entries()[0]
    data[host.offset + 11] ^= 0x01  # its read-only bit
    (tmp_path / "after.img").write_bytes(data)
    code, said = words(written, tmp_path / "after.img", capsys)
    assert (
        code == ExitCode.OTHER_CHANGES
        and "the root directory, entry of" in said
        and "attributes changed" in said
    )


def test_the_entry_not_deleted_is_a_missing_step(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    entry = steps(written.read_bytes(), SCRIPTURE_FILE).entry
    data[entry] = written.read_bytes()[entry]
    (tmp_path / "after.img").write_bytes(data)
    code, found = diff(written, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES and found["steps"]["entry deleted"] is False  # type: ignore[index]
    assert "not done: entry deleted" in str(found["summary"])


def test_a_different_image_altogether(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.img"
    other.write_bytes(
        embedded_floppy(FORMATS[1440], Contents(reference.build(0x61), 0))
    )  # another build: its serial
    code, said = words(written, other, capsys)
    assert code == ExitCode.OTHER_CHANGES and "a different image altogether" in said


def test_a_read_back_cut_short(written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    (tmp_path / "after.img").write_bytes(data[: len(data) // 2])
    code, said = words(written, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES and "cut short" in said


def test_a_larger_medium_is_read_no_further_than_the_image(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = after_the_liturgy(written, tmp_path / "after.img")
    (tmp_path / "after.img").write_bytes(data + b"\xff" * 65536)  # a card larger than the image
    assert words(written, tmp_path / "after.img", capsys)[0] == 0


def test_a_disk_image_with_its_mbr_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tmp_path / "before.img"
    assert main(["build", "-o", str(before), "--boot", "embedded", "--media", "disk", "--size", "1"]) == 0
    data = bytearray(before.read_bytes())
    partition, old = volume(bytes(data))
    assert partition is not None
    data[partition.offset : partition.offset + len(old)] = destroyed(old, SCRIPTURE_FILE)
    data[0x1B8] ^= 0xFF  # the disk signature, in the MBR
    (tmp_path / "after.img").write_bytes(data)
    code, said = words(before, tmp_path / "after.img", capsys)
    assert code == ExitCode.OTHER_CHANGES and "sector 0: changed, outside the volume: the MBR" in said


def test_before_without_a_scripture_is_refused_in_one_line(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after_the_liturgy(written, tmp_path / "spent.img")
    assert main(["diff", str(tmp_path / "spent.img"), str(written)]) == ExitCode.DATA
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds no SCRIPTUR.ALM" in error


@pytest.mark.parametrize("kind", ["character device", "fifo", "directory", "missing"])
def test_after_that_is_no_medium_is_refused_without_reading_it(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    after = tmp_path / "after"
    if kind == "character device":
        after.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(after)  # (a reader that blocked here would hang the test)
    elif kind == "directory":
        after.mkdir()
    assert main(["diff", str(written), str(after)]) == ExitCode.NO_INPUT
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("losetup"), reason="a loop device needs root")
def test_a_block_device_is_read_in_place_and_never_written(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A USB stick as ``/dev/sdX``: here a read-only loop device over the read-back, larger than BEFORE."""
    data = after_the_liturgy(written, tmp_path / "after.img")
    (tmp_path / "after.img").write_bytes(data + bytes(1 << 20))
    attached = subprocess.run(
        ["losetup", "--find", "--show", "--read-only", str(tmp_path / "after.img")],
        capture_output=True,
        text=True,
    )
    if attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        assert words(written, Path(device), capsys)[0] == 0
    finally:
        subprocess.run(["losetup", "--detach", device], check=False)
