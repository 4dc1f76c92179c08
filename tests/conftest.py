"""Shared fixtures: the assembled programs and a way to run ALMOST.COM in the Unicorn DOS machine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from almostism_dos import programs
from almostism_dos.assembler import Assembly
from vm.dos import Disk, RunResult, run_com

RunLiturgy = Callable[..., RunResult]


@pytest.fixture(scope="session")
def loader() -> Assembly:
    return programs.loader_assembly()


@pytest.fixture(scope="session")
def buffer_range(loader: Assembly) -> range:
    """Where ALMOST.COM reads the file: no byte of it may run unless verified."""
    start = loader.symbols["buffer"]
    return range(start, start + 1024)


@pytest.fixture
def run_liturgy(loader: Assembly, buffer_range: range) -> RunLiturgy:
    """Run ALMOST.COM on a disk, watching execution inside its read buffer."""

    def run(disk: Disk, tail: str = "", **options: object) -> RunResult:
        return run_com(loader.code, disk, tail, watch=buffer_range, **options)  # type: ignore[arg-type]

    return run
