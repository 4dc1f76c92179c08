"""Each command imports what it needs, when it needs it: proved from ``sys.modules`` in a fresh interpreter.

A module imported for nothing costs every run its import time (pyte and pyfatfs are tens of milliseconds
each), and ``run`` is paid once per boot in CI. (``run --help`` names the emulators that take each option,
so it alone imports their modules.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from almostism_dos import reference
from tests.images import self_booting

EMULATOR_MODULES = {f"almostism_dos.emulators.{name}" for name in ("qemu", "bochs", "dosbox", "browser")}
HEAVY = {"pyte", "pexpect", "pyfatfs", "playwright", "keystone", "capstone", "unicorn"}


def imported_by(arguments: list[str], where: Path) -> set[str]:
    """The modules a fresh interpreter holds after ``almostism-dos ARGUMENTS``."""
    probe = (
        "import json, sys\n"
        "from almostism_dos.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *arguments], capture_output=True, text=True, cwd=where, check=False
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def top(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.mark.parametrize("arguments", [["--help"], ["build", "--help"], ["verify", "SCRIPTUR.ALM"]])
def test_help_and_verify_import_no_emulator_and_no_heavy_library(
    arguments: list[str], tmp_path: Path
) -> None:
    (tmp_path / "SCRIPTUR.ALM").write_bytes(reference.build(1))
    modules = imported_by(arguments, tmp_path)
    assert modules & EMULATOR_MODULES == set()
    assert top(modules) & HEAVY == set()


def test_build_loads_no_emulator_and_no_terminal(tmp_path: Path) -> None:
    modules = imported_by(["build", "-o", "a.img", "--boot", "embedded"], tmp_path)
    assert (tmp_path / "a.img").is_file()
    assert modules & EMULATOR_MODULES == set()
    assert top(modules) & {"pyte", "pexpect", "playwright", "unicorn"} == set()


@pytest.mark.vm
def test_run_on_qemu_loads_qemu_and_nothing_of_the_others(tmp_path: Path) -> None:
    self_booting((tmp_path / "a.img"), 2)
    modules = imported_by(["run", "--emulator", "qemu", "--quiet", "a.img"], tmp_path)
    assert modules & EMULATOR_MODULES == {"almostism_dos.emulators.qemu"}
    assert top(modules) & HEAVY == {"pyte"}  # (QEMU runs in a pty of its own: no pexpect)


def test_building_the_parser_imports_none_of_the_package_but_the_command_line() -> None:
    """The sizes, programs and limits the help names are looked up when a help text is printed, so
    every command (a ``run`` once per boot) starts without the modules that know them. (``stop_signals``
    is the stop signals' few lines, loaded first on purpose.)"""
    probe = (
        "import json, sys\n"
        "from almostism_dos.cli import build_parser\n"
        "build_parser()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    ours = {name for name in json.loads(done.stdout) if name.startswith("almostism_dos")}
    assert ours == {
        "almostism_dos",
        "almostism_dos.cli",
        "almostism_dos.emulators",
        "almostism_dos.stop_signals",
    }
