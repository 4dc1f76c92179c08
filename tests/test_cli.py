"""The command line: export, verify, listing, and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from almostism_dos import programs, reference, scripture
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators import all_emulators, mame
from almostism_dos.programs import ALMOST
from almostism_dos.scripture import SCRIPTURE_FILE


def test_export_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "out"), "--unique-byte", "0x5a"]) == 0
    assert (tmp_path / "out" / ALMOST).read_bytes() == programs.almost_bytes()
    assert (tmp_path / "out" / SCRIPTURE_FILE).read_bytes() == reference.build(0x5A)
    assert "unique byte 0x5A" in capsys.readouterr().out


def test_export_without_unique_byte_picks_and_prints_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path)]) == 0
    data = (tmp_path / SCRIPTURE_FILE).read_bytes()
    assert reference.judge(data) is scripture.Verdict.COMPLETE
    assert f"unique byte 0x{data[50]:02X}" in capsys.readouterr().out


def test_export_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / SCRIPTURE_FILE).write_bytes(b"precious")
    assert main(["export", str(tmp_path), "--unique-byte", "1"]) == ExitCode.CANT_CREATE
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--force" in error
    assert (tmp_path / SCRIPTURE_FILE).read_bytes() == b"precious"
    assert not (tmp_path / ALMOST).exists(), "nothing half-exported"
    assert main(["export", str(tmp_path), "--unique-byte", "1", "--force"]) == 0
    assert (tmp_path / SCRIPTURE_FILE).read_bytes() == reference.build(1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [ALMOST, SCRIPTURE_FILE], "no temp files left"


def test_export_refuses_a_symlink_even_with_force(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep")
    (tmp_path / ALMOST).symlink_to(target)
    assert main(["export", str(tmp_path), "--unique-byte", "1", "--force"]) == ExitCode.CANT_CREATE
    assert target.read_bytes() == b"keep"


def test_export_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["export", str(tmp_path / "file")]) == ExitCode.CANT_CREATE


def test_export_into_an_uncreatable_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "/proc/almostism/out"]) == ExitCode.CANT_CREATE
    assert "cannot create directory" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "256", "-3", "x"])
def test_bad_unique_byte_is_a_usage_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(tmp_path), "--unique-byte", value])
    assert exit_info.value.code == ExitCode.USAGE
    assert capsys.readouterr().err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "code"),
    [(reference.build(7), 0), (b"plain", 2), (reference.build(7) + b"!", 3), (reference.build(7)[:-1], 4)],
)
def test_verify_exits_with_the_verdict_and_changes_nothing(tmp_path: Path, content: bytes, code: int) -> None:
    path = tmp_path / "file"
    path.write_bytes(content)
    before = path.stat()
    assert main(["verify", str(path)]) == code
    assert path.read_bytes() == content and path.stat().st_mtime_ns == before.st_mtime_ns


def test_verify_missing_file_is_1(tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path / "absent")]) == 1


def test_verify_unreadable_is_5(tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path)]) == 5


def test_listing_shows_both_programs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["listing"]) == 0
    text = capsys.readouterr().out
    assert "liturgy.asm" in text and "almost.asm" in text and "int 0x21" in text


def test_listing_of_the_parser_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["listing", "parser"]) == 0
    out = capsys.readouterr().out
    assert "0000  45" in out and "almost.asm - ALMOST.COM" not in out


def test_console_script_and_module_agree(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(reference.build(3))
    result = subprocess.run(
        [sys.executable, "-m", "almostism_dos", "verify", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0 and "unique byte 0x03" in result.stdout


def test_a_missing_emulator_names_its_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    monkeypatch.setenv("PATH", str(tmp_path))  # no emulator at all
    monkeypatch.setattr(mame, "DEBIAN_PROGRAM", tmp_path / "mame")  # (nor MAME where Debian puts it)
    assert main(["run", str(image)]) == ExitCode.UNAVAILABLE
    assert "apt-get install qemu-system-x86" in capsys.readouterr().err
    for kind in all_emulators():
        assert main(["run", str(image), "--emulator", kind.name]) == ExitCode.UNAVAILABLE
        assert f"apt-get install {kind.package}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--emulator", "dosbox", "--as", "usb"], "--as usb needs --emulator qemu"),
        (["--emulator", "bochs", "--as", "usb"], "--as usb needs --emulator qemu"),
        (["--as", "disk", "--write-protected"], "--write-protected --as disk is beyond every emulator here"),
        (["--emulator", "bochs", "--as", "disk", "--write-protected"], "is beyond every emulator here"),
    ],
)
def test_a_medium_the_emulator_cannot_boot_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], said: str
) -> None:
    """Said before anything starts, and the image is untouched."""
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    before = image.read_bytes()
    capsys.readouterr()
    assert main(["run", str(image), *options]) == ExitCode.USAGE
    assert said in capsys.readouterr().err and image.read_bytes() == before


@pytest.mark.parametrize(
    "command", ["export", "verify", "listing", "build", "inspect", "run", "freedos", "web"]
)
def test_each_command_has_its_help_and_the_top_level_names_them_all(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command's parser is built alone (the others are not needed to parse it); its help still comes,
    and the top-level help still names every command."""
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: almostism-dos {command} ")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"    {command} " in capsys.readouterr().out


def test_every_failure_the_exit_code_table_names_exists() -> None:
    """The table names its classes (a command loads only what it uses): each name must be a class of
    the package, or its failures would end in a traceback."""
    import importlib

    from almostism_dos.cli import FAILURES

    for name in FAILURES:
        module, _, kind = name.rpartition(".")
        found = getattr(importlib.import_module(module), kind)
        assert isinstance(found, type) and issubclass(found, Exception), name


def test_the_most_specific_entry_decides() -> None:
    from almostism_dos.cli import ExitCode, exit_code_of
    from almostism_dos.freedos import FreeDosDownloadError, FreeDosError, FreeDosNotFound
    from almostism_dos.inputs import InputMissing, InputTooLarge

    assert exit_code_of(FreeDosError("x")) == ExitCode.DATA
    assert exit_code_of(FreeDosNotFound("x")) == ExitCode.NO_INPUT
    assert exit_code_of(FreeDosDownloadError("x")) == ExitCode.UNAVAILABLE
    assert exit_code_of(InputTooLarge("x")) == ExitCode.DATA
    assert exit_code_of(InputMissing("x")) == ExitCode.NO_INPUT
    assert exit_code_of(ValueError("a bug")) is None
