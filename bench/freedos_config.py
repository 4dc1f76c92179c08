"""What ``FDCONFIG.SYS`` costs: the shipped configuration beside another, on the same FreeDOS floppy.

    python -m bench.freedos_config [--repeat N] [LINE ...]     (from the repository's top; FreeDOS configured)

Without lines, the other configuration is the one shipped before issue 17 (``SWITCHES``, ``FILES``,
``BUFFERS``, ``SHELL``; no ``BREAK=OFF``). Two measures of each, so a difference is seen twice:

- the BIOS and DOS calls one boot makes, counted in the Unicorn PC (``vm/pc.py``): exact, every run;
- QEMU alone booting the floppy (the product's command line), whole-process medians, the two
  configurations alternating, each boot on a fresh copy.

Prints a Markdown table. Nothing is asserted: the numbers are the result.
"""

from __future__ import annotations

import argparse
from collections import Counter

from unicorn.unicorn import Uc
from unicorn.x86_const import UC_X86_REG_AX

from almostism_dos import freedos, reference
from almostism_dos.floppy import freedos_files
from almostism_dos.formats import FORMATS
from almostism_dos.image import ImageFile, build_image
from almostism_dos.startup import FDCONFIG
from vm import pc

from .qemu_alone import medians

BEFORE = ["SWITCHES=/N /F", "FILES=20", "BUFFERS=20", "SHELL=\\COMMAND.COM /E:512 /P=\\AUTOEXEC.BAT"]
BIOS = {0x10: "INT 10h (video)", 0x13: "INT 13h (disk)", 0x16: "INT 16h (keyboard)", 0x1A: "INT 1Ah (clock)"}


def floppy(source: freedos.FreeDos, config: str) -> bytes:
    """The 1.44 MB FreeDOS floppy as ``build`` makes it, with ``config`` as its FDCONFIG.SYS."""
    files = [
        ImageFile(item.name, config.encode("ascii")) if item.name == "FDCONFIG.SYS" else item
        for item in freedos_files(source, reference.build(90))
    ]
    return build_image(FORMATS[1440], source.boot_code, files, 0)


class CountingPc(pc.Pc):
    """The Unicorn PC, counting the BIOS interrupts the guest calls (and DOS's INT 21h)."""

    def __init__(self, floppy: pc.BootDisk) -> None:
        super().__init__(floppy)
        self.counts: Counter[str] = Counter()

    def _interrupt(self, uc: Uc, number: int, user_data: object) -> None:
        if number in BIOS:
            self.counts[BIOS[number]] += 1
        elif number == 0x21:
            self.counts["INT 21h (DOS)"] += 1
            if self._reg(UC_X86_REG_AX) >> 8 == 0x3F:
                self.counts["INT 21h AH=3Fh (read)"] += 1
        super()._interrupt(uc, number, user_data)


def counted(image: bytes) -> Counter[str]:
    """The interrupts one boot of ``image`` makes, up to its power-off."""
    machine = CountingPc(pc.BootDisk(bytearray(image)))
    result = machine.boot(200_000_000)
    if result.stop is not pc.Stop.POWEROFF:
        raise SystemExit(f"the Unicorn PC stopped with {result.stop}: {result.detail}")
    return machine.counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("line", nargs="*", help="the other FDCONFIG.SYS, a line per argument")
    args = parser.parse_args()
    located = freedos.locate(None)
    if located is None:
        raise SystemExit("FreeDOS is not configured: set ALMOSTISM_FREEDOS")
    source = freedos.load(located)
    other = "\r\n".join([*(args.line or BEFORE), ""])
    images = {"shipped": floppy(source, FDCONFIG), "other": floppy(source, other)}
    counts = {name: counted(image) for name, image in images.items()}
    median = medians(images, args.repeat)
    for name, config in (("shipped", FDCONFIG), ("other", other)):
        print(f"{name}: `{' | '.join(config.splitlines())}`")
    kinds = sorted(counts["other"])
    print("\n| FDCONFIG.SYS | QEMU alone, median | " + " | ".join(kinds) + " |")
    print("|---|---|" + "---|" * len(kinds))
    for name in images:
        cells = [str(counts[name][kind]) for kind in kinds]
        print(f"| {name} | {median[name]:.3f} s | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
