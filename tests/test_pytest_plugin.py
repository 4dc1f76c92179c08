"""The pytest plugin the wheel ships (``pytest11``): a team's own test file, run by a pytest that knows
nothing of this repository, boots an image with its fixtures and gets the reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import JUnitXml

from almostism_dos import reference
from almostism_dos.check import matrix
from almostism_dos.emulators import emulator_class
from tests.images import embedded_image, self_booting

TEAM_TESTS = """
from almostism_dos.run import RunReport


def test_every_cell(almostism_cell: RunReport) -> None:
    assert almostism_cell.ok, almostism_cell.reason
    assert almostism_cell.errorlevel == 0 and almostism_cell.vanished is True


def test_one_boot(almostism_boot, almostism_image) -> None:
    before = almostism_image.read_bytes()
    report = almostism_boot("qemu", drive="usb")
    assert (report.errorlevel, report.vanished, report.drive) == (0, True, "usb")
    assert almostism_image.read_bytes() == before  # (a copy was booted)
"""


def needs_qemu() -> None:
    missing = emulator_class("qemu").unavailable()
    if missing is not None:
        pytest.skip(missing)


@pytest.mark.long
@pytest.mark.vm
def test_a_team_s_tests_boot_every_cell_asked_for(pytester: pytest.Pytester, tmp_path: Path) -> None:
    needs_qemu()
    image = tmp_path / "team.img"
    self_booting(image, 9)
    pytester.makepyfile(test_team=TEAM_TESTS)
    xml = tmp_path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "--almostism-image",
        str(image),
        "--almostism-emulator",
        "qemu",
        f"--junitxml={xml}",
        "-p",
        "no:randomly",
    )
    cells = matrix(image.read_bytes(), ["qemu"])
    result.assert_outcomes(passed=len(cells) + 1)
    names = sorted(case.name for suite in JUnitXml.fromfile(str(xml)) for case in suite)
    assert names == sorted([f"test_every_cell[{cell.name}]" for cell in cells] + ["test_one_boot"])


@pytest.mark.vm
def test_a_judged_image_fails_the_team_s_cells(pytester: pytest.Pytester, tmp_path: Path) -> None:
    needs_qemu()
    false = bytearray(reference.build(9))
    false[60] ^= 1  # a zero that is not: ALMOST.COM's verdict 4, the scripture destroyed unread
    image = tmp_path / "false.img"
    image.write_bytes(embedded_image(bytes(false)))
    pytester.makepyfile(test_team=TEAM_TESTS)
    result = pytester.runpytest_subprocess(
        "--almostism-image", str(image), "--almostism-emulator", "qemu", "--almostism-as", "floppy",
        "-k", "every_cell", "-p", "no:randomly",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the liturgy ended with errorlevel 4*"])


def test_a_missing_emulator_skips_with_its_package(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "team.img"
    self_booting(image, 9)
    pytester.makepyfile(test_team=TEAM_TESTS)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = pytester.runpytest_subprocess(
        "--almostism-image", str(image), "--almostism-emulator", "bochs", "-k", "every_cell", "-rs",
        "-p", "no:randomly",
    )  # fmt: skip
    cells = matrix(image.read_bytes(), ["bochs"])
    result.assert_outcomes(skipped=len(cells))
    result.stdout.fnmatch_lines(["*apt-get install bochs*"])


def test_the_plugin_is_loaded_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("almostism-dos")
    assert plugin is not None and plugin.__name__ == "almostism_dos.pytest_plugin"
