"""The fault matrix (tests/fault_matrix.py): each case on each host that can express it.

The exit code must be the expected one, the target must be gone exactly when expected, the disk must show
exactly the change the verdict allows (for a destroyed file: its entry marked E5h, its first min(size,
1023) bytes zeroed, its chain freed in every FAT; otherwise no change at all), and the screen must show
the verdict's words (the failed check, for a false teaching).
"""

from __future__ import annotations

import pytest

from tests.fault_matrix import CASES, HOSTS, KNOWN_DEVIATIONS, Case, NotExpressible

SLOW_HOSTS = {host for host in HOSTS if host not in ("Unicorn DOS", "embedded, Unicorn PC")}


def matrix() -> list[object]:
    cells: list[object] = []
    for host in HOSTS:
        for case in CASES:
            marks = [pytest.mark.vm] if host in SLOW_HOSTS else []
            if (host, case.name) in KNOWN_DEVIATIONS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[host, case.name]))
            cells.append(pytest.param(host, case, marks=marks, id=f"{host}: {case.name}"))
    return cells


@pytest.mark.parametrize(("host", "case"), matrix())
def test_fault(host: str, case: Case) -> None:
    try:
        outcome = HOSTS[host](case)
    except NotExpressible as reason:
        pytest.skip(f"{host} cannot express this case: {reason}")
    assert outcome.exit_code == case.expected
    assert outcome.vanished == case.vanishes
    assert outcome.changes == []
    assert case.words in outcome.console
