"""How an image runs: one process wrapper per emulator (QEMU, DOSBox)."""

from __future__ import annotations

import shutil

EMULATORS = ("qemu", "dosbox")


class EmulatorMissing(Exception):
    """The emulator is not installed; the message names the Debian package."""


def require(program: str, package: str) -> str:
    """The path of ``program``, or :class:`EmulatorMissing` naming the package that provides it."""
    path = shutil.which(program)
    if path is None:
        raise EmulatorMissing(f"{program} is not installed (Debian/Ubuntu: sudo apt-get install {package})")
    return path
