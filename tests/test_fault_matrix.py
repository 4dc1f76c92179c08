"""The fault matrix (vm/fault_matrix.py): each case on each host that can express it.

The exit code must be the expected one, the target must be gone exactly when expected, the disk must show
exactly the change the verdict allows (for a destroyed file: its entry marked E5h, its first min(size,
1023) bytes zeroed, its chain freed in every FAT; otherwise no change at all), and the screen must show
the verdict's words (the failed check, for a false teaching). Where the host can watch execution (the
Unicorn DOS), a true scripture ran its parser and no other byte of itself, and any other file ran none.
"""

from __future__ import annotations

import pytest

from almostism_dos.result_line import last_lines
from vm.fault_matrix import (
    CASES,
    HOSTS,
    KNOWN_DEVIATIONS,
    SUBSETS,
    Case,
    HostMissing,
    ran_as_allowed,
)

SLOW_HOSTS = {host for host in HOSTS if "Unicorn" not in host}


def matrix() -> list[object]:
    """Every cell a host can express (what it cannot is left out here, not skipped: a skip only ever
    means the host is missing on this machine)."""
    cells: list[object] = []
    for host, runner in HOSTS.items():
        for case in CASES:
            if host in SUBSETS and case.name not in SUBSETS[host]:
                continue  # (a slow host's representative subset: vm/fault_matrix.py)
            if runner.unable(case) is not None:
                continue
            marks = [pytest.mark.vm] if host in SLOW_HOSTS else []
            if (host, case.name) in KNOWN_DEVIATIONS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[host, case.name]))
            cells.append(pytest.param(host, case, marks=marks, id=f"{host}: {case.name}"))
    return cells


@pytest.mark.parametrize(("host", "case"), matrix())
def test_fault(host: str, case: Case) -> None:
    try:
        outcome = HOSTS[host].run(case)
    except HostMissing as missing:
        pytest.skip(f"{host} is missing here: {missing}")
    screen = " | ".join(last_lines(outcome.console)) or "nothing"
    if outcome.exit_code is None:
        pytest.fail(f"no result line (expected {case.expected.name}); the screen last showed: {screen}")
    assert outcome.exit_code == case.expected, f"{case.expected.name} expected; the screen: {screen}"
    assert outcome.vanished == case.vanishes
    assert outcome.changes == []
    assert case.spoken_in(outcome.console), (case.spoken, screen)
    if outcome.ran is not None:  # (the Unicorn DOS watches execution inside ALMOST.COM's read buffer)
        assert ran_as_allowed(case, outcome.ran), sorted(outcome.ran)


def test_every_subset_names_cases_of_the_matrix() -> None:
    names = {case.name for case in CASES}
    for host, subset in SUBSETS.items():
        assert subset <= names, (host, sorted(subset - names))
