"""MAME's IBM PC (5150) and PC/XT (5160): every floppy size their drives take, both machines, the
self-booting host and FreeDOS; the sizes they have no drive for, and missing ROMs or MAME, refused in
one line. The ROMs are ``ALMOSTISM_MAME_ROMS`` (the README's test command points it at
``../shared/mame-xt/roms``: GLaBIOS, free, in place of IBM's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from almostism_dos import reference, scripture
from almostism_dos.cli import ExitCode
from almostism_dos.emulators import MACHINES, ROMS_VARIABLE
from almostism_dos.emulators import mame as xt
from almostism_dos.emulators.base import EmulatorMissing, RunOptions
from almostism_dos.fat12 import Fat12Image
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import NO_APM_LINE
from almostism_dos.scripture import SCRIPTURE_FILE, Verdict
from tests.images import embedded_image, fsck, liturgy_image, self_booting
from vm.disk_changes import unexpected_changes

SIZES = sorted(xt.DRIVES)


def tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "almostism_dos", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.vm
@pytest.mark.parametrize("machine", list(MACHINES))
@pytest.mark.parametrize("kilobytes", SIZES)
def test_every_size_the_drives_take_completes_the_liturgy(
    mame: EmulatorUnderTest, tmp_path: Path, kilobytes: int, machine: str
) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 0x5A, kilobytes)
    report = mame.run(image, RunOptions(machine=machine))
    assert report.exited, report.reason
    assert (report.errorlevel, report.vanished, report.os) == (0, True, "embedded")
    assert scripture.CREED_LINE in report.console and "Instance byte: 0x5A" in report.console
    assert report.console.rstrip().endswith(NO_APM_LINE)  # an XT has no APM: what its user sees last
    assert "GLaBIOS" in report.console or "IBM" in report.console  # (the machine's own BIOS drew it)
    checked = fsck(image)
    assert checked.returncode == 0, checked.stdout
    assert Fat12Image.parse(image.read_bytes()).fats_equal()


@pytest.mark.long
@pytest.mark.vm
@pytest.mark.freedos
@pytest.mark.parametrize("machine", list(MACHINES))
def test_freedos_completes_the_liturgy_on_a_360_kb_floppy(
    mame: EmulatorUnderTest, configured_freedos: Path, tmp_path: Path, machine: str
) -> None:
    image = liturgy_image(tmp_path / "a.img", configured_freedos, reference.build(0x33), kilobytes=360)
    report = mame.run(image, RunOptions(machine=machine))
    assert report.exited, report.reason
    assert (report.errorlevel, report.vanished, report.os) == (0, True, "FreeDOS")
    assert "Instance byte: 0x33" in report.console
    assert fsck(image).returncode == 0


@pytest.mark.vm
def test_a_false_teaching_is_destroyed_exactly(mame: EmulatorUnderTest, tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(embedded_image(scripture.CREED, 360))
    before = image.read_bytes()
    report = mame.run(image)
    assert (report.errorlevel, report.vanished) == (4, True), report.reason
    assert "False teaching (invalid size): destroyed unread" in report.console
    assert unexpected_changes(before, image.read_bytes(), SCRIPTURE_FILE, Verdict.FALSE) == []


@pytest.mark.parametrize("kilobytes", [1200, 1440, 2880])
def test_a_size_the_machine_has_no_drive_for_is_refused_in_one_line(tmp_path: Path, kilobytes: int) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 1, kilobytes)
    before = image.read_bytes()
    done = tool("run", "--emulator", "mame", str(image))
    assert done.returncode == ExitCode.USAGE
    (line,) = done.stderr.splitlines()
    assert f"{kilobytes} KB" in line and "qemu or bochs" in line and "IBM PC/XT" in line
    assert image.read_bytes() == before


def test_missing_roms_are_named_with_the_option_that_gives_them(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 1, 360)
    done = tool("run", "--emulator", "mame", "--rompath", str(tmp_path / "none"), str(image))
    if "mame is not installed" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == ExitCode.UNAVAILABLE
    (line,) = done.stderr.splitlines()
    assert "--rompath" in line and ROMS_VARIABLE in line and "ibm5160" in line


def test_missing_mame_names_its_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(xt, "DEBIAN_PROGRAM", tmp_path / "no-mame")
    with pytest.raises(EmulatorMissing, match="apt-get install mame"):
        xt.Mame().executable()


def test_machine_and_rompath_belong_to_mame(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    self_booting(image, 1, 360)
    for option in (["--machine", "ibm5150"], ["--rompath", str(tmp_path)]):
        done = tool("run", "--emulator", "qemu", *option, str(image))
        assert done.returncode == ExitCode.USAGE
        assert f"{option[0]} needs --emulator mame" in done.stderr


@pytest.mark.vm
def test_check_boots_the_xt_and_skips_it_for_a_size_it_has_no_drive_for(
    mame: EmulatorUnderTest, tmp_path: Path
) -> None:
    small, large = tmp_path / "small.img", tmp_path / "large.img"
    self_booting(small, 2, 360)
    self_booting(large, 2, 1440)
    done = tool("check", str(small), "--emulator", "mame", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    (cell,) = json.loads(done.stdout)["cells"]
    assert cell["verdict"] == "pass" and cell["emulator_version"].startswith("MAME v")
    done = tool("check", str(large), "--emulator", "mame", "--json")
    assert done.returncode == ExitCode.UNAVAILABLE
    (cell,) = json.loads(done.stdout)["cells"]
    assert cell["verdict"] == "skip" and "qemu or bochs" in cell["reason"]


def test_a_screen_line_gives_rows_and_the_cursor_and_anything_else_nothing() -> None:
    characters = b"A\x03" + bytes(78) + b"B" * 80 + bytes(80 * 23)
    rows, cursor = xt.screen_of(f"80 1 5 {characters.hex()}") or ([], (0, 0))
    assert rows[0].rstrip() == "A\u2665" and rows[1] == "B" * 80 and cursor == (1, 5)
    assert xt.screen_of("end") is None and xt.screen_of("80 0 0 zz") is None


def test_the_script_ends_mame_at_the_end_line_and_takes_only_plain_text() -> None:
    script = xt.lua_script(7, NO_APM_LINE)
    assert '"/dev/fd/7"' in script and f'"{NO_APM_LINE}"' in script and "machine:exit()" in script
    with pytest.raises(ValueError):
        xt.lua_script(7, 'a "quote"\n')
