"""Does the result line survive to the last screen? Every size, both boot systems, N boots each, on the
emulators that read the screen at the power-off (QEMU, Bochs), several boots at once to load the machine.

    python -m bench.last_line [--boots N] [--jobs J] [--emulator NAME]     (from the repository's top)

A boot counts when its final screen shows ``ALMOSTISM RESULT errorlevel=0`` and the scripture is gone.
The FreeDOS rows need ``ALMOSTISM_FREEDOS``. docs/host-quirks.md quotes a run.
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from almostism_dos import freedos, reference
from almostism_dos.emulators import emulator_class
from almostism_dos.emulators.base import RunOptions
from almostism_dos.floppy import Contents, embedded_floppy, freedos_floppy
from almostism_dos.formats import FORMATS
from almostism_dos.run import run_image


def one_boot(emulator: str, floppy: bytes) -> bool:
    """Boot a fresh copy of ``floppy``; True when the last screen had the result line, 0, file gone."""
    with tempfile.TemporaryDirectory(prefix="almostism-last-line-") as scratch:
        image = Path(scratch) / "a.img"
        image.write_bytes(floppy)
        report = run_image(image, emulator_class(emulator).configured(RunOptions()))
        return report.ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--boots", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=3, help="boots at once (default 3: more than 2 cores)")
    parser.add_argument("--emulator", action="append", choices=["qemu", "bochs"])
    args = parser.parse_args()
    located = freedos.locate(None)
    systems = {"embedded": None} | ({"FreeDOS": freedos.load(located)} if located else {})
    print("| emulator | system | " + " | ".join(f"{kb} KB" for kb in sorted(FORMATS)) + " |")
    print("|---|---|" + "---|" * len(FORMATS))
    with ThreadPoolExecutor(args.jobs) as pool:
        for emulator in args.emulator or ["qemu", "bochs"]:
            for system, source in systems.items():
                cells = []
                for kilobytes in sorted(FORMATS):
                    holy = reference.build(0x4C)
                    floppy = (
                        embedded_floppy(FORMATS[kilobytes], Contents(holy, 0))
                        if source is None
                        else freedos_floppy(FORMATS[kilobytes], source, Contents(holy, 0))
                    )
                    boots = pool.map(one_boot, [emulator] * args.boots, [floppy] * args.boots)
                    shown = sum(boots)
                    cells.append(f"{shown}/{args.boots}")
                print(f"| {emulator} | {system} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
