"""Where the judges disagreed: a BPB changed to 16 root entries after the files were laid out for 224.
inspect said the scripture "would get 6"; QEMU gave errorlevel 0 and kept it (81). Both read the volume
as its BPB says, so ALMOST.COM comes from the wrong sectors: all zeros, which an 8086 runs into the
PSP's INT 20h (exit 0). inspect now says that ALMOST.COM is not the program, and promises no verdict;
no emulator reports a success."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from almostism_dos.cli import main
from almostism_dos.inspection import inspect
from almostism_dos.pytest_plugin import EmulatorUnderTest


@pytest.fixture
def patched(tmp_path: Path) -> Path:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded", "--linger", "0"]) == 0
    data = bytearray(image.read_bytes())
    data[0x11:0x13] = (16).to_bytes(2, "little")  # the BPB's root entries
    image.write_bytes(data)
    return image


def test_inspect_says_almost_com_is_not_the_program(
    patched: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = inspect(patched.read_bytes()).program_problem
    assert problem is not None and "all zeros" in problem
    capsys.readouterr()
    assert main(["inspect", str(patched)]) == 0
    said = capsys.readouterr().out
    assert "no sure verdict" in said and "would get" not in said
    assert main(["inspect", "--json", str(patched)]) == 0
    assert "not the shipped program" in json.loads(capsys.readouterr().out)["program_problem"]


def test_a_built_image_has_no_program_problem(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--boot", "embedded"]) == 0
    assert inspect(image.read_bytes()).program_problem is None


@pytest.mark.long
@pytest.mark.vm
def test_no_emulator_calls_it_a_success(any_emulator: EmulatorUnderTest, patched: Path) -> None:
    # The zeros run for ever (measured: QEMU shows nothing after "Booting from Floppy..." in 10 s), so
    # the boot is cut at 4 s, time for any emulator here to boot an image and say its result, not 10.
    report = any_emulator.run(patched, timeout=4, keep=True)
    assert not report.ok
