"""``almostism-dos check``: the matrix of emulators and drives, its shards, the table, JSON and JUnit XML,
skipped cells that name their fix, and a check stopped part way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml, Skipped

from almostism_dos import reference
from almostism_dos.check import REPORT_KEYS, Cell, ShardError, image_drives, matrix, parse_shard, shard
from almostism_dos.cli import ExitCode
from almostism_dos.disk import embedded_disk
from almostism_dos.emulators import REGISTRY, emulator_class, mame
from almostism_dos.floppy import Contents
from almostism_dos.run import RunReport
from almostism_dos.scripture import CHECKSUM_OFFSET
from tests.images import embedded_image, fake_freedos_image, liturgy_image

FLOPPY = embedded_image(reference.build(7))
DISK = embedded_disk(4, Contents(reference.build(7), 0))


def tool(
    *arguments: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "almostism_dos", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def installed(*names: str) -> list[str]:
    """Those of ``names`` that can run here; the test is skipped, saying which is missing, if any is not."""
    for name in names:
        missing = emulator_class(name).unavailable()
        if missing is not None:
            pytest.skip(missing)
    return list(names)


# --- the matrix and its shards -----------------------------------------------------------------------


def test_a_floppy_boots_everywhere_and_a_disk_image_never_as_a_floppy() -> None:
    floppy = matrix(FLOPPY)
    assert Cell("qemu", "floppy") in floppy and Cell("qemu", "usb") in floppy
    assert Cell("dosbox", "floppy") in floppy and Cell("dosbox", "disk") not in floppy  # (DOSBox mounts it)
    for cell in floppy:
        assert cell.drive in emulator_class(cell.emulator).boots_as
    disk = matrix(DISK)
    assert disk and all(cell.drive in ("disk", "usb") for cell in disk)
    assert Cell("dosbox", "disk") in disk
    assert image_drives(DISK) == (("disk", "usb"), True)


def test_a_freedos_floppy_boots_from_drive_a_only(tmp_path: Path) -> None:
    image = liturgy_image(tmp_path / "a.img", fake_freedos_image(tmp_path / "fd.img"), reference.build(7))
    cells = matrix(image.read_bytes())
    assert {cell.drive for cell in cells} == {"floppy"}
    assert {cell.emulator for cell in cells} == set(REGISTRY)


def test_emulators_and_drives_choose_cells() -> None:
    assert matrix(FLOPPY, ["bochs"], ["disk"]) == [Cell("bochs", "disk")]
    assert matrix(FLOPPY, ["dosbox"], ["usb"]) == []


@given(st.integers(min_value=1, max_value=12))
def test_the_shards_are_the_matrix_with_no_cell_twice(count: int) -> None:
    cells = matrix(FLOPPY)
    shards = [shard(cells, index, count) for index in range(1, count + 1)]
    together = [cell for part in shards for cell in part]
    assert sorted(together, key=cells.index) == cells
    assert len(together) == len(set(together))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1  # (evenly: no machine waits on another)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_a_shard_that_is_not_k_of_n_is_refused(text: str) -> None:
    with pytest.raises(ShardError):
        parse_shard(text)


def test_a_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(FLOPPY)
    done = tool("check", "--shard", "3/2", str(image))
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.count("\n") == 1 and "K must be from 1 to N" in done.stderr


def test_no_cell_is_a_usage_error(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(FLOPPY)
    done = tool("check", "--emulator", "dosbox", "--as", "usb", str(image))
    assert done.returncode == ExitCode.USAGE and "no cell" in done.stderr


def test_the_cell_report_is_run_reports_shape() -> None:
    assert tuple(RunReport("", "", None, None, 0.0, "", False).as_json()) == REPORT_KEYS


# --- checking an image --------------------------------------------------------------------------------


@pytest.mark.vm
def test_a_good_image_passes_every_cell_and_is_left_as_it_was(tmp_path: Path) -> None:
    names = installed("qemu", "bochs")
    image, xml = tmp_path / "a.img", tmp_path / "report.xml"
    image.write_bytes(FLOPPY)
    arguments = [arg for name in names for arg in ("--emulator", name)]
    done = tool("check", str(image), *arguments, "--junit-xml", str(xml), "--log-dir", str(tmp_path / "logs"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert image.read_bytes() == FLOPPY
    cells = matrix(FLOPPY, names)
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["emulator", "drive", "errorlevel", "gone", "seconds", "verdict"]
    rows = sorted(line.split() for line in lines[2:-1])
    assert [(row[0], row[1], row[2], row[3], row[5]) for row in rows] == sorted(
        (cell.emulator, cell.drive, "0", "yes", "pass") for cell in cells
    )
    assert lines[-1].startswith(f"{len(cells)} passed, 0 failed, 0 skipped of {len(cells)} cells")
    suite = next(iter(JUnitXml.fromfile(str(xml))))
    cases = list(suite)
    assert sorted(case.name for case in cases) == sorted(cell.name for cell in cells)
    assert {case.classname for case in cases} == {str(image)}
    assert all(case.is_passed for case in cases) and suite.failures == 0 and suite.tests == len(cells)
    assert all("ALMOSTISM RESULT errorlevel=0" in (case.system_out or "") for case in cases)
    logs = sorted(path.name for path in (tmp_path / "logs").iterdir())
    pictures = [f"qemu-{drive}.png" for drive in ("floppy", "disk", "usb")]  # (QEMU's screen, each drive)
    assert logs == sorted([f"{cell.emulator}-{cell.drive}.log" for cell in cells] + pictures)
    assert (tmp_path / "logs" / "qemu-usb.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.vm
def test_a_judged_scripture_fails_with_its_errorlevel_in_the_junit_xml(tmp_path: Path) -> None:
    names = installed("qemu")
    false = bytearray(reference.build(7))
    false[CHECKSUM_OFFSET] ^= 0xFF
    image, xml = tmp_path / "false.img", tmp_path / "report.xml"
    image.write_bytes(embedded_image(bytes(false)))
    done = tool(
        "check", str(image), "--emulator", *names, "--as", "floppy", "--as", "usb", "--junit-xml", str(xml)
    )
    assert done.returncode == ExitCode.CHECK_FAILED, done.stderr
    assert "0 passed, 2 failed" in done.stdout
    for case in next(iter(JUnitXml.fromfile(str(xml)))):
        (failure,) = [result for result in case.result if isinstance(result, Failure)]
        assert failure.message == "the liturgy ended with errorlevel 4"
        assert "errorlevel: 4" in failure.text and "ALMOSTISM RESULT errorlevel=4" in failure.text


@pytest.mark.vm
def test_check_json_gives_each_cell_runs_report(tmp_path: Path) -> None:
    installed("qemu")
    image = tmp_path / "a.img"
    image.write_bytes(FLOPPY)
    done = tool("check", "--json", "--emulator", "qemu", "--as", "usb", str(image))
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    (cell,) = shown["cells"]
    assert set(cell) == {"cell", "verdict", *REPORT_KEYS}
    assert (cell["cell"], cell["verdict"], cell["drive"], cell["errorlevel"], cell["ok"]) == (
        "qemu as usb", "pass", "usb", 0, True)  # fmt: skip
    assert cell["emulator_version"].startswith("QEMU emulator version")
    assert (shown["passed"], shown["failed"], shown["skipped"], shown["ok"]) == (1, 0, 0, True)


@pytest.mark.vm
def test_a_missing_emulator_is_a_skipped_cell_that_names_its_package(tmp_path: Path) -> None:
    installed("qemu")
    only = tmp_path / "bin"
    only.mkdir()
    (only / "qemu-system-i386").symlink_to(str(shutil.which("qemu-system-i386")))
    image, xml = tmp_path / "a.img", tmp_path / "report.xml"
    image.write_bytes(FLOPPY)
    environment = {**os.environ, "PATH": str(only)}
    done = tool("check", str(image), "--as", "floppy", "--junit-xml", str(xml), env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = {case.name: case for case in next(iter(JUnitXml.fromfile(str(xml)))) if case.is_skipped}
    assert set(skipped) == {f"{name} as floppy" for name in REGISTRY if name != "qemu"}
    for name, case in skipped.items():
        (reason,) = [result for result in case.result if isinstance(result, Skipped)]
        package = emulator_class(name.split()[0]).package.split()[0]
        if name == "mame as floppy" and Path(mame.DEBIAN_PROGRAM).is_file():
            # (found where Debian puts it, off any PATH: then it is the image it cannot take)
            assert "fits no drive" in reason.message, reason.message
            continue
        assert "apt-get install" in reason.message and package in reason.message, reason.message
    assert f"1 passed, 0 failed, {len(REGISTRY) - 1} skipped" in done.stdout
    nothing = tool("check", str(image), "--emulator", "bochs", env=environment)
    assert nothing.returncode == ExitCode.UNAVAILABLE and "no cell ran" in nothing.stderr


def test_a_log_dir_that_is_a_link_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(FLOPPY)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "logs").symlink_to(tmp_path / "elsewhere")
    done = tool("check", str(image), "--log-dir", str(tmp_path / "logs"))
    assert done.returncode == ExitCode.CANT_CREATE and "symbolic link" in done.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []


# --- stopped part way ---------------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str]]:
    """Every process here: its session and its command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, session...
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[int(entry.name)] = (int(fields[3]), line)
        except (OSError, ValueError, IndexError):
            continue
    return found


def _ours(session: int, known: frozenset[int] = frozenset()) -> dict[int, str]:
    """The check's processes (its session; and ``known``, those seen in it before) and the emulators its
    cells started (pexpect gives each a session of its own; its command line names the scratch
    directory of the process that started it): pid and command line."""
    processes = _processes()
    members = {pid for pid, (member_of, _) in processes.items() if member_of == session} | known
    marks = [f"almostism-keep-{pid}-" for pid in members]
    return {
        pid: line
        for pid, (_, line) in processes.items()
        if pid in members or any(mark in line for mark in marks)
    }


@pytest.mark.vm
def test_sigterm_stops_every_cell_at_once_and_leaves_nothing(tmp_path: Path) -> None:
    installed("qemu")
    # A boot sector that halts: each cell would wait out its whole timeout.
    image = liturgy_image(tmp_path / "a.img", fake_freedos_image(tmp_path / "fd.img"), reference.build(1))
    check = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "almostism_dos",
            "check",
            str(image),
            "--emulator",
            "qemu",
            "--timeout",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any("qemu-system" in line for line in _ours(check.pid).values()):
        assert time.monotonic() < deadline and check.poll() is None, "no QEMU started"
        time.sleep(0.05)  # (polling for the emulator to exist, not a wait in place of one)
    running = frozenset(_ours(check.pid))
    started = time.monotonic()
    check.send_signal(signal.SIGTERM)
    _, said = check.communicate(timeout=30)
    assert check.returncode == ExitCode.STOPPED_BY_SIGTERM, said
    assert time.monotonic() - started < 20  # (far inside the 99 s a cell would otherwise wait)
    assert said.strip().splitlines()[-1] == "almostism-dos: stopped by SIGTERM"
    assert _ours(check.pid, running) == {}
    assert not [p for p in Path(tempfile.gettempdir()).glob(f"almostism-*-{check.pid}-*")]
