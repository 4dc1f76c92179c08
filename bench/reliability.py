"""The fault matrix as a table for docs/reliability.md: every cell from a real run.

    python -m bench.reliability [--host NAME] [--case TEXT]     (from the repository's top)

Each cell shows the observed exit code and whether the file is gone (x = gone, - = still there); a cell
that differs from the expected outcome is marked (SILENT: the screen lacked the verdict's words; CHANGED:
the disk differs from the one change the verdict allows), n/a says the host cannot express the case, and
missing that the host is not installed or configured here, and · a case outside a slow host's
representative subset (vm/fault_matrix.py: XT_CASES).
"""

from __future__ import annotations

import argparse
import time

from vm.fault_matrix import CASES, HOSTS, KNOWN_DEVIATIONS, SUBSETS, Case, HostMissing


def cell(host: str, case: Case) -> str:
    """One cell: the exit code seen and whether the file is gone, marked where it is not as expected;
    ``·`` for a case outside a slow host's subset."""
    if host in SUBSETS and case.name not in SUBSETS[host]:
        return "·"
    if HOSTS[host].unable(case) is not None:
        return "n/a"
    try:
        outcome = HOSTS[host].run(case)
    except HostMissing:
        return "missing"
    seen = "none" if outcome.exit_code is None else str(outcome.exit_code)
    text = f"{seen} {'x' if outcome.vanished else '-'}"
    as_expected = (outcome.exit_code, outcome.vanished) == (case.expected, case.vanishes)
    if outcome.changes:  # (which bytes: tests/test_fault_matrix.py says)
        text += " CHANGED"
    spoke = case.spoken_in(outcome.console)
    if not spoke:
        text += " SILENT"
    if not as_expected or outcome.changes or not spoke:
        text += " ≠" + ("¹" if (host, case.name) in KNOWN_DEVIATIONS else "")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", action="append", choices=list(HOSTS))
    parser.add_argument("--case", help="only cases whose name contains this")
    args = parser.parse_args()
    hosts = args.host or list(HOSTS)
    cases = [case for case in CASES if not args.case or args.case in case.name]
    started = time.monotonic()
    print("| case | expected | " + " | ".join(hosts) + " |")
    print("|---|---|" + "---|" * len(hosts))
    for case in cases:
        expected = f"{case.expected} {'x' if case.vanishes else '-'}"
        print(f"| {case.name} | {expected} | " + " | ".join(cell(host, case) for host in hosts) + " |")
    print(f"\n({len(cases)} cases x {len(hosts)} hosts in {time.monotonic() - started:.0f} s)")
    for (host, name), reason in KNOWN_DEVIATIONS.items():
        print(f"\n¹ {host}, {name}: {reason}.")


if __name__ == "__main__":
    main()
