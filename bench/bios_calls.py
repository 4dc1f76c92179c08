"""What one BIOS call costs in QEMU: a boot sector that makes many of them, beside the bare boot.

    python -m bench.bios_calls [--repeat N] [--calls N]     (from the repository's top)

Each row is a boot sector (``bios_call_loop.asm``) that makes ``--calls`` calls of one BIOS service
and powers off, timed alternately with the bare boot (``bare_poweroff.asm``), QEMU alone, the
product's command line; a call's cost is the difference of the medians over the calls. The services
are the ones FreeDOS calls most: INT 16h AH=01h (is a key waiting? its Ctrl-C look) and INT 10h
AH=0Eh (a character on the screen, and SeaBIOS's serial mirror of it).

Prints a Markdown table. Nothing is asserted: the numbers are the result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from almostism_dos.assembler import assemble
from almostism_dos.formats import BOOT_LOAD_ADDRESS, BOOT_SIGNATURE, SECTOR, SIGNATURE_OFFSET

from .qemu_alone import medians

HERE = Path(__file__).parent
SERVICES = {
    "INT 16h AH=01h (is a key waiting?)": (0x16, 0x0100),
    "INT 10h AH=0Eh (a character, 'A')": (0x10, 0x0E41),
}
FLOPPY = 1474560


def floppy(source: str, generated: dict[str, str]) -> bytes:
    """A 1.44 MB floppy whose boot sector is ``source`` (from bench/, or ``generated``)."""

    def read(name: str) -> str:
        return generated[name] if name in generated else (HERE / name).read_text()

    code = assemble(source, read, BOOT_LOAD_ADDRESS).code
    sector = bytearray(SECTOR)
    sector[: len(code)] = code
    sector[SIGNATURE_OFFSET:] = BOOT_SIGNATURE
    return bytes(sector) + bytes(FLOPPY - SECTOR)


def calling(service: int, request: int, calls: int) -> bytes:
    """The floppy whose boot sector makes ``calls`` calls of INT ``service`` with AX = ``request``."""
    constants = f".equ CALLS, {calls}\n.equ SERVICE, {service:#x}\n.equ REQUEST, {request:#x}\n"
    return floppy("bios_call_loop.asm", {"bios_call.inc": constants})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    images = {"bare boot": floppy("bare_poweroff.asm", {})}
    images |= {name: calling(*call, args.calls) for name, call in SERVICES.items()}
    median = medians(images, args.repeat)
    bare = median["bare boot"]
    print(f"QEMU alone, median of {args.repeat} boots each, alternating; {args.calls} calls a boot\n")
    print("| boot sector | median | a call |")
    print("|---|---|---|")
    print(f"| bare boot | {bare:.3f} s | |")
    for name in SERVICES:
        seconds = median[name]
        print(f"| {args.calls} x {name} | {seconds:.3f} s | {(seconds - bare) / args.calls * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
