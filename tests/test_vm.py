"""Real emulators booting what `build` makes, every size, on every emulator; the command line's run
paths (JSON, screenshot, --keep, timeouts). The verdicts case by case are the fault matrix's rows."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from almostism_dos import reference, scripture
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators import BOOT_AS
from almostism_dos.emulators.base import RunOptions
from almostism_dos.fat12 import Fat12Image
from almostism_dos.formats import FORMATS
from almostism_dos.partition import volume
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import last_lines
from almostism_dos.scripture import SCRIPTURE_FILE, Verdict
from tests.images import embedded_image, fake_freedos_image, fsck, liturgy_image
from vm.disk_changes import unexpected_changes
from vm.fault_matrix import CASES


@pytest.mark.vm
@pytest.mark.freedos
@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_freedos_boots_the_liturgy(
    booting: EmulatorUnderTest, configured_freedos: Path, tmp_path: Path, kilobytes: int
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--freedos", str(configured_freedos),
                 "--size", str(kilobytes), "--unique-byte", "0xA5"]) == 0  # fmt: skip
    report = booting.run(image)
    assert report.exited, report.reason
    assert (report.errorlevel, report.vanished, report.os) == (0, True, "FreeDOS")
    assert scripture.CREED_LINE in report.console and "Instance byte: 0xA5" in report.console
    assert fsck(image).returncode == 0


@pytest.mark.vm
@pytest.mark.freedos
def test_run_json_and_screenshot(
    qemu: EmulatorUnderTest, configured_freedos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image, png = tmp_path / "a.img", tmp_path / "screen.png"
    assert main(["build", "-o", str(image), "--freedos", str(configured_freedos)]) == 0
    capsys.readouterr()
    assert main(["run", str(image), "--json", "--screenshot", str(png)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        *("emulator", "emulator_version", "drive", "os", "errorlevel", "had_scripture", "vanished", "ok"),
        *("reason", "seconds", "console"),
    }
    assert report["emulator_version"].startswith("QEMU emulator version ") and report["drive"] == "floppy"
    assert report["errorlevel"] == 0 and report["vanished"] is True
    assert report["had_scripture"] is True and report["ok"] is True and report["reason"] is None
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.vm
def test_qemu_timeout_says_where_the_boot_stopped(
    qemu: EmulatorUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fabricated boot sector halts at once: no FreeDOS, no result line. How far the BIOS got in 1 s
    # depends on the machine's load, so the test asks that the report names the last lines shown,
    # whatever they were, not that SeaBIOS got to any one of them.
    image = liturgy_image(tmp_path / "a.img", fake_freedos_image(tmp_path / "fd.img"), reference.build(1))
    report = qemu.run(image, timeout=1)
    where = " | ".join(last_lines(report.console)) or "no output at all"
    assert not report.exited and report.reason == f"timed out after 1 s; the screen last showed: {where}"
    assert main(["run", str(image), "--timeout", "1"]) == ExitCode.NO_RESULT
    assert "timed out after 1 s; the screen last showed: " in capsys.readouterr().err


@pytest.fixture
def fake_source(tmp_path: Path) -> Path:
    return fake_freedos_image(tmp_path / "fd.img")


@pytest.mark.vm
@pytest.mark.dosbox
def test_dosbox_performs_the_liturgy(dosbox: EmulatorUnderTest, fake_source: Path, tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--freedos", str(fake_source), "--unique-byte", "0x5C"]) == 0
    report = dosbox.run(image)
    assert (report.errorlevel, report.vanished, report.exited) == (0, True, True)
    assert "Instance byte: 0x5C" in report.console
    assert Fat12Image.parse(image.read_bytes()).find(SCRIPTURE_FILE) is None
    assert fsck(image).returncode == 0


# --- the self-booting floppy in QEMU: no FreeDOS needed, so these always run ---------------------


@pytest.mark.vm
@pytest.mark.parametrize("boot_as", list(BOOT_AS))
@pytest.mark.parametrize("kilobytes", sorted(FORMATS))
def test_embedded_floppy_boots_the_liturgy(
    booting: EmulatorUnderTest, tmp_path: Path, kilobytes: int, boot_as: str
) -> None:
    """The same image from drive A:, from a hard disk (DL = 80h, the BIOS's geometry, EDD) and from a
    USB stick, wherever the emulator can boot it so."""
    booting.needs_medium(boot_as)
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--size", str(kilobytes),
                 "--unique-byte", "0x3C"]) == 0  # fmt: skip
    report = booting.run(image, RunOptions(boot_as=boot_as))
    assert report.exited, report.reason
    assert (report.errorlevel, report.vanished, report.os) == (0, True, "embedded")
    assert scripture.CREED_LINE in report.console and "Instance byte: 0x3C" in report.console
    checked = fsck(image)
    assert checked.returncode == 0, checked.stdout
    assert Fat12Image.parse(image.read_bytes()).fats_equal()


# The sizes whose short false teaching the fault matrix boots already, on every booting emulator under
# both systems, with the same checks ("8 bytes: the creed alone", "... 160 KB floppy"): not booted twice.
IN_THE_MATRIX = {
    case.kilobytes
    for case in CASES
    if case.content == scripture.CREED
    and case == replace(CASES[0], name=case.name, content=case.content, kilobytes=case.kilobytes,
                        expected=case.expected)  # (nothing else about the disk or the tail differs)
}  # fmt: skip


@pytest.mark.vm
@pytest.mark.parametrize("system", ["embedded", pytest.param("FreeDOS", marks=pytest.mark.freedos)])
@pytest.mark.parametrize("kilobytes", sorted(set(FORMATS) - IN_THE_MATRIX))
def test_a_short_false_teaching_is_destroyed_on_every_size(
    booting: EmulatorUnderTest, tmp_path: Path, kilobytes: int, system: str, request: pytest.FixtureRequest
) -> None:
    """The 8 creed bytes alone: 4, gone, and exactly its entry, its 8 bytes and its cluster changed."""
    image = tmp_path / "a.img"
    if system == "FreeDOS":
        liturgy_image(
            image, request.getfixturevalue("configured_freedos"), scripture.CREED, kilobytes=kilobytes
        )
    else:
        image.write_bytes(embedded_image(scripture.CREED, kilobytes))
    before = image.read_bytes()
    report = booting.run(image)
    assert (report.errorlevel, report.vanished) == (4, True), report.reason
    assert "False teaching (invalid size): destroyed unread" in report.console
    changes = unexpected_changes(
        before, image.read_bytes(), SCRIPTURE_FILE, Verdict.FALSE, stamped=system == "FreeDOS"
    )
    assert changes == []


def embedded_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "a.img"
    path.write_bytes(embedded_image(data))
    return path


@pytest.mark.vm
def test_embedded_write_protected(
    booting: EmulatorUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    booting.needs("write_protected")
    image = embedded_file(tmp_path, reference.build(0x22))
    before = image.read_bytes()
    line = ["run", str(image), "--emulator", booting.kind.name, "--write-protected", "--timeout", "60"]
    assert main(line) == ExitCode.LITURGY_FAILED
    out = capsys.readouterr()
    assert "I/O failure: write" in out.out and "errorlevel 5" in out.err
    assert image.read_bytes() == before


# --- --media disk: a partitioned hard-disk image, both boot systems, every emulator ---------------------

DISK_RUNS = [  # (system, emulator, --as, MB): the smallest, default and largest sizes in QEMU
    (system, emulator, boot_as, megabytes)
    for system in ("embedded", "FreeDOS")
    for emulator, boot_as, megabytes in [
        ("qemu", "disk", 1),
        ("qemu", "disk", 8),
        ("qemu", "disk", 15),
        ("qemu", "usb", 8),
        ("bochs", "disk", 8),
        ("browser", "disk", 8),
        ("dosbox", "disk", 8),
    ]
]


@pytest.mark.vm
@pytest.mark.parametrize(
    ("system", "emulator", "boot_as", "megabytes"),
    [
        pytest.param(
            *run, marks=[pytest.mark.freedos] if run[0] == "FreeDOS" else [], id="-".join(map(str, run))
        )
        for run in DISK_RUNS
    ],
)
def test_a_disk_image_completes_the_liturgy(
    system: str, emulator: str, boot_as: str, megabytes: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``build --media disk`` boots from its MBR to errorlevel 0 with the file gone, the partition clean."""
    under_test: EmulatorUnderTest = request.getfixturevalue(emulator)
    image = tmp_path / "stick.img"
    line = ["build", "-o", str(image), "--media", "disk", "--size", str(megabytes), "--unique-byte", "0x5D"]
    if system == "FreeDOS":
        line += ["--freedos", str(request.getfixturevalue("configured_freedos"))]
    else:
        line += ["--boot", "embedded"]
    assert main(line) == 0
    report = under_test.run(image, RunOptions(boot_as=boot_as))
    assert report.exited, report.reason
    assert (report.errorlevel, report.vanished) == (0, True), report.console
    assert report.os == under_test.kind.create(RunOptions()).operating_system(system)
    assert "Instance byte: 0x5D" in report.console
    partition = tmp_path / "partition.img"
    partition.write_bytes(volume(image.read_bytes())[1])
    checked = fsck(partition)
    assert checked.returncode == 0, checked.stdout


# --- --keep: one artifact, several emulators ---------------------------------------------------------


@pytest.mark.vm
@pytest.mark.dosbox
def test_keep_runs_one_image_on_qemu_then_dosbox(
    qemu: EmulatorUnderTest, dosbox: EmulatorUnderTest, tmp_path: Path
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--unique-byte", "0x6B"]) == 0
    before = image.read_bytes()
    for emulator in (qemu, dosbox):
        report = emulator.run(image, keep=True)
        assert (report.errorlevel, report.vanished, report.exited) == (0, True, True), report.console
        assert "Instance byte: 0x6B" in report.console
        assert image.read_bytes() == before


@pytest.mark.vm
def test_run_keep_on_the_command_line_and_without_it(
    qemu: EmulatorUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    before = image.read_bytes()
    assert main(["run", str(image), "--keep", "--quiet"]) == 0
    assert main(["run", str(image), "--keep", "--quiet"]) == 0
    assert image.read_bytes() == before
    assert "on a copy; the image is unchanged" in capsys.readouterr().out
    assert main(["run", str(image), "--quiet"]) == 0  # without --keep the liturgy consumes the image
    assert main(["run", str(image), "--quiet"]) == ExitCode.LITURGY_FAILED
    assert "errorlevel 1" in capsys.readouterr().err


def test_the_power_off_breakpoints_are_where_the_bios_switches_off() -> None:
    """Bochs's last screen is read at a breakpoint on its BIOS's APM power-off: the pattern is found where
    it lies in a ROM mapped to end at 1 MB, and the installed BIOS has it (else the line could be lost)."""
    from almostism_dos.emulators import bochs

    rom = bytearray(0x20000)
    rom[0x19581:0x19586] = b"\xfa\xba\x00\x89\xb8"
    assert bochs.power_off_entries(bytes(rom)) == [0xF9581]
    assert bochs.power_off_entries(bytes(0x10000)) == []
    if not bochs.ROM.exists():
        pytest.skip(f"Bochs's BIOS is not installed (Debian/Ubuntu: sudo apt-get install {bochs.PACKAGE})")
    assert bochs.power_off_entries(bochs.ROM.read_bytes())
