"""Tests select what they say: a test's markers follow from what it boots (tests/conftest.py), so
``-m "not vm"`` leaves out every emulator and ``-m "not browser"`` every browser boot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent


def collected(*arguments: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *arguments],
        capture_output=True,
        text=True,
        cwd=TOP,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_not_vm_leaves_out_the_tests_that_boot_with_no_mark_of_their_own() -> None:
    ids = collected("-m", "not vm", "tests/test_hostile_inputs.py", "tests/test_newcomer.py")
    assert ids, "nothing collected"
    for booting in (
        "test_qemu_runs_under_a_temporary_directory_too_deep_for_its_socket",
        "test_the_browser_writes_the_floppy_back_whole",
        "test_the_browser_shows_every_line_on_a_terminal",
    ):
        assert not [test for test in ids if booting in test], booting
    assert any("test_chromium_runs_sandboxed_unless_root" in test for test in ids)  # (fakes: no boot)


def test_not_browser_leaves_out_every_browser_boot() -> None:
    ids = collected("-m", "not browser", "tests/test_vm.py", "tests/test_fault_matrix.py")
    assert ids and not [test for test in ids if "browser" in test or "v86 in Chromium" in test]
    assert any("qemu" in test for test in ids)
